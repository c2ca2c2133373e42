"""``grapevine outcomes discover|list|show``: what customers advocate or warn about.

``discover`` runs the outcomes stage with a fresh discovery; ``list`` and ``show`` read the
analysts' views (``analytics.outcomes``, ``outcome_mentions_daily``) and the
``analytics.outcome_opportunity`` function, so the CLI shows what an analyst's query returns.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from grapevine.cli.common import (
    Bars,
    Since,
    Until,
    failing_cleanly,
    load_settings,
    out,
    show,
    window,
)
from grapevine.core.errors import ConfigError

app = typer.Typer(
    help="What customers advocate or warn about: discover outcomes, list them, show one.",
    no_args_is_help=True,
)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@app.command()
def discover(since: Since = None, until: Until = None) -> None:
    """Discover outcomes again now, over every post read so far, and re-assign every post.

    Posts of the window (default: all) that have no outcome yet are read first. Outcomes that
    match earlier ones keep their ids, new ones get new ids, and those not found again are
    retired (their history stays). Nightly runs do this by themselves when the last discovery
    is older than GRAPEVINE_OUTCOME_REDISCOVER_DAYS; the Airflow DAG grapevine_outcomes_weekly
    does it every week.
    """
    from grapevine.cli.summaries import print_generic
    from grapevine.stages import outcomes as stage
    from grapevine.stages.base import warehouse

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine, Bars() as bars:
        summary = stage.run(engine, settings, span, rediscover=True, progress_for=bars)
    print_generic(summary, settings, "outcomes")
    if not summary.get("discovered"):
        out.err.print(
            f"[yellow]no discovery stored[/]: {summary.get('skipped') or 'nothing found'}"
        )


@app.command("list")
def list_outcomes(
    since: Since = None,
    until: Until = None,
    retired: Annotated[
        bool, typer.Option("--retired", help="Also list outcomes a re-discovery retired.")
    ] = False,
) -> None:
    """List the outcomes, most mentioned in the window first (default: all days).

    satisfaction = 10 x advocacy / (advocacy + badvocacy) of the outcome's mentions; see
    `grapevine outcomes show ID` for one outcome's posts and its opportunity per brand.
    """
    from grapevine.stages.base import warehouse
    from warehouse.readouts import outcome_lines

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine, engine.connect() as conn:
        lines = outcome_lines(conn, span.since, span.until, include_retired=retired)
    if not lines:
        out.console.print(
            "[yellow]no outcomes yet[/]: run `grapevine run` (or `grapevine outcomes discover`)"
            " once posts are classified"
        )
        return
    table = Table(title=f"Outcomes ({span})" if span.since or span.until else "Outcomes")
    for col in ("id", "outcome", "mentions", "customers", "advocacy", "badvocacy", "sat."):
        table.add_column(col, justify="left" if col == "outcome" else "right")
    if retired:
        table.add_column("status")
    for line in lines:
        cells = [
            str(line.outcome_id),
            line.label,
            f"{line.mentions:,}",
            f"{line.customers:,}",
            f"{line.advocacy:,}",
            f"{line.badvocacy:,}",
            _num(line.satisfaction),
        ]
        show_row = [*cells, line.status] if retired else cells
        table.add_row(*show_row)
    table.caption = "sat.: satisfaction 0-10 (advocacy share of judged mentions)"
    show(table)


@app.command("show")
def show_outcome(
    outcome_id: Annotated[int, typer.Argument(help="The outcome's id (see `outcomes list`).")],
    since: Since = None,
    until: Until = None,
) -> None:
    """Show one outcome: key phrases, representative posts, and per brand how important it is
    to customers, how satisfied they are and the opportunity score, over the window."""
    from grapevine.stages.base import warehouse
    from warehouse.outcomes import outcome_opportunity
    from warehouse.readouts import outcome_detail

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine, engine.connect() as conn:
        detail = outcome_detail(conn, outcome_id)
        if detail is None:
            raise ConfigError(
                f"there is no outcome {outcome_id}",
                hint="`grapevine outcomes list --retired` shows every outcome's id",
            )
        scores = [
            r
            for r in outcome_opportunity(conn, span.since, span.until)
            if r.outcome_id == outcome_id
        ]
    out.console.print(f"[bold]{detail.outcome_id}. {detail.label}[/] ({detail.status})")
    out.console.print(f"key phrases: {', '.join(detail.key_phrases)}")
    out.console.print(
        f"{detail.posts:,} posts now ({detail.size:,} at discovery); first discovered "
        f"{detail.first_discovered_at:%Y-%m-%d}, last {detail.last_discovered_at:%Y-%m-%d}"
    )
    for text in detail.examples:
        out.console.print(f"  • {' '.join(text.split())[:200]}", highlight=False)
    if not scores:
        out.console.print("[dim]no mentions in this window[/]")
        return
    table = Table(title="Opportunity (importance + max(importance - satisfaction, 0))")
    for col in (
        "brand",
        "customers",
        "importance",
        "satisfaction",
        "opportunity",
        "unsatisfied",
        "best brand",
    ):
        table.add_column(col, justify="left" if col in {"brand", "best brand"} else "right")
    for r in scores:
        table.add_row(
            r.brand or f"set: {r.set_name}",
            f"{r.customers:,} / {r.base_customers:,}",
            _num(r.importance),
            _num(r.satisfaction),
            _num(r.opportunity),
            f"{r.unsatisfied_customers:,}",
            r.best_brand or "-",
        )
    show(table)
