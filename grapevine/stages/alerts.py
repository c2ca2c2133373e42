"""The ``alerts`` stage: detect badvocacy spikes and volume surges in a window, store each once,
notify the team.

Entry point: :func:`run`. An alert exists once per brand and window and is notified once, even
when the stage is re-run; deliveries that failed stay pending and are retried on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from grapevine.alerts.notify import Channel, DeliveryError, channels_from_settings, render
from grapevine.alerts.scan import detect_alerts, with_drivers
from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages.base import Summary
from warehouse import alerts as store
from warehouse import changes

log = logging.getLogger(__name__)


def deliver_pending(engine: Engine, channels: list[Channel]) -> dict[str, Any]:
    """Notify every pending alert (new ones and earlier failures) through every channel.

    One transaction per alert holds its row lock while sending, so an overlapping run skips it;
    ``notified_at`` is written in that transaction once all channels accepted.
    """
    tried: list[int] = []
    delivered = failed = 0
    failures: list[str] = []
    while True:
        with engine.begin() as conn:
            pending = store.claim_pending(conn, tried)
            if pending is None:
                break
            tried.append(pending.id)
            done = set(pending.delivered)
            errors = []
            message = render(pending.row)
            for channel in channels:
                if channel.key in done:
                    continue
                try:
                    channel.send(message)
                except DeliveryError as exc:
                    log.warning("alert %d not delivered: %s", pending.id, exc)
                    errors.append(str(exc))
                else:
                    done.add(channel.key)
            complete = all(c.key in done for c in channels)
            store.record_delivery(conn, pending.id, sorted(done), errors, complete=complete)
        if complete:
            delivered += 1
        else:
            failed += 1
            failures.extend(e for e in errors if e not in failures)
    return {"delivered": delivered, "failed": failed, "errors": failures[:5]}


def problem(result: Mapping[str, Any]) -> DeliveryError | None:
    """The error to raise or print when alerts were due and not one notification reached a
    channel (``result`` is :func:`run`'s); None when anything was delivered or nothing
    was due.

    Why it is an error and not a count in a summary: a run that exits 0, or an Airflow task
    that succeeds, is read as "the team was told"; nobody reads the counts of a green run.
    Partial delivery is not an error: the channels that failed are retried on the next run.
    """
    if result.get("dry_run") or not result.get("failed") or result.get("delivered"):
        return None
    errors = "; ".join(result.get("errors") or []) or "no channel accepted it"
    return DeliveryError(
        f"no alert notification was delivered ({result['failed']} failed): {errors}",
        hint="check GRAPEVINE_ALERT_URLS and that the receivers are up; "
        "the alerts stay pending and are sent on the next run",
    )


def _found(alert: store.NewAlert) -> dict[str, Any]:
    return {
        "brand_id": alert.brand_id,
        "brand": alert.details.get("brand"),
        "kind": alert.kind,
        "day": alert.window_start.date().isoformat(),  # local: day_window's tzinfo
        "observed": alert.observed,
        "expected": alert.expected,
        "severity": alert.severity,
        # what drives a badvocacy spike: outcome labels, lifts and p-values (no post texts)
        "drivers": [
            {k: d[k] for k in ("outcome_id", "label", "lift", "p_value", "window_badvocacy")}
            for d in alert.drivers
        ],
    }


def run(engine: Engine, settings: Settings, window: Window, *, dry_run: bool = False) -> Summary:
    """Detect badvocacy spikes and volume surges (unless GRAPEVINE_ALERT_SURGE is off) in the
    window, store them once, and notify pending alerts.

    ``dry_run`` detects and reports only: nothing is stored or sent.

    When nothing the detection reads changed since it last ran for the same window and
    settings (``warehouse.changes``), it is not run again: it would find the same alerts, which
    exist already. Pending deliveries are retried either way.
    """
    if dry_run:
        return _detect(engine, settings, window)[0] | {
            "dry_run": True,
            "new_alert_ids": [],
            "delivered": 0,
            "failed": 0,
            "errors": [],
        }
    scope = changes.scope_key(
        since=window.since,
        until=window.until,
        settings=settings.model_dump(mode="json"),
    )
    before, done = changes.check(engine, "alerts", scope, INPUTS, OUTPUTS)
    channels = channels_from_settings(settings)
    if done is not None:
        sent = deliver_pending(engine, channels)
        unchanged = {"unchanged_since": str(changes.done_at(done))}
        return dict(done["result"]) | {"dry_run": False, "new_alert_ids": [], **sent, **unchanged}
    result, found = _detect(engine, settings, window)
    with engine.begin() as conn:
        new_ids = store.insert_alerts(conn, found)
    sent = deliver_pending(engine, channels)
    changes.record(engine, "alerts", scope, before, result=result)
    return result | {"dry_run": False, "new_alert_ids": new_ids, **sent}


#: What the alert test and its drivers read, and what the stage writes.
INPUTS = (
    "brands",
    "posts",
    "post_brands",
    "classifications",
    "model_versions",
    "brand_daily_metrics",
    "outcomes",
    "outcome_versions",
    "post_outcomes",
    "outcome_daily",
)
OUTPUTS = ("alerts",)


def _detect(
    engine: Engine, settings: Settings, window: Window
) -> tuple[dict[str, Any], list[store.NewAlert]]:
    """The alerts of the window with their drivers, and the summary that describes them."""
    found, coverage = detect_alerts(engine, settings, window.since, window.until)
    found = with_drivers(engine, settings, found)
    spikes = [a for a in found if a.kind == store.KIND_BADVOCACY_SPIKE]
    surges = [a for a in found if a.kind == store.KIND_VOLUME_SURGE]
    result: dict[str, Any] = {
        "windows_tested": coverage.tested,
        "windows_untested": coverage.untested,
        "untested_reasons": coverage.reasons(),
        "coverage": coverage.describe(),
        "alerts_found": len(found),
        # badvocacy spikes (``found``) and volume surges (``surges_found``) apart: a printer
        # that shows "badvocacy vs expected" must not show mention counts under that heading
        "found": [_found(a) for a in spikes[:50]],
        "surges_found": [_found(a) for a in surges[:50]],
    }
    return result, found
