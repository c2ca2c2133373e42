"""Language identification: English is classified, confident other languages are not."""

from __future__ import annotations

import pytest

from nlp.lang import detect_language


@pytest.mark.parametrize(
    "text",
    [
        "Just switched to Acme and I love it, the service is great",
        "worst flight of my life",
        "lol ok",
        "@user #acme",
    ],
)
def test_english_and_short_posts_are_supported(text: str) -> None:
    assert detect_language(text)[1] is True


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Me encanta este teléfono, es el mejor que he tenido nunca", "es"),
        ("Ich hasse diesen Laden, nie wieder kaufe ich dort ein", "de"),
        ("Ce produit est vraiment nul, je ne le recommande pas du tout", "fr"),
    ],
)
def test_other_languages_are_unsupported(text: str, lang: str) -> None:
    assert detect_language(text) == (lang, False)


def test_no_words_means_unknown_but_classified() -> None:
    assert detect_language("😀😀 https://x.co") == (None, True)
