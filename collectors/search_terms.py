"""Translate a brand's boolean query into each API's own search syntax.

The APIs only *pre-filter*: the pipeline matches every collected post against the watchlist
exactly (``grapevine.core.watchlist``), so a translation may be broader than the query but never
narrower. When a query uses something an API cannot express (prefix wildcards, or a query too
long for X's 512-character limit), we search the brand's name and aliases instead and rely on
that exact matching afterwards.
"""

from __future__ import annotations

from grapevine.core.domain import Brand
from grapevine.core.query import And, Node, Not, Or, Query, Term

X_MAX_QUERY = 512
_X_SUFFIX = " -is:retweet"


class UnsupportedQueryError(Exception):
    """The query uses a construct the target syntax lacks."""


def _terms(brand: Brand) -> list[str]:
    """The brand's name and aliases, de-duplicated case-insensitively, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for term in (brand.name, *brand.aliases):
        key = term.casefold().strip()
        if key and key not in seen:
            seen.add(key)
            out.append(term.strip())
    return out


def _quote(text: str, *, keep_sigils: bool) -> str:
    if text.endswith("*"):
        raise UnsupportedQueryError("prefix wildcard")
    if not keep_sigils:
        text = text.lstrip("#@")
    text = text.replace('"', "")
    return f'"{text}"' if any(not c.isalnum() and c not in "#@_" for c in text) else text


def _render(node: Node, *, neg: str, keep_sigils: bool) -> str:
    """Boolean syntax shared by Lucene-like engines; ``neg`` is "NOT " or "-"."""
    if isinstance(node, Term):
        return _quote(node.text, keep_sigils=keep_sigils)
    if isinstance(node, Not):
        return neg + _render(node.operand, neg=neg, keep_sigils=keep_sigils)
    if isinstance(node, And):
        joiner = " AND " if neg == "NOT " else " "
        return (
            "("
            + joiner.join(_render(o, neg=neg, keep_sigils=keep_sigils) for o in node.operands)
            + ")"
        )
    if isinstance(node, Or):
        return (
            "("
            + " OR ".join(_render(o, neg=neg, keep_sigils=keep_sigils) for o in node.operands)
            + ")"
        )
    raise UnsupportedQueryError(type(node).__name__)


def _strip_outer(text: str) -> str:
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        return text[1:-1]
    return text


def _aliases_or(brand: Brand, *, keep_sigils: bool) -> str:
    parts = []
    for term in _terms(brand):
        try:
            parts.append(_quote(term, keep_sigils=keep_sigils))
        except UnsupportedQueryError:
            parts.append(_quote(term.rstrip("*"), keep_sigils=keep_sigils))
    return " OR ".join(dict.fromkeys(parts))


def lucene_query(brand: Brand) -> str:
    """Reddit and Bluesky: AND, OR, NOT and quoted phrases; no sigils (Reddit drops them)."""
    if brand.query:
        try:
            return _strip_outer(
                _render(Query.parse(brand.query).root, neg="NOT ", keep_sigils=False)
            )
        except UnsupportedQueryError:
            pass
    return _aliases_or(brand, keep_sigils=False)


def x_query(brand: Brand) -> str:
    """X API v2: space is AND, ``OR``, ``-`` negates, hashtags and @mentions are native.

    ``-is:retweet`` saves quota: plain retweets duplicate their original, which we collect.
    """
    body = None
    if brand.query:
        try:
            body = _strip_outer(_render(Query.parse(brand.query).root, neg="-", keep_sigils=True))
        except UnsupportedQueryError:
            body = None
    if body is None or len(body) + len(_X_SUFFIX) + 2 > X_MAX_QUERY:
        body = _aliases_or(brand, keep_sigils=True)
    if len(body) + len(_X_SUFFIX) + 2 > X_MAX_QUERY:
        body = _quote(brand.name, keep_sigils=True)
    return f"({body}){_X_SUFFIX}" if " OR " in body else body + _X_SUFFIX


def algolia_query(brand: Brand) -> tuple[str, list[str]]:
    """Hacker News (Algolia): words are ANDed unless listed in ``optionalWords``.

    Algolia has no OR between phrases, so we search every alias word as optional: broad, and
    the pipeline's exact matching narrows it again.
    """
    words: list[str] = []
    for term in _terms(brand):
        for word in term.lstrip("#@").rstrip("*").replace('"', "").split():
            if word.casefold() not in {w.casefold() for w in words}:
                words.append(word)
    return " ".join(words), list(words)


def mastodon_hashtags(brand: Brand) -> list[str]:
    """Hashtags to follow: ``#aliases`` plus the name and one-word aliases written as tags."""
    tags: list[str] = []
    for term in _terms(brand):
        tag = "".join(ch for ch in term.lstrip("#@") if ch.isalnum() or ch == "_")
        taggable = term.startswith("#") or " " not in term.strip() or term == brand.name
        if taggable and tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def mastodon_search(brand: Brand) -> str:
    """Mastodon's full-text search has no operators: search the brand's name."""
    return brand.name
