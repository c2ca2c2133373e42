"""Post queues that triggers fill (migration 0010): how a stage finds its work in O(new posts).

Why. Finding what is pending by probing every post of the window grew with the history: on a
100k-post warehouse an incremental night of 1,000 posts spent 1.0 s finding its classify work
and 0.3 s its outcome work, more than it spent on the posts themselves (#16). Statement-level
triggers now queue a post id in the writer's own transaction whenever something happens that can
give a stage work for it (``classify_queue``: a new post, a new mention, a deleted label;
``outcome_queue``: a new or changed post or mention, a deleted assignment). A stage reads its
queue instead of the history, and still decides with its own "is it pending?" test, so a post
queued twice or already done costs one lookup.

Rules every consumer keeps:

- :func:`sync` first: a new model version makes every post pending, which no trigger sees, so
  the queue is refilled with every post once when the versions differ from those it was last
  complete for (and on the first run after the migration, when it knows none).
- Read the queue rows of a batch of posts (:func:`rows`) *before* doing their work: every change
  they stand for is then visible to the work, and deleting exactly those rows afterwards
  (:func:`dequeue`) loses nothing; a row queued meanwhile stays for the next run. An
  interrupted stage deletes nothing, so its rerun finds the same work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, text

CLASSIFY = "classify_queue"
OUTCOMES = "outcome_queue"
_QUEUES = (CLASSIFY, OUTCOMES)
#: Advisory lock keys: one version check per queue at a time (fan-out batches start together).
_LOCKS = {CLASSIFY: 0x67766371, OUTCOMES: 0x6776716F}


def _table(queue: str) -> str:
    if queue not in _QUEUES:  # table names are ours, never input; still checked
        raise ValueError(f"unknown queue {queue!r}")
    return queue


def sync(conn: Connection, queue: str, versions: Mapping[str, str]) -> bool:
    """Make ``queue`` complete for these model ``versions``: queue every post once when they
    differ from those it was last complete for (returns True then). In the caller's
    transaction: commit it before reading the queue."""
    table = _table(queue)
    wanted = dict(versions)
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCKS[table]})
    state = conn.execute(
        text("SELECT state FROM stage_state WHERE stage = :stage AND scope = 'versions'"),
        {"stage": table},
    ).scalar_one_or_none()
    if state == wanted:
        return False
    conn.execute(text(f"INSERT INTO {table} (post_id) SELECT id FROM posts"))
    conn.execute(
        text(
            """
            INSERT INTO stage_state (stage, scope, state, done_at)
            VALUES (:stage, 'versions', CAST(:state AS jsonb), now())
            ON CONFLICT (stage, scope)
            DO UPDATE SET state = EXCLUDED.state, done_at = EXCLUDED.done_at
            """
        ),
        {"stage": table, "state": json.dumps(wanted)},
    )
    return True


def queued(
    conn: Connection,
    queue: str,
    *,
    since: datetime | None,
    until: datetime | None,
    first_id: int | None = None,
    last_id: int | None = None,
) -> list[int]:
    """The queued posts created in ``[since, until)`` (and in the id range), by id."""
    query = f"""
        SELECT DISTINCT q.post_id
        FROM {_table(queue)} q JOIN posts p ON p.id = q.post_id
        WHERE (CAST(:since AS timestamptz) IS NULL OR p.created_at >= CAST(:since AS timestamptz))
          AND (CAST(:until AS timestamptz) IS NULL OR p.created_at < CAST(:until AS timestamptz))
          AND (CAST(:first_id AS bigint) IS NULL OR q.post_id >= CAST(:first_id AS bigint))
          AND (CAST(:last_id AS bigint) IS NULL OR q.post_id <= CAST(:last_id AS bigint))
        ORDER BY q.post_id
    """
    params = {"since": since, "until": until, "first_id": first_id, "last_id": last_id}
    return list(conn.execute(text(query), params).scalars())


def rows(conn: Connection, queue: str, post_ids: Sequence[int]) -> list[int]:
    """The queue rows of these posts (read them before the posts' work: see the module)."""
    if not post_ids:
        return []
    return list(
        conn.execute(
            text(f"SELECT id FROM {_table(queue)} WHERE post_id = ANY(CAST(:ids AS bigint[]))"),
            {"ids": list(post_ids)},
        ).scalars()
    )


def dequeue(
    conn: Connection,
    queue: str,
    queue_ids: Sequence[int],
    *,
    unless: str = "",
    params: Mapping[str, object] | None = None,
) -> None:
    """Delete these queue rows; ``unless`` (SQL on ``q.post_id``, ours only, with ``params``)
    keeps the rows of posts that still have work, e.g. posts embedded but waiting for a first
    discovery."""
    if queue_ids:
        keep = f" AND NOT ({unless})" if unless else ""
        conn.execute(
            text(f"DELETE FROM {_table(queue)} q WHERE q.id = ANY(CAST(:ids AS bigint[])){keep}"),
            {**(params or {}), "ids": list(queue_ids)},
        )


def clear(conn: Connection, queue: str) -> None:
    """Empty ``queue`` and forget the versions it was complete for, so that the next
    :func:`sync` queues every post: for a stage switched off, whose queue would only grow."""
    table = _table(queue)
    conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(
        text("DELETE FROM stage_state WHERE stage = :stage AND scope = 'versions'"),
        {"stage": table},
    )
