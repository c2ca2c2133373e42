"""The report's outcomes section: why customers advocate or warn (issue #14).

* The **opportunity landscape**: importance (x) against satisfaction (y), a bubble per brand
  and outcome sized by the customers who raise it, the under-served corner (opportunity > 10)
  shaded, the bubbles customers are most unhappy about named; only outcomes with enough judged
  mentions and each brand's best opportunities, with what was left out said under it.
* Each brand's **top opportunities** as a table, with the competitor that satisfies the
  outcome best.
* The **top outcomes' trends**: daily (weekly for long windows) mentions of the outcomes with
  the most badvocacy.
* One line instead of empty charts while the warehouse has no outcomes.

The numbers are ``analytics.outcome_opportunity``'s and ``outcome_mentions_daily``'s, read by
``grapevine.report.data``; every label is escaped (``grapevine.report.escape``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import plotly.graph_objects as go

from grapevine.report.data import OutcomeData, ReportData
from grapevine.report.escape import esc
from warehouse.outcomes import Opportunity

#: Brand colours in the outcome landscape (by the brand's place in alphabetical order).
BRAND_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728",
)  # fmt: skip
#: A brand's outcome is drawn only with this many judged (advocacy + badvocacy) mentions:
#: satisfaction on three posts is noise.
MIN_JUDGED = 5
#: At most this many outcomes per brand in the landscape (its best opportunities)...
LANDSCAPE_PER_BRAND = 8
#: ...and in the table under it.
TABLE_PER_BRAND = 4
#: At most this many bubbles are named on the landscape (see ``callouts``).
CALLOUTS = 5
#: The landscape's axes and its plot area in pixels (the figure's height less its margins; the
#: width of a 1200 px page less the legend), to keep the callouts' boxes apart.
X_RANGE, Y_RANGE = (-0.4, 10.8), (-0.6, 10.6)
PLOT_PX = (960.0, 480.0)
#: Trends of windows longer than this many days are drawn by week.
WEEKLY_AFTER_DAYS = 92


@dataclass(frozen=True, slots=True)
class Landscape:
    """The brand x outcome scores the landscape draws, and how many it leaves out (and why)."""

    #: Brand rows shown, brand by brand (alphabetical), best opportunity first within a brand.
    points: list[Opportunity]
    #: Brand x outcome pairs left out for fewer than MIN_JUDGED judged mentions.
    too_few: int
    #: Pairs with enough judged mentions left out beyond a brand's top LANDSCAPE_PER_BRAND.
    beyond_top: int


def landscape(
    opportunities: Iterable[Opportunity],
    *,
    min_judged: int = MIN_JUDGED,
    per_brand: int = LANDSCAPE_PER_BRAND,
) -> Landscape:
    """The brand rows worth drawing: at least ``min_judged`` judged mentions (so satisfaction
    means something), then each brand's ``per_brand`` highest opportunities."""
    by_brand: dict[str, list[Opportunity]] = defaultdict(list)
    too_few = 0
    for o in opportunities:
        if o.brand is None:
            continue  # the competitive set's rows: the table names the best brand instead
        if o.opportunity is None or o.advocacy + o.badvocacy < min_judged:
            too_few += 1
            continue
        by_brand[o.brand].append(o)
    points: list[Opportunity] = []
    beyond = 0
    for brand in sorted(by_brand):
        ranked = sorted(
            by_brand[brand],
            key=lambda o: (-(o.opportunity or 0), -o.customers, o.outcome_id),
        )
        points += ranked[:per_brand]
        beyond += len(ranked[per_brand:])
    return Landscape(points, too_few, beyond)


def brand_colors(brands: Iterable[str]) -> dict[str, str]:
    """One colour per brand, by alphabetical order (the same brand keeps it between reports
    of the same brands)."""
    return {b: BRAND_COLORS[i % len(BRAND_COLORS)] for i, b in enumerate(sorted(set(brands)))}


def landscape_figure(shown: Landscape) -> go.Figure:
    """Importance (x) against satisfaction (y), a bubble per brand and outcome sized by the
    customers who raise it; the under-served corner (opportunity > 10) is shaded."""
    fig = go.Figure()
    # opportunity > 10 <=> satisfaction < 2 x importance - 10: the triangle (5,0) (10,0) (10,10)
    fig.add_shape(
        type="path",
        path="M 5,0 L 10,10 L 10,0 Z",
        fillcolor="rgba(215,48,39,0.10)",
        line={"width": 0},
        layer="below",
    )
    fig.add_annotation(
        x=9.9,
        y=0.35,
        xanchor="right",
        text="important but unsatisfied (opportunity &gt; 10)",
        showarrow=False,
        font={"color": "#b2182b", "size": 12},
    )
    biggest = max((o.customers for o in shown.points), default=1) or 1
    colors = brand_colors(str(o.brand) for o in shown.points)
    for brand, color in colors.items():
        rows = [o for o in shown.points if o.brand == brand]
        fig.add_trace(
            go.Scatter(
                x=[o.importance for o in rows],
                y=[o.satisfaction for o in rows],
                mode="markers",
                name=esc(brand),
                marker={
                    "size": [o.customers for o in rows],
                    "sizemode": "area",
                    "sizeref": 2.0 * biggest / 45**2,
                    "sizemin": 5,
                    "color": color,
                    "opacity": 0.7,
                    "line": {"width": 1, "color": "#ffffff"},
                },
                customdata=[
                    [
                        esc(o.outcome),
                        esc(brand),
                        o.customers,
                        o.opportunity,
                        o.unsatisfied_customers,
                        o.advocacy + o.badvocacy,
                    ]
                    for o in rows
                ],
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}: "
                "%{customdata[2]:,} customers raise it<br>importance %{x:.1f}, "
                "satisfaction %{y:.1f} (%{customdata[5]:,} judged mentions)<br>"
                "opportunity %{customdata[3]:.1f}<br>"
                "unsatisfied customers %{customdata[4]:,}<extra></extra>",
            )
        )
    called = callouts(shown.points)
    for o, (ax, ay) in zip(called, _callout_offsets(called), strict=True):
        fig.add_annotation(
            x=o.importance,
            y=o.satisfaction,
            ax=ax,
            ay=ay,
            text=_callout_text(o),
            showarrow=True,
            arrowhead=0,
            arrowwidth=1,
            arrowcolor="#555555",
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor=colors[str(o.brand)],
            font={"size": 11, "color": "#222222"},
        )
    fig.update_layout(
        height=560,
        margin={"t": 30, "b": 50, "l": 60, "r": 20},
        legend={"title": {"text": "brand"}},
        xaxis={"title": "importance (0-10)", "range": list(X_RANGE), "zeroline": False},
        yaxis={"title": "satisfaction (0-10)", "range": list(Y_RANGE), "zeroline": False},
    )
    return fig


def callouts(points: Sequence[Opportunity], most: int = CALLOUTS) -> list[Opportunity]:
    """The bubbles the landscape names, so that it reads without hovering: outcomes most of
    whose judged mentions are badvocacy (satisfaction < 5), by unsatisfied customers, among
    those with at least a quarter of the largest unsatisfied segment."""
    unhappy = [o for o in points if o.satisfaction is not None and o.satisfaction < 5]
    if not unhappy:
        return []
    largest = max(o.unsatisfied_customers for o in unhappy)
    ranked = sorted(
        (o for o in unhappy if o.unsatisfied_customers >= max(largest / 4, 1)),
        key=lambda o: (-o.unsatisfied_customers, str(o.brand), o.outcome_id),
    )
    return ranked[:most]


def _callout_text(o: Opportunity) -> str:
    label = o.outcome if len(o.outcome) <= 36 else o.outcome[:35] + "\u2026"
    return f"{esc(o.brand)}: {esc(label)}"


#: Where a callout's box may sit, in pixels from its bubble (plotly's ``ax``/``ay``; y down).
_OFFSETS = ((70, -30), (70, 30), (-70, -30), (-70, 30), (0, -45), (0, 45), (130, 0), (-130, 0))


def _callout_offsets(called: Sequence[Opportunity]) -> list[tuple[int, int]]:
    """An offset per callout, the first of ``_OFFSETS`` whose box stays in the plot, off the
    boxes placed before it and whose arrow crosses none of theirs (approximate boxes: ~6.5 px
    per character of 11 px text)."""
    width, height = PLOT_PX
    placed: list[tuple[float, float, float, float]] = []
    arrows: list[tuple[float, float, float, float]] = []
    out = []
    for o in called:
        px = (float(o.importance or 0) - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0]) * width
        py = (Y_RANGE[1] - float(o.satisfaction or 0)) / (Y_RANGE[1] - Y_RANGE[0]) * height
        half_w, half_h = (6.5 * len(_callout_text(o)) + 10) / 2, 10.0
        choice = _OFFSETS[0]
        for ax, ay in _OFFSETS:
            box = (px + ax - half_w, py + ay - half_h, px + ax + half_w, py + ay + half_h)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            arrow = (px, py, px + ax, py + ay)
            if (
                inside
                and not any(_overlap(box, other) for other in placed)
                and not any(_cross(arrow, other) for other in arrows)
            ):
                choice = (ax, ay)
                break
        ax, ay = choice
        placed.append((px + ax - half_w, py + ay - half_h, px + ax + half_w, py + ay + half_h))
        arrows.append((px, py, px + ax, py + ay))
        out.append(choice)
    return out


def _cross(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether segments ``a`` and ``b`` (x1, y1, x2, y2) properly intersect."""

    def side(x1: float, y1: float, x2: float, y2: float, x: float, y: float) -> float:
        return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)

    d1, d2 = side(*a, b[0], b[1]), side(*a, b[2], b[3])
    d3, d4 = side(*b, a[0], a[1]), side(*b, a[2], a[3])
    return d1 * d2 < 0 and d3 * d4 < 0


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _landscape_note(shown: Landscape) -> str:
    left = []
    if shown.too_few:
        left.append(
            f"{shown.too_few:,} brand &times; outcome pair{'s' if shown.too_few != 1 else ''} "
            f"with fewer than {MIN_JUDGED} judged mentions"
        )
    if shown.beyond_top:
        left.append(
            f"{shown.beyond_top:,} beyond each brand's {LANDSCAPE_PER_BRAND} highest opportunities"
        )
    told = "Left out: " + " and ".join(left) + ". " if left else ""
    return (
        f"<p class='muted'>{told}Bubble size: the brand's customers who raise the outcome. "
        "Importance is relative within a brand (its most-raised outcome scores 10), so compare "
        "brands on the same outcome rather than across outcomes; customers here are people who "
        "post, not all who buy.</p>"
    )


def _best_brand(o: Opportunity) -> str:
    if o.best_brand is None:
        return "<span class='muted'>-</span>"
    sat = o.best_brand_satisfaction
    score = "" if sat is None else f" ({sat:.1f})"
    return f"{esc(o.best_brand)}{score}"


def opportunity_table(
    shown: Landscape, first_brands: Sequence[str] = (), per_brand: int = TABLE_PER_BRAND
) -> str:
    """Each brand's highest opportunities (brands in ``first_brands`` first, then by name)."""
    by_brand: dict[str, list[Opportunity]] = defaultdict(list)
    for o in shown.points:
        by_brand[str(o.brand)].append(o)
    order = sorted(by_brand, key=lambda b: (b not in first_brands, b))
    body = []
    for brand in order:
        rows = by_brand[brand][:per_brand]
        for i, o in enumerate(rows):
            brand_cell = f"<td rowspan='{len(rows)}'>{esc(brand)}</td>" if i == 0 else ""
            gap = " class='num alert'" if (o.opportunity or 0) > 10 else " class='num'"
            body.append(
                "<tr>"
                f"{brand_cell}<td>{esc(o.outcome)}</td>"
                f"<td{gap}>{float(o.opportunity or 0):.1f}</td>"
                f"<td class='num'>{float(o.importance or 0):.1f}</td>"
                f"<td class='num'>{float(o.satisfaction or 0):.1f}</td>"
                f"<td class='num'>{o.customers:,}</td>"
                f"<td class='num'>{o.unsatisfied_customers:,}</td>"
                f"<td>{_best_brand(o)}</td>"
                "</tr>"
            )
    return (
        "<table class='opportunities'><thead><tr><th>brand</th><th>outcome</th>"
        "<th>opportunity</th><th>importance</th><th>satisfaction</th><th>customers</th>"
        "<th>unsatisfied customers</th><th>best brand on it (satisfaction)</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
        "<p class='muted'>Unsatisfied customers: those who posted badvocacy about the outcome. "
        f"Best brand: the highest satisfaction among the competitors with {MIN_JUDGED} judged "
        "mentions of it (- when fewer than two have them).</p>"
    )


def outcome_trend_figure(outcomes: OutcomeData, first: date, end: date) -> go.Figure:
    """Mentions of the top outcomes (all brands) per day, or per week (Mondays) for a window
    longer than WEEKLY_AFTER_DAYS; days without a mention count 0."""
    weekly = (end - first).days > WEEKLY_AFTER_DAYS

    def bucket(day: date) -> date:
        return day - timedelta(days=day.weekday()) if weekly else day

    buckets = sorted({bucket(first + timedelta(days=i)) for i in range((end - first).days)})
    fig = go.Figure()
    for line in outcomes.top:
        mentions: dict[date, int] = dict.fromkeys(buckets, 0)
        bad: dict[date, int] = dict.fromkeys(buckets, 0)
        for r in outcomes.trend:
            if r["outcome_id"] == line.outcome_id:
                mentions[bucket(r["day"])] += int(r["mentions"])
                bad[bucket(r["day"])] += int(r["badvocacy"])
        label = line.label if len(line.label) <= 48 else line.label[:47] + "\u2026"
        fig.add_trace(
            go.Scatter(
                x=buckets,
                y=[mentions[b] for b in buckets],
                mode="lines+markers",
                name=esc(label),
                customdata=[[esc(line.label), bad[b]] for b in buckets],
                hovertemplate=("week of " if weekly else "")
                + "%{x|%Y-%m-%d}: %{y:,} mentions of %{customdata[0]}, "
                "%{customdata[1]:,} badvocacy<extra></extra>",
            )
        )
    fig.update_layout(
        height=380,
        margin={"t": 30, "b": 40, "l": 60, "r": 20},
        yaxis={
            "title": "mentions per week" if weekly else "mentions per day",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.15, "yanchor": "top"},
    )
    return fig


def outcomes_section(data: ReportData, charts: dict[str, str]) -> str:
    """The outcomes section's HTML around its two charts (``charts``: rendered figures, by
    name, present only when there is something to draw)."""
    explain = (
        "<p class='explain'>An <b>outcome</b> is something customers are trying to get done "
        "or that went wrong for them (&ldquo;battery swelled&rdquo;, &ldquo;refund took "
        "weeks&rdquo;), found by grouping what they write about every watched brand with the "
        "brand names hidden, so that one outcome is shared by all brands. <b>Importance</b> "
        "(0-10) is how many of a brand's customers raise it, relative to the brand's "
        "most-raised outcome; <b>satisfaction</b> (0-10) is the share of their judged mentions "
        "of it that are advocacy; and <b>opportunity</b> = importance + max(importance &minus; "
        "satisfaction, 0), above 10 for an important need customers say is poorly met.</p>"
    )
    outcomes = data.outcomes
    if not outcomes.discovered:
        return (
            "<p class='muted' id='gv-no-outcomes'>No outcomes in this warehouse yet: the "
            "outcomes stage is off (GRAPEVINE_OUTCOMES) or has not seen enough posts to "
            "discover any.</p>"
        )
    if not any(o.brand is not None for o in outcomes.opportunities):
        return (
            f"{explain}<p class='muted' id='gv-no-outcomes'>No customer post in this window "
            "is about a known outcome.</p>"
        )
    shown = landscape(outcomes.opportunities)
    alerted = sorted({str(a["brand"]) for a in data.alerts})
    if shown.points:
        landscape_html = (
            f"{charts['landscape']}{_landscape_note(shown)}"
            f"<h3>Top opportunities per brand</h3>{opportunity_table(shown, alerted)}"
        )
    else:
        landscape_html = (
            f"<p class='muted'>No brand has {MIN_JUDGED} judged mentions of an outcome in this "
            "window: too few to score satisfaction.</p>"
        )
    weekly = (data.end_day - data.first_day).days > WEEKLY_AFTER_DAYS
    trend_html = (
        f"<p class='muted'>{'Weekly' if weekly else 'Daily'} mentions (all brands) of the "
        f"{len(outcomes.top)} outcome{'s' if len(outcomes.top) != 1 else ''} with the most "
        f"badvocacy in this window.</p>{charts['outcome-trend']}"
        if outcomes.top
        else "<p class='muted'>No badvocacy about any outcome in this window.</p>"
    )
    return (
        f"{explain}<h3>Opportunity landscape</h3>{landscape_html}"
        f"<h3>Top outcomes' trends</h3>{trend_html}"
    )


def outcome_figures(data: ReportData) -> list[tuple[str, go.Figure]]:
    """The section's charts that have something to draw, by element name (``gv-<name>``)."""
    figures = []
    shown = landscape(data.outcomes.opportunities)
    if shown.points:
        figures.append(("landscape", landscape_figure(shown)))
    if data.outcomes.top:
        figures.append(
            ("outcome-trend", outcome_trend_figure(data.outcomes, data.first_day, data.end_day))
        )
    return figures
