"""Warehouse side of outcomes: embeddings, discoveries, assignments, daily counts, scores.

An *outcome* is what customers are trying to get done or what went wrong for them ("battery
swelled", "refund took weeks"), discovered by clustering what they write about the watched
brands with the brand names masked (``nlp.outcomes``). This module stores and reads what that
needs; every function takes a ``Connection`` and the caller (the ``outcomes`` stage, the CLI,
the report) owns the transaction.

* Work: :func:`posts_to_embed` lists C2C posts that mention a brand and have not been read yet
  (or were embedded by another embedder), with the brand spans to mask.
* Embeddings are stored once, float16 (:func:`save_embeddings`), so that a re-discovery
  clusters history without embedding it again (:func:`load_embeddings` for a window, sampled
  or not; :func:`load_embeddings_for` for given posts; :func:`masked_texts` for their texts).
* A discovery (:func:`save_discovery`) writes its outcomes (:func:`save_outcomes`): matched
  ones keep their id, new ones get one, unmatched ones are retired, and every outcome's
  description by this discovery goes to ``outcome_versions``.
* Assignments (:func:`save_assignments`) are one row per post, upserted, so reruns change
  nothing; :func:`recompute_outcome_daily` turns them into per brand x outcome x day counts.
* Scores: :func:`outcome_opportunity` (the SQL function ``analytics.outcome_opportunity``,
  created by migration 0006, the one definition the view, the report and the CLI share) and
  :func:`driver_counts` / :func:`driver_examples` for the drivers of a badvocacy alert.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from warehouse.load import _copy, bind_values, changed, copy_text, set_excluded
from warehouse.metrics import day_range
from warehouse.models import (
    OUTCOME_DAILY,
    OUTCOME_DISCOVERIES,
    OUTCOME_VERSIONS,
    OUTCOMES,
    POST_EMBEDDINGS,
    POST_OUTCOMES,
    primary_key,
    written_columns,
)

log = logging.getLogger(__name__)

#: How vectors are stored: float16, little-endian (``dim * 2`` bytes per post).
VECTOR_DTYPE = np.dtype("<f2")

#: Why a post has no outcome (``post_outcomes.reason``).
UNSUPPORTED_LANGUAGE = "unsupported_language"
BELOW_SIMILARITY = "below_similarity"
EMPTY = "empty"
REASONS = (UNSUPPORTED_LANGUAGE, BELOW_SIMILARITY, EMPTY)

ACTIVE = "active"
RETIRED = "retired"

_LOCK_KEY = 0x67766F63  # "gvoc": serialises outcome_daily recomputation across processes
_DAILY_SQL = ("metrics", "outcome_daily.sql")
_DAILY_TARGET = "insert into public.outcome_daily"
_DAILY_STAGING = "gv_fresh_outcome_daily"


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostToEmbed:
    """A post to embed: its text, language and where it names brands (to mask them).

    ``spans`` are the ``(start, end)`` character offsets of the post's own brand mentions,
    sorted and distinct; a reply that only inherits its brand from the thread has none.
    """

    post_id: int
    text: str
    lang: str | None
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """A stored outcome, as its latest discovery described it."""

    id: int
    label: str
    key_phrases: tuple[str, ...]
    size: int
    centroid: np.ndarray  # (dim,) float32, L2-normalised
    status: str
    representative_post_ids: tuple[int, ...]
    first_discovery_id: int
    last_discovery_id: int


@dataclass(frozen=True, slots=True)
class DiscoveryRecord:
    """A stored discovery run."""

    id: int
    embedder_version: str
    n_posts: int
    n_outcomes: int
    params: dict[str, Any]
    window_start: datetime | None
    window_end: datetime | None
    discovered_at: datetime


@dataclass(frozen=True, slots=True)
class NewOutcome:
    """An outcome a discovery found, to save.

    ``matched_id`` is the stored outcome it continues (a re-discovery matched the two
    centroids, with cosine ``matched_similarity``); ``None`` for a new outcome.
    """

    label: str
    key_phrases: Sequence[str]
    size: int
    centroid: np.ndarray | Sequence[float]
    representative_post_ids: Sequence[int]
    matched_id: int | None = None
    matched_similarity: float | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """A post's outcome (``None``: unassigned, with one of :data:`REASONS`)."""

    post_id: int
    outcome_id: int | None
    score: float | None
    reason: str | None
    discovery_id: int


@dataclass(frozen=True, slots=True)
class Opportunity:
    """One row of ``analytics.outcome_opportunity``: a brand's (``brand_id`` set) or a
    competitive set's (``brand_id`` ``None``) scores on one outcome over a window.

    See ``sql/marts/outcome_opportunity.sql`` for the definitions.
    """

    set_id: int
    set_name: str
    brand_id: int | None
    brand: str | None
    outcome_id: int
    outcome: str
    base_customers: int
    customers: int
    mentions: int
    advocacy: int
    badvocacy: int
    customer_share: float | None
    importance: float | None
    satisfaction: float | None
    opportunity: float | None
    unsatisfied_customers: int
    best_brand_id: int | None
    best_brand: str | None
    best_brand_satisfaction: float | None


@dataclass(frozen=True, slots=True)
class ExamplePost:
    """A post that shows an outcome driving badvocacy (``text`` cut to a readable length)."""

    post_id: int
    text: str
    url: str | None


# --- work ------------------------------------------------------------------------------------

# A post with the spans where it names brands itself (inherited mentions have none).
_POST_WITH_SPANS = """
SELECT p.id, p.text, p.lang, m.starts, m.ends
FROM posts p
CROSS JOIN LATERAL (
    SELECT
        bool_or(NOT pb.brand_owned) AS counted,
        array_agg(pb.mention_start) FILTER (WHERE pb.mention_start IS NOT NULL
            AND pb.mention_end IS NOT NULL AND NOT pb.inherited) AS starts,
        array_agg(pb.mention_end) FILTER (WHERE pb.mention_start IS NOT NULL
            AND pb.mention_end IS NOT NULL AND NOT pb.inherited) AS ends
    FROM post_brands pb
    WHERE pb.post_id = p.id
) m
"""
#: Whether post ``p`` still needs reading: no outcome yet, or an embedding by another embedder.
_NEEDS_READING = """
      NOT EXISTS (SELECT 1 FROM post_outcomes po WHERE po.post_id = p.id)
      OR EXISTS (
          SELECT 1 FROM post_embeddings e
          WHERE e.post_id = p.id AND e.embedder_version <> :version
      )
"""
_POSTS_TO_EMBED = f"""
{_POST_WITH_SPANS}
WHERE p.is_c2c AND m.counted
  AND p.id > :after_id
  AND (CAST(:since AS timestamptz) IS NULL OR p.created_at >= :since)
  AND (CAST(:until AS timestamptz) IS NULL OR p.created_at < :until)
  AND ({_NEEDS_READING})
  {{candidates}}
ORDER BY p.id
LIMIT :limit
"""
#: For ``warehouse.queues.dequeue``: the queued post still needs reading (it was embedded while
#: too few posts existed for a first discovery), so its queue row stays.
STILL_PENDING = f"""
EXISTS (
    SELECT 1 FROM posts p
    WHERE p.id = q.post_id AND p.is_c2c
      AND EXISTS (SELECT 1 FROM post_brands pb WHERE pb.post_id = p.id AND NOT pb.brand_owned)
      AND ({_NEEDS_READING.replace(":version", "CAST(:version AS text)")})
)
"""


def posts_to_embed(
    conn: Connection,
    since: datetime | None,
    until: datetime | None,
    embedder_version: str,
    *,
    limit: int,
    after_id: int = 0,
    candidates: Sequence[int] | None = None,
) -> list[PostToEmbed]:
    """Up to ``limit`` posts created in ``[since, until)`` (``None``: open) that need reading,
    by ascending id after ``after_id`` (pass the last id back for the next page).

    A post needs reading when it is customer-to-customer, mentions a watched brand (the
    mentions every metric counts: not only brand-owned ones; replies that inherit a brand
    count) and has no ``post_outcomes`` row yet, or has an embedding by another embedder than
    ``embedder_version`` (a new embedder reads history again). Posts stored as unassigned
    without an embedding (e.g. an unsupported language) are not listed again.
    """
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "version": embedder_version,
        "after_id": after_id,
        "limit": limit,
    }
    extra = ""
    if candidates is not None:  # read from outcome_queue: only those posts are looked at
        params["candidates"] = list(candidates)
        extra = "AND p.id = ANY(CAST(:candidates AS bigint[]))"
    rows = conn.execute(text(_POSTS_TO_EMBED.format(candidates=extra)), params)
    return [_post_to_embed(*row) for row in rows]


def _post_to_embed(
    post_id: int, body: str, lang: str | None, starts: list[int] | None, ends: list[int] | None
) -> PostToEmbed:
    spans = sorted(set(zip(starts or (), ends or (), strict=True)))
    return PostToEmbed(int(post_id), body, lang, tuple(spans))


def posts_by_id(conn: Connection, post_ids: Sequence[int]) -> list[PostToEmbed]:
    """The posts ``post_ids`` with their brand spans, in the order given (ids not stored are
    left out): what a re-discovery needs to mask the texts of the posts it clusters."""
    rows = conn.execute(
        text(f"{_POST_WITH_SPANS} WHERE p.id = ANY(:ids)"), {"ids": [int(i) for i in post_ids]}
    )
    found = {int(row[0]): _post_to_embed(*row) for row in rows}
    return [found[int(i)] for i in post_ids if int(i) in found]


def masked_texts(
    conn: Connection,
    post_ids: Sequence[int],
    mask: Callable[[str, Sequence[tuple[int, int]]], str],
) -> list[str]:
    """The texts of ``post_ids`` (in that order) with ``mask(text, spans)`` applied, e.g.
    ``nlp.outcomes.mask_brands`` (passed in: the warehouse does not import ``nlp``). Raises
    ``KeyError`` for an id that is not stored, so texts never shift against their vectors."""
    found = {p.post_id: p for p in posts_by_id(conn, post_ids)}
    missing = [int(i) for i in post_ids if int(i) not in found]
    if missing:
        raise KeyError(f"posts {missing[:5]} are not stored")
    return [mask(found[int(i)].text, found[int(i)].spans) for i in post_ids]


# --- embeddings ------------------------------------------------------------------------------

_EMBEDDING_COLUMNS = written_columns(POST_EMBEDDINGS)
_EMBEDDING_KEY = primary_key(POST_EMBEDDINGS)
_EMBEDDING_VALUES = tuple(c for c in _EMBEDDING_COLUMNS if c not in _EMBEDDING_KEY)
_UPSERT_EMBEDDINGS = f"""
INSERT INTO post_embeddings ({", ".join(_EMBEDDING_COLUMNS)})
SELECT {", ".join(_EMBEDDING_COLUMNS)} FROM _stage_embeddings
ON CONFLICT ({", ".join(_EMBEDDING_KEY)}) DO UPDATE SET {set_excluded(_EMBEDDING_VALUES)}
WHERE {changed("post_embeddings", _EMBEDDING_VALUES)}
"""


def embedding_lines(
    post_ids: Sequence[int], vectors: np.ndarray, embedder_version: str
) -> list[str]:
    """``post_embeddings`` rows in COPY text format, in the order of its written columns.

    The bytea goes as hex (``\\x…``, its backslash escaped for COPY) written directly:
    ``copy_text``'s per-character escaping of 1,538-character hex strings took 7 s per
    20,000 posts, and hex digits need none.
    """
    (version,) = copy_text([(embedder_version,)]).splitlines()
    halves = np.ascontiguousarray(vectors, dtype=VECTOR_DTYPE)
    lines = []
    for i, pid in enumerate(post_ids):
        values = {
            "post_id": str(int(pid)),
            "embedder_version": version,
            "vector": "\\\\x" + halves[i].tobytes().hex(),
        }
        lines.append("\t".join(values[c] for c in _EMBEDDING_COLUMNS) + "\n")
    return lines


def save_embeddings(
    conn: Connection, post_ids: Sequence[int], vectors: np.ndarray, embedder_version: str
) -> int:
    """Store one vector per post (rows of ``vectors``, float16); returns the rows written.

    Upserted by post (COPY into staging, then ``INSERT … ON CONFLICT``): storing the same
    vectors again writes nothing, a new embedder's vectors replace the old ones.
    """
    if vectors.ndim != 2 or len(post_ids) != vectors.shape[0]:
        raise ValueError(
            f"{len(post_ids)} post ids for vectors of shape {vectors.shape}: need one row each"
        )
    if not post_ids:
        return 0
    last = {int(pid): i for i, pid in enumerate(post_ids)}  # a repeated post: the last wins
    data = "".join(embedding_lines(list(last), vectors[list(last.values())], embedder_version))
    conn.execute(
        text(
            f"CREATE TEMP TABLE _stage_embeddings ON COMMIT DROP AS"
            f" SELECT {', '.join(_EMBEDDING_COLUMNS)} FROM post_embeddings WITH NO DATA"
        )
    )
    _copy(conn, "_stage_embeddings", _EMBEDDING_COLUMNS, data)
    written = conn.execute(text(_UPSERT_EMBEDDINGS)).rowcount
    conn.execute(text("DROP TABLE _stage_embeddings"))
    return int(written or 0)


_EMBEDDED = """
SELECT {columns}
FROM post_embeddings e
JOIN posts p ON p.id = e.post_id
WHERE e.embedder_version = :version
  AND (CAST(:since AS timestamptz) IS NULL OR p.created_at >= :since)
  AND (CAST(:until AS timestamptz) IS NULL OR p.created_at < :until)
ORDER BY e.post_id
"""


def load_embeddings(
    conn: Connection,
    since: datetime | None,
    until: datetime | None,
    embedder_version: str,
    *,
    sample: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors of ``embedder_version`` for posts created in ``[since, until)``:
    ``(post_ids int64 (n,), vectors float32 (n, dim))``, by ascending post id.

    ``sample``: at most that many posts, drawn uniformly with ``seed`` from the ids in the
    window (the same warehouse, window and seed give the same sample). Nothing stored gives
    ``(0,)`` ids and a ``(0, 0)`` matrix.
    """
    params = {"version": embedder_version, "since": since, "until": until}
    ids_only = _EMBEDDED.format(columns="e.post_id")
    ids = np.asarray(conn.execute(text(ids_only), params).scalars().all(), dtype=np.int64)
    if len(ids) == 0:
        return ids, np.empty((0, 0), dtype=np.float32)
    if sample is not None and len(ids) > sample:
        chosen = np.sort(np.random.default_rng(seed).choice(ids, size=sample, replace=False))
        rows = conn.execute(
            text(
                "SELECT post_id, vector FROM post_embeddings"
                " WHERE post_id = ANY(:ids) ORDER BY post_id"
            ),
            {"ids": chosen.tolist()},
        ).all()
    else:  # every vector in the window: no id list to send
        rows = conn.execute(text(_EMBEDDED.format(columns="e.post_id, e.vector")), params).all()
    return _vectors(rows, embedder_version)


def load_embeddings_for(
    conn: Connection, post_ids: Sequence[int], embedder_version: str
) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors of ``embedder_version`` for these posts, by ascending post id
    (posts without one are left out: compare the returned ids with yours)."""
    rows = conn.execute(
        text(
            "SELECT post_id, vector FROM post_embeddings"
            " WHERE post_id = ANY(:ids) AND embedder_version = :version ORDER BY post_id"
        ),
        {"ids": [int(i) for i in post_ids], "version": embedder_version},
    ).all()
    return _vectors(rows, embedder_version)


def _vectors(rows: Sequence[Any], embedder_version: str) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, float32 matrix)`` from ``(post_id, vector bytes)`` rows."""
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    sizes = {len(vector) for _, vector in rows}
    if len(sizes) != 1:
        raise ValueError(f"stored vectors of {embedder_version} differ in size: {sorted(sizes)}")
    data = b"".join(bytes(vector) for _, vector in rows)
    matrix = np.frombuffer(data, dtype=VECTOR_DTYPE).reshape(len(rows), -1)
    return np.asarray([pid for pid, _ in rows], dtype=np.int64), matrix.astype(np.float32)


# --- discoveries and outcomes ----------------------------------------------------------------

_DISCOVERY_COLUMNS = written_columns(OUTCOME_DISCOVERIES)


def save_discovery(
    conn: Connection,
    *,
    embedder_version: str,
    n_posts: int,
    n_outcomes: int,
    params: Mapping[str, Any],
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> int:
    """Record a discovery run; returns its id (the outcomes and assignments refer to it)."""
    values = {
        "embedder_version": embedder_version,
        "n_posts": n_posts,
        "n_outcomes": n_outcomes,
        "params": json.dumps(dict(params), sort_keys=True, default=str),
        "window_start": window_start,
        "window_end": window_end,
    }
    found = conn.execute(
        text(
            f"INSERT INTO outcome_discoveries ({', '.join(_DISCOVERY_COLUMNS)})"
            f" VALUES ({bind_values(OUTCOME_DISCOVERIES, _DISCOVERY_COLUMNS)}) RETURNING id"
        ),
        {c: values[c] for c in _DISCOVERY_COLUMNS},
    ).scalar_one()
    return int(found)


def latest_discovery(conn: Connection) -> DiscoveryRecord | None:
    """The most recent discovery, or ``None`` before the first one."""
    row = (
        conn.execute(
            text(
                "SELECT id, embedder_version, n_posts, n_outcomes, params, window_start,"
                " window_end, discovered_at FROM outcome_discoveries ORDER BY id DESC LIMIT 1"
            )
        )
        .mappings()
        .first()
    )
    return DiscoveryRecord(**row) if row is not None else None


def current_outcomes(conn: Connection, *, include_retired: bool = False) -> list[OutcomeRecord]:
    """The active outcomes (and the retired ones too when asked), by id."""
    rows = conn.execute(
        text(
            "SELECT id, label, key_phrases, size, centroid, status, representative_post_ids,"
            " first_discovery_id, last_discovery_id FROM outcomes"
            " WHERE status = :active OR :include_retired ORDER BY id"
        ),
        {"active": ACTIVE, "include_retired": include_retired},
    ).mappings()
    return [
        OutcomeRecord(
            id=r["id"],
            label=r["label"],
            key_phrases=tuple(r["key_phrases"]),
            size=r["size"],
            centroid=np.asarray(r["centroid"], dtype=np.float32),
            status=r["status"],
            representative_post_ids=tuple(int(i) for i in r["representative_post_ids"]),
            first_discovery_id=r["first_discovery_id"],
            last_discovery_id=r["last_discovery_id"],
        )
        for r in rows
    ]


_OUTCOME_COLUMNS = written_columns(OUTCOMES)
# A matched outcome keeps the discovery that first found it.
_OUTCOME_UPDATED = written_columns(OUTCOMES, leave_out=("first_discovery_id",))
_INSERT_OUTCOME = f"""
INSERT INTO outcomes ({", ".join(_OUTCOME_COLUMNS)})
VALUES ({bind_values(OUTCOMES, _OUTCOME_COLUMNS)}) RETURNING id
"""
_UPDATE_OUTCOME = f"""
UPDATE outcomes SET ({", ".join(_OUTCOME_UPDATED)}, updated_at)
    = ({bind_values(OUTCOMES, _OUTCOME_UPDATED)}, now())
WHERE id = :id RETURNING id
"""
_RETIRE_OUTCOMES = """
UPDATE outcomes SET status = :retired, updated_at = now()
WHERE status <> :retired AND NOT (id = ANY(:kept)) RETURNING id
"""
_VERSION_COLUMNS = written_columns(OUTCOME_VERSIONS)
_VERSION_KEY = primary_key(OUTCOME_VERSIONS)
_VERSION_VALUES = tuple(c for c in _VERSION_COLUMNS if c not in _VERSION_KEY)
_UPSERT_VERSION = f"""
INSERT INTO outcome_versions ({", ".join(_VERSION_COLUMNS)})
VALUES ({bind_values(OUTCOME_VERSIONS, _VERSION_COLUMNS)})
ON CONFLICT ({", ".join(_VERSION_KEY)}) DO UPDATE SET {set_excluded(_VERSION_VALUES)}
"""


def save_outcomes(conn: Connection, discovery_id: int, rows: Sequence[NewOutcome]) -> list[int]:
    """Write a discovery's outcomes; returns their ids, in the order of ``rows``.

    A row with ``matched_id`` updates that outcome (same id, new description, active again);
    a row without one inserts a new outcome. Every other active outcome is retired: this
    discovery did not find it again (its rows, name and history stay). Each outcome's
    description by this discovery is also written to ``outcome_versions``. Row by row: a
    discovery has tens to a few hundred outcomes, and each insert must return its new id.
    """
    matched = [r.matched_id for r in rows if r.matched_id is not None]
    if len(set(matched)) != len(matched):
        raise ValueError("two new outcomes match the same stored outcome: matches are 1:1")
    if matched:
        known = set(
            conn.execute(
                text("SELECT id FROM outcomes WHERE id = ANY(:ids)"), {"ids": matched}
            ).scalars()
        )
        missing = sorted(set(matched) - known)
        if missing:
            raise ValueError(f"matched outcome ids {missing} are not stored")
    ids: list[int] = []
    for row in rows:
        values: dict[str, Any] = {
            "label": row.label,
            "key_phrases": json.dumps(list(row.key_phrases)),
            "size": int(row.size),
            "centroid": [float(x) for x in np.asarray(row.centroid, dtype=np.float32)],
            "representative_post_ids": json.dumps([int(i) for i in row.representative_post_ids]),
            "status": ACTIVE,
            "first_discovery_id": discovery_id,
            "last_discovery_id": discovery_id,
        }
        if row.matched_id is None:
            found = conn.execute(
                text(_INSERT_OUTCOME), {c: values[c] for c in _OUTCOME_COLUMNS}
            ).scalar_one()
        else:
            found = conn.execute(
                text(_UPDATE_OUTCOME),
                {**{c: values[c] for c in _OUTCOME_UPDATED}, "id": row.matched_id},
            ).scalar_one()
        ids.append(int(found))
        version = {
            **values,
            "outcome_id": int(found),
            "discovery_id": discovery_id,
            "matched_similarity": row.matched_similarity,
        }
        conn.execute(text(_UPSERT_VERSION), {c: version[c] for c in _VERSION_COLUMNS})
    retired = conn.execute(text(_RETIRE_OUTCOMES), {"retired": RETIRED, "kept": ids}).rowcount
    log.info(
        "discovery %d: %d outcomes kept, %d new, %d retired",
        discovery_id,
        len(matched),
        len(rows) - len(matched),
        retired,
    )
    return ids


# --- assignments -----------------------------------------------------------------------------

_ASSIGNMENT_COLUMNS = written_columns(POST_OUTCOMES)
_ASSIGNMENT_KEY = primary_key(POST_OUTCOMES)
_ASSIGNMENT_VALUES = tuple(c for c in _ASSIGNMENT_COLUMNS if c not in _ASSIGNMENT_KEY)
_UPSERT_ASSIGNMENTS = f"""
INSERT INTO post_outcomes ({", ".join(_ASSIGNMENT_COLUMNS)})
SELECT {", ".join(_ASSIGNMENT_COLUMNS)} FROM _stage_assignments
ON CONFLICT ({", ".join(_ASSIGNMENT_KEY)}) DO UPDATE SET
    {set_excluded(_ASSIGNMENT_VALUES)}, assigned_at = now()
WHERE {changed("post_outcomes", _ASSIGNMENT_VALUES)}
"""


def assignment_row(a: Assignment) -> tuple[Any, ...]:
    """The ``post_outcomes`` row for ``a``, in the order of its written columns."""
    values = {
        "post_id": int(a.post_id),
        "outcome_id": None if a.outcome_id is None else int(a.outcome_id),
        "score": None if a.score is None else float(a.score),
        "reason": a.reason,
        "discovery_id": int(a.discovery_id),
    }
    return tuple(values[c] for c in _ASSIGNMENT_COLUMNS)


def save_assignments(conn: Connection, rows: Sequence[Assignment]) -> int:
    """Upsert one row per post (COPY into staging, then ``INSERT … ON CONFLICT (post_id)``);
    returns the rows inserted or changed.

    Saving the same assignments again writes nothing (``assigned_at`` keeps its time); a
    re-assignment (another outcome, score, reason or discovery) replaces the row. A post given
    twice keeps the last. Raises ``ValueError`` on a reason that is not one of
    :data:`REASONS` or an unassigned row without one (the table's checks would refuse them).
    """
    if not rows:
        return 0
    for a in rows:
        if (a.outcome_id is None) != (a.reason is not None) or (
            a.reason is not None and a.reason not in REASONS
        ):
            raise ValueError(
                f"post {a.post_id}: an unassigned post needs one of {REASONS} as its reason,"
                f" an assigned one none (got outcome {a.outcome_id}, reason {a.reason!r})"
            )
    last = {a.post_id: a for a in rows}
    conn.execute(
        text(
            f"CREATE TEMP TABLE _stage_assignments ON COMMIT DROP AS"
            f" SELECT {', '.join(_ASSIGNMENT_COLUMNS)} FROM post_outcomes WITH NO DATA"
        )
    )
    _copy(
        conn,
        "_stage_assignments",
        _ASSIGNMENT_COLUMNS,
        copy_text(assignment_row(a) for a in last.values()),
    )
    written = conn.execute(text(_UPSERT_ASSIGNMENTS)).rowcount
    conn.execute(text("DROP TABLE _stage_assignments"))
    return int(written or 0)


# --- daily counts ----------------------------------------------------------------------------


def outcome_daily_sql() -> str:
    """The analyst-readable insert that counts one range of days (``sql/metrics``)."""
    resource = files("sql")
    for part in _DAILY_SQL:
        resource = resource / part
    return resource.read_text(encoding="utf-8")


def _staged_daily_sql() -> str:
    sql = outcome_daily_sql()
    if _DAILY_TARGET not in sql:
        raise RuntimeError(f"{'/'.join(_DAILY_SQL)} must start its insert with {_DAILY_TARGET!r}")
    return sql.replace(_DAILY_TARGET, f"insert into pg_temp.{_DAILY_STAGING}", 1)


_DAILY_KEY = primary_key(OUTCOME_DAILY)
_DAILY_VALUES = tuple(c for c in written_columns(OUTCOME_DAILY) if c not in _DAILY_KEY)


def recompute_outcome_daily(
    conn: Connection, since: datetime | None, until: datetime | None, tz: str = "UTC"
) -> int:
    """Recompute ``outcome_daily`` for the whole local days (in ``tz``) that ``[since, until)``
    touches (open ends: the first/last day with posts); returns the rows those days now have.

    The days are counted into a staging table by ``sql/metrics/outcome_daily.sql`` and replace
    the stored ones: rows the days no longer have are deleted, changed rows updated (with a
    new ``computed_at``), new ones inserted, and unchanged rows left alone, so a rerun leaves
    the table exactly as it was. Concurrent runs queue on an advisory lock held until the
    caller's transaction ends.
    """
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    days = day_range(conn, since, until, tz)
    if days is None:
        return 0
    first, end = days
    conn.execute(
        text(
            f"CREATE TEMP TABLE {_DAILY_STAGING} (LIKE public.outcome_daily INCLUDING DEFAULTS)"
            " ON COMMIT DROP"
        )
    )
    rows = conn.execute(
        text(_staged_daily_sql()), {"first_day": first, "end_day": end, "timezone": tz}
    ).rowcount
    deleted, updated, inserted = _merge_daily(conn, first, end)
    conn.execute(text(f"DROP TABLE pg_temp.{_DAILY_STAGING}"))
    log.info(
        "outcome_daily %s..%s: %d rows; %d deleted, %d updated, %d inserted",
        first,
        end,
        rows,
        deleted,
        updated,
        inserted,
    )
    return int(rows)


def _merge_daily(conn: Connection, first: date, end: date) -> tuple[int, int, int]:
    key = " AND ".join(f"d.{k} = f.{k}" for k in _DAILY_KEY)
    staged = f"pg_temp.{_DAILY_STAGING}"
    deleted = conn.execute(
        text(
            f"DELETE FROM public.outcome_daily d WHERE d.day >= :first AND d.day < :end"
            f" AND NOT EXISTS (SELECT 1 FROM {staged} f WHERE {key})"
        ),
        {"first": first, "end": end},
    ).rowcount
    updated = conn.execute(
        text(
            "UPDATE public.outcome_daily d SET "
            + ", ".join(f"{c} = f.{c}" for c in _DAILY_VALUES)
            + f", computed_at = now() FROM {staged} f WHERE {key}"
            f" AND ({', '.join(f'd.{c}' for c in _DAILY_VALUES)})"
            f" IS DISTINCT FROM ({', '.join(f'f.{c}' for c in _DAILY_VALUES)})"
        )
    ).rowcount
    columns = ", ".join((*_DAILY_KEY, *_DAILY_VALUES))
    inserted = conn.execute(
        text(
            f"INSERT INTO public.outcome_daily ({columns}) SELECT {columns} FROM {staged}"
            f" ON CONFLICT ({', '.join(_DAILY_KEY)}) DO NOTHING"
        )
    ).rowcount
    return int(deleted), int(updated), int(inserted)


# --- scores ----------------------------------------------------------------------------------


def outcome_opportunity(
    conn: Connection, since: datetime | None, until: datetime | None
) -> list[Opportunity]:
    """Opportunity scores per brand and per competitive set and outcome over
    ``[since, until)`` (``None``: open), best opportunity first within each set.

    The numbers come from the SQL function ``analytics.outcome_opportunity`` (created by
    migration 0006), which the ``analytics.outcome_opportunity`` view (the last 28 days of
    data), the report and the CLI all call: a function rather than a SQL file because the
    window is a parameter (distinct customers over a window cannot be summed from days) and
    because analysts can call it with their own window while reading nothing but the views.
    The definitions are in ``sql/marts/outcome_opportunity.sql``.
    """
    rows = conn.execute(
        text(
            "SELECT * FROM analytics.outcome_opportunity("
            "CAST(:since AS timestamptz), CAST(:until AS timestamptz))"
            " ORDER BY set_id, brand_id NULLS FIRST, opportunity DESC NULLS LAST, outcome_id"
        ),
        {"since": since, "until": until},
    ).mappings()
    return [Opportunity(**r) for r in rows]


_DRIVER_COUNTS = """
SELECT outcome_id,
       count(*) FILTER (WHERE created_at >= :window_start) AS window_badvocacy,
       count(*) FILTER (WHERE created_at < :window_start) AS baseline_badvocacy
FROM analytics.int_outcome_mentions
WHERE brand_id = :brand_id
  AND outcome_id IS NOT NULL
  AND advocacy = 'badvocacy'
  AND created_at >= least(CAST(:baseline_start AS timestamptz), :window_start)
  AND created_at < :window_end
GROUP BY outcome_id
ORDER BY outcome_id
"""


def driver_counts(
    conn: Connection,
    brand_id: int,
    window_start: datetime,
    window_end: datetime,
    baseline_start: datetime,
) -> dict[int, tuple[int, int]]:
    """``{outcome_id: (window_badvocacy, baseline_badvocacy)}`` for one brand: its badvocacy
    mentions (current advocacy model) about each outcome in the alert window
    ``[window_start, window_end)`` and in the baseline ``[baseline_start, window_start)``.

    Outcomes with no badvocacy in either are left out; so are unassigned mentions (they are
    about no outcome). Counted from the posts, so any instants work (alert windows are local
    days; ``outcome_daily`` holds the same counts per day).
    """
    rows = conn.execute(
        text(_DRIVER_COUNTS),
        {
            "brand_id": brand_id,
            "window_start": window_start,
            "window_end": window_end,
            "baseline_start": baseline_start,
        },
    )
    return {int(o): (int(w), int(b)) for o, w, b in rows}


_DRIVER_EXAMPLES = """
SELECT outcome_id, post_id, text, url
FROM (
    SELECT outcome_id, post_id, text, url,
           row_number() OVER (
               PARTITION BY outcome_id
               ORDER BY reach_weight DESC, engagement_weight DESC, post_id
           ) AS rank
    FROM analytics.int_outcome_mentions
    WHERE brand_id = :brand_id
      AND outcome_id = ANY(:outcome_ids)
      AND advocacy = 'badvocacy'
      AND created_at >= :window_start AND created_at < :window_end
) ranked
WHERE rank <= :per_outcome
ORDER BY outcome_id, rank
"""


def driver_examples(
    conn: Connection,
    brand_id: int,
    window_start: datetime,
    window_end: datetime,
    outcome_ids: Collection[int],
    *,
    per_outcome: int = 3,
    max_chars: int = 280,
) -> dict[int, list[ExamplePost]]:
    """Up to ``per_outcome`` badvocacy posts about each outcome in the window, largest reach
    first (1 + author followers, then engagement): the examples an alert shows per driver.
    Texts longer than ``max_chars`` are cut with an ellipsis."""
    out: dict[int, list[ExamplePost]] = {int(o): [] for o in outcome_ids}
    if not out:
        return out
    rows = conn.execute(
        text(_DRIVER_EXAMPLES),
        {
            "brand_id": brand_id,
            "outcome_ids": list(out),
            "window_start": window_start,
            "window_end": window_end,
            "per_outcome": per_outcome,
        },
    )
    for outcome_id, post_id, body, url in rows:
        excerpt = body if len(body) <= max_chars else body[: max_chars - 1].rstrip() + "…"
        out[int(outcome_id)].append(ExamplePost(int(post_id), excerpt, url))
    return out


def changed_tables(
    *, embeddings: int = 0, assignments: int = 0, daily_rows: int = 0
) -> dict[str, int]:
    """``{table: rows changed}`` for ``warehouse.engine.analyze_changed`` after an outcomes
    run, so the report and the alerts plan their queries on fresh statistics."""
    return {
        "post_embeddings": embeddings,
        "post_outcomes": assignments,
        "outcome_daily": daily_rows,
    }


def brand_terms(conn: Connection) -> list[str]:
    """Every watched brand's name and aliases (without a leading ``@`` or ``#``), longest
    first: what outcome texts mask besides the stored spans, so that a post naming a brand it
    is not counted for ("unlike my old Voltera") is not pulled toward that brand either."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT lower(ltrim(t, '@#')) FROM brands,"
            " LATERAL (SELECT name AS t UNION ALL"
            " SELECT jsonb_array_elements_text(aliases)) AS terms"
        )
    ).scalars()
    return sorted((t for t in rows if t and t.strip()), key=lambda t: (-len(t), t))
