"""Bulk, idempotent loading of posts, brand mentions and quarantined input.

Each batch is one transaction: COPY into temporary staging tables, then ``INSERT … ON CONFLICT``
into the real ones. Loading the same posts twice leaves the same rows: a post whose content is
unchanged is not even rewritten (``content_hash``), an edited one is updated in place, and its
brand mentions are replaced by the new set.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from psycopg2.extensions import connection as PgConnection  # noqa: N812
from psycopg2.extras import execute_values
from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects.postgresql import JSONB

from grapevine.core.domain import Brand, BrandMention, Post, QuarantineRecord
from grapevine.core.text import clean_json, clean_text
from warehouse.engine import inflight
from warehouse.models import (
    BRANDS,
    POST_BRANDS,
    POSTS,
    QUARANTINE,
    primary_key,
    unique_key,
    written_columns,
)


@dataclass(frozen=True, slots=True)
class LoadItem:
    """A post ready to load: the post, the brands it mentions, and whether it is C2C."""

    post: Post
    mentions: Sequence[BrandMention]
    is_c2c: bool = True


@dataclass(slots=True)
class LoadStats:
    """What one or more batches did to the warehouse."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    mentions: int = 0
    quarantined: int = 0
    quarantine_duplicates: int = 0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated

    def add(self, other: LoadStats) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# Column lists come from the table definitions (warehouse.models), in table order; the row
# builders below produce their values in that order (tests/unit/test_load_columns.py checks).
_POST_COLUMNS = written_columns(POSTS)
_POST_KEY = unique_key(POSTS)
# post_id is looked up by the post's key; the inherited columns are warehouse.threads' to write.
_MENTION_WRITTEN = written_columns(
    POST_BRANDS, leave_out=("post_id", "inherited", "inherited_from_post_id")
)
_MENTION_COLUMNS = (*_POST_KEY, *_MENTION_WRITTEN)
_MENTION_KEY = primary_key(POST_BRANDS)
_MENTION_VALUES = tuple(c for c in _MENTION_WRITTEN if c not in _MENTION_KEY)
_BRAND_COLUMNS = written_columns(BRANDS)
_BRAND_KEY = ("slug",)  # not the name: a renamed brand keeps its row (see sync_brands)
_BRAND_VALUES = tuple(c for c in _BRAND_COLUMNS if c not in _BRAND_KEY)
_QUARANTINE_COLUMNS = written_columns(QUARANTINE)


def bind_values(table: Table, columns: Sequence[str]) -> str:
    """``:name`` placeholders for ``columns``, cast where the driver sends text (JSONB)."""
    return ", ".join(
        f"CAST(:{c} AS jsonb)" if isinstance(table.columns[c].type, JSONB) else f":{c}"
        for c in columns
    )


def set_excluded(columns: Sequence[str]) -> str:
    """The ``DO UPDATE SET`` list that takes ``columns`` from the incoming row."""
    return ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)


def changed(table: str, columns: Sequence[str]) -> str:
    """True when the incoming row differs from the stored one in ``columns`` (NULL-safe)."""
    stored = ", ".join(f"{table}.{c}" for c in columns)
    incoming = ", ".join(f"EXCLUDED.{c}" for c in columns)
    return f"({stored}) IS DISTINCT FROM ({incoming})"


def _opt(value: str | None) -> str | None:
    return clean_text(value) if value is not None else None


def raw_json(raw: dict[str, Any]) -> str:
    """The payload as compact JSON that jsonb accepts (no NUL, no lone surrogates, no NaN)."""
    try:
        encoded = orjson.dumps(raw)
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, NaN keys, odd types
        return json.dumps(clean_json(raw), ensure_ascii=False, separators=(",", ":"), default=str)
    if b"\\u0000" in encoded:
        return json.dumps(clean_json(raw), ensure_ascii=False, separators=(",", ":"), default=str)
    return encoded.decode("utf-8")


def post_row(post: Post, *, is_c2c: bool, keep_handle: bool) -> tuple[Any, ...]:
    """The ``posts`` row for ``post``, cleaned for Postgres, with its content hash last."""
    raw = raw_json(post.raw)
    e = post.engagement
    row: tuple[Any, ...] = (
        clean_text(post.source),
        clean_text(post.source_id),
        _opt(post.url),
        _opt(post.author_key),
        _opt(post.author_handle) if keep_handle else None,
        post.author_followers,
        post.created_at.isoformat(),
        clean_text(post.text),
        _opt(post.lang),
        _opt(post.parent_id),
        _opt(post.thread_id),
        e.likes,
        e.replies,
        e.reposts,
        e.score,
        is_c2c,
        raw,
    )
    digest = hashlib.blake2b(repr(row[2:]).encode("utf-8", "surrogatepass"), digest_size=16)
    return (*row, digest.hexdigest())


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(rows: Iterable[tuple[Any, ...]]) -> str:
    """Rows in PostgreSQL's COPY text format (tab-separated, ``\\N`` for NULL)."""
    esc = _ESCAPES
    return "".join(
        "\t".join(
            "\\N" if v is None else (v.translate(esc) if type(v) is str else str(v)) for v in row
        )
        + "\n"
        for row in rows
    )


def _raw(conn: Connection) -> PgConnection:
    """The psycopg2 connection under a SQLAlchemy one (COPY and execute_values need it)."""
    return cast(PgConnection, conn.connection.dbapi_connection)


def _copy(conn: Connection, table: str, columns: Sequence[str], data: str) -> None:
    raw = _raw(conn)
    with inflight(raw), raw.cursor() as cur:  # cancelled like any statement on Ctrl-C/SIGTERM
        cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(data))


_UPSERT_BRANDS = f"""
INSERT INTO brands ({", ".join(_BRAND_COLUMNS)})
VALUES ({bind_values(BRANDS, _BRAND_COLUMNS)})
ON CONFLICT ({", ".join(_BRAND_KEY)}) DO UPDATE SET
    {set_excluded(_BRAND_VALUES)}, updated_at = now()
WHERE {changed("brands", _BRAND_VALUES)}
"""


def sync_brands(conn: Connection, brands: Sequence[Brand]) -> dict[str, int]:
    """Upsert the watchlist's brands and return ``{name: id}``.

    A brand is identified by its slug, not its exact name: "Acme Air" renamed "ACME AIR" (or
    "Acme-Air") keeps its row and id, only the name changes, so its history, metrics and
    cursors stay with it. (The watchlist rejects two brands with one slug.)
    """
    if not brands:
        return {}
    rows = [
        {
            "name": b.name,
            "slug": b.slug,
            "aliases": json.dumps(list(b.aliases)),
            "query": b.query,
            "owned_handles": json.dumps(list(b.owned_handles)),
            "competitors": json.dumps(list(b.competitors)),
        }
        for b in brands
    ]
    # A row stored under an older slug rule keeps its name: move it to the current slug first,
    # so the upsert below finds it instead of failing on the unique name.
    conn.execute(
        text(
            "UPDATE brands SET slug = :slug, updated_at = now()"
            " WHERE name = :name AND slug <> :slug"
        ),
        rows,
    )
    conn.execute(text(_UPSERT_BRANDS), rows)
    result = conn.execute(
        text("SELECT name, id FROM brands WHERE name = ANY(:names)"),
        {"names": [b.name for b in brands]},
    )
    return {name: brand_id for name, brand_id in result}


def _dedupe(items: Sequence[LoadItem]) -> tuple[list[LoadItem], int]:
    """Keep the last occurrence of each ``(source, source_id)`` (a later line is a later edit).

    Keys compare as they will be stored: ids that differ only by a NUL or a lone surrogate
    become the same row once cleaned, and two of them in one upsert would make Postgres refuse
    the whole batch ("ON CONFLICT DO UPDATE command cannot affect row a second time").
    """
    last: dict[tuple[str, str], LoadItem] = {}
    for item in items:
        last[(clean_text(item.post.source), clean_text(item.post.source_id))] = item
    return list(last.values()), len(items) - len(last)


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch turned into COPY-ready text: all the Python work, none of the database work.

    Splitting the two lets the pipeline prepare the next batch while the database applies this
    one (psycopg2 releases the GIL while the server works).
    """

    posts: str
    n_posts: int
    mentions: str
    n_mentions: int
    quarantine: list[tuple[Any, ...]]
    in_batch_duplicates: int


def prepare_batch(
    items: Sequence[LoadItem],
    brand_ids: Mapping[str, int],
    quarantine: Sequence[QuarantineRecord] = (),
    *,
    keep_handles: bool = False,
) -> PreparedBatch:
    unique, dupes = _dedupe(items)
    mention_rows = []
    for item in unique:
        source, source_id = clean_text(item.post.source), clean_text(item.post.source_id)
        for m in item.mentions:
            brand_id = brand_ids.get(m.brand)
            if brand_id is None:
                raise KeyError(f"brand {m.brand!r} is not in the warehouse; sync_brands first")
            mention_rows.append(
                (source, source_id, brand_id, m.start, m.end, _opt(m.alias), m.brand_owned)
            )
    return PreparedBatch(
        posts=copy_text(
            post_row(i.post, is_c2c=i.is_c2c, keep_handle=keep_handles) for i in unique
        ),
        n_posts=len(unique),
        mentions=copy_text(mention_rows),
        n_mentions=len(mention_rows),
        quarantine=[_quarantine_row(r) for r in quarantine],
        in_batch_duplicates=dupes,
    )


def load_batch(
    engine: Engine | Connection,
    items: Sequence[LoadItem],
    brand_ids: Mapping[str, int],
    quarantine: Sequence[QuarantineRecord] = (),
    *,
    keep_handles: bool = False,
) -> LoadStats:
    """Load one batch in one transaction (or in the caller's, when given a ``Connection``)."""
    prepared = prepare_batch(items, brand_ids, quarantine, keep_handles=keep_handles)
    if isinstance(engine, Connection):
        return apply_batch(engine, prepared)
    with engine.begin() as conn:
        return apply_batch(conn, prepared)


def apply_batch(conn: Connection, batch: PreparedBatch) -> LoadStats:
    """Write a prepared batch inside the caller's transaction."""
    stats = LoadStats(unchanged=batch.in_batch_duplicates)
    if batch.n_posts:
        _load_posts(conn, batch, stats)
    if batch.quarantine:
        _load_quarantine(conn, batch.quarantine, stats)
    return stats


# CREATE TABLE AS copies the column types but not the NOT NULL/identity constraints.
_STAGE = f"""
CREATE TEMP TABLE _stage_posts ON COMMIT DROP AS
SELECT {", ".join(_POST_COLUMNS)} FROM posts WITH NO DATA;
CREATE TEMP TABLE _stage_mentions ON COMMIT DROP AS
SELECT {", ".join([*(f"p.{c}" for c in _POST_KEY), *(f"pb.{c}" for c in _MENTION_WRITTEN)])}
FROM posts p CROSS JOIN post_brands pb WITH NO DATA
"""

_UPSERT_POSTS = f"""
INSERT INTO posts ({", ".join(_POST_COLUMNS)})
SELECT {", ".join(_POST_COLUMNS)} FROM _stage_posts
ON CONFLICT ({", ".join(_POST_KEY)}) DO UPDATE SET
    {set_excluded([c for c in _POST_COLUMNS if c not in _POST_KEY])}, updated_at = now()
WHERE posts.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING (xmax = 0) AS inserted
"""

# Mentions: drop the ones the new text no longer has, then upsert the current set. Inherited
# mentions (a reply judged toward its thread's brand) are not the text's: the thread pass that
# ends every load (warehouse.threads) keeps them right. Dropping them here only for that pass to
# add them back rewrote every reloaded reply's row, so a rerun of an unchanged file looked like
# a change to everything downstream (warehouse.changes).
_DROP_STALE_MENTIONS = """
DELETE FROM post_brands pb
USING posts p, _stage_posts s
WHERE pb.post_id = p.id AND p.source = s.source AND p.source_id = s.source_id
  AND NOT pb.inherited
  AND NOT EXISTS (
      SELECT 1 FROM _stage_mentions m
      WHERE m.source = s.source AND m.source_id = s.source_id
        AND m.brand_id = pb.brand_id)
"""

_UPSERT_MENTIONS = f"""
INSERT INTO post_brands (post_id, {", ".join(_MENTION_WRITTEN)})
SELECT p.id, {", ".join(f"m.{c}" for c in _MENTION_WRITTEN)}
FROM _stage_mentions m
JOIN posts p ON p.source = m.source AND p.source_id = m.source_id
ON CONFLICT ({", ".join(_MENTION_KEY)}) DO UPDATE SET {set_excluded(_MENTION_VALUES)}
WHERE {changed("post_brands", _MENTION_VALUES)}
"""


def _load_posts(conn: Connection, batch: PreparedBatch, stats: LoadStats) -> None:
    conn.execute(text(_STAGE))
    _copy(conn, "_stage_posts", _POST_COLUMNS, batch.posts)
    _copy(conn, "_stage_mentions", _MENTION_COLUMNS, batch.mentions)

    result = conn.execute(text(_UPSERT_POSTS))
    flags = [bool(r[0]) for r in result]
    inserted = sum(flags)
    stats.inserted += inserted
    stats.updated += len(flags) - inserted
    stats.unchanged += batch.n_posts - len(flags)

    conn.execute(text(_DROP_STALE_MENTIONS))
    conn.execute(text(_UPSERT_MENTIONS))
    stats.mentions += batch.n_mentions


def quarantine_fingerprint(rec: QuarantineRecord) -> str:
    key = json.dumps(
        [rec.source, rec.source_ref, rec.line_no, rec.source_id, rec.error, rec.payload],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _quarantine_row(r: QuarantineRecord) -> tuple[Any, ...]:
    return (
        clean_text(r.source),
        _opt(r.source_ref),
        r.line_no,
        _opt(r.source_id),
        clean_text(r.error),
        clean_text(r.payload),
        quarantine_fingerprint(r),
    )


def _load_quarantine(conn: Connection, rows: list[tuple[Any, ...]], stats: LoadStats) -> None:
    raw = _raw(conn)
    with inflight(raw), raw.cursor() as cur:
        written = execute_values(
            cur,
            f"INSERT INTO quarantine ({', '.join(_QUARANTINE_COLUMNS)}) VALUES %s"
            f" ON CONFLICT ({', '.join(unique_key(QUARANTINE))}) DO NOTHING RETURNING id",
            rows,
            fetch=True,
        )
    stats.quarantined += len(written)
    stats.quarantine_duplicates += len(rows) - len(written)
