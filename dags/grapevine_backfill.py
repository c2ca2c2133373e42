"""Grapevine backfill: re-run any past window on demand, idempotently.

Trigger it with ``since``/``until`` (UTC dates, ``until`` exclusive) and optionally a subset of
``sources``. Collection is mapped over day slices per source (each source's pool keeps its API
within its rate limit); the rest is the nightly pipeline over the whole window, so the
warehouse ends in the same state as nightly runs would leave it. This file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag

from grapevine import airflow as gv


@dag(
    dag_id="grapevine_backfill",
    schedule=None,
    start_date=gv.start_date(),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(days=2),
    default_args=gv.default_args(),
    params={
        "since": Param(type="string", format="date", description="First day (UTC)."),
        "until": Param(type="string", format="date", description="Day after the last (UTC)."),
        "sources": Param(
            [],
            type="array",
            items={"type": "string", "enum": gv.source_names()},
            description="Sources to collect; empty: every enabled source.",
        ),
        "slice_days": Param(
            1,
            type="integer",
            minimum=1,
            maximum=31,
            description="Days per collect task (its unit of retry).",
        ),
        "dry_run_alerts": Param(
            False, type="boolean", description="Record spikes without notifying anyone."
        ),
        "rediscover_outcomes": Param(
            False,
            type="boolean",
            description="Discover outcomes again over all posts after loading the interval "
            "(otherwise its posts join the outcomes already known).",
        ),
    },
    tags=["grapevine"],
    doc_md=__doc__,
)
def grapevine_backfill() -> None:
    window = gv.as_task(gv.params_window, task_id="window")()
    gv.wire_pipeline(window)


grapevine_backfill()
