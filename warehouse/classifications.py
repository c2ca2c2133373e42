"""Reading work for the classifiers and writing their labels (warehouse side of ``classify``).

What needs classifying is derived from the warehouse itself: a post without a sentiment row
for the current sentiment model version, a (post, brand) mention without an advocacy row for
the current advocacy model version. So a rerun does nothing, a crash resumes where it stopped,
and a new model version classifies everything again beside the old rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from grapevine.core.text import clean_text
from warehouse import queues
from warehouse.load import _copy, bind_values, copy_text
from warehouse.models import (
    CLASSIFICATIONS,
    MODEL_VERSIONS,
    primary_key,
    unique_constraint,
    written_columns,
)

SENTIMENT = "sentiment"
ADVOCACY = "advocacy"


@dataclass(frozen=True, slots=True)
class Mention:
    """A brand in a post; ``inherited_from`` is set when the post is a reply that does not name
    the brand and inherits it from that ancestor (see ``warehouse.threads``)."""

    brand_id: int
    brand: str
    start: int | None
    end: int | None
    inherited_from: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadContext:
    """The ancestor a reply inherits a brand from: what the reply answers, read as context."""

    post_id: int
    text: str
    mentions: tuple[Mention, ...]  # the ancestor's own (direct) mentions, with their spans

    def spans(self, brand_id: int) -> tuple[tuple[int, int], ...]:
        """Where the ancestor names ``brand_id`` (empty when the span is not known)."""
        return tuple(
            (m.start, m.end)
            for m in self.mentions
            if m.brand_id == brand_id and m.start is not None and m.end is not None
        )

    def other_spans(self, brand_id: int) -> tuple[tuple[int, int], ...]:
        """Where the ancestor names other brands (masked so the verdict is about one brand)."""
        return tuple(
            (m.start, m.end)
            for m in self.mentions
            if m.brand_id != brand_id and m.start is not None and m.end is not None
        )


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A post with what is still missing for it: its sentiment and/or some brands' advocacy."""

    post_id: int
    text: str
    lang: str | None
    needs_sentiment: bool
    mentions: tuple[Mention, ...]  # every brand mentioned (other brands are masked as context)
    needs_advocacy: tuple[int, ...]  # brand ids still without an advocacy row
    #: The ancestors that inherited mentions come from, by post id (replies judged in thread).
    contexts: Mapping[int, ThreadContext] = field(default_factory=dict)

    def context_for(self, mention: Mention) -> ThreadContext | None:
        if mention.inherited_from is None:
            return None
        return self.contexts.get(mention.inherited_from)


@dataclass(frozen=True, slots=True)
class Label:
    post_id: int
    brand_id: int | None
    task: str
    label: str
    probs: dict[str, float]
    lang: str | None
    model_name: str
    model_version: str


# Finding pending work must cost O(posts after ``after_id``), never O(history x chunks), and
# must not depend on the planner's statistics. A plain ``NOT EXISTS`` anti-join is not enough:
# with stale statistics (right after a bulk load) PostgreSQL planned it as a Nested Loop Anti
# Join over a Materialize of every classification, i.e. quadratic again. So each "is it done?"
# check is a LATERAL probe with LIMIT 1 correlated on the post id: it cannot be materialised
# or hashed, only run as one index lookup in the unique index on classifications (post_id,
# brand_id, task, model_version) per candidate. Candidates are read in post-id order after
# ``after_id`` (keyset pagination) and each branch stops at ``limit`` ids. No CTE is joined to
# itself and no subquery sits in a select list, so nothing is re-evaluated per skipped post.
# The brand is compared with IS NOT DISTINCT FROM (``IS NULL`` for sentiment, ``=`` for
# advocacy, where pb.brand_id is never NULL) because that is not indexable: with stale
# statistics the planner otherwise picked ix_classifications_brand_task_version and scanned
# every label of the brand or task per candidate, quadratic again.
# tests/integration/test_classify_pending.py asserts this plan with and without ANALYZE:
# no SubPlan, no Materialize/CTE Scan, every classifications access an index lookup by post_id.
_WINDOW = """
      (CAST(:since AS timestamptz) IS NULL OR p.created_at >= CAST(:since AS timestamptz))
  AND (CAST(:until AS timestamptz) IS NULL OR p.created_at < CAST(:until AS timestamptz))
  AND p.id > :after_id
  AND (CAST(:last_id AS bigint) IS NULL OR p.id <= CAST(:last_id AS bigint))
"""
# With candidates (posts read from classify_queue): an index condition on the posts key, so
# only those posts are probed, whatever the size of the history.
_CANDIDATES = "  AND p.id = ANY(CAST(:candidates AS bigint[]))\n"

_NEEDS_SENTIMENT = (
    """
SELECT p.id
FROM posts p
LEFT JOIN LATERAL (
    SELECT c.post_id FROM classifications c
    WHERE c.post_id = p.id AND c.brand_id IS NOT DISTINCT FROM CAST(NULL AS integer)
      AND c.task = 'sentiment' AND c.model_version = :sentiment_version
    LIMIT 1
) done ON true
WHERE"""
    + _WINDOW
    + """
  AND done.post_id IS NULL
"""
)

_NEEDS_ADVOCACY = (
    """
SELECT DISTINCT pb.post_id AS id
FROM post_brands pb JOIN posts p ON p.id = pb.post_id
LEFT JOIN LATERAL (
    SELECT c.post_id FROM classifications c
    WHERE c.post_id = pb.post_id AND c.brand_id IS NOT DISTINCT FROM pb.brand_id
      AND c.task = 'advocacy' AND c.model_version = :advocacy_version
    LIMIT 1
) done ON true
WHERE"""
    + _WINDOW
    + """
  AND done.post_id IS NULL
"""
)


# The next ``limit`` pending post ids after ``after_id``. Each branch is cut at ``limit``
# distinct ids before the union, so the union's first ``limit`` ids are exactly the first
# ``limit`` pending ones.
def _page_sql(candidates: bool = False) -> str:
    extra = _CANDIDATES if candidates else ""
    return f"""
(SELECT id FROM ({_NEEDS_SENTIMENT}{extra}) s ORDER BY id LIMIT :limit)
UNION
(SELECT id FROM ({_NEEDS_ADVOCACY}{extra}) a ORDER BY id LIMIT :limit)
ORDER BY id
LIMIT :limit
"""


# Every pending id in the window (for cutting fan-out ranges): one pass, no limit.
def _ids_sql(candidates: bool = False) -> str:
    extra = _CANDIDATES if candidates else ""
    return f"""
{_NEEDS_SENTIMENT}{extra}
UNION
{_NEEDS_ADVOCACY}{extra}
ORDER BY id
"""


PENDING_IDS_PAGE = _page_sql()
_PENDING_IDS = _ids_sql()

# What is missing for a page of ids already known to be pending: the same LATERAL probes, so
# the work is a few index lookups per post of the page, whatever the size of the history.
PENDING_DETAILS = """
SELECT p.id, p.text, p.lang, s.post_id IS NULL AS needs_sentiment,
       COALESCE(m.needs_advocacy, CAST('{}' AS integer[])) AS needs_advocacy,
       COALESCE(m.mentions, '[]') AS mentions
FROM posts p
LEFT JOIN LATERAL (
    SELECT c.post_id FROM classifications c
    WHERE c.post_id = p.id AND c.brand_id IS NOT DISTINCT FROM CAST(NULL AS integer)
      AND c.task = 'sentiment' AND c.model_version = :sentiment_version
    LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    SELECT array_agg(pb.brand_id ORDER BY pb.brand_id)
               FILTER (WHERE d.post_id IS NULL) AS needs_advocacy,
           json_agg(json_build_array(b.id, b.name, pb.mention_start, pb.mention_end,
                                     pb.inherited_from_post_id)
                    ORDER BY b.id) AS mentions
    FROM post_brands pb
    JOIN brands b ON b.id = pb.brand_id
    LEFT JOIN LATERAL (
        SELECT c.post_id FROM classifications c
        WHERE c.post_id = pb.post_id AND c.brand_id IS NOT DISTINCT FROM pb.brand_id
          AND c.task = 'advocacy' AND c.model_version = :advocacy_version
        LIMIT 1
    ) d ON true
    WHERE pb.post_id = p.id
) m ON true
WHERE p.id = ANY(:ids)
ORDER BY p.id
"""


def pin_page_plan(conn: Connection) -> None:
    """Make this transaction read a page of pending ids by index, whatever the statistics say.

    Right after a bulk load the planner believes posts and post_brands are small and plans a
    page as a seq scan of the whole table plus a sort or hash join: O(history) per page again
    (4.7 s instead of 1.4 s for 4k new posts on 100k in benchmarks/classify_pending_bench.py).
    Walking the primary keys from ``after_id`` is right at any size, so the alternatives are
    switched off for this transaction only (``SET LOCAL``), which also covers the page's
    details query run in the same transaction.
    """
    # JIT too: disabled alternatives and stale estimates inflate costs past jit_above_cost, and
    # compiling the expressions took 250-400 ms per query, longer than the query itself.
    for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "enable_sort", "jit"):
        conn.execute(text(f"SET LOCAL {setting} = off"))


def pending_work(
    conn: Connection,
    *,
    since: datetime | None,
    until: datetime | None,
    sentiment_version: str,
    advocacy_version: str,
    after_id: int = 0,
    last_id: int | None = None,
    limit: int = 1000,
    candidates: Sequence[int] | None = None,
) -> list[WorkItem]:
    """Up to ``limit`` posts (by id, after ``after_id``) that still miss a label; with
    ``candidates``, only among those posts (ids read from ``classify_queue``).

    Pins the page query's plan with ``SET LOCAL``: ``conn`` must be in a transaction (the
    caller's), which ends the setting with it."""
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "after_id": after_id,
        "last_id": last_id,
        "limit": limit,
        "sentiment_version": sentiment_version,
        "advocacy_version": advocacy_version,
    }
    pin_page_plan(conn)
    if candidates is not None:
        params["candidates"] = list(candidates)
    query = PENDING_IDS_PAGE if candidates is None else _page_sql(candidates=True)
    ids = conn.execute(text(query), params).scalars().all()
    if not ids:
        return []
    rows = conn.execute(
        text(PENDING_DETAILS),
        {
            "ids": list(ids),
            "sentiment_version": sentiment_version,
            "advocacy_version": advocacy_version,
        },
    ).all()
    parsed = [
        (post_id, body, lang, needs_sentiment, needs_advocacy, _mentions(mentions))
        for post_id, body, lang, needs_sentiment, needs_advocacy, mentions in rows
    ]
    wanted = {
        m.inherited_from
        for *_, needs_advocacy, mentions in parsed
        for m in mentions
        if m.inherited_from is not None and m.brand_id in needs_advocacy
    }
    contexts = thread_contexts(conn, wanted)
    return [
        WorkItem(
            post_id=post_id,
            text=body,
            lang=lang,
            needs_sentiment=bool(needs_sentiment),
            mentions=mentions,
            needs_advocacy=tuple(needs_advocacy),
            contexts={
                m.inherited_from: contexts[m.inherited_from]
                for m in mentions
                if m.inherited_from is not None and m.inherited_from in contexts
            },
        )
        for post_id, body, lang, needs_sentiment, needs_advocacy, mentions in parsed
    ]


def _mentions(raw: Any) -> tuple[Mention, ...]:
    """The pending query's ``[brand_id, brand, start, end, inherited_from]`` arrays."""
    found = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(Mention(*m) for m in found)


_CONTEXTS = """
SELECT p.id, p.text,
       COALESCE((
           SELECT json_agg(json_build_array(b.id, b.name, pb.mention_start, pb.mention_end)
                           ORDER BY b.id)
           FROM post_brands pb JOIN brands b ON b.id = pb.brand_id
           WHERE pb.post_id = p.id AND NOT pb.inherited), '[]') AS mentions
FROM posts p
WHERE p.id = ANY(:ids)
"""


def thread_contexts(conn: Connection, post_ids: Iterable[int]) -> dict[int, ThreadContext]:
    """The texts and direct mentions of these ancestors, read once per chunk of work."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    rows = conn.execute(text(_CONTEXTS), {"ids": ids})
    return {
        post_id: ThreadContext(post_id, body, _mentions(mentions))
        for post_id, body, mentions in rows
    }


def pending_ranges(
    conn: Connection,
    *,
    since: datetime | None,
    until: datetime | None,
    sentiment_version: str,
    advocacy_version: str,
    batch_size: int,
    candidates: Sequence[int] | None = None,
) -> list[tuple[int, int, int]]:
    """``(first_post_id, last_post_id, n_posts)`` chunks of pending posts, for fan-out (with
    ``candidates``: among those posts only)."""
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "after_id": 0,
        "last_id": None,
        "sentiment_version": sentiment_version,
        "advocacy_version": advocacy_version,
    }
    query = _PENDING_IDS
    if candidates is not None:
        params["candidates"] = list(candidates)
        query = _ids_sql(candidates=True)
        pin_page_plan(conn)  # an index lookup per candidate, never a scan of the history
    ids = conn.execute(text(query), params).scalars().all()
    return [
        (ids[i], ids[min(i + batch_size, len(ids)) - 1], min(batch_size, len(ids) - i))
        for i in range(0, len(ids), batch_size)
    ]


# --- the classify queue (migration 0010, warehouse.queues) ------------------------------------


def sync_queue(conn: Connection, sentiment_version: str, advocacy_version: str) -> bool:
    """Make the classify queue complete for these model versions (every post queued once after a
    model change); in the caller's transaction."""
    return queues.sync(
        conn, queues.CLASSIFY, {"sentiment": sentiment_version, "advocacy": advocacy_version}
    )


_MODEL_COLUMNS = written_columns(MODEL_VERSIONS)
_REGISTER_MODEL = f"""
INSERT INTO model_versions ({", ".join(_MODEL_COLUMNS)})
VALUES ({bind_values(MODEL_VERSIONS, _MODEL_COLUMNS)})
ON CONFLICT ({", ".join(primary_key(MODEL_VERSIONS))}) DO UPDATE SET is_current = true
WHERE NOT model_versions.is_current
"""


def register_model(
    conn: Connection, task: str, model_name: str, model_version: str, details: dict[str, Any]
) -> None:
    """Record the model and make it the task's current one (the views read only that one)."""
    conn.execute(
        text(
            """
            UPDATE model_versions SET is_current = false
            WHERE task = :task AND is_current AND model_version <> :version
            """
        ),
        {"task": task, "version": model_version},
    )
    conn.execute(
        text(_REGISTER_MODEL),
        {
            "task": task,
            "model_version": model_version,
            "model_name": model_name,
            "is_current": True,
            "details": json.dumps(details),
        },
    )


# In table order (warehouse.models); the row built in write_labels follows it.
_LABEL_COLUMNS = written_columns(CLASSIFICATIONS)
_UPSERT_LABELS = f"""
INSERT INTO classifications ({", ".join(_LABEL_COLUMNS)})
SELECT {", ".join(_LABEL_COLUMNS)} FROM _stage_labels
ON CONFLICT ON CONSTRAINT {unique_constraint(CLASSIFICATIONS).name}
DO NOTHING
"""


def _label_row(lab: Label) -> tuple[Any, ...]:
    """The ``classifications`` row for ``lab``, in ``_LABEL_COLUMNS`` order."""
    return (
        lab.post_id,
        lab.brand_id,
        lab.task,
        lab.label,
        max(lab.probs.values()) if lab.probs else None,
        json.dumps(lab.probs, sort_keys=True),
        clean_text(lab.lang) if lab.lang else None,
        lab.model_name,
        lab.model_version,
    )


def write_labels(conn: Connection, labels: Sequence[Label]) -> int:
    """COPY labels into staging and insert the new ones; returns how many rows were added."""
    if not labels:
        return 0
    conn.execute(
        text(
            f"CREATE TEMP TABLE _stage_labels ON COMMIT DROP AS"
            f" SELECT {', '.join(_LABEL_COLUMNS)} FROM classifications WITH NO DATA"
        )
    )
    _copy(conn, "_stage_labels", _LABEL_COLUMNS, copy_text(_label_row(lab) for lab in labels))
    result = conn.execute(text(_UPSERT_LABELS))
    conn.execute(text("DROP TABLE _stage_labels"))
    return int(result.rowcount or 0)
