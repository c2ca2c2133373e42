"""Make text safe for PostgreSQL without losing what it says.

Postgres rejects ``\\x00`` in ``text`` and ``\\u0000`` in ``jsonb``, and psycopg2 cannot encode
lone surrogates (which ``json.loads`` happily produces from ``"\\ud800"``). One bad post must not
abort a batch of five thousand, so every string is cleaned before it is loaded.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """Drop NUL characters and replace lone surrogates with U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(REPLACEMENT, text)
    return text


def clean_json(value: Any) -> Any:
    """:func:`clean_text` applied to every string (keys included) of a JSON-like value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # NaN/Infinity are not JSON; jsonb would reject them
    return value
