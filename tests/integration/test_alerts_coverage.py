"""With too little history, `grapevine alerts` says it tested nothing instead of "no spikes"."""

from __future__ import annotations

from datetime import date

import pytest
from analytics_seed import add_brands, add_posts, daily_series, set_models
from sqlalchemy import Engine
from typer.testing import CliRunner

from grapevine.cli import app
from grapevine.core.settings import Settings
from tests.stage_calls import run_alerts, run_metrics

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)


def _seed_nine_days(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    set_models(engine)
    posts = daily_series("Acme", START, 9, mentions=30, badvocacy=3)
    posts += daily_series("Globex", START, 9, mentions=20, badvocacy=2)
    add_posts(engine, posts, ids)
    run_metrics(engine, Settings(), None, None)


def test_the_stage_counts_untested_brand_days_and_why(engine: Engine, settings: Settings) -> None:
    _seed_nine_days(engine)
    result = run_alerts(engine, settings, None, None, dry_run=True)
    assert result["windows_tested"] == 0
    assert result["windows_untested"] == 18
    assert result["untested_reasons"] == {"needs 14 days of history; has 0-8": 18}


def test_the_cli_says_nothing_could_be_tested(engine: Engine, settings: Settings) -> None:
    _seed_nine_days(engine)
    result = CliRunner().invoke(app, ["alerts", "--dry-run"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "0 brand-days tested" in output
    assert "18 brand-days could not be tested: needs 14 days of history; has 0-8 (18)" in output


def test_a_minimum_history_setting_makes_short_histories_testable(
    engine: Engine, settings: Settings
) -> None:
    _seed_nine_days(engine)
    cfg = settings.model_copy(update={"alert_min_history_days": 7, "alert_baseline_days": 7})
    result = run_alerts(engine, cfg, None, None, dry_run=True)
    assert result["windows_tested"] == 4  # days 8 and 9 of both brands have 7 days behind them
    assert result["untested_reasons"] == {"needs 7 days of history; has 0-6": 14}


def test_a_year_one_post_stored_earlier_does_not_break_alerts(
    engine: Engine, settings: Settings
) -> None:
    """Issue #12.8: rows accepted before dates were bounded at load used to overflow every
    later `grapevine alerts` (and metrics) without --since."""
    from sqlalchemy import text

    _seed_nine_days(engine)
    with engine.begin() as conn:
        for sid, when in (("old", "0001-01-01T00:30:00+00"), ("far", "9999-12-31T00:00:00+00")):
            conn.execute(
                text(
                    "INSERT INTO posts (source, source_id, created_at, text, content_hash)"
                    " VALUES ('file', :sid, CAST(:when AS timestamptz), 'x', 'h')"
                ),
                {"sid": sid, "when": when},
            )
    run_metrics(engine, settings, None, None)
    result = run_alerts(engine, settings, None, None, dry_run=True)
    assert result["windows_untested"] >= 18
