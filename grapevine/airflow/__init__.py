"""Grapevine's Airflow glue: what the DAG files in ``dags/`` import.

The DAG files only wire tasks; this package holds the rest, in small modules that unit tests
use without a scheduler: ``config`` (parse-time environment, default args, pools), ``windows``
(data intervals and slices), ``connections`` (settings from Airflow connections, secrets
masked), ``callables`` (what each task runs, on a worker), ``wiring`` (the task graph, from
the stage plan) and ``notices`` (failure notices through the alert channels). Airflow and the
stages are imported lazily, so parsing a DAG file touches no database, model or network.
"""

from __future__ import annotations

from grapevine.airflow.config import (
    catchup,
    default_args,
    env_flag,
    intraday_lookback_hours,
    pools,
    start_date,
)
from grapevine.airflow.connections import overrides_from_connection, settings_from_airflow
from grapevine.airflow.notices import failure_message, notify_failure, redact
from grapevine.airflow.windows import (
    Window,
    data_interval_window,
    make_window,
    params_window,
    plan_collection,
    split_window,
)
from grapevine.airflow.wiring import as_task, wire_pipeline, wire_stages
from grapevine.sources import names as source_names

__all__ = [
    "Window",
    "as_task",
    "catchup",
    "data_interval_window",
    "default_args",
    "env_flag",
    "failure_message",
    "intraday_lookback_hours",
    "make_window",
    "notify_failure",
    "overrides_from_connection",
    "params_window",
    "plan_collection",
    "pools",
    "redact",
    "settings_from_airflow",
    "source_names",
    "split_window",
    "start_date",
    "wire_pipeline",
    "wire_stages",
]
