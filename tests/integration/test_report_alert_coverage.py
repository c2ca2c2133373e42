"""The report's alerts section says what the alert test could check (issue #13).

It used to say "No badvocacy alerts in this window" for a warehouse with nine days of data,
where no brand-day could be tested at all: a quiet week and an unchecked one read the same.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from analytics_seed import add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine

from grapevine.core.settings import Settings
from grapevine.report.build import render_html
from grapevine.report.data import load
from tests.stage_calls import run_alerts, run_metrics, run_report

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)


def _text(html: str) -> str:
    return " ".join(html.split())


def test_nine_days_say_nothing_could_be_tested(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    set_models(engine)
    posts = daily_series("Acme", START, 9, mentions=30, badvocacy=3)
    posts += daily_series("Globex", START, 9, mentions=20, badvocacy=2)
    add_posts(engine, posts, ids)
    run_metrics(engine, settings, None, None)
    html = _text(run_report(engine, settings, None, None, tmp_path / "r.html").read_text())
    assert (
        "No badvocacy alerts in this window: 0 brand-days tested; 18 could not be "
        "(needs 14 days of history; has 0-8)." in html
    )
    assert "Days that could not be tested cannot alert" in html


def test_a_long_history_says_how_many_were_tested(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ids = add_brands(engine, {"Acme": []})
    set_models(engine)
    add_posts(engine, daily_series("Acme", START, 20, mentions=30, badvocacy=3), ids)
    run_metrics(engine, settings, None, None)
    since, until = at(START + timedelta(days=16), 0), at(START + timedelta(days=20), 0)
    html = _text(run_report(engine, settings, since, until, tmp_path / "r.html").read_text())
    assert "No badvocacy alerts in this window: 4 brand-days tested." in html
    assert "could not be (" not in html and "cannot alert" not in html


def test_alongside_alerts_the_untested_days_are_counted_too(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ids = add_brands(engine, {"Acme": [], "Newco": []})
    set_models(engine)
    posts = daily_series("Acme", START, 20, mentions=60, badvocacy=3)
    posts += daily_series("Acme", START + timedelta(days=20), 1, mentions=90, badvocacy=33)
    posts += daily_series("Newco", START + timedelta(days=18), 3, mentions=20, badvocacy=2)
    add_posts(engine, posts, ids)
    run_metrics(engine, settings, None, None)
    assert run_alerts(engine, settings, None, None)["alerts_found"] == 1
    since, until = at(START + timedelta(days=18), 0), at(START + timedelta(days=21), 0)
    html = _text(run_report(engine, settings, since, until, tmp_path / "r.html").read_text())
    assert "<td>Acme</td><td>2026-09-21</td>" in html
    assert (
        "Alert test: 3 brand-days tested; 3 could not be (needs 14 days of history; has 0-2)."
        in html
    )


def test_without_settings_the_report_claims_nothing_about_coverage(
    engine: Engine, settings: Settings
) -> None:
    ids = add_brands(engine, {"Acme": []})
    set_models(engine)
    add_posts(engine, daily_series("Acme", START, 3, mentions=5, badvocacy=1), ids)
    run_metrics(engine, settings, None, None)
    html = render_html(load(engine, None, None))
    assert "<p class='muted'>No badvocacy alerts in this window.</p>" in html
