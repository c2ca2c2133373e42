"""Alerts that reach nobody are a failure everywhere, not only in `grapevine alerts` (issue #13).

`grapevine run` exits non-zero after every stage ran, the Airflow `check_alerts` task fails
(so Airflow retries it and notifies), and `grapevine demo` warns. the collect stage logs a
deliberate error as its one-line message and hint, not as a traceback.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from analytics_seed import add_brands
from rich.console import Console
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from grapevine.airflow import callables
from grapevine.alerts.notify import DeliveryError
from grapevine.cli import app, common
from grapevine.cli.summaries import warn_undelivered
from grapevine.core.settings import Settings, get_settings
from grapevine.core.window import Window
from grapevine.stages import collect

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pending_alert(engine: Engine) -> None:
    """An alert stored by an earlier run whose notification has not gone out yet."""
    ids = add_brands(engine, {"Acme": []})
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (brand_id, kind, window_start, window_end, observed,"
                " expected, severity) VALUES (:b, 'badvocacy_spike', :s, :e, 40, 10.0, 7)"
            ),
            {
                "b": ids["Acme"],
                "s": datetime(2026, 9, 21, tzinfo=UTC),
                "e": datetime(2026, 9, 22, tzinfo=UTC),
            },
        )


def use_channel(monkeypatch: pytest.MonkeyPatch, url: str) -> Settings:
    monkeypatch.setenv("GRAPEVINE_ALERT_URLS", url)
    get_settings.cache_clear()
    return get_settings()


def test_run_exits_non_zero_when_no_alert_was_delivered(
    tmp_path: Path, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending_alert(engine)
    use_channel(monkeypatch, f"json://127.0.0.1:{closed_port()}/hook")
    (tmp_path / "brands.yaml").write_text(
        "brands:\n  - name: Acme\n    aliases: [acme]\n", encoding="utf-8"
    )
    posts = tmp_path / "posts.jsonl"
    record = {"id": "1", "text": "nothing to see", "created_at": "2026-09-21T10:00:00Z"}
    posts.write_text(json.dumps(record) + "\n", encoding="utf-8")
    report = tmp_path / "out.html"
    result = CliRunner().invoke(app, ["run", "--path", str(posts), "--out", str(report)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert report.is_file() and f"report: {report}" in output  # every stage ran first
    assert "failed (retried next run): 1" in output
    assert "error: no alert notification was delivered (1 failed): json://127.0.0.1" in output
    assert "GRAPEVINE_ALERT_URLS" in output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT notified_at FROM alerts")).scalar_one() is None


def test_the_airflow_task_fails_when_no_alert_was_delivered(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def check_alerts(settings: Settings, dry_run: bool = False) -> dict[str, object]:
        """The Airflow task's callable, with the settings its connections would give."""
        monkeypatch.setattr(callables, "settings_from_airflow", lambda: settings)
        window = {"since": None, "until": None}
        return callables.run_stage("alerts", window, params={"dry_run_alerts": dry_run})  # type: ignore[arg-type]

    pending_alert(engine)
    failing = use_channel(monkeypatch, f"json://127.0.0.1:{closed_port()}/hook")
    with pytest.raises(DeliveryError, match=r"no alert notification was delivered \(1 failed\)"):
        check_alerts(failing)
    # the retry Airflow makes delivers once the channel works, and then the task succeeds
    working = use_channel(monkeypatch, f"file://{settings.data_dir / 'alerts.log'}")
    result = check_alerts(working)
    assert result["delivered"] == 1 and result["failed"] == 0
    # and a dry run, which sends nothing, never fails for it
    dry = check_alerts(failing, dry_run=True)
    assert dry["dry_run"] is True


def test_the_demo_warns_when_its_alerts_reached_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(common.out, "err", Console(file=err, width=200))
    warn_undelivered(
        {"alerts_found": 1, "delivered": 0, "failed": 1, "errors": ["json://127.0.0.1:9: refused"]}
    )
    text_ = err.getvalue()
    assert "warning: no alert notification was delivered (1 failed): json://127.0.0.1:9" in text_
    assert "GRAPEVINE_ALERT_URLS" in text_
    err.truncate(0)
    warn_undelivered({"alerts_found": 1, "delivered": 1, "failed": 0, "errors": []})
    warn_undelivered({"alerts_found": 0, "delivered": 0, "failed": 0, "errors": []})
    assert err.getvalue().strip("\x00") == ""


def test_collect_all_logs_a_deliberate_error_in_one_line(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="grapevine.stages.collect")
    # no brands.yaml here
    results = collect.run(engine, settings, Window(), sources=["file"])["sources"]
    assert results == [
        {
            "source": "file",
            "error": "watchlist file brands.yaml does not exist (create it (see README) or set "
            "GRAPEVINE_BRANDS_FILE)",
        }
    ]
    [record] = [r for r in caplog.records if r.name == "grapevine.stages.collect"]
    assert record.levelno == logging.ERROR and record.exc_info is None
    assert record.getMessage() == f"source file failed: {results[0]['error']}"
