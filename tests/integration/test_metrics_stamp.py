"""Recomputing metrics rewrites only the rows whose values changed (``computed_at`` included)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from analytics_seed import P, add_brands, add_posts, at, daily_series, set_models
from sqlalchemy import Engine, text

from warehouse.metrics import recompute_metrics

pytestmark = pytest.mark.integration

START = date(2026, 9, 1)


def _table(engine: Engine) -> dict[tuple, tuple]:
    """Every row, stamp included, keyed by (brand_id, day, source)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM brand_daily_metrics")).mappings().all()
    return {(r["brand_id"], r["day"], r["source"]): tuple(r.values()) for r in rows}


def test_a_rerun_that_changes_nothing_leaves_every_row_as_it_was(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    set_models(engine)
    posts = daily_series("Acme", START, 3, mentions=5, badvocacy=1)
    posts += daily_series("Globex", START, 3, mentions=4, badvocacy=2, source="reddit")
    add_posts(engine, posts, ids)
    recompute_metrics(engine)
    before = _table(engine)
    assert len(before) == 6

    assert recompute_metrics(engine) == 6
    assert _table(engine) == before  # computed_at too: a dump is byte-identical

    # one new post on Acme's second day: that row alone is rewritten (with a new stamp)
    day2 = START + timedelta(days=1)
    add_posts(engine, [P(at(day2, 9), ["Acme"], {"Acme": "badvocacy"}, source_id="late")], ids)
    recompute_metrics(engine)
    after = _table(engine)
    changed = {k for k in before if after.get(k) != before[k]}
    assert changed == {(ids["Acme"], day2, "file")}

    # Globex's reddit posts of the third day disappear upstream: that row goes
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM posts WHERE source = 'reddit' AND created_at >= :d"),
            {"d": at(START + timedelta(days=2), 0)},
        )
    recompute_metrics(engine)
    assert set(_table(engine)) == set(after) - {
        (ids["Globex"], START + timedelta(days=2), "reddit")
    }
