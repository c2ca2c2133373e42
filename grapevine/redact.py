"""Keep secrets out of logs, stored errors and channel labels.

``SecretStr`` keeps a token out of a ``repr``, but not out of what third-party libraries log:
tweepy logs its request headers (``Authorization: Bearer ...``) at DEBUG, apprise and urllib3
log the webhook URL they post to, and an HTTP error message repeats the URL with its path token.
So every log record is redacted on its way out (:class:`RedactingFilter`, installed on the root
logger's handlers, where records of every child logger pass), and the few strings Grapevine
stores or shows itself (delivery errors, channel labels) go through :func:`redact` and
:func:`url_label`.

What counts as a secret (:func:`secrets_from_settings`): the value of every ``SecretStr``
setting, and of each alert URL its password, its ``user:password`` pair, the query values of
credential-like keys (``token``, ``key``, ``secret``, ...) and its path tokens: any path
segment (or a host without a dot, as in ``slack://TokenA/TokenB``) of eight characters or
more, or of four or more mixing letters and digits. Besides those values, any
``Authorization``-style header value and any ``user:password@`` in a URL is masked wherever
it appears.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would shred ordinary words in every log line

_HEADERS = re.compile(
    r"(?i)(\b(?:proxy-)?authorization\b|\bx-api-key\b|\bapi-key\b)"
    r"(['\"]?\s*[:=]\s*['\"]?)"
    r"((?:bearer|basic|token|bot|digest)\s+)?"
    r"[^'\"\s,;}]+"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]*:[^\s/@]*@")
_CREDENTIAL_KEYS = re.compile(r"(?i)(token|key|secret|pass|pwd|auth|sig|code|webhook)")


def _looks_like_token(part: str) -> bool:
    has_digit = any(c.isdigit() for c in part)
    has_alpha = any(c.isalpha() for c in part)
    return len(part) >= 8 or (len(part) >= MIN_SECRET_LENGTH and has_digit and has_alpha)


def _is_address(host: str) -> bool:
    return "." in host or ":" in host or host.lower() == "localhost"


def _host(netloc: str) -> str:
    """The host as written (``urlsplit().hostname`` lower-cases it, and tokens are not)."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def url_secrets(url: str) -> list[str]:
    """The parts of one channel URL that must never be shown (see the module docstring)."""
    try:
        parts = urlsplit(url.strip())
        password = parts.password
        username = parts.username
        host = _host(parts.netloc)
    except ValueError:  # not a URL at all: the whole string is the secret
        return [url.strip()]
    found: list[str] = []
    if password:
        found += [password, unquote(password)]
        if username:
            found.append(f"{username}:{password}")
    if parts.scheme.lower() != "file":
        if host and not _is_address(host) and _looks_like_token(host):
            found.append(host)
        for segment in parts.path.split("/"):
            if segment and _looks_like_token(segment):
                found += [segment, unquote(segment)]
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if value and _CREDENTIAL_KEYS.search(key.lstrip("+:")):
            found.append(value)
    return found


def secrets_from_settings(settings: Any) -> list[str]:
    """Every configured secret: ``SecretStr`` values (and a password inside one that is a
    URL, e.g. the warehouse URL's) and the secret parts of every alert URL."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        getter = getattr(value, "get_secret_value", None)
        if callable(getter):
            secret = str(getter())
            found.append(secret)
            if "://" in secret:
                found += url_secrets(secret)
    for url in getattr(settings, "alert_urls", []) or []:
        found += url_secrets(url)
    return found


@lru_cache(maxsize=32)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    usable = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    if not usable:
        return None
    return re.compile("|".join(re.escape(s) for s in usable))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value, authorization header and URL password masked."""
    pattern = _pattern(tuple(sorted(set(secrets))))
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _HEADERS.sub(lambda m: f"{m[1]}{m[2]}{m[3] or ''}{MASK}", text)
    return _URL_USERINFO.sub(rf"\1{MASK}@", text)


def url_label(url: str) -> str:
    """A channel's name for logs, errors and reports: scheme and host, nothing secret.

    ``json://u:pw@hooks.example.com:8443/hook/TOKEN`` -> ``json://hooks.example.com:8443``;
    a host that is itself a token (``slack://TokenA/...``) is left out.
    """
    try:
        parts = urlsplit(url.strip())
        host = _host(parts.netloc)
        port = parts.port
    except ValueError:
        return "(unparsable URL)"
    scheme = parts.scheme.lower() or "?"
    if scheme == "file":
        return f"file://{unquote(parts.path)}"
    if not host or not _is_address(host):
        return f"{scheme}://"
    return f"{scheme}://{host}{f':{port}' if port else ''}"


class RedactingFilter(logging.Filter):
    """Masks secrets in every record that passes (message, arguments and traceback).

    The secrets come from ``provider`` at each record, so settings read after logging was set
    up (or changed by tests) are still covered; the compiled pattern is cached per secret set.
    """

    def __init__(self, provider: Callable[[], Sequence[str]]) -> None:
        super().__init__()
        self._provider = provider

    def _secrets(self) -> Sequence[str]:
        try:
            return self._provider()
        except Exception:  # invalid settings must not stop logging; generic patterns still apply
            return ()

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


_last: list[Any] = [None, []]  # (settings object, its secrets): one parse per settings object


def _settings_secrets() -> list[str]:
    from grapevine.core.settings import get_settings

    settings = get_settings()
    if _last[0] is not settings:
        _last[:] = [settings, secrets_from_settings(settings)]
    return list(_last[1])


def install(
    provider: Callable[[], Sequence[str]] = _settings_secrets,
    logger: logging.Logger | None = None,
) -> RedactingFilter:
    """Put one :class:`RedactingFilter` on every handler of ``logger`` (default: the root).

    Handlers, not the logger: a logger's own filters do not see records that child loggers
    (tweepy, urllib3, httpx, apprise, ...) propagate to it, while its handlers see them all.
    Call it after the handlers are configured; calling it again does not add a second filter.
    """
    target = logger or logging.getLogger()
    installed = RedactingFilter(provider)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(installed)
    return installed
