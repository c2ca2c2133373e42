"""The outcomes stage on a real PostgreSQL with the packaged embedder (issue #14).

The posts are the hand-labelled complaints of ``tests/fixtures/outcome_reasons.csv`` (ten
reasons, two made-up industries, 8 rows not in English), seeded as C2C badvocacy mentions with
their brand spans, spread over ten days. The tests check what a user relies on: a first run
discovers and assigns, a rerun changes nothing, a night's new posts join the outcomes already
known, a re-discovery keeps their ids, and posts in other languages stay unassigned.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from analytics_seed import P, add_brands, add_posts, at, set_models
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.core.window import Window
from grapevine.stages import outcomes as stage
from warehouse import outcomes as store

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "outcome_reasons.csv"
DAY = date(2026, 10, 1)
EBIKES = ["Voltera", "Pedalix", "Zoomcycle", "Ohmride", "Brisk"]
AIRLINES = ["Skyvia", "Aerolux", "Nordwing", "Coastair"]


@pytest.fixture(scope="module")
def embedder() -> Any:
    from nlp.embed import load_embedder

    return load_embedder()


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _spans(engine: Engine) -> None:
    """Give each mention the span of the brand's first occurrence, as the collectors do."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE post_brands pb"
                " SET mention_start = strpos(lower(p.text), lower(b.name)) - 1,"
                " mention_end = strpos(lower(p.text), lower(b.name)) - 1 + length(b.name)"
                " FROM posts p, brands b WHERE p.id = pb.post_id AND b.id = pb.brand_id"
                " AND strpos(lower(p.text), lower(b.name)) > 0"
            )
        )


def _seed(
    engine: Engine, rows: list[dict[str, str]], first_day: date, days: int = 10
) -> dict[int, str]:
    """The rows as badvocacy posts spread over ``days`` days; returns post id -> reason."""
    brands = {b: [c for c in EBIKES if c != b] for b in EBIKES}
    brands |= {b: [c for c in AIRLINES if c != b] for b in AIRLINES}
    with engine.connect() as conn:
        known = {n for (n,) in conn.execute(text("SELECT name FROM brands"))}
    ids = add_brands(engine, {} if known else brands)
    if known:
        with engine.connect() as conn:
            ids = dict(conn.execute(text("SELECT name, id FROM brands")).all())
    set_models(engine)
    posts = [
        P(
            at(first_day + timedelta(days=i % days), 8 + i % 12),
            [r["brand"]],
            {r["brand"]: "badvocacy"},
            text=r["text"],
            author_key=f"a{i}",
        )
        for i, r in enumerate(rows)
    ]
    post_ids = add_posts(engine, posts, ids)
    _spans(engine)
    return {pid: r["reason"] for pid, r in zip(post_ids, rows, strict=True)}


def _snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()
            for table in ("outcomes", "post_outcomes", "outcome_daily", "outcome_versions")
        }


def _majority(engine: Engine, reasons: dict[int, str]) -> dict[str, tuple[int, float]]:
    """reason -> (the outcome holding most of its posts, that outcome's purity)."""
    with engine.connect() as conn:
        assigned = dict(
            conn.execute(
                text("SELECT post_id, outcome_id FROM post_outcomes WHERE outcome_id IS NOT NULL")
            ).all()
        )
    out = {}
    for reason in set(reasons.values()):
        held = Counter(assigned[p] for p, r in reasons.items() if r == reason and p in assigned)
        outcome = held.most_common(1)[0][0]
        members = [p for p, o in assigned.items() if o == outcome]
        purity = sum(1 for p in members if reasons[p] == reason) / len(members)
        out[reason] = (outcome, purity)
    return out


def test_first_run_discovers_then_a_rerun_changes_nothing(
    engine: Engine, settings: Settings, embedder: Any
) -> None:
    reasons = _seed(engine, _rows(), DAY)
    summary = stage.run(engine, settings, Window(), embedder=embedder)
    assert summary["discovered"] and summary["posts_read"] == len(reasons)
    assert summary["unsupported_language"] == 8  # the fixture's non-English rows
    assert 8 <= summary["outcomes"] <= 25
    assert summary["assigned"] + summary["unassigned"] == len(reasons) - 8
    with engine.connect() as conn:
        by_reason = dict(
            conn.execute(
                text("SELECT coalesce(reason, 'assigned'), count(*) FROM post_outcomes GROUP BY 1")
            ).all()
        )
        daily = conn.execute(
            text("SELECT sum(mentions), sum(badvocacy), sum(advocacy) FROM outcome_daily")
        ).one()
    assert by_reason["unsupported_language"] == 8
    assert sum(by_reason.values()) == len(reasons)  # every post has its row
    assert daily == (summary["assigned"], summary["assigned"], 0)
    # the battery complaints form an outcome of their own, whatever the brand
    _, purity = _majority(engine, reasons)["battery_charger"]
    assert purity >= 0.6

    before = _snapshot(engine)
    assert _queued(engine) == 0  # every post was read: the queue is empty
    again = stage.run(engine, settings, Window(), embedder=embedder)
    assert again["posts_read"] == 0 and not again["discovered"]
    assert _snapshot(engine) == before

    # an assignment deleted by hand queues its post again: the next run reads it, and only it
    with engine.begin() as conn:
        gone = conn.execute(
            text(
                "DELETE FROM post_outcomes WHERE post_id = (SELECT min(post_id) FROM"
                " post_outcomes WHERE outcome_id IS NOT NULL) RETURNING post_id"
            )
        ).scalar_one()
    assert _queued(engine) == 1
    third = stage.run(engine, settings, Window(), embedder=embedder)
    assert third["posts_read"] == 1 and third["assigned"] == 1
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM post_outcomes WHERE post_id = :p"), {"p": gone}
            ).scalar_one()
            == 1
        )
    assert _queued(engine) == 0


def _queued(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(DISTINCT post_id) FROM outcome_queue")).scalar_one()
        )


def test_a_nights_posts_join_the_known_outcomes_and_rediscovery_keeps_ids(
    engine: Engine, settings: Settings, embedder: Any
) -> None:
    rows = _rows()
    english = [r for r in rows if r["reason"] and not r["text"].startswith(("Mi ", "Meine"))]
    reasons = _seed(engine, rows, DAY)
    stage.run(engine, settings, Window(), embedder=embedder)
    known = _majority(engine, reasons)
    with engine.connect() as conn:
        first = {o for (o,) in conn.execute(text("SELECT id FROM outcomes"))}

    # a night later: 40 posts again, reworded by a prefix, on a new day
    night = DAY + timedelta(days=12)
    later = [dict(r, text=f"Update: {r['text']}") for r in english[::9]]
    new = _seed(engine, later, night, days=1)
    span = Window(at(night, 0), at(night + timedelta(days=1), 0))
    summary = stage.run(engine, settings, span, embedder=embedder, rediscover=False)
    assert not summary["discovered"] and summary["posts_read"] == len(new)
    assert summary["assigned"] >= 0.8 * len(new)
    with engine.connect() as conn:
        assigned = dict(
            conn.execute(
                text("SELECT post_id, outcome_id FROM post_outcomes WHERE post_id = ANY(:ids)"),
                {"ids": list(new)},
            ).all()
        )
        night_rows = conn.execute(
            text("SELECT count(*) FROM outcome_daily WHERE day = :d"), {"d": night}
        ).scalar_one()
        originals = dict(
            conn.execute(
                text(
                    "SELECT p.text, po.outcome_id FROM posts p JOIN post_outcomes po"
                    " ON po.post_id = p.id WHERE p.id = ANY(:ids)"
                ),
                {"ids": list(reasons)},
            ).all()
        )
    same = [originals[r["text"].removeprefix("Update: ")] for r in later]
    hits = sum(1 for p, o in zip(new, same, strict=True) if assigned.get(p) == o)
    assert hits >= 0.8 * len(new), "a reworded post joins the outcome its original is in"
    assert night_rows > 0

    # a re-discovery finds (nearly) the same outcomes and keeps their ids
    again = stage.run(engine, settings, Window(), embedder=embedder, rediscover=True)
    assert again["discovered"] and again["kept"] >= 0.7 * again["outcomes"]
    after = _majority(engine, {**reasons, **new})
    assert after["battery_charger"][0] == known["battery_charger"][0]
    with engine.connect() as conn:
        versions = conn.execute(
            text("SELECT count(*) FROM outcome_versions WHERE outcome_id = :o"),
            {"o": known["battery_charger"][0]},
        ).scalar_one()
        retired = conn.execute(
            text("SELECT count(*) FROM outcomes WHERE status = 'retired'")
        ).scalar_one()
    assert versions == 2
    assert retired == again["retired"] and retired <= len(first) - again["kept"]


def test_an_old_discovery_is_renewed_and_the_switch_turns_the_stage_off(
    engine: Engine, settings: Settings, embedder: Any
) -> None:
    _seed(engine, _rows(), DAY)
    first_until = at(DAY + timedelta(days=10), 0)
    stage.run(engine, settings, Window(None, first_until), embedder=embedder)
    days = settings.outcome_rediscover_days
    soon = Window(first_until, first_until + timedelta(days=days - 1))
    assert not stage.run(engine, settings, soon, embedder=embedder)["discovered"]
    late = Window(first_until, first_until + timedelta(days=days))
    assert stage.run(engine, settings, late, embedder=embedder)["discovered"]

    off = settings.model_copy(update={"outcomes": False})
    _seed(engine, _rows()[:5], DAY + timedelta(days=30), days=1)  # posts arrive while off
    summary = stage.run(engine, off, Window(), embedder=embedder)
    assert summary["skipped"] and summary["posts_read"] == 0
    assert _queued(engine) == 0  # a switched-off stage's queue does not grow
    # switched on again: every post is queued once, and the ones it missed are read
    back = stage.run(engine, settings, Window(), embedder=embedder, rediscover=False)
    assert back["posts_read"] == 5
    assert _queued(engine) == 0


def test_too_few_posts_wait_instead_of_storing_an_empty_discovery(
    engine: Engine, settings: Settings, embedder: Any
) -> None:
    _seed(engine, _rows()[:20], DAY)
    summary = stage.run(engine, settings, Window(), embedder=embedder)
    assert not summary["discovered"] and summary["skipped"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outcome_discoveries")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM post_outcomes")).scalar_one() == 0
    # they stay queued (waiting for enough posts; the unsupported ones get their row with the
    # first discovery too), so the next run reads them again
    assert _queued(engine) == 20
    _seed(engine, _rows()[20:], DAY)
    later = stage.run(engine, settings, Window(), embedder=embedder)
    assert later["discovered"] and later["posts_read"] == len(_rows())
    assert _queued(engine) == 0


def test_every_spelling_of_the_brand_is_masked() -> None:
    text_ = "Voltera battery swelled. voltera again! Ask @Voltera, VOLTERA-fans"
    masked = stage.mask(text_, [(0, 7)])
    assert "voltera" not in masked.lower()
    assert masked.count("the brand") == 4


def test_vectors_stored_under_an_older_language_gate_are_left_out_of_a_rediscovery(
    engine: Engine, settings: Settings, embedder: Any
) -> None:
    """A warehouse embedded before the language gate last changed holds vectors of posts the
    gate now leaves out; clustered, they form an outcome by language ("la / en")."""
    reasons = _seed(engine, _rows(), DAY)
    stage.run(engine, settings, Window(), embedder=embedder)
    with engine.connect() as conn:
        foreign = [
            int(p)
            for (p,) in conn.execute(
                text("SELECT post_id FROM post_outcomes WHERE reason = 'unsupported_language'")
            )
        ]
        texts = store.masked_texts(conn, foreign, lambda t, _s: t)
    assert len(foreign) == 8
    with engine.begin() as conn:  # what the first gate would have stored for them
        store.save_embeddings(conn, foreign, embedder.encode(texts), embedder.version)
    discovery_id, counts = stage.discover_outcomes(engine, settings, embedder.version)
    assert discovery_id is not None
    assert counts["assigned"] + counts["unassigned"] == len(reasons) - 8
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outcome_id, reason, discovery_id FROM post_outcomes WHERE post_id = ANY(:p)"
            ),
            {"p": foreign},
        ).all()
    assert rows == [(None, "unsupported_language", discovery_id)] * 8
