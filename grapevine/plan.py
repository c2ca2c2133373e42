"""The stage plan: which stages a run has, in which order, and what each needs.

``grapevine run``, ``grapevine demo`` and the Airflow DAGs all walk :data:`PLAN`, so the order
is written once. Adding a stage means one module in ``grapevine/stages/`` with a
``run(engine, settings, window, **options) -> Summary`` entry point, plus one entry here.

Each stage is re-runnable for the same window and leaves the warehouse as it was: collection
and classification are idempotent, metrics are replaced day by day, an alert exists once per
brand and window, the report is rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from grapevine.core.errors import GrapevineError
    from grapevine.core.settings import Settings
    from grapevine.core.window import Window
    from grapevine.stages.base import Summary

#: How a scheduler spreads a stage over workers: not at all, one task per source and window
#: slice, or one task per batch of pending posts.
FanOut = Literal["none", "sources", "batches"]


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of a run."""

    name: str
    #: The module with its ``run`` entry point, imported when the stage first runs: the
    #: scheduler reads the plan when it parses the DAG files and must not pay for the stages.
    module_name: str
    #: What the CLI shows while it runs ("computing metrics").
    doing: str
    #: The stages whose output it reads (they run first when both are in a plan).
    needs: tuple[str, ...] = ()
    fan_out: FanOut = "none"
    #: The Airflow task id (kept from the first DAGs, so task history stays continuous).
    task_id: str = ""

    @property
    def module(self) -> ModuleType:
        return import_module(self.module_name)

    def run(self, engine: Engine, settings: Settings, window: Window, **options: Any) -> Summary:
        summary: Summary = self.module.run(engine, settings, window, **options)
        return summary

    def problem(self, summary: Mapping[str, Any]) -> GrapevineError | None:
        """Why a run that finished this stage must still not report success (a source that
        failed, alerts that reached nobody); ``None`` when all is well."""
        check: Callable[[Mapping[str, Any]], GrapevineError | None] | None = getattr(
            self.module, "problem", None
        )
        return check(summary) if check is not None else None


PLAN: tuple[Stage, ...] = (
    Stage(
        "collect", "grapevine.stages.collect", "collecting", fan_out="sources", task_id="collect"
    ),
    Stage(
        "classify",
        "grapevine.stages.classify",
        "classifying",
        ("collect",),
        fan_out="batches",
        task_id="classify_batch",
    ),
    Stage(
        "outcomes",
        "grapevine.stages.outcomes",
        "finding what customers talk about",
        ("classify",),
        task_id="assign_outcomes",
    ),
    Stage(
        "metrics",
        "grapevine.stages.metrics",
        "computing metrics",
        ("classify",),
        task_id="compute_metrics",
    ),
    Stage(
        "alerts",
        "grapevine.stages.alerts",
        "checking for badvocacy spikes",
        ("metrics", "outcomes"),
        task_id="check_alerts",
    ),
    Stage(
        "report",
        "grapevine.stages.report",
        "writing the report",
        ("alerts",),
        task_id="build_report",
    ),
)


def stage(name: str) -> Stage:
    """The stage called ``name``."""
    for candidate in PLAN:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no stage {name!r}: the plan has {', '.join(s.name for s in PLAN)}")


def select(names: Iterable[str]) -> tuple[Stage, ...]:
    """The named stages, in plan order (the intraday DAG runs collect, classify, alerts)."""
    wanted = set(names)
    unknown = wanted - {s.name for s in PLAN}
    if unknown:
        raise KeyError(f"no stage {sorted(unknown)}: the plan has {[s.name for s in PLAN]}")
    return tuple(s for s in PLAN if s.name in wanted)
