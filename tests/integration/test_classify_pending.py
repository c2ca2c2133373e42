"""Finding pending classify work costs O(new posts), not O(history x chunks) (issues #12, #16).

20k classified posts and 200 new ones are seeded with SQL (no model runs): the pending query
must return exactly the new posts, with and without fresh statistics, through an anti-join
that is never re-evaluated per skipped post (the old query's 54.8M subplan loops).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from analytics_seed import seed_labelled_posts
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.stages import classify
from nlp.types import Prediction
from warehouse import classifications, queues
from warehouse.classifications import (
    PENDING_DETAILS,
    PENDING_IDS_PAGE,
    WorkItem,
    pin_page_plan,
)


def pending_work(engine: Engine, **kw: Any) -> list[WorkItem]:
    """One page in its own transaction, as the classify stage reads it."""
    with engine.begin() as conn:
        return classifications.pending_work(conn, **kw)


def pending_ranges(engine: Engine, **kw: Any) -> list[tuple[int, int, int]]:
    with engine.connect() as conn:
        return classifications.pending_ranges(conn, **kw)


pytestmark = pytest.mark.integration

S_V, A_V = "s-v1", "a-v1"
HISTORY, NEW = 20_000, 200


@pytest.fixture
def seeded(engine: Engine) -> Iterator[tuple[Engine, list[int]]]:
    with engine.begin() as conn:
        seed_labelled_posts(conn, HISTORY, NEW, (S_V, A_V))
        new_ids = list(
            conn.execute(text("SELECT id FROM posts ORDER BY id DESC LIMIT :n"), {"n": NEW})
            .scalars()
            .all()
        )
    yield engine, sorted(new_ids)


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def plan(engine: Engine, query: str, ids: list[int]) -> dict[str, Any]:
    with engine.connect() as conn:
        if query == PENDING_IDS_PAGE:
            pin_page_plan(conn)
        (doc,) = conn.execute(
            text("EXPLAIN (FORMAT JSON) " + query),
            {
                "ids": ids,
                "since": None,
                "until": None,
                "after_id": 0,
                "last_id": None,
                "limit": 512,
                "sentiment_version": S_V,
                "advocacy_version": A_V,
            },
        ).one()
    return doc[0]["Plan"]  # type: ignore[no-any-return]


def all_pending(engine: Engine) -> list[int]:
    found: list[int] = []
    after = 0
    while items := pending_work(
        engine,
        since=None,
        until=None,
        sentiment_version=S_V,
        advocacy_version=A_V,
        after_id=after,
        limit=64,
    ):
        found += [i.post_id for i in items]
        after = items[-1].post_id
    return found


def assert_no_per_row_scans(top: dict[str, Any]) -> None:
    """What made the old query quadratic is absent: a subplan re-run per skipped post, a CTE
    scanned once per row of another, a materialised or scanned classifications table."""
    shown = json.dumps(top, indent=1)
    every = list(nodes(top))
    assert not [n for n in every if n.get("Parent Relationship") == "SubPlan"], shown
    assert not [n for n in every if n["Node Type"] in ("CTE Scan", "Materialize")], shown
    # Posts are walked by primary key from after_id (keyset), not scanned whole per page.
    big = ("posts", "post_brands", "classifications")
    assert not [n for n in every if n["Node Type"] == "Seq Scan" and n["Relation Name"] in big], (
        shown
    )
    probes = [n for n in every if n.get("Relation Name") == "classifications"]
    assert len(probes) == 2, shown
    for probe in probes:  # one index lookup by post id per candidate, never a scan
        assert probe["Node Type"] in ("Index Scan", "Index Only Scan"), shown
        assert probe["Index Name"].startswith("uq_classifications"), shown
        assert "post_id = " in probe["Index Cond"], shown


@pytest.mark.parametrize("analyzed", [False, True], ids=["stale-stats", "analyzed"])
def test_pending_is_exactly_the_new_posts_through_an_anti_join(
    seeded: tuple[Engine, list[int]], analyzed: bool
) -> None:
    engine, new_ids = seeded
    if analyzed:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE posts, post_brands, classifications"))
    for query in (PENDING_IDS_PAGE, PENDING_DETAILS):
        assert_no_per_row_scans(plan(engine, query, new_ids))
    assert all_pending(engine) == new_ids
    ranges = pending_ranges(
        engine,
        since=None,
        until=None,
        sentiment_version=S_V,
        advocacy_version=A_V,
        batch_size=150,
    )
    assert ranges == [(new_ids[0], new_ids[149], 150), (new_ids[150], new_ids[-1], 50)]


def test_pending_work_reports_what_is_missing_per_post(seeded: tuple[Engine, list[int]]) -> None:
    engine, new_ids = seeded
    half = new_ids[0]
    with engine.begin() as conn:  # the first new post keeps its sentiment, misses advocacy
        conn.execute(
            text(
                "INSERT INTO classifications (post_id, task, label, model_name, model_version)"
                " VALUES (:p, 'sentiment', 'neutral', 's', :sv)"
            ),
            {"p": half, "sv": S_V},
        )
        # A post from history whose Globex advocacy is missing is pending again.
        old = conn.execute(
            text(
                "DELETE FROM classifications WHERE task = 'advocacy' AND brand_id ="
                " (SELECT id FROM brands WHERE slug = 'globex')"
                " AND post_id = (SELECT min(post_id) FROM post_brands pb JOIN brands b"
                " ON b.id = pb.brand_id AND b.slug = 'globex') RETURNING post_id"
            )
        ).scalar_one()
    items = pending_work(
        engine, since=None, until=None, sentiment_version=S_V, advocacy_version=A_V, limit=2
    )
    assert [i.post_id for i in items] == [old, half]
    assert not items[0].needs_sentiment and len(items[0].needs_advocacy) == 1
    assert not items[1].needs_sentiment and len(items[1].needs_advocacy) >= 1
    # A new model version finds everything pending again.
    assert (
        len(
            pending_work(
                engine,
                since=None,
                until=None,
                sentiment_version="s-v2",
                advocacy_version=A_V,
                limit=HISTORY + NEW,
            )
        )
        == HISTORY + NEW
    )


class FakeModel:
    """A classifier at the network edge's cost: one fixed label, no model files."""

    labels = ("neutral",)

    def __init__(self, name: str, version: str) -> None:
        self.name, self.version = name, version

    def classify(self, batch: Sequence[object]) -> list[Prediction]:
        return [Prediction("neutral", {"neutral": 1.0}, "en") for _ in batch]


def analyze_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT analyze_count FROM pg_stat_user_tables"
                    " WHERE relname = 'classifications'"
                )
            ).scalar_one()
        )


def test_classify_labels_exactly_the_new_posts_then_analyzes(
    seeded: tuple[Engine, list[int]], settings: Settings
) -> None:
    engine, _ = seeded
    with engine.begin() as conn:  # the seed's rows are known to the planner; the run's are not
        conn.execute(text("ANALYZE classifications"))
    before = analyze_count(engine)
    models = classify.Models(FakeModel("s", S_V), FakeModel("a", A_V))  # type: ignore[arg-type]
    summary = classify.classify(engine, settings, models=models)
    assert summary.posts == NEW
    assert summary.sentiment_rows == NEW
    assert all_pending(engine) == []
    # 200 sentiment + 267 advocacy rows on 60k: under the threshold, so no ANALYZE...
    assert analyze_count(engine) == before
    # ...while a new model version relabels everything and does trigger one.
    models = classify.Models(FakeModel("s", "s-v2"), FakeModel("a", A_V))  # type: ignore[arg-type]
    assert classify.classify(engine, settings, models=models).posts == HISTORY + NEW
    assert analyze_count(engine) == before + 1


# --- the classify queue (migration 0010) ------------------------------------------------------


def queued(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return queues.queued(conn, queues.CLASSIFY, since=None, until=None)


def sync(engine: Engine, s_v: str = S_V, a_v: str = A_V) -> bool:
    with engine.begin() as conn:
        return classifications.sync_queue(conn, s_v, a_v)


def consume(engine: Engine) -> None:
    """What a classify run does to the queue once its labels are written."""
    with engine.begin() as conn:
        rows = queues.rows(conn, queues.CLASSIFY, queued(engine))
        queues.dequeue(conn, queues.CLASSIFY, rows)


def test_the_queue_holds_every_post_that_can_miss_a_label(
    seeded: tuple[Engine, list[int]],
) -> None:
    engine, new_ids = seeded
    # The seed's inserts queued every post; the first sync queues them all again (the queue
    # was never known complete for these versions), the next one does nothing.
    assert sync(engine) is True
    assert sync(engine) is False
    assert len(queued(engine)) == HISTORY + NEW
    with engine.begin() as conn:  # through the queue: the same ranges as the full probe
        ranges = classifications.pending_ranges(
            conn,
            since=None,
            until=None,
            sentiment_version=S_V,
            advocacy_version=A_V,
            batch_size=150,
            candidates=queued(engine),
        )
    assert ranges == [(new_ids[0], new_ids[149], 150), (new_ids[150], new_ids[-1], 50)]
    consume(engine)
    assert queued(engine) == []
    with engine.begin() as conn:
        # a label deleted by hand, and a new mention of an old, labelled post
        gone = conn.execute(
            text(
                "DELETE FROM classifications WHERE id = (SELECT min(id) FROM classifications"
                " WHERE task = 'sentiment') RETURNING post_id"
            )
        ).scalar_one()
        mentioned = conn.execute(
            text(
                "INSERT INTO post_brands (post_id, brand_id)"
                " SELECT p.id, b.id FROM posts p, brands b"
                " WHERE NOT EXISTS (SELECT 1 FROM post_brands x"
                "                   WHERE x.post_id = p.id AND x.brand_id = b.id)"
                " ORDER BY p.id, b.id LIMIT 1 RETURNING post_id"
            )
        ).scalar_one()
    assert queued(engine) == sorted({gone, mentioned})
    # a label upserted again (ON CONFLICT DO NOTHING) queues nothing
    consume(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO classifications (post_id, task, label, model_name, model_version)"
                " VALUES (:p, 'sentiment', 'neutral', 's', :sv) ON CONFLICT DO NOTHING"
            ),
            {"p": mentioned, "sv": S_V},
        )
    assert queued(engine) == []
    # a new model version: every post once more
    assert sync(engine, a_v="a-v2") is True
    assert len(queued(engine)) == HISTORY + NEW


def test_a_post_queued_while_its_work_runs_stays_queued(
    seeded: tuple[Engine, list[int]],
) -> None:
    engine, new_ids = seeded
    sync(engine)
    post = new_ids[0]
    with engine.begin() as conn:
        read = queues.rows(conn, queues.CLASSIFY, [post])
    assert read
    with engine.begin() as conn:  # another writer: a mention added after the rows were read
        brand = conn.execute(
            text("INSERT INTO brands (name, slug) VALUES ('Initech', 'initech') RETURNING id")
        ).scalar_one()
        conn.execute(
            text("INSERT INTO post_brands (post_id, brand_id) VALUES (:p, :b)"),
            {"p": post, "b": brand},
        )
    with engine.begin() as conn:
        queues.dequeue(conn, queues.CLASSIFY, read)
    assert post in queued(engine)


def test_queued_candidates_are_probed_by_key_not_by_scanning_history(
    seeded: tuple[Engine, list[int]],
) -> None:
    engine, new_ids = seeded
    with engine.begin() as conn:
        conn.execute(text("ANALYZE posts, post_brands, classifications"))
        pin_page_plan(conn)
        (doc,) = conn.execute(
            text("EXPLAIN (FORMAT JSON) " + classifications._page_sql(candidates=True)),
            {
                "candidates": new_ids[:10],
                "since": None,
                "until": None,
                "after_id": 0,
                "last_id": None,
                "limit": 10,
                "sentiment_version": S_V,
                "advocacy_version": A_V,
            },
        ).one()
    top = doc[0]["Plan"]
    assert_no_per_row_scans(top)
    every = list(nodes(top))
    shown = json.dumps(top, indent=1)
    # the candidates are the posts' index condition: nothing else of the history is read
    assert any(
        "ANY" in n.get("Index Cond", "")
        for n in every
        if n.get("Relation Name") in ("posts", "post_brands")
    ), shown


def test_classify_reads_the_queue_and_empties_it(
    seeded: tuple[Engine, list[int]], settings: Settings
) -> None:
    engine, new_ids = seeded
    models = classify.Models(FakeModel("s", S_V), FakeModel("a", A_V))  # type: ignore[arg-type]
    assert classify.classify(engine, settings, models=models).posts == NEW
    assert queued(engine) == []
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM classifications WHERE post_id = :p AND task = 'sentiment'"),
            {"p": new_ids[3]},
        )
    summary = classify.classify(engine, settings, models=models)
    assert (summary.posts, summary.sentiment_rows, summary.advocacy_rows) == (1, 1, 0)
    assert queued(engine) == []
