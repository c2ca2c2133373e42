"""Grapevine nightly: collect, classify, aggregate, alert and report one UTC day.

Each run covers its data interval ``[data_interval_start, data_interval_end)`` (midnight to
midnight UTC), so a rerun or a caught-up night computes exactly what the original run did.
This file only wires tasks: the stages come from ``grapevine.plan``, run on the workers.

Environment (read at parse time, no database lookups): ``GRAPEVINE_AIRFLOW_CATCHUP`` (false),
``GRAPEVINE_AIRFLOW_START_DATE`` (2026-01-01), ``GRAPEVINE_AIRFLOW_RETRIES`` (3),
``GRAPEVINE_AIRFLOW_RETRY_DELAY_S`` (120, doubled on each retry).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag

from grapevine import airflow as gv


@dag(
    dag_id="grapevine_nightly",
    schedule=CronTriggerTimetable("0 0 * * *", timezone="UTC", interval=timedelta(days=1)),
    start_date=gv.start_date(),
    catchup=gv.catchup(),
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=12),
    default_args=gv.default_args(),
    tags=["grapevine"],
    doc_md=__doc__,
)
def grapevine_nightly() -> None:
    window = gv.as_task(gv.data_interval_window, task_id="window")(whole_days=True)
    gv.wire_pipeline(window)


grapevine_nightly()
