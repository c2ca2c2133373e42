"""The DAG files parse without errors, fast, without heavy imports, and wire what we expect.

Parsing happens in a child process with a clean Airflow environment so that ``sys.modules``
shows exactly what importing the DAG folder pulled in: the scheduler's DAG processor re-parses
these files every few seconds, so model, database and collector imports there would cost every
deployment CPU and could hang parsing on a dead warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]

PARSE = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag

before = set(sys.modules)
bag = DagBag(dag_folder=sys.argv[1])
dags = {}
for dag in bag.dags.values():
    dags[dag.dag_id] = {
        "schedule": getattr(dag.timetable, "expression", None),
        "interval": str(getattr(dag.timetable, "interval", "")),
        "timezone": str(getattr(dag.timetable, "timezone", "")),
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "params": sorted(dag.params.keys()),
        "tasks": {
            t.task_id: {
                "pool": t.pool,
                "mapped": type(t).__name__.endswith("MappedOperator"),
                "downstream": sorted(t.downstream_task_ids),
                "trigger_rule": str(t.trigger_rule.value),
                "retries": t.retries,
                "backoff": t.retry_exponential_backoff,
                "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                "on_failure": [f.__name__ for f in (t.on_failure_callback or [])]
                    if isinstance(t.on_failure_callback, list)
                    else getattr(t.on_failure_callback, "__name__", None),
            }
            for t in dag.tasks
        },
    }
print(json.dumps({
    "errors": bag.import_errors,
    "stats": [{"file": s.file, "seconds": s.duration.total_seconds()} for s in bag.dagbag_stats],
    "dags": dags,
    "imported": sorted(set(sys.modules) - before),
}))
"""

HEAVY = ("torch", "transformers", "sentence_transformers", "warehouse", "nlp", "collectors",
         "grapevine.cli", "grapevine.alerts", "grapevine.core.settings", "grapevine.stages",
         "grapevine.report", "praw", "tweepy", "atproto", "mastodon", "apprise")  # fmt: skip


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("airflow-parse")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "GRAPEVINE_"))}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="false")
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(ROOT / "dags")],
        env=env, capture_output=True, text=True, timeout=120, cwd=home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_dag_files_import_without_errors(parsed) -> None:
    assert parsed["errors"] == {}
    assert set(parsed["dags"]) == {
        "grapevine_nightly", "grapevine_backfill", "grapevine_intraday_alerts",
        "grapevine_outcomes_weekly",
    }  # fmt: skip


def test_each_file_parses_fast(parsed) -> None:
    assert len(parsed["stats"]) == 4
    for stat in parsed["stats"]:
        print(f"{stat['file']}: parsed in {stat['seconds'] * 1000:.0f} ms")
        assert stat["seconds"] < 2.0, stat


def test_parsing_imports_no_heavy_module(parsed) -> None:
    heavy = [m for m in parsed["imported"] if m.startswith(HEAVY) and m.split(".")[0] != "airflow"]
    heavy = [m for m in heavy if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == [], "DAG files must import these inside tasks, not at parse time"


def test_nightly_wiring(parsed) -> None:
    dag = parsed["dags"]["grapevine_nightly"]
    tasks = dag["tasks"]
    assert dag["schedule"] == "0 0 * * *" and dag["timezone"] == "UTC"
    assert dag["interval"] == "1 day, 0:00:00", "a run covers the whole previous UTC day"
    assert dag["catchup"] is False and dag["max_active_runs"] == 1
    sources = ["reddit", "x", "bluesky", "mastodon", "hackernews", "file"]
    for source in sources:
        plan, collect = tasks[f"collect_{source}.plan"], tasks[f"collect_{source}.collect"]
        assert plan["downstream"] == [f"collect_{source}.collect"]
        assert collect["mapped"] and collect["pool"] == f"grapevine_{source}"
        assert collect["downstream"] == ["classify_batches"]
    assert tasks["classify_batches"]["downstream"] == ["classify_batch"]
    assert tasks["classify_batch"]["mapped"]
    assert tasks["classify_batch"]["downstream"] == ["assign_outcomes"]
    assert tasks["assign_outcomes"]["downstream"] == ["compute_metrics"]
    assert tasks["compute_metrics"]["downstream"] == ["check_alerts"]
    assert tasks["check_alerts"]["downstream"] == ["build_report"]
    # Skipped collects (disabled sources) and empty batch lists must not skip the rest.
    assert tasks["classify_batches"]["trigger_rule"] == "none_failed"
    assert tasks["compute_metrics"]["trigger_rule"] == "none_failed"
    for task in tasks.values():
        assert task["retries"] >= 1 and task["backoff"] == 2.0
        assert task["timeout"] and task["timeout"] <= 2 * 3600
        assert task["on_failure"] in ("notify_failure", ["notify_failure"])


def test_backfill_takes_its_window_as_params(parsed) -> None:
    dag = parsed["dags"]["grapevine_backfill"]
    assert dag["schedule"] is None
    assert dag["params"] == [
        "dry_run_alerts", "rediscover_outcomes", "since", "slice_days", "sources", "until"
    ]  # fmt: skip
    assert set(dag["tasks"]) == set(parsed["dags"]["grapevine_nightly"]["tasks"])


def test_intraday_checks_alerts_after_classification(parsed) -> None:
    dag = parsed["dags"]["grapevine_intraday_alerts"]
    assert dag["schedule"] == "0 * * * *" and dag["catchup"] is False
    tasks = dag["tasks"]
    assert tasks["classify_batch"]["downstream"] == ["assign_outcomes"]
    assert tasks["assign_outcomes"]["downstream"] == ["check_alerts"]
    assert "build_report" not in tasks and "compute_metrics" not in tasks
    assert dag["params"] == ["rediscover_outcomes"]


def test_weekly_outcomes_rediscovers_and_does_nothing_else(parsed) -> None:
    dag = parsed["dags"]["grapevine_outcomes_weekly"]
    assert dag["schedule"] == "0 4 * * 0" and dag["catchup"] is False
    assert set(dag["tasks"]) == {"window", "assign_outcomes"}
    assert dag["params"] == ["rediscover_outcomes"]
