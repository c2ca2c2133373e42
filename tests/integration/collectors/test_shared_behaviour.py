"""What every collector must do, checked for each source against its fake API.

Each test runs the real SDK (praw, tweepy, atproto, Mastodon.py, requests) against a fake
server on 127.0.0.1, through ``grapevine.stages.collect.run_collector`` into the test warehouse, and
asserts what a user would see: rows in ``posts``, rows in ``quarantine`` with their reasons,
cursors in ``collector_state``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes import Fault
from tests.fakes.cases import CASES, Case
from tests.fakes.corpus import WINDOW_END, WINDOW_START, Corpus, drop
from tests.fakes.harness import CrashAfter, Runner
from tests.fakes.server import FakeServer

pytestmark = pytest.mark.integration

N_DOCS = 24


@pytest.fixture(params=CASES, ids=str)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture
def corpus() -> Corpus:
    return Corpus.generate(N_DOCS, WINDOW_START, WINDOW_END, reply_every=2)


@pytest.fixture
def server(case: Case, corpus: Corpus) -> Iterator[FakeServer]:
    with case.fake(corpus).running() as srv:
        yield srv


@pytest.fixture
def run(runner: Runner, case: Case, server: FakeServer) -> Runner:
    runner.configure(**case.settings(server.url))
    return runner


def test_collects_every_page_into_the_warehouse(run: Runner, case: Case, server: FakeServer):
    summary = run.run(case.source)

    assert run.post_count(case.source) == N_DOCS
    assert summary.loaded == N_DOCS
    assert len(server.requests_to(case.path)) >= 3  # it really paged
    assert run.quarantine(case.source) == []
    cursor = run.cursor(case.source, case.scope(server))
    assert cursor is not None and cursor["sweep"] is None
    assert cursor["high_water"].startswith("2026-03-01T2")  # the newest post (search hit)
    # Authors are pseudonymised: a stable key, no handle stored by default.
    rows = run.rows(
        "SELECT author_key, author_handle, raw::text FROM posts WHERE source = :s", s=case.source
    )
    assert all(key and len(key) == 32 and handle is None for key, handle, _ in rows)
    assert not any('"user1"' in raw for _, _, raw in rows)


def test_rerunning_the_window_adds_no_rows(run: Runner, case: Case, server: FakeServer):
    run.run(case.source)
    first = run.source_ids(case.source)
    before = len(server.requests_to(case.path))

    summary = run.run(case.source)

    assert run.source_ids(case.source) == first
    assert summary.stats.inserted == 0
    # The high-water mark narrows the rerun to what is newer than the last run's newest post.
    assert len(server.requests_to(case.path)) - before <= 2


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=429, headers={"Retry-After": "7"}),
        Fault(status=500),
        Fault(status=503, headers={"Retry-After": "3"}),
        Fault(delay=3.0),  # over the 1.5 s client timeout (0.25 s flaked under load)
        Fault(truncate=True),
    ],
    ids=["429-retry-after", "500", "503", "timeout", "truncated-json"],
)
def test_transient_failure_then_success(run: Runner, case: Case, server: FakeServer, fault: Fault):
    server.fail(case.path, fault)

    run.run(case.source)

    assert run.post_count(case.source) == N_DOCS
    assert run.quarantine(case.source) == []
    assert run.clock.sleeps, "the failure must have been retried after a back-off"
    told = fault.headers.get("Retry-After")
    if told:
        assert max(run.clock.sleeps) >= float(told)


def test_a_page_that_stays_truncated_is_quarantined(run: Runner, case: Case, server: FakeServer):
    server.fail(case.path, *[Fault(truncate=True)] * run.settings.request_max_attempts)

    run.run(case.source)

    problems = run.quarantine(case.source)
    assert len(problems) == 1
    assert "invalid JSON" in problems[0].error
    # Nothing committed for that stream, so its cursor did not move: the next run re-fetches.
    cursor = run.cursor(case.source, case.scope(server))
    assert cursor is None or (cursor.get("sweep") is None and cursor.get("high_water") is None)


def test_a_server_that_keeps_failing_fails_the_source_loudly(
    run: Runner, case: Case, server: FakeServer
):
    server.fail(case.path, *[Fault(status=502)] * run.settings.request_max_attempts)

    with pytest.raises(Exception, match="502"):
        run.run(case.source)
    assert len(run.clock.sleeps) >= run.settings.request_max_attempts - 1


def test_an_item_with_missing_fields_is_quarantined_and_the_page_loads(
    run: Runner, case: Case, corpus: Corpus, server: FakeServer
):
    # A reply: a Reddit submission without a date would also lose its (unfetched) replies.
    victim = next(d for d in corpus.docs[2:] if d.parent)
    corpus.mutate[victim.id] = drop(case.required)

    run.run(case.source)

    assert run.post_count(case.source) == N_DOCS - 1
    [problem] = run.quarantine(case.source)
    assert case.required.rsplit(".", 1)[-1] in problem.error
    assert problem.payload  # the item as received, for a human to look at


def test_crash_mid_run_keeps_committed_pages_and_resumes(
    run: Runner, case: Case, server: FakeServer
):
    with pytest.raises(RuntimeError, match="simulated crash"):
        run.run(case.source, wrap=lambda c: CrashAfter(c, pages=1))
    committed = run.post_count(case.source)
    assert 0 < committed < N_DOCS
    cursor = run.cursor(case.source, case.scope(server))
    assert cursor is not None and cursor["sweep"] is not None
    first_request = server.requests_to(case.path)[0]
    crash_requests = len(server.requests_to(case.path))

    summary = run.run(case.source)

    assert run.post_count(case.source) == N_DOCS
    assert summary.stats.inserted == N_DOCS - committed  # nothing lost, nothing doubled
    resumed = server.requests_to(case.path)[crash_requests]
    assert resumed.args != first_request.args  # it did not start again from the newest page
    assert run.cursor(case.source, case.scope(server))["sweep"] is None


def test_request_budget_stops_the_run_and_the_next_run_resumes(
    run: Runner, case: Case, server: FakeServer
):
    run.configure(request_budget=2)
    run.run(case.source)
    assert run.last.budget_exhausted
    partial = run.post_count(case.source)
    assert partial < N_DOCS

    run.configure(request_budget=1000)
    run.run(case.source)

    assert run.post_count(case.source) == N_DOCS
