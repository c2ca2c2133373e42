"""The HTTP policy every social collector shares: budget, rate limits, back-off, retries.

Each SDK (praw, tweepy, Mastodon.py, atproto) owns its own HTTP session; rather than bypass the
SDKs we hand them a session (``requests``) or transport (``httpx``) whose every request passes
through one :class:`RequestGate`. The gate

- counts requests against a per-run budget (``GRAPEVINE_REQUEST_BUDGET``) and raises
  :class:`BudgetExhaustedError` before the budget is overrun, so no run can page forever;
- reads the APIs' own rate-limit headers (``x-ratelimit-*`` on Reddit and Mastodon,
  ``x-rate-limit-*`` on X, ``ratelimit-*`` on Bluesky, ``Retry-After`` anywhere) and waits
  for the reset *before* the next request instead of spending a request on a 429;
- retries 429, 5xx, timeouts, dropped connections and truncated JSON bodies with exponential
  back-off and jitter, then raises :class:`TransientHTTPError` or :class:`BadPayloadError`.

``sleep`` and ``clock`` are injectable so that tests run the real policy without really waiting.
The SDKs wrap our exceptions in theirs; :func:`find_cause` digs them out again.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx
import requests

from grapevine.core.errors import CollectorError

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Reddit and Mastodon say x-ratelimit-*, X says x-rate-limit-*, Bluesky the IETF draft ratelimit-*.
REMAINING_HEADERS = ("x-ratelimit-remaining", "x-rate-limit-remaining", "ratelimit-remaining")
RESET_HEADERS = ("x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset")
_EPOCH_THRESHOLD = 1_000_000_000  # a reset value this large is a Unix time, not a delay


class BudgetExhaustedError(CollectorError):
    """The run has used its request budget; the committed cursors let the next run go on."""


class TransientHTTPError(CollectorError):
    """The server kept failing (429/5xx/timeouts) after every retry."""


class BadPayloadError(CollectorError):
    """The server kept answering 2xx with a body that is not valid JSON (e.g. truncated)."""

    def __init__(self, message: str, *, url: str, body: bytes) -> None:
        super().__init__(message)
        self.url = url
        self.body = body


E = TypeVar("E", bound=BaseException)


def find_cause(exc: BaseException, kind: type[E]) -> E | None:
    """``exc`` or the first exception of type ``kind`` it wraps (SDKs re-raise ours in theirs)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, kind):
            return cur
        stack.extend([cur.__cause__, cur.__context__, getattr(cur, "original_exception", None)])
        stack.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
    return None


def reset_delay(value: str | None, now: float) -> float | None:
    """Seconds until a rate-limit window resets, from any of the spellings APIs use.

    Reddit sends seconds to wait, X a Unix time, Mastodon an ISO 8601 time, ``Retry-After``
    seconds or an HTTP date. Unparseable values give ``None`` (the caller backs off instead).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if number != number:  # NaN
            return None
        return max(0.0, number - now if number > _EPOCH_THRESHOLD else number)
    when: datetime | None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts per request, back-off curve, and the longest wait honoured."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_wait: float = 900.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential back-off with "equal jitter": half fixed, half random, so clients spread."""
        cap = float(min(self.max_delay, self.base_delay * (2**attempt)))
        return cap / 2 + rng.uniform(0, cap / 2)


class RequestGate:
    """Budget, pacing and retry decisions for one collector run, whatever the HTTP library."""

    def __init__(
        self,
        budget: int,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.budget = budget
        self.used = 0
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.not_before = 0.0
        self.waited = 0.0
        self.retries = 0

    # --- before and after each attempt ---------------------------------------------------------

    def before_request(self, url: str) -> None:
        """Wait out a known rate-limit reset, then take one request from the budget."""
        if self.used >= self.budget:
            raise BudgetExhaustedError(
                f"request budget of {self.budget} used up before {url}",
                hint="raise GRAPEVINE_REQUEST_BUDGET; the next run resumes from the saved cursor",
            )
        wait = self.not_before - self.clock()
        if wait > 0:
            self._wait(wait, "rate limit reset")
        self.used += 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Remember when the next request may go, from the response's rate-limit headers."""
        remaining = _first(headers, REMAINING_HEADERS)
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        if left > 0:
            return
        delay = reset_delay(_first(headers, RESET_HEADERS), self.clock())
        if delay is None:
            delay = self.policy.base_delay
        self.not_before = max(self.not_before, self.clock() + min(delay, self.policy.max_wait))

    def retry_delay(
        self, attempt: int, headers: Mapping[str, str] | None, what: str, url: str
    ) -> float:
        """Seconds to wait before attempt ``attempt + 1``, or raise when attempts are used up."""
        if attempt + 1 >= self.policy.max_attempts:
            raise TransientHTTPError(
                f"{what} from {_short(url)} after {attempt + 1} attempts",
                hint="the service is failing or throttling; try again later",
            )
        delay = self.policy.backoff(attempt, self.rng)
        if headers is not None:
            told = reset_delay(headers.get("retry-after"), self.clock())
            if told is None and what.startswith("HTTP 429"):
                told = reset_delay(_first(headers, RESET_HEADERS), self.clock())
            if told is not None:
                delay = max(delay, min(told, self.policy.max_wait))
        self.retries += 1
        log.info("retrying %s in %.2fs (%s)", _short(url), delay, what)
        return delay

    def wait(self, seconds: float, why: str) -> None:
        self._wait(seconds, why)

    def _wait(self, seconds: float, why: str) -> None:
        log.debug("waiting %.2fs: %s", seconds, why)
        self.waited += seconds
        self.sleep(seconds)


def _first(headers: Mapping[str, str], names: Iterable[str]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def _short(url: str) -> str:
    return url.split("?", 1)[0]


def _json_problem(content_type: str | None, body: bytes) -> str | None:
    """Why a 2xx JSON body is unusable, or ``None`` when it parses (or is not JSON at all)."""
    if not content_type or "json" not in content_type.lower() or not body:
        return None
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"invalid JSON body ({exc.__class__.__name__}: {str(exc)[:80]})"
    return None


# --- requests (praw, tweepy, Mastodon.py, plain requests) ----------------------------------------


class _Response(Protocol):
    """What the gate needs of a ``requests`` or ``httpx`` response."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Any: ...
    @property
    def content(self) -> bytes: ...
    def close(self) -> None: ...


_R = TypeVar("_R", bound=_Response)


def gated_call(
    gate: RequestGate,
    url: str,
    send: Callable[[], _R],
    transient: tuple[type[BaseException], ...],
) -> _R:
    """Send through ``gate``: budget, rate-limit waits, and retries with back-off.

    Retried: the ``transient`` exceptions (timeouts, dropped connections), 429/5xx, and a 2xx
    whose JSON body is truncated or malformed. One loop for both HTTP stacks, so ``requests``
    (praw, tweepy, Mastodon.py, Hacker News) and ``httpx`` (atproto) behave alike.
    """
    attempt = 0
    while True:
        gate.before_request(url)
        try:
            response = send()
        except transient as exc:
            what = exc.__class__.__name__
            gate.wait(gate.retry_delay(attempt, None, what, url), what)
            attempt += 1
            continue
        gate.observe(response.headers)
        status = response.status_code
        if status in RETRY_STATUSES:
            what = f"HTTP {status}"
            delay = gate.retry_delay(attempt, response.headers, what, url)
            response.close()
            gate.wait(delay, what)
            attempt += 1
            continue
        if 200 <= status < 300:
            problem = _json_problem(response.headers.get("content-type"), response.content)
            if problem is not None:
                try:
                    delay = gate.retry_delay(attempt, None, problem, url)
                except TransientHTTPError as exc:
                    raise BadPayloadError(
                        str(exc), url=_short(url), body=response.content
                    ) from None
                gate.wait(delay, problem)
                attempt += 1
                continue
        return response


class GatedSession(requests.Session):
    """A ``requests.Session`` whose every request goes through a :class:`RequestGate`.

    ``rewrite`` maps URL prefixes the SDK hard-codes (tweepy's ``https://api.twitter.com``) to
    the configured base URL. ``strip_rate_headers`` hides rate-limit headers from an SDK that
    would otherwise sleep on them a second time with the real clock (prawcore does).
    """

    def __init__(
        self,
        gate: RequestGate,
        *,
        timeout: float = 30.0,
        rewrite: Mapping[str, str] | None = None,
        strip_rate_headers: bool = False,
        user_agent: str | None = None,
    ) -> None:
        super().__init__()
        self.gate = gate
        self.timeout = timeout
        self.rewrite = dict(rewrite or {})
        self.strip_rate_headers = strip_rate_headers
        if user_agent:
            self.headers["User-Agent"] = user_agent

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = self._rewritten(url.decode() if isinstance(url, bytes) else url)
        # Settings win: praw only takes whole seconds, and some SDKs pass no timeout at all.
        sdk_timeout = kwargs.get("timeout")
        if not isinstance(sdk_timeout, int | float) or not 0 < sdk_timeout < self.timeout:
            kwargs["timeout"] = self.timeout
        response = gated_call(
            self.gate,
            url,
            lambda: super(GatedSession, self).request(method, url, *args, **kwargs),
            (requests.Timeout, requests.ConnectionError),
        )
        if self.strip_rate_headers:
            for name in (*REMAINING_HEADERS, *RESET_HEADERS, "x-ratelimit-used"):
                response.headers.pop(name, None)
        return response

    def _rewritten(self, url: str) -> str:
        for prefix, target in self.rewrite.items():
            if url.startswith(prefix) and prefix != target:
                return target.rstrip("/") + url[len(prefix) :]
        return url


# --- httpx (atproto) ----------------------------------------------------------------------------


class GatedTransport(httpx.BaseTransport):
    """An ``httpx`` transport applying the same :class:`RequestGate` (atproto speaks httpx)."""

    def __init__(self, gate: RequestGate, inner: httpx.BaseTransport | None = None) -> None:
        self.gate = gate
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        def send() -> httpx.Response:
            response = self.inner.handle_request(request)
            response.read()
            return response

        return gated_call(
            self.gate, str(request.url), send, (httpx.TimeoutException, httpx.NetworkError)
        )

    def close(self) -> None:
        self.inner.close()
