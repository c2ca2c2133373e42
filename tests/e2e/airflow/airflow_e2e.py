"""Helpers shared by the Airflow tests: the days the fakes cover and warehouse snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

#: Two days of synthetic posts: the nightly runs cover them one interval at a time.
DAY1 = datetime(2026, 3, 1, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY2 + timedelta(days=1)

#: Columns that record when a row was written, not what it says: a rerun may move them.
VOLATILE = {
    "id",
    "post_id",
    "brand_id",
    "collected_at",
    "updated_at",
    "classified_at",
    "computed_at",
    "registered_at",
    "inserted_at",
    "notified_at",
    "delivery_attempts",
}


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """The warehouse's content by natural keys, without write timestamps or surrogate ids.

    Surrogate ids can differ between a nightly history and a backfill that loads the same posts
    in another order; what a user sees (posts, labels, metrics, alerts) must not.
    """
    queries = {
        "brands": "SELECT b.* FROM brands b",
        "posts": "SELECT p.* FROM posts p",
        "post_brands": "SELECT p.source, p.source_id, b.name AS brand, pb.* FROM post_brands pb "
        "JOIN posts p ON p.id = pb.post_id JOIN brands b ON b.id = pb.brand_id",
        "classifications": "SELECT p.source, p.source_id, b.name AS brand, c.* "
        "FROM classifications c JOIN posts p ON p.id = c.post_id "
        "LEFT JOIN brands b ON b.id = c.brand_id",
        "brand_daily_metrics": "SELECT b.name AS brand, m.* FROM brand_daily_metrics m "
        "JOIN brands b ON b.id = m.brand_id",
        "alerts": "SELECT b.name AS brand, a.* FROM alerts a JOIN brands b ON b.id = a.brand_id",
        "quarantine": "SELECT q.* FROM quarantine q",
    }
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table, sql in queries.items():
            result = conn.execute(text(sql))
            keys = list(result.keys())
            rows = []
            for row in result:
                kept = {k: v for k, v in zip(keys, row, strict=True) if k not in VOLATILE}
                if table in {"brands", "alerts", "quarantine"}:
                    kept.pop("created_at", None)  # row-insert times in these tables
                rows.append(json.dumps(kept, sort_keys=True, default=str))
            out[table] = sorted(rows)
    return out


def counts(snap: dict[str, list[str]]) -> dict[str, int]:
    return {table: len(rows) for table, rows in snap.items()}


def differences(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, int]:
    """Per table, how many rows one snapshot has that the other lacks (empty: identical)."""
    out = {}
    for table in sorted(set(a) | set(b)):
        rows_a, rows_b = set(a.get(table, [])), set(b.get(table, []))
        if rows_a != rows_b:
            out[table] = len(rows_a ^ rows_b)
    return out
