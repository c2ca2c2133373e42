"""`grapevine alerts`: a badvocacy spike alerts once, reaches real receivers, and never twice."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from analytics_seed import P, add_brands, add_posts, at, daily_series, set_models
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, text
from werkzeug import Request, Response

from grapevine.alerts.scan import detect_alerts, with_drivers
from grapevine.core.settings import Settings
from tests.stage_calls import run_alerts, run_metrics

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)
DAYS = 40
SPIKE = START + timedelta(days=35)
SURGE = START + timedelta(days=33)
WEEK_MENTIONS = [100, 96, 104, 98, 102, 90, 110]
WEEK_BAD = [10, 9, 11, 10, 12, 8, 10]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Badvocacy spikes and their delivery, one alert at a time: volume surges (Globex's launch
    day, the spike day's extra volume) are switched off here and tested in
    test_alerts_surge.py."""
    return settings.model_copy(update={"alert_surge": False})


def _seed(engine: Engine, second_spike: bool = False) -> dict[str, int]:
    ids = add_brands(engine, {"Acme": ["Globex"], "Globex": []})
    set_models(engine)
    acme_mentions = [WEEK_MENTIONS[i % 7] for i in range(DAYS)]
    acme_bad = [WEEK_BAD[i % 7] for i in range(DAYS)]
    globex_mentions = [m * 8 // 10 for m in acme_mentions]
    globex_bad = [b * 8 // 10 for b in acme_bad]
    spike_days = [SPIKE] + ([SPIKE + timedelta(days=2)] if second_spike else [])
    for day in spike_days:  # badvocacy spike: 60 extra badvocacy posts, nothing else changes
        i = (day - START).days
        acme_mentions[i] += 60
        acme_bad[i] += 60
    i = (SURGE - START).days  # Globex's launch day: 3x the volume with the usual mix
    globex_mentions[i] *= 3
    globex_bad[i] *= 3
    posts = daily_series("Acme", START, DAYS, mentions=acme_mentions, badvocacy=acme_bad)
    posts += daily_series("Globex", START, DAYS, mentions=globex_mentions, badvocacy=globex_bad)
    posts.append(  # the loudest badvocate of the spike day, with a link to answer it
        P(
            at(SPIKE, 20),
            ["Acme"],
            {"Acme": "badvocacy"},
            "negative",
            author_key="loud",
            followers=250_000,
            url="https://social.test/loud/1",
            text="Acme lost my bags. Avoid.",
        )
    )
    add_posts(engine, posts, ids)
    run_metrics(engine, Settings(), None, None)
    return ids


def _window() -> tuple:
    return at(SPIKE - timedelta(days=5), 0), at(SPIKE + timedelta(days=3), 0)


@dataclass
class Webhook:
    server: HTTPServer
    fail_first: int = 0
    delay_s: float = 0.0
    received: list[dict] = field(default_factory=list)
    calls: int = 0

    def handler(self, request: Request) -> Response:
        self.calls += 1
        if self.calls <= self.fail_first:
            return Response("down for maintenance", status=503)
        time.sleep(self.delay_s)
        self.received.append(json.loads(request.data))
        return Response("ok")

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.port}/hook"


@pytest.fixture
def webhook(httpserver: HTTPServer) -> Webhook:
    hook = Webhook(httpserver)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook.handler)
    return hook


class Inbox:
    """An SMTP receiver (aiosmtpd) that can refuse the first messages with a 451."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.fail_first = 0
        self.calls = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.calls += 1
        if self.calls <= self.fail_first:
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    url = (
        f"mailto://grapevine@127.0.0.1:{port}?mode=insecure"
        "&from=grapevine@example.com&to=marketing@example.com"
    )
    yield inbox, url
    controller.stop()


def _alerts(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT a.*, b.name AS brand FROM alerts a JOIN brands b ON b.id = a.brand_id"
                    " ORDER BY window_start"
                )
            ).mappings()
        ]


def test_spike_alerts_once_on_webhook_and_email_and_a_surge_does_not(
    engine: Engine, settings: Settings, webhook: Webhook, smtp: tuple[Inbox, str]
) -> None:
    inbox, mail_url = smtp
    _seed(engine)
    cfg = settings.model_copy(update={"alert_urls": [webhook.url, mail_url]})

    result = run_alerts(engine, cfg, *_window())

    assert result["alerts_found"] == 1 and result["delivered"] == 1
    (alert,) = _alerts(engine)
    assert alert["brand"] == "Acme" and alert["window_start"].date() == SPIKE
    assert alert["observed"] == 71 and 5 < alert["expected"] < 15
    assert alert["share"] > 2 * alert["baseline_share"]
    assert alert["p_value"] < settings.alert_alpha
    assert 6 <= alert["severity"] <= 10
    top = alert["details"]["top_posts"]
    assert top[0]["url"] == "https://social.test/loud/1" and top[0]["followers"] == 250_000
    assert [p["followers"] for p in top] == sorted((p["followers"] for p in top), reverse=True)
    assert alert["notified_at"] is not None and alert["delivery_attempts"] == 1
    assert alert["last_error"] is None

    assert len(webhook.received) == 1
    assert "Acme" in webhook.received[0]["title"]
    assert "https://social.test/loud/1" in webhook.received[0]["message"]
    assert len(inbox.messages) == 1 and "Acme" in inbox.messages[0]

    # rerunning the window, or the whole history, finds the same alert and sends nothing
    again = run_alerts(engine, cfg, *_window())
    assert again["new_alert_ids"] == [] and again["delivered"] == 0
    run_alerts(engine, cfg, None, None)
    assert len(_alerts(engine)) == 1
    assert len(webhook.received) == 1 and len(inbox.messages) == 1


def test_a_stored_window_is_not_read_again_when_detection_reruns(
    engine: Engine, settings: Settings, webhook: Webhook
) -> None:
    """A rerun that finds the stored window again reuses its top posts and drivers (they
    would be thrown away: a stored window is left as it is) instead of reading them again."""
    _seed(engine)
    cfg = settings.model_copy(update={"alert_urls": [webhook.url]})
    run_alerts(engine, cfg, *_window())
    with engine.begin() as conn:  # mark the stored copy, then change an input: detection reruns
        conn.execute(
            text(
                "UPDATE alerts SET details = jsonb_set(details, '{top_posts}',"
                ' \'[{"url": "stored"}]\'), drivers = \'[{"outcome_id": 7, "label": "x",'
                ' "lift": 2.0, "p_value": 0.01, "window_badvocacy": 3}]\''
            )
        )
        conn.execute(
            text(
                "UPDATE posts SET likes = coalesce(likes, 0) + 1"
                " WHERE id = (SELECT min(id) FROM posts)"
            )
        )
    found, _ = detect_alerts(engine, cfg, *_window())
    (again,) = [a for a in with_drivers(engine, cfg, found) if a.kind == "badvocacy_spike"]
    assert again.details["top_posts"] == [{"url": "stored"}]
    assert [d["outcome_id"] for d in again.drivers] == [7]
    assert len(_alerts(engine)) == 1 and len(webhook.received) == 1


@pytest.mark.parametrize("failing", ["webhook", "smtp"])
def test_failed_delivery_is_retried_next_run_on_the_failed_channel_only(
    engine: Engine,
    settings: Settings,
    webhook: Webhook,
    smtp: tuple[Inbox, str],
    failing: str,
) -> None:
    inbox, mail_url = smtp
    if failing == "webhook":
        webhook.fail_first = 1
    else:
        inbox.fail_first = 1
    _seed(engine)
    cfg = settings.model_copy(update={"alert_urls": [webhook.url, mail_url]})

    first = run_alerts(engine, cfg, *_window())
    assert first["failed"] == 1 and first["delivered"] == 0
    (alert,) = _alerts(engine)
    assert alert["notified_at"] is None and alert["delivery_attempts"] == 1
    assert alert["last_error"]
    assert "grapevine@" not in alert["last_error"] or failing == "smtp"
    # the healthy channel got it once already
    assert len(webhook.received) + len(inbox.messages) == 1

    second = run_alerts(engine, cfg, *_window())
    assert second["delivered"] == 1 and second["new_alert_ids"] == []
    (alert,) = _alerts(engine)
    assert alert["notified_at"] is not None and alert["delivery_attempts"] == 2
    assert alert["last_error"] is None
    assert len(webhook.received) == 1 and len(inbox.messages) == 1

    run_alerts(engine, cfg, *_window())
    assert len(webhook.received) == 1 and len(inbox.messages) == 1


def test_overlapping_runs_notify_once(engine: Engine, settings: Settings, webhook: Webhook) -> None:
    _seed(engine)
    webhook.delay_s = 1.0  # the first run is still sending when the second one looks
    cfg = settings.model_copy(update={"alert_urls": [webhook.url]})
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(run_alerts(engine, cfg, *_window()))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(_alerts(engine)) == 1
    assert len(webhook.received) == 1
    assert sorted(r["delivered"] for r in results) == [0, 1]
    assert sum(len(r["new_alert_ids"]) for r in results) == 1


def test_default_channel_is_a_local_file_and_dry_run_changes_nothing(
    engine: Engine, settings: Settings
) -> None:
    _seed(engine)
    log_file = Path(settings.data_dir) / "alerts.log"

    dry = run_alerts(engine, settings, *_window(), dry_run=True)
    assert dry["alerts_found"] == 1 and dry["found"][0]["brand"] == "Acme"
    assert _alerts(engine) == [] and not log_file.exists()

    run_alerts(engine, settings, *_window())
    run_alerts(engine, settings, *_window())
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["title"].startswith("Badvocacy spike: Acme")
    assert record["alert"]["details"]["top_posts"][0]["url"] == "https://social.test/loud/1"


def test_an_alerted_day_is_left_out_of_the_next_baseline(
    engine: Engine, settings: Settings
) -> None:
    _seed(engine, second_spike=True)
    run_alerts(engine, settings, *_window())
    days = [a["window_start"].date() for a in _alerts(engine)]
    assert days == [SPIKE, SPIKE + timedelta(days=2)]
