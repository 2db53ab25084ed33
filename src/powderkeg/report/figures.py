"""Time plots: outcome probabilities, their timelines, and fan charts of fronts and supply.

A fan chart shows, for each recorded day, the median over runs and the bands holding the
middle 50% and 90% of runs. Series may be recorded every few days (the ``day`` coordinate);
the x axis is the calendar date, scenario date + day.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib import patheffects as pe
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from powderkeg.analysis.intervals import jeffreys_interval
from powderkeg.report.inputs import ReportInputs
from powderkeg.report.style import (
    SIDE_COLOURS,
    colour,
    date_axis,
    day_dates,
    new_figure,
    percent_axis,
    styled,
)

__all__ = ["QUANTILES", "quantile_bands", "draw_fan", "fan_legend", "fan_grid",
           "outcome_probabilities_figure", "outcome_timelines_figure", "never_happened",
           "front_figure", "supply_figure", "wrap"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def wrap(text: str, width: int = 38) -> str:
    """Wrap a label onto lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def quantile_bands(values: np.ndarray) -> np.ndarray:
    """The :data:`QUANTILES` over runs (axis 0), ignoring NaN: shape ``(5, *values.shape[1:])``."""
    values = np.asarray(values, dtype=float)
    out = np.full((len(QUANTILES), *values.shape[1:]), np.nan)
    ok = np.isfinite(values).any(axis=0)
    if ok.any():
        out[:, ok] = np.nanquantile(values[:, ok], QUANTILES, axis=0)
    return out


def draw_fan(ax, x, bands: np.ndarray, col: str) -> None:
    """Median line and 50%/90% bands from :func:`quantile_bands` output for one series."""
    ax.fill_between(x, bands[0], bands[4], color=col, alpha=0.18, linewidth=0)
    ax.fill_between(x, bands[1], bands[3], color=col, alpha=0.38, linewidth=0)
    ax.plot(x, bands[2], color=col, linewidth=1.6)


def fan_legend(col: str = "#555555") -> list:
    """Legend handles explaining a fan chart."""
    return [Line2D([], [], color=col, linewidth=1.6, label="median run"),
            Patch(color=col, alpha=0.5, label="middle 50% of runs"),
            Patch(color=col, alpha=0.2, label="middle 90% of runs")]


def fan_grid(dates, values: np.ndarray, titles, colours, ylabel: str, ncols: int = 3,
             panel_height: float = 2.3) -> tuple[Figure, np.ndarray, np.ndarray]:
    """Small multiples: one fan chart per column ``k`` of ``values`` (run, day, k).

    Returns the figure, the flat array of used axes and the quantile bands ``(5, day, k)``.
    """
    k = values.shape[2]
    ncols = min(ncols, k)
    nrows = -(-k // ncols)
    fig, axes = new_figure(11, 0.6 + panel_height * nrows, nrows=nrows, ncols=ncols,
                           sharex=True)
    bands = quantile_bands(values)
    flat = axes.ravel()
    for j in range(k):
        ax = flat[j]
        draw_fan(ax, dates, bands[:, :, j], colours[j])
        ax.set_title(wrap(titles[j], 45))
        date_axis(ax)
        if j % ncols == 0:
            ax.set_ylabel(ylabel)
    for ax in flat[k:]:
        ax.set_visible(False)
    fig.legend(handles=fan_legend(), loc="outside lower center", ncols=3, frameon=False)
    return fig, flat[:k], bands


@styled
def outcome_probabilities_figure(inp: ReportInputs) -> Figure:
    """Each outcome's probability by the horizon with its 95% interval, most likely first."""
    items = sorted(inp.summary.items(), key=lambda kv: kv[1]["probability"])
    fig, axes = new_figure(11, 0.9 + 0.3 * len(items))
    ax = axes[0, 0]
    y = np.arange(len(items))
    p = np.array([v["probability"] for _, v in items])
    lo = np.array([v["ci95"][0] for _, v in items])
    hi = np.array([v["ci95"][1] for _, v in items])
    ax.hlines(y, lo, hi, color=colour(0), linewidth=3, alpha=0.45, label="95% interval")
    ax.plot(p, y, "o", color=colour(0), markersize=5, label="estimate")
    for yi, pi, hii in zip(y, p, hi, strict=True):
        ax.annotate(f"{pi:.0%}" if pi >= 0.01 or pi == 0 else f"{pi:.1%}", (hii, yi),
                    xytext=(5, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(y, [wrap(v["description"] or k, 60) for k, v in items])
    ax.set_xlim(-0.015, 1.06)
    percent_axis(ax, "x")
    ax.set_xlabel(f"probability by day {inp.ds.attrs['days']} "
                  f"({day_dates(inp.date, [inp.ds.attrs['days']])[0]})")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    return fig


def never_happened(inp: ReportInputs) -> list[str]:
    """Ids of the outcomes that happened in no run."""
    return [oid for oid, v in inp.summary.items() if v["probability"] == 0]


@styled
def outcome_timelines_figure(inp: ReportInputs) -> Figure | None:
    """Cumulative probability over time of each outcome that happened in some run, with
    pointwise 95% intervals; None if no outcome happened at all."""
    days = int(inp.ds.attrs["days"])
    runs = inp.ds.sizes["run"]
    dates = day_dates(inp.date, np.arange(days + 1))
    items = [(k, v) for k, v in inp.summary.items() if v["probability"] > 0]
    if not items:
        return None
    ncols = min(3, len(items))
    nrows = -(-len(items) // ncols)
    fig, axes = new_figure(11, 0.5 + 2.1 * nrows, nrows=nrows, ncols=ncols, sharex=True)
    flat = axes.ravel()
    for j, (oid, v) in enumerate(items):
        ax = flat[j]
        cum = np.asarray(v["cumulative"])
        lo, hi = jeffreys_interval(np.rint(cum * runs), runs)
        ax.fill_between(dates, lo, hi, color=colour(0), alpha=0.25, linewidth=0)
        ax.plot(dates, cum, color=colour(0), linewidth=1.6)
        ax.set_ylim(0, min(1.0, max(0.05, float(hi.max()) * 1.15)))
        percent_axis(ax)
        ax.set_title(wrap(f"{v['description'] or oid}: {v['probability']:.0%}", 42))
        date_axis(ax)
        if j % ncols == 0:
            ax.set_ylabel("probability so far")
    for ax in flat[len(items):]:
        ax.set_visible(False)
    fig.legend(handles=[Line2D([], [], color=colour(0), linewidth=1.6,
                               label="share of runs in which it has happened"),
                        Patch(color=colour(0), alpha=0.3, label="95% interval")],
               loc="outside lower center", ncols=2, frameon=False)
    return fig


def _sector_markers(inp: ReportInputs, s: int) -> list[tuple[float, str, str]]:
    """``(km, label, kind)`` of the objectives and rivers on sector ``s``'s axis."""
    m, out = inp.model, []
    for kind in ("objective", "river"):
        ids, sectors = getattr(m, f"{kind}_ids"), getattr(m, f"{kind}_sector")
        for i, (_, marker_id) in enumerate(ids):
            if sectors[i] != s:
                continue
            sec = inp.scenario.sectors[s]
            marker = next(x for x in getattr(sec, f"{kind}s") if x.id == marker_id)
            km = (float(marker.km.ppf(0.5)) if marker.km is not None
                  else float(getattr(m, f"{kind}_fixed_km")[i]))
            out.append((km, marker.name or marker_id, kind))
    return out


def _marker_lines(ax, markers, lo: float, hi: float) -> tuple[float, float]:
    """Draw the markers within reach of the fan and return a y range that shows them.

    Labels sit on their line at the right edge; a label too close to the previous one on
    that side goes to the left edge instead, and is nudged up if both edges are crowded.
    """
    span = max(hi - lo, 10.0)
    near = sorted((km, name, kind) for km, name, kind in markers
                  if lo - 0.6 * span <= km <= hi + 0.6 * span)
    kms = [km for km, _, _ in near] + [lo, hi]
    pad = 0.08 * (max(kms) - min(kms) or 10.0)
    y0, y1 = min(kms) - pad, max(kms) + pad
    last = {"right": -np.inf, "left": -np.inf}
    for km, name, kind in near:
        style = dict(color="#3a87c8", linestyle="-", linewidth=1.2) if kind == "river" else \
            dict(color="#777777", linestyle=":", linewidth=1.0)
        ax.axhline(km, **style, zorder=1)
        frac = (km - y0) / (y1 - y0)
        side = max(("right", "left"), key=lambda x: min(frac - last[x], 0.09))
        at = max(frac, last[side] + 0.09)  # nudged up when both sides are crowded
        last[side] = at
        ax.annotate(name, (1.0 if side == "right" else 0.0, y0 + at * (y1 - y0)),
                    xycoords=("axes fraction", "data"), xytext=(-3 if side == "right" else 3, 1.5),
                    textcoords="offset points", ha=side, va="bottom", fontsize=7.5,
                    color=style["color"], zorder=6,
                    path_effects=[pe.withStroke(linewidth=2, foreground="white")])
    return y0, y1


@styled
def front_figure(inp: ReportInputs) -> Figure:
    """Front position on each sector's axis over time, with its objectives and rivers."""
    ds, s = inp.ds, inp.scenario
    dates = day_dates(inp.date, ds.day.values)
    titles = [sec.name or sec.id for sec in s.sectors]
    fig, axes, bands = fan_grid(dates, ds.front_km.values, titles,
                                [SIDE_COLOURS[0]] * len(titles),
                                "km along the axis")
    for j, ax in enumerate(axes):
        lo, hi = np.nanmin(bands[0, :, j]), np.nanmax(bands[4, :, j])
        ax.set_ylim(*_marker_lines(ax, _sector_markers(inp, j), lo, hi))
    fig.suptitle(f"Front position: km from {s.sides[0]}'s rear along each axis "
                 f"(up = {s.sides[0]} advances)", x=0.01, ha="left", fontsize=10)
    return fig


@styled
def supply_figure(inp: ReportInputs) -> Figure:
    """Delivered / needed supply for each demand over time."""
    ds, s = inp.ds, inp.scenario
    dates = day_dates(inp.date, ds.day.values)
    sides = {d.id: d.side for d in s.supply.demands}
    names = {d.id: (s.sectors[[x.id for x in s.sectors].index(d.sector)].name or d.sector)
             if d.sector else d.id.replace("_", " ").capitalize() for d in s.supply.demands}
    ids = [str(d) for d in ds.demand.values]
    titles = [f"{names.get(d, d)} ({sides.get(d, '?')})" for d in ids]
    cols = [SIDE_COLOURS[s.sides.index(sides[d])] if d in sides else colour(7) for d in ids]
    fig, axes, bands = fan_grid(dates, ds.supply_ratio.values, titles, cols,
                                "delivered / needed")
    top = max(1.05, float(np.nanmax(bands[4])) * 1.05) if np.isfinite(bands).any() else 1.05
    for ax in axes:
        ax.axhline(1.0, color="#777777", linestyle=":", linewidth=1.0, zorder=1)
        ax.set_ylim(0, top)
        percent_axis(ax)
    fig.suptitle("Supply: share of each demand's daily need that is delivered",
                 x=0.01, ha="left", fontsize=10)
    return fig
