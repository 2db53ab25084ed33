"""Outcome probabilities by the horizon, their intervals, timing and cumulative curves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from powderkeg.analysis.intervals import jeffreys_interval

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["outcome_summary", "summarise_outcomes", "cumulative_probability"]


def cumulative_probability(event_day: np.ndarray, days: int) -> np.ndarray:
    """Fraction of runs in which the outcome happened on or before each day ``0..days``."""
    happened = event_day[~np.isnan(event_day)].astype(int)
    counts = np.bincount(happened, minlength=days + 1)[: days + 1]
    return np.cumsum(counts) / len(event_day)


def outcome_summary(ds: xr.Dataset) -> dict[str, dict]:
    """:func:`summarise_outcomes` of a results dataset."""
    return summarise_outcomes(ds.event_day.values, ds.outcome.values,
                              ds.outcome_description.values, int(ds.attrs["days"]),
                              ds.theory.values if "theory" in ds else None)


def summarise_outcomes(event_day: np.ndarray, outcome_ids, descriptions, days: int,
                       theory: np.ndarray | None = None) -> dict[str, dict]:
    """For each outcome id: probability, 95% Jeffreys interval, median day, cumulative curve.

    ``event_day`` is (runs, outcomes), NaN where the outcome never happened; ``theory`` (one
    label per run, or ``None``) adds each outcome's probability by escalation theory.
    """
    runs = len(event_day)
    out = {}
    for i, oid in enumerate(outcome_ids):
        e = event_day[:, i].astype(float)
        hits = int(np.sum(~np.isnan(e)))
        low, high = jeffreys_interval(hits, runs)
        out[str(oid)] = {
            "description": str(descriptions[i]),
            "probability": hits / runs,
            "ci95": [float(low), float(high)],
            "median_day": float(np.nanmedian(e)) if hits else None,
            "cumulative": [float(v) for v in cumulative_probability(e, days)],
        }
        if theory is not None:
            out[str(oid)]["by_theory"] = _by_theory(theory, e)
    return out


def _by_theory(theory: np.ndarray, event_day: np.ndarray) -> dict:
    result = {}
    for name in np.unique(theory):
        mine = event_day[theory == name]
        hits = int(np.sum(~np.isnan(mine)))
        low, high = jeffreys_interval(hits, len(mine))
        result[str(name)] = {"probability": hits / len(mine), "ci95": [float(low), float(high)],
                             "runs": int(len(mine))}
    return result
