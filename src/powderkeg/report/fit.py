"""The fit folder of ``powderkeg fit``: posterior sample, diagnostics, tables and figures.

Written atomically (:func:`powderkeg.results.atomic_folder`):

* ``posterior.parquet``: the equally weighted posterior sample, a column ``u:PATH`` (prior
  quantile) and ``PATH`` (value) per fitted parameter; ``powderkeg run --posterior`` reads it;
* ``state.parquet``: with the state fitted, the same sample's state values, one column per
  state path (not read by ``run --posterior``: the state belongs to this scenario's date);
* ``points.parquet``: every design point of every wave: its quantiles (structural and
  state), replicate runs, whether its move was accepted, each observation's implausibility,
  the ranked implausibility, whether it was ruled out, its log likelihood and its weight
  (share of the final population);
* ``parameters.csv`` (prior vs posterior quantiles, learnt or not; ``role`` structural or
  state), ``observations.csv``
  (how the prior and the posterior reproduce each observation), ``waves.csv``;
* ``fit.json``: all of it as one document (what ``--json`` prints);
* ``figures/``: implausibility by wave, prior vs posterior per parameter, observations vs
  posterior predictive intervals (PNG and SVG).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter, ScalarFormatter

from powderkeg.analysis import history_matching as hm
from powderkeg.analysis.fit import Fit, summary
from powderkeg.report.style import colour, new_figure, save_figure, styled
from powderkeg.results import atomic_folder
from powderkeg.scenario.posterior import POSTERIOR_FILE, QUANTILE

#: The fitted state's sample, beside the posterior sample.
STATE_FILE = "state.parquet"

__all__ = ["STATE_FILE", "write_fit", "implausibility_figure", "parameters_figure",
           "observations_figure"]


@styled
def implausibility_figure(doc: dict, job: Fit) -> Figure:
    """Each wave's ranked implausibility of its points (sorted), with the cut-off at 3."""
    fig, axes = new_figure(8, 3.6)
    ax = axes[0, 0]
    shade = colormaps["viridis"]  # waves in order, dark to light: more waves than colours
    for w in job.waves:
        ranked = np.sort(w.ranked)
        ax.plot(np.linspace(0, 1, len(ranked)), ranked,
                color=shade(0.9 * (w.index - 1) / max(1, len(job.waves) - 1)),
                label=f"wave {w.index}: {w.nroy.mean():.0%} not ruled out")
    ax.axhline(hm.CUTOFF, color="#333333", linestyle="--", linewidth=1,
               label=f"cut-off {hm.CUTOFF:g}")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("share of the wave's points (sorted)")
    ax.set_ylabel(f"{doc['settings']['implausibility']} implausibility")
    ax.legend(frameon=False, fontsize="small")
    fig.suptitle(f"{doc['scenario']}: history matching, {len(job.waves)} waves", x=0.01,
                 ha="left", fontsize="medium")
    return fig


@styled
def parameters_figure(doc: dict) -> Figure:
    """Prior and posterior 90% intervals and medians of each parameter, in prior quantiles."""
    rows = doc["parameters"]
    fig, axes = new_figure(9, 1.4 + 0.3 * len(rows))
    ax = axes[0, 0]
    y = np.arange(len(rows))[::-1]
    ax.hlines(y + 0.15, 0.05, 0.95, color="#999999", linewidth=3, label="prior 90%")
    lo, mid, hi = np.array([r["posterior_quantiles"] for r in rows]).T
    ax.hlines(y - 0.15, lo, hi, color=colour(0), linewidth=3, label="posterior 90%")
    ax.plot(mid, y - 0.15, "o", color=colour(0), markersize=4, label="posterior median")
    ax.set_yticks(y, [r["path"] + {True: " (learnt)", False: "", None: " (?)"}[r["learnt"]]
                      for r in rows])
    ax.set_xlim(0, 1)
    ax.set_xlabel("prior quantile (0.5 = prior median)")
    ax.grid(axis="y", visible=False)
    fig.suptitle(f"{doc['scenario']}: what the fit learnt (effective sample "
                 f"{doc['effective_sample_size']:.0f})", x=0.01, ha="left", fontsize="medium")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3,
               frameon=False)
    return fig


def _standardised(row: dict, which: str) -> tuple[float, float, float]:
    """An observation's predictive interval and observed value in units of its sd."""
    p = row[which]
    if row["binary"]:
        return 0.0, 0.0, 0.0 if p["covered"] else np.nan
    lo, hi = p["ci90"]
    sd = (hi - lo) / (2 * 1.6449) or 1.0
    return (lo - p["predicted"]) / sd, (hi - p["predicted"]) / sd, \
        (row["observed"] - p["predicted"]) / sd


@styled
def observations_figure(doc: dict) -> Figure:
    """Each observation against the posterior predictive 90% interval, in predictive sds.

    A true/false observation is drawn at 0 when the posterior gives it at least a 5%
    chance and is marked with a cross when it does not.
    """
    rows = doc["observations"]
    fig, axes = new_figure(9, 1.4 + 0.28 * len(rows))
    ax = axes[0, 0]
    y = np.arange(len(rows))[::-1]
    for k, row in zip(y, rows, strict=True):
        lo, hi, z = _standardised(row, "posterior")
        c = colour(0) if row["fitted"] else colour(1)
        ax.hlines(k, lo, hi, color=c, linewidth=3, alpha=0.6)
        if np.isnan(z):
            ax.plot(0, k, "x", color="#333333")
        else:
            ax.plot(z, k, "o", color="#333333" if row["posterior"]["covered"] else colour(1),
                    markersize=4)
    ax.set_yticks(y, [f"{r['id']} ({r['date']})" for r in rows])
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("observed minus posterior predictive median, in predictive sds")
    ax.grid(axis="y", visible=False)
    keys = [Line2D([], [], color=colour(0), linewidth=3, alpha=0.6),
            Line2D([], [], color=colour(1), linewidth=3, alpha=0.6),
            Line2D([], [], color="#333333", marker="o", linestyle="", markersize=4),
            Line2D([], [], color=colour(1), marker="o", linestyle="", markersize=4)]
    fig.legend(keys, ["fitted: 90% interval", "held out: 90% interval", "observed, inside",
                      "observed, outside"], loc="outside lower center", ncols=4, frameon=False)
    cov = doc["coverage"]
    held = cov["held_out"]
    text = (f"held-out coverage {held['covered']}/{held['observations']}"
            if held["observations"] else "no observation held out")
    fig.suptitle(f"{doc['scenario']}: observations vs posterior predictive; fitted coverage "
                 f"{cov['fitted']['covered']}/{cov['fitted']['observations']}, {text}",
                 x=0.01, ha="left", fontsize="medium")
    return fig


def _observation_table(rows: list[dict]) -> pd.DataFrame:
    flat = []
    for r in rows:
        out = {k: r[k] for k in ("id", "kind", "date", "observed", "sd", "fitted")}
        for which in ("prior", "posterior"):
            p = r.get(which, {})
            out[f"{which}_predicted"] = p.get("predicted")
            out[f"{which}_ci90_low"] = p.get("ci90", [None, None])[0]
            out[f"{which}_ci90_high"] = p.get("ci90", [None, None])[1]
            out[f"{which}_probability_of_observed"] = p.get("probability_of_observed")
            out[f"{which}_covered"] = p.get("covered")
        hard = r.get("implausibility", {})
        for key in ("median_wave1", "smallest_wave1", "share_above_cutoff"):
            out[f"implausibility_{key}"] = hard.get(key)
        flat.append(out)
    return pd.DataFrame(flat)


def _points_table(job: Fit) -> pd.DataFrame:
    table = {"wave": np.concatenate([np.full(len(w.u), w.index) for w in job.waves])}
    u = job.points
    for j, p in enumerate(job.design):
        table[QUANTILE + p] = u[:, j]
    table["replicates"] = np.concatenate([w.replicates for w in job.waves])
    table["accepted"] = np.concatenate([np.full(len(w.u), True) if w.accepted is None
                                        else w.accepted for w in job.waves])
    imp = np.concatenate([w.implausibility for w in job.waves])
    for k, t in enumerate(job.fitted):
        table[f"I:{t.id}"] = imp[:, k]
    table["implausibility"] = np.concatenate([w.ranked for w in job.waves])
    table["ruled_out"] = ~np.concatenate([w.nroy for w in job.waves])
    table["log_likelihood"] = np.concatenate([w.log_lik for w in job.waves])
    table["weight"] = job.weights
    return pd.DataFrame(table)


def write_fit(job: Fit, out: Path, command: list[str]) -> tuple[Path, dict]:
    """Write the fit folder at ``out`` (new or empty); returns it and the summary."""
    doc = summary(job)
    doc["command"] = command
    with atomic_folder(out) as tmp:
        sample = {}
        for j, p in enumerate(job.paths):
            sample[QUANTILE + p] = job.sample_u[:, j]
            sample[p] = job.sample_values[:, j]
        pd.DataFrame(sample).to_parquet(tmp / POSTERIOR_FILE, index=False)
        _points_table(job).to_parquet(tmp / "points.parquet", index=False)
        if job.state:
            pd.DataFrame({p: job.sample_values[:, len(job.paths) + j]
                          for j, p in enumerate(job.state)}).to_parquet(tmp / STATE_FILE,
                                                                        index=False)
        pd.DataFrame([{"path": r["path"], "role": role, "prior_q05": r["prior"][0],
                       "prior_q50": r["prior"][1], "prior_q95": r["prior"][2],
                       "posterior_q05": r["posterior"][0], "posterior_q50": r["posterior"][1],
                       "posterior_q95": r["posterior"][2], "shrinkage": r["shrinkage"],
                       "learnt": r["learnt"]}
                      for role in ("structural", "state") for r in doc[
                          "parameters" if role == "structural" else "state"]]).to_csv(
            tmp / "parameters.csv", index=False)
        _observation_table(doc["observations"]).to_csv(tmp / "observations.csv", index=False)
        pd.DataFrame(doc["waves"]).to_csv(tmp / "waves.csv", index=False)
        (tmp / "fit.json").write_text(json.dumps(doc, indent=1) + "\n", "utf-8")
        figures = tmp / "figures"
        save_figure(implausibility_figure(doc, job), figures, "implausibility")
        save_figure(parameters_figure(doc), figures, "parameters")
        save_figure(observations_figure(doc), figures, "observations")
    return Path(out), doc
