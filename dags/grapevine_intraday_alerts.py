"""Grapevine intraday alerts: every hour, collect, classify and assign outcomes for the last
hours, then check spikes.

The window is the last ``GRAPEVINE_AIRFLOW_INTRADAY_LOOKBACK_HOURS`` (3) hours up to the run's
``data_interval_end``: overlapping windows pick up posts the APIs index late, and loading is
idempotent. Alerts are unique per brand and window, so overlapping checks never notify twice.
No catch-up: an alert about a spike that ended hours ago is noise. This file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, Param, dag

from grapevine import airflow as gv


@dag(
    dag_id="grapevine_intraday_alerts",
    schedule=CronTriggerTimetable("0 * * * *", timezone="UTC", interval=timedelta(hours=1)),
    start_date=gv.start_date(),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=55),
    default_args=gv.default_args(retries=1, execution_timeout=timedelta(minutes=30)),
    # New posts join the known outcomes (so alerts name their drivers); never a discovery.
    params={"rediscover_outcomes": Param(False, type="boolean", description="Discover again.")},
    tags=["grapevine", "alerts"],
    doc_md=__doc__,
)
def grapevine_intraday_alerts() -> None:
    window = gv.as_task(gv.data_interval_window, task_id="window")(
        lookback_hours=gv.intraday_lookback_hours()
    )
    gv.wire_stages(window, ["collect", "classify", "outcomes", "alerts"])


grapevine_intraday_alerts()
