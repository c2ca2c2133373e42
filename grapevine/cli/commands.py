"""The pipeline commands: ``init-db``, ``analyst-login``, ``collect``, ``classify``, ``run``,
``demo`` and ``mentions``.

``run`` and ``demo`` walk :data:`grapevine.plan.PLAN` (as the Airflow DAGs do), so a new stage
shows up in both without an edit here; ``collect`` and ``classify`` run one stage each.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from grapevine.cli.common import (
    Bars,
    Since,
    Until,
    failing_cleanly,
    last_day,
    load_settings,
    out,
    print_problem,
    window,
)
from grapevine.cli.summaries import (
    PRINTERS,
    print_generic,
    print_mentions,
    print_stance,
    warn_undelivered,
)
from grapevine.core.errors import ConfigError, GrapevineError
from grapevine.core.window import Window
from grapevine.sources import names as source_names

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from grapevine.core.settings import Settings
    from grapevine.stages.base import Summary


def _source(value: str) -> str:
    """``--source``: one of the names in ``grapevine.sources.SOURCES``."""
    if value not in source_names():
        raise typer.BadParameter(
            f"{value!r} is not a source: choose one of {', '.join(source_names())}"
        )
    return value


SOURCE_HELP = f"one of: {', '.join(source_names())}"


def init_db() -> None:
    """Create or upgrade the warehouse schema (Alembic migrations, analyst views)."""
    from grapevine.stages.base import warehouse
    from warehouse import migrate

    with failing_cleanly(), warehouse(load_settings(), migrate_first=True) as engine:
        revision = migrate.current_revision(engine)
    out.console.print(f"[green]warehouse is at revision {revision}[/]")


def analyst_login(
    name: Annotated[str, typer.Argument(help="The login role to create, e.g. alice.")],
) -> None:
    """Create a PostgreSQL login for an analyst: it reads the analytics views and nothing else.

    The role logs in with its own password and inherits grapevine_analyst (which cannot log
    in itself). The password comes from GRAPEVINE_ANALYST_PASSWORD or is asked for, without
    echo; it is hashed (SCRAM-SHA-256) before it leaves this machine. Run it again to reset the
    password. Needs a warehouse URL whose user may create roles.
    """
    from grapevine.analyst_login import check_role_name, create_analyst_login
    from grapevine.stages.base import warehouse

    with failing_cleanly():
        check_role_name(name)
        password = os.environ.get("GRAPEVINE_ANALYST_PASSWORD") or typer.prompt(
            f"password for {name}", hide_input=True, confirmation_prompt=True
        )
        with warehouse(load_settings()) as engine:
            created = create_analyst_login(engine, name, password)
            url = engine.url.set(username=name, password=None).render_as_string()
    verb = "created" if created else "updated (new password)"
    out.console.print(f"[green]login role {name} {verb}[/]: it reads the analytics views only")
    out.console.print(
        f"connect with: psql {url.replace('+psycopg2', '')}  (then: \\dv analytics.*)"
    )


def run_stage(
    name: str,
    engine: Engine,
    settings: Settings,
    span: Window,
    **options: Any,
) -> Summary:
    """One stage of the plan with what the user sees: a bar over its work when it reports
    progress, a status line otherwise, then its summary."""
    from grapevine.plan import stage

    step = stage(name)
    if "progress_for" in inspect.signature(step.module.run).parameters:
        out.err.print(f"[dim]{step.doing}[/]")
        with Bars() as bars:
            summary = step.run(engine, settings, span, progress_for=bars, **options)
    else:
        with out.err.status(step.doing):
            summary = step.run(engine, settings, span, **options)
    printer = PRINTERS.get(name)
    if printer is not None:
        printer(summary, settings)
    else:
        print_generic(summary, settings, name)
    return summary


def run_plan(
    engine: Engine,
    settings: Settings,
    span: Window,
    options: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Callable[[Engine], None]] | None = None,
) -> dict[str, Summary]:
    """Every stage of the plan, in order, on one window; ``after[name]`` prints more once that
    stage is done (the demo's mentions and stance tables)."""
    from grapevine.plan import PLAN

    results: dict[str, Summary] = {}
    for step in PLAN:
        results[step.name] = run_stage(
            step.name, engine, settings, span, **dict(options.get(step.name, {}))
        )
        if after and step.name in after:
            after[step.name](engine)
    return results


def collect(
    source: Annotated[
        str,
        typer.Option(
            "--source", "-s", help=f"Where to collect from: {SOURCE_HELP}.", callback=_source
        ),
    ],
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
    from grapevine.stages.base import warehouse
    from grapevine.stages.collect import collect_source, load_watchlist

    settings = load_settings()
    if source == "file":
        if path is None:
            raise typer.BadParameter("--source file needs --path FILE", param_hint="--path")
        span = window(since, until, settings)
    else:
        span = last_day(since, until, settings)
        out.err.print(f"[dim]{source}: collecting {span}[/]")
    with failing_cleanly():
        watchlist = load_watchlist(settings, brands)
        with warehouse(settings) as engine, Bars() as bars:
            row = collect_source(
                engine,
                settings,
                source,
                span,
                paths=[path] if path else [],
                watchlist=watchlist,
                progress_for=bars,
            )
    PRINTERS["collect"]({"sources": [row]}, settings)


def classify(since: Since = None, until: Until = None) -> None:
    """Classify posts in the window that have no labels yet from the current models.

    Sentiment per post, and advocacy/badvocacy/none toward each brand a post mentions. A rerun
    does nothing; a new model version (GRAPEVINE_SENTIMENT_MODEL / GRAPEVINE_ADVOCACY_MODEL)
    adds its own rows and becomes the one the metrics use.
    """
    from grapevine.stages.base import warehouse

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine:
        run_stage("classify", engine, settings, span)


def default_report_path(settings: Settings, command: str) -> Path:
    """``DATA_DIR/demo-report.html`` or ``DATA_DIR/run-report.html``: neither overwrites another."""
    return settings.data_dir / f"{command}-report.html"


def run(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            "-s",
            help=f"Sources to collect (default: every configured one): {SOURCE_HELP}.",
            callback=lambda values: [_source(v) for v in values or []],
        ),
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
    out_path: Annotated[
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
    from grapevine.plan import PLAN
    from grapevine.stages.base import warehouse
    from grapevine.stages.collect import enabled_sources

    settings = load_settings()
    paths = list(path or [])
    whole_files = bool(paths) and since is None and until is None
    api_window = last_day(since, until, settings)
    span = Window() if whole_files else api_window
    with failing_cleanly():
        names = list(source or []) or enabled_sources(settings)
        if paths and "file" not in names:
            names = ["file", *names]
        check_file_source(names, paths, settings)
        for p in paths:
            if not p.is_file():
                raise ConfigError(f"--path {p} does not exist", hint="check the file's path")
        with warehouse(settings) as engine:  # fails early, with the init-db hint
            if not names:
                out.err.print(
                    "[yellow]no source is configured[/]: set credentials (docs/sources.md) "
                    "or GRAPEVINE_IMPORT_GLOB, or pass --source / --path"
                )
            results = run_plan(
                engine,
                settings,
                span,
                {
                    "collect": {"sources": names, "paths": paths, "api_window": api_window},
                    "report": {"out": out_path or default_report_path(settings, "run")},
                },
            )
    # Every stage has run; now say what went wrong, and exit non-zero so that cron, CI or a
    # wrapper script notice: a source that failed, or alerts that reached nobody.
    problems = [
        found
        for step in PLAN
        if step.name in results and (found := step.problem(results[step.name])) is not None
    ]
    for found in problems:
        print_problem(found)
    if problems:
        raise typer.Exit(code=1)


def check_file_source(names: list[str], paths: list[Path], settings: Settings) -> None:
    """The file source needs files: --path or GRAPEVINE_IMPORT_GLOB. Say so before any work."""
    if "file" in names and not paths and not settings.import_glob:
        raise ConfigError(
            "the file source has no files to import",
            hint="pass --path FILE (repeatable) or set GRAPEVINE_IMPORT_GLOB, e.g. /data/*.jsonl",
        )


def mentions(since: Since = None, until: Until = None) -> None:
    """Print per-brand customer-to-customer mentions by day and source."""
    from grapevine.stages.base import warehouse
    from warehouse.readouts import mentions_by_day

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine, engine.connect() as conn:
        rows = mentions_by_day(conn, span.since, span.until)
    print_mentions(rows)


# --- demo ----------------------------------------------------------------------------------------


@contextmanager
def demo_files() -> Iterator[tuple[Path, Path]]:
    """The bundled demo data and watchlist, as real paths (works from a wheel too)."""
    root = files("grapevine") / "demo"
    with as_file(root / "posts.jsonl") as posts, as_file(root / "brands.yaml") as brands:
        yield Path(posts), Path(brands)


def demo_settings(settings: Settings) -> Settings:
    """The demo's settings: its own embedded warehouse under the data folder, unless a URL is set.

    A separate folder keeps demo rows out of a real warehouse that also runs embedded.
    """
    if settings.database_url is not None:
        return settings
    return settings.model_copy(update={"data_dir": settings.data_dir / "demo"})


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

    from grapevine.stages.base import warehouse
    from warehouse.readouts import mentions_by_day, stance_by_brand, table_counts

    settings = load_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": SecretStr(database_url)})
    else:
        settings = demo_settings(settings.model_copy(update={"database_url": None}))

    def show_mentions(engine: Engine) -> None:
        with engine.connect() as conn:
            print_mentions(mentions_by_day(conn))

    def show_stance(engine: Engine) -> None:
        with engine.connect() as conn:
            print_stance(stance_by_brand(conn))

    with failing_cleanly(), demo_files() as (posts, brands_file):
        settings = settings.model_copy(update={"brands_file": brands_file, "import_glob": None})
        if settings.database_url is None:
            out.console.print(
                f"[dim]starting the embedded PostgreSQL in {settings.data_dir / 'pgdata'}[/]"
            )
        with warehouse(settings, migrate_first=True) as engine:
            results = run_plan(
                engine,
                settings,
                Window(),
                {
                    "collect": {"sources": ["file"], "paths": [posts]},
                    "report": {"out": default_report_path(settings, "demo")},
                },
                after={"collect": show_mentions, "classify": show_stance},
            )
            with engine.connect() as conn:
                counts = table_counts(conn)
    out.console.print("warehouse rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    warn_undelivered(results["alerts"])


__all__ = ["GrapevineError"]
