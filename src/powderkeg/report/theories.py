"""Outcomes split by the competing theory each run drew, when the results record it.

A dataset with a data variable ``theory`` (run) of strings gives, for each theory, each
outcome's probability among the runs that drew it, with a 95% Jeffreys interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from powderkeg.analysis.intervals import jeffreys_interval
from powderkeg.report.figures import wrap
from powderkeg.report.inputs import ReportInputs
from powderkeg.report.style import colour, new_figure, percent_axis, styled

__all__ = ["TheorySplit", "theory_split", "theory_figure"]


@dataclass(frozen=True)
class TheorySplit:
    """Outcome probabilities per theory: arrays of shape ``(outcome, theory)``."""

    theories: tuple[str, ...]
    runs: np.ndarray  # (theory,) runs that drew each theory
    outcomes: tuple[str, ...]
    descriptions: tuple[str, ...]
    probability: np.ndarray
    low: np.ndarray
    high: np.ndarray


def theory_split(ds) -> TheorySplit | None:
    """Each outcome's probability among the runs of each theory; None without ``theory``."""
    if "theory" not in ds.data_vars or ds["theory"].dims != ("run",):
        return None
    labels = np.asarray(ds["theory"].values).astype(str)
    theories = tuple(sorted(set(labels.tolist())))
    happened = np.isfinite(ds.event_day.transpose("run", "outcome").values)  # (R, O)
    runs = np.array([(labels == t).sum() for t in theories])
    hits = np.stack([happened[labels == t].sum(axis=0) for t in theories], axis=1)  # (O, T)
    low, high = jeffreys_interval(hits, runs[None, :])
    return TheorySplit(theories=theories, runs=runs,
                       outcomes=tuple(str(o) for o in ds.outcome.values),
                       descriptions=tuple(str(d) for d in ds.outcome_description.values),
                       probability=hits / np.maximum(runs[None, :], 1), low=low, high=high)


@styled
def theory_figure(inp: ReportInputs) -> Figure | None:
    """Each outcome's probability under each theory, with 95% intervals (outcomes that
    happened under no theory are left to the table); None without theories or events."""
    split = theory_split(inp.ds)
    if split is None:
        return None
    n_t = split.probability.shape[1]
    seen = np.flatnonzero(split.probability.max(axis=1) > 0)
    if len(seen) == 0:
        return None
    order = seen[np.argsort(split.probability[seen].mean(axis=1), kind="stable")]
    n_o = len(order)
    fig, axes = new_figure(11, 1.1 + 0.16 * n_o * max(n_t, 2))
    ax = axes[0, 0]
    offsets = ((n_t - 1) / 2 - np.arange(n_t)) * min(0.8 / n_t, 0.3)
    for t, name in enumerate(split.theories):
        y = np.arange(n_o) + offsets[t]
        p, lo, hi = (a[order, t] for a in (split.probability, split.low, split.high))
        ax.hlines(y, lo, hi, color=colour(t), linewidth=3, alpha=0.45)
        ax.plot(p, y, "o", color=colour(t), markersize=4.5,
                label=f"{name.replace('_', ' ')} ({split.runs[t]:,} runs)")
    labels = [wrap(split.descriptions[i] or split.outcomes[i], 60) for i in order]
    ax.set_yticks(np.arange(n_o), labels)
    ax.set_xlim(-0.015, 1.015)  # room for the markers at 0% and 100%
    percent_axis(ax, "x")
    ax.set_xlabel("probability by the horizon among the runs of each theory (95% interval)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    return fig
