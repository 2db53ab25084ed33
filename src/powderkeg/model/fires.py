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

import weakref
from dataclasses import dataclass

import numpy as np

from powderkeg.model import fire_kernels as k
from powderkeg.model.build import Model
from powderkeg.model.fire_kernels import REPAIR_STEPS
from powderkeg.model.logistics import CAPACITY_DTYPE
from powderkeg.model.quantiles import NOT_COMPILED, quantile_code
from powderkeg.model.random import Streams
from powderkeg.model.record import RECORD_COUNT

__all__ = ["Repair", "REPAIR_STEPS", "DONE_DTYPE", "hits_dtype", "no_hits", "graph_arrays",
           "front_distance", "links_in_reach", "air_cover", "interdiction_day",
           "fires_on_forces_day", "repair_times"]

DONE_DTYPE = np.uint16  # whole days of repair work done: below 2**16, the streams' last day


@dataclass(frozen=True)
class Repair:
    """Each link's open capacity and its repair, arrays ``(R, E)``: the repair under way
    (or the last one) and the whole days of work done on it, from which its open fraction
    (on the grid of quarters) and the work left follow exactly
    (:func:`~powderkeg.model.fire_kernels.open_fraction`, ``work_left``)."""

    base: np.ndarray  # open fraction of intact capacity when the repair started
    total: np.ndarray  # days of work of the repair, as drawn (0 if none)
    done: np.ndarray  # uint16 whole days of work done on it (a run has under 2**16 days)

    @classmethod
    def started(cls, frac: np.ndarray, times: np.ndarray) -> Repair:
        """Repairs of ``times`` days starting today from open fractions ``frac``."""
        return cls(frac.copy(), times, np.zeros(frac.shape, DONE_DTYPE))

    @property
    def frac(self) -> np.ndarray:
        """Open fraction of each link's intact capacity."""
        return k.open_fractions(self.base, self.total, self.done)

    @property
    def left(self) -> np.ndarray:
        """Days of repair work left on each link, 0 if none."""
        return k.works_left(self.total, self.done)


def hits_dtype(model: Model):
    """The smallest integer type that holds a day's hits on a link: at most each system's
    ``max_missions_per_day``, one for each deep strike and one for the day's link events."""
    most = sum(f.max_missions_per_day for f in model.scenario.fires) + len(model.deep_side) + 1
    return next(t for t in (np.int8, np.int16, np.int32) if most <= np.iinfo(t).max)


def no_hits(model: Model, runs: int) -> np.ndarray:
    """``(R, E)`` hits of a day without any, in :func:`hits_dtype`."""
    return np.zeros((runs, model.n_links), hits_dtype(model))


@dataclass(frozen=True)
class _Arrays:
    """A model's fires as the kernels take them, gathered once per model."""

    max_missions: np.ndarray  # (F,) int64
    deep_ptr: np.ndarray  # (G + 1,) each deep strike's targets in deep_targets
    deep_targets: np.ndarray  # (sum T,) int64
    air_defended: bool  # some air defence can scale some air-delivered fire system
    enemy_defence: np.ndarray  # (F, A) the air defence is the other side's than the system's
    forces_covered: np.ndarray  # (S, A) the air defence covers the sector's forces
    repair_family: np.ndarray  # (E,) quantiles.quantile_code of each link's repair time
    repair_par: np.ndarray  # (E, 3)
    choice_ptr: np.ndarray  # (E + 1,)
    choice_values: np.ndarray
    choice_cum: np.ndarray
    not_compiled: dict  # distribution -> its links, for the families no kernel inverts
    hits_dtype: type  # :func:`hits_dtype`
    graphs: tuple  # per side, :func:`graph_arrays` of its supply network (empty for none)
    keys: dict  # seed -> (fire (F, 6), deep (G,), repair (E,)) stream keys


_ARRAYS: dict[int, _Arrays] = {}


def graph_arrays(g) -> tuple:
    """A supply network's arrays as :func:`~powderkeg.model.fire_kernels.vital_links_run`
    takes them: the residual graph (``edge_ptr``, ``heads``, ``rev``, ``pair_edge``), the
    pairs' tails and heads, source, sink, the sparse pair sum and link sum (pointers,
    columns, data), ``arc_pair``, ``arc_slot``, ``link_arcs`` and ``link_of_arc``; integers
    as int64. For no network (``g`` ``None``), empty arrays of the same types."""
    def ints(x):
        return np.ascontiguousarray(x, dtype=np.int64)

    if g is None:
        none, ptr = np.zeros(0, np.int64), np.zeros(1, np.int64)
        return (ptr, none, none, none, none, none, 0, 0, ptr, none, np.zeros(0), ptr, none,
                np.zeros(0), none, none, none, none)
    r, ps, ls = g.residual, g.pair_sum, g.link_sum
    return (ints(r.edge_ptr), ints(r.heads), ints(r.rev), ints(r.pair_edge), ints(g.pair_tail),
            ints(g.pair_head), int(g.source), int(g.sink), ints(ps.indptr), ints(ps.indices),
            np.ascontiguousarray(ps.data, dtype=float), ints(ls.indptr), ints(ls.indices),
            np.ascontiguousarray(ls.data, dtype=float), ints(g.arc_pair), ints(g.arc_slot),
            ints(g.link_arcs), ints(g.link_of_arc))


def _arrays(model: Model) -> _Arrays:
    """The model's :class:`_Arrays`, built on first use and dropped with the model."""
    got = _ARRAYS.get(id(model))
    if got is not None:
        return got
    codes = [quantile_code(d) for d in model.link_repair]
    not_compiled: dict = {}
    for e, (family, *_) in enumerate(codes):
        if family == NOT_COMPILED:
            not_compiled.setdefault(model.link_repair[e], []).append(e)
    sizes = [len(c[2]) for c in codes]
    targets = model.deep_targets
    got = _Arrays(
        max_missions=np.array([f.max_missions_per_day for f in model.scenario.fires], np.int64),
        deep_ptr=np.cumsum([0] + [len(t) for t in targets]).astype(np.int64),
        deep_targets=(np.concatenate(targets) if targets else np.zeros(0)).astype(np.int64),
        air_defended=bool(len(model.air_defence_side) and model.fire_air.any()),
        enemy_defence=model.fire_side[:, None] != model.air_defence_side[None, :],
        forces_covered=np.ascontiguousarray(model.air_defence_sectors.T),
        repair_family=np.array([c[0] for c in codes], np.int64),
        repair_par=np.array([c[1] for c in codes], dtype=float).reshape(-1, 3),
        choice_ptr=np.cumsum([0] + sizes).astype(np.int64),
        choice_values=np.concatenate([np.zeros(0)] + [c[2] for c in codes]),
        choice_cum=np.concatenate([np.zeros(0)] + [c[3] for c in codes]),
        not_compiled=not_compiled, hits_dtype=hits_dtype(model),
        graphs=tuple(graph_arrays(g) for g in model.flow_graphs), keys={})
    _ARRAYS[id(model)] = got
    weakref.finalize(model, _ARRAYS.pop, id(model), None)
    return got


_FIRE_STREAMS = ("missions", "target", "hit", "force_missions", "force_target", "force_hit")


def _keys(model: Model, streams: Streams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stream keys ``(fire (F, 6) in the order of fire_kernels.KEY_*, deep strikes (G,),
    repairs (E,))`` of ``streams``'s seed, computed once per model and seed."""
    keys = _arrays(model).keys
    if streams.seed not in keys:
        def of(names):
            return np.array([streams.key(name) for name in names], dtype=np.uint64)
        keys[streams.seed] = (
            of([f"fires/{f.id}/{kind}" for f in model.scenario.fires
                for kind in _FIRE_STREAMS]).reshape(-1, len(_FIRE_STREAMS)),
            of([f"deep/{g.id}" for g in model.scenario.deep_strikes]),
            of([f"repair/{e}" for e in model.link_ids]))
    return keys[streams.seed]


def front_distance(model: Model, front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each link to the nearest front line and that sector, each ``(R, E)``
    (:func:`~powderkeg.model.fire_kernels.front_distance_run`)."""
    return k.front_distances(model.link_front_km, np.ascontiguousarray(front, dtype=float))


def links_in_reach(model: Model, front: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Links within ``reach`` km (shape ``(R,)``) of any sector's front line, ``(R, E)``."""
    return front_distance(model, front)[0] <= reach[:, None]


def air_cover(model: Model, world, front: np.ndarray):
    """Today's air-defence multipliers ``(links (R, F, E), forces (R, F, S))``, or ``None``
    for a scenario without air defences or air-delivered fires.

    A defence covers its side's forces in its sectors and the links near their fronts
    (:func:`~powderkeg.model.fire_kernels.cover_of_links`, ``cover_of_forces``). The day's
    passes find the same cover run by run (:func:`interdiction_day`,
    :func:`fires_on_forces_day`).
    """
    a = _arrays(model)
    if not a.air_defended:
        return None
    dist, nearest = front_distance(model, front)
    return (k.cover_of_links(model.fire_air, a.enemy_defence, model.air_defence_sectors,
                             world.air_defence_factor, world.air_defence_depth, dist, nearest),
            k.cover_of_forces(model.fire_air, a.enemy_defence, model.air_defence_sectors,
                              world.air_defence_factor))


_NO_COVER = np.ones((0, 0, 0))  # the kernels' "no air defence": a multiplier of one


def interdiction_day(model, world, streams: Streams, runs, day, control, active, front,
                     repair: Repair, cap_slots, arc_flow):
    """The day's strikes on links and the links after them and a day of repairs, with
    today's air cover, in two compiled passes over the runs
    (:func:`~powderkeg.model.fire_kernels.strikes_day`, then
    :func:`~powderkeg.model.fire_kernels.repairs_day`), each run from its own rows.

    ``control`` ``(R, N)`` is the side holding each node, ``active`` ``(R,)`` the runs not in
    a ceasefire (no strikes in the others), ``front`` ``(R, S)``, ``repair`` yesterday's
    links, ``cap_slots`` and ``arc_flow`` each side's maximum flow (capacity slots ``(R, S)``
    and arc flows ``(R, A)``, or ``None``), whose most vital links are found for the runs some
    system flies missions against. A repair time of a family no kernel inverts (the beta) is
    inverted between the two passes by its ``ppf`` (:func:`repair_times`). Returns the
    strikes ``(R, F + G, E)`` by each fire system then each deep strike, the hits ``(R, E)``
    of all causes and of deep strikes alone, in :func:`hits_dtype`, the new
    :class:`Repair` and the links' air cover ``(R, F, E)`` (``None`` without air defences
    over air-delivered fires, :func:`air_cover`; the forces' is
    :func:`fires_on_forces_day`'s).
    """
    a = _arrays(model)
    fire_keys, deep_keys, repair_keys = _keys(model, streams)
    runs = np.asarray(runs, dtype=np.int64)
    n_runs, n_links, n_fires = len(runs), model.n_links, len(model.fire_side)
    strikes = np.zeros((n_runs, n_fires + len(model.deep_side), n_links), RECORD_COUNT)
    hits = np.zeros((n_runs, n_links), a.hits_dtype)
    deep, times = np.zeros_like(hits), np.zeros((n_runs, n_links))
    cover = np.ones((n_runs, n_fires, n_links)) if a.air_defended else _NO_COVER
    w, c = world, np.ascontiguousarray
    k.strikes_day(
        runs, day, c(active), model.link_front_km, c(front, dtype=float), c(control),
        model.link_from, model.link_to, c(w.capacity), repair.base, repair.total, repair.done,
        c(w.damage), fire_keys, model.fire_side, model.fire_exempt, a.max_missions,
        c(w.fire_missions), c(w.fire_reach), c(w.fire_redundancy), c(w.fire_favour),
        c(w.fire_success), model.fire_air, a.enemy_defence, model.air_defence_sectors,
        c(w.air_defence_factor), c(w.air_defence_depth), deep_keys, model.deep_side,
        a.deep_ptr, a.deep_targets, c(w.deep_rate), c(w.deep_success), a.graphs,
        np.array([s is not None for s in cap_slots]),
        tuple(np.zeros((n_runs, 0), CAPACITY_DTYPE) if s is None else s for s in cap_slots),
        tuple(np.zeros((n_runs, 0)) if f is None else f for f in arc_flow), repair_keys,
        c(w.repair_z), c(w.repair_share), a.repair_family, a.repair_par, a.choice_ptr,
        a.choice_values, a.choice_cum, strikes, hits, deep, times, cover)
    _invert_not_compiled(a, hits > 0, times)
    after = Repair(np.empty_like(repair.base), np.empty_like(repair.total),
                   np.empty_like(repair.done))
    k.repairs_day(repair.base, repair.total, repair.done, hits, c(w.damage), times, after.base,
                  after.total, after.done)
    return strikes, hits, deep, after, cover if a.air_defended else None


def fires_on_forces_day(model, world, streams: Streams, runs, day, active, forces, losses):
    """The day's fires on forces in one compiled pass over the runs
    (:func:`~powderkeg.model.fire_kernels.forces_day`), each run from its own rows.

    A system flies ``Poisson(launchers * missions * attrition_share)`` missions (capped at its
    ``max_missions_per_day``); each picks one of its ``force_sectors`` in proportion to the
    enemy personnel there (``forces`` ``(R, S, 2)``) and hits with the system's probability,
    not intercepted, times the air-defence cover of that sector (:func:`air_cover`). Only
    the runs ``active`` ``(R,)`` fly. Returns the hits ``(R, F, S)`` in
    :data:`~powderkeg.model.record.RECORD_COUNT`, the forces' air cover ``(R, F, S)``
    (``None`` without air defences over air-delivered fires), the forces and ``losses``
    ``(R, S, 2)`` after the hits (the arrays given, on a day no run was hit) and the fire
    support left ``(R, S, 2)``, ``None`` on a day no run was hit or when no system silences
    fire support.
    """
    a, w, c = _arrays(model), world, np.ascontiguousarray
    n_runs, n_fires = len(runs), len(model.fire_side)
    hits = np.zeros((n_runs, n_fires, model.n_sectors), RECORD_COUNT)
    cover = np.ones(hits.shape) if a.air_defended else _NO_COVER
    silences = not np.isinf(w.fire_halving).all()
    support = np.empty(forces.shape) if silences else np.empty((0,) + forces.shape[1:])
    new_forces, new_losses = np.empty_like(forces), np.empty_like(losses)
    struck = k.forces_day(
        np.asarray(runs, dtype=np.int64), day, c(active), _keys(model, streams)[0],
        model.fire_side, model.fire_force_sectors, a.max_missions, c(forces), c(losses),
        c(w.fire_force_missions), c(w.fire_success), c(w.fire_kills), c(w.fire_halving),
        model.fire_air, a.enemy_defence, a.forces_covered, c(w.air_defence_factor), hits, cover,
        new_forces, new_losses, support)
    if not struck:
        return hits, cover if a.air_defended else None, forces, losses, None
    return (hits, cover if a.air_defended else None, new_forces, new_losses,
            support if silences else None)


def repair_times(model: Model, world, streams: Streams, runs, day,
                 damaged: np.ndarray) -> np.ndarray:
    """Days of repair work for each damaged link, shape ``(R, E)`` (0 where not damaged).

    Each repair's time is the link's distribution at
    :func:`~powderkeg.model.fire_kernels.repair_uniform`: a run's common score for the
    link and the repair's own draw, so every repair keeps the distribution the scenario
    gives and two repairs of a link in one run correlate by ``repair_run_share``. The
    quantile is the kernel's (:func:`~powderkeg.model.fire_kernels.repair_times`), but for
    a family it does not compile (the beta), inverted here by the distribution's ``ppf``.
    """
    a = _arrays(model)
    out = k.repair_times(np.asarray(runs, dtype=np.int64), day, _keys(model, streams)[2],
                         damaged, world.repair_z, world.repair_share, a.repair_family,
                         a.repair_par, a.choice_ptr, a.choice_values, a.choice_cum)
    _invert_not_compiled(a, damaged, out)
    return out


def _invert_not_compiled(a: _Arrays, damaged: np.ndarray, times: np.ndarray) -> None:
    """Invert in place the quantiles ``times`` ``(R, E)`` the kernels left for the damaged
    links of a family they do not compile, by the distribution's ``ppf``."""
    for distribution, links in a.not_compiled.items():
        hit = damaged[:, links]
        if hit.any():
            q = times[:, links]
            q[hit] = distribution.ppf(q[hit])
            times[:, links] = q
