"""Short histories: the minimum history is a setting, and settings that can never alert fail."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from grapevine.alerts.detect import Coverage, DayCount, DetectorConfig, evaluate, run_series
from grapevine.core.settings import Settings

START = date(2026, 3, 2)


def steady(days: int, seed: int = 3) -> list[DayCount]:
    rng = np.random.default_rng(seed)
    rated = rng.poisson(100, size=days)
    bad = rng.binomial(rated, 0.1)
    return [
        DayCount(START + timedelta(days=i), int(b), int(r))
        for i, (b, r) in enumerate(zip(bad, rated, strict=True))
    ]


def test_a_baseline_shorter_than_the_history_needed_is_rejected_with_what_to_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPEVINE_ALERT_BASELINE_DAYS", "7")
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "GRAPEVINE_ALERT_MIN_HISTORY_DAYS=14" in message
    assert "GRAPEVINE_ALERT_BASELINE_DAYS to at least 14" in message
    assert "GRAPEVINE_ALERT_MIN_HISTORY_DAYS to at most 7" in message


def test_the_detector_config_rejects_the_same_combination() -> None:
    with pytest.raises(ValueError, match="no window could ever be tested"):
        DetectorConfig(baseline_days=7)


@pytest.mark.parametrize("days", [7, 10, 13])
def test_a_short_baseline_with_a_matching_minimum_history_can_alert(
    monkeypatch: pytest.MonkeyPatch, days: int
) -> None:
    monkeypatch.setenv("GRAPEVINE_ALERT_BASELINE_DAYS", str(days))
    monkeypatch.setenv("GRAPEVINE_ALERT_MIN_HISTORY_DAYS", str(days))
    s = Settings()
    config = DetectorConfig(
        baseline_days=s.alert_baseline_days, min_history_days=s.alert_min_history_days
    )
    history = steady(days)
    spike_day = START + timedelta(days=days)
    usual = float(np.mean([h.badvocacy for h in history]))
    spike = DayCount(spike_day, int(6 * usual), int(90 + 6 * usual))  # a 6x badvocacy spike
    found = run_series({"acme": [*history, spike]}, [spike_day], config)
    assert [f.evaluation.day for f in found] == [spike_day]


def test_coverage_counts_untested_brand_days_and_says_why() -> None:
    history = steady(9)
    coverage = Coverage(min_history_days=14)
    found = run_series(
        {"acme": history, "globex": history},
        [h.day for h in history],
        DetectorConfig(),
        None,
        coverage,
    )
    assert found == []
    assert coverage.tested == 0 and coverage.untested == 18
    assert coverage.reasons() == {"needs 14 days of history; has 0-8": 18}
    assert "0 brand-days tested; 18 could not be" in coverage.describe()
    e = evaluate(history, DayCount(START + timedelta(days=9), 10, 100))
    assert not e.testable and e.reason == "needs 14 days of history; has 9"


def test_the_cli_rejects_it_at_start_up_in_one_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from grapevine.cli import app
    from grapevine.core.settings import get_settings

    monkeypatch.setenv("GRAPEVINE_ALERT_BASELINE_DAYS", "7")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["alerts", "--dry-run"])
    finally:
        get_settings.cache_clear()
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert (
        "GRAPEVINE_ALERT_MIN_HISTORY_DAYS=14 is more than GRAPEVINE_ALERT_BASELINE_DAYS=7" in output
    )
    assert "Traceback" not in output
