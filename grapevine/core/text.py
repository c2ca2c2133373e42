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
MAX_JSON_DEPTH = 64
"""Deeper payloads are not social posts: they are refused (``json_depth``) before the recursive
walks here and in ``grapevine.core.privacy``, which would otherwise hit Python's recursion limit."""
TOO_DEEP = "[nested too deeply]"


def clean_text(text: str) -> str:
    """Drop NUL characters and replace lone surrogates with U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(REPLACEMENT, text)
    return text


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``value`` nests lists and objects, counting no further than ``limit + 1``.

    Iterative, so that a hostile 100,000-deep array costs a loop, not a RecursionError.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def clean_json(value: Any, _depth: int = 0) -> Any:
    """:func:`clean_text` applied to every string (keys included) of a JSON-like value.

    Containers nested past ``MAX_JSON_DEPTH`` become a marker string: collectors refuse such
    payloads earlier, so this only keeps a load from crashing if one slips through.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict | list | tuple) and _depth >= MAX_JSON_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v, _depth + 1) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # NaN/Infinity are not JSON; jsonb would reject them
    return value
