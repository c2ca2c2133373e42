"""Text normalisation and the advocacy model's target-marked input."""

from __future__ import annotations

from nlp.text import MAX_CHARS, OTHER_MARKER, TARGET_MARKER, advocacy_text, locate_brand, normalise


def test_nul_and_control_characters_are_removed() -> None:
    assert normalise("good\x00 day\x07 to\x1b you") == "good day to you"


def test_lone_surrogates_never_survive() -> None:
    out = normalise("bad \ud83d half emoji")
    out.encode("utf-8")  # would raise on a surrogate
    assert "half emoji" in out


def test_emoji_become_words_the_vocabulary_knows() -> None:
    assert normalise("new phone 😍🔥") == "new phone smiling face with heart-eyes fire"


def test_urls_and_mentions_are_canonical() -> None:
    assert normalise("@AcmeAir see https://t.co/abc?x=1 and {link}") == "@user see http and http"


def test_html_entities_and_literal_escapes_are_decoded() -> None:
    assert normalise("Tom &amp;amp; Jerry don\\u2019t &lt;3") == "Tom & Jerry don’t <3"


def test_repeated_characters_are_capped() -> None:
    assert normalise("sooooooo gooooood!!!!!!!") == "sooo goood!!!"


def test_odd_unicode_is_folded() -> None:
    assert normalise("𝐠𝐫𝐞𝐚𝐭 ｐｈｏｎｅ") == "great phone"


def test_huge_posts_keep_head_and_tail() -> None:
    text = "START " + "blah " * 100_000 + " END"
    out = normalise(text)
    assert len(out) <= MAX_CHARS + 5
    assert out.startswith("START") and out.endswith("END")


def test_empty_and_whitespace() -> None:
    assert normalise("") == ""
    assert normalise(" \n\t ") == ""


def test_locate_brand_matches_tags_handles_and_joined_forms() -> None:
    text = "Flying #AcmeAir again, thanks @acme_air and Acme Air crew; not acmeairline"
    assert len(locate_brand(text, "Acme Air")) == 3


def test_target_is_marked_and_other_brands_masked() -> None:
    text = "Switched from Globex to Acme, best decision ever"
    marked = advocacy_text(text, "Acme", 24, 28, other_spans=((14, 20),))
    assert marked == f"Switched from {OTHER_MARKER} to {TARGET_MARKER} , best decision ever"


def test_target_found_by_name_when_no_span() -> None:
    assert advocacy_text("I love acme!", "Acme") == f"I love {TARGET_MARKER} !"


def test_unfound_target_is_prefixed() -> None:
    assert advocacy_text("great phone", "Acme").startswith(f"{TARGET_MARKER} :")


def test_long_post_keeps_a_window_around_the_target() -> None:
    text = "filler " * 2000 + "Acme is the best" + " filler" * 2000
    marked = advocacy_text(text, "Acme")
    assert TARGET_MARKER in marked
    assert len(marked) < 3000
