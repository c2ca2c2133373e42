"""Bare common-word aliases flood a live search; the watchlist warns at load (issue #13).

'United', 'American', 'Delta' and 'Southwest' as bare aliases matched every post using the
word; only a `query` prevents that.
"""

from __future__ import annotations

import logging

import pytest

from grapevine.core.domain import Brand
from grapevine.core.query import Query
from grapevine.core.watchlist import (
    Watchlist,
    common_english_words,
    common_word_terms,
    warn_common_words,
)


@pytest.mark.parametrize("name", ["United", "American", "Delta", "Southwest"])
def test_the_airlines_of_the_issue_are_common_words(name: str) -> None:
    assert common_word_terms(Brand(name)) == [name]


def test_a_common_alias_of_a_specific_name_is_found_once() -> None:
    brand = Brand("United Airlines", aliases=("united airlines", "United", "united", "@united"))
    assert common_word_terms(brand) == ["United"]


@pytest.mark.parametrize(
    "brand",
    [
        Brand("Acme Air", aliases=("acme air", "acmeair", "@acmeair", "#acmeair")),
        Brand("Voltera", aliases=("voltera",)),
        Brand("Netflix"),  # the word means the brand: watching it bare is what one wants
        Brand("Delta Air Lines", aliases=("#delta", "@delta", "delta airlines")),
    ],
)
def test_specific_names_phrases_handles_and_hashtags_do_not_warn(brand: Brand) -> None:
    assert common_word_terms(brand) == []


def test_a_brand_with_a_query_does_not_warn() -> None:
    query = '"united airlines" OR (united AND (flight OR airline))'
    assert common_word_terms(Brand("United", aliases=("united",), query=query)) == []


def test_the_suggested_query_parses_and_does_what_it_says() -> None:
    [warning] = warn_common_words([Brand("Delta")])
    suggested = warning.split("query: '", 1)[1].split("' for an airline", 1)[0]
    query = Query.parse(suggested)
    assert query.matches("Delta lost my bag on the flight")
    assert query.matches("never flying delta airlines again")
    assert not query.matches("sunset over the Mississippi delta")


def test_loading_brands_yaml_warns_once_per_brand(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="grapevine.core.watchlist")
    Watchlist.from_yaml_text(
        """
brands:
  - name: United
    aliases: ["united airlines", "united"]
  - name: Acme Air
    aliases: ["acme air", "@acmeair"]
  - name: Southwest
    query: '"southwest airlines" OR (southwest AND flight)'
""",
        origin="brands.yaml",
    )
    messages = [r.getMessage() for r in caplog.records if r.name == "grapevine.core.watchlist"]
    assert len(messages) == 1
    assert messages[0].startswith("brands.yaml: brand 'United' is matched by 'United', a common")
    assert "has no query" in messages[0] and "README" in messages[0]


def test_the_shipped_list_is_the_common_words_only() -> None:
    words = common_english_words()
    assert 5_000 <= len(words) <= 10_000
    assert {"the", "united", "delta", "southwest", "apple", "target"} <= words
    assert not {"acme", "voltera", "globex", "netflix", "google"} & words
    assert all(w.isalpha() and w == w.lower() for w in words)


def test_the_readme_example_loads_without_a_warning_and_skips_other_deltas(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("  - name: Delta\n", 1)[1].split("  ```", 1)[0]
    caplog.set_level(logging.WARNING, logger="grapevine.core.watchlist")
    watchlist = Watchlist.from_yaml_text("brands:\n  - name: Delta\n" + example)
    assert not [r for r in caplog.records if r.name == "grapevine.core.watchlist"]
    assert [m.brand for m in watchlist.match("Delta lost my bag on flight 12")] == ["Delta"]
    assert watchlist.match("the delta variant and my flight") == []
    assert watchlist.match("a sunset over the Mississippi delta") == []
