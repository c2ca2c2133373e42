"""``grapevine.airflow`` without a scheduler: windows, plans, connections, callbacks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from airflow.sdk import Connection

from grapevine import airflow as gv

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]


def test_windows_are_utc_and_never_empty() -> None:
    window = gv.make_window("2026-03-01", "2026-03-02T00:00:00+01:00")
    assert window == {"since": "2026-03-01T00:00:00+00:00", "until": "2026-03-01T23:00:00+00:00"}
    with pytest.raises(ValueError, match="empty window"):
        gv.make_window("2026-03-02", "2026-03-01")


def test_data_interval_window_uses_the_run_not_the_clock() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=1)
    assert gv.data_interval_window(data_interval_start=start, data_interval_end=end) == {
        "since": "2026-03-01T00:00:00+00:00", "until": "2026-03-02T00:00:00+00:00",
    }  # fmt: skip
    lookback = gv.data_interval_window(3, data_interval_start=start, data_interval_end=end)
    assert lookback["since"] == "2026-03-01T21:00:00+00:00"
    # A manual trigger at 14:27 covers the last complete UTC day, not two partial ones.
    manual = gv.data_interval_window(
        whole_days=True,
        data_interval_start=datetime(2026, 3, 1, 14, 27, tzinfo=UTC),
        data_interval_end=datetime(2026, 3, 2, 14, 27, tzinfo=UTC),
    )
    assert manual == gv.make_window("2026-03-01", "2026-03-02")
    assert gv.data_interval_window(
        whole_days=True, data_interval_start=start, data_interval_end=end
    ) == gv.make_window(start, end)
    with pytest.raises(ValueError, match="no data interval"):
        gv.data_interval_window(data_interval_start=None, data_interval_end=None)


def test_split_window_cuts_days_and_keeps_the_remainder() -> None:
    window = gv.make_window("2026-03-01", "2026-03-03T12:00:00")
    slices = gv.split_window(window, days=1)
    assert [s["since"][:13] for s in slices] == ["2026-03-01T00", "2026-03-02T00", "2026-03-03T00"]
    assert slices[-1]["until"] == window["until"]
    assert gv.split_window(window, days=7) == [window]


def test_plan_gives_disabled_and_unrequested_sources_nothing() -> None:
    window = gv.make_window("2026-03-01", "2026-03-03")
    plan = gv.plan_collection(window, ["hackernews", "reddit"], only=["reddit", "x"])
    assert set(plan) == set(gv.source_names())
    assert len(plan["reddit"]) == 2
    assert plan["hackernews"] == [] and plan["x"] == []
    with pytest.raises(ValueError, match=r"grapevine\.sources\.SOURCES"):
        gv.plan_collection(window, ["myspace"])


def test_source_connection_maps_login_password_and_extras() -> None:
    conn = Connection(
        conn_id="grapevine_reddit", conn_type="generic", login="id", password="s3cret",
        extra=json.dumps({"subreddits": "a,b", "base_url": "http://127.0.0.1:1"}),
    )  # fmt: skip
    assert gv.overrides_from_connection("reddit", conn) == {
        "reddit_client_id": "id", "reddit_client_secret": "s3cret",
        "reddit_subreddits": "a,b", "reddit_base_url": "http://127.0.0.1:1",
    }  # fmt: skip
    bad = Connection(conn_id="grapevine_x", conn_type="generic", extra='{"colour": "blue"}')
    with pytest.raises(ValueError, match="GRAPEVINE_X_COLOUR"):
        gv.overrides_from_connection("x", bad)


def test_settings_prefer_connections_then_env(monkeypatch) -> None:
    monkeypatch.setenv("GRAPEVINE_DATABASE_URL", "postgresql://env@127.0.0.1/env")
    monkeypatch.setenv("GRAPEVINE_X_BEARER_TOKEN", "env-token")
    conns = {
        "grapevine_warehouse": Connection(
            conn_id="grapevine_warehouse", conn_type="postgres", host="db", login="gv",
            password="pw-123456", schema="grapevine", port=5432,
        ),
        "grapevine_alerts": Connection(
            conn_id="grapevine_alerts", conn_type="generic", password="json://127.0.0.1:9/a",
        ),
    }  # fmt: skip
    settings = gv.settings_from_airflow(lookup=conns.get)
    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    assert url.startswith("postgres") and "gv:pw-123456@db:5432/grapevine" in url
    assert settings.x_bearer_token is not None
    assert settings.x_bearer_token.get_secret_value() == "env-token"  # no connection: env
    assert settings.alert_urls == ["json://127.0.0.1:9/a"]

    from airflow.sdk._shared.secrets_masker import redact

    assert "pw-123456" not in str(redact(f"connecting to {url}"))


def test_failure_message_names_the_task_and_window_and_hides_secrets() -> None:
    class TI:
        dag_id, task_id, map_index, try_number = "grapevine_nightly", "collect", 2, 3
        log_url = "http://airflow/log"

    context = {
        "task_instance": TI(), "run_id": "scheduled__2026-03-02",
        "data_interval_start": "2026-03-01", "data_interval_end": "2026-03-02",
        "exception": RuntimeError("login failed for token-abcdef\nsecond line"),
    }  # fmt: skip
    title, body = gv.failure_message(context)
    assert title == "Grapevine: grapevine_nightly.collect[2] failed"
    assert "2026-03-01 → 2026-03-02" in body and "try: 3" in body
    assert "http://airflow/log" in body and "second line" not in body
    assert "token-abcdef" not in gv.redact(body, ["token-abcdef"])


def test_notify_failure_never_raises_without_channels(monkeypatch, caplog) -> None:
    monkeypatch.delenv("GRAPEVINE_ALERT_URLS", raising=False)
    from grapevine.airflow import connections

    monkeypatch.setattr(connections, "_connection", lambda conn_id: None)
    gv.notify_failure({"exception": RuntimeError("boom")})
    assert "not sent" in caplog.text


def test_default_args_can_be_shortened_from_env(monkeypatch) -> None:
    monkeypatch.setenv("GRAPEVINE_AIRFLOW_RETRIES", "5")
    monkeypatch.setenv("GRAPEVINE_AIRFLOW_RETRY_DELAY_S", "1.5")
    args = gv.default_args(retries=1)
    assert args["retries"] == 1 and args["retry_delay"] == timedelta(seconds=1.5)
    assert gv.default_args()["retries"] == 5
    monkeypatch.setenv("GRAPEVINE_AIRFLOW_CATCHUP", "maybe")
    with pytest.raises(ValueError, match="not a boolean"):
        gv.catchup()


def test_docker_pools_file_matches_the_dags() -> None:
    pools = json.loads((ROOT / "docker" / "pools.json").read_text(encoding="utf-8"))
    assert pools == gv.pools()
