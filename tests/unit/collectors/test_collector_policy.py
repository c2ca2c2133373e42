"""The shared HTTP policy, query translation and the registry, without any network."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
import responses

from collectors.http import (
    BadPayloadError,
    BudgetExhaustedError,
    GatedSession,
    RequestGate,
    RetryPolicy,
    TransientHTTPError,
    find_cause,
    reset_delay,
)
from collectors.search_terms import algolia_query, lucene_query, mastodon_hashtags, x_query
from grapevine.core.domain import Brand
from grapevine.core.errors import MissingCredentialsError
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings
from grapevine.sources import build_collector, configured_sources, missing_settings

NOW = 1_900_000_000.0
ACME = Brand(
    "Acme Air",
    aliases=("acme air", "acmeair", "#acmeair"),
    query='("acme air" OR acmeair) AND NOT "air fryer"',
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42.0),  # Reddit: seconds
        ("598.0", 598.0),
        (str(int(NOW) + 60), 60.0),  # X: Unix time
        (datetime.fromtimestamp(NOW + 90, UTC).isoformat(), 90.0),  # Mastodon: ISO 8601
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # HTTP date in the past
        ("soon", None),
        ("", None),
    ],
)
def test_reset_delay_understands_every_spelling(value: str, expected: float | None):
    got = reset_delay(value, NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_backoff_grows_exponentially_with_bounded_jitter():
    policy = RetryPolicy(base_delay=1.0, max_delay=60.0)
    rng = random.Random(1)
    delays = [policy.backoff(a, rng) for a in range(8)]
    for attempt, delay in enumerate(delays):
        cap = min(60.0, 2.0**attempt)
        assert cap / 2 <= delay <= cap


def _gated(clock: Clock, budget: int = 100, attempts: int = 3) -> GatedSession:
    gate = RequestGate(
        budget, policy=RetryPolicy(max_attempts=attempts), sleep=clock.sleep, clock=clock.time
    )
    return GatedSession(gate, timeout=1.0)


@responses.activate
def test_429_with_retry_after_is_retried_after_at_least_that_long():
    clock = Clock()
    responses.get("http://api.test/x", status=429, headers={"Retry-After": "12"})
    responses.get("http://api.test/x", json={"ok": True})
    assert _gated(clock).get("http://api.test/x").json() == {"ok": True}
    assert clock.sleeps and clock.sleeps[0] >= 12


@responses.activate
def test_exhausted_retries_raise_a_clear_error():
    clock = Clock()
    for _ in range(3):
        responses.get("http://api.test/x", status=503)
    with pytest.raises(TransientHTTPError, match=r"HTTP 503 .* after 3 attempts"):
        _gated(clock).get("http://api.test/x")
    assert len(clock.sleeps) == 2


@responses.activate
def test_truncated_json_is_retried_then_reported_with_its_body():
    clock = Clock()
    for _ in range(3):
        responses.get("http://api.test/x", body='{"data": [1, 2', content_type="application/json")
    with pytest.raises(BadPayloadError) as info:
        _gated(clock).get("http://api.test/x")
    assert info.value.body == b'{"data": [1, 2'


@responses.activate
def test_remaining_zero_delays_the_next_request_until_the_reset():
    clock = Clock()
    responses.get(
        "http://api.test/x",
        json={},
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW) + 30)},
    )
    session = _gated(clock)
    session.get("http://api.test/x")
    assert clock.sleeps == []  # no wait after the last request of a run
    session.get("http://api.test/x")
    assert clock.sleeps == [pytest.approx(30)]


@responses.activate
def test_budget_stops_before_the_request_that_would_overrun_it():
    clock = Clock()
    responses.get("http://api.test/x", json={})
    session = _gated(clock, budget=2)
    session.get("http://api.test/x")
    session.get("http://api.test/x")
    with pytest.raises(BudgetExhaustedError, match="GRAPEVINE_REQUEST_BUDGET"):
        session.get("http://api.test/x")
    assert len(responses.calls) == 2


def test_find_cause_digs_through_sdk_wrappers():
    inner = BudgetExhaustedError("spent")

    class SdkError(Exception):
        def __init__(self, original: Exception) -> None:
            super().__init__("sdk failed")
            self.original_exception = original

    try:
        try:
            raise inner
        except BudgetExhaustedError as exc:
            raise RuntimeError("wrapped") from SdkError(exc)
    except RuntimeError as outer:
        assert find_cause(outer, BudgetExhaustedError) is inner


def test_query_translations():
    assert lucene_query(ACME) == '("acme air" OR acmeair) AND NOT "air fryer"'
    assert x_query(ACME) == '(("acme air" OR acmeair) -"air fryer") -is:retweet'
    query, optional = algolia_query(ACME)
    assert set(optional) == {"Acme", "Air", "acmeair"} and query.split() == optional
    assert mastodon_hashtags(ACME) == ["AcmeAir"]


def test_inexpressible_queries_fall_back_to_aliases():
    wild = Brand("Volt", aliases=("voltcar",), query="volt* AND car")
    assert lucene_query(wild) == "Volt OR voltcar"
    assert x_query(wild) == "(Volt OR voltcar) -is:retweet"
    long = Brand(
        "Acme",
        aliases=tuple(f"alias number {i}" for i in range(60)),
        query=" OR ".join(f'"phrase number {i}"' for i in range(60)),
    )
    assert len(x_query(long)) <= 512


def test_missing_credentials_name_the_setting(monkeypatch: pytest.MonkeyPatch):
    for name in (
        "REDDIT_CLIENT_ID",
        "REDDIT_CLIENT_SECRET",
        "X_BEARER_TOKEN",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
        "MASTODON_INSTANCES",
    ):
        monkeypatch.delenv(f"GRAPEVINE_{name}", raising=False)
    settings = Settings(_env_file=None)
    pseudo = Pseudonymiser(b"0123456789abcdef0123")
    with pytest.raises(MissingCredentialsError, match="GRAPEVINE_REDDIT_CLIENT_ID is not set"):
        build_collector("reddit", settings, pseudo)
    with pytest.raises(MissingCredentialsError, match="GRAPEVINE_X_BEARER_TOKEN"):
        build_collector("x", settings, pseudo)
    with pytest.raises(MissingCredentialsError, match="GRAPEVINE_BLUESKY_HANDLE"):
        build_collector("bluesky", settings, pseudo)
    with pytest.raises(MissingCredentialsError, match="GRAPEVINE_MASTODON_INSTANCES"):
        build_collector("mastodon", settings, pseudo)
    assert configured_sources(settings) == ["hackernews"]
    full = settings.model_copy(update={"x_bearer_token": "t", "mastodon_instances": ["m.test"]})
    assert configured_sources(full) == ["x", "mastodon", "hackernews"]
    assert missing_settings("reddit", full) == [
        "GRAPEVINE_REDDIT_CLIENT_ID",
        "GRAPEVINE_REDDIT_CLIENT_SECRET",
    ]
