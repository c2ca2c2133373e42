"""Test harness for collectors: a fake clock, a pipeline runner, a crash simulator.

Shared by the integration tests and the benchmark, so that both drive the collectors exactly
as ``grapevine collect`` does (``build_collector`` + ``run_collector``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.sources import build_collector
from grapevine.stages.collect import CollectSummary, run_collector
from tests.fakes.corpus import WINDOW_END, WINDOW_START

SINCE, UNTIL = WINDOW_START, WINDOW_END
BRANDS_YAML = """
brands:
  - name: Acme Air
    aliases: ["acme air", "acmeair", "#acmeair"]
    query: '("acme air" OR acmeair) AND NOT "air fryer"'
"""


@dataclass
class FakeClock:
    """``time.time`` and ``time.sleep`` stand-ins: sleeping advances time, and is recorded."""

    now: float = 1_900_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Runner:
    """Builds a collector for a fake server and runs it through the real pipeline."""

    engine: Engine
    settings: Settings
    watchlist: Watchlist
    pseudo: Pseudonymiser
    clock: FakeClock
    page_size: int = 4  # X clamps to its minimum of 10
    last: Any = None

    def configure(self, **updates: Any) -> None:
        self.settings = self.settings.model_copy(update=updates)

    def collector(self, source: str) -> Any:
        self.last = build_collector(
            source,
            self.settings,
            self.pseudo,
            sleep=self.clock.sleep,
            now=self.clock.time,
            page_size=self.page_size,
        )
        return self.last

    def run(
        self,
        source: str,
        since: datetime | None = SINCE,
        until: datetime | None = UNTIL,
        wrap: Callable[[Any], Any] | None = None,
    ) -> CollectSummary:
        collector = self.collector(source)
        if wrap is not None:
            collector = wrap(collector)
        return run_collector(
            collector, self.watchlist, self.engine, self.settings, since=since, until=until
        )

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def post_count(self, source: str) -> int:
        return int(self.scalar("SELECT count(*) FROM posts WHERE source = :s", s=source))

    def source_ids(self, source: str) -> set[str]:
        return {r[0] for r in self.rows("SELECT source_id FROM posts WHERE source = :s", s=source)}

    def cursor(self, source: str, scope: str) -> dict[str, Any] | None:
        found = self.rows(
            "SELECT cursor FROM collector_state WHERE source = :s AND scope = :c", s=source, c=scope
        )
        return found[0][0] if found else None

    def quarantine(self, source: str) -> list[Any]:
        return self.rows(
            "SELECT error, source_id, payload FROM quarantine WHERE source = :s ORDER BY id",
            s=source,
        )


class CrashAfter:
    """Wraps a collector and raises after ``pages`` pages, like a worker killed mid-run."""

    def __init__(self, inner: Any, pages: int) -> None:
        self.inner = inner
        self.source = inner.source
        self.pages = pages

    def collect(self, *args: Any) -> Any:
        for n, page in enumerate(self.inner.collect(*args), start=1):
            yield page
            if n >= self.pages:
                raise RuntimeError("simulated crash")
