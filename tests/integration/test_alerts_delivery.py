"""Delivery failures the user must hear about: exit codes, slow receivers, leaked secrets."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from analytics_seed import add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine
from typer.testing import CliRunner

from grapevine.cli import app
from grapevine.settings import Settings
from grapevine.stages import run_metrics

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)
DAYS = 22
SPIKE = START + timedelta(days=DAYS - 1)


def seed_spike(engine: Engine) -> None:
    """Three weeks of Acme at 10 badvocacy posts a day, then a day with 60 more."""
    ids = add_brands(engine, {"Acme": []})
    set_models(engine)
    mentions = [100] * DAYS
    bad = [10] * DAYS
    mentions[-1] += 60
    bad[-1] += 60
    add_posts(engine, daily_series("Acme", START, DAYS, mentions=mentions, badvocacy=bad), ids)
    run_metrics(engine, Settings(), None, None)


def window() -> list[str]:
    return [
        "--since",
        at(SPIKE, 0).isoformat(),
        "--until",
        at(SPIKE + timedelta(days=1), 0).isoformat(),
    ]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_alerts_exits_non_zero_when_every_delivery_failed(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_spike(engine)
    monkeypatch.setenv("GRAPEVINE_ALERT_URLS", f"json://127.0.0.1:{closed_port()}/hook")
    from grapevine.settings import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["alerts", *window()])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "no alert notification was delivered (1 failed)" in output
    assert "GRAPEVINE_ALERT_URLS" in output
