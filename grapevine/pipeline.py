"""The pipeline's front door: composes collectors, the warehouse (and later NLP, metrics, alerts).

``collectors``, ``nlp`` and ``warehouse`` never import each other (DESIGN.md section 2); this
module wires them. Every function takes its window explicitly (``since``/``until``), never
``now()``, so that the CLI, Airflow runs and backfills all compute the same thing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from collectors.base import Collector, Page
from collectors.file import DateBounds, FileCollector
from grapevine.core.domain import Post
from grapevine.core.errors import WarehouseError
from grapevine.core.privacy import Pseudonymiser, pseudonymiser_from_settings
from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from warehouse import migrate
from warehouse.engine import check_connection, make_engine
from warehouse.load import (
    LoadItem,
    LoadStats,
    PreparedBatch,
    apply_batch,
    prepare_batch,
    sync_brands,
)
from warehouse.state import load_cursors, save_cursor
from warehouse.threads import inherit_thread_mentions

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


# --- set-up ------------------------------------------------------------------------------------


def load_watchlist(settings: Settings, path: Path | None = None) -> Watchlist:
    return Watchlist.from_yaml(path or settings.brands_file)


def init_db(engine: Engine) -> str | None:
    """Run migrations to head; returns the revision the warehouse is now at."""
    migrate.upgrade(engine)
    return migrate.current_revision(engine)


def require_schema(engine: Engine) -> None:
    """Fail with a clear message when the warehouse has not been migrated."""
    try:
        current = migrate.current_revision(engine)
    except Exception as exc:
        raise WarehouseError(
            f"cannot reach the warehouse: {exc.__class__.__name__}: {exc}".splitlines()[0],
            hint="check GRAPEVINE_DATABASE_URL and that the server is running",
        ) from exc
    head = migrate.head_revision()
    if current is None:
        raise WarehouseError(
            "the warehouse is not initialised: run `grapevine init-db`",
            hint="init-db creates the tables and the analyst views, and is safe to rerun",
        )
    if current != head:
        raise WarehouseError(
            f"the warehouse schema is at revision {current}, this Grapevine needs {head}",
            hint="run `grapevine init-db` to upgrade it",
        )


@contextmanager
def warehouse(settings: Settings, *, migrate_first: bool = False) -> Iterator[Engine]:
    """An engine on the configured (or embedded) warehouse, disposed of afterwards."""
    engine = make_engine(settings)
    try:
        if migrate_first:
            check_connection(engine)
            init_db(engine)
        else:
            require_schema(engine)
        yield engine
    finally:
        engine.dispose()


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


def watched_threads_in(engine: Engine, keys: set[ThreadKey]) -> set[ThreadKey]:
    """Which of these threads already hold a post that mentions a watched brand."""
    if not keys:
        return set()
    query = text(
        """
        WITH keys AS (
            SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:threads AS text[]))
                AS k(source, thread_id)
        ),
        members AS (  -- posts in the thread, and its root when stored without a thread id
            SELECT k.source, k.thread_id, p.id
            FROM keys AS k JOIN posts AS p
                ON p.source = k.source AND p.thread_id = k.thread_id
            UNION ALL
            SELECT k.source, k.thread_id, p.id
            FROM keys AS k JOIN posts AS p
                ON p.source = k.source AND p.source_id = k.thread_id
        )
        SELECT DISTINCT m.source, m.thread_id
        FROM members AS m
        WHERE EXISTS (SELECT 1 FROM post_brands AS pb WHERE pb.post_id = m.id)
        """
    )
    ordered = sorted(keys)
    with engine.connect() as conn:
        rows = conn.execute(
            query, {"sources": [k[0] for k in ordered], "threads": [k[1] for k in ordered]}
        )
        return {(source, thread) for source, thread in rows}


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
    cursors = load_cursors(engine, collector.source)
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
        return watched_threads_in(engine, keys)

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
    inherit_thread_mentions(engine)  # replies that name no brand count toward their thread's
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
    collector = FileCollector(
        path,
        pseudo or pseudonymiser_from_settings(settings),
        batch_size=settings.load_batch_size,
        now=now,
        bounds=DateBounds.from_settings(settings),
    )
    return run_collector(
        collector, watchlist, engine, settings, since=since, until=until, progress=progress
    )


def file_size(path: Path) -> int:
    return path.stat().st_size


# --- read-outs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentionRow:
    brand: str
    day: date
    source: str
    mentions: int
    c2c_mentions: int
    unique_authors: int


def mentions_by_day(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> list[MentionRow]:
    """Per-brand mentions by UTC day and source, from the analysts' view."""
    query = text(
        """
        SELECT brand, day, source, mentions, c2c_mentions, unique_authors
        FROM analytics.brand_mentions_daily
        WHERE (CAST(:since AS date) IS NULL OR day >= CAST(:since AS date))
          AND (CAST(:until AS date) IS NULL OR day < CAST(:until AS date))
        ORDER BY brand, day, source
        """
    )
    params: dict[str, Any] = {
        "since": since.date() if since else None,
        "until": until.date() if until else None,
    }
    with engine.connect() as conn:
        return [MentionRow(*row) for row in conn.execute(query, params)]


@dataclass(frozen=True, slots=True)
class StanceRow:
    """Per-brand C2C totals with the current models' labels (what the demo prints)."""

    brand: str
    mentions: int
    classified: int
    positive: int
    neutral: int
    negative: int
    advocacy: int
    badvocacy: int
    unsupported: int

    @property
    def net_advocacy(self) -> float | None:
        """100 x (advocacy - badvocacy) / classified mentions."""
        judged = self.classified - self.unsupported
        return 100.0 * (self.advocacy - self.badvocacy) / judged if judged else None


def stance_by_brand(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> list[StanceRow]:
    """Sentiment and advocacy mix per brand over C2C mentions, from the analysts' views."""
    query = text(
        """
        WITH mentions AS (
            SELECT m.brand, m.brand_id, p.post_id
            FROM analytics.stg_brand_mentions AS m
            JOIN analytics.stg_posts AS p ON p.post_id = m.post_id
            WHERE p.is_c2c AND NOT m.brand_owned
              AND (CAST(:since AS timestamptz) IS NULL
                   OR p.created_at >= CAST(:since AS timestamptz))
              AND (CAST(:until AS timestamptz) IS NULL
                   OR p.created_at < CAST(:until AS timestamptz))
        )
        SELECT m.brand,
               count(*) AS mentions,
               count(a.label) AS classified,
               count(*) FILTER (WHERE s.label = 'positive') AS positive,
               count(*) FILTER (WHERE s.label = 'neutral') AS neutral,
               count(*) FILTER (WHERE s.label = 'negative') AS negative,
               count(*) FILTER (WHERE a.label = 'advocacy') AS advocacy,
               count(*) FILTER (WHERE a.label = 'badvocacy') AS badvocacy,
               count(*) FILTER (WHERE a.label = 'unsupported') AS unsupported
        FROM mentions AS m
        LEFT JOIN analytics.stg_classifications AS a
            ON a.post_id = m.post_id AND a.brand_id = m.brand_id AND a.task = 'advocacy'
        LEFT JOIN analytics.stg_classifications AS s
            ON s.post_id = m.post_id AND s.brand_id IS NULL AND s.task = 'sentiment'
        GROUP BY m.brand
        ORDER BY m.brand
        """
    )
    with engine.connect() as conn:
        return [StanceRow(*row) for row in conn.execute(query, {"since": since, "until": until})]


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of the main tables (the demo prints them; tests compare them across reloads)."""
    tables = ("brands", "posts", "post_brands", "quarantine", "classifications")
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables
        }


# --- demo --------------------------------------------------------------------------------------


@contextmanager
def demo_files() -> Iterator[tuple[Path, Path]]:
    """The bundled demo data and watchlist, as real paths (works from a wheel too)."""
    root = files("grapevine") / "demo"
    with as_file(root / "posts.jsonl") as posts, as_file(root / "brands.yaml") as brands:
        yield Path(posts), Path(brands)


def demo_settings(settings: Settings) -> Settings:
    """The demo's settings: its own embedded warehouse under the data folder, unless a URL is set.

    A separate folder keeps demo rows out of a real warehouse that also runs embedded.
    """
    if settings.database_url is not None:
        return settings
    return settings.model_copy(update={"data_dir": settings.data_dir / "demo"})
