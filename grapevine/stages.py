"""The analytics stages that the CLI and Airflow call: metrics, alerts, report.

Each takes its window explicitly (``since``/``until``; ``None`` means "everything there is"),
never ``now()``, and returns a small dict of counts and ids (Airflow XComs carry it). Each can
be re-run for the same window and leaves the warehouse as it was: metrics are replaced day by
day, an alert exists once per brand and window and is notified once, the report is rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from grapevine.alerts import detect
from grapevine.alerts.notify import Channel, DeliveryError, channels_from_settings, render
from grapevine.core.settings import Settings
from warehouse import alerts as store
from warehouse.metrics import day_range, day_start, recompute_metrics

log = logging.getLogger(__name__)


def run_metrics(
    engine: Engine, settings: Settings, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Recompute ``brand_daily_metrics`` for the whole days (in ``GRAPEVINE_TIMEZONE``) the
    window touches."""
    days = day_range(engine, since, until, settings.timezone)
    rows = recompute_metrics(engine, since, until, settings.timezone)
    return {
        "rows": rows,
        "first_day": days[0].isoformat() if days else None,
        "end_day": days[1].isoformat() if days else None,
    }


def detector_config(settings: Settings) -> detect.DetectorConfig:
    return detect.DetectorConfig(
        min_count=settings.alert_min_count,
        alpha=settings.alert_alpha,
        share_alpha=settings.alert_share_alpha,
        correction=settings.alert_correction,
        baseline_days=settings.alert_baseline_days,
        min_history_days=settings.alert_min_history_days,
    )


def day_window(day: date, tz: str) -> tuple[datetime, datetime]:
    """``[local midnight, next local midnight)`` of ``day`` in ``tz``: 23 or 25 hours long on
    the days the clocks change, so that the alert's window is exactly the metrics' day."""
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def detect_alerts(
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    *,
    quiet: bool = False,
) -> tuple[list[store.NewAlert], detect.Coverage]:
    """Run the detector over the window's days; returns the alerts found and the coverage
    (brand-days tested, and why the others could not be). ``quiet``: do not log the coverage
    (the report re-runs the detector only to describe it; the alerts stage already logged it)."""
    config = detector_config(settings)
    coverage = detect.Coverage(min_history_days=config.min_history_days)
    days = day_range(engine, since, until, settings.timezone)
    if days is None:
        return [], coverage
    first, end = days
    history_start = first - timedelta(days=config.baseline_days)
    with engine.connect() as conn:
        raw = store.daily_badvocacy(conn, history_start, end)
        alerted = store.alerted_windows(conn, history_start, end, tz=settings.timezone)
        names = store.brand_names(conn)
    series = {
        brand: [detect.DayCount(d, bad, rated) for d, bad, rated in rows]
        for brand, rows in raw.items()
    }
    window_days = [first + timedelta(days=i) for i in range((end - first).days)]
    findings = detect.run_series(series, window_days, config, alerted, coverage)
    if coverage.untested and not quiet:
        log.warning("alerts: %s", coverage.describe())
    elif not quiet:
        log.info("alerts: %s", coverage.describe())
    tested_per_day: dict[date, int] = {}
    for s in series.values():
        for c in s:
            tested_per_day[c.day] = tested_per_day.get(c.day, 0) + 1
    found = []
    with engine.connect() as conn:
        for f in findings:
            e = f.evaluation
            start, stop = day_window(e.day, settings.timezone)
            top = store.top_badvocacy_posts(conn, f.key, start, stop, settings.alert_top_posts)
            found.append(
                store.NewAlert(
                    brand_id=f.key,
                    kind=detect.KIND,
                    window_start=start,
                    window_end=stop,
                    observed=float(e.observed),
                    expected=round(e.expected, 3),
                    share=e.share,
                    baseline_share=e.baseline_share,
                    p_value=f.p_adjusted,
                    severity=f.severity,
                    details={
                        "brand": names.get(f.key, str(f.key)),
                        "rated": e.rated,
                        "p_count": e.p_count,
                        "p_share": e.p_share,
                        "p_adjusted": f.p_adjusted,
                        "correction": config.correction,
                        "brands_tested": tested_per_day.get(e.day, 1),
                        "history_days": e.history_days,
                        "seasonal": e.seasonal,
                        "dispersion": e.dispersion,
                        "min_count": config.min_count,
                        "alpha": config.alpha,
                        "top_posts": top,
                    },
                )
            )
    return found, coverage


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


def delivery_failure(result: Mapping[str, Any]) -> DeliveryError | None:
    """The error to raise or print when alerts were due and not one notification reached a
    channel (``result`` is :func:`run_alerts`'s); None when anything was delivered or nothing
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


def run_alerts(
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Detect badvocacy spikes in the window, store them once, and notify pending alerts.

    ``dry_run`` detects and reports only: nothing is stored or sent.
    """
    found, coverage = detect_alerts(engine, settings, since, until)
    result: dict[str, Any] = {
        "windows_tested": coverage.tested,
        "windows_untested": coverage.untested,
        "untested_reasons": coverage.reasons(),
        "coverage": coverage.describe(),
        "alerts_found": len(found),
        "found": [
            {
                "brand_id": a.brand_id,
                "brand": a.details.get("brand"),
                "day": a.window_start.date().isoformat(),  # local: day_window's tzinfo
                "observed": a.observed,
                "expected": a.expected,
                "severity": a.severity,
            }
            for a in found[:50]
        ],
    }
    if dry_run:
        return result | {
            "dry_run": True,
            "new_alert_ids": [],
            "delivered": 0,
            "failed": 0,
            "errors": [],
        }
    channels = channels_from_settings(settings)
    with engine.begin() as conn:
        new_ids = store.insert_alerts(conn, found)
    sent = deliver_pending(engine, channels)
    return result | {"dry_run": False, "new_alert_ids": new_ids, **sent}


def run_report(
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    out: Path | None = None,
    plotly: Literal["inline", "cdn"] = "inline",
) -> Path:
    """Write the HTML report (default ``DATA_DIR/report.html``) and return its path.

    ``plotly="cdn"`` loads the charting library from its CDN instead of embedding 4.6 MB of it.
    """
    from grapevine.report import build_report

    target = out if out is not None else settings.data_dir / "report.html"
    return build_report(engine, since, until, target, plotly, settings)
