"""The paging engine shared by the API collectors: streams, sweeps, cursors, stop conditions.

Every search API we use returns newest items first. One *sweep* pages a stream (a brand's
search, a hashtag timeline, ...) backwards in time from the window's upper edge to its lower
edge. The cursor saved with each committed page (``collector_state``) says where the sweep is,
so a crash re-fetches at most one page; when the sweep ends the cursor keeps only the
*high-water mark* (newest item seen), which the next run over a later window uses as its lower
edge instead of re-reading everything (X's ``since_id``).

A sweep stops on whichever comes first: an empty page, no next token, a token seen before
(a server looping), an item older than the lower edge, or the request budget. Sources only say
how to fetch one page and how to parse one item (``SweepCollector.fetch``/``parse``), in the
spirit of the Singer SDK's streams.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from collectors.base import Cursor, Page
from collectors.http import BadPayloadError, BudgetExhaustedError, RequestGate, find_cause
from grapevine.core.domain import Brand, Post, QuarantineRecord
from grapevine.core.errors import CollectorError, InputError
from grapevine.core.privacy import Pseudonymiser

log = logging.getLogger(__name__)

MAX_PAYLOAD_CHARS = 200_000
#: Resuming "by time" re-reads items in the same second as the oldest committed one: the
#: warehouse's ``(source, source_id)`` key makes those re-reads no-ops.
RESUME_OVERLAP = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Stream:
    """One pageable listing for one brand (``scope`` keys its cursor in ``collector_state``)."""

    scope: str
    brand: Brand
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Newest-first by time: the window edge and the high-water mark apply.
    ordered: bool = True


@dataclass(frozen=True, slots=True)
class Bounds:
    """What to ask the API for: ``[lower, upper)`` and, where it helps, an id floor."""

    lower: datetime | None
    upper: datetime | None
    since_id: str | None = None


@dataclass(slots=True)
class Fetched:
    """One page as the API returned it: primary items, extra items (e.g. replies), next token."""

    items: list[Any]
    next_token: str | None
    extra: list[Any] = field(default_factory=list)
    context: Any = None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _snippet(item: Any) -> str:
    try:
        text = json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(item)
    return text[:MAX_PAYLOAD_CHARS]


@dataclass(slots=True)
class _Sweep:
    """Where a sweep is, as saved in the cursor (all JSON-able)."""

    since: str | None
    until: str | None
    lower: str | None
    since_id: str | None
    newest: str | None = None
    newest_id: str | None = None
    oldest: str | None = None
    token: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class SweepCollector(ABC):
    """Base of the API collectors: owns cursors, window edges, quarantine and stop conditions."""

    source: str
    #: Tokens that stay valid across runs (Reddit ``after``, Mastodon ``max_id``) resume a
    #: sweep exactly; others (X, Bluesky, HN) resume by narrowing the upper edge to the oldest
    #: committed item.
    stable_tokens: bool = False

    def __init__(self, pseudo: Pseudonymiser, gate: RequestGate) -> None:
        self.pseudo = pseudo
        self.gate = gate
        self.budget_exhausted = False

    # --- what each source implements ----------------------------------------------------------

    @abstractmethod
    def streams(self, brands: Sequence[Brand]) -> list[Stream]:
        """The listings to page for these brands."""

    @abstractmethod
    def fetch(self, stream: Stream, bounds: Bounds, token: str | None) -> Fetched:
        """Fetch one page (``token`` ``None`` = the first page, newest items)."""

    @abstractmethod
    def parse(self, item: Any, fetched: Fetched) -> Post | None:
        """One API item -> ``Post``; ``None`` for deleted content or reposts; InputError if bad."""

    def item_ref(self, item: Any) -> str | None:
        """The item's id for the quarantine row, when it has one."""
        if isinstance(item, Mapping):
            for key in ("id", "objectID", "uri", "name"):
                value = item.get(key)
                if isinstance(value, str | int) and not isinstance(value, bool):
                    return str(value)
        return None

    def newer_id(self, a: str | None, b: str | None) -> str | None:
        """The newer of two item ids, for sources with an id cursor (X overrides)."""
        return a or b

    # --- the engine ---------------------------------------------------------------------------

    def collect(
        self,
        brands: Sequence[Brand],
        since: datetime | None,
        until: datetime | None,
        cursors: Mapping[str, Cursor],
    ) -> Iterator[Page]:
        """Page every stream of every brand over ``[since, until)``; see the module docstring."""
        failures: list[str] = []
        for stream in self.streams(brands):
            try:
                yield from self._sweep(stream, since, until, cursors.get(stream.scope) or {})
            except Exception as exc:
                if find_cause(exc, BudgetExhaustedError) is not None:
                    self.budget_exhausted = True
                    log.warning(
                        "%s: request budget (%d) used up during %s; the next run resumes there",
                        self.source,
                        self.gate.budget,
                        stream.scope,
                    )
                    return
                log.error("%s: %s failed: %s", self.source, stream.scope, exc, exc_info=True)
                failures.append(f"{stream.scope}: {exc}")
        if failures:
            raise CollectorError(
                f"{self.source}: {len(failures)} stream(s) failed: " + "; ".join(failures),
                hint="the other streams were collected; rerun to retry the failed ones",
            )

    def _sweep(
        self, stream: Stream, since: datetime | None, until: datetime | None, cursor: Cursor
    ) -> Iterator[Page]:
        high_water = _dt(cursor.get("high_water")) if stream.ordered else None
        high_water_id = cursor.get("high_water_id") if stream.ordered else None
        lower, since_id = since, None
        if (
            high_water is not None
            and (since is None or high_water >= since)
            and (until is None or high_water < until)
        ):
            lower, since_id = high_water, high_water_id
        state = _Sweep(_iso(since), _iso(until), _iso(lower), since_id)
        upper, token = until, None
        saved = cursor.get("sweep")
        if (
            isinstance(saved, dict)
            and saved.get("since") == state.since
            and (saved.get("until") == state.until)
        ):
            state = _Sweep(**{k: saved.get(k) for k in state.__slots__})
            lower, since_id = _dt(state.lower), state.since_id
            if self.stable_tokens or not stream.ordered:
                token = state.token
            elif state.oldest is not None:
                oldest = _dt(state.oldest)
                upper = oldest + RESUME_OVERLAP if oldest is not None else until
            log.info("%s: resuming %s from %s", self.source, stream.scope, token or state.oldest)
        bounds = Bounds(lower, upper, since_id)
        seen_tokens: set[str] = set()
        while True:
            try:
                fetched = self.fetch(stream, bounds, token)
            except Exception as exc:
                bad = find_cause(exc, BadPayloadError)
                if bad is None:
                    raise
                yield self._bad_payload_page(stream, bad)
                return
            page, edge = self._page(stream, fetched, since, until, lower, state)
            next_token = fetched.next_token
            done = (
                not fetched.items
                or next_token is None
                or (edge and stream.ordered)
                or next_token in seen_tokens
            )
            if next_token is not None and next_token in seen_tokens:
                log.warning(
                    "%s: %s returned a token seen before; stopping", self.source, stream.scope
                )
            if done:
                page.cursor = self._finished_cursor(state, high_water, high_water_id, stream)
            else:
                assert next_token is not None
                seen_tokens.add(next_token)
                state.token = next_token
                page.cursor = {
                    "high_water": _iso(high_water),
                    "high_water_id": high_water_id,
                    "sweep": state.as_dict(),
                }
            yield page
            if done:
                return
            token = next_token

    def _page(
        self,
        stream: Stream,
        fetched: Fetched,
        since: datetime | None,
        until: datetime | None,
        lower: datetime | None,
        state: _Sweep,
    ) -> tuple[Page, bool]:
        page = Page(scope=stream.scope, progress=len(fetched.items))
        edge = False
        for primary, items in ((True, fetched.items), (False, fetched.extra)):
            for item in items:
                try:
                    post = self.parse(item, fetched)
                except InputError as exc:
                    page.quarantined.append(self._quarantine(item, exc.message, stream))
                    continue
                if post is None:
                    continue
                if primary:
                    edge = edge or (lower is not None and post.created_at < lower)
                    self._track(state, post)
                if (since is None or post.created_at >= since) and (
                    until is None or post.created_at < until
                ):
                    page.posts.append(post)
        return page, edge

    def _track(self, state: _Sweep, post: Post) -> None:
        created = post.created_at.isoformat()
        newest, oldest = _dt(state.newest), _dt(state.oldest)
        if newest is None or post.created_at > newest:
            state.newest = created
        if oldest is None or post.created_at < oldest:
            state.oldest = created
        state.newest_id = self.newer_id(state.newest_id, post.source_id)

    def _finished_cursor(
        self,
        state: _Sweep,
        high_water: datetime | None,
        high_water_id: str | None,
        stream: Stream,
    ) -> Cursor:
        if not stream.ordered:
            return {"high_water": None, "high_water_id": None, "sweep": None}
        newest = _dt(state.newest)
        if newest is not None and (high_water is None or newest >= high_water):
            return {
                "high_water": _iso(newest),
                "high_water_id": self.newer_id(state.newest_id, high_water_id),
                "sweep": None,
            }
        return {"high_water": _iso(high_water), "high_water_id": high_water_id, "sweep": None}

    def _quarantine(self, item: Any, error: str, stream: Stream) -> QuarantineRecord:
        return QuarantineRecord(
            source=self.source,
            error=error,
            payload=_snippet(item),
            source_ref=stream.scope,
            source_id=self.item_ref(item),
        )

    def _bad_payload_page(self, stream: Stream, bad: BadPayloadError) -> Page:
        """A page the server kept truncating: kept in quarantine; the cursor stays where it was."""
        log.error("%s: %s: %s", self.source, stream.scope, bad)
        body = bad.body.decode("utf-8", "replace")[:MAX_PAYLOAD_CHARS]
        record = QuarantineRecord(
            source=self.source, error=str(bad), payload=body, source_ref=bad.url
        )
        return Page(quarantined=[record], cursor=None, scope=stream.scope)
