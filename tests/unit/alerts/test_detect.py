"""The spike detector's statistics, without a database."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grapevine.alerts.detect import (
    DayCount,
    DetectorConfig,
    adjust,
    baseline_window,
    decide,
    evaluate,
    fires,
    run_series,
    severity,
    weekday_rates,
)

START = date(2026, 3, 2)  # a Monday
CONFIG = DetectorConfig()


def series(bad: list[int], rated: list[int]) -> list[DayCount]:
    pairs = zip(bad, rated, strict=True)
    return [DayCount(START + timedelta(days=i), b, r) for i, (b, r) in enumerate(pairs)]


def steady(days: int = 35, seed: int = 0, level: float = 100, share: float = 0.1) -> list[DayCount]:
    rng = np.random.default_rng(seed)
    rated = rng.negative_binomial(20, 20 / (20 + level), size=days)
    bad = rng.binomial(rated, share)
    return series(bad.tolist(), rated.tolist())


def test_a_3x_badvocacy_spike_fires_and_a_volume_surge_does_not() -> None:
    history = steady()
    usual = np.mean([h.badvocacy for h in history])
    day = history[-1].day + timedelta(days=1)
    spike = DayCount(day, int(3 * usual), int(100 + 2 * usual))
    surge = DayCount(day, int(3 * usual), 300)  # three times the traffic, same mix

    e = evaluate(history, spike)
    assert e.testable and e.p_count < 1e-4 and e.p_share < 1e-3
    assert fires(e, e.p_count, CONFIG)
    assert 5 < e.expected < 20

    s = evaluate(history, surge)
    assert s.p_share > 0.05 and s.p_count > 0.01
    assert not fires(s, s.p_count, CONFIG)


def test_small_counts_never_fire_below_min_count() -> None:
    history = series([0] * 28, [20] * 28)
    today = DayCount(START + timedelta(days=28), 9, 20)
    e = evaluate(history, today)
    assert e.p_count < 1e-6  # wildly improbable ...
    assert not fires(e, e.p_count, CONFIG)  # ... but nine posts are not a crisis


def test_short_history_is_not_tested() -> None:
    history = steady(days=10)
    e = evaluate(history, DayCount(START + timedelta(days=10), 50, 100))
    assert not e.testable and e.reason and e.reason == "needs 14 days of history; has 10"
    assert decide({"acme": e}) == []


def test_alerted_days_and_days_outside_the_window_leave_the_baseline() -> None:
    history = steady(days=40)
    day = START + timedelta(days=40)
    excluded = {START + timedelta(days=35)}
    window = baseline_window(history, day, CONFIG, excluded)
    assert len(window) == 27
    assert min(h.day for h in window) == day - timedelta(days=28)
    assert all(h.day not in excluded for h in window)


def test_an_unalerted_spike_in_the_baseline_does_not_hide_the_next_one() -> None:
    history = steady(days=35)
    bumped = list(history)
    bumped[30] = DayCount(bumped[30].day, bumped[30].badvocacy + 60, bumped[30].rated + 60)
    today = DayCount(START + timedelta(days=35), 40, 130)
    clean, dirty = evaluate(history, today), evaluate(bumped, today)
    assert dirty.p_count < 10 * clean.p_count
    assert dirty.expected == pytest.approx(clean.expected, rel=0.15)


def test_weekday_rates_only_when_weekdays_differ() -> None:
    flat = series([10] * 28, [100] * 28)
    assert weekday_rates(flat, CONFIG) is None
    weekend_angry = series([30 if i % 7 >= 5 else 5 for i in range(28)], [100] * 28)
    rates = weekday_rates(weekend_angry, CONFIG)
    assert rates is not None and rates[5] > 2 * rates[0]
    # a Saturday with 30 badvocacy posts is then ordinary
    saturday = DayCount(START + timedelta(days=33), 30, 100)
    e = evaluate(weekend_angry, saturday)
    assert e.seasonal and not fires(e, e.p_count, CONFIG)


def test_count_test_is_roughly_calibrated_under_the_null() -> None:
    """Over-dispersed series without spikes: small p-values come about as often as they should."""
    ps = []
    for seed in range(150):
        s = steady(days=29, seed=seed, level=150, share=0.12)
        ps.append(evaluate(s[:-1], s[-1]).p_count)
    ps_arr = np.array(ps)
    assert np.mean(ps_arr < 0.05) < 0.12
    assert np.mean(ps_arr < 0.5) > 0.3  # not absurdly conservative either


def test_corrections() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust([], "holm") == []
    with pytest.raises(ValueError, match="unknown correction"):
        adjust(p, "nope")  # type: ignore[arg-type]


def test_correction_over_brands_can_silence_a_borderline_alert() -> None:
    history = steady()
    today = DayCount(history[-1].day + timedelta(days=1), 24, 115)
    e = evaluate(history, today)
    assert 1e-4 < e.p_count < 0.02
    quiet = {
        f"brand{i}": evaluate(steady(seed=i + 1), DayCount(today.day, 10, 100)) for i in range(40)
    }
    alone = decide({"acme": e})
    crowded = decide({"acme": e, **quiet})
    assert [f.key for f in alone] == ["acme"]
    assert crowded == []


def test_severity_grows_with_the_ratio() -> None:
    levels = [severity(int(r * 20), 20, 1e-5, 0.02) for r in (1.5, 2, 3, 5, 10)]
    assert levels == sorted(levels) and levels[0] <= 4 and levels[-1] == 10
    assert 1 <= severity(10, 50, 0.5, 0.02) <= 10


def test_run_series_leaves_earlier_alerts_out_of_later_baselines() -> None:
    history = steady(days=40, seed=3)
    for i in (33, 35):
        h = history[i]
        history[i] = DayCount(h.day, h.badvocacy + 60, h.rated + 60)
    found = run_series({"acme": history}, [h.day for h in history[28:]])
    assert [f.evaluation.day for f in found] == [history[33].day, history[35].day]
    assert all(6 <= f.severity <= 10 for f in found)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 400)), min_size=14, max_size=40),
    st.integers(0, 500),
    st.integers(0, 500),
)
def test_any_series_gives_valid_probabilities(
    days: list[tuple[int, int]], bad: int, extra: int
) -> None:
    history = series([min(b, r) for b, r in days], [r for _, r in days])
    today = DayCount(START + timedelta(days=len(days)), bad, bad + extra)
    e = evaluate(history, today)
    assert 0.0 <= e.p_count <= 1.0 and 0.0 <= e.p_share <= 1.0
    if e.testable:
        assert e.expected >= 0 and np.isfinite(e.expected)
        assert 1 <= severity(e.observed, e.expected, e.p_count, 0.02) <= 10


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.floats(0.2, 200), st.floats(0.01, 0.99))
def test_fast_negative_binomial_tail_matches_scipy(k: int, size: float, prob: float) -> None:
    from scipy import stats

    from grapevine.alerts.detect import nbinom_at_least

    assert nbinom_at_least(k, size, prob) == pytest.approx(
        float(stats.nbinom.sf(k - 1, size, prob)), rel=1e-6, abs=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400), st.floats(0.05, 200), st.floats(0.05, 200))
def test_fast_beta_binomial_tail_matches_scipy(k: int, n: int, a: float, b: float) -> None:
    from scipy import stats

    from grapevine.alerts.detect import betabinom_at_least

    assert betabinom_at_least(k, n, a, b) == pytest.approx(
        float(stats.betabinom.sf(k - 1, n, a, b)), rel=1e-4, abs=1e-9
    )
