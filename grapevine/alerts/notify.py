"""Alert delivery: apprise URLs (Slack, e-mail, Teams, webhooks, ...) and a local file channel.

Channels come from ``GRAPEVINE_ALERT_URLS``. Each URL is its own channel with a stable key (a
hash of the URL, so secrets in it never reach the database or the logs), and the warehouse
records which channels already accepted an alert: when one of two channels fails, the retry on
the next run goes to the failed one only, and nobody gets the same alert twice.

The default channel, when no URL is configured, is a local file: every alert is appended as one
JSON line to ``DATA_DIR/alerts.log`` (a ``file:///path/alerts.log`` URL in the list selects
another file, alongside apprise URLs). It is not an apprise plugin on purpose: apprise's custom
URL schemes lose parts of local paths, and a file needs no network, no credentials and no
third party, which is what a first run and the demo want. ``tail -f alerts.log | jq`` reads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urlparse, urlsplit, urlunsplit

import apprise

from grapevine.core.domain import Brand
from grapevine.core.errors import ConfigError, GrapevineError
from grapevine.core.settings import Settings
from grapevine.redact import redact, url_label, url_secrets

log = logging.getLogger(__name__)

DEFAULT_LOG_NAME = "alerts.log"
DEFAULT_TIMEOUT_S = 15.0
#: Channels that carry the alert's id (header and payload field), so that a receiver can drop a
#: resend: apprise's generic webhooks. Others (Slack, e-mail, Teams, ...) have no such field:
#: there delivery is at-least-once (see docs/alerts.md).
IDEMPOTENT_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
_ALERT_NAMESPACE = uuid.UUID("6f1c2d3e-9a7b-5c4d-8e2f-0a1b2c3d4e5f")


class DeliveryError(GrapevineError):
    """A channel did not accept a notification; the alert stays pending and is retried."""


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel sends: a title, a plain-text body, and the alert as data."""

    title: str
    body: str
    payload: dict[str, Any]
    alert_id: str | None = None


class Channel(Protocol):
    """Somewhere alerts go. ``key`` is stable across runs and safe to store (no secrets)."""

    key: str
    label: str

    def send(self, message: Message) -> None:
        """Deliver or raise :class:`DeliveryError`."""


def channel_key(url: str) -> str:
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added to its query string (those it already has win)."""
    parts = urlsplit(url)
    present = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = [(k, v) for k, v in params.items() if k not in present]
    if not extra:
        return url
    query = "&".join(x for x in (parts.query, urlencode(extra, safe="+:")) if x)
    return urlunsplit(parts._replace(query=query))


def with_timeouts(url: str, timeout_s: float) -> str:
    """Apprise's connect (``cto``) and read (``rto``) timeouts, unless the URL sets its own.

    Why: apprise gives up after 4 s by default; a receiver that answers after 6 s has accepted
    the alert all the same, and the retry on the next run would deliver it a second time.
    """
    seconds = f"{timeout_s:g}"
    return with_query(url, {"cto": seconds, "rto": seconds})


def with_alert_id(url: str, alert_id: str) -> str:
    """Send the alert's stable id as ``Idempotency-Key`` and ``X-Grapevine-Alert-Id`` headers
    and as a ``grapevine_alert_id`` field of the payload (apprise's ``+header`` and
    ``:field`` URL parameters of its json/xml/form plugins)."""
    return with_query(
        url,
        {
            "+Idempotency-Key": alert_id,
            "+X-Grapevine-Alert-Id": alert_id,
            ":grapevine_alert_id": alert_id,
        },
    )


def alert_id(alert: dict[str, Any]) -> str:
    """A stable id for one alert: the same on every retry, in every run and every process.

    Derived from what makes an alert unique (brand slug, kind, window start), not from the row
    id, so a rebuilt warehouse that detects the same spike sends the same id.
    """
    brand = str(alert.get("brand") or (alert.get("details") or {}).get("brand") or "")
    slug = Brand(brand).slug if brand else f"brand-{alert.get('brand_id')}"
    start = alert.get("window_start")
    when = start.astimezone(UTC).isoformat() if isinstance(start, datetime) else str(start)
    return str(uuid.uuid5(_ALERT_NAMESPACE, f"{slug}|{alert.get('kind')}|{when}"))


def invalid_url_error(url: str) -> ConfigError:
    """What to say about an alert URL apprise does not accept, without leaking its secrets.

    A plain path is the common mistake (a file is what a first setup wants): say how to write it.
    """
    shown = url.strip()
    if "://" in shown:
        shown = redact(shown, url_secrets(shown))
    file_url = "file:///absolute/path/alerts.log"
    if "://" not in shown:
        file_url = Path(shown).expanduser().absolute().as_uri()
    hint = (
        f"to append alerts to a local file, write it as {file_url}; other channels are "
        "apprise URLs (slack://, mailto://, json://, msteams://, ...): "
        "see https://github.com/caronc/apprise/wiki"
    )
    return ConfigError(f"alert URL {shown!r} is not a valid apprise URL", hint=hint)


class AppriseChannel:
    """One apprise URL. Apprise reports failures by logging them: we capture that text.

    The label (shown in logs, ``alerts.last_error`` and the report) is the URL's scheme and host
    only, and the captured error text is redacted: webhook path tokens and passwords must not
    reach the warehouse, where analysts can read them.
    """

    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._url = with_timeouts(url.strip(), timeout_s)
        self._apprise = apprise.Apprise()
        if not self._apprise.add(self._url):
            raise invalid_url_error(url)
        self.key = channel_key(url)
        self.label = url_label(url)
        self._secrets = tuple(url_secrets(url))
        self.idempotent = urlsplit(url.strip()).scheme.lower() in IDEMPOTENT_SCHEMES

    def _sender(self, message: Message) -> apprise.Apprise:
        """The apprise object for one message: with the alert's id where the channel can
        carry it, so that a receiver can drop a resend (see :data:`IDEMPOTENT_SCHEMES`)."""
        if not (self.idempotent and message.alert_id):
            return self._apprise
        sender = apprise.Apprise()
        sender.add(with_alert_id(self._url, message.alert_id))
        return sender

    def send(self, message: Message) -> None:
        sender = self._sender(message)
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            ok = sender.notify(
                title=message.title, body=message.body, body_format=apprise.NotifyFormat.TEXT
            )
        if not ok:
            detail = " ".join(
                line.split(" - ", 2)[-1].strip()
                for line in captured.getvalue().splitlines()
                if line.strip()
            )
            detail = redact(detail, self._secrets)
            raise DeliveryError(f"{self.label}: {detail or 'notification was not accepted'}")


class FileChannel:
    """Appends each alert as one JSON line to a local file (the default channel)."""

    _lock = threading.Lock()

    def __init__(self, path: Path, key: str | None = None) -> None:
        self.path = path
        self.key = key or channel_key(f"file://{path}")
        self.label = f"file://{path}"

    def send(self, message: Message) -> None:
        record = {
            "sent_at": datetime.now(UTC).isoformat(),
            "title": message.title,
            "body": message.body,
            "alert": message.payload,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        except OSError as exc:
            raise DeliveryError(f"{self.label}: {exc}") from exc


def channels_from_settings(settings: Settings) -> list[Channel]:
    """The configured channels; the local file channel when none is configured."""
    urls = [u.strip() for u in settings.alert_urls if u.strip()]
    if not urls:
        return [FileChannel(settings.data_dir / DEFAULT_LOG_NAME)]
    channels: list[Channel] = []
    for url in urls:
        if url.lower().startswith("file://"):
            channels.append(FileChannel(Path(unquote(urlparse(url).path)), channel_key(url)))
        else:
            channels.append(AppriseChannel(url, settings.alert_timeout_seconds))
    return channels


SURGE_KIND = "volume_surge"


def about(count: float) -> str:
    """An expected count as people say it: "about 15", "about 2.4", "about 1,200"."""
    return f"{count:,.0f}" if count >= 10 else f"{count:.1f}"


def render(alert: dict[str, Any]) -> Message:
    """The human message for one alert row (as stored, with its ``details`` and, for a
    badvocacy spike whose drivers are known, its ``drivers``)."""
    d = alert.get("details") or {}
    brand = d.get("brand") or alert.get("brand") or f"brand {alert.get('brand_id')}"
    # the local day the window covers (GRAPEVINE_TIMEZONE); alerts stored before it was kept
    # in the details have only the UTC start
    day = d.get("day") or f"{str(alert.get('window_start', ''))[:10]} (UTC)"
    severity = alert.get("severity")
    observed = int(alert.get("observed") or 0)
    expected = float(alert.get("expected") or 0)
    history = d.get("history_days", 28)
    share = alert.get("share")
    base_share = alert.get("baseline_share")
    if alert.get("kind") == SURGE_KIND:
        title = f"Volume surge: {brand} on {day[:10]} (severity {severity}/10)"
        lines = [
            f"{brand}: {observed:,} mentions on {day}, about {about(expected)} expected from "
            f"the last {history} days.",
        ]
        if share is not None and base_share is not None:
            lines.append(
                f"Badvocacy share of rated mentions: {share:.0%} (usually {base_share:.0%})."
            )
        top_heading = "Top mentions by reach:"
    else:
        title = f"Badvocacy spike: {brand} on {day[:10]} (severity {severity}/10)"
        lines = [
            f"{brand}: {observed} badvocacy posts on {day}, "
            f"{expected:.1f} expected from the last {history} days.",
        ]
        if share is not None and base_share is not None:
            lines.append(
                f"Badvocacy share of rated mentions: {share:.0%} (usually {base_share:.0%})."
            )
        volume = d.get("volume_surge")
        if volume:
            lines.append(
                f"Mentions: {int(volume.get('mentions') or 0):,}, about "
                f"{about(float(volume.get('expected') or 0))} expected: a volume surge as well."
            )
        top_heading = "Top badvocacy posts by reach:"
    lines.append(
        f"p-value {float(alert.get('p_value') or 0):.2g} after correcting for "
        f"{d.get('brands_tested', 1)} brands."
    )
    lines += driver_lines(alert.get("drivers") or [])
    posts = d.get("top_posts") or []
    if posts:
        lines.append("")
        lines.append(top_heading)
        for p in posts:
            lines.append(
                f"- [{p.get('source')}] {p.get('followers') or 0:,} followers: "
                f"{p.get('excerpt', '')!r} {p.get('url') or ''}".rstrip()
            )
    key = alert_id(alert)
    payload = {k: v for k, v in alert.items() if k != "details"} | {"details": d, "alert_id": key}
    return Message(title=title, body="\n".join(lines), payload=payload, alert_id=key)


def driver_lines(drivers: list[dict[str, Any]], examples: int = 2) -> list[str]:
    """What drives a badvocacy spike, as message lines (none without drivers)."""
    if not drivers:
        return []
    lines = ["", "What it is about (outcomes whose share of the badvocacy rose):"]
    for dr in drivers:
        base = dr.get("baseline_share")
        if base is None or not int(dr.get("baseline_badvocacy") or 0):
            usual = "none before"
        elif float(base) < 0.005:
            usual = "usually under 1%"
        else:
            usual = f"usually {float(base):.0%}"
        lines.append(
            f"- {dr.get('label')}: {int(dr.get('window_badvocacy') or 0)} posts, "
            f"{float(dr.get('window_share') or 0):.0%} of the badvocacy ({usual}), "
            f"{float(dr.get('lift') or 0):.1f}x, p {float(dr.get('p_value') or 0):.2g}"
        )
        for ex in (dr.get("examples") or [])[:examples]:
            text = " ".join(str(ex.get("text") or "").split())
            if len(text) > 160:
                text = text[:159] + "…"
            lines.append(f"    e.g. {text!r} {ex.get('url') or ''}".rstrip())
    return lines
