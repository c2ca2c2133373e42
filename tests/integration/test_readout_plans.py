"""An alert's top posts cost O(the window's mentions) whatever the planner knows (#16).

Read through ``analytics.int_brand_mentions_labelled``, on tables nobody ANALYZEd, the planner
joined a brand's labels back onto its mentions by re-scanning *every* label of the brand for
each mention (a Join Filter over ``brand_id``): ``top_posts`` took 21 s per brand on a 5k-post
night. ``warehouse.alerts.TOP_POSTS`` looks each label up by its key (LATERAL), so its plan is
the same whatever the statistics say, and it returns what the view returns. (Making the view
itself LATERAL was tried and undone: with statistics, the report's opportunity query on top of
it went from 3 s to 90 s on a 20k-post night.) 20k labelled posts are seeded with SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from analytics_seed import seed_labelled_posts
from sqlalchemy import Connection, Engine, text

from warehouse.alerts import TOP_POSTS, top_posts

pytestmark = pytest.mark.integration

S_V, A_V = "s-v1", "a-v1"
BIG = ("posts", "post_brands", "classifications")  # model_versions has a row per task
POSTS = 20_000


def seed(conn: Connection) -> None:
    """Posts one second apart from 1 Oct, each naming Acme (every third also Globex), with a
    sentiment label and an advocacy label per mention from the current models; authors' audiences
    vary and every fourth post is badvocacy."""
    seed_labelled_posts(conn, POSTS, 0, (S_V, A_V))
    conn.execute(text("UPDATE posts SET author_followers = id % 1000"))
    conn.execute(
        text(
            "UPDATE classifications SET label = 'badvocacy'"
            " WHERE task = 'advocacy' AND post_id % 4 = 0"
        )
    )
    conn.execute(
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


@pytest.mark.parametrize("analyzed", [False, True], ids=["never-analyzed", "analyzed"])
@pytest.mark.parametrize("advocacy", [None, "badvocacy"])
def test_labels_are_looked_up_per_mention_never_rescanned(
    seeded: Engine, analyzed: bool, advocacy: str | None
) -> None:
    with seeded.begin() as conn:
        if analyzed:
            conn.execute(text("ANALYZE posts, post_brands, classifications, model_versions"))
        acme = conn.execute(text("SELECT id FROM brands WHERE slug = 'acme'")).scalar_one()
        (doc,) = conn.execute(
            text("EXPLAIN (FORMAT JSON) " + TOP_POSTS),
            {
                "b": acme,
                "adv": advocacy,
                "start": datetime(2026, 10, 1, 1, tzinfo=UTC),
                "end": datetime(2026, 10, 1, 2, tzinfo=UTC),
                "limit": 5,
            },
        ).one()
    top = doc[0]["Plan"]
    shown = json.dumps(top, indent=1)
    probes = [n for n in nodes(top) if n.get("Relation Name") == "classifications"]
    assert len(probes) == 1, shown  # the advocacy label, one probe per mention
    for probe in probes:  # by the mention's key, never every label of the brand
        assert probe["Node Type"] in ("Index Scan", "Index Only Scan"), shown
        assert probe["Index Name"].startswith("uq_classifications"), shown
        assert "post_id = " in probe["Index Cond"], shown
    # A table may be read once (a scan of the brand's post_brands is linear, not per mention),
    # but never re-read for each row of another: no scan on the inner side of a nested loop.
    for node in nodes(top):
        if node["Node Type"] == "Nested Loop":
            inner = [c for c in node["Plans"] if c.get("Parent Relationship") == "Inner"]
            rescanned = [
                n
                for c in inner
                for n in nodes(c)
                if n["Node Type"] == "Seq Scan" and n["Relation Name"] in BIG
            ]
            assert not rescanned, shown


def test_top_posts_reads_the_window_with_its_labels(seeded: Engine) -> None:
    start = datetime(2026, 10, 1, 1, tzinfo=UTC)
    end = datetime(2026, 10, 1, 2, tzinfo=UTC)
    with seeded.begin() as conn:
        conn.execute(text("ANALYZE"))
        # a brand-owned mention and a post by a watched brand's account are not word of mouth
        conn.execute(text("UPDATE post_brands SET brand_owned = true WHERE post_id % 7 = 0"))
        conn.execute(text("UPDATE posts SET is_c2c = false WHERE id % 11 = 0"))
        conn.execute(text("UPDATE posts SET likes = id % 13, replies = 1 WHERE id % 5 = 0"))
    with seeded.connect() as conn:
        acme = conn.execute(text("SELECT id FROM brands WHERE slug = 'acme'")).scalar_one()
        for advocacy in ("badvocacy", None):
            got = top_posts(conn, acme, start, end, limit=20, advocacy=advocacy)
            # what the analysts' view says for the same window
            expected = conn.execute(
                text(
                    """
                    SELECT post_id, followers, interactions, advocacy
                    FROM analytics.int_brand_mentions_labelled
                    WHERE brand_id = :b AND created_at >= :s AND created_at < :e
                      AND (CAST(:adv AS text) IS NULL OR advocacy = :adv)
                    ORDER BY followers DESC, interactions DESC, post_id LIMIT 20
                    """
                ),
                {"b": acme, "s": start, "e": end, "adv": advocacy},
            ).all()
            assert len(got) == 20
            assert [
                (r["post_id"], r["followers"], r["interactions"], r["advocacy"]) for r in got
            ] == [tuple(r) for r in expected]
