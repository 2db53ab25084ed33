"""What each run says an observation should have been: observations read off results.

Every observation (:mod:`powderkeg.scenario.observations`) becomes one number per run from
the results dataset (:func:`powderkeg.engine.simulate.simulate` with the series kept on the
observation days, e.g. ``every=1``):

==========  =====================================================================  ========
kind        the run's value                                                        z
==========  =====================================================================  ========
front       ``front_km`` of the sector on the day                                  km
held        1 if the side holds the objective (the first side holds what the       0 or 1
            front has passed: ``front_km > objective km``), else 0
link        ``link_capacity`` (open fraction) on the day; or 1 if it is below      fraction
            :data:`CLOSED_BELOW` (closed), else 0                                  or 0/1
event       1 if the outcome's first day is on or before the day, else 0           0 or 1
count       ``strikes_to_date`` summed over the links, or ``losses_to_date`` of    number
            the side, on day ``to`` minus on day ``from - 1``
==========  =====================================================================  ========

The observed value ``z`` and its variance ``Var_obs``: a measure's mean and sd (an interval
``low``/``high`` read as a 90% normal interval); a true/false observation is 1 or 0 with the
Bernoulli variance ``c (1 - c)`` of its confidence ``c``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import xarray as xr

from powderkeg.model.build import END_KM, Model
from powderkeg.scenario.observations import DEFAULT_CONFIDENCE, Observations

__all__ = ["CLOSED_BELOW", "Target", "targets", "observation_days", "simulated",
           "simulated_all"]

#: A link is closed when less than this fraction of its intact capacity is open (one or two
#: hits leave a bridge at a quarter to a half; closed means hardly anything crosses).
CLOSED_BELOW = 0.1


@dataclass(frozen=True)
class Target:
    """One observation as the fit uses it: observed ``z``, its variance, binary or not."""

    id: str
    kind: str
    day: int  # the last day it needs, counted from the scenario's date
    z: float
    var_obs: float
    binary: bool
    date: dt.date
    confidence: float = 1.0  # probability a true/false observation is right


def _day(date: dt.date, start: dt.date) -> int:
    return (date - start).days


def _target(o, start: dt.date) -> Target:
    if o.kind in ("held", "event") or (o.kind == "link" and o.closed):
        c = getattr(o, "confidence", DEFAULT_CONFIDENCE)
        z = float(o.value if o.kind == "held" else o.happened if o.kind == "event" else 1)
        return Target(o.id, o.kind, _day(o.date, start), z, c * (1 - c), True, o.date, c)
    m = o.km if o.kind == "front" else o.open_fraction if o.kind == "link" else o.value
    return Target(o.id, o.kind, _day(o.last_date, start), m.mean, m.std ** 2, False, o.last_date)


def targets(obs: Observations, start: dt.date) -> list[Target]:
    """The observations of ``obs`` as :class:`Target` s, for a scenario dated ``start``."""
    return [_target(o, start) for o in obs.observations]


def observation_days(obs: Observations, start: dt.date) -> np.ndarray:
    """Every day whose series the observations need (a count also needs ``from - 1``)."""
    days = set()
    for o in obs.observations:
        if o.kind == "count":
            days |= {max(0, _day(o.from_, start) - 1), _day(o.to, start)}
        else:
            days.add(_day(o.date, start))
    return np.array(sorted(days), dtype=int)


def _objective_km(model: Model, ds: xr.Dataset, sector: str, objective: str) -> np.ndarray:
    i = model.objective_ids.index((sector, objective))
    path, s = model.objective_path[i], model.objective_sector[i]
    if path is not None and path in ds.parameter.values:
        km = ds.parameter_value.sel(parameter=path).values
    elif path is not None:
        km = np.full(ds.sizes["run"], model.world_params[model.world_paths.index(path)].value)
    else:
        km = np.full(ds.sizes["run"], model.objective_fixed_km[i])
    return np.minimum(km, model.sector_length[s] - END_KM)


def _window(series: xr.DataArray, start_day: int, end_day: int) -> np.ndarray:
    """``series`` on ``end_day`` minus on ``start_day - 1`` (zero before day 1)."""
    end = series.sel(day=end_day).values.astype(float)
    if start_day <= 1:
        return end
    return end - series.sel(day=start_day - 1).values.astype(float)


def simulated(model: Model, ds: xr.Dataset, o) -> np.ndarray:
    """Each run's value of observation ``o``, shape ``(R,)`` (see the module's table)."""
    start = dt.date.fromisoformat(ds.attrs["date"])
    if o.kind == "count":
        a, b = _day(o.from_, start), _day(o.to, start)
        if o.count == "strikes":
            return _window(ds.strikes_to_date.sel(link=o.links).sum("link"), a, b)
        return _window(ds.losses_to_date.sel(side=o.side), a, b)
    day = _day(o.date, start)
    if o.kind == "front":
        return ds.front_km.sel(day=day, sector=o.sector).values.astype(float)
    if o.kind == "held":
        front = ds.front_km.sel(day=day, sector=o.sector).values
        passed = front > _objective_km(model, ds, o.sector, o.objective)
        return (passed if o.side == model.sides[0] else ~passed).astype(float)
    if o.kind == "link":
        frac = ds.link_capacity.sel(day=day, link=o.link).values.astype(float)
        return (frac < CLOSED_BELOW).astype(float) if o.closed else frac
    first = ds.event_day.sel(outcome=o.outcome).values
    return (first <= day).astype(float)  # NaN (never) compares False


def simulated_all(model: Model, ds: xr.Dataset, obs: Observations) -> np.ndarray:
    """Every run's value of every observation, shape ``(R, K)`` in the file's order."""
    return np.stack([simulated(model, ds, o) for o in obs.observations], axis=1)
