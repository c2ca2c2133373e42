"""brands.yaml loading and brand matching (query decides, aliases locate, owned handles)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grapevine.core.errors import WatchlistError
from grapevine.core.watchlist import Watchlist

YAML = """
brands:
  - name: Acme Air
    aliases: ["acme air", "acmeair", "@acmeair", "#acmeair"]
    query: '("acme air" OR acmeair) AND NOT "air fryer"'
    owned_handles: ["acmeair"]
    competitors: ["Globex Airlines"]
  - name: Globex Airlines
    aliases: ["globex"]
  - name: Café Noir
    aliases: ["cafe noir"]
"""


@pytest.fixture
def watchlist() -> Watchlist:
    return Watchlist.from_yaml_text(YAML)


def test_brands_are_loaded(watchlist: Watchlist) -> None:
    names = [b.name for b in watchlist.brands]
    assert names == ["Acme Air", "Globex Airlines", "Café Noir"]
    assert watchlist.brands[0].competitors == ("Globex Airlines",)
    assert watchlist.brands[2].slug == "café-noir"


def test_query_decides_and_alias_locates(watchlist: Watchlist) -> None:
    text = "Switched from Globex to ACME AIR, best decision ever"
    mentions = {m.brand: m for m in watchlist.match(text)}
    assert set(mentions) == {"Acme Air", "Globex Airlines"}
    acme = mentions["Acme Air"]
    assert acme.start is not None and acme.end is not None
    assert text[acme.start : acme.end] == "ACME AIR"
    globex = mentions["Globex Airlines"]
    assert text[globex.start : globex.end] == "Globex"


def test_query_excludes_even_when_alias_present(watchlist: Watchlist) -> None:
    assert [m.brand for m in watchlist.match("my acme air fryer broke")] == []


def test_alias_without_query_matches_on_word_boundaries(watchlist: Watchlist) -> None:
    assert [m.brand for m in watchlist.match("globexing is not a word")] == []
    assert [m.brand for m in watchlist.match("#globex again")] == ["Globex Airlines"]


def test_accented_mention_located_in_original_text(watchlist: Watchlist) -> None:
    text = "Le CAFÉ NOIR est fermé"
    (m,) = watchlist.match(text)
    assert m.brand == "Café Noir"
    assert text[m.start : m.end] == "CAFÉ NOIR"  # type: ignore[misc]


def test_owned_handle_marks_post_as_not_c2c(watchlist: Watchlist) -> None:
    (m,) = watchlist.match("Big sale on #acmeair flights", author_handle="@AcmeAir")
    assert m.brand_owned
    assert watchlist.is_owned_handle("ACMEAIR")
    assert not watchlist.is_owned_handle("someone")
    assert not watchlist.is_owned_handle(None)
    (m,) = watchlist.match("Big sale on #acmeair flights", author_handle="someone")
    assert not m.brand_owned


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("brands: [", "not valid YAML"),
        ("brands: []", "brands"),
        ("nothing: 1", "brands"),
        ("brands:\n  - aliases: [x]", "name"),
        ("brands:\n  - name: A\n    query: '(a'", "bad query"),
        ("brands:\n  - name: A\n  - name: a", "listed twice"),
        ("brands:\n  - name: A\n    competitors: [B]", "unknown competitors"),
        ("brands:\n  - name: A\n    colour: red", "colour"),
    ],
)
def test_invalid_watchlists_say_what_is_wrong(yaml_text: str, message: str) -> None:
    with pytest.raises(WatchlistError) as info:
        Watchlist.from_yaml_text(yaml_text)
    assert message in str(info.value)


def test_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError) as info:
        Watchlist.from_yaml(tmp_path / "nope.yaml")
    assert "GRAPEVINE_BRANDS_FILE" in str(info.value)
