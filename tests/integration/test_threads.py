"""Replies judged in their thread: inherited mentions in the warehouse, metrics and views.

A reply that names no brand inherits the brands of its nearest ancestor that names one
(``warehouse.threads``); the classify stage reads that ancestor as context. The label tests
at the end go through the real classify stage and the shipped models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from analytics_seed import ADVOCACY_V, P, add_brands, add_posts, at, set_models
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.stages import classify
from grapevine.stages import collect as pipeline
from tests.pg import migrate_database
from warehouse import alerts as alert_store
from warehouse import classifications, threads
from warehouse.classifications import WorkItem
from warehouse.engine import make_engine
from warehouse.metrics import recompute_metrics
from warehouse.threads import InheritStats


def pending_work(engine: Engine, **kw: Any) -> list[WorkItem]:
    """One page in its own transaction, as the classify stage reads it."""
    with engine.begin() as conn:
        return classifications.pending_work(conn, **kw)


def inherit_thread_mentions(engine: Engine) -> InheritStats:
    """One pass in its own transaction, as the loaders and classify run it."""
    with engine.begin() as conn:
        return threads.inherit_thread_mentions(conn)


pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
BRANDS = """
brands:
  - name: Acme Air
    aliases: ["acme air", "acmeair", "@acmeair", "#acmeair"]
    owned_handles: ["acmeair"]
    competitors: ["Globex Airlines"]
  - name: Globex Airlines
    aliases: ["globex"]
"""


def inherited(engine: Engine) -> list[tuple[str, str, str | None, bool]]:
    """(reply source_id, brand, inherited from source_id, brand_owned) for inherited rows."""
    with engine.connect() as conn:
        return [
            tuple(r)  # type: ignore[misc]
            for r in conn.execute(
                text(
                    """
                    SELECT p.source_id, b.name, a.source_id, pb.brand_owned
                    FROM post_brands pb
                    JOIN posts p ON p.id = pb.post_id
                    JOIN brands b ON b.id = pb.brand_id
                    LEFT JOIN posts a ON a.id = pb.inherited_from_post_id
                    WHERE pb.inherited
                    ORDER BY p.source_id, b.name
                    """
                )
            )
        ]


def post_brands(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT * FROM post_brands ORDER BY 1, 2")).all())


def reply(sid: str, parent: str | None, brands: tuple[str, ...] = (), **kw: object) -> P:
    return P(at(DAY, 12), list(brands), source_id=sid, parent_id=parent, thread_id="r", **kw)  # type: ignore[arg-type]


@pytest.fixture
def watchlist() -> Watchlist:
    return Watchlist.from_yaml_text(BRANDS)


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def post(i: str, text_: str, parent: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "id": i,
        "text": text_,
        "created_at": f"2026-10-05T10:{len(i):02d}:00Z",
        "parent_id": parent,
        "thread_id": "1",
        **extra,
    }


def load(
    tmp_path: Path,
    name: str,
    records: list[dict[str, object]],
    watchlist: Watchlist,
    engine: Engine,
    settings: Settings,
) -> pipeline.CollectSummary:
    path = write_jsonl(tmp_path / name, records)
    return pipeline.collect_file(path, watchlist, engine, settings, now=NOW)


# --- the warehouse step ---------------------------------------------------------------------


def test_replies_inherit_the_brands_of_their_nearest_ancestor_that_names_one(
    engine: Engine,
) -> None:
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    add_posts(
        engine,
        [
            reply("r", None, ("Acme",)),  # the thread's root names Acme
            reply("a1", "r"),  # "same here"
            reply("a2", "a1"),  # a reply to a reply: through the chain, to the root
            reply("a3", "a2"),
            reply("g1", "r", ("Globex",)),  # a reply that names a brand keeps its own
            reply("g2", "g1"),  # and its replies are about that brand, the nearest
            reply("both", None, ("Acme", "Globex")),
            reply("b1", "both"),  # a comparison: the reply is about both brands
            reply("lost", "never-collected"),  # the parent is not in the warehouse
        ],
        ids,
    )
    stats = inherit_thread_mentions(engine)
    assert inherited(engine) == [
        ("a1", "Acme", "r", False),
        ("a2", "Acme", "r", False),
        ("a3", "Acme", "r", False),
        ("b1", "Acme", "both", False),
        ("b1", "Globex", "both", False),
        ("g2", "Globex", "g1", False),
    ]
    assert stats == InheritStats(added=6)


def test_a_rerun_leaves_the_same_rows(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": []})
    add_posts(engine, [reply("r", None, ("Acme",)), reply("a1", "r"), reply("a2", "a1")], ids)
    inherit_thread_mentions(engine)
    before = post_brands(engine)
    assert inherit_thread_mentions(engine) == InheritStats()
    assert post_brands(engine) == before


def test_parent_cycles_in_bad_data_end(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": []})
    add_posts(
        engine,
        [
            reply("x", "y"),
            reply("y", "x"),  # x and y answer each other, and neither names a brand
            reply("z", "x"),
            reply("m", "n", ("Acme",)),
            reply("n", "m"),  # a cycle through a post that names Acme
        ],
        ids,
    )
    inherit_thread_mentions(engine)
    assert inherited(engine) == [("n", "Acme", "m", False)]


def test_a_parent_loaded_after_its_reply_is_found_then(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    # The reply (3) arrives before the post it answers (2); the thread is watched via its root.
    first = load(
        tmp_path,
        "a.jsonl",
        [post("1", "Globex lost my bag again"), post("3", "don't, they never refund", "2")],
        watchlist,
        engine,
        settings,
    )
    assert first.thread_replies == 1
    assert inherited(engine) == []  # its parent is not there yet
    load(
        tmp_path,
        "b.jsonl",
        [post("2", "should I rebook with them?", "1")],
        watchlist,
        engine,
        settings,
    )
    assert inherited(engine) == [
        ("2", "Globex Airlines", "1", False),
        ("3", "Globex Airlines", "1", False),
    ]


def test_replies_to_the_brands_own_post_are_word_of_mouth_and_the_brands_replies_are_not(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    load(
        tmp_path,
        "own.jsonl",
        [
            post("1", "New routes this winter! #acmeair", author="acmeair"),
            post("2", "my flight was cancelled three times, never again", "1", author="c"),
            post("3", "sorry to hear that, please DM us", "2", author="acmeair"),
        ],
        watchlist,
        engine,
        settings,
    )
    # Both replies inherit Acme Air from the brand's post; neither inherited row is brand-owned.
    assert inherited(engine) == [("2", "Acme Air", "1", False), ("3", "Acme Air", "1", False)]
    with engine.connect() as conn:
        c2c = conn.execute(
            text(
                "SELECT source_id, inherited FROM analytics.int_brand_mentions_labelled"
                " ORDER BY source_id"
            )
        ).all()
    # The customer's reply counts; the brand's own post and the brand's reply do not.
    assert c2c == [("2", True)]


def test_edits_move_drop_or_promote_inherited_rows(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    thread = [
        post("1", "Acme Air lost my bag"),
        post("2", "Globex did the same to me", "1"),
        post("3", "that is awful", "2"),
        post("4", "which airport?", "1"),
    ]
    load(tmp_path, "t.jsonl", thread, watchlist, engine, settings)
    assert inherited(engine) == [
        ("3", "Globex Airlines", "2", False),
        ("4", "Acme Air", "1", False),
    ]

    # 2 no longer names Globex: 3 is about the brand of the next ancestor up, Acme Air.
    # 4 now names Acme Air itself: a direct mention, with its span, no longer inherited.
    edits = [post("2", "they did the same to me", "1"), post("4", "which Acme Air airport?", "1")]
    load(tmp_path, "e.jsonl", edits, watchlist, engine, settings)
    assert inherited(engine) == [("2", "Acme Air", "1", False), ("3", "Acme Air", "1", False)]
    with engine.connect() as conn:
        direct = conn.execute(
            text(
                "SELECT pb.inherited, pb.inherited_from_post_id, pb.matched_alias"
                " FROM post_brands pb JOIN posts p ON p.id = pb.post_id WHERE p.source_id = '4'"
            )
        ).all()
    assert direct == [(False, None, "Acme Air")]


# --- metrics and views ----------------------------------------------------------------------


def test_an_inherited_mention_counts_in_metrics_alerts_and_views(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": []})
    set_models(engine)
    root, same_here, question = add_posts(
        engine,
        [
            P(at(DAY, 9), ["Acme"], {"Acme": "badvocacy"}, "negative", source_id="r"),
            P(at(DAY, 10), [], sentiment="negative", source_id="s", parent_id="r", thread_id="r"),
            P(at(DAY, 11), [], sentiment="neutral", source_id="q", parent_id="s", thread_id="r"),
        ],
        ids,
    )
    inherit_thread_mentions(engine)
    with engine.begin() as conn:  # what the classify stage writes for the two replies
        conn.execute(
            text(
                "INSERT INTO classifications (post_id, brand_id, task, label, confidence, probs,"
                " model_name, model_version) VALUES"
                " (:s, :b, 'advocacy', 'badvocacy', 0.77, '{}', 'test-model', :v),"
                " (:q, :b, 'advocacy', 'none', 0.6, '{}', 'test-model', :v)"
            ),
            {"s": same_here, "q": question, "b": ids["Acme"], "v": ADVOCACY_V},
        )
    recompute_metrics(engine)
    with engine.connect() as conn:
        metrics = conn.execute(
            text("SELECT mentions, rated, badvocacy, advocacy FROM brand_daily_metrics")
        ).one()
        assert tuple(metrics) == (3, 3, 2, 0)
        series = alert_store.daily_badvocacy(conn, DAY, DAY + timedelta(days=1))
        assert series == {ids["Acme"]: [(DAY, 2, 3)]}
        labelled = conn.execute(
            text(
                "SELECT post_id, inherited, inherited_from_post_id, advocacy,"
                " advocacy_probability, sentiment, sentiment_probability"
                " FROM analytics.int_brand_mentions_labelled ORDER BY post_id"
            )
        ).all()
        assert [tuple(r) for r in labelled] == [
            (root, False, None, "badvocacy", 0.9, "negative", 0.9),
            (same_here, True, root, "badvocacy", 0.77, "negative", 0.9),
            (question, True, root, "none", 0.6, "neutral", 0.9),
        ]
        assert conn.execute(
            text(
                "SELECT label_probability FROM analytics.stg_classifications WHERE post_id = :p"
                " AND task = 'advocacy'"
            ),
            {"p": same_here},
        ).scalar_one() == pytest.approx(0.77)
        mentions = conn.execute(
            text("SELECT post_id, inherited FROM analytics.stg_brand_mentions ORDER BY post_id")
        ).all()
        assert [tuple(r) for r in mentions] == [(root, False), (same_here, True), (question, True)]
        conversation = conn.execute(
            text(
                "SELECT post_id, names_brand, inherited, advocacy, advocacy_probability"
                " FROM analytics.thread_conversations ORDER BY created_at"
            )
        ).all()
        assert [tuple(r) for r in conversation] == [
            (root, True, False, "badvocacy", 0.9),
            (same_here, False, True, "badvocacy", 0.77),
            (question, False, True, "none", 0.6),
        ]
        thread = conn.execute(
            text(
                "SELECT thread_id, badvocacy_posts, inherited_badvocacy_posts, rated_posts"
                " FROM analytics.badvocacy_threads"
            )
        ).one()
        assert tuple(thread) == ("r", 2, 1, 3)


# --- the classify stage ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def models() -> classify.Models:
    return classify.load_models(Settings(sentiment_model="default", advocacy_model="default"))


def test_classify_reads_the_ancestor_that_names_the_brand_as_context(
    tmp_path: Path,
    engine: Engine,
    settings: Settings,
    watchlist: Watchlist,
    models: classify.Models,
) -> None:
    root_text = "Globex lost my bag and Acme Air found it. Never flying Globex again."
    load(
        tmp_path,
        "c.jsonl",
        [post("1", root_text), post("2", "same here", "1"), post("3", "what a mess", "2")],
        watchlist,
        engine,
        settings,
    )
    # A reply loaded before the step existed (or by an older loader) is caught by classify.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM post_brands WHERE inherited"))
    assert inherited(engine) == []
    assert sum(n for *_, n in classify.count_pending(engine, models, None, None)) == 3
    assert [(sid, brand) for sid, brand, *_ in inherited(engine)] == [
        ("2", "Acme Air"),
        ("2", "Globex Airlines"),
        ("3", "Acme Air"),
        ("3", "Globex Airlines"),
    ]
    items = {
        i.post_id: i
        for i in pending_work(
            engine,
            since=None,
            until=None,
            sentiment_version=models.sentiment.version,
            advocacy_version=models.advocacy.version,
        )
    }
    with engine.connect() as conn:
        pid = dict(conn.execute(text("SELECT source_id, id FROM posts")).all())
    acme, globex = root_text.index("Acme Air"), root_text.index("Globex")
    for sid in ("2", "3"):  # the reply to the reply reads the root too: it names the brands
        inputs = dict(classify._advocacy_inputs(items[pid[sid]]))
        assert {type(v).__name__ for v in inputs.values()} == {"AdvocacyInput"}
        by_brand = {inp.brand: inp for inp in inputs.values()}  # type: ignore[attr-defined]
        assert set(by_brand) == {"Acme Air", "Globex Airlines"}
        a = by_brand["Acme Air"]
        assert (a.context, a.start, a.end) == (root_text, None, None)
        assert a.context_spans == ((acme, acme + len("Acme Air")),)
        assert a.context_other_spans == ((root_text.index("Globex"), globex + len("Globex")),)
        g = by_brand["Globex Airlines"]
        assert g.context_spans == ((globex, globex + len("Globex")),)
        assert g.context_other_spans == ((acme, acme + len("Acme Air")),)
    root_inputs = classify._advocacy_inputs(items[pid["1"]])
    assert all(inp.context is None for _, inp in root_inputs)  # type: ignore[attr-defined]


VOLTERA = """
brands:
  - name: Voltera
    aliases: ["voltera"]
"""
PARENT = "My Voltera Aero battery swelled after two months and support ghosted me. Avoid Voltera."
THREAD = [
    post("1", PARENT),
    post("2", "same here, mine swelled too", "1"),
    post("3", "Weird, mine has been flawless for three years and I would buy it again.", "1"),
    post("4", "Which model year is yours?", "1"),
    post("5", "don't buy one, they never refund", "2"),
]


@pytest.fixture(scope="module")
def labelled_thread(
    database_factory: Callable[[], URL],
    tmp_path_factory: pytest.TempPathFactory,
    models: classify.Models,
) -> Iterator[dict[str, tuple[str | None, bool, str | None]]]:
    """The thread loaded and classified once: source_id -> (advocacy, inherited, from)."""
    engine = make_engine(url=migrate_database(database_factory()))
    folder = tmp_path_factory.mktemp("thread")
    settings = Settings(data_dir=folder, author_hash_key="test-key-0123456789abcdef")
    try:
        path = write_jsonl(folder / "thread.jsonl", THREAD)
        watchlist = Watchlist.from_yaml_text(VOLTERA)
        pipeline.collect_file(path, watchlist, engine, settings, now=NOW)
        classify.classify(engine, settings, models=models)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT m.source_id, m.advocacy, m.inherited, a.source_id
                    FROM analytics.int_brand_mentions_labelled m
                    LEFT JOIN posts a ON a.id = m.inherited_from_post_id
                    """
                )
            ).all()
        yield {sid: (label, inh, src) for sid, label, inh, src in rows}
    finally:
        engine.dispose()


def test_a_reply_agreeing_with_a_badvocacy_post_is_badvocacy(labelled_thread) -> None:
    assert labelled_thread["1"] == ("badvocacy", False, None)
    assert labelled_thread["2"] == ("badvocacy", True, "1")


@pytest.mark.xfail(
    strict=True,
    reason="known limitation (model card): a long defence under a badvocacy parent is still "
    "pulled toward the parent's stance; short ones pass (tests/unit/nlp)",
)
def test_a_reply_defending_the_brand_is_advocacy(labelled_thread) -> None:
    assert labelled_thread["3"] == ("advocacy", True, "1")


def test_a_question_in_reply_is_none(labelled_thread) -> None:
    assert labelled_thread["4"] == ("none", True, "1")


def test_a_reply_to_a_reply_inherits_through_the_chain(labelled_thread) -> None:
    assert labelled_thread["5"] == ("badvocacy", True, "1")


# --- the incremental pass (thread_queue, migration 0010) --------------------------------------


def full_pass(engine: Engine) -> InheritStats:
    with engine.begin() as conn:
        return threads.inherit_thread_mentions(conn, full=True)


def test_the_incremental_pass_leaves_what_a_full_pass_would(engine: Engine) -> None:
    """Random threads arrive in shuffled batches (replies before their parents, middles of
    chains late), then mentions are removed, added and posts deleted; after each step the
    incremental pass must leave exactly the rows a full pass computes."""
    import random

    rng = random.Random(7)
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    posts: list[P] = []
    for t in range(12):
        names = [f"t{t}"]
        posts.append(
            P(at(DAY, 12), [rng.choice(["Acme", "Globex"])], source_id=f"t{t}", thread_id=f"t{t}")
        )
        for r in range(rng.randint(1, 7)):
            parent = rng.choice(names)
            sid = f"t{t}r{r}"
            names.append(sid)
            named = [rng.choice(["Acme", "Globex"])] if rng.random() < 0.2 else []
            posts.append(P(at(DAY, 13), named, source_id=sid, parent_id=parent, thread_id=f"t{t}"))
    rng.shuffle(posts)
    assert full_pass(engine) == InheritStats()  # the first pass on an empty warehouse is full

    def settled() -> None:
        inherit_thread_mentions(engine)
        before = inherited(engine)
        assert full_pass(engine) == InheritStats(), "the full pass found work left over"
        assert inherited(engine) == before

    for start in range(0, len(posts), 9):
        add_posts(engine, posts[start : start + 9], ids)
        settled()
    assert inherited(engine), "the seed must produce inherited mentions"
    with engine.begin() as conn:  # a root's mention removed: its replies lose their brand
        conn.execute(
            text(
                "DELETE FROM post_brands WHERE NOT inherited AND post_id ="
                " (SELECT id FROM posts WHERE source_id = 't0')"
            )
        )
    settled()
    with engine.begin() as conn:  # a reply names a brand now: those below it follow it
        conn.execute(
            text(
                "INSERT INTO post_brands (post_id, brand_id) SELECT p.id, :b FROM posts p"
                " WHERE p.source_id = 't1r0'"
                " ON CONFLICT (post_id, brand_id) DO UPDATE SET inherited = false,"
                " inherited_from_post_id = NULL"
            ),
            {"b": ids["Globex"]},
        )
    settled()
    with engine.begin() as conn:  # a middle post deleted: the chain below it is broken
        conn.execute(text("DELETE FROM posts WHERE source_id IN ('t2r0', 't3r1')"))
    settled()


def test_a_pass_with_nothing_queued_reads_nothing(engine: Engine) -> None:
    ids = add_brands(engine, {"Acme": [], "Globex": []})
    add_posts(engine, [reply("r", None, ("Acme",)), reply("a1", "r")], ids)
    assert inherit_thread_mentions(engine) == InheritStats(added=1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM thread_queue")).scalar_one() == 0
    assert inherit_thread_mentions(engine) == InheritStats()
