"""Finding pending classify work: cost must follow the new posts, not the history (#12, #16).

    python benchmarks/classify_pending_bench.py [--history 100000] [--new 1000] [--no-classify]

Seeds ``history`` posts with every sentiment and advocacy label for the current model versions
and ``new`` posts without labels (SQL only, no model runs), then times what ``classify`` does to
find its work: pages of ``CHUNK`` pending posts by keyset pagination (``pending_work``) and the
fan-out ranges (``pending_ranges``). Once right after the load (stale statistics, as in a run
that follows a bulk collect) and once after ANALYZE. The default size runs in well under two
minutes on a laptop-class PostgreSQL.

Then (unless ``--no-classify``) the real ``classify`` stage, with the shipped models, on ``new``
posts twice: on a warehouse holding nothing else (a clean run) and on top of ``history``
classified posts (labelled for the same model versions, so they are not pending). The new posts
carry demo texts, the same in both runs; the ratio of the two per-post costs is #12's target
(<= 2x).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import Any

from _db import bench_database
from sqlalchemy import Connection, Engine, text

from grapevine.stages.classify import CHUNK
from warehouse import classifications, migrate
from warehouse.classifications import WorkItem
from warehouse.engine import make_engine


def pending_work(engine: Engine, **kw: Any) -> list[WorkItem]:
    """One page in its own transaction, as the classify stage reads it."""
    with engine.begin() as conn:
        return classifications.pending_work(conn, **kw)


def pending_ranges(engine: Engine, **kw: Any) -> list[tuple[int, int, int]]:
    with engine.connect() as conn:
        return classifications.pending_ranges(conn, **kw)


S_V, A_V = "bench-s", "bench-a"
COLS = "post_id, brand_id, task, label, model_name, model_version"


def seed(
    conn: Connection,
    history: int,
    new: int,
    versions: tuple[str, str] = (S_V, A_V),
    texts: list[str] | None = None,
) -> None:
    """Every post names one brand, every third a second one; only ``history`` are labelled
    (for ``versions``). ``texts``: the new posts' texts after "Acme: ", cycled."""
    conn.execute(text("INSERT INTO brands (name, slug) VALUES ('Acme', 'acme'), ('Globex', 'g')"))
    conn.execute(
        text(
            """
            INSERT INTO posts (source, source_id, created_at, text, content_hash)
            SELECT 'bench', g::text, timestamptz '2026-10-01' + g * interval '1 second',
                   'post ' || g, md5(g::text)
            FROM generate_series(1, :n) g
            """
        ),
        {"n": history + new},
    )
    conn.execute(
        text(
            """
            INSERT INTO post_brands (post_id, brand_id, mention_start, mention_end)
            SELECT p.id, b.id, 0, 4 FROM posts p JOIN brands b
              ON b.slug = 'acme' OR (b.slug = 'g' AND p.id % 3 = 0)
            """
        )
    )
    last = "(SELECT min(id) - 1 + :h FROM posts)"
    conn.execute(
        text(
            f"INSERT INTO classifications ({COLS}) SELECT id, NULL, 'sentiment', 'neutral',"
            f" 's', :sv FROM posts WHERE id <= {last}"
        ),
        {"sv": versions[0], "h": history},
    )
    conn.execute(
        text(
            f"INSERT INTO classifications ({COLS}) SELECT post_id, brand_id, 'advocacy',"
            f" 'neutral', 'a', :av FROM post_brands WHERE post_id <= {last}"
        ),
        {"av": versions[1], "h": history},
    )
    if texts:
        conn.execute(
            text(
                f"UPDATE posts SET text = 'Acme: ' || (CAST(:t AS text[]))"
                f"[1 + (id - {last} - 1) % :n] WHERE id > {last}"
            ),
            {"t": texts, "n": len(texts), "h": history},
        )


def find_all(engine: Engine) -> tuple[int, float, float]:
    """(posts found, ms for every pending_work page, ms for pending_ranges)."""
    started = time.perf_counter()
    found, after = 0, 0
    while items := pending_work(
        engine,
        since=None,
        until=None,
        sentiment_version=S_V,
        advocacy_version=A_V,
        after_id=after,
        limit=CHUNK,
    ):
        found += len(items)
        after = items[-1].post_id
    pages_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    pending_ranges(
        engine,
        since=None,
        until=None,
        sentiment_version=S_V,
        advocacy_version=A_V,
        batch_size=5000,
    )
    return found, pages_ms, (time.perf_counter() - started) * 1000


def demo_texts() -> list[str]:
    """The demo's post texts, those the loader would store unchanged (the demo's hostile lines
    with NULs or lone surrogates are left out)."""
    from benchmarks.nightly_bench import demo_records
    from grapevine.core.text import clean_text

    texts = [r.get("text") for r in demo_records() if isinstance(r, dict)]
    return [t for t in texts if isinstance(t, str) and clean_text(t) == t]


def classify_cost(history: int, new: int) -> tuple[float, int]:
    """Seconds of the classify stage for ``new`` posts over ``history`` classified ones."""
    from grapevine.core.settings import Settings
    from grapevine.stages.classify import classify, load_models

    settings = Settings()
    models = load_models(settings)
    with bench_database() as url:
        engine = make_engine(url=url)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            versions = (models.sentiment.version, models.advocacy.version)
            seed(conn, history, new, versions, demo_texts())
        started = time.perf_counter()
        summary = classify(engine, settings, models=models)
        seconds = time.perf_counter() - started
        engine.dispose()
    return seconds, summary.posts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--no-classify", action="store_true", help="only find the pending work")
    args = parser.parse_args(argv)
    with bench_database() as url:
        engine = make_engine(url=url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            seed(conn, args.history, args.new)
        print(
            f"seeded {args.history:,} classified + {args.new:,} new posts"
            f" in {time.perf_counter() - started:.1f}s"
        )
        for label in ("stale statistics", "after ANALYZE"):
            if label == "after ANALYZE":
                with engine.begin() as conn:
                    conn.execute(text("ANALYZE posts, post_brands, classifications"))
            found, pages_ms, ranges_ms = find_all(engine)
            ok = "ok" if found == args.new else f"WRONG: expected {args.new}"
            print(
                f"{label:>17}: {found:,} pending ({ok}); pending_work pages {pages_ms:.0f} ms,"
                f" pending_ranges {ranges_ms:.0f} ms"
            )
        engine.dispose()
    if args.no_classify:
        return 0
    clean_s, clean_n = classify_cost(0, args.new)
    over_s, over_n = classify_cost(args.history, args.new)
    print(
        f"classify {clean_n:,} new posts on an empty warehouse: {clean_s:.1f} s"
        f" ({1000 * clean_s / max(clean_n, 1):.2f} ms/post)"
    )
    print(
        f"classify {over_n:,} new posts over {args.history:,} classified: {over_s:.1f} s"
        f" ({1000 * over_s / max(over_n, 1):.2f} ms/post)"
    )
    ratio = (over_s / max(over_n, 1)) / (clean_s / max(clean_n, 1))
    print(f"cost per post over the history / clean: {ratio:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
