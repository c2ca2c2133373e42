"""Broken watchlists and queries fail with a message that says what to fix (#12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grapevine.core.errors import QuerySyntaxError, WatchlistError
from grapevine.core.query import MAX_NESTING, Query
from grapevine.core.watchlist import Watchlist


@pytest.mark.parametrize(
    "query",
    [
        "(" * 250 + "acme" + ")" * 250,
        "NOT " * 3_000 + "acme",
        "-" * 3_000 + "acme",
        "(NOT " * 200 + "acme" + ")" * 200,
    ],
    ids=["250 parentheses", "3,000 NOTs", "3,000 minus signs", "200 NOT groups"],
)
def test_deeply_nested_queries_are_a_syntax_error(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match=f"nest more than {MAX_NESTING} levels"):
        Query.parse(query)


def test_nesting_up_to_the_limit_parses_and_matches() -> None:
    half = MAX_NESTING // 2
    query = "(NOT " * half + "acme" + ")" * half
    assert Query.parse(query).matches("acme") is (half % 2 == 0)
    assert Query.parse("(" * MAX_NESTING + "acme" + ")" * MAX_NESTING).matches("acme air")


def test_a_deep_query_in_brands_yaml_is_a_watchlist_error() -> None:
    text = "brands:\n  - name: Acme\n    query: '" + "(" * 300 + "acme" + ")" * 300 + "'\n"
    with pytest.raises(WatchlistError, match="bad query: parentheses and NOTs nest"):
        Watchlist.from_yaml_text(text)


@pytest.mark.parametrize("alias", ["!!!", "@", "...", "#", "\u200b", "?!"])
def test_punctuation_only_aliases_are_rejected(alias: str) -> None:
    text = f'brands:\n  - name: Acme\n    aliases: ["acme", "{alias}"]\n'
    with pytest.raises(WatchlistError, match="has no letters, digits or symbols") as info:
        Watchlist.from_yaml_text(text)
    assert "alias" in info.value.message and info.value.hint


def test_aliases_with_content_are_kept() -> None:
    text = 'brands:\n  - name: Acme\n    aliases: ["#acme", "@acme_air", "a.c.m.e", "🚲"]\n'
    assert Watchlist.from_yaml_text(text).match("love my 🚲") != []


def test_a_non_utf8_watchlist_says_so(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_bytes("brands:\n  - name: Café\n".encode("latin-1"))
    with pytest.raises(WatchlistError, match="is not UTF-8") as info:
        Watchlist.from_yaml(path)
    assert "UTF-8" in (info.value.hint or "")


def test_a_watchlist_that_is_a_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "brands.yaml").mkdir()
    with pytest.raises(WatchlistError, match="is a folder"):
        Watchlist.from_yaml(tmp_path / "brands.yaml")


@pytest.mark.parametrize("name", ["!!!", "\u200b"])
def test_a_punctuation_only_brand_name_is_rejected(name: str) -> None:
    with pytest.raises(WatchlistError, match=r"name .* has no letters, digits or symbols"):
        Watchlist.from_yaml_text(f'brands:\n  - name: "{name}"\n    aliases: ["acme"]\n')
