"""Secrets are masked in every logger's records, in stored errors and in channel labels."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from grapevine.alerts.notify import AppriseChannel, invalid_url_error
from grapevine.core.errors import ConfigError
from grapevine.core.settings import Settings
from grapevine.redact import RedactingFilter, install, redact, secrets_from_settings, url_label

TOKEN = "AAAAtok3nXYZ"
HOOK_URL = "json://bob:hunter2pw@hooks.example.com:8443/hook/s3cr3tT0k3n"


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    """A handler on the root logger (as the CLI sets one up), with redaction installed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install(lambda: [TOKEN, *secrets_from_settings(Settings(alert_urls=[HOOK_URL]))])
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.mark.parametrize("logger", ["tweepy.client", "urllib3.connectionpool", "httpx", "apprise"])
def test_records_of_third_party_child_loggers_are_redacted(
    root_stream: io.StringIO,
    logger: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    log = logging.getLogger(logger)
    log.setLevel(logging.DEBUG)  # other tests' imports (Airflow's logging config) may quiet it
    request.addfinalizer(lambda: log.setLevel(logging.NOTSET))
    monkeypatch.setattr(log, "propagate", True)
    log.debug("Headers: %s", {"Authorization": f"Bearer {TOKEN}", "User-Agent": "tweepy"})
    log.debug('Content: b\'{"echo": "%s"}\'', TOKEN)  # a server echoing the header back
    log.debug("JSON POST URL: %s", "http://bob:hunter2pw@hooks.example.com:8443/hook/s3cr3tT0k3n")
    try:
        raise RuntimeError(f"Max retries exceeded with url: /hook/s3cr3tT0k3n ({TOKEN})")
    except RuntimeError:
        log.exception("request failed")
    out = root_stream.getvalue()
    assert "Bearer ***" in out and "hooks.example.com:8443" in out and "request failed" in out
    for secret in (TOKEN, "s3cr3tT0k3n", "hunter2pw"):
        assert secret not in out


def test_authorization_headers_are_masked_even_for_unknown_tokens() -> None:
    assert redact("authorization: Basic dXNlcjpwYXNz") == "authorization: Basic ***"
    assert redact("{'Authorization': 'Bearer abc.def'}") == "{'Authorization': 'Bearer ***'}"
    assert redact("see https://user:pw@db.example.com/x") == "see https://***@db.example.com/x"


def test_every_secret_setting_and_alert_url_part_is_a_secret() -> None:
    s = Settings(
        x_bearer_token=SecretStr(TOKEN),
        database_url=SecretStr("postgresql://gv:dbpassw0rd@db.example.com/gv"),
        alert_urls=[HOOK_URL, "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"],
    )
    found = set(secrets_from_settings(s))
    assert {TOKEN, "dbpassw0rd", "hunter2pw", "s3cr3tT0k3n"} <= found
    assert {"T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"} <= found
    assert "hooks.example.com" not in found and "hook" not in found


def test_channel_labels_carry_no_credentials_or_path_tokens() -> None:
    assert url_label(HOOK_URL) == "json://hooks.example.com:8443"
    assert url_label("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/") == "slack://"
    assert AppriseChannel(HOOK_URL).label == "json://hooks.example.com:8443"


def test_a_plain_path_is_shown_and_file_url_suggested() -> None:
    error = invalid_url_error("/var/log/grapevine/alerts.log")
    assert isinstance(error, ConfigError)
    assert "'/var/log/grapevine/alerts.log' is not a valid apprise URL" in error.message
    assert error.hint and "file:///var/log/grapevine/alerts.log" in error.hint


def test_an_invalid_url_is_shown_with_its_secrets_masked() -> None:
    with pytest.raises(ConfigError) as caught:
        AppriseChannel("nosuchscheme://bob:hunter2pw@example.com/hook/s3cr3tT0k3n")
    message = caught.value.message
    assert "nosuchscheme://***@example.com/hook/***" in message
    assert "hunter2pw" not in message and "s3cr3tT0k3n" not in message
    assert caught.value.hint and "file://" in caught.value.hint


def test_the_filter_never_drops_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("plain",), None)
    assert RedactingFilter(lambda: [TOKEN]).filter(record) is True
    assert record.getMessage() == "plain"
