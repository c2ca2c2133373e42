"""Behaviour particular to one source: thread structure, deleted content, cursors, headers."""

from __future__ import annotations

import pytest

from grapevine.core.errors import CollectorError
from tests.fakes import FakeBluesky, FakeHackerNews, FakeMastodon, FakeReddit, FakeX
from tests.fakes.cases import CASES
from tests.fakes.corpus import WINDOW_END, WINDOW_START, Corpus, Doc
from tests.fakes.harness import Runner
from tests.fakes.mastodon import TOKEN as MASTODON_TOKEN
from tests.fakes.reddit import b36
from tests.fakes.x import ID_BASE

pytestmark = pytest.mark.integration
SETTINGS = {c.source: c.settings for c in CASES}


def corpus(n: int = 12, reply_every: int = 3) -> Corpus:
    return Corpus.generate(n, WINDOW_START, WINDOW_END, reply_every=reply_every)


# --- Reddit -----------------------------------------------------------------------------------


def test_reddit_keeps_threads_and_drops_deleted_comments(runner: Runner):
    docs = corpus()
    submission = next(d for d in docs.docs if d.parent is None and d.replies)
    reply = next(d for d in docs.docs if d.parent == submission.id)
    deleted_reply = next(d for d in docs.docs if d.parent is not None and d is not reply)
    deleted_reply.deleted = True
    removed = next(d for d in docs.docs if d.parent is None and d is not submission)
    removed.deleted = True
    with FakeReddit(docs).running() as srv:
        runner.configure(**SETTINGS["reddit"](srv.url))
        runner.run("reddit")

    rows = {
        r.source_id: r
        for r in runner.rows(
            "SELECT source_id, parent_id, thread_id, text, author_key, replies, "
            "url, raw->>'subreddit' AS subreddit FROM posts"
        )
    }
    got = rows[b36(reply.id)]
    assert (got.parent_id, got.thread_id) == (b36(submission.id), b36(submission.id))
    assert rows[b36(submission.id)].replies == submission.replies
    assert rows[b36(submission.id)].subreddit == "travel"
    assert rows[b36(submission.id)].url.startswith("https://www.reddit.com/r/travel/comments/")
    assert b36(deleted_reply.id) not in rows  # "[deleted]" says nothing about any brand
    # A removed submission keeps its title, but no author.
    assert rows[b36(removed.id)].text == removed.text
    assert rows[b36(removed.id)].author_key is None
    assert len(rows) == len(docs.docs) - 1


def test_reddit_waits_for_the_rate_limit_reset(runner: Runner):
    docs = corpus()

    class Throttled(FakeReddit):
        def rate_headers(self, n: int) -> dict[str, str]:
            remaining = "0.0" if n == 1 else "500.0"
            return {
                "x-ratelimit-remaining": remaining,
                "x-ratelimit-used": str(n),
                "x-ratelimit-reset": "42",
            }

    with Throttled(docs).running() as srv:
        runner.configure(**SETTINGS["reddit"](srv.url))
        runner.run("reddit")
    assert 42.0 in runner.clock.sleeps
    assert runner.post_count("reddit") == len(docs.docs)


def test_reddit_subreddit_comments_stream(runner: Runner):
    docs = corpus()
    with FakeReddit(docs).running() as srv:
        runner.configure(
            **SETTINGS["reddit"](srv.url),
            reddit_subreddits=["travel", "flying"],
            reddit_replies=False,
        )
        runner.run("reddit")
        paths = {r.path for r in srv.log}
    assert "/r/travel+flying/search" in paths and "/r/travel+flying/comments" in paths
    assert runner.post_count("reddit") == len(docs.docs)
    assert runner.cursor("reddit", "comments@r/travel+flying")["sweep"] is None


# --- X ----------------------------------------------------------------------------------------


def test_x_skips_retweets_keeps_quotes_and_counts_followers(runner: Runner):
    docs = corpus(reply_every=0)
    original = docs.docs[-1]
    docs.add(
        Doc(
            id=100,
            created=WINDOW_START.replace(hour=5),
            text=original.text,
            author="user9",
            author_id="00000009",
            retweet_of=original.id,
        )
    )
    quote = docs.docs[0]
    docs.mutate[quote.id] = lambda t: {
        **t,
        "referenced_tweets": [{"type": "quoted", "id": str(ID_BASE + original.id)}],
    }
    with FakeX(docs).running() as srv:
        runner.configure(**SETTINGS["x"](srv.url))
        runner.run("x")
    ids = runner.source_ids("x")
    assert str(ID_BASE + 100) not in ids
    assert str(ID_BASE + quote.id) in ids
    followers = runner.scalar(
        "SELECT author_followers FROM posts WHERE source_id = :i", i=str(ID_BASE + quote.id)
    )
    assert followers == quote.followers


def test_x_next_run_asks_only_for_newer_tweets_with_since_id(runner: Runner):
    docs = corpus()
    with FakeX(docs).running() as srv:
        runner.configure(**SETTINGS["x"](srv.url))
        runner.run("x")
        newest = max(runner.source_ids("x"), key=int)
        assert runner.cursor("x", "acme-air")["high_water_id"] == newest
        docs.add(
            Doc(
                id=500,
                created=WINDOW_END.replace(hour=1),
                text="acme air again",
                author="user3",
                author_id="00000003",
            )
        )
        runner.run("x", since=WINDOW_START, until=WINDOW_END.replace(hour=6))
        last = srv.requests_to("/2/tweets/search/recent")[-1]
    assert last.args["since_id"] == newest
    assert "start_time" not in last.args
    assert str(ID_BASE + 500) in runner.source_ids("x")


def test_x_waits_until_the_rate_limit_resets(runner: Runner):
    docs = corpus()
    with FakeX(docs).running() as srv:
        srv.remaining = 1  # the first answer says 0 left
        srv.reset_at = int(runner.clock.now) + 60
        runner.configure(**SETTINGS["x"](srv.url))
        runner.run("x")
    assert any(59 <= s <= 61 for s in runner.clock.sleeps)
    assert runner.post_count("x") == len(docs.docs)


# --- Bluesky ----------------------------------------------------------------------------------


def test_bluesky_keeps_reply_parents_and_honours_ratelimit_headers(runner: Runner):
    docs = corpus()
    reply = next(d for d in docs.docs if d.parent)
    with FakeBluesky(docs).running() as srv:
        srv.rate_remaining = 0
        srv.rate_reset = int(runner.clock.now) + 30
        runner.configure(**SETTINGS["bluesky"](srv.url))
        runner.run("bluesky")
    row = runner.rows(
        "SELECT parent_id, thread_id, url FROM posts WHERE source_id LIKE :u",
        u=f"%/3k{reply.id:011d}",
    )[0]
    assert row.parent_id.endswith(f"/3k{reply.parent:011d}")
    assert row.thread_id.endswith(f"/3k{reply.root:011d}")
    assert row.url is None  # bsky.app has no permalink without the author's DID (#12)
    assert any(29 <= s <= 31 for s in runner.clock.sleeps)


def test_bluesky_wrong_app_password_fails_loudly(runner: Runner):
    with FakeBluesky(corpus()).running() as srv:
        runner.configure(**{**SETTINGS["bluesky"](srv.url), "bluesky_app_password": "wrong"})
        with pytest.raises(CollectorError, match="bluesky"):
            runner.run("bluesky")
    assert runner.post_count("bluesky") == 0


# --- Mastodon ---------------------------------------------------------------------------------


def test_mastodon_dedupes_a_status_seen_on_two_instances_and_searches(runner: Runner):
    docs = corpus()
    docs.docs[0].deleted = True  # content gone: nothing to store
    one = FakeMastodon(docs)
    with one.running(), FakeMastodon(docs, origin=one).running() as two:
        runner.configure(
            mastodon_instances=[one.url, two.url], mastodon_access_token=MASTODON_TOKEN
        )
        summary = runner.run("mastodon")
        assert one.requests_to("/api/v2/search") and two.requests_to("/api/v2/search")
    assert runner.post_count("mastodon") == len(docs.docs) - 1
    assert summary.read > 2 * (len(docs.docs) - 1)  # read from both instances and both streams


def test_mastodon_waits_for_an_iso_reset(runner: Runner):
    from datetime import UTC, datetime

    docs = corpus()
    with FakeMastodon(docs).running() as srv:
        srv.rate_remaining = 0
        srv.rate_reset = datetime.fromtimestamp(runner.clock.now + 90, UTC).isoformat()
        runner.configure(**SETTINGS["mastodon"](srv.url))
        runner.run("mastodon")
    assert any(89 <= s <= 91 for s in runner.clock.sleeps)


# --- Hacker News ------------------------------------------------------------------------------


def test_hackernews_narrows_the_window_past_algolias_hit_cap(runner: Runner):
    docs = corpus(n=30)
    victim = next(d for d in docs.docs if d.parent)
    victim.deleted = True
    with FakeHackerNews(docs, pagination_limit=8).running() as srv:
        runner.configure(**SETTINGS["hackernews"](srv.url))
        runner.run("hackernews")
        narrowed = {r.args["numericFilters"] for r in srv.requests_to("search_by_date")}
    assert len(narrowed) > 2  # the upper edge moved several times
    assert runner.post_count("hackernews") == len(docs.docs) - 1
    story = next(d for d in docs.docs if d.parent is None and d.replies)
    kid = next(d for d in docs.docs if d.parent == story.id and not d.deleted)
    row = runner.rows(
        "SELECT parent_id, thread_id, score FROM posts WHERE source_id = :i", i=str(kid.id)
    )[0]
    assert (row.parent_id, row.thread_id) == (str(story.id), str(story.id))
