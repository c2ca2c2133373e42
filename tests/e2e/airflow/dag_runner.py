"""Run a sequence of DAG runs with ``dag.test()`` in one process; print one JSON line per run.

The Airflow tests start this in a child process: Airflow reads its configuration at import
time, so the runs need an environment of their own, and one process for the whole sequence
pays Airflow's start-up (about 20 s for the in-process execution API) only once.

Each step of ``--plan`` (a JSON list) names ``dag_id`` and optionally ``logical_date``,
``conf``, ``fail`` (``{"compute_metrics": 1}``: the first run of the stage behind that task
id raises; ``-1``: every call does), ``empty_first`` (truncate the warehouse before the
run) and ``snapshot`` (the warehouse's content after it). Injected errors carry the Reddit
secret so that the tests can check that notifications mask it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

# Run as a script: make the repository root importable for the shared test helpers.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from airflow_e2e import snapshot

from tests.pg import empty_warehouse


@contextmanager
def failing(failures: dict[str, int]) -> Iterator[None]:
    """Make the first ``n`` runs of the stage behind each named task id raise."""
    from grapevine.plan import PLAN

    modules = {s.task_id: s.module for s in PLAN}
    originals = {name: modules[name].run for name in failures}
    secret = json.loads(os.environ["AIRFLOW_CONN_GRAPEVINE_REDDIT"])["password"]

    def wrap(name: str, original: Callable[..., Any], times: int) -> Callable[..., Any]:
        calls = 0

        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if times < 0 or calls <= times:
                raise RuntimeError(f"injected failure {calls} of {name} (client secret {secret})")
            return original(*args, **kwargs)

        return call

    for name, times in failures.items():
        modules[name].run = wrap(name, originals[name], times)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name, original in originals.items():
            modules[name].run = original  # type: ignore[attr-defined]


def _text(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


def run_step(bag: Any, step: dict[str, Any], engine: Any) -> dict[str, Any]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    if step.get("empty_first"):
        empty_warehouse(engine)
    dag = bag.get_dag(step["dag_id"])
    logical = step.get("logical_date")
    with failing(step.get("fail") or {}):
        run = dag.test(
            logical_date=datetime.fromisoformat(logical) if logical else None,
            run_conf=step.get("conf"),
        )
    with create_session() as session:
        rows = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == run.run_id
            )
        ).all()
        tis = {
            (f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id): {
                "state": _text(ti.state),
                "try_number": ti.try_number,
            }
            for ti in rows
        }
    return {
        "name": step["name"],
        "state": _text(run.state),
        "data_interval": [str(run.data_interval_start), str(run.data_interval_end)],
        "tis": tis,
        "snapshot": snapshot(engine) if step.get("snapshot") else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", type=json.loads, required=True)
    args = parser.parse_args()

    from airflow.dag_processing.dagbag import DagBag

    from warehouse.engine import make_engine

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert not bag.import_errors, bag.import_errors
    engine = make_engine(url=os.environ["AIRFLOW_CONN_GRAPEVINE_WAREHOUSE"])
    try:
        for step in args.plan:
            result = run_step(bag, step, engine)
            print("DAG_RESULT " + json.dumps(result, default=str), flush=True)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
