"""Real DAG runs with ``dag.test()``: fake APIs → real warehouse, Airflow metadata in Postgres.

The nightly DAG runs two consecutive days, then the first day again: a rerun must leave the
warehouse exactly as it was. A backfill of both days into an empty warehouse must end in the
same state as the nightly runs. A task that fails once is retried and the run succeeds; a task
that keeps failing fails the run and notifies the alert channel, with secrets masked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_e2e import DAY1, DAY2, DAY3, counts, differences

from tests.fakes import reddit as fake_reddit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

DAY4 = DAY3 + (DAY3 - DAY2)


@pytest.fixture(scope="module")
def story(run_plan, fake_sources):
    """All runs in one Airflow process (its start-up is the expensive part), in this order."""
    fake_sources.notifications.clear()
    # A nightly run at midnight covers the day before: its logical date is the interval end.
    plan = [
        {"name": "day1", "dag_id": "grapevine_nightly", "logical_date": DAY2,
         "empty_first": True, "snapshot": True},
        {"name": "day2", "dag_id": "grapevine_nightly", "logical_date": DAY3, "snapshot": True},
        {"name": "rerun1", "dag_id": "grapevine_nightly", "logical_date": DAY2, "snapshot": True},
        {"name": "backfill", "dag_id": "grapevine_backfill", "logical_date": DAY3,
         "empty_first": True, "snapshot": True,
         "conf": {"since": DAY1.date().isoformat(), "until": DAY3.date().isoformat()}},
        {"name": "retried", "dag_id": "grapevine_nightly", "logical_date": DAY4,
         "fail": {"compute_metrics": 1}},
        {"name": "failed", "dag_id": "grapevine_intraday_alerts", "logical_date": DAY2,
         "fail": {"check_alerts": -1}},
    ]  # fmt: skip
    result = run_plan(plan)
    print(f"Airflow story: {result.seconds:.1f} s for {len(plan)} runs")
    return result


def test_nightly_runs_cover_their_data_interval(story, airflow_env) -> None:
    day1, day2 = story.runs["day1"], story.runs["day2"]
    assert day1.state == "success", story.log[-4000:]
    assert day2.state == "success", story.log[-4000:]
    assert day1.data_interval == (str(DAY1), str(DAY2))
    assert day2.data_interval == (str(DAY2), str(DAY3))
    # Enabled sources (Hacker News from GRAPEVINE_*, Reddit from its Airflow connection)
    # are collected; the others have no credentials and their groups map to nothing.
    for source in ("hackernews", "reddit"):
        assert day1.ti(f"collect_{source}.collect", 0)["state"] == "success"
    for source in ("x", "bluesky", "mastodon"):
        assert day1.states(f"collect_{source}.collect") == ["skipped"]
    for task_id in ("classify_batches", "compute_metrics", "check_alerts", "build_report"):
        assert day1.ti(task_id)["state"] == "success"
    reports = Path(airflow_env["GRAPEVINE_DATA_DIR"]) / "reports"
    for since, until in ((DAY1, DAY2), (DAY2, DAY3)):
        report = reports / f"grapevine_{since:%Y-%m-%dT%H%M}_{until:%Y-%m-%dT%H%M}.html"
        assert "<html" in report.read_text(encoding="utf-8").lower(), "one report per night"
    first, second = counts(day1.snapshot), counts(day2.snapshot)
    assert first["posts"] > 0 and first["classifications"] > 0
    assert first["brand_daily_metrics"] > 0
    assert second["posts"] > first["posts"], "day 2 adds that day's posts"


def test_rerun_of_an_interval_changes_nothing(story) -> None:
    assert story.runs["rerun1"].state == "success"
    assert differences(story.runs["rerun1"].snapshot, story.runs["day2"].snapshot) == {}


def test_backfill_ends_in_the_nightly_state(story) -> None:
    run = story.runs["backfill"]
    assert run.state == "success", story.log[-4000:]
    # Collection is mapped over the two days, per source.
    assert run.states("collect_hackernews.collect") == ["success", "success"]
    # Same posts, labels, metrics and alerts as the two nightly runs (a label that depends on
    # which other posts share its batch shows up here as differing classifications).
    assert differences(run.snapshot, story.runs["day2"].snapshot) == {}


def test_failed_task_is_retried_and_the_run_succeeds(story) -> None:
    run = story.runs["retried"]
    assert run.state == "success", story.log[-4000:]
    assert run.ti("compute_metrics")["try_number"] == 2
    assert run.ti("check_alerts")["try_number"] == 1


def test_task_failing_for_good_notifies_without_secrets(story, fake_sources) -> None:
    run = story.runs["failed"]
    assert run.state == "failed"
    assert run.ti("check_alerts")["state"] == "failed"
    assert run.ti("check_alerts")["try_number"] == 2  # the intraday DAG retries once
    assert len(fake_sources.notifications) == 1, "one notification, after the last try"
    message = json.dumps(fake_sources.notifications[0])
    assert "grapevine_intraday_alerts" in message and "check_alerts" in message
    assert "injected failure" in message
    assert fake_reddit.CLIENT_SECRET not in message, "secrets are redacted from notifications"
