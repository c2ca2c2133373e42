"""Helpers shared by the fixtures that work on a real PostgreSQL (imported, not a conftest)."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from warehouse import migrate
from warehouse.engine import make_engine

#: Every table that holds data, in an order TRUNCATE … CASCADE accepts.
DATA_TABLES = (
    "classify_queue",
    "outcome_queue",
    "thread_queue",
    "stage_state",
    "change_log",
    "alerts",
    "outcome_daily",
    "post_outcomes",
    "post_embeddings",
    "outcome_versions",
    "outcomes",
    "outcome_discoveries",
    "brand_daily_metrics",
    "classifications",
    "post_brands",
    "posts",
    "quarantine",
    "collector_state",
    "model_versions",
    "brands",
)


def migrate_database(url: URL) -> URL:
    """Bring a fresh database to the latest schema; returns its URL."""
    engine = make_engine(url=url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


def empty_warehouse(engine: Engine) -> None:
    """Remove every row (ids restart), keeping the schema and views."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
