"""The drivers of one outcome as a tornado chart: one bar per parameter, most influential on top.

Reads the rows :func:`powderkeg.analysis.sensitivity.sensitivity` gives for one outcome; never
simulates. Bars are the ranking index (Sobol' ``ST`` or Morris ``mu_star``), whiskers its 95%
interval, and the dummy factor (when the analysis has one) is drawn as a dashed line: the
noise floor that a driver must clear.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from powderkeg.report.style import colour, new_figure, save_figure, styled

__all__ = ["tornado_figure", "tornado_chart"]

_LABELS = {"sobol": "total-order Sobol' index ST (share of the outcome's variance)",
           "morris": "Morris mu* (mean |change in the outcome| per unit of quantile)"}


_SHORT = {"sobol": "ST", "morris": "mu*"}


def _method(rows: list[dict]) -> str:
    return "sobol" if rows and "ST" in rows[0] else "morris"


@styled
def tornado_figure(rows: list[dict], title: str = "", top: int = 20) -> Figure:
    """A horizontal bar chart of the ``top`` most influential parameters in ``rows``.

    ``rows`` are ranked dicts with ``path``, ``index``, ``ci95_low``, ``ci95_high`` and
    ``dummy``; the dummy's row is drawn as a vertical dashed line, not as a bar.
    """
    dummy = [r for r in rows if r.get("dummy")]
    shown = [r for r in rows if not r.get("dummy")][:top]
    height = 1.5 + 0.28 * max(len(shown), 1)
    fig, axes = new_figure(9, height)
    ax = axes[0, 0]
    y = np.arange(len(shown))[::-1]
    value = np.array([r["index"] for r in shown], dtype=float)
    low = np.array([r["ci95_low"] for r in shown], dtype=float)
    high = np.array([r["ci95_high"] for r in shown], dtype=float)
    ax.barh(y, value, height=0.65, color=colour(0), alpha=0.85,
            label=_SHORT[_method(rows)])
    ax.errorbar(value, y, xerr=[np.maximum(value - low, 0), np.maximum(high - value, 0)],
                fmt="none", ecolor="#333333", elinewidth=1, capsize=2.5, label="95% interval")
    if dummy:
        ax.axvline(dummy[0]["index"], color=colour(1), linestyle="--", linewidth=1.2,
                   label="dummy (noise floor)")
    ax.set_yticks(y, [r["path"] for r in shown])
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.set_xlim(left=min(0.0, float(low.min()) if len(low) else 0.0))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(_LABELS[_method(rows)])
    if not shown:
        ax.text(0.5, 0.5, "no variation in the outcome: nothing to rank",
                transform=ax.transAxes, ha="center", va="center")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize="medium")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               frameon=False)
    return fig


def tornado_chart(rows: list[dict], path: str | Path, title: str = "",
                  top: int = 20) -> dict[str, Path]:
    """Write :func:`tornado_figure` as ``path`` with suffix ``.png`` and ``.svg``.

    ``path`` may end in ``.png`` or ``.svg`` or have no suffix; both files are written
    atomically next to each other. Returns ``{"png": ..., "svg": ...}``.
    """
    path = Path(path)
    name = path.stem if path.suffix in (".png", ".svg") else path.name
    return save_figure(tornado_figure(rows, title, top), path.parent, name)
