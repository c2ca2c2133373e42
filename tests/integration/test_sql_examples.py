"""Every example query in sql/examples/ returns rows on historical data of any brand (issue #13).

The examples used to filter on ``current_date - 30`` and on brand 'Acme Air', so on last
year's data or on other brands they all returned nothing. Their ``params`` row now defaults
to the latest day in the data and to every brand; this seeds a warehouse far in the past with
other brands and runs each file as the analyst role would, through its views only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from importlib.resources import files

import psycopg2
import pytest
from analytics_seed import P, add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from warehouse import outcomes
from warehouse.metrics import recompute_metrics
from warehouse.views import ANALYST_ROLE

pytestmark = pytest.mark.integration

START = date(2024, 3, 1)
DAYS = 20
EXAMPLES = sorted(
    (f for f in (files("sql") / "examples").iterdir() if f.name.endswith(".sql")),
    key=lambda f: f.name,
)


@pytest.fixture
def analyst(engine: Engine, migrated_url: URL) -> Iterator[psycopg2.extensions.cursor]:
    """Two e-bike brands in March 2024 (competitors), a pile-on thread and an alert."""
    ids = add_brands(engine, {"Voltera": ["Zephyr"], "Zephyr": []})
    set_models(engine)
    posts = daily_series("Voltera", START, DAYS, mentions=10, badvocacy=3, advocacy=2)
    posts += daily_series("Zephyr", START, DAYS, mentions=6, badvocacy=1, advocacy=3)
    last = START + timedelta(days=DAYS - 1)
    posts += [
        P(
            at(last, 9 + i),
            ["Voltera"],
            {"Voltera": "badvocacy"},
            author_key=f"angry-{i}",
            thread_id="battery-fire",
            url=f"https://forum.test/battery-fire/{i}",
            followers=50,
        )
        for i in range(3)
    ]
    post_ids = add_posts(engine, posts, ids)
    recompute_metrics(engine)
    with engine.begin() as conn:  # one outcome that every post is about (issue #14)
        found = outcomes.save_discovery(
            conn, embedder_version="test", n_posts=len(post_ids), n_outcomes=1, params={}
        )
        (battery,) = outcomes.save_outcomes(
            conn, found, [outcomes.NewOutcome("battery swelled", ["battery"], 1, [1.0], [])]
        )
        outcomes.save_assignments(
            conn, [outcomes.Assignment(p, battery, 0.9, None, found) for p in post_ids]
        )
        outcomes.recompute_outcome_daily(conn, None, None)
    with engine.begin() as conn:
        top = [{"url": "https://forum.test/battery-fire/0", "followers": 50, "excerpt": "fire"}]
        conn.execute(
            text(
                "INSERT INTO alerts (brand_id, kind, window_start, window_end, observed,"
                " expected, share, baseline_share, severity, details)"
                " VALUES (:b, 'badvocacy_spike', :s, :e, 6, 3.0, 0.5, 0.3, 5, CAST(:d AS jsonb))"
            ),
            {
                "b": ids["Voltera"],
                "s": at(last, 0),
                "e": at(last + timedelta(days=1), 0),
                "d": json.dumps({"brand": "Voltera", "top_posts": top}),
            },
        )
    conn = psycopg2.connect(migrated_url.set(drivername="postgresql").render_as_string(False))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"SET ROLE {ANALYST_ROLE}")
    try:
        yield cur
    finally:
        cur.execute("RESET ROLE")
        conn.close()


def test_there_are_examples_and_none_is_pinned_to_today_or_a_brand() -> None:
    assert len(EXAMPLES) >= 6
    for example in EXAMPLES:
        body = example.read_text(encoding="utf-8")
        code = "\n".join(line.split("--", 1)[0] for line in body.splitlines())
        assert "current_date" not in code and "now()" not in code, example.name
        assert "'Acme Air'" not in code, example.name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda f: f.name)
def test_each_example_returns_rows_on_historical_data(analyst, example) -> None:
    analyst.execute(example.read_text(encoding="utf-8"))
    rows = analyst.fetchall()
    assert rows, f"{example.name} returned no rows on March 2024 data"
    brands = {row[0] for row in rows}
    assert brands <= {"Voltera", "Zephyr"} and "Voltera" in brands


def test_the_brand_parameter_narrows_to_one_brand(analyst) -> None:
    for example in EXAMPLES:
        sql = example.read_text(encoding="utf-8").replace(
            "cast(null as text) as brand", "cast('Zephyr' as text) as brand"
        )
        assert "'Zephyr'" in sql, f"{example.name} has no brand parameter"
        analyst.execute(sql)
        assert {row[0] for row in analyst.fetchall()} <= {"Zephyr"}, example.name
