"""Fixtures for the Airflow tests: a real metadata database, a real warehouse, fake sources.

Airflow reads its configuration once, when ``airflow`` is first imported, so every Airflow run
happens in a child process with its own environment (``AIRFLOW_HOME``, metadata database,
DAG folder). The pytest process only serves the fake APIs, prepares the databases and reads
the warehouse. Warehouse and Airflow metadata live in separate databases, as in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from airflow_e2e import DAY1, DAY3
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from tests.fakes import FakeHackerNews, FakeReddit
from tests.fakes import reddit as fake_reddit
from tests.fakes.corpus import Corpus
from tests.pg import migrate_database
from warehouse.engine import make_engine

ROOT = Path(__file__).resolve().parents[3]
DAGS = ROOT / "dags"
RUNNER = Path(__file__).with_name("dag_runner.py")
BIN = Path(sys.executable).parent

BRANDS_YAML = """\
brands:
  - name: Acme Air
    aliases: ["acme air", "acmeair", "#acmeair"]
    query: '("acme air" OR acmeair) AND NOT "air fryer"'
    competitors: ["Globex"]
  - name: Globex
    aliases: ["globex"]
"""


def pg_url(url: URL, driver: str = "postgresql+psycopg2") -> str:
    return url.set(drivername=driver).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def airflow_metadata_url(database_factory: Callable[[], URL], tmp_path_factory) -> URL:
    """A migrated Airflow metadata database (``airflow db migrate``), apart from the warehouse."""
    url = database_factory()
    home = tmp_path_factory.mktemp("airflow-migrate")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_url(url),
    }
    done = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return url


@pytest.fixture(scope="session")
def airflow_warehouse_url(database_factory: Callable[[], URL]) -> URL:
    return migrate_database(database_factory())


@pytest.fixture(scope="session")
def airflow_warehouse(airflow_warehouse_url: URL) -> Iterator[Engine]:
    engine = make_engine(url=airflow_warehouse_url)
    yield engine
    engine.dispose()


class Notifications(BaseHTTPRequestHandler):
    """Receives apprise ``json://`` notifications (the failure callback's channel)."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@dataclass
class Sources:
    hackernews: FakeHackerNews
    reddit: FakeReddit
    notify_url: str
    notifications: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="session")
def fake_sources() -> Iterator[Sources]:
    """Fake Hacker News and Reddit serving two days of posts, and a notification receiver."""
    hn = FakeHackerNews(Corpus.generate(24, DAY1, DAY3, seed=11)).start()
    reddit = FakeReddit(Corpus.generate(16, DAY1, DAY3, seed=12, tag="acmeair")).start()
    received: list[dict[str, Any]] = []
    handler = type("Handler", (Notifications,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"json://127.0.0.1:{server.server_port}/"
    yield Sources(hn, reddit, url, received)
    server.shutdown()
    server.server_close()
    hn.stop()
    reddit.stop()


@pytest.fixture(scope="session")
def airflow_env(
    tmp_path_factory, airflow_metadata_url: URL, airflow_warehouse_url: URL, fake_sources: Sources
) -> dict[str, str]:
    """Environment of every Airflow process: metadata DB, DAG folder, connections, Grapevine.

    The warehouse and Reddit's credentials come from Airflow connections (``AIRFLOW_CONN_*``),
    Hacker News' base URL from ``GRAPEVINE_*``: both paths of ``settings_from_airflow``.
    """
    home = tmp_path_factory.mktemp("airflow-home")
    brands = home / "brands.yaml"
    brands.write_text(BRANDS_YAML, encoding="utf-8")
    reddit = json.dumps(
        {
            "conn_type": "generic",
            "login": fake_reddit.CLIENT_ID,
            "password": fake_reddit.CLIENT_SECRET,
            "extra": {"base_url": fake_sources.reddit.url, "auth_url": fake_sources.reddit.url},
        }
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPEVINE_", "AIRFLOW"))}
    return {
        **keep,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_url(airflow_metadata_url),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW_CONN_GRAPEVINE_WAREHOUSE": pg_url(airflow_warehouse_url, "postgresql"),
        "AIRFLOW_CONN_GRAPEVINE_REDDIT": reddit,
        "GRAPEVINE_HACKERNEWS_BASE_URL": fake_sources.hackernews.url,
        "GRAPEVINE_BRANDS_FILE": str(brands),
        "GRAPEVINE_DATA_DIR": str(home / "grapevine"),
        "GRAPEVINE_AUTHOR_HASH_KEY": "airflow-test-key-0123456789",
        "GRAPEVINE_ALERT_URLS": fake_sources.notify_url,
        "GRAPEVINE_AIRFLOW_RETRY_DELAY_S": "1",
        "GRAPEVINE_AIRFLOW_RETRIES": "2",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",
    }


@dataclass
class RunResult:
    """What ``dag.test()`` left: the run's state, each task's state and tries, a snapshot."""

    state: str
    data_interval: tuple[str, str]
    tis: dict[str, dict[str, Any]]
    snapshot: dict[str, list[str]] | None

    def ti(self, task_id: str, map_index: int = -1) -> dict[str, Any]:
        return self.tis[f"{task_id}[{map_index}]" if map_index >= 0 else task_id]

    def states(self, prefix: str) -> list[str]:
        return [v["state"] for k, v in sorted(self.tis.items()) if k.startswith(prefix)]


@dataclass
class Story:
    """The runs of one ``dag_runner`` process, by step name, with its output and duration."""

    runs: dict[str, RunResult]
    log: str
    seconds: float


@pytest.fixture(scope="session")
def run_plan(airflow_env: dict[str, str]) -> Callable[..., Story]:
    """Run a list of DAG runs (see ``dag_runner.py``) in one child process."""

    def run(plan: list[dict[str, Any]], timeout: int = 600) -> Story:
        for step in plan:
            if isinstance(step.get("logical_date"), datetime):
                step["logical_date"] = step["logical_date"].isoformat()
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(RUNNER), "--plan", json.dumps(plan)],
            env=airflow_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
        log = done.stdout + done.stderr
        assert done.returncode == 0, log[-6000:]
        runs = {}
        for line in done.stdout.splitlines():
            if line.startswith("DAG_RESULT "):
                r = json.loads(line.removeprefix("DAG_RESULT "))
                runs[r["name"]] = RunResult(
                    r["state"], tuple(r["data_interval"]), r["tis"], r["snapshot"]
                )
        assert [s["name"] for s in plan] == list(runs), log[-6000:]
        return Story(runs, log, time.monotonic() - started)

    return run
