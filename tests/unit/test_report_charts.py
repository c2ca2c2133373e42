"""The report's charts carry plotly's "plotly_white" look, set on their JSON (pure: no database).

Why a test: the template is no longer given to ``update_layout`` (plotly validated and
deep-copied it for every figure and subplot, 0.2 s of a report); ``_chart_html`` sets it on the
figure's JSON instead. Dropping that line would silently change every chart's look.
"""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import plotly.io as pio

from grapevine.report.build import _chart_html


def _plot_args(html: str, div_id: str) -> list[object]:
    found = re.search(
        rf'Plotly\.newPlot\(\s*"{div_id}",\s*(\[.*?\]),\s*(\{{.*\}}),\s*(\{{[^{{}}]*\}})\s*\)',
        html,
        re.S,
    )
    assert found, html[:500]
    return [json.loads(part) for part in found.groups()]


def test_a_chart_has_the_white_template_and_the_same_data_as_plotly_would_draw() -> None:
    fig = go.Figure(go.Scatter(x=["2026-10-01", "2026-10-02"], y=[3, -4], name="nas"))
    fig.update_layout(height=300, title="net advocacy")
    ours = _plot_args(_chart_html(fig, include_plotlyjs=False, div_id="gv-t"), "gv-t")

    reference = go.Figure(fig)
    reference.update_layout(template="plotly_white")
    theirs = _plot_args(
        reference.to_html(full_html=False, include_plotlyjs=False, div_id="gv-t"), "gv-t"
    )
    assert ours[0] == theirs[0]  # traces
    assert ours[1] == theirs[1]  # layout, template included
    assert ours[1]["template"] == json.loads(  # type: ignore[index]
        json.dumps(pio.templates["plotly_white"].to_plotly_json(), default=str)
    )
