"""Find badvocacy spikes in a window: the warehouse's daily counts through the detector.

Shared by the alerts stage (which stores and sends what it finds) and the report (which only
describes the coverage: which brand-days could be tested, and why the others could not).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from grapevine.alerts import detect
from grapevine.core.settings import Settings
from warehouse import alerts as store
from warehouse.metrics import day_range, day_start

log = logging.getLogger(__name__)


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
    with engine.connect() as conn:
        days = day_range(conn, since, until, settings.timezone)
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
