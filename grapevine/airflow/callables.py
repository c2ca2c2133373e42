"""Task callables: what each Airflow task runs, on a worker.

They import the stages only when they *run*, and exchange only small dicts (windows, id
ranges, counts) through XCom. Each opens the warehouse from :func:`settings_from_airflow`
and calls the stage's one entry point from :data:`grapevine.plan.PLAN`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grapevine.airflow.connections import settings_from_airflow
from grapevine.airflow.windows import Window, plan_collection, span

if TYPE_CHECKING:
    from grapevine.core.settings import Settings

Context = Mapping[str, Any]

_XCOM_LIMIT = 16_384


def _params(context: Context) -> Mapping[str, Any]:
    return context.get("params") or {}


def _small(result: Mapping[str, Any]) -> dict[str, Any]:
    """Guard the XCom contract: ids and counts, never payloads (they belong in the warehouse)."""
    out = dict(result)
    size = len(json.dumps(out, default=str))
    if size > _XCOM_LIMIT:
        raise ValueError(f"task result is {size} bytes of JSON; XComs carry ids and counts only")
    return out


def plan(source: str, window: Window, **context: Any) -> list[Window]:
    """The window slices ``source`` collects: none when it is disabled or not among the params'.

    One small task per source, because Airflow maps only over a task's whole return value.
    """
    from grapevine.stages.collect import enabled_sources

    params = _params(context)
    enabled = enabled_sources(settings_from_airflow())
    only = params.get("sources") or None
    planned = plan_collection(
        window, enabled, only=only, slice_days=int(params.get("slice_days", 1))
    )
    return planned[source]


def collect(source: str, window: Window) -> dict[str, Any]:
    """Collect one source over one window slice; returns counts only. A source that fails
    (or lacks credentials) fails its task, so Airflow retries it and shows it red."""
    from grapevine.stages.base import warehouse
    from grapevine.stages.collect import collect_source

    settings = settings_from_airflow()
    with warehouse(settings) as engine:
        return _small(collect_source(engine, settings, source, span(window)))


def classify_batches(window: Window) -> list[dict[str, Any]]:
    """Descriptors (post id ranges) of the batches to classify: the map for ``classify_batch``."""
    from grapevine.stages.base import warehouse
    from grapevine.stages.classify import plan_batches

    settings = settings_from_airflow()
    with warehouse(settings) as engine:
        batches = plan_batches(engine, settings, span(window))
    _small({"batches": batches})
    return batches


def classify_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """One batch of pending posts (an id range within the window)."""
    from grapevine.plan import stage
    from grapevine.stages.base import warehouse

    settings = settings_from_airflow()
    window = span({"since": batch["since"], "until": batch["until"]})
    with warehouse(settings) as engine:
        return _small(stage("classify").run(engine, settings, window, batch=batch))


def report_path(settings: Settings, window: Window) -> Path:
    """One report per window under ``DATA_DIR/reports``: a rerun replaces its own file only."""
    w = span(window)
    name = f"grapevine_{w.since:%Y-%m-%dT%H%M}_{w.until:%Y-%m-%dT%H%M}.html"
    return settings.data_dir / "reports" / name


def run_stage(name: str, window: Window, **context: Any) -> dict[str, Any]:
    """Any stage that runs once per window (metrics, alerts, report, and stages to come).

    A stage whose summary reports a problem raises it, so that the task fails, is retried and
    notifies whoever watches the DAG: a green task would say, e.g., that the team had been told
    of an alert that reached nobody (a retry re-sends the pending alerts only).
    """
    import logging

    from grapevine.plan import stage
    from grapevine.stages.base import warehouse

    settings = settings_from_airflow()
    options: dict[str, Any] = {}
    if name == "alerts":
        options["dry_run"] = bool(_params(context).get("dry_run_alerts", False))
    if name == "outcomes":
        # Weekly DAG: True; intraday: False; nightly: absent, the stage decides by age.
        found = _params(context).get("rediscover_outcomes")
        options["rediscover"] = None if found is None else bool(found)
    if name == "report":
        out = report_path(settings, window)
        out.parent.mkdir(parents=True, exist_ok=True)
        options["out"] = out
    step = stage(name)
    with warehouse(settings) as engine:
        result = step.run(engine, settings, span(window), **options)
    problem = step.problem(result)
    if problem is not None:
        logging.getLogger(__name__).error(
            "%s: %s", name, {k: result.get(k) for k in list(result)[:6]}
        )
        raise problem
    return _small(result)
