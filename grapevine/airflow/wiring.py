"""How the DAGs are wired from the stage plan: one function, so every DAG shows the same graph.

Stages come from :data:`grapevine.plan.PLAN` in order. A stage that fans out over sources gets,
per source of :data:`grapevine.sources.SOURCES`, a group ``collect_<source>`` (``plan`` lists
the window slices, ``collect`` is mapped over them in the source's own pool); one that fans out
over batches gets ``classify_batches`` then a mapped ``classify_batch``; any other stage is one
task running :func:`grapevine.airflow.callables.run_stage`. Airflow is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from grapevine import sources
from grapevine.airflow import callables
from grapevine.plan import PLAN, Stage, select


def as_task(func: Callable[..., Any], **kwargs: Any) -> Any:
    """``@task`` for one of the callables, with ``multiple_outputs`` off.

    Airflow infers ``multiple_outputs`` from a ``dict`` return annotation and would then push
    every key as an XCom of its own as well; one small dict per task is all we want.
    """
    from airflow.sdk import task

    return task(multiple_outputs=False, **kwargs)(func)


def _wire_sources(window: Any) -> list[Any]:
    from airflow.sdk import TaskGroup

    collected = []
    for source in sources.SOURCES:
        with TaskGroup(group_id=f"collect_{source.name}"):
            slices = as_task(callables.plan)(source.name, window)
            collect_task = as_task(callables.collect, pool=source.pool)
            collected.append(collect_task.partial(source=source.name).expand(window=slices))
    return collected


def _wire(stage: Stage, window: Any, upstream: Any) -> Any:
    # After a fan-out, some mapped tasks may be skipped (a disabled source, no batches): the
    # next stage must still run, hence none_failed.
    if stage.fan_out == "sources":
        tasks = _wire_sources(window)
        if upstream is not None:
            upstream >> tasks
        return tasks
    if stage.fan_out == "batches":
        batches = as_task(callables.classify_batches, trigger_rule="none_failed")(window)
        if upstream is not None:
            upstream >> batches
        return as_task(callables.classify_batch, max_active_tis_per_dagrun=4).expand(batch=batches)
    task = as_task(callables.run_stage, task_id=stage.task_id, trigger_rule="none_failed")(
        stage.name, window
    )
    if upstream is not None:
        upstream >> task
    return task


def wire_stages(window: Any, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Create the tasks of the named stages (default: the whole plan) in the current DAG, in
    plan order, each downstream of the one before; returns them by stage name."""
    stages = PLAN if names is None else select(names)
    tasks: dict[str, Any] = {}
    upstream = None
    for stage in stages:
        upstream = tasks[stage.name] = _wire(stage, window, upstream)
    return tasks


def wire_pipeline(window: Any) -> dict[str, Any]:
    """The whole interval: every stage of the plan. Nightly and backfill share it, so that a
    backfilled interval ends in exactly the state a nightly run leaves."""
    return wire_stages(window)
