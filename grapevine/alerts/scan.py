"""Find badvocacy spikes and volume surges in a window: the warehouse's daily counts through
the detectors (``detect`` and ``surge``).

Shared by the alerts stage (which stores and sends what it finds) and the report (which only
describes the coverage: which brand-days could be tested, and why the others could not).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Engine

from grapevine.alerts import detect, surge
from grapevine.alerts.drivers import DriverExample, spike_drivers
from grapevine.core.settings import Settings
from warehouse import alerts as store
from warehouse import outcomes as outcome_store
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


def surge_config(settings: Settings) -> surge.SurgeConfig:
    """The surge test shares the badvocacy test's alpha, correction and history."""
    return surge.SurgeConfig(
        min_count=settings.alert_surge_min_count,
        alpha=settings.alert_alpha,
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
    surges: bool = True,
) -> tuple[list[store.NewAlert], detect.Coverage]:
    """Run the detectors over the window's days; returns the alerts found (badvocacy spikes,
    then volume surges when ``surges`` and GRAPEVINE_ALERT_SURGE allow) and the badvocacy
    test's coverage (brand-days tested, and why the others could not be). ``quiet``: do not log
    the coverage (the report re-runs the detector only to describe it; the alerts stage already
    logged it).

    One alert per brand and day: a day with a badvocacy spike raises no separate surge alert
    (the spike is the more specific news, and the extra badvocacy posts are extra volume too);
    its alert carries the surge's numbers in ``details["volume_surge"]`` instead.
    """
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
    spiked: dict[int, set[date]] = {k: set(v) for k, v in alerted.items()}
    for f in findings:
        spiked.setdefault(f.key, set()).add(f.evaluation.day)
    volume: dict[tuple[int, date], surge.Surge[int]] = {}
    if surges and settings.alert_surge:
        for found_surge in run_surges(engine, settings, history_start, window_days, spiked):
            volume[(found_surge.key, found_surge.evaluation.day)] = found_surge
    brands_tested = _brands_per_day(series)
    found = []
    with engine.connect() as conn:
        stored = store.stored_alerts(
            conn, day_window(first, settings.timezone)[0], day_window(end, settings.timezone)[0]
        )
        for f in findings:
            e = f.evaluation
            start, stop = day_window(e.day, settings.timezone)
            known = stored.get((f.key, detect.KIND, start))
            top = (
                known.details.get("top_posts", [])
                if known is not None
                else store.top_badvocacy_posts(conn, f.key, start, stop, settings.alert_top_posts)
            )
            details = {
                "brand": names.get(f.key, str(f.key)),
                "day": e.day.isoformat(),
                "rated": e.rated,
                "p_count": e.p_count,
                "p_share": e.p_share,
                "p_adjusted": f.p_adjusted,
                "correction": config.correction,
                "brands_tested": brands_tested.get(e.day, 1),
                "history_days": e.history_days,
                "seasonal": e.seasonal,
                "dispersion": e.dispersion,
                "min_count": config.min_count,
                "alpha": config.alpha,
                "top_posts": top,
            }
            v = volume.get((f.key, e.day))
            if v is not None:
                details["volume_surge"] = {
                    "mentions": v.evaluation.observed,
                    "expected": round(v.evaluation.expected, 3),
                    "p_adjusted": v.p_adjusted,
                    "severity": v.severity,
                }
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
                    details=details,
                )
            )
        for (brand, day), v in sorted(volume.items()):
            if day in spiked.get(brand, ()):
                continue  # told as part of the badvocacy spike (above, or in an earlier run)
            found.append(
                surge_alert(
                    conn, settings, v, series.get(brand, []), spiked, names, brands_tested, stored
                )
            )
    return found, coverage


def _brands_per_day(series: Mapping[int, Sequence[detect.Dated]]) -> dict[date, int]:
    """How many brands have a day in their series (were tested together, corrected over)."""
    out: dict[date, int] = {}
    for s in series.values():
        for c in s:
            out[c.day] = out.get(c.day, 0) + 1
    return out


def run_surges(
    engine: Engine,
    settings: Settings,
    history_start: date,
    window_days: list[date],
    spiked: Mapping[int, set[date]],
) -> list[surge.Surge[int]]:
    """Volume surges on ``window_days`` (see ``grapevine.alerts.surge``). Days that surged or
    spiked before are left out of the baselines, whichever alert told of them."""
    config = surge_config(settings)
    end = window_days[-1] + timedelta(days=1)
    with engine.connect() as conn:
        raw = store.daily_mentions(conn, history_start, end)
        surged = store.alerted_windows(
            conn, history_start, end, kind=surge.KIND, tz=settings.timezone
        )
    for brand, spiked_days in spiked.items():
        surged.setdefault(brand, set()).update(spiked_days)
    series = {
        brand: [surge.VolumeDay(d, mentions) for d, mentions in rows] for brand, rows in raw.items()
    }
    return surge.run_surges(series, window_days, config, surged)


def surge_alert(
    conn: Connection,
    settings: Settings,
    found: surge.Surge[int],
    badvocacy: Sequence[detect.DayCount],
    spiked: Mapping[int, set[date]],
    names: Mapping[int, str],
    brands_tested: Mapping[date, int],
    stored: Mapping[tuple[int, str, datetime], store.Stored] | None = None,
) -> store.NewAlert:
    """The alert row for one surge, with the day's badvocacy share against the usual one (so
    the message tells a crisis from a campaign) and the day's mentions with the most reach
    (those of the stored alert when the window is stored already)."""
    e = found.evaluation
    config = surge_config(settings)
    start, stop = day_window(e.day, settings.timezone)
    known = (stored or {}).get((found.key, surge.KIND, start))
    top = (
        known.details.get("top_posts", [])
        if known is not None
        else store.top_posts(conn, found.key, start, stop, settings.alert_top_posts)
    )
    share, usual = _badvocacy_shares(badvocacy, e.day, config, spiked.get(found.key, set()))
    return store.NewAlert(
        brand_id=found.key,
        kind=surge.KIND,
        window_start=start,
        window_end=stop,
        observed=float(e.observed),
        expected=round(e.expected, 3),
        share=share,
        baseline_share=usual,
        p_value=found.p_adjusted,
        severity=found.severity,
        details={
            "brand": names.get(found.key, str(found.key)),
            "day": e.day.isoformat(),
            "p_count": e.p_value,
            "p_adjusted": found.p_adjusted,
            "correction": config.correction,
            "brands_tested": brands_tested.get(e.day, 1),
            "history_days": e.history_days,
            "seasonal": e.seasonal,
            "trend_per_day": e.trend,
            "dispersion": e.dispersion,
            "min_count": config.min_count,
            "alpha": config.alpha,
            "top_posts": top,
        },
    )


def _badvocacy_shares(
    series: Sequence[detect.DayCount], day: date, config: surge.SurgeConfig, exclude: set[date]
) -> tuple[float | None, float | None]:
    """The day's badvocacy share of rated mentions and the baseline's (spiked days left out)."""
    today = next((c for c in series if c.day == day), None)
    share = today.badvocacy / today.rated if today is not None and today.rated else None
    base = detect.baseline_window(series, day, config, exclude)
    rated = sum(c.rated for c in base)
    usual = sum(c.badvocacy for c in base) / rated if rated else None
    return share, usual


def with_drivers(
    engine: Engine, settings: Settings, found: Sequence[store.NewAlert]
) -> list[store.NewAlert]:
    """``found`` with each badvocacy spike's drivers: the outcomes whose share of the brand's
    badvocacy rose in the alert's window against the baseline (``grapevine.alerts.drivers``),
    with up to 3 example posts each (most reach first).

    The baseline is the ``GRAPEVINE_ALERT_BASELINE_DAYS`` before the *episode*: the run of
    consecutive alerted days (stored or found now) that this one belongs to. Against the days
    just before it, the fourth day of a battery crisis would show the battery outcome as
    "usual" and name no driver; the detector leaves alerted days out of its baselines for the
    same reason.

    Nothing changes while the warehouse has no outcomes (GRAPEVINE_OUTCOMES=false, or too few
    posts yet): the alert is then sent without drivers, never held back for them.
    """
    out = list(found)
    spikes = [a for a in out if a.kind == detect.KIND]
    if not spikes:
        return out
    with engine.connect() as conn:
        # a stored window keeps its drivers (insert_alerts leaves it as it is): reuse them
        stored = store.stored_alerts(
            conn, min(a.window_start for a in spikes), max(a.window_end for a in spikes)
        )
        for i, alert in enumerate(out):
            known = stored.get((alert.brand_id, alert.kind, alert.window_start))
            if alert.kind == detect.KIND and known is not None:
                out[i] = replace(alert, drivers=known.drivers)
        outcomes = outcome_store.current_outcomes(conn, include_retired=True)
        labels = {o.id: o.label for o in outcomes}
        if not labels:
            return out
        days = [_local_day(a.window_start, settings.timezone) for a in spikes]
        span = settings.alert_baseline_days + 1
        alerted = store.alerted_windows(
            conn, min(days) - timedelta(days=span), max(days) + timedelta(days=1),
            tz=settings.timezone,
        )  # fmt: skip
        for alert, day in zip(spikes, days, strict=True):
            alerted.setdefault(alert.brand_id, set()).add(day)
        for i, alert in enumerate(out):
            if alert.kind != detect.KIND:
                continue
            if (alert.brand_id, alert.kind, alert.window_start) in stored:
                continue  # its stored drivers, above
            day = _local_day(alert.window_start, settings.timezone)
            episode = alerted.get(alert.brand_id, set())
            first = day
            while first - timedelta(days=1) in episode:
                first -= timedelta(days=1)
            episode_start = day_start(first, settings.timezone)
            baseline_start = day_start(
                first - timedelta(days=settings.alert_baseline_days), settings.timezone
            )
            in_window = outcome_store.driver_counts(
                conn, alert.brand_id, alert.window_start, alert.window_end, alert.window_start
            )
            before = outcome_store.driver_counts(
                conn, alert.brand_id, episode_start, episode_start, baseline_start
            )
            drivers = spike_drivers(
                {k: w for k, (w, _) in in_window.items()},
                {k: b for k, (_, b) in before.items()},
                alpha=settings.outcome_driver_alpha,
                labels=labels,
            )
            if not drivers:
                continue
            examples = outcome_store.driver_examples(
                conn,
                alert.brand_id,
                alert.window_start,
                alert.window_end,
                [d.outcome_id for d in drivers],
            )
            out[i] = replace(
                alert,
                drivers=[
                    d.with_examples(
                        [DriverExample(e.post_id, e.text, e.url) for e in examples[d.outcome_id]]
                    ).to_json()
                    for d in drivers
                ],
            )
    return out


def _local_day(instant: datetime, tz: str) -> date:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).date()
