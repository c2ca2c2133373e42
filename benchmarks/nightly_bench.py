"""A night of N posts through every stage of the plan, timed as ``grapevine run`` runs it (#16).

    python benchmarks/nightly_bench.py                    # N = 100,000 (the issue's targets)
    python benchmarks/nightly_bench.py --quick            # N = 2,000 smoke run
    python benchmarks/nightly_bench.py --night 5000 --json --keep-db

History is the demo (``grapevine/demo/posts.jsonl``, 61 days, ~55 posts a day) run through the
whole plan into a database created for the run. The night is N posts on the day after the
history's last day, in a JSONL file: whole threads (root and replies, reply times kept relative
to the root, squeezed into the day when a thread is longer), each copy with new ids (``parent_id``
and ``thread_id`` rewritten with them). ``--texts`` says where the threads come from:

* ``varied`` (default): the demo's own generator (``tools.demo.generate``) run with other seeds,
  so texts vary like a feed. Re-sampling the 3,400 demo posts instead repeats each text about
  N/3,400 times, and the embedder encodes a repeated text once (``nlp/embed.py``): at 100k that
  hides ~30x of the outcomes stage's work.
* ``demo``: threads of ``posts.jsonl`` itself re-sampled, as the issue's reproduction did.

Each scenario runs every stage of :data:`grapevine.plan.PLAN` through
``grapevine.plan.stage(name).run`` with the options ``grapevine run --path FILE`` passes
(``run_plan``: collect gets ``sources=["file"]``, the paths and the API window, report its
``out``; stages that take ``progress_for`` get one, which prints a line every 30 s on stderr),
on the whole-warehouse window (files imported whole; ``--window night``: ``--since/--until`` the
night's day instead), in one engine (``stages.base.warehouse``):

1. **night**: the N posts;
2. **incremental**: 1,000 (``--incremental``) new posts over them, same day, other threads;
3. **no-op**: the incremental run again (an Airflow retry): nothing new to load or classify.

For each stage: wall time; CPU of this process (``getrusage`` self + children, user + system);
CPU of the PostgreSQL backends serving the benchmark's database (``db cpu``: /proc of the
server's processes, local servers only; backends that exit during a stage, e.g. parallel
workers, are missed, so it is a lower bound); peak resident memory of this process (``VmHWM``,
reset through ``/proc/self/clear_refs`` before each stage, so each stage reports its own peak;
``ru_maxrss`` since the start where ``/proc`` is missing); posts/s = the scenario's posts in the
file / the stage's wall time. Model loading is timed once on its own (what each classify and
outcomes run pays to load its models) to judge the no-op target.

Two statistics variants, each on its own copy of the history database (``CREATE DATABASE ...
TEMPLATE``):

* **no statistics**: autovacuum is switched off on every table (so a server that runs it cannot
  refresh them behind our back) and before each scenario the planner statistics are erased
  (``pg_statistic`` rows deleted, ``pg_class.reltuples = -1``: the state of a table nobody ever
  analysed; needs a superuser, else the statistics are only left as they were). The pipeline's
  own ANALYZE after big loads (#16 item 2) still runs: it is part of what is measured.
* **fresh statistics** (skipped with ``--skip-analyze-variant``): ``ANALYZE`` of the whole
  database before each scenario (timed, not counted in the scenario), as on a server whose
  autovacuum has caught up.

Targets (#16, 2 cores): the 100k night in under 10 minutes and under 2 GiB; the incremental
night's cost per post at most 2x the clean night's; the no-op under 5 s plus model loading; the
night raises a volume-surge alert (read from the ``alerts`` table). With N below 100,000 the
10-minute target is judged on a linear extrapolation, labelled as such: per stage, a fixed cost
(the no-op's time) + the night's rest x 100,000 / N; the same model on CPU seconds (this process
+ the server) gives a lower bound that does not depend on how busy the machine was.

The databases are created on ``GRAPEVINE_BENCH_DATABASE_URL``'s server (default: the local
``postgres``) and dropped afterwards unless ``--keep-db``. Alerts go nowhere (no alert URLs).
``make bench`` runs it last, with ``NIGHTLY_ARGS`` (e.g. ``make bench NIGHTLY_ARGS=--quick``);
it exits 0 whatever the targets say unless ``--check``.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import itertools
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import psycopg2  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402

from benchmarks._db import DEFAULT, _admin  # noqa: E402
from grapevine.core.settings import Settings  # noqa: E402
from grapevine.core.window import Window  # noqa: E402
from grapevine.plan import PLAN  # noqa: E402
from grapevine.stages.base import warehouse  # noqa: E402
from warehouse.alerts import KIND_VOLUME_SURGE  # noqa: E402
from warehouse.engine import normalise_url  # noqa: E402

log = logging.getLogger("nightly_bench")

DEMO_POSTS = ROOT / "grapevine" / "demo" / "posts.jsonl"
DEMO_BRANDS = ROOT / "grapevine" / "demo" / "brands.yaml"
TARGET_POSTS = 100_000
TARGET_NIGHT_S = 600.0
TARGET_RSS_MIB = 2048.0
TARGET_INCREMENTAL_RATIO = 2.0
TARGET_NOOP_S = 5.0
PROGRESS_EVERY_S = 30.0
FIRST_SEED = 1_000
"""Generator seeds for ``--texts varied`` (the demo itself is seed 7; far from it on purpose)."""
DAY_S = 86_400

Record = dict[str, Any]
Thread = list[Record]


# --- the night's posts -----------------------------------------------------------------------


def _moment(value: object) -> datetime | None:
    """An ISO timestamp with a zone, or None (the demo's deliberately broken dates)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def threads_of(records: Iterable[object]) -> list[Thread]:
    """Valid records grouped by thread, each thread in time order (root first)."""
    groups: dict[str, Thread] = {}
    for record in records:
        if not isinstance(record, dict) or not record.get("id"):
            continue
        if not isinstance(record.get("text"), str) or _moment(record.get("created_at")) is None:
            continue
        key = str(record.get("thread_id") or record["id"])
        groups.setdefault(key, []).append(record)
    return [
        sorted(t, key=lambda r: _moment(r["created_at"]) or datetime.min) for t in groups.values()
    ]


def demo_records(path: Path = DEMO_POSTS) -> list[object]:
    """The demo file's parseable lines (a few are malformed on purpose: the loader quarantines
    them; they are no part of a night)."""
    records: list[object] = []
    with path.open("rb") as fh:
        for line in fh:
            try:
                records.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    return records


def history_last_day(path: Path = DEMO_POSTS) -> date:
    """The last (UTC) day of the demo's posts: the night is the day after."""
    moments = (_moment(r.get("created_at")) for r in demo_records(path) if isinstance(r, dict))
    return max(m for m in moments if m is not None).astimezone(UTC).date()


def thread_stream(texts: str, rng: random.Random) -> Iterator[Thread]:
    """Threads for the night, endlessly (see the module docstring for the two kinds)."""
    if texts == "demo":
        pool = threads_of(demo_records())
        while True:
            yield rng.choice(pool)
    from tools.demo.generate import build_posts

    for seed in itertools.count(FIRST_SEED):
        generated = threads_of(p.to_json() for p in build_posts(seed))
        rng.shuffle(generated)
        yield from generated


def place(thread: Thread, day: datetime, tag: str, rng: random.Random) -> list[Record]:
    """A copy of ``thread`` on ``day``: ids suffixed with ``tag``, the root at a random time,
    replies at their original distance from it (scaled down when the thread spans a day)."""
    times = [_moment(r["created_at"]) or day for r in thread]
    first = times[0]
    span = (times[-1] - first).total_seconds()
    room = DAY_S - 1
    scale = min(1.0, room / span) if span > 0 else 1.0
    start = rng.uniform(0, room - span * scale)

    def renamed(old: object) -> str | None:
        return None if old in (None, "") else f"{old}-{tag}"

    copies: list[Record] = []
    for record, moment in zip(thread, times, strict=True):
        copy = dict(record)
        copy["id"] = renamed(record["id"])
        copy["parent_id"] = renamed(record.get("parent_id"))
        copy["thread_id"] = renamed(record.get("thread_id") or record["id"])
        url = record.get("url")
        if isinstance(url, str) and str(record["id"]) in url:
            copy["url"] = url.replace(str(record["id"]), str(copy["id"]))
        offset = start + (moment - first).total_seconds() * scale
        copy["created_at"] = (day + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        copies.append(copy)
    return copies


def write_posts(
    path: Path, n: int, threads: Iterator[Thread], day: datetime, prefix: str, rng: random.Random
) -> dict[str, int]:
    """``n`` posts of whole threads (the last one cut short) into a JSONL file."""
    written, copies, texts = 0, 0, set()
    with path.open("wb") as fh:
        while written < n:
            copies += 1
            for record in place(next(threads), day, f"{prefix}{copies}", rng)[: n - written]:
                fh.write(orjson.dumps(record) + b"\n")
                texts.add(record["text"])
                written += 1
    return {"posts": written, "threads": copies, "distinct_texts": len(texts)}


def make_files(
    folder: Path, texts: str, night: int, incremental: int, day: date, seed: int
) -> dict[str, dict[str, int]]:
    """The night's file and the incremental file (later threads of the same stream)."""
    rng = random.Random(seed)
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    stream = thread_stream(texts, rng)
    return {
        "night": write_posts(folder / "night.jsonl", night, stream, start, "n", rng),
        "incremental": write_posts(
            folder / "incremental.jsonl", incremental, stream, start, "i", rng
        ),
    }


# --- measuring -------------------------------------------------------------------------------


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's resident set (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class BackendCpu:
    """CPU seconds of the server processes serving one database, from /proc (local server)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, url: URL) -> None:
        self.conn = psycopg2.connect(_dsn(url))
        self.conn.autocommit = True
        self.available = url.host in (None, "", "localhost", "127.0.0.1", "::1") and bool(
            self._cpu(self.conn.get_backend_pid()) is not None
        )

    def _cpu(self, pid: int) -> float | None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.TICK

    def sample(self) -> dict[int, float]:
        if not self.available:
            return {}
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cur.fetchall()]
        return {pid: cpu for pid in pids if (cpu := self._cpu(pid)) is not None}

    @staticmethod
    def spent(before: Mapping[int, float], after: Mapping[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    def close(self) -> None:
        self.conn.close()


@dataclass
class StageRun:
    stage: str
    wall_s: float
    cpu_s: float
    db_cpu_s: float | None
    peak_mib: float
    posts: int
    summary: dict[str, Any]
    problem: str | None = None

    @property
    def posts_per_s(self) -> float | None:
        return self.posts / self.wall_s if self.posts and self.wall_s > 0 else None


@dataclass
class Scenario:
    name: str
    posts: int
    statistics: str
    stages: list[StageRun] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return sum(s.wall_s for s in self.stages)

    @property
    def cpu_s(self) -> float:
        return sum(s.cpu_s for s in self.stages)

    @property
    def db_cpu_s(self) -> float | None:
        spent = [s.db_cpu_s for s in self.stages]
        return None if any(s is None for s in spent) else sum(s or 0.0 for s in spent)

    @property
    def peak_mib(self) -> float:
        return max((s.peak_mib for s in self.stages), default=0.0)

    def stage(self, name: str) -> StageRun | None:
        return next((s for s in self.stages if s.stage == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "posts": self.posts,
            "statistics": self.statistics,
            "wall_s": round(self.wall_s, 2),
            "cpu_s": round(self.cpu_s, 2),
            "db_cpu_s": None if self.db_cpu_s is None else round(self.db_cpu_s, 2),
            "peak_mib": round(self.peak_mib, 1),
            "stages": [
                {**asdict(s), "posts_per_s": s.posts_per_s and round(s.posts_per_s, 1)}
                for s in self.stages
            ],
        }


class LogProgress:
    """A ``progress_for`` like the CLI's bars, but printing a line every 30 s on stderr:
    enough to see a long stage move without paying for a live display."""

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def __call__(self, description: str, total: int | None) -> Callable[[int], None]:
        started = last = time.perf_counter()
        done = 0

        def advance(n: int) -> None:
            nonlocal done, last
            done += n
            now = time.perf_counter()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                of = f"/{total:,}" if total else ""
                rate = done / (now - started)
                log.info("  %s: %s %s%s (%.0f/s)", self.stage, description, f"{done:,}", of, rate)

        return advance


def run_plan_timed(
    settings: Settings,
    files: Sequence[Path],
    posts: int,
    report: Path,
    backends: BackendCpu | None,
    *,
    name: str,
    statistics: str,
    span: Window | None = None,
) -> Scenario:
    """Every stage of the plan, as ``grapevine run --path FILE...`` runs it (with ``span``: as
    ``--since/--until`` run it), each one measured."""
    from grapevine.cli.common import last_day

    scenario = Scenario(name, posts, statistics)
    options: dict[str, dict[str, Any]] = {
        "collect": {
            "sources": ["file"],
            "paths": list(files),
            "api_window": span or last_day(None, None, settings),
        },
        "report": {"out": report},
    }
    with warehouse(settings) as engine:
        for step in PLAN:
            kwargs = dict(options.get(step.name, {}))
            if "progress_for" in inspect.signature(step.module.run).parameters:
                kwargs["progress_for"] = LogProgress(step.name)
            log.info("%s [%s]: %s", name, statistics, step.name)
            db_before = backends.sample() if backends else {}
            _reset_peak_rss()
            cpu_before = _cpu_s()
            started = time.perf_counter()
            summary = step.run(engine, settings, span or Window(), **kwargs)
            wall = time.perf_counter() - started
            cpu = _cpu_s() - cpu_before
            peak = _peak_rss_mib()
            db_cpu = (
                BackendCpu.spent(db_before, backends.sample())
                if backends and backends.available
                else None
            )
            problem = step.problem(summary)
            scenario.stages.append(
                StageRun(
                    step.name,
                    round(wall, 3),
                    round(cpu, 3),
                    None if db_cpu is None else round(db_cpu, 3),
                    round(peak, 1),
                    posts,
                    _jsonable(summary),
                    None if problem is None else str(problem),
                )
            )
            log.info("  %s done in %.1f s", step.name, wall)
    return scenario


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def time_model_loading(settings: Settings) -> dict[str, float]:
    """What each classify and outcomes run pays before its first post: the models, loaded
    as those stages load them (files already in the page cache, libraries imported)."""
    from grapevine.stages.classify import load_models
    from grapevine.stages.outcomes import load_embedder

    started = time.perf_counter()
    models = load_models(settings)
    classify_s = time.perf_counter() - started
    started = time.perf_counter()
    embedder = load_embedder(settings) if settings.outcomes else None
    embed_s = time.perf_counter() - started
    del models, embedder
    gc.collect()
    return {"classify": round(classify_s, 2), "outcomes": round(embed_s, 2)}


# --- the databases and their statistics ------------------------------------------------------


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def database(admin: URL, name: str, *, template: str | None, keep: bool) -> Iterator[URL]:
    """A database on the benchmark server (a copy of ``template``), dropped unless ``keep``."""
    _admin(admin, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield admin.set(database=name)
    finally:
        if keep:
            log.warning("kept database %s", name)
        else:
            _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


USER_TABLES = """
SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
"""


def _execute(url: URL, statements: Sequence[str]) -> list[list[tuple[Any, ...]]]:
    conn = psycopg2.connect(_dsn(url))
    conn.autocommit = True
    try:
        results = []
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
                results.append(cur.fetchall() if cur.description else [])
        return results
    finally:
        conn.close()


def disable_autovacuum(url: URL) -> int:
    """Autovacuum off on every table of the database (its ANALYZE would refresh statistics)."""
    tables = [row[0] for row in _execute(url, [USER_TABLES])[0]]
    _execute(
        url,
        [
            f"ALTER TABLE {t} SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)"
            for t in tables
        ],
    )
    return len(tables)


def erase_statistics(url: URL) -> str:
    """Back to "never analysed": no column statistics, row counts unknown (superuser only)."""
    user_oids = USER_TABLES.replace("c.oid::regclass::text", "c.oid")
    try:
        _execute(
            url,
            [
                f"DELETE FROM pg_statistic WHERE starelid IN ({user_oids})",
                f"DELETE FROM pg_statistic_ext_data WHERE stxoid IN (SELECT oid FROM"
                f" pg_statistic_ext WHERE stxrelid IN ({user_oids}))",
                f"UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0"
                f" WHERE oid IN ({user_oids})",
            ],
        )
    except psycopg2.Error as exc:
        return f"statistics left as they were (cannot erase: {str(exc).strip()})"
    return "statistics erased"


def analyze(url: URL) -> str:
    started = time.perf_counter()
    _execute(url, ["ANALYZE"])
    return f"ANALYZE {time.perf_counter() - started:.1f} s"


def alerts_on(url: URL, day: date) -> list[dict[str, Any]]:
    """The alerts whose window overlaps ``day`` (UTC, the benchmark's time zone)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    from warehouse.engine import make_engine

    engine = make_engine(url=url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT b.name, a.kind, a.window_start, a.window_end, a.observed, a.expected,"
                    " a.p_value FROM alerts a JOIN brands b ON b.id = a.brand_id"
                    " WHERE a.window_start < :end AND a.window_end > :start"
                    " ORDER BY a.kind, b.name, a.window_start"
                ),
                {"start": start, "end": start + timedelta(days=1)},
            ).mappings()
            return [_jsonable(dict(r)) for r in rows]
    finally:
        engine.dispose()


def alert_kinds(url: URL) -> dict[str, int]:
    rows = _execute(url, ["SELECT kind, count(*) FROM alerts GROUP BY kind ORDER BY kind"])[0]
    return {str(kind): int(n) for kind, n in rows}


# --- targets ---------------------------------------------------------------------------------


@dataclass
class Verdict:
    target: str
    met: bool | None
    detail: str


def extrapolate(night: float, noop: float, n: int) -> float:
    """A linear model of one cost at 100k posts: fixed (what the no-op paid, or the night when
    that was less: noise) + the per-post rest x 100,000 / n."""
    fixed = min(night, noop)
    return fixed + (night - fixed) * TARGET_POSTS / n


def stage_estimates(night: Scenario, noop: Scenario, what: str = "wall") -> dict[str, float]:
    """Per stage, :func:`extrapolate` of its wall time (``what="cpu"``: client + server CPU)."""

    def cost(s: StageRun | None) -> float:
        if s is None:
            return 0.0
        return s.wall_s if what == "wall" else s.cpu_s + (s.db_cpu_s or 0.0)

    return {
        s.stage: extrapolate(cost(s), cost(noop.stage(s.stage)), night.posts) for s in night.stages
    }


def judge(
    night: Scenario, incremental: Scenario, noop: Scenario, models_s: float, surges: int
) -> list[Verdict]:
    n = night.posts
    verdicts: list[Verdict] = []
    if n >= TARGET_POSTS:
        verdicts.append(
            Verdict(
                "100k night < 10 min",
                night.wall_s < TARGET_NIGHT_S,
                f"{night.wall_s:.0f} s for {n:,} posts",
            )
        )
    else:
        estimate = sum(stage_estimates(night, noop).values())
        cpu = sum(stage_estimates(night, noop, "cpu").values())
        verdicts.append(
            Verdict(
                "100k night < 10 min (EXTRAPOLATED)",
                estimate < TARGET_NIGHT_S,
                f"measured {night.wall_s:.1f} s for {n:,} posts -> ~{estimate:,.0f} s for"
                f" 100,000 (linear per stage: no-op + per-post cost x 100k); CPU (this process"
                f" + server) ~{cpu:,.0f} s: at least {cpu / 2:,.0f} s on 2 free cores",
            )
        )
    verdicts.append(
        Verdict(
            "night peak memory < 2 GiB" + ("" if n >= TARGET_POSTS else f" (at {n:,} posts)"),
            night.peak_mib < TARGET_RSS_MIB,
            f"{night.peak_mib:,.0f} MiB (this process; the server's memory is not in it)",
        )
    )
    clean = night.wall_s / n
    inc = incremental.wall_s / max(incremental.posts, 1)
    clean_x = max(night.wall_s - models_s, 0.0) / n
    inc_x = max(incremental.wall_s - models_s, 0.0) / max(incremental.posts, 1)
    verdicts.append(
        Verdict(
            "incremental cost per post <= 2x clean",
            inc <= TARGET_INCREMENTAL_RATIO * clean,
            f"{inc * 1000:.1f} ms vs {clean * 1000:.1f} ms per post = {inc / clean:.2f}x"
            f" ({inc_x * 1000:.1f} vs {clean_x * 1000:.1f} ms, "
            f"{inc_x / clean_x if clean_x else float('nan'):.2f}x, without model loading)",
        )
    )
    verdicts.append(
        Verdict(
            "no-op < 5 s + model loading",
            noop.wall_s < TARGET_NOOP_S + models_s,
            f"{noop.wall_s:.1f} s vs {TARGET_NOOP_S:.0f} + {models_s:.1f} s",
        )
    )
    verdicts.append(
        Verdict(
            "night raised a volume-surge alert",
            surges > 0,
            f"{surges} volume-surge alert(s) on the night's day",
        )
    )
    return verdicts


# --- output ----------------------------------------------------------------------------------


def _brief(summary: Mapping[str, Any]) -> str:
    """A few non-zero counts of a stage's summary (collect: its first source's)."""
    if isinstance(summary.get("sources"), list) and summary["sources"]:
        summary = summary["sources"][0]
    parts = [
        f"{k} {v:,}"
        for k, v in summary.items()
        if isinstance(v, int) and not isinstance(v, bool) and v
    ]
    return ", ".join(parts[:4])


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def print_scenario(scenario: Scenario, estimate: Mapping[str, float] | None = None) -> None:
    for s in scenario.stages:
        est = _num(estimate.get(s.stage), ",.0f") if estimate else ""
        print(
            f"{scenario.name:<12}{s.stage:<10}{s.wall_s:>9.2f}{s.cpu_s:>8.2f}"
            f"{_num(s.db_cpu_s, '.2f'):>9}{s.peak_mib:>9,.0f}{_num(s.posts_per_s, ',.0f'):>9}"
            f"{est:>10}  {(s.problem or _brief(s.summary))[:70]}"
        )
    rate = scenario.posts / scenario.wall_s if scenario.posts and scenario.wall_s else None
    total = sum(estimate.values()) if estimate else None
    print(
        f"{scenario.name:<12}{'TOTAL':<10}{scenario.wall_s:>9.2f}{scenario.cpu_s:>8.2f}"
        f"{_num(scenario.db_cpu_s, '.2f'):>9}{scenario.peak_mib:>9,.0f}{_num(rate, ',.0f'):>9}"
        f"{_num(total, ',.0f') if estimate else '':>10}  [{scenario.statistics}]"
    )


HEADER = (
    f"{'scenario':<12}{'stage':<10}{'wall s':>9}{'cpu s':>8}{'db cpu s':>9}{'peak MiB':>9}"
    f"{'posts/s':>9}{'100k est':>10}  summary"
)


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--night", type=int, default=TARGET_POSTS, help="posts in the night")
    parser.add_argument("--quick", action="store_true", help="a 2,000-post night")
    parser.add_argument("--incremental", type=int, default=1_000, help="new posts after it")
    parser.add_argument("--texts", choices=("varied", "demo"), default="varied")
    parser.add_argument(
        "--skip-analyze-variant",
        action="store_true",
        help="run the no-statistics variant only (no ANALYZE before each scenario)",
    )
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of tables")
    parser.add_argument("--keep-db", action="store_true", help="keep the databases and files")
    parser.add_argument(
        "--window",
        choices=("all", "night"),
        default="all",
        help="all: files imported whole, later stages on the whole warehouse (grapevine run"
        " --path F); night: --since/--until the night's day",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("-v", "--verbose", action="store_true", help="the pipeline's INFO logs")
    args = parser.parse_args(argv)
    night_n = 2_000 if args.quick else args.night
    if night_n < 1 or args.incremental < 1:
        parser.error("--night and --incremental must be at least 1")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    log.setLevel(logging.INFO)

    admin = normalise_url(os.environ.get("GRAPEVINE_BENCH_DATABASE_URL", DEFAULT))
    base = f"gv_nightly_{uuid.uuid4().hex[:8]}"
    day = history_last_day() + timedelta(days=1)
    folder = Path(tempfile.mkdtemp(prefix="gv-nightly-"))
    result: dict[str, Any] = {
        "night_posts": night_n,
        "incremental_posts": args.incremental,
        "night_day": day.isoformat(),
        "texts": args.texts,
        "window": args.window,
        "cpus": len(os.sched_getaffinity(0)),
        "variants": [],
    }
    try:
        # Written in a child process: 100k generated posts would otherwise stay in this
        # process's heap and count in every stage's resident memory.
        started = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
            made = pool.submit(
                make_files, folder, args.texts, night_n, args.incremental, day, args.seed
            ).result()
        result["files"] = made
        log.info(
            "wrote %s night and %s incremental posts (%s and %s distinct texts) in %.0f s",
            f"{made['night']['posts']:,}",
            f"{made['incremental']['posts']:,}",
            f"{made['night']['distinct_texts']:,}",
            f"{made['incremental']['distinct_texts']:,}",
            time.perf_counter() - started,
        )
        settings = Settings(
            _env_file=None,
            data_dir=folder,
            brands_file=DEMO_BRANDS,
            import_glob=None,
            alert_urls=[],
            timezone="UTC",
        )
        history_name = f"{base}_history"
        with database(admin, history_name, template=None, keep=args.keep_db) as url:
            hist = settings.model_copy(update={"database_url": SecretStr(_dsn(url))})
            with warehouse(hist, migrate_first=True):
                pass
            log.info("history: the demo through the plan")
            history = run_plan_timed(
                hist,
                [DEMO_POSTS],
                sum(1 for _ in DEMO_POSTS.open("rb")),
                folder / "history-report.html",
                None,
                name="history",
                statistics="demo",
            )
            result["history"] = history.as_json()
            result["history_alerts"] = alert_kinds(url)
            result["model_loading_s"] = time_model_loading(hist)
            models_s = sum(result["model_loading_s"].values())
            variants = [("no statistics", erase_statistics)]
            if not args.skip_analyze_variant:
                variants.append(("fresh statistics", analyze))
            for label, prepare in variants:
                result["variants"].append(
                    run_variant(
                        admin,
                        f"{base}_{label.split()[0]}",
                        history_name,
                        settings,
                        label,
                        prepare,
                        folder,
                        night_n,
                        args.incremental,
                        day,
                        models_s,
                        keep=args.keep_db,
                        windowed=args.window == "night",
                    )
                )
    finally:
        if args.keep_db:
            log.warning("kept the files and reports in %s", folder)
        else:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_result(result)
    met = [v["met"] for variant in result["variants"] for v in variant["targets"]]
    return 1 if args.check and any(m is False for m in met) else 0


def run_variant(
    admin: URL,
    name: str,
    template: str,
    settings: Settings,
    label: str,
    prepare: Callable[[URL], str],
    folder: Path,
    night_n: int,
    incremental_n: int,
    day: date,
    models_s: float,
    *,
    keep: bool,
    windowed: bool = False,
) -> dict[str, Any]:
    """Night, incremental, no-op on a fresh copy of the history, statistics per ``prepare``."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    span = Window(start, start + timedelta(days=1)) if windowed else None
    with database(admin, name, template=template, keep=keep) as url:
        if prepare is erase_statistics:
            disable_autovacuum(url)
        local = settings.model_copy(update={"database_url": SecretStr(_dsn(url))})
        backends = BackendCpu(url)
        scenarios: list[Scenario] = []
        try:
            plan = (
                ("night", "night.jsonl", night_n),
                ("incremental", "incremental.jsonl", incremental_n),
                ("no-op", "incremental.jsonl", 0),
            )
            for scenario, file, posts in plan:
                statistics = prepare(url)
                log.info("%s [%s]: %s", scenario, label, statistics)
                scenarios.append(
                    run_plan_timed(
                        local,
                        [folder / file],
                        posts,
                        # one path, as a rerun of `grapevine run` writes its report: the no-op
                        # may then keep the file the incremental night wrote
                        folder / f"{name}.html",
                        backends,
                        name=scenario,
                        statistics=statistics,
                        span=span,
                    )
                )
        finally:
            backends.close()
        night, incremental, noop = scenarios
        on_day = alerts_on(url, day)
        surges = [a for a in on_day if a["kind"] == KIND_VOLUME_SURGE]
        verdicts = judge(night, incremental, noop, models_s, len(surges))
        return {
            "variant": label,
            "database": name if keep else None,
            "backend_cpu": backends.available,
            "scenarios": [s.as_json() for s in scenarios],
            "estimate_100k_s": None
            if night_n >= TARGET_POSTS
            else {k: round(v, 1) for k, v in stage_estimates(night, noop).items()},
            "alerts_on_night": on_day,
            "targets": [asdict(v) for v in verdicts],
        }


def print_result(result: Mapping[str, Any]) -> None:
    files = result["files"]
    history = result["history"]
    print(
        f"night of {result['night_posts']:,} posts on {result['night_day']} "
        f"({result['texts']} texts: {files['night']['distinct_texts']:,} distinct, "
        f"{files['night']['threads']:,} threads), incremental {result['incremental_posts']:,};"
        f" window {result['window']}; {result['cpus']} CPUs"
    )
    print(
        f"history: the demo ({history['posts']:,} lines) through the plan in"
        f" {history['wall_s']:.1f} s; alerts {result['history_alerts']}"
    )
    loading = result["model_loading_s"]
    print(
        f"model loading: classify {loading['classify']:.1f} s, outcomes {loading['outcomes']:.1f}"
        " s (paid by every run of those stages)"
    )
    for variant in result["variants"]:
        print(f"\n== {variant['variant']}")
        print(HEADER)
        estimate = variant["estimate_100k_s"]
        for raw in variant["scenarios"]:
            scenario = Scenario(raw["name"], raw["posts"], raw["statistics"])
            for s in raw["stages"]:
                s = {k: v for k, v in s.items() if k != "posts_per_s"}
                scenario.stages.append(StageRun(**s))
            print_scenario(scenario, estimate if raw["name"] == "night" else None)
        if estimate is not None:
            print("(100k est: EXTRAPOLATED linearly from this run: no-op + per-post cost x 100k)")
        for alert in variant["alerts_on_night"]:
            print(
                f"alert on the night: {alert['kind']} {alert['name']}: observed"
                f" {_num(alert['observed'], ',.0f')}, expected {_num(alert['expected'], ',.1f')},"
                f" p {_num(alert['p_value'], '.2g')}"
            )
        print("targets:")
        for v in variant["targets"]:
            mark = {True: "MET ", False: "MISS", None: "n/a "}[v["met"]]
            print(f"  [{mark}] {v['target']}: {v['detail']}")


if __name__ == "__main__":
    raise SystemExit(main())
