"""Delivery failures the user must hear about: exit codes, slow receivers, leaked secrets."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from analytics_seed import add_brands, add_posts, at, daily_series, set_models
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, text
from typer.testing import CliRunner
from werkzeug import Request, Response

from grapevine.cli import app
from grapevine.core.settings import Settings
from tests.stage_calls import run_alerts, run_metrics

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
    from grapevine.core.settings import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["alerts", *window()])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "no alert notification was delivered (1 failed)" in output
    assert "GRAPEVINE_ALERT_URLS" in output


X_TOKEN = "fake-x-bearer"  # the one tests.fakes.x accepts


def test_verbose_logs_never_show_the_x_bearer_token(
    tmp_path, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import FakeX
    from tests.fakes import x as fake_x
    from tests.fakes.corpus import WINDOW_END, WINDOW_START, Corpus

    assert fake_x.BEARER == X_TOKEN
    server = FakeX(Corpus.generate(5, WINDOW_START, WINDOW_END)).start()
    try:
        (tmp_path / "brands.yaml").write_text(
            "brands:\n  - name: Acme Air\n    aliases: [acmeair]\n", encoding="utf-8"
        )
        monkeypatch.setenv("GRAPEVINE_X_BEARER_TOKEN", X_TOKEN)
        monkeypatch.setenv("GRAPEVINE_X_BASE_URL", server.url)
        from grapevine.core.settings import get_settings

        get_settings.cache_clear()
        result = CliRunner().invoke(
            app,
            [
                "-v",
                "collect",
                "--source",
                "x",
                "--since",
                WINDOW_START.isoformat(),
                "--until",
                WINDOW_END.isoformat(),
            ],
        )
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "Making API request" in result.output  # tweepy's debug log is there ...
    assert X_TOKEN not in result.output  # ... without the token
    assert "Bearer ***" in result.output


def test_alert_url_secrets_reach_no_log_error_column_or_analyst_view(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_spike(engine)
    port = closed_port()
    token, password = "s3cr3tT0k3n", "hunter2pw"
    monkeypatch.setenv(
        "GRAPEVINE_ALERT_URLS", f"json://bob:{password}@127.0.0.1:{port}/hook/{token}"
    )
    from grapevine.core.settings import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["-v", "alerts", *window()])
    assert result.exit_code == 1
    assert "127.0.0.1" in result.output  # apprise's debug lines and the error are there ...
    assert token not in result.output and password not in result.output  # ... without secrets
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT last_error FROM alerts")).scalar_one()
        viewed = conn.execute(text("SELECT last_error FROM analytics.brand_alerts")).scalar_one()
    for shown in (stored, viewed):
        assert shown.startswith(f"json://127.0.0.1:{port}: ")
        assert token not in shown and password not in shown and "bob" not in shown


def test_the_analyst_view_masks_secrets_stored_by_older_versions(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": []})
    old_error = (
        "json://bob:****@127.0.0.1:9/hook/s3cr3tT0k3n: HTTPConnectionPool(host='127.0.0.1',"
        " port=9): Max retries exceeded with url: /hook/s3cr3tT0k3n; "
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ: 404"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (brand_id, kind, window_start, window_end, observed,"
                " expected, p_value, severity, last_error)"
                " VALUES (:b, 'badvocacy_spike', now(), now(), 1, 1, 1, 1, :e)"
            ),
            {"b": ids["Acme"], "e": old_error},
        )
        shown = conn.execute(text("SELECT last_error FROM analytics.brand_alerts")).scalar_one()
    assert shown == (
        "json://127.0.0.1:9 HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded"
        " with url: *** slack:// 404"
    )


@dataclass
class SlowReceiver:
    """A webhook that accepts every alert but may answer late, and drops resends by their
    Idempotency-Key, as a receiver that follows the header would."""

    delay_s: float = 0.0
    requests: list[tuple[str | None, dict]] = field(default_factory=list)

    def handler(self, request: Request) -> Response:
        time.sleep(self.delay_s)
        self.requests.append((request.headers.get("Idempotency-Key"), json.loads(request.data)))
        return Response("ok")

    def accepted(self) -> set[str | None]:
        return {key for key, _ in self.requests}


def test_a_late_answer_is_resent_with_the_same_idempotency_key(
    engine: Engine, settings: Settings, httpserver: HTTPServer
) -> None:
    seed_spike(engine)
    receiver = SlowReceiver(delay_s=1.5)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver.handler)
    url = f"json://127.0.0.1:{httpserver.port}/hook"
    impatient = settings.model_copy(update={"alert_urls": [url], "alert_timeout_seconds": 0.3})
    since, until = at(SPIKE, 0), at(SPIKE + timedelta(days=1), 0)

    first = run_alerts(engine, impatient, since, until)
    assert first["failed"] == 1, first  # we gave up waiting; the receiver accepted it all the same
    receiver.delay_s = 0.0
    patient = impatient.model_copy(update={"alert_timeout_seconds": 10.0})
    second = run_alerts(engine, patient, since, until)  # the retry on the next run
    assert second["delivered"] == 1

    assert len(receiver.requests) == 2  # delivered twice (at-least-once) ...
    assert len(receiver.accepted()) == 1  # ... under one key, so the receiver keeps one
    (key,) = receiver.accepted()
    assert key and all(payload["grapevine_alert_id"] == key for _, payload in receiver.requests)
    assert all(
        payload["title"].startswith("Badvocacy spike: Acme") for _, payload in receiver.requests
    )


def test_a_timeout_longer_than_the_receiver_delivers_once(
    engine: Engine, settings: Settings, httpserver: HTTPServer
) -> None:
    seed_spike(engine)
    receiver = SlowReceiver(delay_s=1.0)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver.handler)
    url = f"json://127.0.0.1:{httpserver.port}/hook"
    patient = settings.model_copy(update={"alert_urls": [url], "alert_timeout_seconds": 10.0})
    since, until = at(SPIKE, 0), at(SPIKE + timedelta(days=1), 0)
    assert run_alerts(engine, patient, since, until)["delivered"] == 1
    assert run_alerts(engine, patient, since, until)["delivered"] == 0
    assert len(receiver.requests) == 1
