"""Loading into the real Postgres: idempotence, edits, quarantine, hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.stages import collect as pipeline

pytestmark = pytest.mark.integration

BRANDS = """
brands:
  - name: Acme Air
    aliases: ["acme air", "acmeair", "@acmeair", "#acmeair"]
    query: '("acme air" OR acmeair) AND NOT "air fryer"'
    owned_handles: ["acmeair"]
    competitors: ["Globex Airlines"]
  - name: Globex Airlines
    aliases: ["globex"]
    competitors: ["Acme Air"]
"""
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def watchlist() -> Watchlist:
    return Watchlist.from_yaml_text(BRANDS)


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


def post(i: int, text_: str, **extra: object) -> dict:
    return {
        "id": str(i),
        "text": text_,
        "created_at": f"2026-10-{1 + i % 28:02d}T10:00:00Z",
        **extra,
    }


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Everything a reload could change, ignoring nothing but ordering."""
    with engine.connect() as conn:
        return {
            "posts": conn.execute(
                text(
                    "SELECT id, source, source_id, text, raw, content_hash, updated_at"
                    " FROM posts ORDER BY id"
                )
            ).all(),
            "post_brands": conn.execute(text("SELECT * FROM post_brands ORDER BY 1, 2")).all(),
            "quarantine": conn.execute(
                text("SELECT id, line_no, error FROM quarantine ORDER BY id")
            ).all(),
            "brands": conn.execute(
                text("SELECT id, name, updated_at FROM brands ORDER BY id")
            ).all(),
        }


def load(path: Path, watchlist: Watchlist, engine: Engine, settings: Settings, **kw: object):
    return pipeline.collect_file(path, watchlist, engine, settings, now=NOW, **kw)  # type: ignore[arg-type]


def test_reloading_the_same_file_changes_nothing(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    records: list[dict | str] = [post(i, f"Acme Air flight {i} was fine") for i in range(300)]
    records += [post(1000 + i, f"globex delay #{i}") for i in range(200)]
    records += [post(2000, "no brand here"), "{oops", post(2001, "acme air fryer")]
    path = write_jsonl(tmp_path / "posts.jsonl", records)

    first = load(path, watchlist, engine, settings)
    assert (first.read, first.matched, first.loaded, first.quarantined) == (503, 500, 500, 1)
    before = snapshot(engine)
    second = load(path, watchlist, engine, settings)
    assert (second.loaded, second.duplicates, second.quarantined) == (0, 500, 1)
    assert snapshot(engine) == before


def test_small_batches_give_the_same_rows_as_one_batch(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [post(i, f"globex {i}") for i in range(50)])
    small = settings.model_copy(update={"load_batch_size": 7})
    summary = load(path, watchlist, engine, small)
    assert summary.loaded == 50
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM post_brands")).scalar_one() == 50


def test_an_edit_updates_the_row_and_its_mentions(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    load(
        write_jsonl(tmp_path / "a.jsonl", [post(1, "Acme Air and Globex both late")]),
        watchlist,
        engine,
        settings,
    )
    edited = load(
        write_jsonl(tmp_path / "b.jsonl", [post(1, "Actually only Globex was late", likes=4)]),
        watchlist,
        engine,
        settings,
    )
    assert (edited.stats.inserted, edited.stats.updated) == (0, 1)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT text, likes FROM posts")).one()
        brands = (
            conn.execute(
                text("SELECT b.name FROM post_brands pb JOIN brands b ON b.id = pb.brand_id")
            )
            .scalars()
            .all()
        )
    assert row == ("Actually only Globex was late", 4)
    assert brands == ["Globex Airlines"]


def test_duplicate_ids_in_one_file_keep_the_last_version(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [post(1, "globex v1"), post(1, "globex v2")])
    summary = load(path, watchlist, engine, settings)
    assert (summary.loaded, summary.duplicates) == (1, 1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM posts")).scalar_one() == "globex v2"


def test_brand_owned_posts_are_marked(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = write_jsonl(
        tmp_path / "o.jsonl",
        [post(1, "Sale on #acmeair", author="@AcmeAir"), post(2, "acme air rocks", author="fan")],
    )
    load(path, watchlist, engine, settings)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.source_id, p.is_c2c, pb.brand_owned, p.author_handle, p.raw->>'author'"
                " FROM posts p JOIN post_brands pb ON pb.post_id = p.id ORDER BY 1"
            )
        ).all()
    assert rows == [("1", False, True, None, "[redacted]"), ("2", True, False, None, "[redacted]")]


def test_handles_are_stored_only_when_allowed(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = write_jsonl(tmp_path / "h.jsonl", [post(1, "globex", author="@fan")])
    load(path, watchlist, engine, settings.model_copy(update={"store_author_handles": True}))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT author_handle, raw->>'author' FROM posts")).one() == (
            "fan",
            "@fan",
        )


def test_hostile_input_loads_what_it_can(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = tmp_path / "hostile.jsonl"
    lines = [
        json.dumps(post(1, "globex \u0000 with NUL")).encode(),
        json.dumps(post(2, "globex " + "x" * 1_048_576)).encode(),  # a 1 MB "post"
        b'{"id": "3", "text": "globex \xff\xfe bad bytes", "created_at": "2026-10-01"}',
        b'{"id": "4", "text": "globex broken',
        json.dumps(post(5, 12345)).encode(),
        json.dumps(
            {"id": "6", "text": "globex future", "created_at": "2099-01-01T00:00:00Z"}
        ).encode(),
        json.dumps(post(7, "globex lone surrogate \ud800 here")).encode(),
        json.dumps(post(8, "globex 👩‍👩‍👧 Ünïcödé ｆｕｌｌ ｗｉｄｔｈ ‮rtl")).encode(),
        json.dumps([1, 2, 3]).encode(),
        json.dumps(post(9, "globex ok", likes="many")).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = load(path, watchlist, engine, settings)
    assert (summary.loaded, summary.quarantined) == (3, 7)
    with engine.connect() as conn:
        texts = dict(conn.execute(text("SELECT source_id, text FROM posts")).all())
        reasons = dict(conn.execute(text("SELECT line_no, error FROM quarantine")).all())
    assert texts["1"] == "globex  with NUL"
    assert texts["7"] == "globex lone surrogate \ufffd here"
    assert "👩‍👩‍👧" in texts["8"]
    assert "over the" in reasons[2]
    assert "UTF-8" in reasons[3]
    assert "invalid JSON" in reasons[4]
    assert "text must be a string" in reasons[5]
    assert "future" in reasons[6]
    assert "JSON object" in reasons[9]
    assert "likes" in reasons[10]


def test_csv_import(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "id,text,created_at,author,likes\n"
        '1,"Globex, again: ""late""",2026-10-01T10:00:00Z,ann,3\n'
        "2,acme air was fine,2026-10-02,bob,\n"
        "3,globex,not-a-date,carl,1\n",
        encoding="utf-8",
    )
    summary = load(path, watchlist, engine, settings)
    assert (summary.loaded, summary.quarantined) == (2, 1)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT text FROM posts WHERE source_id = '1'")).scalar_one()
            == 'Globex, again: "late"'
        )


def test_window_filters_posts(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = write_jsonl(tmp_path / "w.jsonl", [post(i, "globex") for i in range(28)])
    summary = load(
        path,
        watchlist,
        engine,
        settings,
        since=datetime(2026, 10, 5, tzinfo=UTC),
        until=datetime(2026, 10, 8, tzinfo=UTC),
    )
    assert summary.loaded == 3


def test_mentions_view_counts_c2c_only(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    path = write_jsonl(
        tmp_path / "v.jsonl",
        [
            post(1, "acme air rocks", author="a"),
            post(29, "acme air ok", author="b"),  # same day as id 1
            post(57, "acme air meh", author="a"),  # same day and author again
            post(85, "Sale! #acmeair", author="acmeair"),
        ],
    )
    load(path, watchlist, engine, settings)
    from warehouse.readouts import mentions_by_day

    with engine.connect() as conn:
        rows = mentions_by_day(conn)
    assert [(r.brand, r.mentions, r.c2c_mentions, r.unique_authors) for r in rows] == [
        ("Acme Air", 4, 3, 2)
    ]


def test_replies_in_a_watched_thread_are_kept_as_context(
    tmp_path: Path, engine: Engine, settings: Settings, watchlist: Watchlist
) -> None:
    first = write_jsonl(
        tmp_path / "t1.jsonl",
        [
            post(1, "Globex lost my bag, avoid"),  # a root without thread_id
            post(2, "same here, three times this year", parent_id="1"),
            post(3, "off-topic thread start"),
            post(4, "reply in an unwatched thread", parent_id="3"),
        ],
    )
    summary = load(first, watchlist, engine, settings)
    assert (summary.matched, summary.thread_replies, summary.loaded) == (1, 1, 2)
    # A later file: a reply to the stored thread, found through the warehouse.
    later = write_jsonl(
        tmp_path / "t2.jsonl",
        [post(5, "did they ever pay you back?", parent_id="2", thread_id="1")],
    )
    assert load(later, watchlist, engine, settings).thread_replies == 1
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.source_id, count(pb.brand_id) FILTER (WHERE NOT pb.inherited),"
                " count(pb.brand_id) FILTER (WHERE pb.inherited) FROM posts p"
                " LEFT JOIN post_brands pb ON pb.post_id = p.id GROUP BY 1 ORDER BY 1"
            )
        ).all()
    # the replies name no brand: they inherit the thread's (warehouse.threads)
    assert rows == [("1", 1, 0), ("2", 0, 1), ("5", 0, 1)]
    with engine.connect() as conn:
        conversation = conn.execute(
            text(
                "SELECT source_id, names_brand FROM analytics.thread_conversations"
                " WHERE brand = 'Globex Airlines' ORDER BY created_at, post_id"
            )
        ).all()
    assert conversation == [("1", True), ("2", False), ("5", False)]
    again = load(first, watchlist, engine, settings)
    assert (again.loaded, again.duplicates) == (0, 2)
