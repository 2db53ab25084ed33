"""Interdiction: long-range fires and deep strikes damage links; damaged links are repaired.

Each day a fire system flies a Poisson number of missions against links, and another against
the enemy's forces (each capped at the system's ``max_missions_per_day``). A mission against
links picks a target among the other side's links within its reach of the nearest front
line (range minus standoff) with probability proportional to the supply a hit would cut: a
link on a minimum cut of today's supply network (a most vital arc, Wollmer 1964) is worth
the tons it carries; any other link, whose loss the network would route around
today, a ``redundancy_weight`` share of them; links carrying nothing keep a small weight by
capacity. A doctrine may favour the links nearest to named sectors. A mission hits with the
system's probability and escapes interception with the complement of the interception
probability. A mission against forces picks a sector (among its ``force_sectors``) in
proportion to the enemy personnel there and, if it hits, puts ``kills_per_hit`` of them out
of action and, where the system has ``hits_to_halve_fire_support``, lowers the struck side's
combat effectiveness there for the day (counter-battery). An air-delivered system's chance
to hit is multiplied by the ``factor`` of every enemy air defence covering its target (a
missile umbrella over a sector's forces and the links near its front). Deep strikes
(sabotage, drones) reach named high-value links beyond rocket range, at a low daily rate. A
hit removes a fraction of the link's open capacity and adds repair work, drawn from the
link's repair-time distribution; the work progresses only on days the link is not struck,
restoring capacity a step each day.

The equations are compiled per-run kernels (:mod:`powderkeg.model.fire_kernels`); the
functions here gather a batch's arrays and stream keys for them.

This is a bookkeeping of interdiction in the spirit of the RAND interdiction studies rather
than a published model; its parameters are all in the scenario.

References
----------
R. D. Wollmer (1964), "Removing arcs from a network", Operations Research 12(6):934-940,
doi:10.1287/opre.12.6.934.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.model import fire_kernels as k
from powderkeg.model.build import Model
from powderkeg.model.fire_kernels import REPAIR_STEPS
from powderkeg.model.random import Streams

__all__ = ["Repair", "REPAIR_STEPS", "front_distance", "links_in_reach", "air_cover",
           "strikes", "force_hits", "fire_support", "repair_times", "links_after_day"]


@dataclass(frozen=True)
class Repair:
    """Each link's open capacity and its repair, arrays ``(R, E)``."""

    frac: np.ndarray  # open fraction of intact capacity
    left: np.ndarray  # days of repair work left, 0 if none
    total: np.ndarray  # days of work of the repair under way
    base: np.ndarray  # open fraction when that repair started


def _keys(streams: Streams, names) -> np.ndarray:
    return np.array([streams.key(name) for name in names], dtype=np.uint64)


def _fire_keys(model: Model, streams: Streams) -> np.ndarray:
    """``(F, 6)`` keys of each fire system's streams, in the order of ``fire_kernels.KEY_*``."""
    kinds = ("missions", "target", "hit", "force_missions", "force_target", "force_hit")
    return _keys(streams, [f"fires/{f.id}/{kind}" for f in model.scenario.fires
                           for kind in kinds]).reshape(-1, len(kinds))


def front_distance(model: Model, front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each link to the nearest front line and that sector, each ``(R, E)``
    (:func:`~powderkeg.model.fire_kernels.front_distance_run`)."""
    return k.front_distances(model.link_front_km, np.ascontiguousarray(front, dtype=float))


def links_in_reach(model: Model, front: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Links within ``reach`` km (shape ``(R,)``) of any sector's front line, ``(R, E)``."""
    return front_distance(model, front)[0] <= reach[:, None]


def _air_defended(model: Model) -> bool:
    """True if some air defence can scale some air-delivered fire system."""
    return bool(len(model.air_defence_side) and model.fire_air.any())


def _enemy_defence(model: Model) -> np.ndarray:
    """``(F, A)``: the air defence is the other side's than the fire system's."""
    return model.fire_side[:, None] != model.air_defence_side[None, :]


def _cover_of_links(model: Model, world, dist, nearest) -> np.ndarray:
    return k.cover_of_links(model.fire_air, _enemy_defence(model), model.air_defence_sectors,
                            world.air_defence_factor, world.air_defence_depth, dist, nearest)


def air_cover(model: Model, world, front: np.ndarray):
    """Today's air-defence multipliers ``(links (R, F, E), forces (R, F, S))``, or ``None``
    for a scenario without air defences or air-delivered fires.

    A defence covers its side's forces in its sectors and the links near their fronts
    (:func:`~powderkeg.model.fire_kernels.cover_of_links`, ``cover_of_forces``).
    """
    if not _air_defended(model):
        return None
    dist, nearest = front_distance(model, front)
    return (_cover_of_links(model, world, dist, nearest),
            k.cover_of_forces(model.fire_air, _enemy_defence(model), model.air_defence_sectors,
                              world.air_defence_factor))


def _vital(model: Model, n: np.ndarray, vital_of_side) -> np.ndarray:
    """``(2, R, E)`` most vital links of each side, for the runs some system flies against."""
    vital = np.zeros((2,) + (n.shape[0], model.n_links), dtype=bool)
    for side in (0, 1):
        rows = np.flatnonzero((n[:, model.fire_side == 1 - side] > 0).any(axis=1))
        if len(rows):
            vital[side, rows] = vital_of_side(side, rows)
    return vital


def strikes(model, world, streams: Streams, runs, day, front, control, link_flow, open_cap,
            vital_of_side, active) -> np.ndarray:
    """Hits on each link today by each fire system, then each deep strike, ``(R, F + G, E)``.

    ``control`` ``(R, N)`` is the side holding each node, ``open_cap`` and ``link_flow``
    ``(R, E)`` today's open capacities and flows; ``active`` ``(R,)`` the runs not in a
    ceasefire (no strikes in the others). ``vital_of_side(side, rows)`` gives the most vital
    links ``(len(rows), E)`` of ``side``'s network, asked only for runs some system flies
    missions against. The kernels: ``link_missions``, ``link_strikes`` and ``deep_strikes``
    of :mod:`~powderkeg.model.fire_kernels`.
    """
    keys = _fire_keys(model, streams)
    runs = np.asarray(runs, dtype=np.int64)
    max_missions = np.array([f.max_missions_per_day for f in model.scenario.fires], np.int64)
    n_fires, n_deep = len(model.fire_side), len(model.deep_side)
    front = np.ascontiguousarray(front, dtype=float)
    n, dist, nearest = k.link_missions(
        runs, day, keys, model.fire_side, model.fire_exempt, max_missions, model.link_front_km,
        front, control, model.link_from, model.link_to, open_cap, world.fire_missions,
        world.fire_reach, active)
    cover = (_cover_of_links(model, world, dist, nearest) if _air_defended(model)
             else np.ones((len(runs), n_fires, model.n_links)))
    out = np.zeros((len(runs), n_fires + n_deep, model.n_links), dtype=np.int64)
    k.link_strikes(runs, day, keys, model.fire_side, model.fire_exempt, n, dist, nearest,
                   control, model.link_from, model.link_to, open_cap, link_flow,
                   np.ascontiguousarray(world.damage),
                   _vital(model, n, vital_of_side), world.fire_reach, world.fire_redundancy,
                   world.fire_favour, world.fire_success, cover, out)
    if n_deep:
        targets = model.deep_targets
        ptr = np.cumsum([0] + [len(t) for t in targets]).astype(np.int64)
        k.deep_strikes(runs, day, _keys(streams, [f"deep/{g.id}" for g in
                                                  model.scenario.deep_strikes]),
                       model.deep_side, ptr, np.concatenate(targets).astype(np.int64),
                       world.deep_rate, world.deep_success, control, model.link_from,
                       model.link_to, active, n_fires, out)
    return out


def force_hits(model, world, streams: Streams, runs, day, forces, cover=None,
               active=None) -> np.ndarray:
    """Hits on the enemy's forces in each sector today by each fire system, ``(R, F, S)``.

    A system flies ``Poisson(launchers * missions * attrition_share)`` missions (capped at its
    ``max_missions_per_day``); each picks one of its ``force_sectors`` in proportion to the
    enemy personnel there (``forces`` ``(R, S, 2)``) and hits with the system's probability,
    not intercepted, times the air-defence ``cover`` of that sector (``(R, F, S)``,
    :func:`air_cover`; none: 1). Only the runs ``active`` ``(R,)`` (default all) fly
    (:func:`~powderkeg.model.fire_kernels.force_strikes`).
    """
    runs = np.asarray(runs, dtype=np.int64)
    if cover is None:
        cover = np.ones((len(runs), len(model.fire_side), model.n_sectors))
    if active is None:
        active = np.ones(len(runs), dtype=bool)
    max_missions = np.array([f.max_missions_per_day for f in model.scenario.fires], np.int64)
    return k.force_strikes(runs, day, _fire_keys(model, streams), model.fire_side,
                           model.fire_force_sectors, max_missions,
                           np.ascontiguousarray(forces), world.fire_force_missions,
                           world.fire_success, np.ascontiguousarray(cover), active)


def fire_support(model: Model, world, hits: np.ndarray):
    """Multiplier of each side's combat effectiveness in each sector today from the hits on
    its forces ``(R, F, S)``, ``(R, S, 2)``, or ``None`` when no fire system silences fire
    support (:func:`~powderkeg.model.fire_kernels.fire_support_multiplier`)."""
    if np.isinf(world.fire_halving).all():
        return None
    return k.fire_support_multiplier(hits, world.fire_halving, model.fire_side)


def repair_times(model: Model, world, streams: Streams, runs, day,
                 damaged: np.ndarray) -> np.ndarray:
    """Days of repair work for each damaged link, shape ``(R, E)`` (0 where not damaged).

    Each repair's time is the link's distribution at
    :func:`~powderkeg.model.fire_kernels.repair_uniform`: a run's common score for the
    link and the repair's own draw, so every repair keeps the distribution the scenario
    gives and two repairs of a link in one run correlate by ``repair_run_share``.
    """
    out = np.zeros(damaged.shape)
    links = np.flatnonzero(damaged.any(axis=0))
    if not len(links):
        return out
    u = k.repair_uniforms(np.asarray(runs, dtype=np.int64), day,
                          _keys(streams, [f"repair/{e}" for e in model.link_ids]), damaged,
                          world.repair_z, world.repair_share)
    by_distribution: dict = {}
    for e in links:
        by_distribution.setdefault(model.link_repair[e], []).append(e)
    for distribution, same in by_distribution.items():  # one call per distribution
        hit = damaged[:, same]
        times = np.zeros(hit.shape)
        times[hit] = distribution.ppf(u[:, same][hit])
        out[:, same] = times
    return out


def links_after_day(model, world, streams: Streams, runs, day, hits, repair: Repair) -> Repair:
    """Links after a day of repairs and today's hits ``(R, E)``
    (:func:`~powderkeg.model.fire_kernels.links_after_day`): a day's work on the links not
    struck; on the struck ones the damage, and the repair started again with a new draw."""
    times = repair_times(model, world, streams, runs, day, hits > 0)
    return Repair(*k.links_after_day(repair.frac, repair.left, repair.total, repair.base, hits,
                                     np.ascontiguousarray(world.damage), times))
