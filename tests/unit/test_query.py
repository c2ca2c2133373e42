"""The watchlist query language: precedence, word boundaries, Unicode, errors, and properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from grapevine.core.errors import QuerySyntaxError
from grapevine.core.query import Query, fold, fold_with_offsets


def q(query: str, text: str) -> bool:
    return Query.parse(query).matches(text)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("apple", "I love Apple pie", True),
        ("apple", "pineapple juice", False),
        ("apple", "apples are great", False),
        ("apple*", "apples are great", True),
        ("apple", "#apple launch", True),
        ("apple", "@apple support", True),
        ("#apple", "apple launch", False),
        ("#apple", "the #Apple launch", True),
        ("@acmeair", "thanks @AcmeAir!", True),
        ("@acmeair", "thanks acmeair!", False),
        ('"acme air"', "Flew ACME   air today", True),
        ('"acme air"', "acme fryer air", False),
        ("acme AND air", "air is fine at acme", True),
        ("acme air", "air is fine at acme", True),  # implicit AND
        ("acme OR globex", "globex only", True),
        ("acme AND NOT fryer", "acme air fryer", False),
        ("acme -fryer", "acme air", True),
        ("acme -fryer", "acme fryer", False),
        ("e-bike", "my new e-bike rocks", True),
        ("e-bike", "my new ebike rocks", False),
        ("café", "CAFE au lait", True),
        ("cafe", "Café au lait", True),
        ("straße", "STRASSE closed", True),
        ("ｖｏｌｔｅｒａ", "voltera", True),  # full-width letters fold to ASCII
        ("voltera", "Vol\u200btera is great", True),  # zero-width space does not dodge the match
        ("ボルテラ", "新しいボルテラの自転車", True),  # no word boundaries in Japanese
        ("🍎", "I ❤️ 🍎 so much", True),
        ("and", "this AND that", True),  # lower-case words are terms, not operators
    ],
)
def test_matching(query: str, text: str, expected: bool) -> None:
    assert q(query, text) is expected


def test_precedence_and_binds_tighter_than_or() -> None:
    query = "a OR b AND c"
    assert q(query, "a")
    assert not q(query, "b")
    assert q(query, "b c")
    assert not q("(a OR b) AND c", "a")


def test_not_applies_to_group() -> None:
    assert q('acme AND NOT ("air fryer" OR toaster)', "acme air")
    assert not q('acme AND NOT ("air fryer" OR toaster)', "acme toaster")


def test_design_example() -> None:
    query = '("acme air" OR acmeair) AND NOT "air fryer"'
    assert q(query, "Acme Air lost my bag")
    assert q(query, "#acmeair delays again")
    assert not q(query, "Acme Air fryer review")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ("(acme", "missing ')'"),
        ("acme)", "unexpected ')'"),
        ('"acme', "unclosed quote"),
        ("acme AND", "query ends"),
        ("OR acme", "expected a term"),
        ("()", "empty parentheses"),
        ('""', "empty phrase"),
        ("#", "no letters"),
        ("¸", "no letters"),  # a lone cedilla folds to nothing
    ],
)
def test_syntax_errors_say_where(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        Query.parse(query)
    assert message in str(info.value)
    assert info.value.position <= len(query)


def test_fold_offsets_point_into_original() -> None:
    text = "Ünïcode ßtraße café"
    folded, offsets = fold_with_offsets(text)
    assert folded == fold(text)
    assert len(offsets) == len(folded)
    start = folded.index("strasse")
    assert text[offsets[start] : offsets[start + len("strasse") - 1] + 1] == "ßtraße"


words = st.text(alphabet=st.characters(categories=["Ll", "Lu"]), min_size=1, max_size=12)
texts = st.text(max_size=80)


@given(word=words, left=texts, right=texts)
def test_a_word_matches_when_it_stands_alone(word: str, left: str, right: str) -> None:
    assume(fold(word).strip() and " " not in fold(word) and fold(word).isalpha())
    assume(fold(word) not in {"and", "or", "not"} and word not in {"AND", "OR", "NOT"})
    assert Query.parse(word).matches(f"{left} {word} {right}")


@given(word=words, prefix=st.sampled_from(["x", "pine", "9", "é"]))
def test_a_word_never_matches_inside_a_longer_word(word: str, prefix: str) -> None:
    assume(fold(word).isalpha() and word not in {"AND", "OR", "NOT"})
    assume(not any("\u3040" <= c <= "\u9fff" for c in word))
    assert not Query.parse(word).matches(f"{prefix}{word}")


@given(a=words, b=words, text=texts)
def test_de_morgan(a: str, b: str, text: str) -> None:
    for w in (a, b):
        assume(fold(w).isalpha() and w not in {"AND", "OR", "NOT"})
    left = Query.parse(f'NOT ("{a}" OR "{b}")').matches(text)
    right = Query.parse(f'NOT "{a}" AND NOT "{b}"').matches(text)
    assert left == right


@given(st.text(max_size=60))
def test_parser_only_raises_syntax_errors(query: str) -> None:
    try:
        parsed = Query.parse(query)
    except QuerySyntaxError:
        return
    parsed.matches(query)  # evaluating on arbitrary text never raises
