"""Volume-surge alerts (issue #16 item 6): a brand talked about far more than usual alerts once,
in words a marketer reads; ordinary days, steady growth and a switched-off setting do not."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from analytics_seed import add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from tests.stage_calls import run_alerts, run_metrics

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)
DAYS = 40
SURGE = START + timedelta(days=35)
WEEK = [1.0, 0.95, 1.0, 0.98, 1.05, 1.3, 1.2]


def _volumes(level: float, seed: int, growth: float = 0.0) -> list[int]:
    """Daily mentions with a weekly cycle, steady growth per day and over-dispersed noise."""
    rng = np.random.default_rng(seed)
    mu = [
        level * WEEK[(START + timedelta(days=i)).weekday()] * (1 + growth) ** i for i in range(DAYS)
    ]
    size = 1 / 0.01
    return [int(rng.negative_binomial(size, size / (size + m))) for m in mu]


def _seed(
    engine: Engine,
    *,
    surge_factor: float = 3.0,
    spike: int = 0,
    growth: float = 0.0,
) -> dict[str, int]:
    """Acme: a steady brand; Globex: ``surge_factor`` times its volume on SURGE with the usual
    mix (a launch), plus ``spike`` extra badvocacy posts that day; Initech grows by ``growth``
    a day. 10 % of every brand's mentions are badvocacy."""
    ids = add_brands(engine, {"Acme": ["Globex"], "Globex": [], "Initech": []})
    set_models(engine)
    posts = []
    for brand, seed in (("Acme", 1), ("Globex", 2), ("Initech", 3)):
        volumes = _volumes(
            60 if brand != "Initech" else 40, seed, growth if brand == "Initech" else 0
        )
        if brand == "Globex":
            i = (SURGE - START).days
            volumes[i] = round(volumes[i] * surge_factor)
        bad = [v // 10 for v in volumes]
        if brand == "Globex" and spike:
            i = (SURGE - START).days
            volumes[i] += spike
            bad[i] += spike
        posts += daily_series(brand, START, DAYS, mentions=volumes, badvocacy=bad)
    add_posts(engine, posts, ids)
    run_metrics(engine, Settings(), None, None)
    return ids


def _window() -> tuple:
    return at(START + timedelta(days=28), 0), at(START + timedelta(days=DAYS), 0)


def _alerts(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT a.*, b.name AS brand FROM alerts a JOIN brands b ON b.id = a.brand_id"
                    " ORDER BY window_start, b.name"
                )
            ).mappings()
        ]


def _log(settings: Settings) -> list[dict]:
    path = Path(settings.data_dir) / "alerts.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_surge_alerts_once_with_a_clear_message(engine: Engine, settings: Settings) -> None:
    _seed(engine)
    result = run_alerts(engine, settings, *_window())

    assert result["found"] == []  # the mix did not change: no badvocacy spike
    assert [(s["brand"], s["day"]) for s in result["surges_found"]] == [
        ("Globex", SURGE.isoformat())
    ]
    (alert,) = _alerts(engine)
    assert alert["kind"] == "volume_surge" and alert["window_start"].date() == SURGE
    assert alert["observed"] >= 150 and 50 < alert["expected"] < 90
    assert alert["p_value"] < settings.alert_alpha and alert["severity"] >= 5
    # the badvocacy share is told as well: the usual one, so this reads as a launch
    assert abs(alert["share"] - alert["baseline_share"]) < 0.03
    assert alert["details"]["top_posts"] and alert["notified_at"] is not None

    (line,) = _log(settings)
    assert line["title"] == f"Volume surge: Globex on {SURGE} (severity {alert['severity']}/10)"
    expected = f"{alert['expected']:,.0f}"
    assert line["body"].startswith(
        f"Globex: {int(alert['observed']):,} mentions on {SURGE}, about {expected} expected "
        "from the last 28 days."
    )
    assert re.search(
        r"\nBadvocacy share of rated mentions: \d+% \(usually \d+%\)\.\n", line["body"]
    )

    # rerunning the window, or all of history, stores and sends nothing new
    again = run_alerts(engine, settings, *_window())
    assert again["new_alert_ids"] == [] and again["delivered"] == 0
    run_alerts(engine, settings, None, None)
    assert len(_alerts(engine)) == 1 and len(_log(settings)) == 1


def test_ordinary_days_and_steady_growth_do_not_alert(engine: Engine, settings: Settings) -> None:
    _seed(engine, surge_factor=1.0, growth=0.025)  # Initech: +2.5 % a day, 40 -> 100 a day
    result = run_alerts(engine, settings, None, None, dry_run=True)
    assert result["alerts_found"] == 0
    assert result["windows_tested"] >= 3 * (DAYS - 14)


def test_the_switch_turns_surges_off(engine: Engine, settings: Settings) -> None:
    _seed(engine)
    off = settings.model_copy(update={"alert_surge": False})
    result = run_alerts(engine, off, *_window())
    assert result["alerts_found"] == 0 and result["surges_found"] == []
    assert _alerts(engine) == [] and _log(off) == []


def test_a_surge_below_the_minimum_count_does_not_alert(engine: Engine, settings: Settings) -> None:
    _seed(engine)
    high = settings.model_copy(update={"alert_surge_min_count": 10_000})
    assert run_alerts(engine, high, *_window(), dry_run=True)["alerts_found"] == 0


def test_a_badvocacy_spike_day_is_one_alert_that_tells_the_volume_too(
    engine: Engine, settings: Settings
) -> None:
    _seed(engine, surge_factor=1.0, spike=150)
    run_alerts(engine, settings, *_window())
    (alert,) = _alerts(engine)
    assert alert["kind"] == "badvocacy_spike" and alert["brand"] == "Globex"
    volume = alert["details"]["volume_surge"]
    assert volume["mentions"] >= 200 and volume["expected"] < 90
    (line,) = _log(settings)
    assert f"Mentions: {volume['mentions']:,}, about " in line["body"]
    assert "a volume surge as well" in line["body"]


def test_a_night_like_issue_16s_alerts(engine: Engine, settings: Settings) -> None:
    """About 15 mentions a day, then one night of thousands (issue #16's 100k night, smaller)."""
    ids = add_brands(engine, {"Voltera": []})
    set_models(engine)
    volumes = [*_volumes(15, 7)[:30], 3_000]
    posts = daily_series(
        "Voltera", START, 31, mentions=volumes, badvocacy=[v // 7 for v in volumes]
    )
    add_posts(engine, posts, ids)
    run_metrics(engine, settings, None, None)
    night = START + timedelta(days=30)
    run_alerts(engine, settings, at(night, 0), at(night + timedelta(days=1), 0))
    (alert,) = _alerts(engine)
    assert alert["kind"] == "volume_surge" and alert["severity"] == 10
    (line,) = _log(settings)
    assert line["body"].startswith(f"Voltera: 3,000 mentions on {night}, about 1")
