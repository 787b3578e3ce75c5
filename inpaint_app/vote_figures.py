"""The Vote tab's result charts: plotly figures over the chart data of :mod:`inpaint_core.study.results`."""

from __future__ import annotations

import plotly.graph_objects as go

from inpaint_core.study.results import ChartData

_LAYOUT = dict(height=360, margin=dict(l=40, r=20, t=50, b=40), template="simple_white")


def _error_bars(chart: ChartData) -> dict:
    """Asymmetric error bars; a not estimable interval has zero length (its table row says why)."""
    return dict(type="data", symmetric=False, array=chart.above, arrayminus=chart.below)


def fooled_figure(chart: ChartData) -> go.Figure:
    """Fooled rate per method (percent) with its rater-clustered 95 % interval, and the 50 % line."""
    fig = go.Figure()
    if chart.methods:
        fig.add_bar(x=chart.methods, y=chart.values, error_y=_error_bars(chart), text=chart.text, textposition="inside")
    fig.add_hline(y=50, line_dash="dash", annotation_text="50 % = indistinguishable from a photo")
    fig.update_layout(
        title="Fooled rate (picked over the real photo), 95 % CI clustered by rater", yaxis_title="%",
        yaxis_range=[0, 100], **_LAYOUT,
    )
    return fig


def bt_figure(chart: ChartData) -> go.Figure:
    """Bradley-Terry log-strength per method with its bootstrap 95 % interval."""
    fig = go.Figure()
    if chart.methods:
        fig.add_scatter(x=chart.values, y=chart.methods, mode="markers", error_x=_error_bars(chart),
                        marker=dict(size=10))
    fig.update_layout(
        title="Bradley-Terry log-strength, 95 % CI (bootstrap over raters)", xaxis_title="log-strength (0 = average)",
        yaxis=dict(autorange="reversed"), **_LAYOUT,
    )
    return fig
