"""An alert's id is stable across retries and renames by case; URLs keep their own settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from grapevine.alerts.notify import alert_id, render, with_alert_id, with_timeouts

START = datetime(2026, 9, 22, tzinfo=UTC)


def test_the_alert_id_depends_on_brand_kind_and_window_only() -> None:
    row = {"id": 7, "brand": "Acme Air", "kind": "badvocacy_spike", "window_start": START}
    same = row | {"id": 99, "brand": "ACME AIR", "delivery_attempts": 3}
    other_tz = row | {"window_start": START.astimezone(timezone(timedelta(hours=2)))}
    assert alert_id(row) == alert_id(same) == alert_id(other_tz)
    assert alert_id(row) != alert_id(row | {"window_start": START + timedelta(days=1)})
    assert alert_id(row) != alert_id(row | {"brand": "Globex"})
    message = render(row)
    assert message.alert_id == alert_id(row) == message.payload["alert_id"]


def test_timeouts_and_ids_are_added_without_overriding_the_url() -> None:
    assert with_timeouts("json://h/hook", 7.5) == "json://h/hook?cto=7.5&rto=7.5"
    assert with_timeouts("json://h/hook?rto=60", 7.5) == "json://h/hook?rto=60&cto=7.5"
    assert with_alert_id("json://h/hook?cto=1", "abc") == (
        "json://h/hook?cto=1&+Idempotency-Key=abc&+X-Grapevine-Alert-Id=abc&:grapevine_alert_id=abc"
    )
