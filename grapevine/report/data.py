"""What the report shows, read from the analyst views (the same numbers analysts query)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from grapevine.alerts.detect import Coverage
from grapevine.core.window import zone
from warehouse.metrics import ceil_day, day_start
from warehouse.outcomes import Opportunity, latest_discovery, outcome_opportunity
from warehouse.readouts import OutcomeLine, outcome_lines

#: Advocacy labels whose probability is below this are counted as judged with low confidence.
LOW_CONFIDENCE = 0.6
#: How many outcomes the trend section follows (those with the most badvocacy in the window).
TOP_OUTCOMES = 5


@dataclass(slots=True)
class OutcomeData:
    """What customers talked about in the report's window (the ``outcomes`` stage's rows).

    ``discovered`` is False while no discovery has run (the stage is off or has not seen
    enough posts yet): the report then says so instead of drawing empty charts.
    """

    discovered: bool = False
    #: Brand and competitive-set scores over the window, from ``analytics.outcome_opportunity``.
    opportunities: list[Opportunity] = field(default_factory=list)
    #: The outcomes with the most badvocacy in the window (all brands), most first.
    top: list[OutcomeLine] = field(default_factory=list)
    #: Their mentions per day (all brands): ``outcome_id, day, mentions, advocacy, badvocacy``.
    trend: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class ReportData:
    """Rows for every section of the report, for the days ``[first_day, end_day)`` (calendar
    days in ``timezone``)."""

    first_day: date
    end_day: date
    timezone: str = "UTC"
    trend: list[dict[str, Any]] = field(default_factory=list)
    share_of_voice: list[dict[str, Any]] = field(default_factory=list)
    mix: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)
    #: One row per brand: the window's sums and those of the window of equal length before it.
    brands: list[dict[str, Any]] = field(default_factory=list)
    #: Brand-days of the window the alert test could check, and why not the others; None when
    #: not known (the report then says nothing about it).
    alert_coverage: Coverage | None = None
    outcomes: OutcomeData = field(default_factory=OutcomeData)

    @property
    def previous_first_day(self) -> date:
        """First day of the window of equal length just before this one."""
        return self.first_day - (self.end_day - self.first_day)


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def load(
    engine: Engine,
    since: datetime | None,
    until: datetime | None,
    top_n: int = 5,
    tz: str = "UTC",
) -> ReportData:
    """Read the window's rows, by calendar days in ``tz`` (the zone the metrics were computed
    in). Open ends default to the days that have metrics."""
    with engine.connect() as conn, ThreadPoolExecutor(1) as pool:
        lo, hi = conn.execute(text("SELECT min(day), max(day) FROM brand_daily_metrics")).one()
        first = since.astimezone(zone(tz)).date() if since else lo
        end = ceil_day(until, tz) if until else (hi + timedelta(days=1) if hi else None)
        if first is None or end is None:
            first = end = (until or since or datetime.now(UTC)).astimezone(zone(tz)).date()
            return ReportData(first, end, tz, outcomes=load_outcomes(conn, first, end, tz))
        # The outcome sections (the opportunity scores are the report's longest query) are
        # read on a second connection while this one reads the rest: the server works on both
        # at once (0.6 s of a 1.1 s read on a 100k-post night).
        outcomes = pool.submit(_load_outcomes, engine, first, end, tz)
        p = {
            "first": first,
            "end": end,
            # the same days as instants, for rows that have a timestamp and no local day
            "start": day_start(first, tz),
            "stop": day_start(end, tz),
            "n": top_n,
            "previous": first - (end - first),
            "low": LOW_CONFIDENCE,
        }
        data = ReportData(
            first_day=first,
            end_day=end,
            timezone=tz,
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
            alerts=_rows(conn, ALERTS, p),
            top_posts=_rows(conn, TOP_POSTS, p),
            brands=_rows(conn, BRAND_WINDOW, p),
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
        data.outcomes = outcomes.result()
        return data


def _load_outcomes(engine: Engine, first: date, end: date, tz: str) -> OutcomeData:
    with engine.connect() as conn:
        return load_outcomes(conn, first, end, tz)


def load_outcomes(
    conn: Connection, first: date, end: date, tz: str = "UTC", top_n: int = TOP_OUTCOMES
) -> OutcomeData:
    """The outcomes of the days ``[first, end)`` in ``tz``: opportunity scores over those days'
    instants, and the ``top_n`` outcomes with the most badvocacy with their daily mentions (the
    days of ``outcome_daily``, which the outcomes stage counts in the same zone)."""
    if latest_discovery(conn) is None:
        return OutcomeData()
    start, stop = day_start(first, tz), day_start(end, tz)
    # outcome_lines reads the local dates of the instants it is given: exactly [first, end)
    lines = outcome_lines(conn, start, stop, include_retired=True)
    top = sorted(
        (line for line in lines if line.badvocacy > 0),
        key=lambda line: (-line.badvocacy, -line.mentions, line.outcome_id),
    )[:top_n]
    trend = _rows(
        conn,
        """
        SELECT outcome_id, day, sum(mentions) AS mentions, sum(advocacy) AS advocacy,
               sum(badvocacy) AS badvocacy
        FROM analytics.outcome_mentions_daily
        WHERE outcome_id = ANY(:ids) AND day >= :first AND day < :end
        GROUP BY outcome_id, day ORDER BY outcome_id, day
        """,
        {"ids": [line.outcome_id for line in top], "first": first, "end": end},
    )
    return OutcomeData(
        discovered=True,
        opportunities=outcome_opportunity(conn, start, stop),
        top=top,
        trend=trend,
    )


#: The window's alerts with their spike drivers, as analysts see them.
ALERTS = """
SELECT v.*
FROM analytics.brand_alerts AS v
WHERE v.window_start >= :start AND v.window_start < :stop
ORDER BY v.window_start, v.brand
"""

#: The window's C2C mentions with their current advocacy label (``c``), as
#: ``analytics.int_brand_mentions_labelled`` has them, read from the labels outwards: each label
#: finds its mention (``pb``), post (``p``) and brand (``b``) by key, so the work is the number
#: of labels kept, whatever the planner knows. The queries below add which labels they keep.
_LABELLED_C2C = """FROM classifications AS c
    JOIN model_versions AS mv
      ON mv.task = c.task AND mv.model_version = c.model_version AND mv.is_current
    JOIN post_brands AS pb ON pb.post_id = c.post_id AND pb.brand_id = c.brand_id
    JOIN posts AS p ON p.id = c.post_id
    JOIN brands AS b ON b.id = c.brand_id
    WHERE c.task = 'advocacy' AND p.is_c2c AND NOT pb.brand_owned
      AND p.created_at >= :start AND p.created_at < :stop"""

#: The top posts per brand and stance by reach: the author's audience where known (unknown
#: followers rank after every known count, by interactions), one post per author, so that one
#: prolific complainer cannot fill the list; ``author_posts`` says how many they wrote.
#: The C2C advocacy/badvocacy mentions of ``analytics.int_brand_mentions_labelled``, read from
#: the current labels outwards with narrow rows (ids, counts): the texts are fetched for the
#: few posts shown only. Ranking every mention of a 100k-post night with its text through the
#: view sorted 400-character rows on disk (0.44-0.70 s).
TOP_POSTS = f"""
WITH labelled AS (
    SELECT b.name AS brand, c.label AS advocacy, p.id AS post_id, p.author_key,
           p.author_followers AS followers,
           greatest(coalesce(greatest(p.likes, p.score), 0), 0)
             + greatest(coalesce(p.replies, 0), 0)
             + greatest(coalesce(p.reposts, 0), 0) AS interactions
    {_LABELLED_C2C}
      AND c.label IN ('advocacy', 'badvocacy')
),
by_author AS (
    SELECT *,
           row_number() OVER (
               PARTITION BY brand, advocacy, coalesce(author_key, 'post ' || post_id::text)
               ORDER BY followers DESC NULLS LAST, interactions DESC, post_id
           ) AS author_rank,
           count(*) OVER (
               PARTITION BY brand, advocacy, coalesce(author_key, 'post ' || post_id::text)
           ) AS author_posts
    FROM labelled
),
ranked AS (
    SELECT *, row_number() OVER (
               PARTITION BY brand, advocacy
               ORDER BY followers DESC NULLS LAST, interactions DESC, post_id
           ) AS rank
    FROM by_author
    WHERE author_rank = 1
)
SELECT r.brand, r.advocacy, p.source, p.url, r.author_key, r.followers, r.interactions,
       left(p.text, 400) AS text, p.created_at, r.post_id, r.author_rank, r.author_posts, r.rank
FROM ranked AS r
JOIN posts AS p ON p.id = r.post_id
WHERE r.rank <= :n
ORDER BY r.brand, r.advocacy, r.rank
"""

#: Per brand, the window's headline sums: every mention and the C2C ones, the advocacy counts
#: (also for the previous window of equal length), share of voice, alerts, and how many rated
#: mentions the advocacy model labelled with a probability below LOW_CONFIDENCE.
BRAND_WINDOW = f"""
WITH mentions AS (
    -- as analytics.brand_mentions_daily counts them, but over the window's instants: that
    -- view's days are UTC days, the report's are GRAPEVINE_TIMEZONE's
    SELECT m.brand, count(*) AS mentions,
           count(*) FILTER (WHERE p.is_c2c AND NOT m.brand_owned) AS c2c_mentions
    FROM analytics.stg_brand_mentions AS m
    JOIN analytics.stg_posts AS p ON p.post_id = m.post_id
    WHERE p.created_at >= :start AND p.created_at < :stop
    GROUP BY m.brand
),
labels AS (
    SELECT brand,
           coalesce(sum(rated) FILTER (WHERE day >= :first), 0) AS rated,
           coalesce(sum(advocacy) FILTER (WHERE day >= :first), 0) AS advocacy,
           coalesce(sum(badvocacy) FILTER (WHERE day >= :first), 0) AS badvocacy,
           coalesce(sum(mentions) FILTER (WHERE day >= :first), 0) AS metric_mentions,
           coalesce(sum(rated) FILTER (WHERE day < :first), 0) AS previous_rated,
           coalesce(sum(advocacy) FILTER (WHERE day < :first), 0) AS previous_advocacy,
           coalesce(sum(badvocacy) FILTER (WHERE day < :first), 0) AS previous_badvocacy,
           coalesce(sum(mentions) FILTER (WHERE day < :first), 0) AS previous_mentions
    FROM analytics.brand_metrics_daily
    WHERE day >= :previous AND day < :end
    GROUP BY brand
),
voice AS (
    SELECT brand, sum(mentions) AS voice_mentions, sum(set_mentions) AS set_mentions
    FROM analytics.share_of_voice_daily
    WHERE day >= :first AND day < :end
    GROUP BY brand
),
low AS (
    -- the C2C mentions rated with a probability below :low, as int_brand_mentions_labelled
    -- has them, read from the low-probability labels (current model) outwards: each one finds
    -- its mention and post by key, so the work is the number of such labels, whatever the
    -- planner knows. Through that view, on tables never ANALYZEd, the labels were joined by
    -- re-reading every label of the brand per mention (3.7 s of a 4.6 s report on a 23k-post
    -- warehouse, quadratic); one lookup per mention instead still cost 0.3 s on 100k posts.
    SELECT b.name AS brand, count(*) AS low_confidence
    {_LABELLED_C2C}
      AND c.label IN ('advocacy', 'badvocacy', 'none') AND c.confidence < :low
    GROUP BY b.name
),
alerts AS (
    SELECT brand, count(*) AS alerts
    FROM analytics.brand_alerts
    WHERE window_start >= :start AND window_start < :stop
    GROUP BY brand
)
SELECT m.brand, m.mentions, m.c2c_mentions,
       coalesce(l.rated, 0) AS rated, coalesce(l.advocacy, 0) AS advocacy,
       coalesce(l.badvocacy, 0) AS badvocacy, coalesce(l.metric_mentions, 0) AS metric_mentions,
       coalesce(l.previous_rated, 0) AS previous_rated,
       coalesce(l.previous_advocacy, 0) AS previous_advocacy,
       coalesce(l.previous_badvocacy, 0) AS previous_badvocacy,
       coalesce(l.previous_mentions, 0) AS previous_mentions,
       v.voice_mentions, v.set_mentions,
       coalesce(lo.low_confidence, 0) AS low_confidence,
       coalesce(a.alerts, 0) AS alerts
FROM mentions AS m
LEFT JOIN labels AS l ON l.brand = m.brand
LEFT JOIN voice AS v ON v.brand = m.brand
LEFT JOIN low AS lo ON lo.brand = m.brand
LEFT JOIN alerts AS a ON a.brand = m.brand
ORDER BY m.brand
"""
