"""The ``metrics`` stage: ``brand_daily_metrics`` for the whole local days a window touches.

Entry point: :func:`run`. Days are calendar days in ``GRAPEVINE_TIMEZONE``; each is replaced in
one transaction, so re-running a window leaves the warehouse as it was.
"""

from __future__ import annotations

from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Summary
from warehouse.engine import analyze_changed
from warehouse.metrics import day_range, recompute_metrics


def run(engine: Engine, settings: Settings, window: Window) -> Summary:
    """Recompute the metrics of the window's days; returns the rows written and the days."""
    with engine.connect() as conn:
        days = day_range(conn, window.since, window.until, settings.timezone)
    rows = recompute_metrics(engine, window.since, window.until, settings.timezone)
    # Alerts and the report read these rows next: plan them against fresh statistics.
    analyze_changed(engine, {"brand_daily_metrics": rows})
    return {
        "rows": rows,
        "first_day": days[0].isoformat() if days else None,
        "end_day": days[1].isoformat() if days else None,
    }
