"""Bluesky and Mastodon posts are keyed without their authors, and their replies still link (#12).

The collectors run through their real clients against the fake servers; what they store is
searched for the authors' DIDs, handles and account names (everything but the post text, which
is what the author wrote). Migration 0007 rewrites rows stored under the old ids, so that the
next collect updates them instead of adding them a second time.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import text

from tests.fakes import FakeBluesky, FakeMastodon
from tests.fakes.bluesky import post_uri
from tests.fakes.cases import CASES
from tests.fakes.corpus import WINDOW_END, WINDOW_START, Corpus, Doc
from tests.fakes.harness import Runner
from tests.fakes.mastodon import status_id
from warehouse import migrate
from warehouse.threads import inherit_thread_mentions

SETTINGS = {c.source: c.settings for c in CASES}


def corpus() -> Corpus:
    return Corpus.generate(12, WINDOW_START, WINDOW_END, reply_every=3)


def without_text(value: Any) -> Any:
    """The payload less what the author wrote (the corpus's texts @-mention users)."""
    if isinstance(value, dict):
        return {k: without_text(v) for k, v in value.items() if k not in {"text", "content"}}
    if isinstance(value, list):
        return [without_text(v) for v in value]
    return value


def stored(runner: Runner, source: str) -> list[str]:
    """Every stored trace of each post but its text: ids, url, raw, the analyst view's row."""
    rows = runner.rows(
        "SELECT p.source_id, p.parent_id, p.thread_id, p.url, p.raw, to_jsonb(s) - 'text' AS stg"
        " FROM posts AS p JOIN analytics.stg_posts AS s ON s.post_id = p.id"
        " WHERE p.source = :s",
        s=source,
    )
    return [
        json.dumps([r.source_id, r.parent_id, r.thread_id, r.url, without_text(r.raw), r.stg])
        for r in rows
    ]


def ids_by_doc(runner: Runner, source: str, suffix: Any) -> dict[int, Any]:
    rows = runner.rows(
        "SELECT id, source_id, parent_id, thread_id FROM posts WHERE source = :s", s=source
    )
    return {
        d: next(r for r in rows if r.source_id.endswith(suffix(d)))
        for d in range(1, 13)
        if any(r.source_id.endswith(suffix(d)) for r in rows)
    }


def bluesky_suffix(d: int) -> str:
    return f"/3k{d:011d}"


def test_bluesky_ids_name_no_author_and_replies_link(runner: Runner):
    docs = corpus()
    with FakeBluesky(docs).running() as srv:
        runner.configure(**SETTINGS["bluesky"](srv.url))
        runner.run("bluesky")
    traces = stored(runner, "bluesky")
    assert len(traces) == len(docs.docs)
    for trace in traces:
        assert "did:" not in trace and "at://" not in trace and ".bsky.social" not in trace
    rows = ids_by_doc(runner, "bluesky", bluesky_suffix)
    replies = [d for d in docs.docs if d.parent]
    assert replies
    for d in replies:
        assert d.parent is not None and d.root is not None
        assert rows[d.id].parent_id == rows[d.parent].source_id
        assert rows[d.id].thread_id == rows[d.root].source_id
    top = next(d for d in docs.docs if d.parent is None)
    assert rows[top.id].thread_id == rows[top.id].source_id


def mastodon_suffix(d: int) -> str:
    return f"/{status_id(DOCS.by_id[d])}"


DOCS = corpus()


def assert_no_account_names(traces: list[str], docs: Corpus) -> None:
    names = {d.author for d in docs.docs}
    for trace in traces:
        found = set(re.findall(r"user\d+", trace)) & names
        assert not found and "/users/" not in trace and "/@" not in trace, trace


def test_mastodon_ids_name_no_account_and_replies_link_to_their_parent(runner: Runner):
    with FakeMastodon(DOCS).running() as srv:
        runner.configure(**SETTINGS["mastodon"](srv.url))
        runner.run("mastodon")
        host = srv.host
    traces = stored(runner, "mastodon")
    assert len(traces) == len(DOCS.docs)
    assert_no_account_names(traces, DOCS)
    rows = ids_by_doc(runner, "mastodon", mastodon_suffix)
    reply = next(d for d in DOCS.docs if d.parent)
    assert reply.parent is not None
    assert rows[reply.parent].source_id == f"{host}/{status_id(DOCS.by_id[reply.parent])}"
    assert rows[reply.id].parent_id == rows[reply.parent].source_id
    assert rows[reply.id].thread_id is None

    # A reply that names no brand inherits its parent's (warehouse.threads links by the ids).
    with runner.engine.begin() as conn:
        conn.execute(text("DELETE FROM post_brands WHERE post_id = :p"), {"p": rows[reply.id].id})
        inherit_thread_mentions(conn)
    inherited = runner.rows(
        "SELECT inherited_from_post_id FROM post_brands WHERE post_id = :p AND inherited",
        p=rows[reply.id].id,
    )
    assert [r.inherited_from_post_id for r in inherited] == [rows[reply.parent].id]


def test_mastodon_status_federated_to_two_instances_is_stored_once_without_names(
    runner: Runner,
):
    one = FakeMastodon(DOCS)
    with one.running(), FakeMastodon(DOCS, origin=one).running() as two:
        runner.configure(mastodon_instances=[two.url, one.url])
        runner.run("mastodon")
        host = one.host
    assert runner.post_count("mastodon") == len(DOCS.docs)
    assert_no_account_names(stored(runner, "mastodon"), DOCS)
    assert all(sid.startswith(f"{host}/") for sid in runner.source_ids("mastodon"))


# --- migration 0007 on what the previous collectors stored --------------------------------------


def old_bluesky_ids(d: Doc, docs: Corpus) -> dict[str, Any]:
    parent = docs.by_id[d.parent] if d.parent else None
    root = docs.by_id[d.root] if d.root else d
    return {
        "sid": post_uri(d),
        "parent": post_uri(parent) if parent else None,
        "thread": post_uri(root),
    }


def old_mastodon_ids(d: Doc, docs: Corpus, host: str) -> dict[str, Any]:
    uri = f"https://{host}/users/{d.author}/statuses/{status_id(d)}"
    parent = docs.by_id[d.parent] if d.parent else None
    return {
        "sid": uri,
        "parent": str(status_id(parent)) if parent else None,
        "thread": None if parent else uri,
    }


def back_to_0006(runner: Runner, source: str, old: dict[int, dict[str, Any]], suffix: Any) -> None:
    """Rewrite the rows as the collectors before 0007 stored them, and mark 0006 as current
    (after taking back the revisions after 0008, which add tables, not data rewrites)."""
    if migrate.current_revision(runner.engine) not in ("0006", "0008"):
        migrate.downgrade(runner.engine, "0008")
    rows = ids_by_doc(runner, source, suffix)
    with runner.engine.begin() as conn:
        for d, ids in old.items():
            conn.execute(
                text(
                    "UPDATE posts SET source_id = :sid, parent_id = :parent, thread_id = :thread"
                    " WHERE id = :id"
                ),
                {**ids, "id": rows[d].id},
            )
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))


def test_migration_0007_rewrites_old_ids_and_a_recollect_doubles_nothing(runner: Runner):
    docs = DOCS
    with FakeBluesky(docs).running() as bsky, FakeMastodon(docs).running() as masto:
        runner.configure(**SETTINGS["bluesky"](bsky.url), **SETTINGS["mastodon"](masto.url))
        runner.run("bluesky")
        runner.run("mastodon")
        new = {s: runner.source_ids(s) for s in ("bluesky", "mastodon")}
        links = runner.rows("SELECT source, source_id, parent_id, thread_id FROM posts")
        back_to_0006(
            runner, "bluesky", {d.id: old_bluesky_ids(d, docs) for d in docs.docs}, bluesky_suffix
        )
        back_to_0006(
            runner,
            "mastodon",
            {d.id: old_mastodon_ids(d, docs, masto.host) for d in docs.docs},
            mastodon_suffix,
        )
        assert not new["bluesky"] & runner.source_ids("bluesky")

        migrate.upgrade(runner.engine, settings=runner.settings)

        assert migrate.is_up_to_date(runner.engine)
        assert sorted(links) == sorted(
            runner.rows("SELECT source, source_id, parent_id, thread_id FROM posts")
        )
        with runner.engine.begin() as conn:  # read every page again
            conn.execute(text("DELETE FROM collector_state"))
        assert runner.run("bluesky").read and runner.run("mastodon").read
    for source in ("bluesky", "mastodon"):
        assert runner.source_ids(source) == new[source]
        assert runner.post_count(source) == len(docs.docs)
