"""Politics over time: faction influence and the escalation rung, when the results hold them.

Both series are optional: a dataset without ``influence`` (run, day, faction) or
``escalation_rung`` (run, day; an index into the ``rung`` coordinate) gives no figure.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from powderkeg.report.figures import draw_fan, fan_grid, fan_legend, quantile_bands, wrap
from powderkeg.report.inputs import ReportInputs
from powderkeg.report.style import colour, date_axis, day_dates, new_figure, percent_axis, styled

__all__ = ["display_names", "has_influence", "has_escalation", "influence_figure",
           "escalation_figure", "rung_shares"]


def display_names(scenario, kind: str) -> dict[str, str]:
    """Names of the scenario's factions or rungs (``kind``) by id, where the scenario has them."""
    politics = getattr(scenario, "politics", None)
    items = getattr(politics, "factions", None) if kind == "faction" else \
        getattr(getattr(politics, "escalation", None), "rungs", None)
    return {x.id: getattr(x, "name", None) or x.id for x in items or []}


def _label(names: dict[str, str], key: str) -> str:
    return names.get(key) or key.replace("_", " ")


def has_influence(ds) -> bool:
    return "influence" in ds.data_vars and "faction" in ds["influence"].dims


def has_escalation(ds) -> bool:
    return "escalation_rung" in ds.data_vars and "rung" in ds.coords


@styled
def influence_figure(inp: ReportInputs) -> Figure | None:
    """Each faction's share of influence over time (fan chart per faction)."""
    ds = inp.ds
    if not has_influence(ds):
        return None
    values = ds["influence"].transpose("run", "day", "faction").values
    names = display_names(inp.scenario, "faction")
    factions = [_label(names, str(f)) for f in ds.faction.values]
    fig, axes, _ = fan_grid(day_dates(inp.date, ds.day.values), values, factions,
                            [colour(i) for i in range(len(factions))], "influence share")
    for ax in axes:
        ax.set_ylim(0, 1)
        percent_axis(ax)
    fig.suptitle("Faction influence (shares sum to 100% in every run)", x=0.01, ha="left",
                 fontsize=10)
    return fig


def rung_shares(rung: np.ndarray, n_rungs: int) -> np.ndarray:
    """Share of runs on each rung per recorded day, shape ``(n_rungs, day)``.

    ``rung`` is ``(run, day)``; values outside ``0..n_rungs-1`` (or NaN) count as missing.
    """
    rung = np.asarray(rung, dtype=float)
    valid = np.isfinite(rung) & (rung >= 0) & (rung < n_rungs)
    counts = np.stack([((rung == k) & valid).sum(axis=0) for k in range(n_rungs)])
    return counts / np.maximum(valid.sum(axis=0), 1)


@styled
def escalation_figure(inp: ReportInputs) -> Figure | None:
    """The escalation rung over time: share of runs on each rung, and a fan over runs."""
    ds = inp.ds
    if not has_escalation(ds):
        return None
    names = display_names(inp.scenario, "rung")
    rungs = [_label(names, str(r)) for r in ds.rung.values]
    values = ds["escalation_rung"].transpose("run", "day").values.astype(float)
    values[(values < 0) | (values >= len(rungs))] = np.nan
    dates = day_dates(inp.date, ds.day.values)
    fig, axes = new_figure(11, 1.2 + 0.28 * len(rungs) + 2.2, ncols=2)
    share_ax, fan_ax = axes[0]
    shares = rung_shares(values, len(rungs))
    cols = _rung_colours(len(rungs))
    share_ax.stackplot(dates, shares, colors=cols, labels=[wrap(r, 30) for r in rungs],
                       linewidth=0)
    share_ax.set_ylim(0, 1)
    share_ax.set_xlim(dates[0], dates[-1])
    percent_axis(share_ax)
    share_ax.set_ylabel("share of runs")
    share_ax.set_title("Share of runs on each rung")
    share_ax.grid(False)
    date_axis(share_ax)
    handles, labels = share_ax.get_legend_handles_labels()
    share_ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                    frameon=False, fontsize=8)
    draw_fan(fan_ax, dates, quantile_bands(values[:, :, None])[:, :, 0], colour(1))
    fan_ax.set_yticks(np.arange(len(rungs)), [wrap(r, 24) for r in rungs])
    fan_ax.set_ylim(-0.3, len(rungs) - 0.7)
    fan_ax.set_title("Rung over runs (median and bands)")
    date_axis(fan_ax)
    fan_ax.legend(handles=fan_legend(colour(1)), loc="upper left", frameon=False, fontsize=8)
    return fig


def _rung_colours(n: int) -> list:
    """A light-to-dark sequential ramp (colour-blind safe): higher rungs darker."""
    from matplotlib import colormaps

    cmap = colormaps["YlOrRd"]
    return [cmap(0.12 + 0.83 * k / max(n - 1, 1)) for k in range(n)]
