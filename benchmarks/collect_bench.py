"""Collector throughput: page N items from each fake API through the real SDKs into Postgres.

    python benchmarks/collect_bench.py [--items 50000] [--sources reddit x ...]

For each source a fake server (the same ones the tests use) runs in a *separate process*, so
that rendering JSON does not compete with the collector for this process's GIL, as a remote
API would not. The collector runs exactly as ``grapevine collect`` does (``build_collector``
+ ``grapevine.stages.collect.run_collector``: parse, match the watchlist, COPY + upsert,
cursor) into a throw-away database created on ``GRAPEVINE_BENCH_DATABASE_URL`` (default: the
local server's ``postgres`` database) and dropped afterwards. It prints items/s per source.

The real ceiling is the APIs' rate limits (e.g. X: 450 requests x 100 tweets per 15 minutes =
50 items/s); the point here is that parsing and loading never become the bottleneck.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._db import bench_database  # noqa: E402
from grapevine.core.privacy import Pseudonymiser  # noqa: E402
from grapevine.core.settings import Settings  # noqa: E402
from grapevine.core.watchlist import Watchlist  # noqa: E402
from grapevine.sources import build_collector  # noqa: E402
from grapevine.stages.collect import run_collector  # noqa: E402
from tests.fakes.cases import CASES  # noqa: E402
from tests.fakes.corpus import WINDOW_END, WINDOW_START, Corpus  # noqa: E402
from tests.fakes.harness import BRANDS_YAML  # noqa: E402
from warehouse import migrate  # noqa: E402
from warehouse.engine import make_engine  # noqa: E402

#: The largest page each API serves (HN: Algolia's 1,000, which forces window narrowing).
PAGE_SIZES = {"reddit": 100, "x": 100, "bluesky": 100, "mastodon": 40, "hackernews": 1000}


def _serve(source: str, items: int, port_queue: Any, stop: Any) -> None:
    """Child process: build the corpus, serve it until told to stop."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    case = next(c for c in CASES if c.source == source)
    corpus = Corpus.generate(items, WINDOW_START, WINDOW_END)
    fake = case.fake(corpus)
    if hasattr(fake, "remaining"):
        # The fake X counts down a 450-request window; here we measure parsing and loading,
        # not how long a real rate-limit reset takes (the tests cover that).
        fake.remaining = 10**9
    server = fake.start()
    port_queue.put(server.url)
    stop.wait()
    server.stop()


def bench_source(source: str, items: int, db_url: str) -> tuple[int, float, int]:
    """(rows loaded, seconds, requests) for one source."""
    ctx = mp.get_context("fork")
    port_queue, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=_serve, args=(source, items, port_queue, stop), daemon=True)
    child.start()
    try:
        server_url = port_queue.get(timeout=300)
        case = next(c for c in CASES if c.source == source)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db_url,
            request_budget=1_000_000,
            **case.settings(server_url),
        )
        pseudo = Pseudonymiser(b"benchmark-key-0123456789")
        collector = build_collector(source, settings, pseudo, page_size=PAGE_SIZES[source])
        engine = make_engine(url=db_url)
        try:
            started = time.perf_counter()
            summary = run_collector(
                collector,
                Watchlist.from_yaml_text(BRANDS_YAML),
                engine,
                settings,
                since=WINDOW_START,
                until=WINDOW_END,
            )
            elapsed = time.perf_counter() - started
        finally:
            engine.dispose()
        return summary.loaded, elapsed, collector.gate.used  # type: ignore[attr-defined]
    finally:
        stop.set()
        child.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000, help="items per source")
    parser.add_argument("--sources", nargs="*", default=[c.source for c in CASES])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # A killed benchmark still drops its database (the ``finally`` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with bench_database() as url:
        db_url = url.render_as_string(hide_password=False)
        engine = make_engine(url=url)
        migrate.upgrade(engine)
        engine.dispose()
        print(f"{'source':<11} {'items':>7} {'seconds':>8} {'items/s':>8} {'requests':>8}")
        for source in args.sources:
            loaded, seconds, requests = bench_source(source, args.items, db_url)
            print(
                f"{source:<11} {loaded:>7} {seconds:>8.1f} {loaded / seconds:>8.0f} {requests:>8}",
                flush=True,
            )
            if loaded != args.items:
                print(f"  !! {source} loaded {loaded} of {args.items} items", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
