"""Grapevine weekly outcomes: discover again what customers talk about, every Sunday.

Nightly runs only assign new posts to the outcomes already known (fast, stable ids). Once a
week this DAG clusters every post read so far again: outcomes that match earlier ones keep
their ids, new ones appear, those no longer found are retired, every post is re-assigned and
the daily outcome counts are recomputed. Trigger it by hand (or ``grapevine outcomes
discover``) after a big backfill. This file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, Param, dag

from grapevine import airflow as gv


@dag(
    dag_id="grapevine_outcomes_weekly",
    schedule=CronTriggerTimetable("0 4 * * 0", timezone="UTC", interval=timedelta(days=7)),
    start_date=gv.start_date(),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args=gv.default_args(retries=1),
    params={"rediscover_outcomes": Param(True, type="boolean", description="Discover again.")},
    tags=["grapevine", "outcomes"],
    doc_md=__doc__,
)
def grapevine_outcomes_weekly() -> None:
    window = gv.as_task(gv.data_interval_window, task_id="window")(whole_days=True)
    gv.wire_stages(window, ["outcomes"])


grapevine_outcomes_weekly()
