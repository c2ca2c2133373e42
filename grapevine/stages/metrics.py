"""The ``metrics`` stage: ``brand_daily_metrics`` for the whole local days a window touches.

Entry point: :func:`run`. Days are calendar days in ``GRAPEVINE_TIMEZONE``; each is replaced in
one transaction, so re-running a window leaves the warehouse as it was. A rerun for the same
window and time zone when nothing it reads changed since (``warehouse.changes``) skips the
recomputation: it would write the same rows.
"""

from __future__ import annotations

from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Summary
from warehouse import changes
from warehouse.engine import analyze_changed
from warehouse.metrics import day_range, recompute_metrics

#: What the day metrics are computed from, and what they write.
INPUTS = ("brands", "posts", "post_brands", "classifications", "model_versions")
OUTPUTS = ("brand_daily_metrics",)


def run(engine: Engine, settings: Settings, window: Window) -> Summary:
    """Recompute the metrics of the window's days; returns the rows written and the days
    (``unchanged_since`` instead of rows when nothing changed since the last run)."""
    scope = changes.scope_key(since=window.since, until=window.until, tz=settings.timezone)
    before, done = changes.check(engine, "metrics", scope, INPUTS, OUTPUTS)
    if done is not None:
        return {
            "rows": 0,
            "first_day": done.get("first_day"),
            "end_day": done.get("end_day"),
            "unchanged_since": str(changes.done_at(done)),
        }
    with engine.connect() as conn:
        days = day_range(conn, window.since, window.until, settings.timezone)
    rows = recompute_metrics(engine, window.since, window.until, settings.timezone)
    # Alerts and the report read these rows next: plan them against fresh statistics.
    analyze_changed(engine, {"brand_daily_metrics": rows})
    summary: Summary = {
        "rows": rows,
        "first_day": days[0].isoformat() if days else None,
        "end_day": days[1].isoformat() if days else None,
    }
    changes.record(
        engine, "metrics", scope, before, first_day=summary["first_day"], end_day=summary["end_day"]
    )
    return summary
