"""The ``collect`` stage: posts that mention watched brands, from every source, into the warehouse.

Entry point: :func:`run`. It composes ``collectors`` (what a source returns) and ``warehouse``
(where posts go); neither knows the other. Which sources exist, and what each needs, is
``grapevine.sources.SOURCES``. One failing source never stops the others: its error becomes
its row of the summary. Every function takes its window explicitly, never ``now()``.
"""

from __future__ import annotations

import glob
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from collectors.base import Collector, Page
from collectors.file import DateBounds, FileCollector
from grapevine.core.domain import Post
from grapevine.core.errors import ConfigError, GrapevineError, MissingCredentialsError
from grapevine.core.privacy import Pseudonymiser, pseudonymiser_from_settings
from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.core.window import Window
from grapevine.sources import build_collector, configured_sources
from grapevine.stages.base import Progress, Summary
from warehouse.engine import analyze_changed
from warehouse.load import (
    LoadItem,
    LoadStats,
    PreparedBatch,
    apply_batch,
    prepare_batch,
    sync_brands,
)
from warehouse.state import load_cursors, save_cursor
from warehouse.threads import inherit_thread_mentions, watched_threads

log = logging.getLogger(__name__)


def load_watchlist(settings: Settings, path: Path | None = None) -> Watchlist:
    return Watchlist.from_yaml(path or settings.brands_file)


# --- collect -----------------------------------------------------------------------------------


@dataclass(slots=True)
class CollectSummary:
    """What a collection did, per source: what the CLI's summary table shows."""

    source: str
    read: int = 0
    matched: int = 0
    #: Replies that name no watched brand, kept because their thread does (see ``prepare``).
    thread_replies: int = 0
    out_of_window: int = 0
    stats: LoadStats = field(default_factory=LoadStats)
    #: Posts kept, by the source they are stored under: a file's rows may name their own
    #: (``"source": "x"``), so the collector's name alone would not say where they went.
    stored_sources: Counter[str] = field(default_factory=Counter)

    @property
    def loaded(self) -> int:
        return self.stats.loaded

    @property
    def duplicates(self) -> int:
        return self.stats.unchanged

    @property
    def quarantined(self) -> int:
        return self.stats.quarantined + self.stats.quarantine_duplicates


ThreadKey = tuple[str, str]


def prepare(
    page: Page,
    watchlist: Watchlist,
    watched_threads: set[ThreadKey] | None = None,
    lookup: Callable[[set[ThreadKey]], set[ThreadKey]] | None = None,
) -> tuple[list[LoadItem], int, int]:
    """Match a page's posts against the watchlist.

    Returns the items to load, how many posts mention a brand, and how many replies are kept
    as thread context: a reply that names no brand ("same here, mine swelled too") is where
    customers advise each other, so it is kept when its thread is about a watched brand, i.e.
    when a post of that thread mentions one (earlier in this run, ``watched_threads``, or
    already in the warehouse, ``lookup``). It gets no brand rows here; once loaded, it inherits
    the brands of the post it answers (``warehouse.threads``) and counts as word of mouth.
    Other posts that name no brand are dropped.
    """
    watched = watched_threads if watched_threads is not None else set()
    items: list[LoadItem] = []
    orphans = []
    for post in page.posts:
        mentions = watchlist.match(post.text, post.author_handle)
        thread = _thread_key(post)
        if mentions:
            items.append(
                LoadItem(post, mentions, is_c2c=not watchlist.is_owned_handle(post.author_handle))
            )
            watched.add(thread)
        elif post.parent_id is not None:
            orphans.append((post, thread))
    matched = len(items)
    unknown = {t for _, t in orphans if t not in watched}
    if unknown and lookup is not None:
        watched |= lookup(unknown)
    for post, thread in orphans:
        if thread in watched:
            items.append(
                LoadItem(post, (), is_c2c=not watchlist.is_owned_handle(post.author_handle))
            )
    return items, matched, len(items) - matched


def _thread_key(post: Post) -> ThreadKey:
    """The thread a post belongs to; a post with neither thread nor parent starts its own."""
    return (post.source, post.thread_id or post.parent_id or post.source_id)


def run_collector(
    collector: Collector,
    watchlist: Watchlist,
    engine: Engine,
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> CollectSummary:
    """Collect, match and load page by page; each page and its cursor commit together.

    While the database applies page N (in a worker thread; psycopg2 releases the GIL), this
    thread fetches, parses and matches page N+1. At most one page is in flight and pages commit
    in order, so a saved cursor never runs ahead of the data it follows.
    """
    summary = CollectSummary(source=collector.source)
    with engine.begin() as conn:
        brand_ids = sync_brands(conn, watchlist.brands)
    with engine.connect() as conn:
        cursors = load_cursors(conn, collector.source)
    keep = settings.store_author_handles

    def apply(batch: PreparedBatch, page: Page) -> LoadStats:
        with engine.begin() as conn:
            stats = apply_batch(conn, batch)
            if page.cursor is not None:
                save_cursor(conn, collector.source, page.scope, page.cursor)
        return stats

    def finish(job: Future[LoadStats], done: int) -> None:
        summary.stats.add(job.result())
        if progress is not None:
            progress(done)

    threads: set[ThreadKey] = set()

    def lookup(keys: set[ThreadKey]) -> set[ThreadKey]:
        with engine.connect() as conn:
            return watched_threads(conn, keys)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grapevine-load") as pool:
        pending: tuple[Future[LoadStats], int] | None = None
        for page in collector.collect(watchlist.brands, since, until, cursors):
            items, matched, replies = prepare(page, watchlist, threads, lookup)
            summary.read += len(page.posts) + len(page.quarantined)
            summary.matched += matched
            summary.thread_replies += replies
            summary.stored_sources.update(item.post.source for item in items)
            batch = prepare_batch(items, brand_ids, page.quarantined, keep_handles=keep)
            if pending is not None:
                finish(*pending)
            pending = (pool.submit(apply, batch, page), page.progress)
        if pending is not None:
            finish(*pending)
    with engine.begin() as conn:  # replies that name no brand count toward their thread's
        inherit_thread_mentions(conn)
    # Classify plans its pending-work query next: against fresh statistics, not a table that
    # the planner still believes empty (issue #16).
    loaded = summary.stats.loaded
    analyze_changed(engine, {"posts": loaded, "post_brands": loaded})
    return summary


def collect_file(
    path: Path,
    watchlist: Watchlist,
    engine: Engine,
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
    pseudo: Pseudonymiser | None = None,
    now: datetime | None = None,
) -> CollectSummary:
    """Import one JSONL/CSV file; ``progress`` is told how many more bytes were read."""
    collector = FileCollector(
        path,
        pseudo or pseudonymiser_from_settings(settings),
        batch_size=settings.load_batch_size,
        now=now,
        bounds=DateBounds.from_settings(settings),
    )
    step = None
    if progress is not None:
        report, read = progress, [0]

        def step(done: int) -> None:  # the file collector reports bytes read so far
            report(done - read[0])
            read[0] = done

    return run_collector(
        collector, watchlist, engine, settings, since=since, until=until, progress=step
    )


# --- the stage -----------------------------------------------------------------------------------

#: ``(source, total or None) -> progress callback``: how the CLI draws a bar per source.
ProgressFor = Callable[[str, int | None], Progress]


def import_files(settings: Settings) -> list[Path]:
    """Files the ``file`` source imports on scheduled runs (``GRAPEVINE_IMPORT_GLOB``)."""
    if not settings.import_glob:
        return []
    return sorted(Path(p) for p in glob.glob(settings.import_glob, recursive=True))  # noqa: PTH207


def enabled_sources(settings: Settings) -> list[str]:
    """Sources that can run with the current configuration (credentials present), in order."""
    return configured_sources(settings)


def stored_as(source: str, counts: Counter[str] | dict[str, int] | None) -> str:
    """``file`` alone when rows kept that source, else ``file (stored as x 3, reddit 2)``."""
    if not counts or set(counts) == {source}:
        return source
    parts = ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items(), key=lambda kv: kv[0]))
    return f"{source} (stored as {parts})"


def collect_source(
    engine: Engine,
    settings: Settings,
    source: str,
    window: Window,
    *,
    paths: Sequence[Path] = (),
    watchlist: Watchlist | None = None,
    progress_for: ProgressFor | None = None,
) -> Summary:
    """Collect one source over ``window``; the file source imports ``paths`` (default: the files
    ``GRAPEVINE_IMPORT_GLOB`` matches). Missing credentials raise ``MissingCredentialsError``."""
    watchlist = watchlist or load_watchlist(settings)
    summaries: list[CollectSummary] = []
    if source == "file":
        files = list(paths) or import_files(settings)
        if not files:
            raise ConfigError(
                "the file source has no files to import",
                hint="pass --path FILE (repeatable) or set GRAPEVINE_IMPORT_GLOB, "
                "e.g. /data/*.jsonl",
            )
        for path in files:
            size = path.stat().st_size if path.is_file() else None
            progress = progress_for(f"importing {path.name}", size) if progress_for else None
            summaries.append(
                collect_file(
                    path,
                    watchlist,
                    engine,
                    settings,
                    since=window.since,
                    until=window.until,
                    progress=progress,
                )
            )
    else:
        collector = build_collector(source, settings, pseudonymiser_from_settings(settings))
        log.info("%s: collecting %s", source, window)
        progress = progress_for(f"collecting from {source}", None) if progress_for else None
        summaries.append(
            run_collector(
                collector,
                watchlist,
                engine,
                settings,
                since=window.since,
                until=window.until,
                progress=progress,
            )
        )
    stored: Counter[str] = Counter()
    for s in summaries:
        stored.update(s.stored_sources)
    return {
        "source": stored_as(source, stored),
        "read": sum(s.read for s in summaries),
        "matched": sum(s.matched for s in summaries),
        "thread_replies": sum(s.thread_replies for s in summaries),
        "loaded": sum(s.loaded for s in summaries),
        "duplicates": sum(s.duplicates for s in summaries),
        "quarantined": sum(s.quarantined for s in summaries),
        "out_of_window": sum(s.out_of_window for s in summaries),
    }


def run(
    engine: Engine,
    settings: Settings,
    window: Window,
    *,
    sources: Sequence[str] | None = None,
    paths: Sequence[Path] = (),
    api_window: Window | None = None,
    progress_for: ProgressFor | None = None,
) -> Summary:
    """Every requested source (default: every configured one; ``paths`` add the file source).

    One row per source in ``"sources"``: its counts, or ``"skipped"`` (missing credentials,
    with the setting to set) or ``"error"`` (what failed). ``api_window`` is the API sources'
    window when it differs (``grapevine run --path F`` imports whole files, searches a day).
    """
    names = list(sources) if sources else enabled_sources(settings)
    if paths and "file" not in names:
        names = ["file", *names]
    rows: list[dict[str, Any]] = []
    for name in names:
        try:
            rows.append(
                collect_source(
                    engine,
                    settings,
                    name,
                    api_window if name != "file" and api_window is not None else window,
                    paths=paths if name == "file" else (),
                    progress_for=progress_for,
                )
            )
        except MissingCredentialsError as exc:
            log.warning("skipping %s: %s", name, exc)
            rows.append({"source": name, "skipped": exc.message})
        except GrapevineError as exc:
            # Raised on purpose with what to do about it: a traceback would bury that line.
            log.error("source %s failed: %s", name, exc)
            rows.append({"source": name, "error": str(exc)})
        except Exception as exc:
            log.exception("source %s failed", name)
            rows.append({"source": name, "error": f"{exc.__class__.__name__}: {exc}"})
    return {"sources": rows, "failed": [str(r["source"]) for r in rows if "error" in r]}


def problem(summary: Summary) -> GrapevineError | None:
    """Why a run that collected must not exit 0: a source failed (the others still ran)."""
    failed = summary.get("failed") or []
    if not failed:
        return None
    return GrapevineError(
        f"collection failed for: {', '.join(failed)}",
        hint="see the messages above; the other sources were collected",
    )
