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


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    """One outcome with what customers said about it in a window (``grapevine outcomes list``)."""

    outcome_id: int
    label: str
    status: str
    posts: int
    mentions: int
    customers: int
    advocacy: int
    badvocacy: int

    @property
    def satisfaction(self) -> float | None:
        """10 x advocacy / judged mentions, as in ``analytics.outcome_opportunity``."""
        judged = self.advocacy + self.badvocacy
        return 10.0 * self.advocacy / judged if judged else None


def outcome_lines(
    conn: Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    include_retired: bool = False,
) -> list[OutcomeLine]:
    """Every outcome with its mentions in the window (local days of ``outcome_daily``), the
    most-mentioned first. ``customers`` sums days, so it is an upper bound on distinct people;
    ``outcome_opportunity`` counts them exactly."""
    query = text(
        """
        SELECT o.outcome_id, o.label, o.status, o.posts,
               coalesce(sum(d.mentions), 0), coalesce(sum(d.customers), 0),
               coalesce(sum(d.advocacy), 0), coalesce(sum(d.badvocacy), 0)
        FROM analytics.outcomes AS o
        LEFT JOIN analytics.outcome_mentions_daily AS d
            ON d.outcome_id = o.outcome_id
           AND (CAST(:since AS date) IS NULL OR d.day >= CAST(:since AS date))
           AND (CAST(:until AS date) IS NULL OR d.day < CAST(:until AS date))
        WHERE :retired OR o.status = 'active'
        GROUP BY o.outcome_id, o.label, o.status, o.posts
        ORDER BY coalesce(sum(d.mentions), 0) DESC, o.posts DESC, o.outcome_id
        """
    )
    params = {
        "since": since.date() if since else None,
        "until": until.date() if until else None,
        "retired": include_retired,
    }
    return [OutcomeLine(*(row)) for row in conn.execute(query, params)]


@dataclass(frozen=True, slots=True)
class OutcomeDetail:
    """One outcome as ``grapevine outcomes show`` prints it."""

    outcome_id: int
    label: str
    status: str
    key_phrases: list[str]
    size: int
    posts: int
    first_discovered_at: datetime
    last_discovered_at: datetime
    examples: list[str]


def outcome_detail(conn: Connection, outcome_id: int) -> OutcomeDetail | None:
    """The outcome's description and its representative posts (``None``: no such outcome)."""
    row = conn.execute(
        text(
            """
            SELECT outcome_id, label, status, key_phrases, size, posts,
                   first_discovered_at, last_discovered_at, representative_post_ids
            FROM analytics.outcomes WHERE outcome_id = :id
            """
        ),
        {"id": outcome_id},
    ).first()
    if row is None:
        return None
    texts: dict[int, str] = dict(
        conn.execute(
            text("SELECT post_id, text FROM analytics.stg_posts WHERE post_id = ANY(:ids)"),
            {"ids": list(row.representative_post_ids)},
        ).all()
    )
    return OutcomeDetail(
        outcome_id=row.outcome_id,
        label=row.label,
        status=row.status,
        key_phrases=list(row.key_phrases),
        size=row.size,
        posts=row.posts,
        first_discovered_at=row.first_discovered_at,
        last_discovered_at=row.last_discovered_at,
        examples=[texts[i] for i in row.representative_post_ids if i in texts],
    )
