"""The report's outcomes (issue #14 item 5): the opportunity landscape and its table, the top
outcomes' trends, the drivers under each alert, and one line when there are no outcomes, on a
seeded warehouse with hand-computed numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pytest
from analytics_seed import P, add_brands, add_posts, at, set_models
from sqlalchemy import Connection, Engine, text

from grapevine.report.build import render_html
from grapevine.report.data import ReportData, load
from grapevine.report.outcomes import (
    callouts,
    landscape,
    landscape_figure,
    opportunity_table,
)
from warehouse import outcomes as wo
from warehouse.metrics import recompute_metrics

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 12)
FIRST = DAY - timedelta(days=13)
SINCE, UNTIL = at(FIRST, 0), at(DAY + timedelta(days=1), 0)
CHARGER = "charger <b>died</b>"


def _discover(conn: Connection, labels: Sequence[str]) -> list[int]:
    d = wo.save_discovery(
        conn, embedder_version="test", n_posts=100, n_outcomes=len(labels), params={}
    )
    rng = np.random.default_rng(0)
    centroids = rng.normal(size=(len(labels), 8)).astype(np.float32)
    return wo.save_outcomes(
        conn,
        d,
        [
            wo.NewOutcome(label, [label], 10, c, [])
            for label, c in zip(labels, centroids, strict=True)
        ],
    )


def _assign(conn: Connection, post_ids: Sequence[int], outcome_id: int) -> None:
    discovery = wo.latest_discovery(conn)
    assert discovery is not None
    wo.save_assignments(
        conn, [wo.Assignment(pid, outcome_id, 0.6, None, discovery.id) for pid in post_ids]
    )


def _post(brand: str, author: str, label: str, days_before: int = 0) -> P:
    return P(
        at(DAY - timedelta(days=days_before)),
        [brand],
        {brand: label},
        author_key=author,
        text=f"{brand} {label} by {author}",
    )


@pytest.fixture
def market(engine: Engine) -> dict[str, int]:
    """Voltera and Zephyr compete; Initech stands alone. Outcomes 'battery', 'charger <b>died</b>'
    (a label with markup) and 'app'; one battery post before the window.

    Voltera: battery v1-v5 badvocacy (day 0), v6 badvocacy and v7 advocacy (day -1); charger
    v1-v3 badvocacy, v8 v9 advocacy (day -3); app v1 badvocacy, v10 advocacy (day -5).
    Zephyr: battery z1-z5 advocacy (day -2), z6 badvocacy (day 0); charger z7 advocacy (day -3).
    Initech: battery i1 badvocacy (day 0).
    """
    ids = add_brands(engine, {"Voltera": ["Zephyr"], "Zephyr": [], "Initech": []})
    set_models(engine)
    battery = [
        *(_post("Voltera", f"v{i}", "badvocacy") for i in range(1, 6)),
        _post("Voltera", "v6", "badvocacy", 1),
        _post("Voltera", "v7", "advocacy", 1),
        *(_post("Zephyr", f"z{i}", "advocacy", 2) for i in range(1, 6)),
        _post("Zephyr", "z6", "badvocacy"),
        _post("Initech", "i1", "badvocacy"),
        _post("Voltera", "v1", "badvocacy", 20),  # before the window
    ]
    charger = [
        *(_post("Voltera", f"v{i}", "badvocacy", 3) for i in range(1, 4)),
        _post("Voltera", "v8", "advocacy", 3),
        _post("Voltera", "v9", "advocacy", 3),
        _post("Zephyr", "z7", "advocacy", 3),
    ]
    app = [_post("Voltera", "v1", "badvocacy", 5), _post("Voltera", "v10", "advocacy", 5)]
    with engine.begin() as conn:
        bat, chg, app_id = _discover(conn, ["battery", CHARGER, "app"])
        _assign(conn, add_posts(conn, battery, ids), bat)
        _assign(conn, add_posts(conn, charger, ids), chg)
        _assign(conn, add_posts(conn, app, ids), app_id)
        wo.recompute_outcome_daily(conn, None, None)
    recompute_metrics(engine)
    return {**ids, "battery": bat, "charger": chg, "app": app_id}


def test_the_window_s_scores_and_top_outcomes(engine: Engine, market: dict[str, int]) -> None:
    data = load(engine, SINCE, UNTIL)
    outcomes = data.outcomes
    assert outcomes.discovered
    # the report's scores are the warehouse function's, over the report's days
    with engine.connect() as conn:
        assert outcomes.opportunities == wo.outcome_opportunity(conn, SINCE, UNTIL)
    # by badvocacy, all brands: battery 6 + 1 + 1, charger 3, app 1 (the old post is out)
    assert [(t.label, t.badvocacy, t.mentions) for t in outcomes.top] == [
        ("battery", 8, 14),
        (CHARGER, 3, 6),
        ("app", 1, 2),
    ]
    trend = {(r["outcome_id"], r["day"]): (r["mentions"], r["badvocacy"]) for r in outcomes.trend}
    bat = market["battery"]
    assert trend == {
        (bat, DAY): (7, 7),
        (bat, DAY - timedelta(days=1)): (2, 1),
        (bat, DAY - timedelta(days=2)): (5, 0),
        (market["charger"], DAY - timedelta(days=3)): (6, 3),
        (market["app"], DAY - timedelta(days=5)): (2, 1),
    }


def test_the_landscape_keeps_judged_outcomes_and_each_brand_s_best(
    engine: Engine, market: dict[str, int]
) -> None:
    shown = landscape(load(engine, SINCE, UNTIL).outcomes.opportunities)
    got = {(o.brand, o.outcome): o for o in shown.points}
    # Voltera app (2 judged), Zephyr charger (1) and Initech battery (1) are too few to score
    assert list(got) == [("Voltera", "battery"), ("Voltera", CHARGER), ("Zephyr", "battery")]
    assert (shown.too_few, shown.beyond_top) == (3, 0)
    # Voltera's readable customers v1-v10; battery raised by 7 (its most raised: importance 10)
    battery = got["Voltera", "battery"]
    assert (battery.customers, battery.unsatisfied_customers) == (7, 6)
    assert battery.importance == pytest.approx(10)
    assert battery.satisfaction == pytest.approx(10 / 7)
    assert battery.opportunity == pytest.approx(20 - 10 / 7)
    assert battery.best_brand == "Zephyr"
    assert battery.best_brand_satisfaction == pytest.approx(50 / 6)
    charger = got["Voltera", CHARGER]
    assert charger.importance == pytest.approx(50 / 7)
    assert charger.satisfaction == pytest.approx(4)
    assert charger.opportunity == pytest.approx(100 / 7 - 4)
    assert charger.best_brand is None  # Zephyr has one judged mention of it
    zephyr = got["Zephyr", "battery"]
    assert zephyr.opportunity == pytest.approx(10 + 10 - 50 / 6)

    # the chart names the bubbles where most judged mentions are badvocacy, most unsatisfied
    # customers first (at least a quarter of the largest segment: 6 / 4)
    assert [(o.brand, o.outcome) for o in callouts(shown.points)] == [
        ("Voltera", "battery"),
        ("Voltera", CHARGER),
    ]
    notes = [a.text for a in landscape_figure(shown).layout.annotations]
    assert "Voltera: battery" in notes and "Voltera: charger &lt;b&gt;died&lt;/b&gt;" in notes

    one_each = landscape(shown.points, per_brand=1)
    assert [(o.brand, o.outcome) for o in one_each.points] == [
        ("Voltera", "battery"),
        ("Zephyr", "battery"),
    ]
    assert (one_each.too_few, one_each.beyond_top) == (0, 1)


def test_the_report_shows_the_numbers(engine: Engine, market: dict[str, int]) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (brand_id, kind, window_start, window_end, observed,"
                " expected, severity, p_value, drivers) VALUES (:z, 'badvocacy_spike', :s, :e,"
                " 4, 1.0, 5, 0.001, '[]'), (:b, 'badvocacy_spike', :s, :e, 9, 4.0, 6, 0.0001,"
                " CAST(:drivers AS jsonb))"
            ),
            {
                "b": market["Voltera"],
                "z": market["Zephyr"],
                "s": at(DAY, 0),
                "e": at(DAY + timedelta(days=1), 0),
                "drivers": json.dumps(
                    [
                        {
                            "outcome_id": market["battery"],
                            "label": "battery",
                            "window_badvocacy": 5,
                            "window_share": 0.625,
                            "baseline_badvocacy": 1,
                            "baseline_share": 0.1,
                            "lift": 5.2,
                            "p_value": 0.0004,
                            "examples": [
                                {
                                    "post_id": 1,
                                    "text": "it <i>swelled</i>",
                                    "url": "https://x.test/1",
                                },
                                {"post_id": 2, "text": "mine too", "url": "javascript:alert(1)"},
                            ],
                        },
                        {
                            "outcome_id": market["charger"],
                            "label": CHARGER,
                            "window_badvocacy": 2,
                            "window_share": 0.25,
                            "baseline_badvocacy": 0,
                            "baseline_share": 0.0,
                            "lift": 3.1,
                            "p_value": 0.04,
                            "examples": [],
                        },
                    ]
                ),
            },
        )
    html = render_html(load(engine, SINCE, UNTIL))
    prose = html.split("<h2>Why customers advocate or warn</h2>", 1)[1].split("<h2>", 1)[0]
    # the two-sentence explanation, the landscape and its note
    assert "An <b>outcome</b> is" in prose and "opportunity</b> = importance" in prose
    assert 'id="gv-landscape"' in prose and 'id="gv-outcome-trend"' in prose
    assert "Left out: 3 brand &times; outcome pairs with fewer than 5 judged mentions." in prose
    # the table: Voltera first (it has the alert), the numbers rounded, markup escaped
    table = prose.split("<table class='opportunities'>", 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>", "|", r) for r in table.split("<tr>")[2:]]
    cells = [[c for c in r.split("|") if c] for r in rows]
    assert cells == [
        ["Voltera", "battery", "18.6", "10.0", "1.4", "7", "6", "Zephyr (8.3)"],
        ["charger &lt;b&gt;died&lt;/b&gt;", "10.3", "7.1", "4.0", "5", "3", "-"],
        ["Zephyr", "battery", "11.7", "10.0", "8.3", "6", "1", "Zephyr (8.3)"],
    ]
    assert "<b>died</b>" not in html
    # the trend: daily, the three outcomes with badvocacy
    assert "Daily mentions (all brands) of the 3 outcomes with the most badvocacy" in prose

    # the alert's drivers: label, posts, shares, lift, p and escaped examples
    alerts = html.split("<h2>Alerts</h2>", 1)[1].split("<h2>", 1)[0]
    drivers = alerts.split("<tr class='drivers'>")
    assert len(drivers) == 2  # the Voltera alert only: Zephyr's has no drivers
    assert "<b>battery</b>: 5 posts, 62% of the badvocacy (usually 10%), 5.2&times;" in drivers[1]
    assert "p 4.0e-04" in drivers[1]
    # an outcome with no badvocacy before the episode, its label escaped
    assert (
        "<b>charger &lt;b&gt;died&lt;/b&gt;</b>: 2 posts, 25% of the badvocacy (none before), "
        "3.1&times;, p 4.0e-02" in drivers[1]
    )
    assert "it &lt;i&gt;swelled&lt;/i&gt;" in drivers[1]
    assert 'href="https://x.test/1"' in drivers[1] and "javascript:" not in drivers[1]


def test_a_long_window_draws_weekly_trends(engine: Engine, market: dict[str, int]) -> None:
    data = load(engine, at(DAY - timedelta(days=120), 0), UNTIL)
    html = render_html(data)
    assert "Weekly mentions (all brands) of the 3 outcomes" in html
    assert "mentions per week" in html


def test_no_outcomes_says_so_in_one_line(engine: Engine) -> None:
    ids = add_brands(engine, {"Voltera": []})
    set_models(engine)
    add_posts(engine, [_post("Voltera", "v1", "badvocacy")], ids)
    recompute_metrics(engine)
    html = render_html(load(engine, SINCE, UNTIL))
    section = html.split("<h2>Why customers advocate or warn</h2>", 1)[1].split("<h2>", 1)[0]
    assert section.strip() == (
        "<p class='muted' id='gv-no-outcomes'>No outcomes in this warehouse yet: the outcomes "
        "stage is off (GRAPEVINE_OUTCOMES) or has not seen enough posts to discover any.</p>"
    )
    assert "gv-landscape" not in html and "gv-outcome-trend" not in html

    # outcomes exist but nobody wrote about one in this window
    with engine.begin() as conn:
        _discover(conn, ["battery"])
    data = load(engine, SINCE, UNTIL)
    assert data.outcomes.discovered and data.outcomes.opportunities == []
    section = render_html(data).split("<h2>Why customers advocate or warn</h2>", 1)[1]
    assert "No customer post in this window is about a known outcome." in section.split("<h2>")[0]


def test_outcomes_without_metrics_are_not_called_missing(engine: Engine) -> None:
    with engine.begin() as conn:
        _discover(conn, ["battery"])
    data = load(engine, None, None)  # no metrics: the window is empty
    assert data.outcomes.discovered
    assert "No customer post in this window is about a known outcome." in render_html(data)


def test_an_empty_report_has_no_outcomes() -> None:
    data = ReportData(DAY, DAY)
    assert not data.outcomes.discovered
    assert "No outcomes in this warehouse yet" in render_html(data)
    assert "<tbody></tbody>" in opportunity_table(landscape([]))
