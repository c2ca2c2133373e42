"""How each stage's summary is shown: tables and lines, in the --format the user chose.

A stage without a printer here is shown as a two-column table of its summary, so a new stage
needs no CLI change to be visible.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.table import Table

from grapevine.cli.common import out, print_problem, show

if TYPE_CHECKING:
    from grapevine.core.settings import Settings
    from warehouse.readouts import MentionRow, StanceRow


def print_collect(summary: Mapping[str, Any], settings: Settings) -> None:
    rows = summary["sources"]
    table = Table(title="Collection summary")
    for col in (
        "source",
        "read",
        "matched",
        "loaded",
        "duplicates",
        "quarantined",
        "replies",
        "status",
    ):
        table.add_column(col, justify="left" if col in {"source", "status"} else "right")
    for r in rows:
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
                for k in (
                    "read",
                    "matched",
                    "loaded",
                    "duplicates",
                    "quarantined",
                    "thread_replies",
                )
            ),
            status,
        )
    table.caption = (
        "matched: posts naming a watched brand; replies: replies that name none, kept as "
        "context because their thread does; loaded counts both"
    )
    show(table)
    for r in rows:
        if r.get("out_of_window"):
            out.console.print(
                f"{r['source']}: {r['out_of_window']:,} posts outside the window were skipped"
            )
        if r.get("quarantined"):
            out.console.print(
                f"[yellow]{r['source']}: {r['quarantined']:,} records quarantined[/] "
                "(see the quarantine table: SELECT line_no, error FROM quarantine)"
            )


def print_classify(summary: Mapping[str, Any], settings: Settings) -> None:
    table = Table(title="Classification summary")
    for col in ("posts", "sentiment rows", "advocacy rows", "unsupported language", "posts/s"):
        table.add_column(col, justify="right")
    rate = summary["posts"] / summary["seconds"] if summary["seconds"] else 0.0
    table.add_row(
        f"{summary['posts']:,}",
        f"{summary['sentiment_rows']:,}",
        f"{summary['advocacy_rows']:,}",
        f"{summary['unsupported']:,}",
        f"{rate:,.0f}",
    )
    show(table)
    out.console.print(f"[dim]models: {summary['sentiment_model']}, {summary['advocacy_model']}[/]")


def print_alerts(alerts: Mapping[str, Any], settings: Settings) -> None:
    """The alert stage's outcome for ``run`` and ``demo``: what was found, what was sent."""
    found = int(alerts.get("alerts_found", 0))
    delivered, failed = int(alerts.get("delivered", 0)), int(alerts.get("failed", 0))
    line = f"alerts: {found} in this window" if found else "alerts: none in this window"
    if delivered or failed:
        line += f"; notifications delivered to {_alert_channels(settings)}: {delivered}"
        if failed:
            line += f", [red]failed (retried next run): {failed}[/]"
    out.console.print(line)
    for spike in alerts.get("found") or []:
        drivers = spike.get("drivers") or []
        if not drivers:
            continue
        why = "; ".join(
            f"{d['label']} ({d['window_badvocacy']} posts, {d['lift']:.1f}x its usual share, "
            f"p={d['p_value']:.1g})"
            for d in drivers
        )
        out.console.print(f"  {spike['brand']} {spike['day']}: driven by {why}", highlight=False)


def _alert_channels(settings: Settings) -> str:
    if settings.alert_urls:
        return f"{len(settings.alert_urls)} configured channel(s)"
    return str(settings.data_dir / "alerts.log")


def _since(stamp: str) -> str:
    """A stored ``done_at`` as a user reads it: to the second, in UTC, saying so."""
    from datetime import UTC, datetime

    try:
        return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return stamp


def print_report(summary: Mapping[str, Any], settings: Settings) -> None:
    unchanged = summary.get("unchanged_since")
    note = f" (unchanged: nothing new since {_since(unchanged)})" if unchanged else ""
    out.console.print(f"[bold]report: {summary['path']}[/]{note}")


def print_metrics(summary: Mapping[str, Any], settings: Settings) -> None:
    if summary.get("unchanged_since"):
        out.console.print(
            f"metrics: unchanged for {summary['first_day']} to {summary['end_day']} (excl.):"
            f" nothing they are computed from changed since {_since(summary['unchanged_since'])}"
        )
    elif summary.get("first_day"):
        out.console.print(
            f"metrics: {summary['rows']:,} rows for {summary['first_day']} to "
            f"{summary['end_day']} (excl.)"
        )


def print_generic(summary: Mapping[str, Any], settings: Settings, name: str = "") -> None:
    table = Table(title=name or None)
    table.add_column("item")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    show(table)


def print_outcomes(summary: Mapping[str, Any], settings: Settings) -> None:
    """One line on what the outcomes stage did, then the biggest outcomes."""
    if summary.get("skipped") and not summary.get("outcomes"):
        out.err.print(f"[yellow]outcomes skipped[/]: {summary['skipped']}")
        return
    done = (
        f"discovered {summary['outcomes']} outcomes ({summary['kept']} kept, "
        f"{summary['new']} new, {summary['retired']} retired)"
        if summary.get("discovered")
        else f"{summary['outcomes']} outcomes"
    )
    out.err.print(
        f"outcomes: read {summary['posts_read']:,} posts ({summary['unsupported_language']:,} "
        f"in a language the embedder does not read), {done}; {summary['assigned']:,} posts "
        f"assigned, {summary['unassigned']:,} unassigned, in {summary['seconds']:.1f}s"
    )
    top = summary.get("top") or []
    if top:
        table = Table(title="Biggest outcomes (`grapevine outcomes list` for all)")
        for col in ("id", "outcome", "posts"):
            table.add_column(col, justify="left" if col == "outcome" else "right")
        for row in top:
            table.add_row(str(row["id"]), str(row["label"]), f"{row['size']:,}")
        show(table)


PRINTERS: dict[str, Callable[[Mapping[str, Any], Settings], None]] = {
    "collect": print_collect,
    "classify": print_classify,
    "metrics": print_metrics,
    "outcomes": print_outcomes,
    "alerts": print_alerts,
    "report": print_report,
}


def warn_undelivered(alerts: Mapping[str, Any]) -> None:
    """The demo's word when its alerts reached nobody: a warning, not a failure, because the
    demo's point is the report; its channel is DATA_DIR/demo/alerts.log unless
    GRAPEVINE_ALERT_URLS names real ones, and those are what the warning is about."""
    from grapevine.stages.alerts import problem

    found = problem(alerts)
    if found is not None:
        print_problem(found, "[bold yellow]warning:[/]")


_SPARK = "▁▂▃▄▅▆▇█"


def _sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if top == 0:
        return _SPARK[0] * len(values)
    return "".join(_SPARK[min(len(_SPARK) - 1, v * (len(_SPARK) - 1) // top)] for v in values)


def print_mentions(rows: list[MentionRow]) -> None:
    """Two tables: brand x source totals with a daily sparkline, then brand x day counts."""
    if not rows:
        out.console.print("[yellow]no mentions in the warehouse for this window[/]")
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
