"""Days in GRAPEVINE_TIMEZONE (issue #13): a post at 23:30 UTC is on the next day in Berlin.

Metrics, alert windows, the report and plain ``--since/--until`` dates all count calendar days
in the configured zone; the default, UTC, keeps what every other test checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from analytics_seed import P, add_brands, add_posts, daily_series, set_models
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from grapevine.cli import app
from grapevine.cli.common import parse_when
from grapevine.core.settings import Settings
from grapevine.report.data import load
from tests.stage_calls import run_alerts, run_metrics, run_report
from warehouse.alerts import alerted_windows
from warehouse.views import ANALYST_ROLE

pytestmark = pytest.mark.integration

BERLIN = "Europe/Berlin"
DAY = date(2026, 1, 15)  # winter: Berlin is UTC+1
LATE = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)  # 00:30 on the 16th in Berlin
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _days(engine: Engine) -> dict[date, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT day, sum(mentions) FROM brand_daily_metrics GROUP BY day ORDER BY day")
        )
        return {d: int(n) for d, n in rows}


@pytest.fixture
def two_posts(engine: Engine) -> Engine:
    ids = add_brands(engine, {"Acme": []})
    set_models(engine)
    add_posts(
        engine,
        [
            P(NOON, ["Acme"], {"Acme": "advocacy"}, text="noon", author_key="a"),
            P(LATE, ["Acme"], {"Acme": "badvocacy"}, text="late", author_key="b"),
        ],
        ids,
    )
    return engine


def test_a_late_post_is_the_next_day_in_berlin_and_the_same_day_in_utc(
    two_posts: Engine, settings: Settings
) -> None:
    result = run_metrics(two_posts, settings, None, None)
    assert settings.timezone == "UTC"
    assert result["first_day"] == "2026-01-15" and result["end_day"] == "2026-01-16"
    assert _days(two_posts) == {DAY: 2}

    berlin = settings.model_copy(update={"timezone": BERLIN})
    result = run_metrics(two_posts, berlin, None, None)
    assert result["first_day"] == "2026-01-15" and result["end_day"] == "2026-01-17"
    assert _days(two_posts) == {DAY: 1, DAY + timedelta(days=1): 1}


def test_a_metrics_rerun_in_the_same_zone_changes_nothing(
    two_posts: Engine, settings: Settings
) -> None:
    berlin = settings.model_copy(update={"timezone": BERLIN})
    run_metrics(two_posts, berlin, None, None)
    snapshot = "SELECT m::text FROM brand_daily_metrics m ORDER BY brand_id, day, source"
    with two_posts.connect() as conn:
        before = conn.execute(text(snapshot)).scalars().all()
    run_metrics(two_posts, berlin, None, None)
    run_metrics(two_posts, berlin, parse_when("2026-01-16", BERLIN), None)
    with two_posts.connect() as conn:
        after = conn.execute(text(snapshot)).scalars().all()
    assert len(before) == 2 and after == before  # computed_at included: byte for byte


def test_plain_dates_are_local_midnights() -> None:
    assert parse_when("2026-01-16", BERLIN) == datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    assert parse_when("2026-07-16", BERLIN) == datetime(2026, 7, 15, 22, 0, tzinfo=UTC)
    assert parse_when("2026-01-16T06:00", BERLIN) == datetime(2026, 1, 16, 5, 0, tzinfo=UTC)
    # an explicit offset wins, and the default zone is UTC as before
    assert parse_when("2026-01-16T06:00Z", BERLIN) == datetime(2026, 1, 16, 6, 0, tzinfo=UTC)
    assert parse_when("2026-01-16") == datetime(2026, 1, 16, 0, 0, tzinfo=UTC)


def test_since_until_dates_select_the_local_day(two_posts: Engine, settings: Settings) -> None:
    berlin = settings.model_copy(update={"timezone": BERLIN})
    since, until = parse_when("2026-01-16", BERLIN), parse_when("2026-01-17", BERLIN)
    result = run_metrics(two_posts, berlin, since, until)
    assert (result["first_day"], result["end_day"]) == ("2026-01-16", "2026-01-17")
    assert _days(two_posts) == {DAY + timedelta(days=1): 1}  # the late post only


def test_the_cli_reads_the_zone_setting(
    two_posts: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grapevine.core.settings import get_settings

    monkeypatch.setenv("GRAPEVINE_TIMEZONE", BERLIN)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["metrics", "--since", "2026-01-16", "--until", "2026-01-17"])
    assert result.exit_code == 0, result.output
    assert "2026-01-16 to 2026-01-17" in " ".join(result.output.split())
    assert _days(two_posts) == {DAY + timedelta(days=1): 1}


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "localtime", "", "../../etc/passwd"])
def test_an_unknown_zone_is_refused_at_start_up(zone: str) -> None:
    with pytest.raises(ValidationError, match="unknown time zone") as caught:
        Settings(timezone=zone)
    assert "Europe/Berlin" in str(caught.value)  # says what a valid value looks like


def test_the_cli_names_the_setting_for_an_unknown_zone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grapevine.core.settings import get_settings

    monkeypatch.setenv("GRAPEVINE_TIMEZONE", "Berlin")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["metrics"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "GRAPEVINE_TIMEZONE" in output and "unknown time zone 'Berlin'" in output
    assert "Traceback" not in output


@pytest.fixture
def analyst(engine: Engine, migrated_url: URL) -> Iterator[psycopg2.extensions.cursor]:
    conn = psycopg2.connect(migrated_url.set(drivername="postgresql").render_as_string(False))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"SET ROLE {ANALYST_ROLE}")
    try:
        yield cur
    finally:
        cur.execute("RESET ROLE")
        conn.close()


def test_analyst_views_show_local_days(two_posts: Engine, settings: Settings, analyst) -> None:
    run_metrics(two_posts, settings.model_copy(update={"timezone": BERLIN}), None, None)
    analyst.execute(
        "SELECT day, mentions, advocacy, badvocacy FROM analytics.brand_metrics_daily ORDER BY day"
    )
    assert analyst.fetchall() == [(DAY, 1, 1, 0), (DAY + timedelta(days=1), 1, 0, 1)]
    analyst.execute("SELECT day, net_advocacy FROM analytics.net_advocacy_trend ORDER BY day")
    assert [(d, float(n)) for d, n in analyst.fetchall()] == [
        (DAY, 100.0),
        (DAY + timedelta(days=1), -100.0),
    ]


SPIKE = date(2026, 3, 20)  # before Berlin's switch to summer time on the 29th


@pytest.fixture
def spike(engine: Engine) -> Engine:
    """Twenty quiet days of Acme, then a badvocacy spike; posts between 08:00 and 19:00 UTC,
    so every post is on the same calendar day in UTC and in Berlin."""
    ids = add_brands(engine, {"Acme": []})
    set_models(engine)
    posts = daily_series("Acme", SPIKE - timedelta(days=20), 20, mentions=60, badvocacy=3)
    posts += daily_series("Acme", SPIKE, 1, mentions=90, badvocacy=33)
    add_posts(engine, posts, ids)
    return engine


def test_alert_windows_are_local_days(spike: Engine, settings: Settings) -> None:
    berlin = settings.model_copy(update={"timezone": BERLIN})
    run_metrics(spike, berlin, None, None)
    result = run_alerts(spike, berlin, None, None)
    assert [a["day"] for a in result["found"]] == ["2026-03-20"]
    with spike.connect() as conn:
        start, end = conn.execute(text("SELECT window_start, window_end FROM alerts")).one()
        midnight = datetime(2026, 3, 20, tzinfo=ZoneInfo(BERLIN))
        assert start == midnight and end == midnight + timedelta(days=1)
        assert start == datetime(2026, 3, 19, 23, 0, tzinfo=UTC)
        # the stored window is read back as the Berlin day (it is the 19th in UTC)
        brand_id = conn.execute(text("SELECT id FROM brands")).scalar_one()
        assert alerted_windows(conn, SPIKE, SPIKE + timedelta(days=1), tz=BERLIN) == {
            brand_id: {SPIKE}
        }
    again = run_alerts(spike, berlin, None, None)
    assert again["new_alert_ids"] == [] and again["alerts_found"] == 1


def test_the_report_counts_local_days(spike: Engine, settings: Settings, tmp_path: Path) -> None:
    berlin = settings.model_copy(update={"timezone": BERLIN})
    run_metrics(spike, berlin, None, None)
    run_alerts(spike, berlin, None, None)
    html = run_report(spike, berlin, None, None, tmp_path / "report.html").read_text()
    assert "Europe/Berlin days 2026-02-28 to 2026-03-20" in " ".join(html.split())
    assert "<td>Acme</td><td>2026-03-20</td>" in html  # the alert's day, not the UTC 19th
    assert "posted (Europe/Berlin)" in html


def test_the_report_window_is_local(two_posts: Engine, settings: Settings) -> None:
    berlin = settings.model_copy(update={"timezone": BERLIN})
    run_metrics(two_posts, berlin, None, None)
    since, until = parse_when("2026-01-16", BERLIN), parse_when("2026-01-17", BERLIN)
    data = load(two_posts, since, until, tz=BERLIN)
    assert (data.first_day, data.end_day) == (DAY + timedelta(days=1), DAY + timedelta(days=2))
    assert [p["text"] for p in data.top_posts] == ["late"]
    assert [(b["brand"], b["mentions"], b["badvocacy"]) for b in data.brands] == [("Acme", 1, 1)]
