"""The ``grapevine`` command line (typer + rich).

Library code logs; only this module prints. Every :class:`GrapevineError` becomes a one-line
message with what to do, and exit code 2, instead of a traceback.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from grapevine import __version__
from grapevine.errors import GrapevineError
from grapevine.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from grapevine.classify import ClassifySummary
    from grapevine.pipeline import CollectSummary, MentionRow, StanceRow
    from grapevine.watchlist import Watchlist

app = typer.Typer(
    name="grapevine",
    help="Grapevine: measure customer-to-customer word of mouth (advocacy and badvocacy) "
    "about brands, from social posts into a PostgreSQL warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True)


class SourceName(StrEnum):
    file = "file"
    reddit = "reddit"
    x = "x"
    bluesky = "bluesky"
    mastodon = "mastodon"
    hackernews = "hackernews"


def parse_when(value: str | None) -> datetime | None:
    """ISO date (``2026-10-01``) or datetime; naive values are UTC."""
    if value is None:
        return None
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or datetime (e.g. 2026-10-01 or 2026-10-01T06:00)"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


Since = Annotated[
    str | None, typer.Option("--since", help="Start of the window (inclusive), ISO date/time, UTC.")
]
Until = Annotated[
    str | None, typer.Option("--until", help="End of the window (exclusive), ISO date/time, UTC.")
]


def _settings() -> Settings:
    return get_settings()


def _fail(exc: GrapevineError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc.message}")
    if exc.hint:
        err_console.print(f"[yellow]hint:[/] {exc.hint}")
    return typer.Exit(code=2)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Configure logging for every command."""
    if version:
        console.print(f"grapevine {__version__}")
        raise typer.Exit()
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
        force=True,
    )


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


def _file_progress(total: int) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
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
    window_since, window_until = parse_when(since), parse_when(until)
    try:
        watchlist = pipeline.load_watchlist(settings, brands)
        if source is SourceName.file:
            if path is None:
                raise typer.BadParameter("--source file needs --path FILE", param_hint="--path")
            with pipeline.warehouse(settings) as engine:
                summary = _collect_file(
                    path, watchlist, engine, settings, window_since, window_until
                )
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
    from grapevine.privacy import pseudonymiser_from_settings

    collector = build_collector(source, settings, pseudonymiser_from_settings(settings))
    err_console.print(f"[dim]{source}: collecting {since.isoformat()} to {until.isoformat()}[/]")
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} items"),
        console=err_console,
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
            s.source,
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
    console.print(table)
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
            summary = _classify(engine, settings, parse_when(since), parse_when(until))
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
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
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
    console.print(table)
    console.print(f"[dim]models: {summary.sentiment_model}, {summary.advocacy_model}[/]")


@app.command()
def run(
    source: Annotated[
        list[SourceName] | None,
        typer.Option("--source", "-s", help="Sources to collect (default: every configured one)."),
    ] = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Run every stage for a window: collect from each source, classify, metrics, alerts, report.

    A source whose credentials are missing is skipped with a message naming the setting; a
    source that fails does not stop the others. The window defaults to the last 24 hours.
    """
    from grapevine import pipeline, tasks

    settings = _settings()
    start, end = default_window(parse_when(since), parse_when(until))
    try:
        with pipeline.warehouse(settings):
            pass  # fail early, with the init-db hint, before any source is contacted
        names = [s.value for s in source] if source else tasks.enabled_sources(settings)
        if not names:
            err_console.print(
                "[yellow]no source is configured[/]: set credentials (docs/sources.md) "
                "or GRAPEVINE_IMPORT_GLOB, or pass --source"
            )
        results = tasks.collect_all(start, end, settings, sources=names)
        _print_run_sources(results)
        with pipeline.warehouse(settings) as engine:
            _print_classify_summary(_classify(engine, settings, start, end))
            found, report_path = _metrics_alerts_report(engine, settings, start, end)
        console.print(f"alerts: {found} (delivered to {_alert_channels(settings)})")
        console.print(f"[bold]report: {report_path}[/]")
    except GrapevineError as exc:
        raise _fail(exc) from exc
    if any("error" in r for r in results):
        raise typer.Exit(code=1)


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
    console.print(table)


@app.command()
def mentions(since: Since = None, until: Until = None) -> None:
    """Print per-brand customer-to-customer mentions by day and source."""
    from grapevine import pipeline

    try:
        with pipeline.warehouse(_settings()) as engine:
            rows = pipeline.mentions_by_day(engine, parse_when(since), parse_when(until))
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
    console.print(totals)

    daily = Table(title="C2C mentions by day")
    daily.add_column("day")
    for b in brands:
        daily.add_column(b, justify="right")
    for d in days:
        daily.add_row(str(d), *(str(by_day[(b, d)]) for b in brands))
    console.print(daily)


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
    console.print(table)


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
                found, report_path = _metrics_alerts_report(engine, settings, None, None)
                counts = pipeline.table_counts(engine)
        console.print("warehouse rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        console.print(f"alerts: {found} (delivered to {_alert_channels(settings)})")
        console.print(f"[bold]report: {report_path}[/]")
    except GrapevineError as exc:
        raise _fail(exc) from exc


def _alert_channels(settings: Settings) -> str:
    if settings.alert_urls:
        return f"{len(settings.alert_urls)} configured channel(s)"
    return str(settings.data_dir / "alerts.log")


def _metrics_alerts_report(
    engine: Engine, settings: Settings, since: datetime | None, until: datetime | None
) -> tuple[int, Path]:
    """The stages after classification: metrics, alerts (delivered), the HTML report."""
    from grapevine import stages

    with err_console.status("computing metrics"):
        stages.run_metrics(engine, settings, since, until)
    with err_console.status("checking for badvocacy spikes"):
        alerts = stages.run_alerts(engine, settings, since, until)
    with err_console.status("writing the report"):
        out = settings.data_dir / "report.html"
        path = stages.run_report(engine, settings, since, until, out)
    return int(alerts.get("alerts_found", 0)), Path(path)


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
