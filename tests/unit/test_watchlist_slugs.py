"""Brand names that the warehouse cannot tell apart are a configuration error at load."""

from __future__ import annotations

import pytest

from grapevine.core.errors import WatchlistError
from grapevine.core.watchlist import Watchlist


@pytest.mark.parametrize(
    ("first", "second", "said"),
    [
        ("Acme Air", "Acme-Air", "the identifier 'acme-air'"),
        ("Acme Air", "acme  air!", "the identifier 'acme-air'"),
        ("!!!", "???", "no letters or digits"),
    ],
)
def test_names_that_share_a_slug_are_rejected_with_both_names(
    first: str, second: str, said: str
) -> None:
    text = f"brands:\n  - name: {first!r}\n  - name: {second!r}\n"
    with pytest.raises(WatchlistError) as caught:
        Watchlist.from_yaml_text(text)
    assert repr(first) in caught.value.message and repr(second) in caught.value.message
    assert said in caught.value.message
    assert caught.value.hint and "rename" in caught.value.hint


def test_distinct_slugs_load() -> None:
    w = Watchlist.from_yaml_text("brands:\n  - name: Acme Air\n  - name: Acme Airlines\n")
    assert [b.slug for b in w.brands] == ["acme-air", "acme-airlines"]
