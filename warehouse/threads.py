"""Replies judged in their thread: inherited brand mentions for replies that name no brand.

A reply in a watched thread that names no brand ("same here, mine swelled too", "don't, they
never refund") is customer-to-customer word of mouth about the brand of the post it answers.
The loader keeps such replies without brand rows; this step gives each one an *inherited*
``post_brands`` row per brand of its nearest ancestor that names a brand (the parent, matched
by ``source`` + ``parent_id = source_id``, else the grandparent, and so on up the chain). The
classify stage then judges the reply toward that brand with the ancestor as context, and the
mention counts in metrics, alerts and the report like any other; analysts can leave it out
with ``where not inherited``.

Brand-owned ancestors: a customer's reply to the brand's own post ("my order is three weeks
late") is still word of mouth about the brand, so it inherits, and the inherited row is
never ``brand_owned`` (that flag says the *post's* author is the brand). A reply written by a
brand's account has ``posts.is_c2c = false`` and is left out of metrics by that, as its
direct mentions would be.

The step is one set-based pass, idempotent (a rerun leaves the same rows) and
order-independent. It walks only the replies at or below a post that changed since the last
pass (``thread_queue``, filled by triggers: migration 0010), so a night with 1,000 new posts
costs O(1,000), not O(every reply in the warehouse) (#16); the first pass after that migration,
or ``full=True``, walks every reply. Either way, a parent loaded after its reply is found on
the next pass, and so are chains whose middle arrives late. It also repairs what later loads
change: a reply edited to name a brand gets direct rows and loses its inherited ones, and a
row whose source no longer names the brand (an edited parent) is moved to the new nearest
ancestor or dropped. Classifications are keyed by (post, brand) and are kept, so an inherited
row that comes back finds its label.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

MAX_DEPTH = 64
"""How far up a reply chain to look for a post that names a brand; also stops cycles in bad
``parent_id`` data. Real threads that stay on one brand are far shallower."""

_LOCK_KEY = 0x67727468  # "grth": one pass at a time (several classify workers may start at once)

# Inherited rows never carry a span or alias; if one has them, the loader rewrote the row
# because the reply was edited to name the brand itself: it is a direct mention now.
_PROMOTE_EDITED = """
UPDATE post_brands SET inherited = false, inherited_from_post_id = NULL
WHERE inherited
  AND (mention_start IS NOT NULL OR mention_end IS NOT NULL OR matched_alias IS NOT NULL)
"""

# The posts a changed post can affect: itself and every reply below it (a parent that arrives
# after its reply, a mention added to or removed from an ancestor, a deleted ancestor, whose
# key still names its children). The queue rows are deleted here, in the pass's transaction:
# if the pass fails they come back, and rows a concurrent writer queues are not visible to
# this DELETE, so they wait for the next pass.
_DIRTY = """
CREATE TEMP TABLE _dirty ON COMMIT DROP AS
WITH RECURSIVE seeds AS (
    DELETE FROM thread_queue RETURNING source, source_id
),
down (source, source_id, depth) AS (
    SELECT DISTINCT source, source_id, 0 FROM seeds
    UNION
    SELECT c.source, c.source_id, d.depth + 1
    FROM down AS d
    INNER JOIN posts AS c ON c.source = d.source AND c.parent_id = d.source_id
    WHERE d.depth < :max_depth
)
SELECT DISTINCT p.id
FROM down AS d
INNER JOIN posts AS p ON p.source = d.source AND p.source_id = d.source_id
"""

# For every reply without a direct mention: the nearest ancestor with one, and its brands.
# ``{dirty}`` restricts the replies to those of _DIRTY (empty for a full pass).
_WANTED = """
CREATE TEMP TABLE _inherited ON COMMIT DROP AS
WITH RECURSIVE replies AS (
    SELECT p.id, p.source, p.parent_id
    FROM posts AS p {dirty}
    WHERE p.parent_id IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM post_brands AS pb WHERE pb.post_id = p.id AND NOT pb.inherited)
),

chain (post_id, source, ancestor_id, ancestor_parent_id, names_brand, depth) AS (
    SELECT r.id, r.source, a.id, a.parent_id,
           EXISTS (
               SELECT 1 FROM post_brands AS pb WHERE pb.post_id = a.id AND NOT pb.inherited),
           1
    FROM replies AS r
    INNER JOIN posts AS a ON a.source = r.source AND a.source_id = r.parent_id
    UNION ALL
    SELECT c.post_id, c.source, a.id, a.parent_id,
           EXISTS (
               SELECT 1 FROM post_brands AS pb WHERE pb.post_id = a.id AND NOT pb.inherited),
           c.depth + 1
    FROM chain AS c
    INNER JOIN posts AS a ON a.source = c.source AND a.source_id = c.ancestor_parent_id
    WHERE NOT c.names_brand AND c.depth < :max_depth
),

nearest AS (
    SELECT DISTINCT ON (post_id) post_id, ancestor_id
    FROM chain
    WHERE names_brand
    ORDER BY post_id, depth
)

SELECT n.post_id, pb.brand_id, n.ancestor_id AS inherited_from_post_id
FROM nearest AS n
INNER JOIN post_brands AS pb ON pb.post_id = n.ancestor_id AND NOT pb.inherited
"""

_DROP_STALE = """
DELETE FROM post_brands AS pb {using}
WHERE pb.inherited {dirty}
  AND NOT EXISTS (
      SELECT 1 FROM _inherited AS w WHERE w.post_id = pb.post_id AND w.brand_id = pb.brand_id)
"""

_UPSERT = """
INSERT INTO post_brands (post_id, brand_id, brand_owned, inherited, inherited_from_post_id)
SELECT post_id, brand_id, false, true, inherited_from_post_id
FROM _inherited
ORDER BY post_id, brand_id
ON CONFLICT (post_id, brand_id) DO UPDATE
    SET inherited_from_post_id = EXCLUDED.inherited_from_post_id
    WHERE post_brands.inherited
      AND post_brands.inherited_from_post_id IS DISTINCT FROM EXCLUDED.inherited_from_post_id
"""


@dataclass(frozen=True, slots=True)
class InheritStats:
    """What one pass changed: rows added, moved to a nearer ancestor, dropped, promoted."""

    added: int = 0
    moved: int = 0
    dropped: int = 0
    promoted: int = 0


def inherit_thread_mentions(conn: Connection, *, full: bool = False) -> InheritStats:
    """Bring inherited mentions up to date with the threads in the warehouse, in the caller's
    transaction (commit it soon: the pass holds an advisory lock until then).

    Safe to call at any time and as often as wanted: loaders call it when they finish and the
    classify stage when it starts, so a rerun of either leaves every reply judged in its thread.
    Only replies at or below a post queued since the last pass are walked, unless ``full`` or
    no full pass has run yet since migration 0010.
    """
    return _inherit(conn, full=full)


_COMPLETE = ("thread_queue", "complete")
_PINNED = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


@contextmanager
def _local_settings(conn: Connection, **values: str) -> Iterator[None]:
    """Planner settings for the statements inside, restored after: the transaction may be the
    caller's, whose later statements must plan as they would have."""
    saved = {
        name: conn.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one()
        for name in values
    }
    for name, value in values.items():
        conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    for name, value in saved.items():
        conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})


def _inherit(conn: Connection, *, full: bool = False) -> InheritStats:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    full = (
        full
        or not conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM stage_state WHERE stage = :s AND scope = :c)"),
            {"s": _COMPLETE[0], "c": _COMPLETE[1]},
        ).scalar_one()
    )
    if not full and not conn.execute(text("SELECT EXISTS (SELECT 1 FROM thread_queue)")).scalar():
        return InheritStats()  # nothing changed since the last pass
    # The recursive walk's estimates are far too high, so Postgres would spend most of the
    # pass JIT-compiling it (measured: 5.6 of 7.1 s for 300k replies).
    with _local_settings(conn, jit="off"):
        promoted = conn.execute(text(_PROMOTE_EDITED)).rowcount or 0
        if full:
            conn.execute(text("DELETE FROM thread_queue"))
            wanted = _WANTED.format(dirty="")
            drop = _DROP_STALE.format(using="", dirty="")
        else:
            # Down from a few changed posts by ix_posts_parent, whatever the statistics say:
            # with none (right after a bulk load) the planner hashed the whole posts table at
            # every level of the walk (0.15 s on 20k posts, growing with the warehouse).
            with _local_settings(conn, **dict.fromkeys(_PINNED, "off")):
                conn.execute(text(_DIRTY), {"max_depth": MAX_DEPTH})
            conn.execute(text("ALTER TABLE _dirty ADD PRIMARY KEY (id)"))
            conn.execute(text("ANALYZE _dirty"))
            wanted = _WANTED.format(dirty="INNER JOIN _dirty AS d ON d.id = p.id")
            drop = _DROP_STALE.format(using="USING _dirty AS d", dirty="AND d.id = pb.post_id")
        conn.execute(text(wanted), {"max_depth": MAX_DEPTH})
        # Without statistics the planner takes the temp table for a few rows and anti-joins the
        # clean-up by nested loop: quadratic once there are many inherited rows.
        conn.execute(text("ALTER TABLE _inherited ADD PRIMARY KEY (post_id, brand_id)"))
        conn.execute(text("ANALYZE _inherited"))
        dropped = conn.execute(text(drop)).rowcount or 0
        flags = conn.execute(text(_UPSERT + " RETURNING (xmax = 0)")).scalars().all()
        conn.execute(text("DROP TABLE _inherited"))
        if not full:
            conn.execute(text("DROP TABLE _dirty"))
        else:
            conn.execute(
                text(
                    "INSERT INTO stage_state (stage, scope, state) VALUES (:s, :c, '{}')"
                    " ON CONFLICT (stage, scope) DO UPDATE SET done_at = now()"
                ),
                {"s": _COMPLETE[0], "c": _COMPLETE[1]},
            )
    added = sum(1 for f in flags if f)
    stats = InheritStats(
        added=added, moved=len(flags) - added, dropped=int(dropped), promoted=int(promoted)
    )
    if stats != InheritStats():
        log.info(
            "thread replies: %d inherited mentions added, %d moved, %d dropped, %d promoted",
            stats.added,
            stats.moved,
            stats.dropped,
            stats.promoted,
        )
    return stats


_WATCHED_THREADS = text(
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


def watched_threads(conn: Connection, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these ``(source, thread id)`` threads already hold a post that mentions a
    watched brand: the collector keeps a brand-less reply only when its thread does."""
    if not keys:
        return set()
    ordered = sorted(keys)
    rows = conn.execute(
        _WATCHED_THREADS,
        {"sources": [k[0] for k in ordered], "threads": [k[1] for k in ordered]},
    )
    return {(source, thread) for source, thread in rows}
