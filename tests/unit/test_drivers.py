"""Spike drivers: Fisher's exact test per outcome, Holm over outcomes, smoothed lift.

The p-values are checked against the hypergeometric sums written out by hand.
"""

from __future__ import annotations

from math import comb

import pytest

from grapevine.alerts.drivers import Driver, DriverExample, fisher_greater, spike_drivers
from grapevine.alerts.notify import render
from grapevine.report.build import drivers_html

LABELS = {1: "battery swelled / charger", 2: "delivery late", 3: "support ghosted"}


def test_fisher_one_sided_matches_the_hypergeometric_sum() -> None:
    # [[8, 2], [2, 8]]: 10 window posts, 10 baseline posts, 10 on the outcome overall.
    # P(X >= 8) = (C(10,8) C(10,2) + C(10,9) C(10,1) + C(10,10) C(10,0)) / C(20,10)
    by_hand = (45 * 45 + 10 * 10 + 1 * 1) / 184_756
    assert by_hand == sum(comb(10, x) * comb(10, 10 - x) for x in (8, 9, 10)) / comb(20, 10)
    assert by_hand == pytest.approx(0.0115070, abs=1e-7)
    assert fisher_greater(8, 2, 2, 8) == pytest.approx(by_hand, rel=1e-9)
    # the other direction is not significant: P(X >= 2) = 1 - P(X <= 1)
    assert fisher_greater(2, 8, 8, 2) == pytest.approx(1 - (1 + 100) / 184_756, rel=1e-9)


def test_a_driver_with_hand_checked_p_value_lift_and_shares() -> None:
    found = spike_drivers({1: 8, 2: 2}, {1: 2, 2: 8}, alpha=0.05, labels=LABELS)
    (driver,) = found
    assert driver.outcome_id == 1 and driver.label == "battery swelled / charger"
    # Holm over the two outcomes tested: twice the smallest p-value
    assert driver.p_value == pytest.approx(2 * 2126 / 184_756, rel=1e-9)
    assert driver.window_badvocacy == 8 and driver.window_share == pytest.approx(0.8)
    assert driver.baseline_badvocacy == 2 and driver.baseline_share == pytest.approx(0.2)
    # lift = 0.8 / ((2 + 1) / (10 + 2 outcomes)) = 3.2
    assert driver.lift == pytest.approx(3.2)


def test_holm_can_silence_a_single_test_significant_outcome() -> None:
    # p = 0.0115 alone passes 0.05; over five outcomes Holm asks for 0.01
    window = {1: 8, 2: 2, 3: 0, 4: 0, 5: 0}
    baseline = {1: 2, 2: 5, 3: 1, 4: 1, 5: 1}
    labels = {k: f"outcome {k}" for k in window}
    p_alone = fisher_greater(8, 2, 2, 8)
    assert p_alone < 0.05
    assert spike_drivers(window, baseline, alpha=0.05, labels=labels) == []


def test_only_a_rising_share_drives_a_spike_not_a_bigger_window() -> None:
    # five times the badvocacy, same mix: nothing drives it more than anything else
    window = {1: 100, 2: 200, 3: 200}
    baseline = {1: 20, 2: 40, 3: 40}
    assert spike_drivers(window, baseline, alpha=0.05, labels=LABELS) == []


def test_drivers_are_sorted_by_p_then_lift_and_capped_at_three() -> None:
    window = {k: 30 for k in range(1, 6)} | {6: 10}
    baseline = {k: 5 for k in range(1, 6)} | {6: 500}
    labels = {k: f"outcome {k}" for k in range(1, 7)}
    found = spike_drivers(window, baseline, alpha=0.05, labels=labels)
    assert len(found) == 3
    assert [d.p_value for d in found] == sorted(d.p_value for d in found)
    assert all(d.lift > 1 for d in found)
    assert len(spike_drivers(window, baseline, alpha=0.05, labels=labels, top=5)) == 5


def test_unlabelled_keys_count_in_the_totals_but_are_not_tested() -> None:
    # -1 holds the unassigned posts: a big rise there is not a driver, but it dilutes shares
    window = {1: 8, -1: 40}
    baseline = {1: 2, -1: 2}
    assert spike_drivers(window, baseline, alpha=0.05, labels=LABELS) == []
    plain = spike_drivers({1: 8}, {1: 2}, alpha=0.05, labels=LABELS)
    assert plain == []  # one outcome, all of the badvocacy in both: its share did not rise


def test_a_new_outcome_has_a_finite_lift_and_no_baseline_share() -> None:
    (driver,) = spike_drivers({1: 12, 2: 3}, {2: 40}, alpha=0.05, labels=LABELS)
    assert driver.outcome_id == 1 and driver.baseline_badvocacy == 0
    assert driver.baseline_share == 0.0
    # 0.8 / ((0 + 1) / (40 + 2)) = 33.6
    assert driver.lift == pytest.approx(0.8 * 42)
    # a baseline without any badvocacy: no share to compare with, so no driver
    assert spike_drivers({1: 12}, {}, alpha=0.05, labels=LABELS) == []
    assert spike_drivers({}, {1: 12}, alpha=0.05, labels=LABELS) == []


def test_to_json_is_the_stored_shape_and_examples_ride_along() -> None:
    (driver,) = spike_drivers({1: 8, 2: 2}, {1: 2, 2: 8}, alpha=0.05, labels=LABELS)
    example = DriverExample(post_id=7, text="My battery swelled overnight", url="https://x.test/7")
    row = driver.with_examples([example]).to_json()
    assert set(row) == {
        "outcome_id",
        "label",
        "window_badvocacy",
        "window_share",
        "baseline_badvocacy",
        "baseline_share",
        "lift",
        "p_value",
        "examples",
    }
    assert row["examples"] == [
        {"post_id": 7, "text": "My battery swelled overnight", "url": "https://x.test/7"}
    ]
    assert isinstance(driver, Driver) and driver.examples == ()  # frozen: a new one was made


def _driver_row() -> dict[str, object]:
    return {
        "outcome_id": 1,
        "label": "battery swelled / charger",
        "window_badvocacy": 18,
        "window_share": 0.6,
        "baseline_badvocacy": 4,
        "baseline_share": 0.08,
        "lift": 6.9,
        "p_value": 1.2e-9,
        "examples": [
            {"post_id": 1, "text": "My Voltera battery <b>swelled</b>", "url": "https://x.test/1"},
            {"post_id": 2, "text": "Charger died again", "url": "javascript:alert(1)"},
        ],
    }


def _alert(drivers: list[dict[str, object]] | None) -> dict[str, object]:
    row: dict[str, object] = {
        "brand_id": 1,
        "kind": "badvocacy_spike",
        "window_start": "2026-10-12T00:00:00+00:00",
        "observed": 24,
        "expected": 2.1,
        "share": 0.63,
        "baseline_share": 0.14,
        "p_value": 1e-13,
        "severity": 10,
        "details": {"brand": "Voltera", "day": "2026-10-12", "brands_tested": 4},
    }
    if drivers is not None:
        row["drivers"] = drivers
    return row


def test_the_message_names_the_drivers_with_examples() -> None:
    body = render(_alert([_driver_row()])).body
    assert "What it is about" in body
    assert "- battery swelled / charger: 18 posts, 60% of the badvocacy (usually 8%)" in body
    assert "6.9x, p 1.2e-09" in body
    assert "e.g. 'My Voltera battery <b>swelled</b>' https://x.test/1" in body
    new = _driver_row() | {"baseline_badvocacy": 0, "baseline_share": 0.0}
    assert "of the badvocacy (none before)" in render(_alert([new])).body
    # without drivers (or before the column exists) the message is as it was
    for row in (_alert(None), _alert([])):
        assert "What it is about" not in render(row).body


def test_the_report_renders_drivers_escaped() -> None:
    html = drivers_html([_driver_row()])
    assert "<b>battery swelled / charger</b>" in html
    assert "60% of the badvocacy (usually 8%)" in html
    assert "&lt;b&gt;swelled&lt;/b&gt;" in html and "<b>swelled" not in html
    assert 'href="https://x.test/1"' in html and "javascript:" not in html
