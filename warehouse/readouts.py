"""Small read-outs the CLI prints (mentions by day, stance by brand, table sizes).

They read the analysts' views, so what the CLI shows is what an analyst's query returns. Each
takes a ``Connection``: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True, slots=True)
class MentionRow:
    brand: str
    day: date
    source: str
    mentions: int
    c2c_mentions: int
    unique_authors: int


def mentions_by_day(
    conn: Connection, since: datetime | None = None, until: datetime | None = None
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
    conn: Connection, since: datetime | None = None, until: datetime | None = None
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
    return [StanceRow(*row) for row in conn.execute(query, {"since": since, "until": until})]


def table_counts(conn: Connection) -> dict[str, int]:
    """Row counts of the main tables (the demo prints them; tests compare them across reloads)."""
    tables = ("brands", "posts", "post_brands", "quarantine", "classifications")
    return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}
