"""The HTML report renders its charts in a real headless browser, offline, and keeps posts inert."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from analytics_seed import P, add_brands, add_posts, at, daily_series, set_models

from grapevine.core.settings import Settings
from tests.stage_calls import run_alerts, run_metrics, run_report
from warehouse import outcomes as wo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
START = date(2026, 9, 1)
SPIKE = START + timedelta(days=34)
HOSTILE = (
    "<img src=x onerror=\"document.title='pwned'\">"
    "<script>document.title='pwned'</script> Acme is a scam"
)


def _chromium() -> str:
    """The browser that ``make test`` found or installed first (``tools/ensure-browser``)."""
    configured = os.environ.get("GRAPEVINE_BROWSER")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless Chromium: run tools/ensure-browser (make test does) to install it")


def _seed(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": ["Globex"], "Globex": [], "<b>Initech</b>": []})
    set_models(engine)
    bad = [8 + (i % 3) for i in range(40)]
    mentions = [90 + (i % 7) * 3 for i in range(40)]
    bad[34] += 50
    mentions[34] += 50
    posts = daily_series("Acme", START, 40, mentions=mentions, badvocacy=bad, advocacy=30)
    posts += daily_series(
        "Globex", START, 40, mentions=60, badvocacy=5, advocacy=20, source="reddit"
    )
    posts += daily_series("<b>Initech</b>", START, 40, mentions=5, badvocacy=1, advocacy=2)
    posts.append(
        P(
            at(SPIKE, 21),
            ["Acme"],
            {"Acme": "badvocacy"},
            "negative",
            author_key="hostile",
            followers=900_000,
            url="javascript:alert(1)",
            text=HOSTILE,
        )
    )
    posts.append(
        P(
            at(SPIKE, 22),
            ["Acme"],
            {"Acme": "badvocacy"},
            "negative",
            author_key="loud",
            followers=500_000,
            url="https://social.test/loud",
            text="Acme lost my bags",
        )
    )
    add_posts(engine, posts, ids)


def test_report_renders_charts_offline_and_escapes_posts(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _seed(engine)
    run_metrics(engine, settings, None, None)
    alerts = run_alerts(engine, settings, None, None)
    assert alerts["alerts_found"] >= 1
    out = run_report(engine, settings, None, None, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")

    # self-contained: plotly is inlined, no script or stylesheet is fetched, and the CSP
    # forbids fetching anything at all
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    assert tags and not [t for t in tags if "src=" in t or "href=" in t]
    assert "default-src 'none'" in html
    assert len(html) > 1_000_000
    # hostile text is escaped; its link is not a link; brand names are escaped too
    assert "&lt;img src=x onerror=" in html and "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "<b>Initech</b>" not in html.split("<body>", 1)[1].split("<script", 1)[0]
    # the alert and the what-changed summary are there
    assert "badvocacy alert" in html and "What changed" in html
    # the headline table per brand, and the size is explained
    assert "Brands at a glance" in html and "low-confidence labels" in html
    assert "This file is self-contained" in html
    # rebuilding gives the same bytes: rerunning the stage changes nothing
    again = run_report(engine, settings, None, None, tmp_path / "report.html")
    assert again.read_text(encoding="utf-8") == html

    chromium = _chromium()
    profile = tmp_path / "profile"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        "--window-size=1400,3200",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    # plotly drew every chart: an SVG per figure, with its traces
    for div in ("gv-trend", "gv-sov", "gv-mix"):
        assert f'id="{div}"' in dom
    assert dom.count('class="main-svg"') >= 6
    assert len(re.findall(r'class="scatterlayer', dom)) >= 2
    assert 'class="trace bars"' in dom or "barlayer" in dom
    # the hostile post did not run: the title is the report's
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and "pwned" not in title.group(1) and "Grapevine report" in title.group(1)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", out.as_uri()],
        capture_output=True,
        timeout=180,
        check=True,
    )
    assert shot.exists() and shot.stat().st_size > 20_000
    shutil.copy(out, ARTIFACTS / "report.html")


def test_report_on_an_empty_warehouse_says_what_to_do(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    out = run_report(engine, settings, None, None, tmp_path / "empty.html")
    html = out.read_text(encoding="utf-8")
    assert "run `grapevine metrics` first" in html
    assert "No badvocacy alerts in this window." in html


# --- outcomes: the opportunity landscape (issue #14 item 5) ----------------------------------

OUTCOME_DAY = date(2026, 10, 12)
HOSTILE_OUTCOME = "<img src=x onerror=\"document.title='pwned'\">battery swelled"


def _seed_outcomes(engine: Engine) -> None:
    """Voltera and Zephyr compete; four brand x outcome pairs have 5+ judged mentions (the
    landscape's bubbles), Voltera's 'app' has 2 (left out); one label carries markup."""
    ids = add_brands(engine, {"Voltera": ["Zephyr"], "Zephyr": []})
    set_models(engine)

    def posts(brand: str, bad: int, good: int) -> list[P]:
        return [
            P(
                at(OUTCOME_DAY - timedelta(days=i % 7), 9 + i % 10),
                [brand],
                {brand: "badvocacy" if i < bad else "advocacy"},
                author_key=f"{brand}-{i}",
                text=f"{brand} post {i}",
            )
            for i in range(bad + good)
        ]

    plan = {
        HOSTILE_OUTCOME: {"Voltera": (9, 1), "Zephyr": (1, 6)},
        "charger died": {"Voltera": (4, 2), "Zephyr": (2, 3)},
        "app": {"Voltera": (1, 1)},
    }
    with engine.begin() as conn:
        discovery = wo.save_discovery(
            conn, embedder_version="test", n_posts=40, n_outcomes=len(plan), params={}
        )
        outcome_ids = wo.save_outcomes(
            conn,
            discovery,
            [wo.NewOutcome(label, [label], 10, [1.0, 0.0], []) for label in plan],
        )
        for outcome_id, by_brand in zip(outcome_ids, plan.values(), strict=True):
            for brand, (bad, good) in by_brand.items():
                wo.save_assignments(
                    conn,
                    [
                        wo.Assignment(pid, outcome_id, 0.6, None, discovery)
                        for pid in add_posts(conn, posts(brand, bad, good), ids)
                    ],
                )
        wo.recompute_outcome_daily(conn, None, None)


def test_the_opportunity_landscape_renders_in_a_browser(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _seed_outcomes(engine)
    run_metrics(engine, settings, None, None)
    out = run_report(engine, settings, None, None, tmp_path / "outcomes.html")
    html = out.read_text(encoding="utf-8")
    assert "<img src=x" not in html
    assert "Left out: 1 brand &times; outcome pair with fewer than 5 judged mentions." in html

    chromium = _chromium()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=15000",
        "--window-size=1400,3200",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout

    def chart(div: str) -> str:
        assert f'id="{div}"' in dom, div
        return dom.split(f'id="{div}"', 1)[1].split('id="gv-', 1)[0]

    landscape = chart("gv-landscape")
    assert 'class="main-svg"' in landscape
    # one bubble per brand x outcome with enough judged mentions, a legend entry per brand
    assert len(re.findall(r'class="point[ "]', landscape)) == 4
    assert re.findall(r'class="legendtext"[^>]*>([^<]*)<', landscape) == ["Voltera", "Zephyr"]
    # the shaded corner and its caption, and the named bubbles (escaped: text, not markup)
    assert re.search(r'class="shapelayer".*fill: rgb\(215, 48, 39\)', landscape, re.S)
    assert "important but unsatisfied (opportunity &gt; 10)" in landscape
    assert "Voltera: &lt;img src=x" in landscape
    assert "<img" not in landscape
    # the top outcomes' trends: a line per outcome with badvocacy
    trends = chart("gv-outcome-trend")
    assert 'class="main-svg"' in trends
    assert trends.count('class="trace scatter') == 3
    # the hostile label did not run
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and "pwned" not in title.group(1)
