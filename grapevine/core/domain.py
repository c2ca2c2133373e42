"""Domain types shared by every stage: posts, brands, labels.

This module imports nothing of ours so that collectors, the NLP
package and the warehouse can all depend on it without depending on each other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Sentiment(enum.StrEnum):
    """Sentiment of a whole post."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Advocacy(enum.StrEnum):
    """Stance of one post toward one brand, from another customer's point of view."""

    ADVOCACY = "advocacy"
    BADVOCACY = "badvocacy"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Engagement:
    """Public reactions to a post. ``None`` means the source does not report that number."""

    likes: int | None = None
    replies: int | None = None
    reposts: int | None = None
    score: int | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """A normalised social post, whatever its source.

    ``author_key`` is a keyed hash of the source's author id (see ``grapevine.core.privacy``); the
    handle is kept in ``author_handle`` only when settings allow it. ``created_at`` is always
    timezone-aware UTC. ``raw`` is the payload as received, so nothing is lost if parsing improves.
    """

    source: str
    source_id: str
    created_at: datetime
    text: str
    url: str | None = None
    author_key: str | None = None
    author_handle: str | None = None
    author_followers: int | None = None
    lang: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    engagement: Engagement = field(default_factory=Engagement)
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError("Post.created_at must be timezone-aware (UTC)")


@dataclass(frozen=True, slots=True)
class Brand:
    """A watched brand as declared in ``brands.yaml``."""

    name: str
    aliases: tuple[str, ...] = ()
    query: str | None = None
    owned_handles: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        """A stable, URL- and file-safe identifier derived from the name."""
        out = []
        for ch in self.name.casefold():
            out.append(ch if ch.isalnum() else "-")
        slug = "".join(out).strip("-")
        while "--" in slug:
            slug = slug.replace("--", "-")
        return slug


@dataclass(frozen=True, slots=True)
class BrandMention:
    """Where a brand is mentioned in a post.

    ``start``/``end`` are character offsets of the first alias found in the text (``None`` when
    the brand's query matched but no alias occurs, e.g. a query on a product name only). The
    advocacy model marks this span as its target. ``brand_owned`` is true when the post was
    written by one of the brand's own accounts: such posts are not customer-to-customer.
    """

    brand: str
    start: int | None
    end: int | None
    alias: str | None
    brand_owned: bool = False


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """Input that could not become a ``Post``, kept with the reason so nothing is silently lost."""

    source: str
    error: str
    payload: str
    source_ref: str | None = None
    line_no: int | None = None
    source_id: str | None = None
