"""Fixtures for the collector integration tests: fake clock, watchlist, pipeline runner.

Back-off and rate-limit waits go through :class:`~tests.fakes.harness.FakeClock`, which records
each wait and moves its time forward instead of sleeping, so the whole suite runs the real
retry policy in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # ``tests.fakes`` is imported by path, whatever the runner's cwd
    sys.path.insert(0, str(ROOT))

from grapevine.core.privacy import Pseudonymiser  # noqa: E402
from grapevine.core.settings import Settings  # noqa: E402
from grapevine.core.watchlist import Watchlist  # noqa: E402
from tests.fakes.harness import BRANDS_YAML, FakeClock, Runner  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def watchlist() -> Watchlist:
    return Watchlist.from_yaml_text(BRANDS_YAML)


@pytest.fixture
def pseudo() -> Pseudonymiser:
    return Pseudonymiser(b"test-key-0123456789abcdef")


@pytest.fixture
def runner(
    engine: Engine,
    settings: Settings,
    watchlist: Watchlist,
    pseudo: Pseudonymiser,
    clock: FakeClock,
) -> Runner:
    fast = settings.model_copy(update={"request_timeout_s": 1.5, "request_backoff_s": 0.5})
    return Runner(engine, fast, watchlist, pseudo, clock)
