"""The ``report`` stage: the HTML report of a window, one self-contained file.

Entry point: :func:`run`. The file is rewritten on every run, so re-running is harmless.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Summary


def run(
    engine: Engine,
    settings: Settings,
    window: Window,
    *,
    out: Path | None = None,
    plotly: Literal["inline", "cdn"] = "inline",
) -> Summary:
    """Write the report (default ``DATA_DIR/report.html``); returns ``{"path": ...}``.

    ``plotly="cdn"`` loads the charting library from its CDN instead of embedding 4.6 MB of it.
    """
    from grapevine.report import build_report

    target = out if out is not None else settings.data_dir / "report.html"
    path = build_report(engine, window.since, window.until, target, plotly, settings)
    return {"path": str(path)}
