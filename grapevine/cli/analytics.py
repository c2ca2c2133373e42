"""``grapevine metrics``, ``grapevine alerts`` and ``grapevine report`` (typer + rich).

Registered on the app by ``grapevine.cli.app``. Every command takes the same
``--since/--until`` window as the rest of the CLI (ISO dates or datetimes, in
GRAPEVINE_TIMEZONE unless they carry an offset; ``--until`` exclusive); without them it
covers everything in the warehouse.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from grapevine.cli.common import Since, Until, failing_cleanly, load_settings, out, window


class PlotlyMode(StrEnum):
    inline = "inline"
    cdn = "cdn"


def _nas(value: object) -> str:
    """``+12`` or ``-3``; a score that rounds to zero is ``0``, never ``-0``."""
    if value is None:
        return "n/a"
    rounded = round(float(value))  # type: ignore[arg-type]
    return "0" if rounded == 0 else f"{rounded:+d}"


def metrics(since: Since = None, until: Until = None) -> None:
    """Recompute brand metrics (brand x day x source) for the window and print them.

    Days are calendar days in GRAPEVINE_TIMEZONE (default UTC). Whole days are replaced in one
    transaction, from the current model version, with brand-owned posts left out: mentions,
    unique authors, sentiment mix, advocacy, badvocacy, net advocacy (100 x (advocacy -
    badvocacy) / rated mentions) with its 95% interval, share of voice within each brand's
    competitive set, and reach- and engagement-weighted variants.
    Re-running a window changes nothing. Analysts query the results in the `analytics` views.
    """
    from grapevine.stages import metrics as stage
    from grapevine.stages.base import warehouse
    from warehouse.metrics import metrics_summary

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine:
        result = stage.run(engine, settings, span)
        summary: list[dict[str, Any]] = []
        if result["first_day"]:
            from datetime import date

            with engine.connect() as conn:
                summary = metrics_summary(
                    conn,
                    date.fromisoformat(result["first_day"]),
                    date.fromisoformat(result["end_day"]),
                )
    if not result["first_day"]:
        out.console.print(
            "[yellow]no posts in the warehouse for this window: nothing to compute[/]"
        )
        return
    table = Table(title=f"Brand metrics, {result['first_day']} to {result['end_day']} (excl.)")
    for col in (
        "brand",
        "mentions",
        "rated",
        "advocacy",
        "badvocacy",
        "net advocacy",
        "95% interval",
        "share of voice",
    ):
        table.add_column(col, justify="left" if col == "brand" else "right")
    for r in summary:
        low, high = r["net_advocacy_low"], r["net_advocacy_high"]
        sov = r["share_of_voice"]
        table.add_row(
            str(r["brand"]),
            f"{r['mentions']:,}",
            f"{r['rated']:,}",
            f"{r['advocacy']:,}",
            f"{r['badvocacy']:,}",
            _nas(r["net_advocacy"]),
            "" if low is None else f"{_nas(low)} .. {_nas(high)}",
            "" if sov is None else f"{sov:.0%}",
        )
    out.console.print(table)
    out.console.print(f"[green]{result['rows']:,} metric rows written[/]")


def alerts(
    since: Since = None,
    until: Until = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Detect and print only: store and send nothing.")
    ] = False,
) -> None:
    """Detect badvocacy spikes and volume surges in the window and notify the team.

    A brand's day alerts when its badvocacy count is improbable under an over-dispersed
    baseline of the previous 28 days (corrected for the number of brands), its badvocacy
    share rose significantly, and it has at least GRAPEVINE_ALERT_MIN_COUNT posts; each such
    alert names its drivers (the outcomes the extra badvocacy is about). A volume surge is a
    day whose mentions are improbable under the same kind of baseline (GRAPEVINE_ALERT_SURGE,
    at least GRAPEVINE_ALERT_SURGE_MIN_COUNT mentions); a day with both is one alert. Alerts go
    to the apprise URLs in GRAPEVINE_ALERT_URLS (Slack, mailto, json webhooks, ...), or to
    DATA_DIR/alerts.log when none is set. Each window alerts and notifies once, even when
    re-run; failed deliveries are retried on the next run. Run `grapevine metrics` first.
    """
    from grapevine.stages import alerts as stage
    from grapevine.stages.base import warehouse

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine:
        result = stage.run(engine, settings, span, dry_run=dry_run)
    found = result["found"]
    if found:
        table = Table(
            title="Badvocacy spikes" + (" (dry run: nothing stored or sent)" if dry_run else "")
        )
        for col in ("brand", "day", "badvocacy", "expected", "severity"):
            table.add_column(col, justify="left" if col in ("brand", "day") else "right")
        table.add_column("driven by", justify="left")
        for a in found:
            table.add_row(
                str(a["brand"]),
                a["day"],
                f"{a['observed']:.0f}",
                f"{a['expected']:.1f}",
                f"{a['severity']}/10",
                "; ".join(f"{d['label']} ({d['lift']:.1f}x)" for d in a.get("drivers") or [])
                or "-",
            )
        out.console.print(table)
    else:
        out.console.print(f"no badvocacy spikes in {result['windows_tested']:,} brand-days tested")
    surges = result.get("surges_found") or []
    if surges:
        table = Table(
            title="Volume surges" + (" (dry run: nothing stored or sent)" if dry_run else "")
        )
        for col in ("brand", "day", "mentions", "expected", "severity"):
            table.add_column(col, justify="left" if col in ("brand", "day") else "right")
        for a in surges:
            table.add_row(
                str(a["brand"]),
                a["day"],
                f"{a['observed']:,.0f}",
                f"{a['expected']:,.1f}",
                f"{a['severity']}/10",
            )
        out.console.print(table)
    if result.get("windows_untested"):
        # Untested days cannot alert: say so, or a warehouse with a week of data reads as calm.
        why = "; ".join(f"{r} ({n:,})" for r, n in result["untested_reasons"].items())
        out.console.print(
            f"[yellow]{result['windows_untested']:,} brand-days could not be tested: {why}[/]"
        )
    if not dry_run:
        out.console.print(
            f"{len(result['new_alert_ids'])} new alert(s); notifications delivered: "
            f"{result['delivered']}, failed (retried next run): {result['failed']}"
        )
        problem = stage.problem(result)
        if problem is not None:
            # Nobody was told: a zero exit would let cron and CI treat the run as done.
            from grapevine.cli.common import print_problem

            print_problem(problem)
            raise typer.Exit(code=1)


def report(
    since: Since = None,
    until: Until = None,
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the HTML file.")
    ] = Path("report.html"),
    plotly: Annotated[
        PlotlyMode,
        typer.Option(
            "--plotly",
            help="inline: embed the charting library (~4.6 MB, opens offline); cdn: load it "
            "from cdn.plot.ly (a small file whose charts need the internet).",
        ),
    ] = PlotlyMode.inline,
) -> None:
    """Write the HTML report: one self-contained file that opens offline in any browser.

    A per-brand headline table (mentions, C2C share, net advocacy with its interval, share of
    voice, change against the window before, alerts, low-confidence labels), the net advocacy
    trend with its interval and alerts marked, share of voice over time, sentiment and
    advocacy mix by source, the top advocacy and badvocacy posts by reach (one per author)
    with links, a short "what changed" summary, and why customers advocate or warn: the
    opportunity landscape of outcomes per brand, top opportunities, the trend of the outcomes
    with most badvocacy, and each alert's drivers.
    """
    from grapevine.stages import report as stage
    from grapevine.stages.base import warehouse

    settings = load_settings()
    span = window(since, until, settings)
    with failing_cleanly(), warehouse(settings) as engine:
        result = stage.run(engine, settings, span, out=out_path, plotly=plotly.value)
    path = Path(result["path"])
    out.console.print(
        f"[green]report written:[/] {path.resolve()} ({report_size_note(path, plotly)})"
    )


def report_size_note(path: Path, plotly: PlotlyMode) -> str:
    """Say how big the file is and why, so a 4.9 MB report is no surprise."""
    size = f"{path.stat().st_size / 1e6:.1f} MB"
    if plotly is PlotlyMode.cdn:
        return f"{size}; its charts load plotly from cdn.plot.ly"
    return f"{size}, self-contained: opens offline; --plotly cdn makes it small"
