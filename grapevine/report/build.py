"""The HTML report: one self-contained file a marketer can open anywhere, offline.

plotly's JavaScript is embedded once (about 4.6 MB of the file; ``plotly="cdn"`` loads it from
cdn.plot.ly instead, for a file of a few hundred KB that needs the internet to draw), every
chart has a fixed element id and nothing time-dependent is written, so rebuilding the report
for the same window gives the same bytes.
Post texts and every other user-derived string are hostile input: they are HTML-escaped, links
are emitted only for http(s) URLs, and strings given to plotly (which renders a little HTML in
labels) are escaped as well. A Content-Security-Policy forbids loading anything from anywhere.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots
from sqlalchemy import Engine

from grapevine.alerts.detect import Coverage
from grapevine.core.settings import Settings
from grapevine.core.window import zone
from grapevine.report.data import LOW_CONFIDENCE, ReportData, load
from grapevine.report.escape import esc, post_text, safe_link
from grapevine.report.outcomes import outcome_figures, outcomes_section
from warehouse.metrics import day_start

PlotlyMode = Literal["inline", "cdn"]

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
MAX_TREND_BRANDS = 12
COLORS = {
    "advocacy": "#1a9850",
    "no stance": "#bdbdbd",
    "badvocacy": "#d73027",
    "unsupported": "#f0e442",
    "positive": "#4daf4a",
    "neutral": "#999999",
    "negative": "#e41a1c",
}
CDN = "https://cdn.plot.ly"
BADVOCACY, SURGE = "badvocacy_spike", "volume_surge"


def alert_kind(alert: dict[str, Any]) -> str:
    """An alert row's kind; rows without one are badvocacy spikes (the first kind)."""
    return str(alert.get("kind") or BADVOCACY)


def csp(plotly: PlotlyMode = "inline") -> str:
    """Nothing may be fetched from anywhere, except plotly's script from its CDN in cdn mode."""
    scripts = "'unsafe-inline' 'unsafe-eval'" + (f" {CDN}" if plotly == "cdn" else "")
    return (
        f"default-src 'none'; script-src {scripts}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:"
    )


CSP = csp()


def signed(value: float, digits: int = 0, suffix: str = "") -> str:
    """``+12``, ``-3``; a value that rounds to zero is ``0``, never ``-0`` or ``+0``."""
    rounded = round(value, digits)
    if rounded == 0:
        return f"{0:.{digits}f}{suffix}"
    return f"{rounded:+.{digits}f}{suffix}"


def local_day(moment: datetime, tz: str) -> date:
    """The calendar day of an instant in ``tz`` (an alert's window starts at local midnight,
    which is the evening before in UTC for zones east of it)."""
    return moment.astimezone(zone(tz)).date()


def _fmt_nas(value: float | None) -> str:
    return "n/a" if value is None else signed(value)


def _period_nas(rows: Sequence[dict[str, Any]]) -> tuple[float | None, float | None, int]:
    from warehouse.metrics import net_advocacy_interval

    adv = sum(int(r["advocacy"]) for r in rows)
    bad = sum(int(r["badvocacy"]) for r in rows)
    rated = sum(int(r["rated"]) for r in rows)
    if rated == 0:
        return None, None, 0
    low, high = net_advocacy_interval(adv, bad, rated)  # type: ignore[misc]
    return 100.0 * (adv - bad) / rated, (high - low) / (2 * 1.959964), rated


def what_changed(data: ReportData) -> list[str]:
    """Plain sentences (HTML-escaped) comparing the last 7 days with the 7 before."""
    span = (data.end_day - data.first_day).days
    if span <= 0:
        return ["No metrics in this window yet: run `grapevine metrics` first."]
    length = 7 if span >= 14 else max(1, span // 2)
    recent_start = data.end_day - timedelta(days=length)
    before_start = recent_start - timedelta(days=length)
    by_brand: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in data.totals:
        by_brand[str(r["brand"])].append(r)
    lines = []
    alerted = {str(a["brand"]) for a in data.alerts}
    for brand, rows in sorted(by_brand.items(), key=lambda kv: (kv[0] not in alerted, kv[0])):
        recent = [r for r in rows if r["day"] >= recent_start]
        before = [r for r in rows if before_start <= r["day"] < recent_start]
        m_recent = sum(int(r["mentions"]) for r in recent)
        m_before = sum(int(r["mentions"]) for r in before)
        nas_r, se_r, _ = _period_nas(recent)
        nas_b, se_b, _ = _period_nas(before)
        parts = [f"<b>{esc(brand)}</b>: {m_recent:,} mentions in the last {length} days"]
        if m_before:
            change = signed(100 * (m_recent - m_before) / m_before, suffix="%")
            parts[0] += f" ({change} vs the {length} before)"
        if nas_r is not None and nas_b is not None and se_r is not None and se_b is not None:
            delta = nas_r - nas_b
            significant = abs(delta) > 1.959964 * math.hypot(se_r, se_b)
            verb = "rose" if delta > 0 else "fell" if delta < 0 else "held"
            parts.append(
                f"net advocacy {verb} from {_fmt_nas(nas_b)} to {_fmt_nas(nas_r)}"
                + (" (a real change)" if significant else " (within the noise)")
            )
        elif nas_r is not None:
            parts.append(f"net advocacy {_fmt_nas(nas_r)}")
        brand_alerts = [a for a in data.alerts if a["brand"] == brand]
        for kind, noun in ((BADVOCACY, "badvocacy alert"), (SURGE, "volume surge")):
            of_kind = [a for a in brand_alerts if alert_kind(a) == kind]
            if of_kind:
                worst = max(of_kind, key=lambda a: a["severity"] or 0)
                parts.append(
                    f"<span class='alert'>{len(of_kind)} {noun}"
                    f"{'s' if len(of_kind) > 1 else ''}</span>, worst on "
                    f"{esc(local_day(worst['window_start'], data.timezone))} "
                    f"(severity {esc(worst['severity'])}/10)"
                )
        lines.append("; ".join(parts) + ".")
    return lines or ["No brand mentions in this window."]


@dataclass(frozen=True, slots=True)
class Headline:
    """One brand's line in the report's headline table, for the report's window."""

    brand: str
    mentions: int
    c2c_share: float | None
    rated: int
    net_advocacy: float | None
    interval: tuple[float, float] | None
    share_of_voice: float | None
    #: Net advocacy now minus in the window of equal length before; None without both.
    nas_change: float | None
    nas_change_significant: bool
    #: Relative change of C2C mentions against the window before; None when it had none.
    mentions_change: float | None
    alerts: int
    low_confidence: int


def _nas_and_se(adv: int, bad: int, rated: int) -> tuple[float | None, float | None]:
    from warehouse.metrics import net_advocacy_interval

    bounds = net_advocacy_interval(adv, bad, rated)
    if bounds is None:
        return None, None
    low, high = bounds
    return 100.0 * (adv - bad) / rated, (high - low) / (2 * 1.959964)


def brand_headlines(data: ReportData) -> list[Headline]:
    """The headline per brand, brands with alerts first, then by mentions."""
    from warehouse.metrics import net_advocacy_interval

    out = []
    for r in data.brands:
        adv, bad, rated = int(r["advocacy"]), int(r["badvocacy"]), int(r["rated"])
        nas, se = _nas_and_se(adv, bad, rated)
        before, se_before = _nas_and_se(
            int(r["previous_advocacy"]), int(r["previous_badvocacy"]), int(r["previous_rated"])
        )
        change = significant = None
        if nas is not None and before is not None and se is not None and se_before is not None:
            change = nas - before
            significant = abs(change) > 1.959964 * math.hypot(se, se_before)
        mentions, c2c = int(r["mentions"] or 0), int(r["c2c_mentions"] or 0)
        previous = int(r["previous_mentions"])
        voice, voice_set = r["voice_mentions"], r["set_mentions"]
        out.append(
            Headline(
                brand=str(r["brand"]),
                mentions=mentions,
                c2c_share=c2c / mentions if mentions else None,
                rated=rated,
                net_advocacy=nas,
                interval=net_advocacy_interval(adv, bad, rated),
                share_of_voice=float(voice) / float(voice_set) if voice_set else None,
                nas_change=change,
                nas_change_significant=bool(significant),
                mentions_change=(int(r["metric_mentions"]) - previous) / previous
                if previous
                else None,
                alerts=int(r["alerts"]),
                low_confidence=int(r["low_confidence"]),
            )
        )
    return sorted(out, key=lambda h: (h.alerts == 0, -h.mentions, h.brand))


def _headline_table(data: ReportData) -> str:
    rows = brand_headlines(data)
    if not rows:
        return "<p class='muted'>No brand mentions in this window.</p>"
    days = (data.end_day - data.first_day).days
    body = []
    for h in rows:
        nas = _fmt_nas(h.net_advocacy)
        if h.interval is not None:
            nas += (
                f" <span class='muted'>({signed(h.interval[0])} to {signed(h.interval[1])})</span>"
            )
        changes = []
        if h.nas_change is not None:
            verdict = "a real change" if h.nas_change_significant else "within the noise"
            changes.append(f"net advocacy {signed(h.nas_change)} ({verdict})")
        if h.mentions_change is not None:
            changes.append(f"mentions {signed(100 * h.mentions_change, suffix='%')}")
        low = f"{h.low_confidence:,} ({h.low_confidence / h.rated:.0%})" if h.rated else "-"
        alert_cell = f"<span class='alert'>{h.alerts}</span>" if h.alerts else "0"
        body.append(
            "<tr>"
            f"<td>{esc(h.brand)}</td>"
            f"<td class='num'>{h.mentions:,}</td>"
            f"<td class='num'>{'-' if h.c2c_share is None else f'{h.c2c_share:.0%}'}</td>"
            f"<td class='num'>{nas}</td>"
            f"<td class='num'>"
            f"{'-' if h.share_of_voice is None else f'{h.share_of_voice:.0%}'}</td>"
            f"<td>{'; '.join(changes) or 'no earlier data'}</td>"
            f"<td class='num'>{alert_cell}</td>"
            f"<td class='num'>{low}</td>"
            "</tr>"
        )
    return (
        "<table class='headline'><thead><tr><th>brand</th><th>mentions</th><th>C2C share</th>"
        "<th>net advocacy (95% interval)</th><th>share of voice</th>"
        f"<th>vs the {days} day{'s' if days != 1 else ''} before</th><th>alerts</th>"
        f"<th>low-confidence labels</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        "<p class='muted'>Mentions count every post naming the brand; C2C share is the part "
        "written by customers (not the brands' own accounts), which every other number uses. "
        "Share of voice is against the brand's watched competitors (- when it has none). "
        "Low-confidence labels: rated mentions whose advocacy label the model gave a "
        f"probability below {LOW_CONFIDENCE:.0%}; read those posts before quoting them.</p>"
    )


def trend_figure(data: ReportData) -> go.Figure:
    brands = sorted({str(r["brand"]) for r in data.trend})[:MAX_TREND_BRANDS]
    fig = make_subplots(
        rows=max(len(brands), 1),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08 if len(brands) > 1 else 0.1,
        subplot_titles=[esc(b) for b in brands] or ["no data"],
    )
    alerts_by = defaultdict(list)
    for a in data.alerts:
        alerts_by[str(a["brand"])].append(a)
    for i, brand in enumerate(brands, start=1):
        rows = [r for r in data.trend if r["brand"] == brand and r["net_advocacy"] is not None]
        days = [r["day"] for r in rows]
        show = i == 1
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[r["net_advocacy_high"] for r in rows],
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=i,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[r["net_advocacy_low"] for r in rows],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(49,130,189,0.2)",
                name="95% interval",
                legendgroup="band",
                showlegend=show,
                hoverinfo="skip",
            ),
            row=i,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[r["net_advocacy"] for r in rows],
                mode="lines+markers",
                line={"color": "#3182bd"},
                name="net advocacy (day)",
                legendgroup="nas",
                showlegend=show,
                customdata=[[r["rated"], _fmt_nas(r["net_advocacy"])] for r in rows],
                hovertemplate="%{x|%Y-%m-%d}: %{customdata[1]} (%{customdata[0]} rated)"
                "<extra></extra>",
            ),
            row=i,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[r["net_advocacy_7d"] for r in rows],
                mode="lines",
                line={"color": "#08519c", "dash": "dot"},
                name="trailing 7 days",
                legendgroup="7d",
                showlegend=show,
            ),
            row=i,
            col=1,
        )
        marks = [m for m in alerts_by.get(brand, []) if alert_kind(m) == BADVOCACY]
        surges = [m for m in alerts_by.get(brand, []) if alert_kind(m) == SURGE]
        nas_by_day = {r["day"]: r["net_advocacy"] for r in rows}
        if surges:
            fig.add_trace(
                go.Scatter(
                    x=[local_day(m["window_start"], data.timezone) for m in surges],
                    y=[
                        nas_by_day.get(local_day(m["window_start"], data.timezone), 0)
                        for m in surges
                    ],
                    mode="markers",
                    marker={
                        "symbol": "triangle-up-open",
                        "size": 16,
                        "color": "#6a3d9a",
                        "line": {"width": 2},
                    },
                    name="volume surge",
                    legendgroup="surge",
                    showlegend=True,
                    customdata=[
                        [m["severity"], int(m["observed"] or 0), float(m["expected"] or 0)]
                        for m in surges
                    ],
                    hovertemplate="volume surge, severity %{customdata[0]}/10: "
                    "%{customdata[1]:,} mentions, %{customdata[2]:,.0f} expected<extra></extra>",
                ),
                row=i,
                col=1,
            )
        if marks:
            fig.add_trace(
                go.Scatter(
                    x=[local_day(m["window_start"], data.timezone) for m in marks],
                    y=[
                        nas_by_day.get(local_day(m["window_start"], data.timezone), 0)
                        for m in marks
                    ],
                    mode="markers",
                    marker={"symbol": "x", "size": 14, "color": "#d73027", "line": {"width": 2}},
                    name="badvocacy alert",
                    legendgroup="alert",
                    showlegend=True,
                    customdata=[
                        [m["severity"], int(m["observed"] or 0), float(m["expected"] or 0)]
                        for m in marks
                    ],
                    hovertemplate="alert, severity %{customdata[0]}/10: %{customdata[1]} "
                    "badvocacy posts, %{customdata[2]:.1f} expected<extra></extra>",
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(range=[-105, 105], title_text="NAS", row=i, col=1)
    fig.update_layout(
        height=260 * max(len(brands), 1) + 80,
        margin={"t": 60, "b": 40, "l": 60, "r": 20},
        legend={"orientation": "h", "y": 1.06 if len(brands) < 3 else 1.02},
    )
    return fig


def share_of_voice_figure(data: ReportData) -> go.Figure:
    fig = go.Figure()
    for brand in sorted({str(r["brand"]) for r in data.share_of_voice}):
        rows = [r for r in data.share_of_voice if r["brand"] == brand]
        fig.add_trace(
            go.Scatter(
                x=[r["day"] for r in rows],
                y=[100 * (r["share_of_voice"] or 0) for r in rows],
                mode="lines+markers",
                name=esc(brand),
                hovertemplate="%{x|%Y-%m-%d}: %{y:.0f}%<extra></extra>",
            )
        )
    fig.update_layout(
        yaxis={"title": "share of voice (%)", "range": [0, 100]},
        height=360,
        margin={"t": 30, "b": 40, "l": 60, "r": 20},
    )
    return fig


def mix_figure(data: ReportData) -> go.Figure:
    labels = [f"{esc(r['brand'])} · {esc(r['source'])}" for r in data.mix]
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["sentiment", "advocacy"], horizontal_spacing=0.12
    )

    def share(row: dict[str, Any], keys: Iterable[str], key: str) -> float:
        total = sum(int(row[k] or 0) for k in keys)
        return 100.0 * int(row[key] or 0) / total if total else 0.0

    sentiment = ("positive", "neutral", "negative")
    for key in sentiment:
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[share(r, sentiment, key) for r in data.mix],
                name=key,
                orientation="h",
                marker_color=COLORS[key],
                legendgroup="s",
            ),
            row=1,
            col=1,
        )
    stance = ("advocacy", "no_stance", "badvocacy", "unsupported")
    for key in stance:
        name = key.replace("_", " ")
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[share(r, stance, key) for r in data.mix],
                name=name,
                orientation="h",
                marker_color=COLORS[name],
                legendgroup="a",
            ),
            row=1,
            col=2,
        )
    fig.update_layout(
        barmode="stack",
        height=200 + 40 * max(len(labels), 1),
        margin={"t": 40, "b": 110, "l": 160, "r": 20},
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
    )
    fig.update_xaxes(title_text="% of labelled mentions", range=[0, 100])
    return fig


def _followers(value: object) -> str:
    """A known audience, or "unknown" (no source reported it): never a misleading 0."""
    return "unknown" if value is None else f"{int(value):,}"  # type: ignore[call-overload]


def _author(row: dict[str, Any]) -> str:
    key = f"<code>{esc((row['author_key'] or '')[:12])}</code>"
    more = int(row.get("author_posts") or 1) - 1
    if more > 0:
        key += f" <span class='muted'>(+{more} more in this window)</span>"
    return key


def _posts_table(rows: Sequence[dict[str, Any]], label: str, tz: str = "UTC") -> str:
    if not rows:
        return f"<p class='muted'>No {esc(label)} posts in this window.</p>"
    body = []
    for r in rows:
        created = r["created_at"]
        when = (
            created.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")
            if isinstance(created, datetime)
            else created
        )
        body.append(
            "<tr>"
            f"<td>{esc(r['source'])}</td>"
            f"<td class='num'>{_followers(r['followers'])}</td>"
            f"<td class='num'>{int(r['interactions'] or 0):,}</td>"
            f"<td>{_author(r)}</td>"
            f"<td>{esc(when)}</td>"
            f"<td class='text'>{post_text(r['text'])}</td>"
            f"<td>{safe_link(r['url'], 'open')}</td>"
            "</tr>"
        )
    return (
        "<table><thead><tr><th>source</th><th>followers</th><th>interactions</th>"
        f"<th>author (pseudonym)</th><th>posted ({esc(tz)})</th><th>text</th><th>link</th>"
        "</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def coverage_sentence(coverage: Coverage) -> str:
    """What the alert test could check in the window, HTML-escaped: "12 brand-days tested; 30
    could not be (needs 14 days of history; has 0-8)". Reason counts are given only when there
    are several reasons."""
    text_ = f"{coverage.tested:,} brand-day{'s' if coverage.tested != 1 else ''} tested"
    if coverage.untested:
        reasons = coverage.reasons()
        why = (
            next(iter(reasons))
            if len(reasons) == 1
            else ", ".join(f"{r}: {n:,}" for r, n in reasons.items())
        )
        text_ += f"; {coverage.untested:,} could not be ({why})"
    return esc(text_)


def _alerts_table(
    alerts: Sequence[dict[str, Any]], coverage: Coverage | None = None, tz: str = "UTC"
) -> str:
    """The window's alerts; with ``coverage``, also how much of the window could be tested, so
    that "no alerts" is never read as "all quiet" when nothing could be checked."""
    note = ""
    if coverage is not None:
        untested = (
            " <span class='alert'>Days that could not be tested cannot alert: no alert there "
            "says nothing about them.</span>"
            if coverage.untested
            else ""
        )
        note = f"{coverage_sentence(coverage)}.{untested}"
    if not alerts:
        if coverage is None:
            return "<p class='muted'>No badvocacy alerts in this window.</p>"
        return f"<p class='muted'>No badvocacy alerts in this window: {note}</p>"
    rows = []
    for a in alerts:
        top = (a.get("top_posts") or [])[:3]
        links = ", ".join(safe_link(p.get("url"), f"post {i + 1}") for i, p in enumerate(top))
        share = a.get("share")
        base = a.get("baseline_share")
        observed, expected = float(a["observed"] or 0), float(a["expected"] or 0)
        if alert_kind(a) == SURGE:
            what = "volume surge"
            counts = f"{observed:,.0f} mentions vs {expected:,.0f}"
        else:
            what = "badvocacy spike"
            counts = f"{observed:.0f} vs {expected:.1f}"
            volume = (a.get("details") or {}).get("volume_surge")
            if volume:
                counts += (
                    f"<br><span class='muted'>mentions {int(volume.get('mentions') or 0):,}"
                    f" vs {float(volume.get('expected') or 0):,.0f}: a surge too</span>"
                )
        rows.append(
            "<tr>"
            f"<td>{esc(a['brand'])}</td><td>{esc(local_day(a['window_start'], tz))}</td>"
            f"<td>{what}</td>"
            f"<td class='num'>{esc(a['severity'])}/10</td>"
            f"<td class='num'>{counts}</td>"
            f"<td class='num'>{'' if share is None else f'{share:.0%}'}"
            f"{'' if base is None else f' vs {base:.0%}'}</td>"
            f"<td class='num'>{float(a['p_value'] or 0):.1e}</td>"
            f"<td>{'sent' if a['notified_at'] else esc(a['last_error'] or 'pending')}</td>"
            f"<td>{links}</td></tr>"
        )
        drivers = a.get("drivers") or []
        if drivers:
            rows.append(
                f"<tr class='drivers'><td></td><td colspan='8'>{drivers_html(drivers)}</td></tr>"
            )
    return (
        "<table class='alerts'><thead><tr><th>brand</th><th>day</th><th>alert</th>"
        "<th>severity</th><th>count vs expected</th><th>badvocacy share vs usual</th>"
        "<th>p (corrected)</th><th>notification</th><th>top posts</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        "<p class='muted'>A badvocacy spike: more badvocacy posts than the day's conversation "
        "explains, and a higher badvocacy share. A volume surge: far more mentions than the "
        "brand's trend and weekday pattern expect (a day with a badvocacy spike says so in its "
        "own row instead).</p>"
    ) + (f"<p class='muted'>Alert test: {note}</p>" if note else "")


def drivers_html(drivers: Sequence[dict[str, Any]], examples: int = 2) -> str:
    """What a badvocacy spike is about: its driver outcomes, with example posts (escaped)."""
    items = []
    for d in drivers:
        base = d.get("baseline_share")
        if base is None or not int(d.get("baseline_badvocacy") or 0):
            usual = "none before"
        elif float(base) < 0.005:
            usual = "usually under 1%"
        else:
            usual = f"usually {float(base):.0%}"
        quotes = []
        for ex in (d.get("examples") or [])[:examples]:
            text_ = " ".join(str(ex.get("text") or "").split())
            if len(text_) > 200:
                text_ = text_[:199] + "\u2026"
            quote = f"&ldquo;{post_text(text_)}&rdquo;"
            if ex.get("url"):
                quote += f" ({safe_link(ex.get('url'), 'post')})"
            quotes.append(f"<div class='quote'>{quote}</div>")
        items.append(
            f"<li><b>{esc(d.get('label'))}</b>: {int(d.get('window_badvocacy') or 0):,} "
            f"posts, {float(d.get('window_share') or 0):.0%} of the badvocacy ({usual}), "
            f"{float(d.get('lift') or 0):.1f}&times;, p {float(d.get('p_value') or 0):.1e}"
            f"{''.join(quotes)}</li>"
        )
    return (
        "<span class='muted'>What it is about (outcomes whose share of the badvocacy rose):"
        f"</span><ul class='drivers'>{''.join(items)}</ul>"
    )


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.muted{color:#777}.alert{color:#b2182b;font-weight:600}
.summary{background:#f6f8fa;border-left:4px solid #3182bd;padding:.6rem 1.2rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0 1.2rem}
th,td{border-bottom:1px solid #eee;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}td.text{max-width:480px;word-break:break-word}
table.headline td{font-size:1rem}footer{margin-top:2rem;font-size:.85rem}
tr.drivers td{border-bottom:1px solid #ddd;padding-top:0}ul.drivers{margin:.2rem 0 .4rem}
ul.drivers .quote{color:#555;font-style:italic;margin:.1rem 0 .2rem}
.explain{background:#f6f8fa;padding:.6rem 1.2rem;border-left:4px solid #999}
"""


def _size_note(plotly: PlotlyMode) -> str:
    if plotly == "cdn":
        return (
            "This file loads its charting library (plotly) from cdn.plot.ly: the charts need "
            "an internet connection."
        )
    return (
        "This file is self-contained: the charting library (plotly, about 4.6 MB) is embedded, "
        "so it opens offline and can be mailed as one attachment. "
        "<code>grapevine report --plotly cdn</code> writes a small file that loads it from "
        "cdn.plot.ly instead."
    )


@lru_cache(maxsize=1)
def _white_template() -> dict[str, Any]:
    """plotly's "plotly_white" template as plain JSON, built once per process."""
    return pio.templates["plotly_white"].to_plotly_json()  # type: ignore[no-any-return]


def _chart_html(fig: go.Figure, *, include_plotlyjs: bool | str, div_id: str) -> str:
    """One chart's HTML in the "plotly_white" look. The template is set on the figure's JSON,
    not on the figure: plotly validates and deep-copies a template on every ``update_layout``
    and subplot, which took 0.2 of the report's 0.36 s of drawing (the same chart either way)."""
    spec = fig.to_dict()
    spec["layout"]["template"] = _white_template()
    html: str = pio.to_html(
        spec,
        full_html=False,
        include_plotlyjs=include_plotlyjs,
        div_id=div_id,
        config=PLOTLY_CONFIG,
        validate=False,
    )
    return html


def render_html(data: ReportData, plotly: PlotlyMode = "inline") -> str:
    """The whole document as a string."""
    figures = [
        ("trend", trend_figure(data)),
        ("sov", share_of_voice_figure(data)),
        ("mix", mix_figure(data)),
    ]
    figures += outcome_figures(data)
    charts = {}
    for i, (name, fig) in enumerate(figures):
        charts[name] = _chart_html(
            fig,
            include_plotlyjs=("cdn" if plotly == "cdn" else True) if i == 0 else False,
            div_id=f"gv-{name}",
        )
    last_day = data.end_day - timedelta(days=1)
    posts_by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in data.top_posts:
        posts_by[(str(p["brand"]), str(p["advocacy"]))].append(p)
    brands = sorted({b for b, _ in posts_by})
    post_sections = []
    for brand in brands:
        post_sections.append(f"<h3>{esc(brand)}</h3>")
        post_sections.append("<h4>Top badvocacy by reach</h4>")
        post_sections.append(
            _posts_table(posts_by.get((brand, "badvocacy"), []), "badvocacy", data.timezone)
        )
        post_sections.append("<h4>Top advocacy by reach</h4>")
        post_sections.append(
            _posts_table(posts_by.get((brand, "advocacy"), []), "advocacy", data.timezone)
        )
    summary = "".join(f"<li>{line}</li>" for line in what_changed(data))
    sov_note = (
        ""
        if data.share_of_voice
        else "<p class='muted'>No brand has a watched competitor: add `competitors` to "
        "brands.yaml to see share of voice.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp(plotly)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grapevine report {esc(data.first_day)} to {esc(last_day)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>Grapevine: word of mouth report</h1>
<p class="muted">{esc(data.timezone)} days {esc(data.first_day)} to {esc(last_day)}. \
Customer-to-customer posts
only (brands' own accounts left out); labels from the current model versions. Net advocacy =
100 &times; (advocacy &minus; badvocacy) / rated mentions; mentions in languages the model does
not handle count as mentions but not in the mix.</p>
<h2>Brands at a glance</h2>
{_headline_table(data)}
<h2>What changed</h2>
<ul class="summary">{summary}</ul>
<h2>Net advocacy trend</h2>
<p class="muted">Daily net advocacy with its 95% interval (wide on small days), the trailing
7-day score, badvocacy alerts (&times;) and volume surges (&#9651;).</p>
{charts["trend"]}
<h2>Alerts</h2>
{_alerts_table(data.alerts, data.alert_coverage, data.timezone)}
<h2>Why customers advocate or warn</h2>
{outcomes_section(data, charts)}
<h2>Share of voice</h2>
{sov_note}
{charts["sov"]}
<h2>Sentiment and advocacy mix by source</h2>
{charts["mix"]}
<h2>Top posts</h2>
{"".join(post_sections) or "<p class='muted'>No rated posts in this window.</p>"}
<p class="muted">Top posts are ranked by the author's audience where the source reports it
(unknown audiences after known ones, by interactions), one post per author.</p>
<footer class="muted">{_size_note(plotly)}</footer>
</body>
</html>
"""


def alert_coverage(engine: Engine, settings: Settings, data: ReportData) -> Coverage | None:
    """Which of the report's brand-days the alert test can check (with the same settings and
    history as ``grapevine alerts``), and why not the others; None for an empty window."""
    from grapevine.alerts.scan import detect_alerts

    if data.end_day <= data.first_day:
        return None
    start, stop = day_start(data.first_day, data.timezone), day_start(data.end_day, data.timezone)
    return detect_alerts(engine, settings, start, stop, quiet=True, surges=False)[1]


def build_report(
    engine: Engine,
    since: datetime | None,
    until: datetime | None,
    out: Path,
    plotly: PlotlyMode = "inline",
    settings: Settings | None = None,
) -> Path:
    """Write the report for ``[since, until)`` to ``out`` (atomically) and return its path.

    ``plotly="cdn"`` loads the charting library from cdn.plot.ly instead of embedding it.
    With ``settings``, days are counted in ``settings.timezone`` and the alerts section says
    how many brand-days the alert test could check.
    """
    data = load(engine, since, until, tz=settings.timezone if settings else "UTC")
    if settings is not None:
        data.alert_coverage = alert_coverage(engine, settings, data)
    document = render_html(data, plotly)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(document, encoding="utf-8")
    tmp.replace(out)
    return out
