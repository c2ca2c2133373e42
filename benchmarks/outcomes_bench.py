"""Outcomes at scale: discovery time and memory for 10k-100k posts, nightly assignment rate.

    python benchmarks/outcomes_bench.py                       # 10k, 50k, 100k posts
    python benchmarks/outcomes_bench.py --sizes 10000 --json  # one size, JSON on stdout
    python benchmarks/outcomes_bench.py --quick               # smoke run (2,000 posts)
    python benchmarks/outcomes_bench.py --sizes 50000,100000 --embed-at-most 4000
    python benchmarks/outcomes_bench.py --report a.json b.json  # one table of --json runs

Embedding every post dominates: the default run embeds 161,000 posts at about 20 CPU-ms each,
so it takes about half an hour on two idle cores (``--embed-at-most``, below, a few minutes).

Targets (issue #14, item 8): 100k posts discovered in under 10 minutes and nightly assignment
of at least 500 posts/s, both on 2 cores (``--cores``: the run is pinned to that many CPUs and
every thread pool is sized to it).

The posts are the demo's kind of customer talk: ``tools.demo.generate`` (the generator of
``grapevine/demo/posts.jsonl``) run with other seeds, so the texts vary like a feed instead of
repeating the demo's 3,400 posts (the embedder encodes a repeated text once, which would flatter
it). Only posts that name a watched brand and are not a brand's own are kept, as root posts with
new ids, spread over 60 days; the file collector loads them into a database created for the run
and dropped after it (``benchmarks/_db.py``). Each size runs in a fresh process:

(a) **embed**: the packaged MiniLM alone (``nlp.embed``), on a fixed sample of the masked texts
    (the rate), and its share of the stage's first run (``embed s``: every post of that size);
(b) **cluster**: ``nlp.outcomes.discover`` alone on the vectors the stage stored, with the
    stage's settings (it clusters at most ``GRAPEVINE_OUTCOME_DISCOVERY_SAMPLE`` of them and
    assigns all);
(c) **stage**: ``grapevine.stages.outcomes.run`` end to end: the first run reads, embeds and
    discovers the N posts; then a night of ``--nightly`` new posts is assigned (``posts/s`` =
    new posts / stage seconds, embedding included: a night cannot assign without embedding);
    then a re-discovery over the stored vectors (the weekly run: nothing re-embedded).

On a machine too busy to embed 100k posts, ``--embed-at-most 10000`` embeds that many per size
and fills the rest with copies of them (new ids and dates, vectors jittered by a nearest
neighbour's distance), stored directly: clustering, re-discovery and the nightly run then run
for real at N, and the first run's time at N is estimated (marked ``*``) as the measured
per-post reading cost (language, masking, embedding, storing) times N plus the measured
discovery over all N.

Peak memory is the process's peak resident set (``VmHWM``; the kernel's high-water mark, reset
before each phase through ``/proc/self/clear_refs``, which also resets what
``resource.getrusage`` reports as ``ru_maxrss``): it counts numpy, scikit-learn and ONNX Runtime
allocations that ``tracemalloc`` cannot see. The PostgreSQL server's memory is not in it. Where
``/proc`` is missing, ``ru_maxrss`` (the peak since the process started) is reported instead.

Each phase also gets a breakdown (exclusive seconds of the stage's steps: SQL reads and writes,
language detection, masking, embedding, clustering, key phrases...), which says where the time
goes when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SIZES = (10_000, 50_000, 100_000)
QUICK_SIZES = (2_000,)
NIGHTLY = 1_000
QUICK_NIGHTLY = 200
EMBED_SAMPLE = 2_000
DISCOVERY_TARGET_S = 600.0
ASSIGN_TARGET_RATE = 500.0
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60
NIGHT = START + timedelta(days=DAYS)
#: The collector's date check compares with "now": a fixed one keeps the run reproducible.
NOW = NIGHT + timedelta(days=2)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


# --- the posts ---------------------------------------------------------------------------------


def build_pool(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` customer posts that name a watched brand, shuffled, as file-collector records
    without ids or dates (those are given per size)."""
    from grapevine.core.watchlist import Watchlist
    from tools.demo.generate import build_posts, render_brands_yaml

    watchlist = Watchlist.from_yaml_text(render_brands_yaml())
    pool: list[dict[str, Any]] = []
    generator_seed = seed
    while len(pool) < n:
        generator_seed += 1
        for p in build_posts(seed=generator_seed):
            if p.brand_owned or not watchlist.match(p.text, p.author):
                continue
            pool.append(
                {
                    "text": p.text,
                    "source": p.source,
                    "author": p.author,
                    "author_followers": p.author_followers,
                    "lang": p.lang,
                    "likes": p.likes,
                    "replies": p.replies,
                    "reposts": p.reposts,
                }
            )
    random.Random(seed).shuffle(pool)
    return pool[:n]


def write_records(
    path: Path, rows: Sequence[dict[str, Any]], *, prefix: str, since: datetime, days: float
) -> None:
    """Rows with new ids and creation times spread uniformly over ``days`` from ``since``."""
    rng = random.Random(prefix)
    span = int(days * 86400)
    with path.open("w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            created = since + timedelta(seconds=rng.randrange(span))
            record = {"id": f"{prefix}{i}", "created_at": created.isoformat(), **row}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


# --- measuring ---------------------------------------------------------------------------------


def _status_kb(field_name: str) -> int | None:
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(rf"^{field_name}:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else None


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS; ``False`` where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def peak_mb() -> float:
    """Peak resident set since the last :func:`reset_peak` (``VmHWM``), else ``ru_maxrss``."""
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return kb / 1024


def rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return (kb or 0) / 1024


@dataclass
class Profile:
    """Exclusive and inclusive seconds of wrapped functions (a tiny tracing profiler)."""

    exclusive: dict[str, float] = field(default_factory=dict)
    inclusive: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _stack: list[float] = field(default_factory=list)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(0.0)
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - began
                children = self._stack.pop()
                self.exclusive[name] = self.exclusive.get(name, 0.0) + elapsed - children
                self.inclusive[name] = self.inclusive.get(name, 0.0) + elapsed
                self.calls[name] = self.calls.get(name, 0) + 1
                if self._stack:
                    self._stack[-1] += elapsed

        return timed

    def seconds(self, name: str) -> float:
        return self.inclusive.get(name, 0.0)


READ = "stage: read new posts (glue)"
DISCOVER = "stage: discover (glue)"
EMBED = "embedding (MiniLM)"
OTHER = "other (stage glue, transactions)"

#: (module, attribute, label): the stage's steps. Each is looked up through its module at call
#: time by the code that calls it, so replacing the module attribute times every call.
STEPS = (
    ("grapevine.stages.outcomes", "embed_pending", READ),
    ("grapevine.stages.outcomes", "discover_outcomes", DISCOVER),
    ("warehouse.outcomes", "posts_to_embed", "sql: posts to embed"),
    ("nlp.lang", "detect_language", "language detection"),
    ("grapevine.stages.outcomes", "mask", "brand masking"),
    ("warehouse.outcomes", "save_embeddings", "sql: save embeddings"),
    ("warehouse.outcomes", "load_embeddings", "sql: load embeddings"),
    ("warehouse.outcomes", "load_embeddings_for", "sql: load embeddings"),
    ("warehouse.outcomes", "posts_by_id", "sql: texts for key phrases"),
    ("nlp.outcomes", "discover", "discover: rest"),
    ("nlp.outcomes", "_clusters", "discover: PCA + HDBSCAN"),
    ("nlp.outcomes", "assign", "assign to centroids"),
    ("nlp.outcomes", "key_phrases", "discover: key phrases"),
    ("nlp.outcomes", "_representatives", "discover: representatives"),
    ("warehouse.outcomes", "save_outcomes", "sql: save outcomes"),
    ("warehouse.outcomes", "save_assignments", "sql: save assignments"),
    ("warehouse.outcomes", "recompute_outcome_daily", "sql: outcome_daily"),
    ("grapevine.stages.outcomes", "analyze_changed", "sql: analyze"),
)


@contextmanager
def profiled(profile: Profile) -> Iterator[None]:
    import importlib

    saved = []
    for module_name, attr, label in STEPS:
        module = importlib.import_module(module_name)
        original = getattr(module, attr)
        saved.append((module, attr, original))
        setattr(module, attr, profile.wrap(label, original))
    try:
        yield
    finally:
        for module, attr, original in reversed(saved):
            setattr(module, attr, original)


def timed_embedder(inner: Any, profile: Profile) -> Any:
    """``inner`` behind the stage's embedder interface, its ``encode`` calls timed."""
    from nlp.embed import SentenceEmbedder

    encode = profile.wrap(EMBED, inner.encode)

    class Timed(SentenceEmbedder):
        def __init__(self) -> None:
            self.name, self.version, self.dim = inner.name, inner.version, inner.dim
            self.max_len, self.pad_id = inner.max_len, inner.pad_id

        def encode(self, texts: Sequence[str], **kwargs: Any) -> Any:
            return encode(texts, **kwargs)

        def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
            return list(inner.token_ids(texts))

        def embed_ids(self, batch: Sequence[Sequence[int]]) -> Any:
            return inner.embed_ids(batch)

    return Timed()


@dataclass
class Phase:
    seconds: float
    cpu_s: float
    peak_mb: float
    profile: Profile
    summary: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        keep = ("posts_read", "embedded", "unsupported_language", "assigned", "unassigned")
        breakdown = dict(sorted(self.profile.exclusive.items(), key=lambda kv: -kv[1]))
        breakdown[OTHER] = self.seconds - sum(self.profile.exclusive.values())
        return {
            "seconds": round(self.seconds, 2),
            "cpu_s": round(self.cpu_s, 2),
            "peak_mb": round(self.peak_mb, 1),
            "outcomes": self.summary.get("outcomes"),
            **{k: self.summary.get(k) for k in keep},
            "read_s": round(self.profile.seconds(READ), 2),
            "embed_s": round(self.profile.seconds(EMBED), 2),
            "discover_s": round(self.profile.seconds(DISCOVER), 2),
            "breakdown": {k: round(v, 2) for k, v in breakdown.items()},
        }


def run_phase(fn: Callable[[], dict[str, Any]], profile: Profile) -> Phase:
    """Run one stage call with its steps timed and the peak RSS mark reset before it."""
    reset_peak()
    with profiled(profile):
        began, cpu = time.perf_counter(), time.process_time()
        summary = fn()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Phase(seconds, cpu, peak_mb(), profile, summary)


# --- one size, in its own process ---------------------------------------------------------------


def measure_size(
    n: int,
    nightly: int,
    pool_path: Path,
    cores: int,
    embed_at_most: int | None,
    embed_alone: bool = True,
) -> dict[str, Any]:
    """Every measurement for ``n`` posts (runs in a fresh process: see :func:`main`).

    With ``embed_at_most`` below ``n``, only that many posts are embedded by the first run; the
    others are copies of embedded posts (same text, new id and date) whose vectors are their
    source's plus noise as large as a post's distance to its nearest neighbour, stored
    directly. The first discovery over all ``n`` then runs for real, without the embedding; the
    first run's time at ``n`` is that plus the measured per-post reading cost times ``n``.
    """
    from _db import bench_database

    from grapevine.core.privacy import Pseudonymiser
    from grapevine.core.settings import Settings
    from grapevine.core.watchlist import Watchlist
    from grapevine.core.window import Window
    from grapevine.stages import outcomes as stage
    from grapevine.stages.collect import collect_file
    from nlp.embed import load_embedder
    from tools.demo.generate import render_brands_yaml
    from warehouse import migrate
    from warehouse.engine import make_engine

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])
    real = min(n, embed_at_most or n)
    pool = json.loads(pool_path.read_text(encoding="utf-8"))
    history, night = pool[:real], pool[real : real + nightly]
    result: dict[str, Any] = {"n": n, "embedded_posts": real, "nightly": len(night)}
    result |= {"cores": cores, "load_before": os.getloadavg()[0]}
    result["distinct_texts"] = len({r["text"] for r in history})
    watchlist = Watchlist.from_yaml_text(render_brands_yaml())
    pseudo = Pseudonymiser(b"benchmark-key-0123456789")

    began = time.perf_counter()
    settings = Settings()
    embedder = load_embedder(
        settings.outcome_embedder, threads=cores, int8=settings.model_precision == "int8"
    )
    result["embedder"] = embedder.version
    result["embedder_load_s"] = round(time.perf_counter() - began, 2)
    result["rss_after_load_mb"] = round(rss_mb(), 1)

    if embed_alone:
        result["embed_alone"] = embedder_alone(embedder, watchlist, history)
        _log(f"{n}: embedder alone {result['embed_alone']['posts_per_s']:.0f} texts/s")

    with tempfile.TemporaryDirectory() as tmp, bench_database() as url:
        engine = make_engine(url=url)
        migrate.upgrade(engine)
        settings = Settings(database_url=None, data_dir=Path(tmp), outcomes=True)
        result["settings"] = {
            "outcome_min_posts": settings.outcome_min_posts,
            "outcome_discovery_sample": settings.outcome_discovery_sample,
            "outcome_assign_similarity": settings.outcome_assign_similarity,
        }
        files = {name: Path(tmp) / f"{name}.jsonl" for name in ("history", "copies", "night")}
        write_records(files["history"], history, prefix="h", since=START, days=DAYS)
        write_records(files["night"], night, prefix="n", since=NIGHT, days=1)
        del pool, night  # not part of the stage's memory
        began = time.perf_counter()
        loaded = collect_file(files["history"], watchlist, engine, settings, pseudo=pseudo, now=NOW)
        result["load_s"] = round(time.perf_counter() - began, 2)
        _log(f"{n}: loaded {loaded.loaded:,} posts in {result['load_s']} s")

        def first() -> dict[str, Any]:
            window = Window(since=None, until=NIGHT)
            return stage.run(engine, settings, window, rediscover=True, embedder=timed)

        profile = Profile()
        timed = timed_embedder(embedder, profile)
        phase = run_phase(first, profile)
        result["first_run"] = phase.as_dict()
        _log(f"{n}: first run {phase.seconds:.1f} s over {real:,} posts")

        if real < n:
            result["copies"] = store_copies(
                engine,
                watchlist,
                pseudo,
                settings,
                history,
                n - real,
                files["copies"],
                embedder.version,
            )

            def discover_all() -> dict[str, Any]:
                # a window with nothing new: what is timed is the discovery over all n
                empty = Window(since=NIGHT + timedelta(days=30), until=NIGHT + timedelta(days=31))
                return stage.run(engine, settings, empty, rediscover=True, embedder=embedder)

            phase = run_phase(discover_all, Profile())
            result["first_discovery_at_n"] = phase.as_dict()
            per_post_read = result["first_run"]["read_s"] / real
            result["first_run_estimate_s"] = round(per_post_read * n + phase.seconds, 1)
            _log(f"{n}: discovery over all {n:,} posts {phase.seconds:.1f} s")
        del history

        result["cluster"] = cluster_alone(engine, settings, embedder.version)
        _log(f"{n}: clustering alone {result['cluster']['seconds']} s")

        # (c) a night of new posts, assigned to the outcomes just found.
        collect_file(files["night"], watchlist, engine, settings, pseudo=pseudo, now=NOW)

        def nightly_run() -> dict[str, Any]:
            window = Window(since=NIGHT, until=NIGHT + timedelta(days=1))
            return stage.run(engine, settings, window, rediscover=False, embedder=timed)

        profile = Profile()
        timed = timed_embedder(embedder, profile)
        phase = run_phase(nightly_run, profile)
        read = int(phase.summary["posts_read"])
        without = max(phase.seconds - profile.seconds(EMBED), 1e-9)
        result["nightly_run"] = phase.as_dict() | {
            "posts_per_s": round(read / phase.seconds, 1),
            "posts_per_s_without_embedding": round(read / without, 1),
        }
        _log(f"{n}: nightly {read} posts in {phase.seconds:.1f} s")

        # The weekly re-discovery: the stored vectors again, nothing to embed.
        def rediscover() -> dict[str, Any]:
            return stage.run(engine, settings, Window(), rediscover=True, embedder=embedder)

        phase = run_phase(rediscover, Profile())
        result["rediscovery"] = phase.as_dict()
        _log(f"{n}: re-discovery {phase.seconds:.1f} s")
        engine.dispose()
    result["load_after"] = os.getloadavg()[0]
    return result


def embedder_alone(
    embedder: Any, watchlist: Any, history: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """(a) The embedder alone, on masked texts as the stage gives them; distinct texts, so
    its de-duplication does not flatter it."""
    from grapevine.stages.outcomes import mask

    sample = list(dict.fromkeys(r["text"] for r in history))[:EMBED_SAMPLE]
    masked = [mask(t, _spans(watchlist, t)) for t in sample]
    embedder.encode(masked[:64])  # first-call setup is not the rate
    reset_peak()
    began, cpu = time.perf_counter(), time.process_time()
    embedder.encode(masked)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        "texts": len(masked),
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "posts_per_s": round(len(masked) / seconds, 1),
        "peak_mb": round(peak_mb(), 1),
    }


def store_copies(
    engine: Any,
    watchlist: Any,
    pseudo: Any,
    settings: Any,
    history: Sequence[dict[str, Any]],
    count: int,
    path: Path,
    version: str,
) -> dict[str, Any]:
    """Load ``count`` copies of embedded posts and store their (jittered) vectors directly."""
    import numpy as np
    from sqlalchemy import text

    from grapevine.stages.collect import collect_file
    from warehouse import outcomes as store

    with engine.connect() as conn:
        ids, vectors = store.load_embeddings(conn, None, None, version)
        source_of = dict(conn.execute(text("SELECT id, source_id FROM posts")).all())
    position = {int(source_of[int(i)][1:]): row for row, i in enumerate(ids)}  # "h12" -> 12
    rng = np.random.default_rng(len(ids))
    picks = rng.choice(sorted(position), size=count)
    write_records(path, [history[int(i)] for i in picks], prefix="c", since=START, days=DAYS)
    collect_file(path, watchlist, engine, settings, pseudo=pseudo, now=NOW)
    with engine.connect() as conn:
        copy_ids = dict(
            conn.execute(text("SELECT source_id, id FROM posts WHERE source_id LIKE 'c%'")).all()
        )
    # Noise as large as the median distance from a post to its nearest neighbour: each copy is
    # a new post about as close to its source as real posts are to each other.
    sample = vectors[: min(len(vectors), 3000)]
    sims = sample @ vectors.T
    sims[np.arange(len(sample)), np.arange(len(sample))] = -1.0
    nearest = float(np.median(sims.max(axis=1)))
    sigma = float(np.sqrt((1 / nearest**2 - 1) / vectors.shape[1]))
    rows = np.array([position[int(i)] for i in picks])
    noisy = vectors[rows] + rng.normal(0.0, sigma, size=(count, vectors.shape[1]))
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    post_ids = [int(copy_ids[f"c{j}"]) for j in range(count)]
    began = time.perf_counter()
    for lo in range(0, count, 8192):
        with engine.begin() as conn:
            store.save_embeddings(
                conn, post_ids[lo : lo + 8192], noisy[lo : lo + 8192].astype(np.float32), version
            )
    return {
        "posts": count,
        "nearest_neighbour_cosine": round(nearest, 3),
        "noise_sigma": round(sigma, 4),
        "store_s": round(time.perf_counter() - began, 2),
    }


def cluster_alone(engine: Any, settings: Any, version: str) -> dict[str, Any]:
    """(b) ``nlp.outcomes.discover`` alone on every stored vector, with the stage's settings."""
    import numpy as np

    from grapevine.stages import outcomes as stage
    from nlp.outcomes import discover
    from warehouse import outcomes as store

    with engine.connect() as conn:
        ids, vectors = store.load_embeddings(conn, None, None, version)
        texts = store.masked_texts(conn, ids.tolist(), stage.mask)
    reset_peak()
    base = rss_mb()
    began, cpu = time.perf_counter(), time.process_time()
    found = discover(vectors, texts, **stage.discover_options(settings))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        "rows": len(ids),
        "clustered": min(len(ids), settings.outcome_discovery_sample),
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak_mb(), 1),
        "extra_mb": round(peak_mb() - base, 1),
        "outcomes": len(found.outcomes),
        "assigned_share": round(float(np.mean(found.assigned >= 0)), 3),
    }


def _spans(watchlist: Any, text: str) -> list[tuple[int, int]]:
    """Where ``text`` names its brands, as the collector stores it (one span per brand)."""
    return [(m.start, m.end) for m in watchlist.match(text) if m.start is not None]


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the report ---------------------------------------------------------------------------------


def first_seconds(r: dict[str, Any]) -> tuple[float, bool]:
    """The first run's seconds at ``n`` and whether they are measured (else estimated)."""
    if "first_run_estimate_s" in r:
        return float(r["first_run_estimate_s"]), False
    return float(r["first_run"]["seconds"]), True


def table(results: Sequence[dict[str, Any]]) -> str:
    header = [
        "N posts",
        "embed s",
        "embed posts/s",
        "cluster s",
        "cluster peak MB",
        "stage s (first run)",
        "stage peak RSS MB",
        "outcomes",
        "re-discovery s",
        "nightly s",
        "nightly posts/s",
        "nightly posts/s w/o embedding",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    for r in results:
        first = r["first_run"]
        at_n = r.get("first_discovery_at_n", first)
        embed_rate = first["embedded"] / max(first["embed_s"], 1e-9)
        embed_s = first["embed_s"] * r["n"] / r["embedded_posts"]
        stage_s, measured = first_seconds(r)
        mark = "" if measured else " *"
        night = r["nightly_run"]
        cells = [
            f"{r['n']:,}",
            f"{embed_s:.0f}{mark}",
            f"{embed_rate:.0f}",
            f"{r['cluster']['seconds']:.1f}",
            f"{r['cluster']['peak_mb']:.0f}",
            f"{stage_s:.0f}{mark}",
            f"{max(first['peak_mb'], at_n['peak_mb']):.0f}",
            str(at_n["outcomes"]),
            f"{r['rediscovery']['seconds']:.1f}",
            f"{night['seconds']:.1f}",
            f"{night['posts_per_s']:.0f}",
            f"{night['posts_per_s_without_embedding']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(results: Sequence[dict[str, Any]]) -> list[str]:
    out = []
    biggest = max(results, key=lambda r: r["n"])
    n = biggest["n"]
    first, measured = first_seconds(biggest)
    how = "measured" if measured else "estimated (*)"
    for s, what in (
        (first, f"first discovery, embedding included, {how}"),
        (biggest["rediscovery"]["seconds"], "re-discovery of stored vectors, measured"),
    ):
        if n >= 100_000:
            ok = "met" if s < DISCOVERY_TARGET_S else "NOT met"
            out.append(f"target 100k posts discovered < 10 min, {what}: {s:.0f} s: {ok}")
        else:
            guess = s * 100_000 / n
            ok = "would be met" if guess < DISCOVERY_TARGET_S else "would NOT be met"
            out.append(
                f"target 100k posts discovered < 10 min, {what}: not run at 100k; {s:.0f} s at"
                f" {n:,}, linear extrapolation {guess:.0f} s: {ok}"
            )
    for r in results:
        rate = r["nightly_run"]["posts_per_s"]
        ok = "met" if rate >= ASSIGN_TARGET_RATE else "NOT met"
        out.append(
            f"target nightly assignment >= {ASSIGN_TARGET_RATE:.0f} posts/s with {r['n']:,} posts"
            f" stored: {rate:.0f} posts/s end to end: {ok}"
            f" (without embedding: {r['nightly_run']['posts_per_s_without_embedding']:.0f})"
        )
    return out


def _embed_alone(r: dict[str, Any]) -> str:
    a = r["embed_alone"]
    per_cpu = a["texts"] / max(a["cpu_s"], 1e-9)
    return (
        f"{r['n']:,}: {a['posts_per_s']:.0f} posts/s ({a['texts']:,} distinct texts,"
        f" {per_cpu:.0f} per CPU-second)"
    )


def report(results: Sequence[dict[str, Any]], command: str) -> str:
    r0 = results[0]
    lines = [
        f"command: {command}",
        f"embedder {r0['embedder']} on {r0['cores']} cores ({r0['rss_after_load_mb']:.0f} MB RSS"
        f" once loaded); settings {r0['settings']}; nightly = {r0['nightly']:,} new posts",
        "embedder alone (a): " + ", ".join(_embed_alone(r) for r in results if "embed_alone" in r),
        "load average (1 min) before/after each size: "
        + ", ".join(f"{r['n']:,}: {r['load_before']:.1f}/{r['load_after']:.1f}" for r in results)
        + (
            " (above the core count: other work shared the CPUs and the seconds are inflated)"
            if any(max(r["load_before"], r["load_after"]) > r["cores"] for r in results)
            else ""
        ),
        "",
        table(results),
        "",
        "peak RSS = VmHWM of the benchmark process (reset per phase via /proc/self/clear_refs;"
        " numpy/sklearn/ONNX included, PostgreSQL not); embed s = the first run's embedding"
        " seconds (scaled to N where marked *); stage s = the first run end to end",
        *(
            [
                "* estimated: only --embed-at-most posts were embedded; the discovery over all N"
                " was run (on copies of embedded posts with jittered vectors), the reading and"
                " embedding of the rest is the measured per-post cost times N"
            ]
            if any(not first_seconds(r)[1] for r in results)
            else []
        ),
        "",
        *verdicts(results),
    ]
    for r in results:
        lines += ["", f"where the time goes at {r['n']:,} posts (exclusive seconds):"]
        for key in ("first_run", "first_discovery_at_n", "nightly_run", "rediscovery"):
            if key not in r:
                continue
            top = [f"{k} {v:.1f}" for k, v in r[key]["breakdown"].items() if v >= 0.05][:9]
            lines.append(f"  {key} {r[key]['seconds']:.1f} s: " + "; ".join(top))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="posts per run, comma-separated (default: 10000,50000,100000)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 posts, 200 a night")
    parser.add_argument("--nightly", type=int, default=None, help=f"new posts a night ({NIGHTLY})")
    parser.add_argument("--cores", type=int, default=2, help="CPUs to pin the run to (2)")
    parser.add_argument(
        "--embed-at-most",
        type=int,
        default=None,
        help="embed at most this many posts per size; bigger sizes add copies of them with"
        " jittered vectors and estimate the first run (for a machine too busy to embed 100k)",
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        default=None,
        metavar="JSON",
        help="print one report of earlier --json outputs (e.g. a 10k run and a 50k,100k run)",
    )
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-embed-alone", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    nightly = args.nightly or (QUICK_NIGHTLY if args.quick else NIGHTLY)

    if args.child is not None:
        result = measure_size(
            args.child,
            nightly,
            args.pool,
            args.cores,
            args.embed_at_most,
            embed_alone=not args.no_embed_alone,
        )
        args.out.write_text(json.dumps(result), encoding="utf-8")
        return 0

    if args.report:
        runs = [json.loads(path.read_text(encoding="utf-8")) for path in args.report]
        merged = sorted((r for run in runs for r in run["results"]), key=lambda r: r["n"])
        print(report(merged, "; ".join(run["command"] for run in runs)))
        return 0

    sizes = list(QUICK_SIZES) if args.quick else [int(s) for s in args.sizes.split(",") if s]
    command = "python benchmarks/outcomes_bench.py " + " ".join(argv or sys.argv[1:])
    env = dict(os.environ) | dict.fromkeys(THREAD_VARS, str(args.cores))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        embedded = [min(n, args.embed_at_most or n) for n in sizes]
        pool = build_pool(max(embedded) + nightly, args.seed)
        pool_path = Path(tmp) / "pool.json"
        pool_path.write_text(json.dumps(pool), encoding="utf-8")
        _log(f"built {len(pool):,} posts in {time.perf_counter() - began:.0f} s")
        for n in sizes:
            out = Path(tmp) / f"result-{n}.json"
            cmd = [sys.executable, __file__, "--child", str(n), "--pool", str(pool_path)]
            cmd += ["--out", str(out), "--nightly", str(nightly), "--cores", str(args.cores)]
            if args.embed_at_most:
                cmd += ["--embed-at-most", str(args.embed_at_most)]
            if results:  # the embedder's rate does not depend on N: measured once
                cmd.append("--no-embed-alone")
            subprocess.run(cmd, env=env, check=True)
            results.append(json.loads(out.read_text(encoding="utf-8")))
    if args.json:
        print(json.dumps({"command": command, "results": results}, indent=2))
    else:
        print(report(results, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
