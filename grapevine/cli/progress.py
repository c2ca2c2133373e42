"""Progress for long CLI work when stderr is not a terminal (a pipe, a log file, cron, CI).

rich's live progress bar draws nothing until it stops when its console is not a terminal, so
``grapevine classify | tee log`` was silent for minutes. :class:`LineProgress` takes the same
calls as ``rich.progress.Progress`` (``add_task``, ``advance``, ``update``) and writes a plain
line at least every ``interval`` seconds (from a timer thread, so a slow batch still reports)
with done/total, the rate and the time left, and a last line when the work ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from rich.progress import TaskID

#: Seconds between two progress lines in a log; the issue asks for at least one every 30 s.
DEFAULT_INTERVAL = 15.0


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _amount(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 1e6:,.1f} MB"
    return f"{value:,.0f}"


def progress_line(
    description: str,
    done: float,
    total: float | None,
    elapsed: float,
    *,
    unit: str = "",
    finished: bool = False,
) -> str:
    """One progress line: ``classifying posts: 1,200/5,000 (24%), 40/s, about 1m35s left``."""
    rate = done / elapsed if elapsed > 0 else 0.0
    amount = _amount(done, unit) + (f"/{_amount(total, unit)}" if total else "")
    parts = [f"{description}: {amount}"]
    if total:
        parts[0] += f" ({min(done / total, 1.0):.0%})"
    parts.append(f"{_amount(rate, unit)}/s")
    if finished:
        parts.append(f"done in {_duration(elapsed)}")
    elif total and rate > 0:
        parts.append(f"about {_duration((total - done) / rate)} left")
    return ", ".join(parts)


@dataclass
class _Task:
    description: str
    total: float | None
    unit: str
    started: float
    completed: float = 0.0
    finished: bool = False


class LineProgress:
    """A stand-in for ``rich.progress.Progress`` that writes plain, periodic lines."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        interval: float = DEFAULT_INTERVAL,
        unit: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._interval = interval
        self._unit = unit
        self._clock = clock
        self._tasks: list[_Task] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LineProgress:
        self._thread = threading.Thread(target=self._tick, name="grapevine-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if exc_type is None:
            with self._lock:
                for task in self._tasks:
                    task.finished = True
                self._report()

    def add_task(self, description: str, total: float | None = None) -> TaskID:
        with self._lock:
            self._tasks.append(_Task(description, total, self._unit, self._clock()))
            return TaskID(len(self._tasks) - 1)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        with self._lock:
            self._tasks[task_id].completed += advance

    def update(self, task_id: TaskID, *, completed: float | None = None) -> None:
        with self._lock:
            if completed is not None:
                self._tasks[task_id].completed = completed

    def lines(self) -> list[str]:
        """The current line of every task."""
        now = self._clock()
        return [
            progress_line(
                t.description,
                t.completed,
                t.total,
                now - t.started,
                unit=t.unit,
                finished=t.finished,
            )
            for t in self._tasks
        ]

    def _report(self) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        for line in self.lines():
            self._write(f"{stamp} {line}")

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                self._report()
