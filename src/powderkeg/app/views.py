"""The dashboard's figures as Plotly figures: pure functions of runs and their weights.

The map is drawn as plain scatter traces in longitude and latitude over the borders shipped
with powderkeg (:mod:`powderkeg.report.borders`), never with Plotly's geographic layers,
which would fetch their base map from the internet. Its geometry (the box, fronts, fire
ranges) comes from :mod:`powderkeg.report.maps`, as in the static report.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from powderkeg.analysis.reweight import weighted_cumulative, weighted_quantiles
from powderkeg.app.answer import Shown
from powderkeg.model.build import Model
from powderkeg.report.figures import QUANTILES
from powderkeg.report.inputs import ReportInputs
from powderkeg.report.maps import (
    INTERDICTED_SHARE,
    circle_lonlat,
    fire_ranges,
    front_points,
    interdiction_share,
    map_borders,
    map_extent,
)
from powderkeg.report.style import SIDE_COLOURS, colour

__all__ = ["cumulative_figure", "fan_figure", "theory_figure", "rung_figure", "map_figure",
           "empty_figure"]

_SEA, _LAND, _THEATRE, _BORDER, _INTERDICTED = ("#d9e8f3", "#f3f1ec", "#fbf6e4", "#4d4d4d",
                                               "#D55E00")
_BASE_DASH, _VARIANT_DASH = "dot", "solid"


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=height,
                      margin={"l": 50, "r": 20, "t": 50, "b": 40}, template="plotly_white",
                      legend={"font": {"size": 10}})
    return fig


def empty_figure(text: str) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, "", 200)


_MAX_POINTS = 150  # points per line on a chart: enough for a year at screen resolution


def _dates(date: str, days) -> np.ndarray:
    """Calendar dates of day numbers, as ``datetime64[D]`` (Plotly copies arrays cheaply)."""
    return np.datetime64(dt.date.fromisoformat(str(date)), "D") + np.asarray(days, int)


def _thin(n: int) -> np.ndarray:
    """Indices of at most :data:`_MAX_POINTS` of ``n`` points, the first and last kept."""
    return np.unique(np.linspace(0, n - 1, min(n, _MAX_POINTS)).round().astype(int))


def cumulative_figure(base: Shown, variant: Shown | None, outcomes: list[str]) -> go.Figure:
    """Cumulative probability of each chosen outcome over time, baseline dotted, variant solid."""
    ds = base.ds
    days = int(ds.attrs["days"])
    keep = _thin(days + 1)
    x = _dates(ds.attrs["date"], keep)
    ids = [str(o) for o in ds.outcome.values]
    fig = go.Figure()
    for k, oid in enumerate(outcomes):
        j = ids.index(oid)
        for shown, dash, label in ((base, _BASE_DASH, "baseline"),
                                   (variant, _VARIANT_DASH, "variant")):
            if shown is None:
                continue
            y = weighted_cumulative(shown.ds.event_day.values[:, j], shown.weights, days)[keep]
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"{oid} ({label})",
                                     line={"color": colour(k), "dash": dash}))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title="probability by that day")
    return _layout(fig, "Cumulative probability over time (baseline dotted, variant solid)")


def _bands(shown: Shown, values: np.ndarray) -> np.ndarray:
    return weighted_quantiles(values, shown.weights, QUANTILES)


def fan_figure(shown: Shown, variable: str, titles: list[str], title: str,
               unit: str) -> go.Figure:
    """Fan chart (median, 50% and 90% bands) of ``variable`` (run, day, item) per item."""
    ds = shown.ds
    keep = _thin(ds.sizes["day"])
    values = ds[variable].values[:, keep].astype(float)
    x = _dates(ds.attrs["date"], ds.day.values[keep])
    n = values.shape[2]
    cols = min(3, n)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_xaxes=True,
                        vertical_spacing=0.12 / max(rows, 1) * 2)
    bands = _bands(shown, values)
    for i in range(n):
        r, c = i // cols + 1, i % cols + 1
        col = colour(i)
        for lo, hi, alpha in ((0, 4, 0.18), (1, 3, 0.38)):
            fig.add_trace(go.Scatter(x=x, y=bands[lo, :, i], mode="lines", line={"width": 0},
                                     showlegend=False, hoverinfo="skip"), row=r, col=c)
            fig.add_trace(go.Scatter(x=x, y=bands[hi, :, i], mode="lines", line={"width": 0},
                                     fill="tonexty", fillcolor=_rgba(col, alpha),
                                     showlegend=False, hoverinfo="skip"), row=r, col=c)
        fig.add_trace(go.Scatter(x=x, y=bands[2, :, i], mode="lines", showlegend=False,
                                 line={"color": col, "width": 1.6}, name="median"),
                      row=r, col=c)
    fig.update_yaxes(title_text=unit, row=1, col=1)
    return _layout(fig, f"{title}: median, 50% and 90% of runs ({shown.how})",
                   max(300, 230 * rows))


def rung_figure(shown: Shown, names: list[str]) -> go.Figure | None:
    """Weighted share of runs on each escalation rung over time (stacked)."""
    ds = shown.ds
    if "escalation_rung" not in ds:
        return None
    keep = _thin(ds.sizes["day"])
    rung = ds.escalation_rung.values[:, keep]
    x = _dates(ds.attrs["date"], ds.day.values[keep])
    w = shown.weights[:, None]
    fig = go.Figure()
    for k, name in enumerate(names):
        share = (w * (rung == k)).sum(axis=0) / shown.weights.sum()
        fig.add_trace(go.Scatter(x=x, y=share, mode="lines", stackgroup="rungs", name=name,
                                 line={"width": 0.5, "color": colour(k)}))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title="share of runs")
    return _layout(fig, f"Escalation rungs over time ({shown.how})")


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def theory_figure(shown: Shown) -> go.Figure | None:
    """Each outcome's probability under each escalation theory (weighted shares)."""
    ds = shown.ds
    if "theory" not in ds:
        return None
    hit = ~np.isnan(ds.event_day.values)
    ids = [str(o) for o in ds.outcome.values]
    fig = go.Figure()
    for k, name in enumerate(np.unique(ds.theory.values)):
        mine = ds.theory.values == name
        w = shown.weights * mine
        if w.sum() == 0:
            continue
        p = (w[:, None] * hit).sum(axis=0) / w.sum()
        fig.add_trace(go.Bar(y=ids, x=p, orientation="h", name=str(name),
                             marker_color=colour(k)))
    fig.update_xaxes(tickformat=".0%", title="probability by the horizon")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group")
    return _layout(fig, f"The split by escalation theory ({shown.how})", 26 * len(ids) + 120)


def _rings_trace(rings, fill: str, name: str) -> go.Scatter:
    xs, ys = [], []
    for ring in rings:
        xs += [*ring[:, 0], None]
        ys += [*ring[:, 1], None]
    return go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill,
                      line={"color": "#c8c3b8", "width": 0.6}, hoverinfo="skip", name=name,
                      showlegend=False)


def _segments_trace(segs: np.ndarray, **line) -> go.Scatter:
    xs, ys = [], []
    for a, b in segs:
        xs += [a[0], b[0], None]
        ys += [a[1], b[1], None]
    return go.Scatter(x=xs, y=ys, mode="lines", line=line, hoverinfo="skip", showlegend=False)


def map_figure(model: Model, shown: Shown, run_day: tuple | None = None,
               borders_file: Path | None = None) -> go.Figure:
    """The supply network on the shipped borders, with interdicted links and fire ranges.

    Without ``run_day`` it shows the runs of ``shown``: links interdicted in at least
    :data:`~powderkeg.report.maps.INTERDICTED_SHARE` of them (weighted), the median fronts of
    day 0 and of the horizon. With ``run_day = (state0, state, day)`` (two states of one
    run) it shows that run on that day: links below their day-0 open fraction, and its front.
    """
    inp = ReportInputs(Path("."), shown.ds, model.scenario, model, {}, {})
    box = map_extent(inp)
    borders = map_borders(inp, borders_file)
    cos0 = float(np.cos(np.radians((box[2] + box[3]) / 2)))
    fig = go.Figure()
    inside = [r for r in borders.regions if any(
        ring[:, 0].max() >= box[0] and ring[:, 0].min() <= box[1]
        and ring[:, 1].max() >= box[2] and ring[:, 1].min() <= box[3] for ring in r.rings)]
    fig.add_trace(_rings_trace([ring for r in inside for ring in r.rings], _LAND, "land"))
    if len(borders.country_borders):
        fig.add_trace(_segments_trace(borders.country_borders, color=_BORDER, width=1.6))
    start = front_points(inp, 0)
    sides = list(model.scenario.sides)
    for fid, side, radius in fire_ranges(inp):
        col = SIDE_COLOURS[sides.index(side)] if side in sides else "#555555"
        for k, (lat, lon) in enumerate(start):
            ring = circle_lonlat(lat, lon, radius)
            fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], mode="lines",
                                     line={"color": col, "dash": "dot", "width": 1},
                                     name=f"{fid} ({side}) range {radius:.0f} km",
                                     showlegend=k == 0, hoverinfo="name"))
    a = np.stack([model.node_lon[model.link_from], model.node_lat[model.link_from]], 1)
    b = np.stack([model.node_lon[model.link_to], model.node_lat[model.link_to]], 1)
    segs = np.stack([a, b], axis=1)
    if run_day is None:
        cap = shown.ds.link_capacity.transpose("run", "day", "link").values
        share = interdiction_share(cap, shown.weights)
        hit = share >= INTERDICTED_SHARE
        label = [f"{lid}: interdicted in {s:.0%} of runs" for lid, s in
                 zip(model.link_ids, share, strict=True)]
        fronts = [(start, "front on day 0 (median run)", "black"),
                  (front_points(inp, -1), f"front on day {int(shown.ds.day.values[-1])} "
                   "(median run)", "white")]
        hit_name = f"interdicted in ≥{INTERDICTED_SHARE:.0%} of runs"
    else:
        state0, state, day = run_day
        frac0, frac = state0.link_frac[0], state.link_frac[0]
        hit = frac < frac0 - 1e-6
        label = [f"{lid}: open {f:.0%} of intact capacity" for lid, f in
                 zip(model.link_ids, frac, strict=True)]
        from powderkeg.model.geo import point_at_km

        pts = np.array([point_at_km(ax_, k) for ax_, k in
                        zip(model.sector_axes, state.front[0], strict=True)])
        fronts = [(pts, f"front on day {day} (this run)", "black")]
        hit_name = f"below its day-0 capacity on day {day}"
    fig.add_trace(_segments_trace(segs[~hit], color="#6b6b6b", width=2))
    if hit.any():
        t = _segments_trace(segs[hit], color=_INTERDICTED, width=5)
        t.update(name=hit_name, showlegend=True)
        fig.add_trace(t)
    mid = segs.mean(axis=1)
    fig.add_trace(go.Scatter(x=mid[:, 0], y=mid[:, 1], mode="markers", text=label,
                             hoverinfo="text", marker={"size": 6, "opacity": 0},
                             showlegend=False))
    fig.add_trace(go.Scatter(x=model.node_lon, y=model.node_lat, mode="markers",
                             text=list(model.node_ids), hoverinfo="text", name="network node",
                             marker={"size": 5, "color": "#222222"}))
    for pts, name, col in fronts:
        fig.add_trace(go.Scatter(x=pts[:, 1], y=pts[:, 0], mode="markers", name=name,
                                 marker={"symbol": "diamond", "size": 10, "color": col,
                                         "line": {"color": "black", "width": 1}},
                                 text=list(model.sector_ids), hoverinfo="text+name"))
    fig.update_xaxes(range=[box[0], box[1]], showgrid=False, title="longitude °E",
                     zeroline=False)
    fig.update_yaxes(range=[box[2], box[3]], showgrid=False, title="latitude °N",
                     scaleanchor="x", scaleratio=1 / cos0, zeroline=False)
    fig.update_layout(plot_bgcolor=_SEA)
    fig.add_annotation(text=f"{borders.credit}. Equirectangular projection.", xref="paper",
                       yref="paper", x=1, y=0, xanchor="right", yanchor="bottom",
                       showarrow=False, font={"size": 9, "color": "#555555"})
    return _layout(fig, f"The supply network: {model.scenario.title}", 560)
