"""Interdiction: long-range fires and deep strikes damage links; damaged links are repaired.

Each day a fire system flies a Poisson number of missions against links (capped at
``MAX_STRIKES``). A mission picks a target among the other side's links within its reach of
the nearest front (range minus standoff), with probability proportional to the flow the link
carries (plus a small share of its capacity), so strikes go where their loss cuts the most
supply; it hits with the system's probability and escapes interception with the complement
of the interception probability. Deep strikes (sabotage, drones) reach named high-value
links beyond rocket range, at a low daily rate. A hit removes a fraction of the link's
open capacity until repaired; repair takes a time drawn from the link's distribution.

This is a bookkeeping of interdiction in the spirit of the RAND interdiction studies rather
than a published model; its parameters are all in the scenario.
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.build import KM_STEP, Model
from powderkeg.model.random import Streams

__all__ = ["MAX_STRIKES", "poisson_capped", "links_in_reach", "fire_hits", "deep_strike_hits",
           "apply_hits", "repair_times", "apply_repairs"]

MAX_STRIKES = 8


def links_in_reach(model: Model, front: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Links within ``reach`` km (shape ``(R,)``) of any sector's front, shape ``(R, E)``."""
    idx = np.clip(np.rint(front / KM_STEP).astype(int), 0, model.link_front_km.shape[2] - 1)
    dist = np.full((front.shape[0], model.n_links), np.inf)
    for s in range(model.n_sectors):
        dist = np.minimum(dist, model.link_front_km[s][:, idx[:, s]].T)
    return dist <= reach[:, None]


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn with probability proportional to the weights whose row-wise cumulative sums
    are ``cum``, by inversion at ``u``."""
    return np.minimum((cum < (u * cum[:, -1])[:, None]).sum(axis=1), cum.shape[1] - 1)


def poisson_capped(u: np.ndarray, mean: np.ndarray, cap: int) -> np.ndarray:
    """Inverse Poisson distribution function at ``u``, capped at ``cap``."""
    term = np.exp(-mean)
    cdf = term.copy()
    n = np.zeros(np.shape(u), dtype=int)
    for k in range(1, cap + 1):
        n += u > cdf
        term = term * mean / k
        cdf = cdf + term
    return n


def fire_hits(model, world, streams: Streams, runs, day, front, usable_by_side, link_flow,
              open_cap) -> np.ndarray:
    """Number of hits on each link today from all fire systems, shape ``(R, E)``."""
    hits = np.zeros(open_cap.shape, dtype=int)
    rows = np.arange(len(runs))
    for f, fire in enumerate(model.scenario.fires):
        target_side = 1 - model.fire_side[f]
        ok = links_in_reach(model, front, world.fire_reach[:, f]) & usable_by_side[target_side]
        ok &= (open_cap > 0) & ~model.fire_exempt[f]
        weight = np.where(ok, link_flow + 0.01 * open_cap, 0.0)
        cum = np.cumsum(weight, axis=1)
        has_target = cum[:, -1] > 0
        u_n = streams.uniform(f"fires/{fire.id}/missions", runs, day)[:, 0]
        n = poisson_capped(u_n, world.fire_missions[:, f], MAX_STRIKES)
        u_t = streams.uniform(f"fires/{fire.id}/target", runs, day, MAX_STRIKES)
        u_h = streams.uniform(f"fires/{fire.id}/hit", runs, day, MAX_STRIKES)
        for k in range(MAX_STRIKES):
            strike = has_target & (n > k) & (u_h[:, k] < world.fire_success[:, f])
            target = _pick(cum, u_t[:, k])
            np.add.at(hits, (rows[strike], target[strike]), 1)
    return hits


def deep_strike_hits(model, world, streams: Streams, runs, day, usable_by_side) -> np.ndarray:
    """Hits from deep strikes today, shape ``(R, E)``: at most one per strike kind and day."""
    hits = np.zeros((len(runs), model.n_links), dtype=int)
    rows = np.arange(len(runs))
    for g, deep in enumerate(model.scenario.deep_strikes):
        u = streams.uniform(f"deep/{deep.id}", runs, day, 3)
        targets = model.deep_targets[g]
        pick = targets[np.minimum((u[:, 1] * len(targets)).astype(int), len(targets) - 1)]
        usable = usable_by_side[1 - model.deep_side[g]][rows, pick]
        strike = u[:, 0] < -np.expm1(-world.deep_rate[:, g])
        strike &= u[:, 2] < world.deep_success[:, g]
        strike &= usable
        np.add.at(hits, (rows[strike], pick[strike]), 1)
    return hits


def repair_times(model: Model, streams: Streams, runs, day, damaged: np.ndarray) -> np.ndarray:
    """Days to repair each damaged link, shape ``(R, E)`` (NaN where not damaged)."""
    out = np.full(damaged.shape, np.nan)
    for e in np.flatnonzero(damaged.any(axis=0)):
        u = streams.uniform(f"repair/{model.link_ids[e]}", runs, day)[:, 0]
        rows = damaged[:, e]
        out[rows, e] = model.link_repair[e].ppf(u[rows])
    return out


def apply_hits(model, streams, runs, day, hits, frac, repair_day, damage):
    """Capacity fractions and repair days after today's hits."""
    hit = hits > 0
    frac = frac * (1.0 - damage) ** hits
    due = day + np.nan_to_num(repair_times(model, streams, runs, day, hit))
    later = np.where(np.isfinite(repair_day), np.maximum(repair_day, due), due)
    return frac, np.where(hit, later, repair_day)


def apply_repairs(day, frac, repair_day):
    """Links whose repair is due by ``day`` return to full capacity."""
    done = repair_day <= day
    return np.where(done, 1.0, frac), np.where(done, np.inf, repair_day)
