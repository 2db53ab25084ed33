"""Conditional questions answered from a results folder: how likely is one outcome, given
that another happened, in the model's futures?

Without a window, ``P(then | given)`` is the share of the runs where ``given`` happened by day
``by`` in which ``then`` also happened by day ``by``, and ``P(then | not given)`` the same share
among the other runs. With a window of ``within`` days the question is what follows: among
the runs where ``given`` happened and ``then`` had not happened before it, the share where
``then`` happens within ``within`` days of ``given``; the runs without ``given`` are counted
over the same window, starting on the median day ``given`` happened, among those where
``then`` had not happened before that day. Each is a binomial share of its own runs, with a
Jeffreys interval; their difference has Newcombe's interval for two independent proportions
(the groups are disjoint sets of runs). This is association among the simulated futures, not
the effect of making ``given`` happen: that question is a variant run through ``compare``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from powderkeg.analysis.compare import newcombe_unpaired_interval
from powderkeg.analysis.intervals import jeffreys_interval
from powderkeg.errors import InputError

__all__ = ["conditional", "FEW_RUNS"]

FEW_RUNS = 30  # a group with fewer runs than this gets a warning


def _day(ds: xr.Dataset, outcome: str) -> np.ndarray:
    ids = [str(o) for o in ds.outcome.values]
    if outcome not in ids:
        raise InputError(f"The results have no outcome '{outcome}'. Use one of: "
                         f"{', '.join(ids)}.")
    return ds.event_day.sel(outcome=outcome).values.astype(float)


def _group(then_in: np.ndarray, rows: np.ndarray) -> dict:
    n, x = int(rows.sum()), int((then_in & rows).sum())
    low, high = jeffreys_interval(x, n) if n else (np.nan, np.nan)
    return {"runs": n, "then": x, "probability": x / n if n else None,
            "ci95": [float(low), float(high)] if n else None}


def _answer(given_day, then_day, within, by) -> dict:
    given = ~np.isnan(given_day) & (given_day <= by)
    happened = ~np.isnan(then_day) & (then_day <= by)
    out = {"window_start_not_given": None}
    if within is None:
        rows_yes, yes_in, rows_no, no_in = given, happened, ~given, happened
    else:
        start = float(np.median(given_day[given])) if given.any() else 0.0
        rows_yes = given & ~(then_day < given_day)  # then had not happened before given
        yes_in = happened & (then_day >= given_day) & (then_day <= given_day + within)
        rows_no = ~given & ~(then_day < start)
        no_in = happened & (then_day >= start) & (then_day <= start + within)
        out["window_start_not_given"] = start
    yes, no = _group(yes_in, rows_yes), _group(no_in, rows_no)
    out.update(given=yes, not_given=no, difference=None, ci95=None)
    if yes["runs"] and no["runs"]:
        low, high = newcombe_unpaired_interval(yes["then"], yes["runs"], no["then"], no["runs"])
        out["difference"] = yes["probability"] - no["probability"]
        out["ci95"] = [float(low), float(high)]
    out["few_runs"] = min(yes["runs"], no["runs"]) < FEW_RUNS
    return out


def conditional(ds: xr.Dataset, given: str, then: str, within: int | None = None,
                by: int | None = None) -> dict:
    """``P(then | given)``, ``P(then | not given)`` and their difference, overall and by theory.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of :func:`powderkeg.engine.simulate.simulate` (or :func:`powderkeg.load`).
    given, then : str
        Outcome ids.
    within : int, optional
        ``then`` must follow ``given`` within this many days.
    by : int, optional
        Last day counted (default: the horizon).

    Returns
    -------
    dict
        ``given`` and ``not_given`` (each ``runs``, ``then``, ``probability``, ``ci95``),
        ``difference`` and its ``ci95``, ``few_runs``, ``window_start_not_given`` (the day the
        window of the runs without ``given`` starts, with ``within``); the same under
        ``by_theory`` when the runs were played under escalation theories; and the
        question's terms.
    """
    horizon = int(ds.attrs.get("days", ds.day.values[-1]))
    by = horizon if by is None else by
    if by > horizon or by < 0 or (within is not None and within < 0):
        raise InputError(f"--by must lie in 0..{horizon} (the horizon of these results) and "
                         "--within must not be negative.")
    g, t = _day(ds, given), _day(ds, then)
    doc = {"given_outcome": given, "then_outcome": then, "within": within, "by": by,
           **_answer(g, t, within, by)}
    if "theory" in ds:
        theory = ds.theory.values
        doc["by_theory"] = {str(name): _answer(g[theory == name], t[theory == name], within, by)
                            for name in np.unique(theory)}
    return doc
