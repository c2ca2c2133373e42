"""The ``grapevine`` command line (typer + rich).

Library code logs; only this module prints. Every :class:`GrapevineError` becomes a one-line
message with what to do, and exit code 2, instead of a traceback.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from grapevine import __version__
from grapevine.cli_output import OutputFormat, emit, make_console
from grapevine.cli_progress import LineProgress
from grapevine.core.errors import ConfigError, GrapevineError, MissingCredentialsError
from grapevine.core.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from grapevine.classify import ClassifySummary
    from grapevine.core.watchlist import Watchlist
    from grapevine.pipeline import CollectSummary, MentionRow, StanceRow

log = logging.getLogger(__name__)

app = typer.Typer(
    name="grapevine",
    help="Grapevine: measure customer-to-customer word of mouth (advocacy and badvocacy) "
    "about brands, from social posts into a PostgreSQL warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
#: Messages and (with --format table) tables. Replaced per invocation by ``main``: with
#: --format tsv|json it writes to stderr, so that stdout carries only the data.
console = make_console(OutputFormat.table)
#: Progress, logs and errors. Not widened when piped: rich's log handler pads every line to the
#: console's width, and progress lines are written unwrapped anyway.
err_console = Console(stderr=True)
_output_format = OutputFormat.table


def show(table: Table) -> None:
    """Print a summary table in the --format the user chose."""
    emit(table, _output_format, console)


class SourceName(StrEnum):
    file = "file"
    reddit = "reddit"
    x = "x"
    bluesky = "bluesky"
    mastodon = "mastodon"
    hackernews = "hackernews"


def parse_when(value: str | None, tz: str = "UTC") -> datetime | None:
    """ISO date (``2026-10-01``) or datetime, as an aware UTC datetime.

    A plain date is midnight in ``tz`` (``GRAPEVINE_TIMEZONE``), and so is any time written
    without an offset: ``--since 2026-10-01`` starts the day that metrics, alerts and the report
    call 2026-10-01. An explicit offset (``Z``, ``+02:00``) is taken as written.
    """
    if value is None:
        return None
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or datetime (e.g. 2026-10-01 or 2026-10-01T06:00)"
        ) from exc
    if parsed.tzinfo is None:
        from grapevine.core.window import zone

        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.astimezone(UTC)


WHEN_HELP = "ISO date/time; without an offset, in GRAPEVINE_TIMEZONE (default UTC)."
Since = Annotated[
    str | None, typer.Option("--since", help=f"Start of the window (inclusive), {WHEN_HELP}")
]
Until = Annotated[
    str | None, typer.Option("--until", help=f"End of the window (exclusive), {WHEN_HELP}")
]


def _settings() -> Settings:
    """The settings, or one clear error (not a pydantic traceback) naming what to change."""
    from pydantic import ValidationError

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
        raise _fail(error) from exc


def print_problem(exc: GrapevineError, label: str = "[bold red]error:[/]") -> None:
    """An error's message and hint on stderr, without a traceback."""
    err_console.print(f"{label} {exc.message}")
    if exc.hint:
        err_console.print(f"[yellow]hint:[/] {exc.hint}")


def _fail(exc: GrapevineError) -> typer.Exit:
    print_problem(exc)
    return typer.Exit(code=2)


def _print_version(value: bool) -> None:
    """Eager, so that ``grapevine --version`` works without a command."""
    if value:
        typer.echo(f"grapevine {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="How summary tables are printed: table (rich; full width when piped), or tsv / "
            "json (one object a line) on stdout, with messages on stderr.",
        ),
    ] = OutputFormat.table,
) -> None:
    """Configure logging and output for every command."""
    global console, _output_format
    _output_format = output
    console = make_console(output)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
        force=True,
    )
    from grapevine.redact import install

    install()  # secrets and auth headers masked in every logger's records, tweepy's included


@app.command("init-db")
def init_db_cmd() -> None:
    """Create or upgrade the warehouse schema (Alembic migrations, analyst views)."""
    from grapevine import pipeline
    from warehouse import migrate

    try:
        with pipeline.warehouse(_settings(), migrate_first=True) as engine:
            revision = migrate.current_revision(engine)
    except GrapevineError as exc:
        raise _fail(exc) from exc
    console.print(f"[green]warehouse is at revision {revision}[/]")


@app.command("analyst-login")
def analyst_login_cmd(
    name: Annotated[str, typer.Argument(help="The login role to create, e.g. alice.")],
) -> None:
    """Create a PostgreSQL login for an analyst: it reads the analytics views and nothing else.

    The role logs in with its own password and inherits grapevine_analyst (which cannot log
    in itself). The password comes from GRAPEVINE_ANALYST_PASSWORD or is asked for, without
    echo; it is hashed (SCRAM-SHA-256) before it leaves this machine. Run it again to reset the
    password. Needs a warehouse URL whose user may create roles.
    """
    import os

    from grapevine import pipeline
    from grapevine.analyst_login import check_role_name, create_analyst_login

    try:
        check_role_name(name)
        password = os.environ.get("GRAPEVINE_ANALYST_PASSWORD") or typer.prompt(
            f"password for {name}", hide_input=True, confirmation_prompt=True
        )
        with pipeline.warehouse(_settings()) as engine:
            created = create_analyst_login(engine, name, password)
            url = engine.url.set(username=name, password=None).render_as_string()
    except GrapevineError as exc:
        raise _fail(exc) from exc
    verb = "created" if created else "updated (new password)"
    console.print(f"[green]login role {name} {verb}[/]: it reads the analytics views only")
    console.print(f"connect with: psql {url.replace('+psycopg2', '')}  (then: \\dv analytics.*)")


def _progress_line(line: str) -> None:
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def _progress(*columns: str | ProgressColumn, unit: str = "") -> Progress | LineProgress:
    """A rich progress bar on a terminal; elsewhere (pipe, log, CI) a line every 15 seconds."""
    if err_console.is_terminal:
        return Progress(*columns, console=err_console, transient=False)
    return LineProgress(_progress_line, unit=unit)


def _file_progress(total: int) -> Progress | LineProgress:
    return _progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        unit="B",
    )


@app.command()
def collect(
    source: Annotated[SourceName, typer.Option("--source", "-s", help="Where to collect from.")],
    path: Annotated[
        Path | None, typer.Option("--path", "-p", help="File to import (--source file).")
    ] = None,
    since: Since = None,
    until: Until = None,
    brands: Annotated[
        Path | None,
        typer.Option("--brands", help="Watchlist file (default GRAPEVINE_BRANDS_FILE)."),
    ] = None,
) -> None:
    """Collect posts that mention watched brands and load them into the warehouse.

    Files: JSONL or CSV with id, text, created_at (see README); --since/--until optionally keep
    only posts in that window. Social sources search each brand's query in the window
    [--since, --until), by default the last 24 hours; credentials come from GRAPEVINE_*
    settings (see docs/sources.md). Bad records go to the quarantine table with the reason;
    the rest loads. Re-collecting a window is idempotent.
    """
    from grapevine import pipeline

    settings = _settings()
    window_since = parse_when(since, settings.timezone)
    window_until = parse_when(until, settings.timezone)
    try:
        watchlist = pipeline.load_watchlist(settings, brands)
        if source is SourceName.file:
            if path is None:
                raise typer.BadParameter("--source file needs --path FILE", param_hint="--path")
            with pipeline.warehouse(settings) as engine:
                summary = _collect_file(
                    path, watchlist, engine, settings, window_since, window_until
                )
            _print_collect_summary([summary])
        else:
            window_since, window_until = default_window(window_since, window_until)
            with pipeline.warehouse(settings) as engine:
                summary = _collect_api(
                    source.value, watchlist, engine, settings, window_since, window_until
                )
            _print_collect_summary([summary])
    except GrapevineError as exc:
        raise _fail(exc) from exc


def default_window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The CLI's default for API sources: the 24 hours before --until (default: now)."""
    from datetime import timedelta

    end = until or datetime.now(UTC).replace(microsecond=0)
    start = since or end - timedelta(days=1)
    if start >= end:
        raise typer.BadParameter(f"--since {start} is not before --until {end}")
    return start, end


def _collect_api(
    source: str,
    watchlist: Watchlist,
    engine: Engine,
    settings: Settings,
    since: datetime,
    until: datetime,
) -> CollectSummary:
    from rich.progress import SpinnerColumn

    from collectors.registry import build_collector
    from grapevine import pipeline
    from grapevine.core.privacy import pseudonymiser_from_settings

    collector = build_collector(source, settings, pseudonymiser_from_settings(settings))
    err_console.print(f"[dim]{source}: collecting {since.isoformat()} to {until.isoformat()}[/]")
    with _progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} items"),
    ) as bar:
        task = bar.add_task(f"collecting from {source}", total=None)
        return pipeline.run_collector(
            collector,
            watchlist,
            engine,
            settings,
            since=since,
            until=until,
            progress=lambda n: bar.advance(task, n),
        )


def stored_as(source: str, counts: Mapping[str, int] | None) -> str:
    """``file`` alone when rows kept that source, else ``file (stored as x 3, reddit 2)``."""
    if not counts or set(counts) == {source}:
        return source
    parts = ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items(), key=lambda kv: kv[0]))
    return f"{source} (stored as {parts})"


def _collect_file(
    path: Path,
    watchlist: Watchlist,
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
) -> CollectSummary:
    from grapevine import pipeline

    total = pipeline.file_size(path) if path.exists() else 0
    with _file_progress(total) as bar:
        task = bar.add_task(f"importing {path.name}", total=total)
        return pipeline.collect_file(
            path,
            watchlist,
            engine,
            settings,
            since=since,
            until=until,
            progress=lambda done: bar.update(task, completed=done),
        )


def _print_collect_summary(summaries: list[CollectSummary]) -> None:
    table = Table(title="Collection summary")
    columns = ("source", "read", "matched", "loaded", "duplicates", "quarantined", "replies")
    for col in columns:
        table.add_column(col, justify="left" if col == "source" else "right")
    for s in summaries:
        table.add_row(
            stored_as(s.source, s.stored_sources),
            f"{s.read:,}",
            f"{s.matched:,}",
            f"{s.loaded:,}",
            f"{s.duplicates:,}",
            f"{s.quarantined:,}",
            f"{s.thread_replies:,}",
        )
    table.caption = (
        "matched: posts naming a watched brand; replies: replies that name none, kept as "
        "context because their thread does; loaded counts both"
    )
    show(table)
    for s in summaries:
        if s.out_of_window:
            console.print(f"{s.source}: {s.out_of_window:,} posts outside the window were skipped")
        if s.quarantined:
            console.print(
                f"[yellow]{s.source}: {s.quarantined:,} records quarantined[/] "
                "(see the quarantine table: SELECT line_no, error FROM quarantine)"
            )


@app.command()
def classify(since: Since = None, until: Until = None) -> None:
    """Classify posts in the window that have no labels yet from the current models.

    Sentiment per post, and advocacy/badvocacy/none toward each brand a post mentions. A rerun
    does nothing; a new model version (GRAPEVINE_SENTIMENT_MODEL / GRAPEVINE_ADVOCACY_MODEL)
    adds its own rows and becomes the one the metrics use.
    """
    from grapevine import pipeline

    settings = _settings()
    try:
        with pipeline.warehouse(settings) as engine:
            summary = _classify(
                engine,
                settings,
                parse_when(since, settings.timezone),
                parse_when(until, settings.timezone),
            )
    except GrapevineError as exc:
        raise _fail(exc) from exc
    _print_classify_summary(summary)


def _classify(
    engine: Engine, settings: Settings, since: datetime | None, until: datetime | None
) -> ClassifySummary:
    from rich.progress import MofNCompleteColumn

    from grapevine import classify as stage

    with err_console.status("loading models"):
        models = stage.load_models(settings)
    total = sum(n for _, _, n in stage.count_pending(engine, models, since, until))
    with _progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("classifying posts", total=total)
        return stage.classify(
            engine,
            settings,
            since=since,
            until=until,
            models=models,
            progress=lambda n: bar.advance(task, n),
        )


def _print_classify_summary(summary: ClassifySummary) -> None:
    table = Table(title="Classification summary")
    for col in ("posts", "sentiment rows", "advocacy rows", "unsupported language", "posts/s"):
        table.add_column(col, justify="right")
    rate = summary.posts / summary.seconds if summary.seconds else 0.0
    table.add_row(
        f"{summary.posts:,}",
        f"{summary.sentiment_rows:,}",
        f"{summary.advocacy_rows:,}",
        f"{summary.unsupported:,}",
        f"{rate:,.0f}",
    )
    show(table)
    console.print(f"[dim]models: {summary.sentiment_model}, {summary.advocacy_model}[/]")


@app.command()
def run(
    source: Annotated[
        list[SourceName] | None,
        typer.Option("--source", "-s", help="Sources to collect (default: every configured one)."),
    ] = None,
    path: Annotated[
        list[Path] | None,
        typer.Option(
            "--path",
            "-p",
            help="Files to import as the file source (repeatable; instead of "
            "GRAPEVINE_IMPORT_GLOB). Without --since/--until they are imported whole.",
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where to write the report (default DATA_DIR/run-report.html)."
        ),
    ] = None,
) -> None:
    """Run every stage for a window: collect from each source, classify, metrics, alerts, report.

    A source whose credentials are missing is skipped with a message naming the setting; a
    source that fails does not stop the others. The window defaults to the last 24 hours;
    with --path and no --since/--until the files are imported whole and the later stages cover
    the whole warehouse.
    """
    from grapevine import pipeline, stages, tasks

    settings = _settings()
    paths = list(path or [])
    whole_files = bool(paths) and since is None and until is None
    start, end = default_window(
        parse_when(since, settings.timezone), parse_when(until, settings.timezone)
    )
    try:
        names = [s.value for s in source] if source else tasks.enabled_sources(settings)
        if paths and "file" not in names:
            names = ["file", *names]
        check_file_source(names, paths, settings)
        for p in paths:
            if not p.is_file():
                raise ConfigError(f"--path {p} does not exist", hint="check the file's path")
        with pipeline.warehouse(settings):
            pass  # fail early, with the init-db hint, before any source is contacted
        if not names:
            err_console.print(
                "[yellow]no source is configured[/]: set credentials (docs/sources.md) "
                "or GRAPEVINE_IMPORT_GLOB, or pass --source / --path"
            )
        results = [
            _run_source(
                name,
                paths,
                settings,
                (None, None) if whole_files and name == "file" else (start, end),
            )
            for name in names
        ]
        _print_run_sources(results)
        window = (None, None) if whole_files else (start, end)
        target = out or default_report_path(settings, "run")
        with pipeline.warehouse(settings) as engine:
            _print_classify_summary(_classify(engine, settings, window[0], window[1]))
            alerts, report_path = _metrics_alerts_report(
                engine, settings, window[0], window[1], target
            )
        _print_alerts_line(alerts, settings)
        console.print(f"[bold]report: {report_path}[/]")
    except GrapevineError as exc:
        raise _fail(exc) from exc
    # Every stage has run; now say what went wrong, and exit non-zero so that cron, CI or a
    # wrapper script notice: a source that failed, or alerts that reached nobody.
    failed = [str(r["source"]) for r in results if "error" in r]
    if failed:
        err_console.print(f"[red]collection failed for: {', '.join(failed)}[/] (see above)")
    undelivered = stages.delivery_failure(alerts)
    if undelivered is not None:
        print_problem(undelivered)
    if failed or undelivered is not None:
        raise typer.Exit(code=1)


def check_file_source(names: Sequence[str], paths: Sequence[Path], settings: Settings) -> None:
    """The file source needs files: --path or GRAPEVINE_IMPORT_GLOB. Say so before any work."""
    if "file" in names and not paths and not settings.import_glob:
        raise ConfigError(
            "the file source has no files to import",
            hint="pass --path FILE (repeatable) or set GRAPEVINE_IMPORT_GLOB, e.g. /data/*.jsonl",
        )


def _run_source(
    name: str,
    paths: Sequence[Path],
    settings: Settings,
    window: tuple[datetime | None, datetime | None],
) -> dict[str, object]:
    """Collect one source for ``run``; a failure becomes a row of the summary, not a traceback."""
    from grapevine import pipeline, tasks

    since, until = window
    try:
        if name != "file" or not paths:
            return tasks.collect_source(name, since, until, settings)
        watchlist = pipeline.load_watchlist(settings)
        stored: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        with pipeline.warehouse(settings) as engine:
            for p in paths:
                summary = _collect_file(p, watchlist, engine, settings, since, until)
                stored.update(summary.stored_sources)
                for key in ("read", "matched", "thread_replies", "loaded", "duplicates"):
                    totals[key] += getattr(summary, key)
                totals["quarantined"] += summary.quarantined
        return {"source": stored_as("file", stored), **totals}
    except MissingCredentialsError as exc:
        return {"source": name, "skipped": exc.message}
    except GrapevineError as exc:
        return {"source": name, "error": str(exc)}
    except Exception as exc:
        log.exception("source %s failed", name)
        return {"source": name, "error": f"{exc.__class__.__name__}: {exc}"}


def _print_alerts_line(alerts: Mapping[str, Any], settings: Settings) -> None:
    """The alert stage's outcome for ``run`` and ``demo``: what was found, what was sent."""
    found = int(alerts.get("alerts_found", 0))
    delivered, failed = int(alerts.get("delivered", 0)), int(alerts.get("failed", 0))
    line = f"alerts: {found} in this window" if found else "alerts: none in this window"
    if delivered or failed:
        line += f"; notifications delivered to {_alert_channels(settings)}: {delivered}"
        if failed:
            line += f", [red]failed (retried next run): {failed}[/]"
    console.print(line)


def _print_run_sources(results: list[dict[str, object]]) -> None:
    table = Table(title="Collection by source")
    for col in ("source", "read", "matched", "loaded", "duplicates", "quarantined", "status"):
        table.add_column(col, justify="left" if col in {"source", "status"} else "right")
    for r in results:
        status = (
            f"[yellow]skipped: {r['skipped']}[/]"
            if "skipped" in r
            else f"[red]failed: {r['error']}[/]"
            if "error" in r
            else "[green]ok[/]"
        )
        table.add_row(
            str(r["source"]),
            *(
                f"{r[k]:,}" if k in r else "-"
                for k in ("read", "matched", "loaded", "duplicates", "quarantined")
            ),
            status,
        )
    show(table)


@app.command()
def mentions(since: Since = None, until: Until = None) -> None:
    """Print per-brand customer-to-customer mentions by day and source."""
    from grapevine import pipeline

    settings = _settings()
    try:
        with pipeline.warehouse(settings) as engine:
            rows = pipeline.mentions_by_day(
                engine, parse_when(since, settings.timezone), parse_when(until, settings.timezone)
            )
    except GrapevineError as exc:
        raise _fail(exc) from exc
    print_mentions(rows)


_SPARK = "▁▂▃▄▅▆▇█"


def _sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if top == 0:
        return _SPARK[0] * len(values)
    return "".join(_SPARK[min(len(_SPARK) - 1, v * (len(_SPARK) - 1) // top)] for v in values)


def print_mentions(rows: list[MentionRow]) -> None:
    """Two tables: brand x source totals with a daily sparkline, then brand x day counts."""
    if not rows:
        console.print("[yellow]no mentions in the warehouse for this window[/]")
        return
    days = sorted({r.day for r in rows})
    brands = sorted({r.brand for r in rows})
    sources = sorted({r.source for r in rows})
    by_source: dict[tuple[str, str], int] = defaultdict(int)
    by_day: dict[tuple[str, object], int] = defaultdict(int)
    for r in rows:
        by_source[(r.brand, r.source)] += r.c2c_mentions
        by_day[(r.brand, r.day)] += r.c2c_mentions

    totals = Table(title=f"C2C mentions by brand and source, {days[0]} to {days[-1]}")
    totals.add_column("brand")
    for s in sources:
        totals.add_column(s, justify="right")
    totals.add_column("total", justify="right", style="bold")
    totals.add_column("per day")
    for b in brands:
        counts = [by_source[(b, s)] for s in sources]
        series = [by_day[(b, d)] for d in days]
        totals.add_row(b, *(f"{c:,}" for c in counts), f"{sum(counts):,}", _sparkline(series))
    show(totals)

    daily = Table(title="C2C mentions by day")
    daily.add_column("day")
    for b in brands:
        daily.add_column(b, justify="right")
    for d in days:
        daily.add_row(str(d), *(str(by_day[(b, d)]) for b in brands))
    show(daily)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def print_stance(rows: list[StanceRow]) -> None:
    """Per-brand sentiment mix and advocacy/badvocacy counts with net advocacy."""
    table = Table(
        title="What customers say to each other, per brand (current models)",
        caption="sentiment mix of the posts; advocacy/badvocacy toward the brand; "
        "NAS = net advocacy score, 100 x (adv - badv) / mentions in supported languages",
    )
    for col in ("brand", "mentions", "pos", "neu", "neg", "adv", "badv", "other lang", "NAS"):
        table.add_column(col, justify="left" if col == "brand" else "right", no_wrap=True)
    for r in rows:
        judged = r.classified - r.unsupported
        nas = r.net_advocacy
        table.add_row(
            r.brand,
            f"{r.mentions:,}",
            _pct(r.positive, judged),
            _pct(r.neutral, judged),
            _pct(r.negative, judged),
            f"{r.advocacy:,}",
            f"{r.badvocacy:,}",
            f"{r.unsupported:,}",
            "-" if nas is None else f"[{'green' if nas >= 0 else 'red'}]{nas:+.1f}[/]",
        )
    show(table)


@app.command()
def demo(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Run the demo on this PostgreSQL instead of the embedded one.",
            envvar="GRAPEVINE_DEMO_DATABASE_URL",
        ),
    ] = None,
) -> None:
    """Run the pipeline on the bundled demo data in an embedded PostgreSQL (no set-up needed)."""
    from pydantic import SecretStr

    from grapevine import pipeline

    settings = _settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": SecretStr(database_url)})
    else:
        settings = pipeline.demo_settings(settings.model_copy(update={"database_url": None}))
    try:
        with pipeline.demo_files() as (posts, brands_file):
            watchlist = pipeline.load_watchlist(settings, brands_file)
            if settings.database_url is None:
                console.print(
                    f"[dim]starting the embedded PostgreSQL in {settings.data_dir / 'pgdata'}[/]"
                )
            with pipeline.warehouse(settings, migrate_first=True) as engine:
                summary = _collect_file(posts, watchlist, engine, settings, None, None)
                _print_collect_summary([summary])
                print_mentions(pipeline.mentions_by_day(engine))
                _print_classify_summary(_classify(engine, settings, None, None))
                print_stance(pipeline.stance_by_brand(engine))
                alerts, report_path = _metrics_alerts_report(
                    engine, settings, None, None, default_report_path(settings, "demo")
                )
                counts = pipeline.table_counts(engine)
        console.print("warehouse rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        _print_alerts_line(alerts, settings)
        console.print(f"[bold]report: {report_path}[/]")
    except GrapevineError as exc:
        raise _fail(exc) from exc
    warn_undelivered(alerts)


def warn_undelivered(alerts: Mapping[str, Any]) -> None:
    """The demo's word when its alerts reached nobody: a warning, not a failure, because the
    demo's point is the report; its channel is DATA_DIR/demo/alerts.log unless
    GRAPEVINE_ALERT_URLS names real ones, and those are what the warning is about."""
    from grapevine import stages

    problem = stages.delivery_failure(alerts)
    if problem is not None:
        print_problem(problem, "[bold yellow]warning:[/]")


def default_report_path(settings: Settings, command: str) -> Path:
    """``DATA_DIR/demo-report.html`` or ``DATA_DIR/run-report.html``: neither overwrites another."""
    return settings.data_dir / f"{command}-report.html"


def _alert_channels(settings: Settings) -> str:
    if settings.alert_urls:
        return f"{len(settings.alert_urls)} configured channel(s)"
    return str(settings.data_dir / "alerts.log")


def _metrics_alerts_report(
    engine: Engine,
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    out: Path,
) -> tuple[dict[str, Any], Path]:
    """The stages after classification: metrics, alerts (delivered), the HTML report at ``out``;
    returns the alert stage's result and the report's path.

    ``demo`` and ``run`` pass different default files so that they never overwrite each other.
    """
    from grapevine import stages

    with err_console.status("computing metrics"):
        stages.run_metrics(engine, settings, since, until)
    with err_console.status("checking for badvocacy spikes"):
        alerts = stages.run_alerts(engine, settings, since, until)
    with err_console.status("writing the report"):
        path = stages.run_report(engine, settings, since, until, out)
    return alerts, Path(path)


def _mount_nlp() -> None:
    """``grapevine eval …`` and ``grapevine train …`` live in the nlp package."""
    from nlp.cli import eval_app, train_app

    app.add_typer(
        eval_app, name="eval", help="Evaluate a model and the baselines on a labelled file."
    )
    app.add_typer(train_app, name="train", help="Train the shipped models (reproducibly).")


_mount_nlp()


def _mount_analytics() -> None:
    """``grapevine metrics``, ``alerts`` and ``report`` live in ``grapevine.cli_analytics``."""
    from grapevine.cli_analytics import alerts, metrics, report

    for command in (metrics, alerts, report):
        app.command()(command)


_mount_analytics()

if __name__ == "__main__":  # pragma: no cover
    app()
