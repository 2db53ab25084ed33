"""Outcome probabilities by the horizon, their intervals, timing and cumulative curves."""

from __future__ import annotations

import numpy as np
import xarray as xr

from powderkeg.analysis.intervals import jeffreys_interval

__all__ = ["outcome_summary", "cumulative_probability"]


def cumulative_probability(event_day: np.ndarray, days: int) -> np.ndarray:
    """Fraction of runs in which the outcome happened on or before each day ``0..days``."""
    happened = event_day[~np.isnan(event_day)].astype(int)
    counts = np.bincount(happened, minlength=days + 1)[: days + 1]
    return np.cumsum(counts) / len(event_day)


def outcome_summary(ds: xr.Dataset) -> dict[str, dict]:
    """For each outcome id: probability, 95% Jeffreys interval, median day, cumulative curve."""
    days, runs = int(ds.attrs["days"]), ds.sizes["run"]
    out = {}
    for i, oid in enumerate(ds.outcome.values):
        e = ds.event_day.values[:, i].astype(float)
        hits = int(np.sum(~np.isnan(e)))
        low, high = jeffreys_interval(hits, runs)
        out[str(oid)] = {
            "description": str(ds.outcome_description.values[i]),
            "probability": hits / runs,
            "ci95": [float(low), float(high)],
            "median_day": float(np.nanmedian(e)) if hits else None,
            "cumulative": [float(v) for v in cumulative_probability(e, days)],
        }
        if "theory" in ds:
            out[str(oid)]["by_theory"] = _by_theory(ds, e)
    return out


def _by_theory(ds: xr.Dataset, event_day: np.ndarray) -> dict:
    theory = ds.theory.values
    result = {}
    for name in np.unique(theory):
        mine = event_day[theory == name]
        hits = int(np.sum(~np.isnan(mine)))
        low, high = jeffreys_interval(hits, len(mine))
        result[str(name)] = {"probability": hits / len(mine), "ci95": [float(low), float(high)],
                             "runs": int(len(mine))}
    return result
