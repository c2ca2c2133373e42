"""The ``report`` stage: the HTML report of a window, one self-contained file.

Entry point: :func:`run`. The file is rewritten whenever anything the report reads changed
(``warehouse.changes``), the settings or window differ, or the file is not the one this stage
last wrote; otherwise the run leaves it as it is (it would write the same bytes), so
re-running is harmless and cheap.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Summary
from warehouse import changes


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


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
    scope = changes.scope_key(
        since=window.since,
        until=window.until,
        out=str(target.resolve()),
        plotly=plotly,
        settings=settings.model_dump(mode="json"),
        # an open window on an empty warehouse is dated today
        today=datetime.now(UTC).date() if window.since is None and window.until is None else None,
    )
    # the report shows every part of the warehouse
    before, done = changes.check(engine, "report", scope, changes.WATCHED)
    if done is not None and done.get("sha256") == _sha256(target):
        return {"path": str(target), "unchanged_since": str(changes.done_at(done))}
    path = build_report(engine, window.since, window.until, target, plotly, settings)
    changes.record(engine, "report", scope, before, sha256=_sha256(path))
    return {"path": str(path)}
