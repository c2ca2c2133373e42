"""Reading a few brand-days through the labelled-mentions view costs O(those mentions) (#16).

On tables nobody ANALYZEd, the planner used to join a brand's labels back onto its mentions by
re-scanning *every* label of the brand for each mention (a Join Filter over ``brand_id``):
``top_posts`` took 21 s per brand on a 5k-post night. The view now looks each label up by its
key (LATERAL), so the plan is the same whatever the statistics say. 20k labelled posts are
seeded with SQL (no model runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from warehouse.alerts import top_posts

pytestmark = pytest.mark.integration

S_V, A_V = "s-v1", "a-v1"
POSTS = 20_000


def seed(conn: Any) -> None:
    """Posts one second apart from 1 Oct, each naming Acme (every third also Globex), with a
    sentiment label and an advocacy label per mention from the current models."""
    run = conn.execute
    run(text("INSERT INTO brands (name, slug) VALUES ('Acme', 'acme'), ('Globex', 'globex')"))
    run(
        text(
            """
            INSERT INTO posts (source, source_id, created_at, text, content_hash, author_followers)
            SELECT 'bench', g::text, timestamptz '2026-10-01' + g * interval '1 second',
                   'post ' || g, md5(g::text), g % 1000
            FROM generate_series(1, :n) g
            """
        ),
        {"n": POSTS},
    )
    run(
        text(
            """
            INSERT INTO post_brands (post_id, brand_id, mention_start, mention_end)
            SELECT p.id, b.id, 0, 4 FROM posts p JOIN brands b
              ON b.slug = 'acme' OR (b.slug = 'globex' AND p.id % 3 = 0)
            """
        )
    )
    cols = "post_id, brand_id, task, label, model_name, model_version"
    run(
        text(
            f"INSERT INTO classifications ({cols})"
            " SELECT id, NULL, 'sentiment', 'neutral', 's', :v FROM posts"
        ),
        {"v": S_V},
    )
    run(
        text(
            f"INSERT INTO classifications ({cols})"
            " SELECT post_id, brand_id, 'advocacy',"
            " CASE WHEN post_id % 4 = 0 THEN 'badvocacy' ELSE 'none' END, 'a', :v"
            " FROM post_brands"
        ),
        {"v": A_V},
    )
    run(
        text(
            "INSERT INTO model_versions (task, model_name, model_version, is_current)"
            " VALUES ('sentiment', 's', :s, true), ('advocacy', 'a', :a, true)"
        ),
        {"s": S_V, "a": A_V},
    )


@pytest.fixture
def seeded(engine: Engine) -> Iterator[Engine]:
    with engine.begin() as conn:
        seed(conn)
    yield engine


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


TOP_POSTS_ONE_HOUR = """
EXPLAIN (FORMAT JSON)
SELECT post_id, followers, advocacy
FROM analytics.int_brand_mentions_labelled
WHERE brand_id = (SELECT id FROM brands WHERE slug = 'acme') AND advocacy = 'badvocacy'
  AND created_at >= timestamptz '2026-10-01 01:00' AND created_at < timestamptz '2026-10-01 02:00'
ORDER BY followers DESC, post_id
LIMIT 5
"""


@pytest.mark.parametrize("analyzed", [False, True], ids=["never-analyzed", "analyzed"])
def test_labels_are_looked_up_per_mention_never_rescanned(seeded: Engine, analyzed: bool) -> None:
    with seeded.begin() as conn:
        if analyzed:
            conn.execute(text("ANALYZE posts, post_brands, classifications, model_versions"))
        (doc,) = conn.execute(text(TOP_POSTS_ONE_HOUR)).one()
    top = doc[0]["Plan"]
    shown = json.dumps(top, indent=1)
    probes = [n for n in nodes(top) if n.get("Relation Name") == "classifications"]
    assert len(probes) == 2, shown  # sentiment and advocacy, one probe each
    for probe in probes:  # by the mention's key, never every label of the brand
        assert probe["Node Type"] in ("Index Scan", "Index Only Scan"), shown
        assert probe["Index Name"].startswith("uq_classifications"), shown
        assert "post_id = " in probe["Index Cond"], shown


def test_top_posts_reads_the_window_with_its_labels(seeded: Engine) -> None:
    start = datetime(2026, 10, 1, 1, tzinfo=UTC)
    end = datetime(2026, 10, 1, 2, tzinfo=UTC)
    with seeded.connect() as conn:
        acme = conn.execute(text("SELECT id FROM brands WHERE slug = 'acme'")).scalar_one()
        bad = top_posts(conn, acme, start, end, limit=3, advocacy="badvocacy")
        anything = top_posts(conn, acme, start, end, limit=3)
        # what the view says, computed from the tables without it
        expected = conn.execute(
            text(
                """
                SELECT p.id FROM posts p
                JOIN classifications c ON c.post_id = p.id AND c.task = 'advocacy'
                WHERE c.brand_id = :b AND c.label = 'badvocacy'
                  AND p.created_at >= :s AND p.created_at < :e
                ORDER BY p.author_followers DESC, p.id LIMIT 3
                """
            ),
            {"b": acme, "s": start, "e": end},
        ).scalars()
        assert [r["post_id"] for r in bad] == list(expected)
    assert {r["advocacy"] for r in bad} == {"badvocacy"}
    followers = [r["followers"] for r in anything]
    assert len(bad) == 3 and len(anything) == 3
    assert followers == sorted(followers, reverse=True)
    assert all(r["advocacy"] in ("badvocacy", "none") for r in anything)
