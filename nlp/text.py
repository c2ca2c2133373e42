"""Text normalisation for social posts, and the target-marked input of the advocacy model.

The shipped encoder has an uncased WordPiece vocabulary trained on clean English, so the
job here is to turn what social text throws at it (emoji, URLs, handles, HTML entities,
stretched words, odd Unicode, huge posts, NUL bytes) into something it has seen, while keeping
the meaning: emoji become words instead of ``[UNK]``.

Pure functions only: no model, no I/O, cheap to import.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

import emoji

if TYPE_CHECKING:
    from nlp.types import AdvocacyInput

#: The vocabulary's ``[unused0]``/``[unused1]`` rows, given trained embeddings by the advocacy
#: model: one marks the target brand, the other masks every other brand, so the model learns
#: stance toward "the marked entity" rather than facts about brands in its training data.
TARGET_MARKER = "[unused0]"
OTHER_MARKER = "[unused1]"
MARKERS = (TARGET_MARKER, OTHER_MARKER)

#: Posts longer than this many characters are cut (head and tail kept) before tokenising; the
#: model sees at most ``max_len`` tokens anyway, and normalising megabytes would be wasted work.
MAX_CHARS = 2000
#: Around an advocacy target, keep this many characters on each side in very long posts.
TARGET_WINDOW = 600

_URL = re.compile(r"(?:https?://|www\.)\S+|\{link\}", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w{1,30}")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_REPEAT_CHAR = re.compile(r"(\w)\1{3,}")
_REPEAT_PUNCT = re.compile(r"([!?.,*~\-=_])\1{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")


def _escape_to_char(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    # Lone surrogates from a half-escaped emoji pair cannot be encoded anywhere: drop them.
    return "" if 0xD800 <= ord(char) <= 0xDFFF else char


def _demojize(text: str) -> str:
    # ":smiling_face_with_heart-eyes:" -> " smiling face with heart-eyes " (words the vocab knows).
    out = emoji.demojize(text, delimiters=(" :", ": "))
    if ":" not in out:
        return out
    return re.sub(
        r" :([a-z0-9_&.'’\-]+): ", lambda m: " " + m.group(1).replace("_", " ") + " ", out
    )


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    # The opening usually states the topic and the ending the verdict: keep both.
    head = max_chars * 3 // 4
    return text[:head] + " … " + text[-(max_chars - head) :]


def normalise(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """Return ``text`` cleaned for the encoder (safe on any ``str``, never raises).

    NUL and control characters and lone surrogates go; HTML entities and literal ``\\uXXXX``
    escapes are decoded; NFKC folds compatibility forms (full-width and "bold" letters);
    URLs become ``http`` and handles ``@user`` (as in TweetEval, the training data); emoji
    become their names; letters repeated four or more times are cut to three; very long posts
    keep their head and tail.
    """
    if not text:
        return ""
    text = _clip(text, max_chars * 2)
    if "\\u" in text:
        text = _UNICODE_ESCAPE.sub(_escape_to_char, text)
    if "&" in text:
        for _ in range(2):  # "&amp;amp;" is common in re-posted text
            unescaped = html.unescape(text)
            if unescaped == text:
                break
            text = unescaped
    # The costly Unicode steps only run on the posts that need them (most are ASCII).
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
        text = unicodedata.normalize("NFKC", text)
        text = _demojize(text)
    text = _CONTROL.sub(" ", text)
    text = _URL.sub(" http ", text)
    text = _MENTION.sub("@user", text)
    text = _REPEAT_CHAR.sub(r"\1\1\1", text)
    text = _REPEAT_PUNCT.sub(r"\1\1\1", text)
    text = _SPACE.sub(" ", text).strip()
    return _clip(text, max_chars)


def brand_pattern(brand: str) -> re.Pattern[str] | None:
    """Case-insensitive whole-word pattern for ``brand``, its ``#tag``/``@handle``/joined forms."""
    words = [w for w in re.split(r"\s+", brand.strip().lstrip("#@")) if w]
    if not words:
        return None
    spaced = r"[\s_-]*".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)[#@]?{spaced}(?!\w)", re.IGNORECASE)


def locate_brand(text: str, brand: str) -> list[tuple[int, int]]:
    """All character spans where ``brand`` is mentioned in ``text`` (empty when none)."""
    pattern = brand_pattern(brand)
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _merge(spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if out and start < out[-1][1]:
            # Overlap: the target wins, so a brand nested in another's alias stays visible.
            prev = out[-1]
            kind = TARGET_MARKER if TARGET_MARKER in (kind, prev[2]) else kind
            out[-1] = (prev[0], max(prev[1], end), kind)
        else:
            out.append((start, end, kind))
    return out


def advocacy_text(
    text: str,
    brand: str,
    start: int | None = None,
    end: int | None = None,
    other_spans: Sequence[tuple[int, int]] = (),
) -> str:
    """Build the advocacy model's input: the target marked, other brands masked, then normalised.

    The target is the span ``start:end`` when given (plus every other mention of the same
    brand name), else every mention of ``brand`` found in the text. When the brand is not
    found the marker is put in front, so the model still knows the post is judged for one
    (unnamed) entity. Very long posts keep a window around the first target mention.
    """
    text = text or ""
    n = len(text)
    targets = locate_brand(text, brand) if brand else []
    if start is not None and end is not None and 0 <= start < end <= n:
        targets.append((start, end))
    others = [(s, e) for s, e in other_spans if 0 <= s < e <= n]
    spans = _merge(
        [(s, e, TARGET_MARKER) for s, e in targets] + [(s, e, OTHER_MARKER) for s, e in others]
    )

    lo, hi = 0, n
    if n > 2 * TARGET_WINDOW + 200:
        first = next((s for s, _, k in spans if k == TARGET_MARKER), 0)
        lo = max(0, first - TARGET_WINDOW)
        hi = min(n, first + TARGET_WINDOW)
        spans = [(max(s, lo), min(e, hi), k) for s, e, k in spans if e > lo and s < hi]

    pieces: list[str] = []
    pos = lo
    for s, e, kind in spans:
        pieces.append(normalise(text[pos:s]))
        pieces.append(kind)
        pos = e
    pieces.append(normalise(text[pos:hi]))
    marked = " ".join(p for p in pieces if p)
    if TARGET_MARKER not in marked:
        marked = f"{TARGET_MARKER} : {marked}"
    return marked


#: Separates a reply from the post it answers in the advocacy model's input (a vocab token).
CONTEXT_SEPARATOR = "[SEP]"


def reply_text(
    reply: str,
    brand: str,
    context: str,
    context_spans: Sequence[tuple[int, int]] = (),
    context_other_spans: Sequence[tuple[int, int]] = (),
    *,
    reply_spans: Sequence[tuple[int, int]] = (),
    reply_other_spans: Sequence[tuple[int, int]] = (),
) -> str:
    """The advocacy input for a reply judged toward the brand of the post it answers.

    ``[unused0] : <reply, brand marked if named> [SEP] <parent, brand marked>``: the reply
    comes first so that truncation to the model's length cuts the parent's tail, never the
    reply; the leading marker says "the verdict is about the marked entity", and the parent
    after the separator tells the model what "same here" or "don't" refers to.
    """
    start, end = reply_spans[0] if reply_spans else (None, None)
    head = advocacy_text(
        reply, brand, start, end, tuple(reply_spans[1:]) + tuple(reply_other_spans)
    )
    if not head.startswith(f"{TARGET_MARKER} :"):
        head = f"{TARGET_MARKER} : {head}"
    cstart, cend = context_spans[0] if context_spans else (None, None)
    parent = advocacy_text(context, brand, cstart, cend, tuple(context_other_spans)).removeprefix(
        f"{TARGET_MARKER} : "
    )
    return f"{head} {CONTEXT_SEPARATOR} {parent}"


def model_input(item: AdvocacyInput) -> str:
    """The advocacy model's input text for one (post, brand) pair, reply or not."""
    if item.context is not None:
        return reply_text(
            item.text,
            item.brand,
            item.context,
            item.context_spans,
            item.context_other_spans,
            reply_spans=((item.start, item.end),)
            if item.start is not None and item.end is not None
            else (),
            reply_other_spans=item.other_spans,
        )
    return advocacy_text(item.text, item.brand, item.start, item.end, item.other_spans)
