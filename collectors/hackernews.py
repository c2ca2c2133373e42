"""Hacker News through its public Algolia search API: stories and comments, newest first.

``GET /api/v1/search_by_date`` with ``tags=(story,comment)`` and the window as
``numericFilters=created_at_i>=…,created_at_i<…``, paged by ``page`` up to ``nbPages``. Algolia
serves at most 1,000 hits per query, so when a window holds more, the sweep narrows its upper
edge to the oldest hit seen and starts again at page 0 (the token carries both). No credentials.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import requests

from collectors.http import GatedSession
from collectors.paging import Bounds, Fetched, Stream, SweepCollector
from collectors.parsing import epoch, html_to_text, obj, opt_int, opt_str, req_str, text_field
from collectors.search_terms import algolia_query
from grapevine.core.domain import Brand, Engagement, Post
from grapevine.core.errors import InputError
from grapevine.core.privacy import Pseudonymiser

SOURCE = "hackernews"  # its spec in collectors.registry.SOURCES
ITEM_URL = "https://news.ycombinator.com/item?id={}"
MAX_HITS = 1000  # Algolia's paginationLimitedTo on the HN index


def _tags(hit: Any) -> list[str]:
    tags = hit.get("_tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputError("_tags must be a list of strings")
    return tags


def parse_hit(hit: Any, pseudo: Pseudonymiser) -> Post | None:
    """One Algolia hit (story or comment) -> ``Post``; deleted items -> ``None``."""
    hit = obj(hit, "hit")
    object_id = req_str(hit, "objectID")
    if not object_id.isdigit():
        raise InputError(f"objectID {object_id[:30]!r} is not an HN item id")
    tags = _tags(hit)
    is_comment = "comment" in tags or hit.get("comment_text") is not None
    created = epoch(hit.get("created_at_i"), "created_at_i")
    author = opt_str(hit, "author")
    if is_comment:
        body = opt_str(hit, "comment_text")
        if body is None or body.strip() in {"[deleted]", "[dead]", "[flagged]"}:
            return None
        text = html_to_text(body)
        parent = opt_str(hit, "parent_id")
        thread = opt_str(hit, "story_id") or parent
        replies = None
    else:
        title = opt_str(hit, "title")
        if title is None:
            return None
        body = opt_str(hit, "story_text")
        text = f"{title}\n\n{html_to_text(body)}" if body else title
        parent, thread = None, object_id
        replies = opt_int(hit, "num_comments")
    return Post(
        source=SOURCE,
        source_id=object_id,
        created_at=created,
        text=text_field(text),
        url=ITEM_URL.format(object_id),
        author_key=pseudo.author_key(SOURCE, author),
        author_handle=author,
        lang=None,
        parent_id=parent,
        thread_id=thread,
        engagement=Engagement(score=opt_int(hit, "points"), replies=replies),
        raw=pseudo.scrub(
            {k: v for k, v in hit.items() if k != "_highlightResult"},
            {author or "", f"author_{author}" if author else ""},
            SOURCE,
        ),
    )


def _epoch(dt: datetime | None) -> int | None:
    return calendar.timegm(dt.utctimetuple()) if dt is not None else None


def _token(upper: int | None, page: int) -> str:
    return f"{'' if upper is None else upper}:{page}"


def _untoken(token: str) -> tuple[int | None, int]:
    upper, _, page = token.partition(":")
    return (int(upper) if upper else None), int(page or 0)


def next_token(payload: dict[str, Any], upper: int | None, hits: list[Any]) -> str | None:
    """Next page, or a narrowed window when Algolia's 1,000-hit cap hides older hits."""
    page, pages = payload.get("page"), payload.get("nbPages")
    if not isinstance(page, int) or not isinstance(pages, int) or not hits:
        return None
    if page + 1 < pages:
        return _token(upper, page + 1)
    total, per_page = payload.get("nbHits"), payload.get("hitsPerPage")
    if isinstance(total, int) and isinstance(per_page, int) and total > pages * per_page:
        found = [h.get("created_at_i") for h in hits if isinstance(h, dict)]
        stamps = [s for s in found if isinstance(s, int) and not isinstance(s, bool)]
        if stamps:
            return _token(min(stamps) + 1, 0)
    return None


class HackerNewsCollector(SweepCollector):
    """Algolia ``search_by_date`` for every brand; see the module docstring."""

    source = SOURCE

    def __init__(
        self,
        session: GatedSession | requests.Session,
        base_url: str,
        pseudo: Pseudonymiser,
        gate: Any,
        *,
        page_size: int = 500,
    ) -> None:
        super().__init__(pseudo, gate)
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.page_size = max(1, min(MAX_HITS, page_size))

    def streams(self, brands: Sequence[Brand]) -> list[Stream]:
        out = []
        for b in brands:
            query, optional = algolia_query(b)
            out.append(Stream(scope=b.slug, brand=b, params={"q": query, "optional": optional}))
        return out

    def fetch(self, stream: Stream, bounds: Bounds, token: str | None) -> Fetched:
        upper, page = _untoken(token) if token else (_epoch(bounds.upper), 0)
        lower = _epoch(bounds.lower)
        filters = []
        if lower is not None:
            filters.append(f"created_at_i>={lower}")
        if upper is not None:
            filters.append(f"created_at_i<{upper}")
        params: dict[str, Any] = {
            "query": stream.params["q"],
            "optionalWords": ",".join(stream.params["optional"]),
            "tags": "(story,comment)",
            "hitsPerPage": self.page_size,
            "page": page,
        }
        if filters:
            params["numericFilters"] = ",".join(filters)
        response = self.session.get(f"{self.base_url}/api/v1/search_by_date", params=params)
        response.raise_for_status()
        payload = obj(response.json(), "search response")
        hits = payload.get("hits")
        if not isinstance(hits, list):
            raise InputError("search response has no hits list")
        return Fetched(items=hits, next_token=next_token(dict(payload), upper, hits))

    def parse(self, item: Any, fetched: Fetched) -> Post | None:
        return parse_hit(item, self.pseudo)
