"""The volume-surge detector on its own: no database, hand-made series."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from grapevine.alerts.surge import (
    SurgeConfig,
    VolumeDay,
    decide_surges,
    evaluate_surge,
    expected_volume,
    run_surges,
    surge_p_value,
)

START = date(2026, 3, 2)  # a Monday
WEEK = (1.0, 0.95, 1.0, 0.98, 1.05, 1.4, 1.3)  # a weekend bump, like the demo's


def series(
    days: int, level: float, *, growth: float = 0.0, phi: float = 0.03, seed: int = 0
) -> list[VolumeDay]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(days):
        day = START + timedelta(days=i)
        mu = level * WEEK[day.weekday()] * (1 + growth) ** i
        size = 1 / phi
        out.append(VolumeDay(day, int(rng.negative_binomial(size, size / (size + mu)))))
    return out


def with_day(history: list[VolumeDay], mentions: int) -> tuple[list[VolumeDay], VolumeDay]:
    today = VolumeDay(history[-1].day + timedelta(days=1), mentions)
    return history, today


def test_a_3x_day_is_improbable_and_an_ordinary_one_is_not() -> None:
    history = series(28, 200)
    model = expected_volume(history, history[-1].day + timedelta(days=1), SurgeConfig())
    assert model.seasonal and model.df > 0
    surge = evaluate_surge(*with_day(history, int(3 * model.expected)))
    assert surge.testable and surge.p_value < 1e-6
    assert surge.expected == pytest.approx(model.expected)
    ordinary = evaluate_surge(*with_day(history, int(model.expected)))
    assert ordinary.p_value > 0.3


def test_the_weekend_is_expected_to_be_busy() -> None:
    history = series(35, 200, phi=0.01)
    saturday = next(d for d in range(35, 42) if (START + timedelta(days=d)).weekday() == 5)
    day = START + timedelta(days=saturday)
    monday = START + timedelta(days=35)
    busy = expected_volume(history, day, SurgeConfig()).expected
    quiet = expected_volume(history, monday, SurgeConfig()).expected
    assert busy / quiet == pytest.approx(1.4, rel=0.15)


def test_steady_growth_is_followed_not_alerted() -> None:
    history = series(60, 50, growth=0.03, phi=0.01)
    found = run_surges({"brand": history}, [h.day for h in history[30:]], SurgeConfig())
    assert found == []
    last = evaluate_surge(history[:-1], history[-1])
    assert last.trend == pytest.approx(1.03, abs=0.01)
    truth = 50 * WEEK[history[-1].day.weekday()] * 1.03**59
    assert last.expected == pytest.approx(truth, rel=0.15)


def test_a_falling_trend_is_not_extrapolated() -> None:
    history = series(28, 400, growth=-0.03, phi=0.01)
    model = expected_volume(history, history[-1].day + timedelta(days=1), SurgeConfig())
    assert model.growth is None


def test_an_unalerted_surge_in_the_baseline_does_not_hide_the_next() -> None:
    history = series(28, 100, phi=0.02)
    history[20] = VolumeDay(history[20].day, 1_000)  # a surge nobody was told about
    model = expected_volume(history, history[-1].day + timedelta(days=1), SurgeConfig())
    assert model.expected < 160
    assert evaluate_surge(*with_day(history, 400)).p_value < 1e-4


def test_short_history_is_not_tested() -> None:
    history = series(10, 100)
    e = evaluate_surge(*with_day(history, 1_000))
    assert not e.testable and e.reason_kind == "short_history"
    assert e.reason == "needs 14 days of history; has 10"


def test_a_brand_nobody_talked_about_can_surge() -> None:
    history = [VolumeDay(START + timedelta(days=i), 0) for i in range(28)]
    assert evaluate_surge(*with_day(history, 40)).p_value < 1e-6
    assert evaluate_surge(*with_day(history, 1)).p_value > 0.01


def test_min_count_and_the_correction_over_brands() -> None:
    config = SurgeConfig(min_count=30)
    small = evaluate_surge(*with_day(series(28, 5, seed=1), 25))  # 5x, but 25 mentions
    assert small.p_value < 1e-3
    assert decide_surges({"small": small}, config) == []
    # a borderline day: significant alone, not among 20 brands tested together
    history = series(28, 200, seed=2)
    borderline = next(
        e
        for n in range(200, 600, 5)
        if 0.001 < (e := evaluate_surge(*with_day(history, n))).p_value < 0.004
    )
    assert [s.key for s in decide_surges({"a": borderline}, config)] == ["a"]
    quiet = evaluate_surge(*with_day(history, 200))
    crowd = {"a": borderline} | {f"b{i}": quiet for i in range(19)}
    assert decide_surges(crowd, config) == []


def test_p_values_are_probabilities_that_fall_as_the_count_rises() -> None:
    history = series(28, 80)
    model = expected_volume(history, history[-1].day + timedelta(days=1), SurgeConfig())
    ps = [surge_p_value(n, model) for n in (0, 1, 40, 80, 120, 200, 400, 10_000)]
    assert ps[0] == 1.0 and all(0.0 <= p <= 1.0 for p in ps)
    assert ps == sorted(ps, reverse=True)


def test_roughly_calibrated_on_ordinary_days() -> None:
    rng = np.random.default_rng(7)
    ps = []
    for i in range(150):
        history = series(
            29, float(rng.uniform(30, 1_000)), phi=float(rng.uniform(0.02, 0.1)), seed=i
        )
        ps.append(evaluate_surge(history[:-1], history[-1]).p_value)
    share = float(np.mean(np.array(ps) < 0.1))
    assert 0.03 < share < 0.2
