"""Small, strict field readers shared by the ``parse_*`` functions of the API collectors.

Each raises :class:`InputError` naming the field, so a malformed item lands in quarantine with a
reason a person can act on, and never raises anything else (the hypothesis tests check that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from collectors.file import parse_timestamp
from grapevine.core.errors import InputError

MAX_TEXT_CHARS = 100_000


def obj(value: Any, name: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or an InputError naming it."""
    if not isinstance(value, Mapping):
        raise InputError(f"{name} must be a JSON object, got {type(value).__name__}")
    return value


def opt_obj(value: Any, name: str) -> Mapping[str, Any]:
    """Like :func:`obj`, but ``null``/absent is an empty object."""
    return {} if value is None else obj(value, name)


def req_str(item: Mapping[str, Any], key: str, name: str | None = None) -> str:
    value = opt_str(item, key, name)
    if value is None:
        raise InputError(f"{name or key} is missing")
    return value


def opt_str(item: Mapping[str, Any], key: str, name: str | None = None) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"{name or key} must be a string, got {type(value).__name__}")
    return str(value)  # SDKs hand out str subclasses (Mastodon.py's ids); store plain strings


def opt_int(item: Mapping[str, Any], key: str, name: str | None = None) -> int | None:
    """A non-negative whole number, or ``None`` when absent (the source did not say)."""
    value = item.get(key)
    if value is None:
        return None
    label = name or key
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{label} must be a number, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():
        raise InputError(f"{label} must be a whole number, got {value!r}")
    number = int(value)
    if abs(number) > 2**62:
        raise InputError(f"{label} is implausibly large ({number})")
    return number


def timestamp(value: Any, name: str) -> datetime:
    """ISO 8601 or epoch seconds -> aware UTC datetime; InputError naming the field."""
    if value is None:
        raise InputError(f"{name} is missing")
    try:
        return parse_timestamp(value)
    except InputError as exc:
        raise InputError(exc.message.replace("created_at", name, 1)) from None


def epoch(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} must be epoch seconds, got {type(value).__name__}")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InputError(f"{name} {value!r} is out of range") from exc


def text_field(text: str, name: str = "text") -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{name} has {len(text):,} characters, over the {MAX_TEXT_CHARS:,} limit")
    return text


class _TextExtractor(HTMLParser):
    """HTML -> plain text: block elements and ``<br>`` become line breaks, tags disappear."""

    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_BLANKS = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Mastodon and HN send HTML; the classifiers and the matcher want plain text."""
    if "<" not in markup and "&" not in markup:
        return markup
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return _BLANKS.sub("\n\n", "".join(parser.parts)).strip()
