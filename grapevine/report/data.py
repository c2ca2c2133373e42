"""What the report shows, read from the analyst views (the same numbers analysts query)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from warehouse.metrics import ceil_day


@dataclass(slots=True)
class ReportData:
    """Rows for every section of the report, for the days ``[first_day, end_day)``."""

    first_day: date
    end_day: date
    trend: list[dict[str, Any]] = field(default_factory=list)
    share_of_voice: list[dict[str, Any]] = field(default_factory=list)
    mix: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def load(
    engine: Engine, since: datetime | None, until: datetime | None, top_n: int = 5
) -> ReportData:
    """Read the window's rows. Open ends default to the days that have metrics."""
    with engine.connect() as conn:
        lo, hi = conn.execute(text("SELECT min(day), max(day) FROM brand_daily_metrics")).one()
        first = since.astimezone(UTC).date() if since else lo
        end = ceil_day(until) if until else (hi + timedelta(days=1) if hi else None)
        if first is None or end is None:
            first = end = (until or since or datetime.now(UTC)).astimezone(UTC).date()
            return ReportData(first, end)
        p = {"first": first, "end": end, "n": top_n}
        return ReportData(
            first_day=first,
            end_day=end,
            trend=_rows(
                conn,
                "SELECT * FROM analytics.net_advocacy_trend"
                " WHERE day >= :first AND day < :end ORDER BY brand, day",
                p,
            ),
            share_of_voice=_rows(
                conn,
                "SELECT * FROM analytics.share_of_voice_daily"
                " WHERE day >= :first AND day < :end ORDER BY brand, day",
                p,
            ),
            mix=_rows(
                conn,
                """
                SELECT brand, source, sum(mentions) AS mentions, sum(positive) AS positive,
                       sum(neutral) AS neutral, sum(negative) AS negative,
                       sum(advocacy) AS advocacy, sum(badvocacy) AS badvocacy,
                       sum(no_stance) AS no_stance, sum(unsupported) AS unsupported,
                       sum(unclassified) AS unclassified
                FROM analytics.brand_metrics_daily
                WHERE day >= :first AND day < :end
                GROUP BY brand, source ORDER BY brand, source
                """,
                p,
            ),
            alerts=_rows(
                conn,
                "SELECT * FROM analytics.brand_alerts WHERE window_start >= :first"
                " AND window_start < :end ORDER BY window_start, brand",
                p,
            ),
            top_posts=_rows(
                conn,
                """
                WITH ranked AS (
                    SELECT brand, advocacy, source, url, author_key, followers, interactions,
                           left(text, 400) AS text, created_at,
                           row_number() OVER (PARTITION BY brand, advocacy
                                              ORDER BY followers DESC, interactions DESC,
                                                       post_id) AS rank
                    FROM analytics.int_brand_mentions_labelled
                    WHERE advocacy IN ('advocacy', 'badvocacy')
                      AND day >= :first AND day < :end
                )
                SELECT * FROM ranked WHERE rank <= :n ORDER BY brand, advocacy, rank
                """,
                p,
            ),
            totals=_rows(
                conn,
                """
                SELECT brand, day, sum(mentions) AS mentions, sum(rated) AS rated,
                       sum(advocacy) AS advocacy, sum(badvocacy) AS badvocacy
                FROM analytics.brand_metrics_daily
                WHERE day >= :first AND day < :end
                GROUP BY brand, day ORDER BY brand, day
                """,
                p,
            ),
        )
