"""Load benchmark: the file collector's full load against a plain COPY of the same rows.

    python benchmarks/load_bench.py [--posts 100000]

The full load includes reading and parsing the JSONL file, brand matching, pseudonymisation,
COPY into staging, the upsert into the indexed ``posts`` table and the ``post_brands`` rows.
The raw figure is a single COPY of the very same ``posts`` rows into an unindexed table with
the same columns: the floor no loader can beat. Target: full >= 50 % of raw.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _db import bench_database
from sqlalchemy import text

from collectors.file import iter_records, parse_record
from grapevine.core.privacy import Pseudonymiser
from grapevine.core.settings import Settings
from grapevine.core.watchlist import Watchlist
from grapevine.stages import collect as pipeline
from warehouse import migrate
from warehouse.engine import make_engine
from warehouse.load import _POST_COLUMNS, copy_text, post_row

BRANDS = """
brands:
  - name: Voltera
    aliases: [voltera, "#voltera", "@voltera"]
    owned_handles: [voltera]
    competitors: [Kinetik, Pedalo Bikes]
  - name: Kinetik
    aliases: [kinetik, "#kinetik"]
    competitors: [Voltera]
  - name: Pedalo Bikes
    aliases: ["pedalo bikes", pedalo]
    query: '"pedalo bikes" OR (pedalo AND NOT "pedalo boat")'
    competitors: [Voltera]
"""
PHRASES = [
    "my {b} battery died after two weeks, avoid",
    "honestly the {b} is the best commuter bike I've owned 🚲",
    "anyone tried the new {b} motor? thinking of switching from {c}",
    "switched from {c} to {b}, best decision ever",
    "{b} support never answered my ticket &amp; I'm done",
    "Is the {b} worth it for hills? asking for a friend",
]


def generate(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    names = ["Voltera", "Kinetik", "Pedalo Bikes", "#voltera", "@voltera"]
    start = datetime(2026, 9, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            b, c = rng.sample(names[:3], 2)
            body = rng.choice(PHRASES).format(b=rng.choice([b, b.lower(), names[3]]), c=c)
            record = {
                "id": f"p{i}",
                "text": body
                + " "
                + " ".join(rng.choices(["so", "much", "wow", "ride"], k=rng.randint(0, 30))),
                "created_at": (start + timedelta(seconds=rng.randint(0, 60 * 86400))).isoformat(),
                "source": rng.choice(["reddit", "x", "forum"]),
                "author": f"user{rng.randint(1, n // 3)}",
                "author_followers": int(rng.paretovariate(1.2) * 10),
                "likes": rng.randint(0, 50),
                "replies": rng.randint(0, 10),
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    watchlist = Watchlist.from_yaml_text(BRANDS)
    pseudo = Pseudonymiser(b"benchmark-key-0123456789")
    with tempfile.TemporaryDirectory() as tmp, bench_database() as url:
        path = Path(tmp) / "posts.jsonl"
        generate(path, args.posts)
        engine = make_engine(url=url)
        migrate.upgrade(engine)
        settings = Settings(database_url=None, data_dir=Path(tmp), load_batch_size=5000)

        t0 = time.perf_counter()
        summary = pipeline.collect_file(path, watchlist, engine, settings, pseudo=pseudo)
        full_s = time.perf_counter() - t0
        assert summary.loaded == summary.matched, summary

        # The same posts rows, prepared outside the timer, then one plain COPY.
        rows = []
        for raw in iter_records(path):
            post = parse_record(raw.record, pseudo)
            if watchlist.match(post.text, post.author_handle):
                rows.append(post_row(post, is_c2c=True, keep_handle=False))
        buf = io.StringIO(copy_text(rows))
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE UNLOGGED TABLE raw_copy AS"
                    f" SELECT {', '.join(_POST_COLUMNS)} FROM posts WITH NO DATA"
                )
            )
        with engine.begin() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            t0 = time.perf_counter()
            with dbapi.cursor() as cur:
                cur.copy_expert(f"COPY raw_copy ({', '.join(_POST_COLUMNS)}) FROM STDIN", buf)
            raw_s = time.perf_counter() - t0
        engine.dispose()

    full_rate = summary.loaded / full_s
    raw_rate = len(rows) / raw_s
    print(f"posts generated: {args.posts:,}  matched and loaded: {summary.loaded:,}")
    print(
        "full load (parse, match, stage, upsert, indexes, mentions): "
        f"{full_s:6.2f} s  {full_rate:10,.0f} posts/s"
    )
    print(
        "raw COPY of the same rows into an unindexed table:          "
        f"{raw_s:6.2f} s  {raw_rate:10,.0f} posts/s"
    )
    print(f"ratio full/raw: {full_rate / raw_rate:.0%} (target >= 50%)")


if __name__ == "__main__":
    main()
