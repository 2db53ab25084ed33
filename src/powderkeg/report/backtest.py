"""A backtest on paper: the reliability diagram, and the folder of ledger, scores and figure.

Reads the document :func:`powderkeg.analysis.backtest.backtest` returns; never simulates.
The diagram puts each question at the model's probability (x) and what happened (y = 0 or
1, spread a little so that questions do not hide each other), with the Wilson interval of
the run share as a horizontal bar; the binned observed frequencies, with their Wilson
intervals over the bin's questions, lie on the diagonal for a calibrated forecaster.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from powderkeg.report.style import colour, new_figure, percent_axis, save_figure, styled
from powderkeg.results import atomic_folder

__all__ = ["reliability_figure", "write_backtest", "LEDGER_FILE", "SCORES_FILE",
           "RELIABILITY_FIGURE"]

LEDGER_FILE = "ledger.csv"
SCORES_FILE = "backtest.json"
RELIABILITY_FIGURE = "reliability"


def _spread(n: int) -> np.ndarray:
    """Small vertical offsets, alternating around 0, so that points at one answer separate."""
    return (np.arange(n) % 5 - 2) * 0.012


def _bins(ax, bins: list[dict], i: int, label: str) -> None:
    x = np.array([b["forecast"] for b in bins])
    f = np.array([b["frequency"] for b in bins])
    low = np.array([b["ci95"][0] for b in bins])
    high = np.array([b["ci95"][1] for b in bins])
    ax.errorbar(x, f, yerr=[f - low, high - f], fmt="s-", color=colour(i), capsize=3,
                markersize=6, linewidth=1.2, label=label)
    for xi, fi, b in zip(x, f, bins, strict=True):
        ax.annotate(str(b["questions"]), (xi, fi), textcoords="offset points", xytext=(6, 4),
                    fontsize=7.5, color=colour(i))


@styled
def reliability_figure(doc: dict) -> Figure:
    """The reliability diagram of a backtest document: forecasts against outcomes."""
    rows = doc["ledger"]
    fig, axes = new_figure(7.5, 6.5)
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", linewidth=1,
            label="perfect calibration")
    p = np.array([r["probability"] for r in rows])
    y = np.array([float(r["resolution"]) for r in rows])
    order = np.argsort(p)
    jitter = np.empty(len(rows))
    jitter[order] = _spread(len(rows))
    yy = y + np.where(y > 0, -1, 1) * (0.03 + np.abs(jitter))
    low = np.array([r["ci95"][0] for r in rows])
    high = np.array([r["ci95"][1] for r in rows])
    ax.errorbar(p, yy, xerr=[p - low, high - p], fmt="o", color=colour(0), alpha=0.6,
                markersize=4, elinewidth=1, label="model, one question (95% MC interval)")
    crowd = [(r["crowd"]["probability"], yi) for r, yi in zip(rows, yy, strict=True)
             if r["crowd"]]
    if crowd:
        cx, cy = np.array(crowd).T
        ax.plot(cx, cy, "D", color=colour(1), alpha=0.7, markersize=4,
                label="crowd, one question")
    _bins(ax, doc["reliability"]["model"], 0, "model, binned (n questions)")
    if "crowd" in doc["reliability"]:
        _bins(ax, doc["reliability"]["crowd"], 1, "crowd, binned (n questions)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.05, 1.05)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel("forecast probability by the deadline")
    ax.set_ylabel("share that happened (points: 0% = no, 100% = yes)")
    m = doc["scores"]["all"]["model"]
    ax.set_title(f"{doc['scenario']}: {len(rows)} questions, {doc['runs']:,} runs; "
                 f"Brier {m['brier']:.3f}, log {m['log']:.3f}")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               frameon=False)
    return fig


def _ledger_table(rows: list[dict]) -> pd.DataFrame:
    table = []
    for r in rows:
        crowd = r["crowd"] or {}
        table.append({
            "id": r["id"], "outcome": r["outcome"], "deadline": r["deadline"], "day": r["day"],
            "probability": r["probability"], "ci95_low": r["ci95"][0],
            "ci95_high": r["ci95"][1], "resolution": r["resolution"],
            "resolved_on": r["resolved_on"], "brier": r["brier"], "log": r["log"],
            "crowd_probability": crowd.get("probability"), "crowd_date": crowd.get("date"),
            "crowd_brier": crowd.get("brier"), "crowd_log": crowd.get("log"),
            "source": r["source"], "text": r["text"]})
    return pd.DataFrame(table)


def write_backtest(doc: dict, out: Path) -> Path:
    """Write ``ledger.csv``, ``backtest.json`` and the reliability diagram (PNG, SVG) to ``out``.

    The folder is written atomically and must not exist or be empty.
    """
    with atomic_folder(out) as tmp:
        _ledger_table(doc["ledger"]).to_csv(tmp / LEDGER_FILE, index=False)
        (tmp / SCORES_FILE).write_text(json.dumps(doc, indent=1) + "\n", "utf-8")
        save_figure(reliability_figure(doc), tmp, RELIABILITY_FIGURE)
    return Path(out)
