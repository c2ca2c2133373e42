"""The metrics, alerts and report stages called the way most tests read best: with ``since``
and ``until`` datetimes (``None`` = open) instead of a ``Window``. Each calls the stage's one
entry point, ``run(engine, settings, window, ...)``; nothing is faked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages import alerts, metrics, report


def run_metrics(
    engine: Engine, settings: Settings, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    return metrics.run(engine, settings, Window(since, until))


def run_alerts(
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    dry_run: bool = False,
) -> dict[str, Any]:
    return alerts.run(engine, settings, Window(since, until), dry_run=dry_run)


def run_report(
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    out: Path | None = None,
    plotly: Literal["inline", "cdn"] = "inline",
) -> Path:
    return Path(report.run(engine, settings, Window(since, until), out=out, plotly=plotly)["path"])
