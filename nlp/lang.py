"""Language identification, so that the English-only models never guess on other languages.

py3langid is fast (tens of microseconds a post) but unreliable on very short or
handle-and-hashtag-only posts, so a post is only called non-English when the detector is
confident and there are enough words to be confident about; otherwise it is classified.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Languages the shipped models were trained on.
SUPPORTED_LANGUAGES = frozenset({"en"})
#: Minimum probability (after normalising langid's scores) to overrule English.
MIN_CONFIDENCE = 0.9
#: Minimum number of alphabetic words before a non-English verdict is trusted.
MIN_WORDS = 4

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\{link\}|&\w+;")
_WORD = re.compile(r"[^\W\d_]{2,}")
#: Function words that are English-only (no "a", "in", "die", "on"...): a post with several
#: of them is English, without paying for langid (the slowest step of pre-processing).
_ENGLISH = frozenset(
    {
        "the",
        "and",
        "you",
        "that",
        "this",
        "with",
        "have",
        "for",
        "not",
        "are",
        "was",
        "but",
        "what",
        "they",
        "just",
        "your",
        "will",
        "can",
        "my",
        "me",
        "is",
        "so",
        "be",
        "of",
        "to",
        "at",
        "we",
        "our",
        "all",
        "get",
        "got",
        "about",
        "from",
        "like",
        "when",
        "would",
    }
)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, bool]:
    """Return ``(iso 639-1 code or None, supported by the shipped models)``.

    ``None`` means there is not enough text to tell (emoji only, a link, a handle); such posts
    are treated as supported, since the model can still read emoji names and a few words.
    """
    cleaned = _NOISE.sub(" ", text or "")
    words = _WORD.findall(cleaned)
    if not words:
        return None, True
    lowered = [w.lower() for w in words]
    hits = sum(1 for w in lowered if w in _ENGLISH)
    if hits >= 3 and hits * 4 >= len(lowered):
        return "en", True
    lang, prob = _identifier().classify(cleaned)
    if lang in SUPPORTED_LANGUAGES:
        return lang, True
    if len(words) < MIN_WORDS or prob < MIN_CONFIDENCE:
        # Too little evidence against English: short English posts are often misread as
        # another language (e.g. "lol ok" or brand-name lists), so keep classifying them.
        return "en", True
    return lang, False
