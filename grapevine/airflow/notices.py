"""Failure notices: a task that failed for good tells the same channels as badvocacy alerts.

Sent through :func:`grapevine.alerts.notify.channels_from_settings` (apprise URLs from
``GRAPEVINE_ALERT_URLS`` or the ``grapevine_alerts`` connection), with every secret the task
could know replaced by ``***``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from grapevine.airflow.connections import settings_from_airflow

if TYPE_CHECKING:
    from grapevine.core.settings import Settings

log = logging.getLogger(__name__)

Context = Mapping[str, Any]


def failure_payload(context: Context, title: str, body: str) -> dict[str, Any]:
    """The notice as data, for webhooks: which DAG, task and run, and the (redacted) text."""
    ti = context.get("task_instance") or context.get("ti")
    return {
        "kind": "task_failure",
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": context.get("run_id"),
        "title": title,
        "body": body,
    }


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` with ``***`` (longest first, so parts don't leak)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def failure_message(context: Context) -> tuple[str, str]:
    """Title and body for a failed task: what failed, for which window, and where the log is."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    if map_index is not None and map_index >= 0:
        task_id = f"{task_id}[{map_index}]"
    exc = context.get("exception")
    error = f"{type(exc).__name__}: {exc}".splitlines()[0] if exc is not None else "unknown error"
    lines = [
        f"DAG {dag_id}, task {task_id}, run {context.get('run_id', '?')}",
        f"window: {context.get('data_interval_start')} → {context.get('data_interval_end')}",
        f"try: {getattr(ti, 'try_number', '?')}",
        f"error: {error}",
    ]
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"log: {log_url}")
    return f"Grapevine: {dag_id}.{task_id} failed", "\n".join(lines)


def notify_failure(context: Context) -> None:
    """``on_failure_callback``: tell the alert channels (apprise URLs) that a task failed for good.

    Runs after the last retry only. A notification problem is logged, never raised: the task has
    already failed and a crashing callback would only hide why.
    """
    try:
        settings = settings_from_airflow()
        urls = list(settings.alert_urls)
        title, body = failure_message(context)
        secrets = [*urls, *_settings_secrets(settings)]
        title, body = redact(title, secrets), redact(body, secrets)
        if not urls:
            log.warning(
                "%s (no GRAPEVINE_ALERT_URLS / grapevine_alerts connection: not sent)", title
            )
            return
        from grapevine.alerts.notify import DeliveryError, Message, channels_from_settings

        message = Message(title, body, payload=failure_payload(context, title, body))
        for channel in channels_from_settings(settings):
            try:
                channel.send(message)
            except DeliveryError as exc:
                log.error("failure notification not delivered to %s: %s", channel.label, exc)
    except Exception:
        log.exception("failure notification itself failed")


def _settings_secrets(settings: Settings) -> list[str]:
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        getter = getattr(value, "get_secret_value", None)
        if callable(getter):
            values.append(str(getter()))
    return values
