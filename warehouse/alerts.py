"""Alert storage: once per window, claimed for delivery by one run at a time.

Three rules make "nothing is ever sent twice" hold under reruns and overlapping runs:

* an alert row is unique per ``(brand_id, kind, window_start)`` and inserted with
  ``ON CONFLICT DO NOTHING``, so detecting the same spike again adds nothing;
* a run delivers an alert only while holding its row lock (``SELECT ... FOR UPDATE SKIP
  LOCKED``): a second run skips what the first is delivering instead of sending it too;
* ``notified_at`` is set, in that same transaction, only once every channel accepted the
  notification; the channels that did are remembered (``details -> 'delivery'``), so a retry
  goes to the failed ones only. ``delivery_attempts`` and ``last_error`` say what happened.

(A channel that accepted but answered after the timeout, or a crash between a channel accepting
and the commit, is sent again on the next run: delivery is at-least-once at that one point.
Webhook channels carry a stable alert id, e.g. an ``Idempotency-Key`` header, so that their
receivers can drop the repeat; see ``grapevine.alerts.notify`` and docs/alerts.md.)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

KIND_BADVOCACY_SPIKE = "badvocacy_spike"
KIND_VOLUME_SURGE = "volume_surge"


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to store, as the detector found it."""

    brand_id: int
    kind: str
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    share: float | None
    baseline_share: float | None
    p_value: float
    severity: int
    details: dict[str, Any] = field(default_factory=dict)
    #: What drives a badvocacy spike (``Driver.to_json()`` rows); stored in ``alerts.drivers``
    #: only when there are some, so alerts without drivers need no such column.
    drivers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """A stored alert whose notification is not complete, locked by the claiming transaction."""

    id: int
    row: dict[str, Any]
    delivered: frozenset[str]


#: Per brand and day from the brand's first day with metrics on (zeros where nothing was
#: counted): a quiet day is information, not a gap. ``{sums}`` are the summed columns.
_DAILY_SUMS = """
WITH firsts AS (
    SELECT brand_id, min(day) AS first_day FROM brand_daily_metrics GROUP BY brand_id
), days AS (
    SELECT f.brand_id, d::date AS day
    FROM firsts f,
         generate_series(GREATEST(f.first_day, CAST(:first AS date)),
                         CAST(:end AS date) - 1, interval '1 day') AS d
)
SELECT days.brand_id, days.day, {sums}
FROM days
LEFT JOIN brand_daily_metrics m ON m.brand_id = days.brand_id AND m.day = days.day
GROUP BY days.brand_id, days.day
ORDER BY days.brand_id, days.day
"""


def daily_badvocacy(
    conn: Connection, first_day: date, end_day: date
) -> dict[int, list[tuple[date, int, int]]]:
    """Per brand, ``(day, badvocacy, rated)`` over all sources for ``[first_day, end_day)``.

    Read from ``brand_daily_metrics`` (what ``grapevine metrics`` computed from the current
    model). Days without mentions are zeros from the brand's first day with metrics on.
    """
    sums = "coalesce(sum(m.badvocacy), 0), coalesce(sum(m.rated), 0)"
    rows = conn.execute(text(_DAILY_SUMS.format(sums=sums)), {"first": first_day, "end": end_day})
    out: dict[int, list[tuple[date, int, int]]] = {}
    for brand_id, day, bad, rated in rows:
        out.setdefault(int(brand_id), []).append((day, int(bad), int(rated)))
    return out


def daily_mentions(
    conn: Connection, first_day: date, end_day: date
) -> dict[int, list[tuple[date, int]]]:
    """Per brand, ``(day, mentions)`` over all sources for ``[first_day, end_day)``: the C2C
    mentions whatever their labels (the volume the surge test watches), zeros as above."""
    rows = conn.execute(
        text(_DAILY_SUMS.format(sums="coalesce(sum(m.mentions), 0)")),
        {"first": first_day, "end": end_day},
    )
    out: dict[int, list[tuple[date, int]]] = {}
    for brand_id, day, mentions in rows:
        out.setdefault(int(brand_id), []).append((day, int(mentions)))
    return out


def brand_names(conn: Connection) -> dict[int, str]:
    return {int(i): str(n) for i, n in conn.execute(text("SELECT id, name FROM brands"))}


def alerted_windows(
    conn: Connection,
    first_day: date,
    end_day: date,
    kind: str = KIND_BADVOCACY_SPIKE,
    tz: str = "UTC",
) -> dict[int, set[date]]:
    """Days already alerted per brand (left out of later baselines); days in zone ``tz``."""
    rows = conn.execute(
        text(
            "SELECT brand_id, (window_start AT TIME ZONE :tz)::date FROM alerts"
            " WHERE kind = :kind AND window_start >= :first AND window_start < :end"
        ),
        {
            "kind": kind,
            "tz": tz,
            # a day wider on both sides: the bounds are dates, the windows local midnights
            "first": first_day - timedelta(days=1),
            "end": end_day + timedelta(days=1),
        },
    )
    out: dict[int, set[date]] = {}
    for brand_id, day in rows:
        out.setdefault(int(brand_id), set()).add(day)
    return out


@dataclass(frozen=True, slots=True)
class Stored:
    """What an alert already stored says: a detector run that finds the same window again
    reuses it instead of reading its top posts and drivers once more (they would be thrown
    away: a stored window is left as it is)."""

    details: dict[str, Any]
    drivers: list[dict[str, Any]]


def stored_alerts(
    conn: Connection, start: datetime, end: datetime
) -> dict[tuple[int, str, datetime], Stored]:
    """The stored alerts whose window starts in ``[start, end)``, by (brand, kind, start)."""
    rows = conn.execute(
        text(
            "SELECT brand_id, kind, window_start, details, drivers FROM alerts"
            " WHERE window_start >= :start AND window_start < :end"
        ),
        {"start": start, "end": end},
    )
    return {
        (int(brand), kind, began): Stored(dict(details or {}), list(drivers or []))
        for brand, kind, began, details, drivers in rows
    }


def top_badvocacy_posts(
    conn: Connection, brand_id: int, start: datetime, end: datetime, limit: int = 5
) -> list[dict[str, Any]]:
    """The window's badvocacy posts with the largest reach: what a marketer answers first."""
    return top_posts(conn, brand_id, start, end, limit, advocacy="badvocacy")


#: The window's C2C mentions of one brand with their current advocacy label, read by index
#: whatever the planner knows. Through ``analytics.int_brand_mentions_labelled`` the planner,
#: on tables never ANALYZEd, joined the labels back by re-scanning every label of the brand for
#: each mention (21 s per brand on a 5k-post night). Here the mentions come from the brand's
#: ``post_brands`` rows and the window's posts, and each label is one LATERAL probe of the
#: classifications key (``LIMIT 1`` keeps it from being flattened into a join; the brand is
#: compared with ``IS NOT DISTINCT FROM``, which no index on the brand can serve, so the key's
#: index is the only path, as in warehouse/classifications.py). The view stays a plain join:
#: with statistics (every load ANALYZEs) that is what analysts' own queries plan best on.
#: Same definitions as the view (C2C, not brand-owned; followers; interactions); a test
#: compares the two. tests/integration/test_readout_plans.py asserts the plan both ways.
TOP_POSTS = """
SELECT p.id AS post_id, p.source, p.url, p.author_key,
       greatest(coalesce(p.author_followers, 0), 0) AS followers,
       greatest(coalesce(greatest(p.likes, p.score), 0), 0)
         + greatest(coalesce(p.replies, 0), 0)
         + greatest(coalesce(p.reposts, 0), 0) AS interactions,
       left(p.text, 280) AS excerpt, p.created_at, a.advocacy
FROM post_brands pb
JOIN posts p ON p.id = pb.post_id
LEFT JOIN LATERAL (
    SELECT c.label AS advocacy
    FROM classifications c
    JOIN model_versions mv
      ON mv.task = c.task AND mv.model_version = c.model_version AND mv.is_current
    WHERE c.post_id = pb.post_id AND c.brand_id IS NOT DISTINCT FROM pb.brand_id
      AND c.task = 'advocacy'
    LIMIT 1
) a ON true
WHERE pb.brand_id = :b AND NOT pb.brand_owned AND p.is_c2c
  AND p.created_at >= :start AND p.created_at < :end
  AND (CAST(:adv AS text) IS NULL OR a.advocacy = :adv)
ORDER BY followers DESC, interactions DESC, post_id
LIMIT :limit
"""


def top_posts(
    conn: Connection,
    brand_id: int,
    start: datetime,
    end: datetime,
    limit: int = 5,
    *,
    advocacy: str | None = None,
) -> list[dict[str, Any]]:
    """The window's mentions of the brand with the largest reach, of one advocacy label or of
    any (``advocacy=None``: what a surge is made of); each with its ``advocacy`` label."""
    rows = conn.execute(
        text(TOP_POSTS),
        {"b": brand_id, "adv": advocacy, "start": start, "end": end, "limit": limit},
    ).mappings()
    return [
        {**dict(r), "created_at": r["created_at"].isoformat(), "post_id": int(r["post_id"])}
        for r in rows
    ]


def insert_alerts(conn: Connection, alerts: Iterable[NewAlert]) -> list[int]:
    """Store new alerts; a window already stored is left as it is. Returns the new ids."""
    new_ids: list[int] = []
    for a in alerts:
        with_drivers = bool(a.drivers)
        got = conn.execute(
            text(
                f"""
                INSERT INTO alerts (brand_id, kind, window_start, window_end, observed, expected,
                                    share, baseline_share, p_value, severity, details
                                    {", drivers" if with_drivers else ""})
                VALUES (:brand_id, :kind, :window_start, :window_end, :observed, :expected,
                        :share, :baseline_share, :p_value, :severity, CAST(:details AS jsonb)
                        {", CAST(:drivers AS jsonb)" if with_drivers else ""})
                ON CONFLICT (brand_id, kind, window_start) DO NOTHING
                RETURNING id
                """
            ),
            {
                "brand_id": a.brand_id,
                "kind": a.kind,
                "window_start": a.window_start,
                "window_end": a.window_end,
                "observed": a.observed,
                "expected": a.expected,
                "share": a.share,
                "baseline_share": a.baseline_share,
                "p_value": a.p_value,
                "severity": a.severity,
                "details": json.dumps(a.details, default=str),
                **({"drivers": json.dumps(a.drivers, default=str)} if with_drivers else {}),
            },
        ).first()
        if got is not None:
            new_ids.append(int(got[0]))
    return new_ids


def claim_pending(conn: Connection, skip: Collection[int] = ()) -> PendingAlert | None:
    """Lock the oldest alert still to notify that no other run holds; None when none is left.

    The lock lasts until the caller's transaction ends, which must be after recording the
    delivery. ``skip`` holds the ids this run already tried, so a failing alert is retried on
    the next run rather than in a loop.
    """
    row = (
        conn.execute(
            text(
                """
                SELECT a.*, b.name AS brand
                FROM alerts a JOIN brands b ON b.id = a.brand_id
                WHERE a.notified_at IS NULL AND NOT (a.id = ANY(:skip))
                ORDER BY a.created_at, a.id
                LIMIT 1
                FOR UPDATE OF a SKIP LOCKED
                """
            ),
            {"skip": list(skip)},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    data = dict(row)
    delivered = (data.get("details") or {}).get("delivery", {}).get("channels", [])
    return PendingAlert(id=int(data["id"]), row=data, delivered=frozenset(delivered))


def record_delivery(
    conn: Connection,
    alert_id: int,
    delivered: Sequence[str],
    errors: Sequence[str],
    *,
    complete: bool,
) -> None:
    """Remember which channels accepted; set ``notified_at`` only when all of them did."""
    conn.execute(
        text(
            """
            UPDATE alerts SET
                details = jsonb_set(details, '{delivery}',
                                    jsonb_build_object('channels', CAST(:channels AS jsonb))),
                delivery_attempts = delivery_attempts + 1,
                last_error = :error,
                notified_at = CASE WHEN :complete THEN now() ELSE NULL END
            WHERE id = :id
            """
        ),
        {
            "id": alert_id,
            "channels": json.dumps(sorted(set(delivered))),
            "error": "; ".join(errors)[:2000] if errors else None,
            "complete": complete,
        },
    )
