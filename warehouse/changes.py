"""Has anything a stage reads changed since it last ran for the same scope?

Why. A rerun with nothing new (a retried DAG run, ``grapevine run`` twice, a night with no new
posts) recomputed every derived row and rewrote the report: about 5 s of an 8-10 s no-op on a
100k-post history (issue #16), growing with the history. The answer to "has anything changed"
costs one small query instead.

How. Triggers (migration 0009) append a ``change_log`` row per statement that changed a watched
table, in the writer's own transaction; :func:`versions` sums them per table, so the sums move
with every committed change, in whatever order writers commit. A stage calls :func:`check`
before its work, with a ``scope`` that names everything else its result depends on (window,
time zone, settings), and :func:`record` after it, with the sums :func:`check` returned:

- the state keeps the sums seen *before* the work and *after* it (the stage's own writes are
  in the after-sums; a concurrent writer's too, which is why both are kept);
- a later :func:`check` skips only if the sums now equal the after-sums, and no table the
  stage reads (``inputs``) moved between before and after. A change that landed while the
  stage was computing therefore always means one more run, never a skipped one.

An interrupted stage records nothing, so its rerun does the work. Deleting or editing rows by
hand goes through the triggers like any writer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

#: change_log rows kept before :func:`compact` folds them into one per table.
COMPACT_AFTER = 10_000

#: The tables migration 0009 put triggers on (it keeps its own frozen copy, as migrations do):
#: everything a stage reads to compute what it stores or writes out.
WATCHED = (
    "brands",
    "posts",
    "post_brands",
    "classifications",
    "model_versions",
    "brand_daily_metrics",
    "alerts",
    "quarantine",
    "outcome_discoveries",
    "outcomes",
    "outcome_versions",
    "post_embeddings",
    "post_outcomes",
    "outcome_daily",
)


def versions(conn: Connection) -> dict[str, int]:
    """The change sum of every watched table that has changed at least once."""
    rows = conn.execute(
        text("SELECT table_name, sum(changes)::bigint FROM change_log GROUP BY table_name")
    )
    return {name: int(total) for name, total in rows}


def scope_key(**parts: Any) -> str:
    """A stable scope string from its parts (JSON, keys sorted; hashed when long, e.g. a
    whole settings dump)."""
    raw = json.dumps(parts, sort_keys=True, default=str)
    return raw if len(raw) <= 200 else "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _pick(sums: Mapping[str, int], tables: Iterable[str]) -> dict[str, int]:
    return {t: int(sums.get(t, 0)) for t in tables}


def check(
    engine: Engine, stage: str, scope: str, inputs: Iterable[str], outputs: Iterable[str] = ()
) -> tuple[dict[str, int], dict[str, Any] | None]:
    """``(sums now, state)``: ``state`` is what :func:`record` stored for this stage and
    scope when nothing in ``inputs`` or ``outputs`` changed since (skip the work), else
    ``None`` (do it, then :func:`record` with the sums returned here)."""
    inputs, outputs = tuple(inputs), tuple(outputs)
    with engine.connect() as conn:
        now = versions(conn)
        row = conn.execute(
            text("SELECT state, done_at FROM stage_state WHERE stage = :stage AND scope = :scope"),
            {"stage": stage, "scope": scope},
        ).one_or_none()
    if row is None:
        return now, None
    state: dict[str, Any] = dict(row.state)
    before, after = state.get("before", {}), state.get("after", {})
    watched = inputs + outputs
    if _pick(after, watched) != _pick(now, watched) or _pick(before, inputs) != _pick(
        after, inputs
    ):
        return now, None
    state["done_at"] = row.done_at
    return now, state


def record(engine: Engine, stage: str, scope: str, before: Mapping[str, int], **extra: Any) -> None:
    """Remember that ``stage`` finished ``scope`` having seen ``before`` (from :func:`check`);
    ``extra`` (JSON-able) comes back in the state of a later skipping :func:`check`."""
    with engine.begin() as conn:
        after = versions(conn)
        state = {"before": dict(before), "after": after, **extra}
        conn.execute(
            text(
                """
                INSERT INTO stage_state (stage, scope, state, done_at)
                VALUES (:stage, :scope, CAST(:state AS jsonb), now())
                ON CONFLICT (stage, scope)
                DO UPDATE SET state = EXCLUDED.state, done_at = EXCLUDED.done_at
                """
            ),
            {"stage": stage, "scope": scope, "state": json.dumps(state, default=str)},
        )
        compact(conn)


def compact(conn: Connection, keep: int = COMPACT_AFTER) -> None:
    """Fold the log into one row per table once it holds more than ``keep`` rows; the sums
    stay the same, so no state goes stale. Concurrent compactions cannot double-count: the
    second one's DELETE finds the rows already gone."""
    count = conn.execute(text("SELECT count(*) FROM change_log")).scalar_one()
    if count <= keep:
        return
    conn.execute(
        text(
            """
            WITH gone AS (DELETE FROM change_log RETURNING table_name, changes)
            INSERT INTO change_log (table_name, changes)
            SELECT table_name, sum(changes) FROM gone GROUP BY table_name
            """
        )
    )


def done_at(state: Mapping[str, Any]) -> datetime | None:
    """When the skipped work was last done (for messages)."""
    value = state.get("done_at")
    return value if isinstance(value, datetime) else None
