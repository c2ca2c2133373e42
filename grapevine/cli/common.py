"""What every command shares: where output goes, the window options, settings, errors, progress.

Library code logs; only the CLI prints. Every :class:`GrapevineError` becomes a one-line message
with what to do, and exit code 2, instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from grapevine.cli.output import OutputFormat, emit, make_console
from grapevine.cli.progress import LineProgress
from grapevine.core.errors import ConfigError, GrapevineError
from grapevine.core.window import Window

if TYPE_CHECKING:
    from datetime import datetime

    from grapevine.core.settings import Settings


@dataclass
class Output:
    """Where a command writes. ``console`` carries messages and (with --format table) tables;
    with --format tsv|json it writes to stderr, so that stdout carries only the data.
    ``err`` carries progress, logs and errors; it is not widened when piped (rich's log handler
    pads every line to the console's width, and progress lines are written unwrapped anyway)."""

    format: OutputFormat = OutputFormat.table
    console: Console = field(default_factory=lambda: make_console(OutputFormat.table))
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def use(self, fmt: OutputFormat) -> None:
        self.format = fmt
        self.console = make_console(fmt)


#: Replaced per invocation by the app's callback (``--format``).
out = Output()


def show(table: Table) -> None:
    """Print a summary table in the --format the user chose."""
    emit(table, out.format, out.console)


WHEN_HELP = "ISO date/time; without an offset, in GRAPEVINE_TIMEZONE (default UTC)."
Since = Annotated[
    str | None, typer.Option("--since", help=f"Start of the window (inclusive), {WHEN_HELP}")
]
Until = Annotated[
    str | None, typer.Option("--until", help=f"End of the window (exclusive), {WHEN_HELP}")
]


def parse_when(value: str | None, tz: str = "UTC") -> datetime | None:
    """``--since``/``--until``: an ISO date or datetime as an aware UTC datetime.

    A plain date is midnight in ``tz`` (``GRAPEVINE_TIMEZONE``), and so is any time written
    without an offset: ``--since 2026-10-01`` starts the day that metrics, alerts and the report
    call 2026-10-01. An explicit offset (``Z``, ``+02:00``) is taken as written.
    """
    from grapevine.core.window import parse_when as parse

    try:
        return parse(value, tz)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def window(since: str | None, until: str | None, settings: Settings) -> Window:
    """The command's window from ``--since``/``--until`` (open where not given)."""
    start, end = parse_when(since, settings.timezone), parse_when(until, settings.timezone)
    try:
        return Window(start, end)
    except ValueError as exc:
        raise typer.BadParameter(f"--since {start} is not before --until {end}") from exc


def last_day(since: str | None, until: str | None, settings: Settings) -> Window:
    """The window API sources search by default: the 24 hours before --until (default: now)."""
    from datetime import UTC, datetime

    start, end = parse_when(since, settings.timezone), parse_when(until, settings.timezone)
    try:
        return Window.last_day(start, end, now=datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(f"--since {start} is not before --until {end}") from exc


def print_problem(exc: GrapevineError, label: str = "[bold red]error:[/]") -> None:
    """An error's message and hint on stderr, without a traceback."""
    out.err.print(f"{label} {exc.message}")
    if exc.hint:
        out.err.print(f"[yellow]hint:[/] {exc.hint}")


def fail(exc: GrapevineError) -> typer.Exit:
    """Print the error and return the exit (code 2) to raise."""
    print_problem(exc)
    return typer.Exit(code=2)


@contextmanager
def failing_cleanly() -> Iterator[None]:
    """Turn a :class:`GrapevineError` raised inside into its message and exit code 2."""
    try:
        yield
    except GrapevineError as exc:
        raise fail(exc) from exc


def load_settings() -> Settings:
    """The settings, or one clear error (not a pydantic traceback) naming what to change."""
    from pydantic import ValidationError

    from grapevine.core.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GRAPEVINE_{str(e['loc'][0]).upper()}: {e['msg']}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        error = ConfigError(
            f"invalid settings: {problems}", hint="fix the GRAPEVINE_* variables (or .env)"
        )
        raise fail(error) from exc


# --- progress ------------------------------------------------------------------------------------


def _progress_line(line: str) -> None:
    out.err.print(line, markup=False, highlight=False, soft_wrap=True)


def progress(*columns: str | ProgressColumn, unit: str = "") -> Progress | LineProgress:
    """A rich progress bar on a terminal; elsewhere (pipe, log, CI) a line every 15 seconds."""
    if out.err.is_terminal:
        return Progress(*columns, console=out.err, transient=False)
    return LineProgress(_progress_line, unit=unit)


def _bar(description: str, total: int | None, unit: str) -> Progress | LineProgress:
    if unit == "B":
        return progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            unit="B",
        )
    if total is None:
        return progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.completed:,} items"),
        )
    return progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )


class Bars(AbstractContextManager["Bars"]):
    """The ``progress_for`` a stage takes: one bar per piece of work (a file, a source, the
    posts to classify), the previous one closed when the next starts (rich draws one live
    display at a time), the last one closed with the stage."""

    def __init__(self) -> None:
        self._stack = ExitStack()

    def __call__(self, description: str, total: int | None) -> Callable[[int], None]:
        self._stack.close()
        unit = "B" if description.startswith("importing ") else ""
        bar = _bar(description, total, unit)
        self._stack.enter_context(bar)
        task = bar.add_task(description, total=total)
        return lambda n: bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
