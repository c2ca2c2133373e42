"""Windows as Airflow passes them: ``{"since", "until"}`` ISO strings in XCom.

They are :class:`grapevine.core.window.Window` values in dict form; these functions are the
scheduler's side of it (data intervals, backfill params, slices per source).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from grapevine.core.window import Window as Span
from grapevine.core.window import parse_when
from grapevine.sources import names

#: A window in XCom: ISO strings.
Window = dict[str, str]


def make_window(since: str | datetime, until: str | datetime) -> Window:
    """A ``{"since", "until"}`` pair of ISO strings (naive means UTC): a window in XCom."""
    span = Span.parse(since, until)
    if span.since is None or span.until is None:
        raise ValueError("a scheduled window needs both ends")
    return {"since": span.since.isoformat(), "until": span.until.isoformat()}


def span(window: Window) -> Span:
    """The XCom form back as a :class:`Window` value."""
    return Span.parse(window["since"], window["until"])


def data_interval_window(
    lookback_hours: float | None = None, whole_days: bool = False, **context: Any
) -> Window:
    """The run's data interval, ``[data_interval_start, data_interval_end)``; never ``now()``.

    ``lookback_hours`` widens the start backwards (the intraday check looks at the last hours).
    ``whole_days`` floors both ends to UTC midnight: scheduled nightly intervals already are
    whole days, but a manual trigger's interval ends at the trigger time, and metrics are per
    day, so such a run covers the last complete day instead of two partial ones.
    """
    start, end = context["data_interval_start"], context["data_interval_end"]
    if start is None or end is None:
        raise ValueError("this run has no data interval: trigger it with a logical date")
    start, end = _utc(start), _utc(end)
    if lookback_hours is not None:
        start = end - timedelta(hours=lookback_hours)
    if whole_days:
        end = end.replace(hour=0, minute=0, second=0, microsecond=0)
        start = min(
            start.replace(hour=0, minute=0, second=0, microsecond=0), end - timedelta(days=1)
        )
    return make_window(start, end)


def params_window(**context: Any) -> Window:
    """The backfill's window from its ``since``/``until`` params (ISO dates, UTC)."""
    params = context["params"]
    return make_window(params["since"], params["until"])


def split_window(window: Window, days: int = 1) -> list[Window]:
    """Cut a window into slices of at most ``days`` days (a backfill maps collection over them)."""
    return [make_window(s.since, s.until) for s in span(window).split(days)]  # type: ignore[arg-type]


def plan_collection(
    window: Window,
    enabled: Iterable[str],
    *,
    only: Iterable[str] | None = None,
    slice_days: int = 1,
) -> dict[str, list[Window]]:
    """Per known source, the window slices to collect (empty: that source's task is skipped)."""
    enabled = list(enabled)
    unknown = sorted(set(enabled) - set(names()))
    if unknown:
        raise ValueError(
            f"enabled sources {unknown} have no collect task: add a SourceSpec for each to "
            "grapevine.sources.SOURCES"
        )
    wanted = set(enabled) if only is None else set(enabled) & set(only)
    slices = split_window(window, slice_days)
    return {s: (slices if s in wanted else []) for s in names()}


def _utc(value: Any) -> datetime:
    when = parse_when(value)
    if when is None:
        raise ValueError("this run has no data interval: trigger it with a logical date")
    return when
