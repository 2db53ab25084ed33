"""The report's look: a colour-blind-safe palette, figure defaults, date axes and atomic saving.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so no
display and no global backend are involved: saving renders with Agg (PNG) or the SVG backend.
SVG text is written as paths, so the files need no font on the reader's machine.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

__all__ = ["OKABE_ITO", "SIDE_COLOURS", "colour", "styled", "new_figure", "day_dates",
           "date_axis", "save_figure", "percent_axis", "DPI"]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
             "#000000")
#: Colour of the first and second side of a scenario (blue and vermilion).
SIDE_COLOURS = ("#0072B2", "#D55E00")
DPI = 150

_RC = {
    "font.size": 9.5, "axes.titlesize": 10, "axes.labelsize": 9.5, "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5, "legend.fontsize": 8.5, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#dddddd",
    "grid.linewidth": 0.6, "axes.axisbelow": True, "axes.titlelocation": "left",
    "svg.fonttype": "path", "svg.hashsalt": "powderkeg", "figure.dpi": DPI,
}


def colour(i: int) -> str:
    """The ``i``-th palette colour (cycling)."""
    return OKABE_ITO[i % len(OKABE_ITO)]


def styled(build):
    """Decorator: run a figure-building function under the report's matplotlib settings."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(_RC):
            return build(*args, **kwargs)
    return wrapper


def new_figure(width: float, height: float, **subplots) -> tuple[Figure, np.ndarray]:
    """A figure of ``width`` x ``height`` inches and a 2-d array of its axes."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # a canvas that can measure text; saving as SVG switches backends
    return fig, fig.subplots(squeeze=False, **subplots)


def day_dates(date: str | dt.date, days) -> np.ndarray:
    """Calendar dates (``datetime64[D]``) of simulation days counted from the scenario date."""
    start = np.datetime64(dt.date.fromisoformat(str(date)), "D")
    return start + np.asarray(days, dtype=int).astype("timedelta64[D]")


def date_axis(ax) -> None:
    """Concise calendar labels on the x axis (months, with the year where it changes)."""
    locator = AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(
        locator, formats=["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"],
        offset_formats=["", "%Y", "%Y", "%Y", "%Y", "%Y"]))


def percent_axis(ax, axis: str = "y") -> None:
    """Show a 0..1 axis as percentages."""
    from matplotlib.ticker import PercentFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(PercentFormatter(1.0, decimals=0))


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_figure(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """Write ``name.png`` and ``name.svg`` into ``folder`` atomically; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    with mpl.rc_context(_RC):
        for fmt in ("png", "svg"):
            path = folder / f"{name}.{fmt}"
            meta = {"Date": None} if fmt == "svg" else {"Software": None}
            _write_atomic(path, lambda p, fmt=fmt, meta=meta: fig.savefig(
                p, format=fmt, dpi=DPI, metadata=meta, facecolor="white"))
            paths[fmt] = path
            fig.set_layout_engine("none")  # laid out once: the SVG keeps the PNG's layout
    return paths
