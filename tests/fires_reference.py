"""The NumPy implementation of interdiction and fires on forces the compiled kernels of
``powderkeg.model.fire_kernels`` replaced, kept as the reference ``test_fire_kernels``
compares them with bit for bit (the former ``model/fires.py`` and the two sub-steps of
``model/step.py``).
"""

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from powderkeg.model.build import KM_STEP, Model
from powderkeg.model.elementary import exp, expm1, ndtr, ndtri, powi
from powderkeg.model.events import apply_link_events
from powderkeg.model.fires import Repair
from powderkeg.model.logistics import vital_links
from powderkeg.model.network import link_usable
from powderkeg.model.random import Streams
from powderkeg.model.record import RECORD_COUNT

IDLE_WEIGHT = 0.01  # share of its open capacity a link carrying nothing weighs as a target


def front_distance(model: Model, front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each link to the nearest front line and that sector, each ``(R, E)``."""
    idx = np.clip(np.rint(front / KM_STEP).astype(int), 0, model.link_front_km.shape[2] - 1)
    per_sector = np.stack([model.link_front_km[s][:, idx[:, s]].T
                           for s in range(model.n_sectors)])  # (S, R, E)
    return per_sector.min(axis=0), per_sector.argmin(axis=0)


def links_in_reach(model: Model, front: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Links within ``reach`` km (shape ``(R,)``) of any sector's front line, ``(R, E)``."""
    return front_distance(model, front)[0] <= reach[:, None]


def target_weights(link_flow, open_cap, damage, vital, redundancy, favour):
    """Targeting weight of each link ``(R, E)``: the supply a hit would cut.

    ``w = f * damage * (1 if vital else redundancy) + IDLE_WEIGHT * redundancy * damage * c``
    times the doctrine's ``favour`` of the link's nearest sector, with ``f`` the tons it
    carried today and ``c`` its open capacity; ``redundancy`` is ``(R,)``.
    """
    r = redundancy[:, None]
    worth = np.where(vital, 1.0, r) * link_flow + IDLE_WEIGHT * r * open_cap
    return damage * worth * favour


def cover_multiplier(factor: np.ndarray, covers: np.ndarray) -> np.ndarray:
    """Multiplier on an air-delivered mission's chance to hit each target, ``(R, T)``.

    ``m_t = prod_a factor_a ** covers_at`` over the air defences ``a`` (``factor`` ``(R, A)``,
    ``covers`` bool ``(R, A, T)``): a sortie must get through every umbrella over its
    target, each letting through its own share independently. So the expected hits of
    missions against covered targets are the uncovered ones' times ``m_t``. Example: two
    defences of factors 0.5 and 0.8 over a target give 0.4; none gives 1.
    """
    return np.prod(np.where(covers, factor[:, :, None], 1.0), axis=1)


def _covered_by_enemy(model, world, covers) -> np.ndarray:
    """``(R, F, T)`` multiplier of each fire system given each air defence's ``covers``
    ``(R, A, T)``: the other side's defences scale an air-delivered system, else 1."""
    out = np.ones((covers.shape[0], len(model.fire_side), covers.shape[2]))
    for f in np.flatnonzero(model.fire_air):
        theirs = model.air_defence_side != model.fire_side[f]
        out[:, f] = cover_multiplier(world.air_defence_factor[:, theirs], covers[:, theirs])
    return out


def air_cover_links(model: Model, world, dist, nearest) -> np.ndarray:
    """Air-defence multiplier of each fire system's chance to hit each link, ``(R, F, E)``.

    An air defence covers a link whose nearest front line (``nearest``, ``(R, E)``) is one
    of its sectors' and within its ``depth_km`` (``dist``, km ``(R, E)``, from
    :func:`front_distance`). Fires strike only the enemy's links, so a defence scales
    strikes on its own side's links only (:func:`cover_multiplier`).
    """
    covers = (model.air_defence_sectors[:, nearest].transpose(1, 0, 2)
              & (dist[:, None, :] <= world.air_defence_depth[:, :, None]))
    return _covered_by_enemy(model, world, covers)


def _air_defended(model: Model) -> bool:
    """True if some air defence can scale some air-delivered fire system."""
    return bool(len(model.air_defence_side) and model.fire_air.any())


def air_cover(model: Model, world, front: np.ndarray):
    """Today's air-defence multipliers ``(links (R, F, E), forces (R, F, S))``, or ``None``
    for a scenario without air defences or air-delivered fires.

    A defence covers its side's forces in its sectors and the links near their fronts
    (:func:`air_cover_links`).
    """
    if not _air_defended(model):
        return None
    dist, nearest = front_distance(model, front)
    on_forces = np.broadcast_to(model.air_defence_sectors,
                                (len(front),) + model.air_defence_sectors.shape)
    return (air_cover_links(model, world, dist, nearest),
            _covered_by_enemy(model, world, on_forces))


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn with probability proportional to the weights whose row-wise cumulative sums
    are ``cum``, by inversion at ``u``."""
    return np.minimum((cum < (u * cum[:, -1])[:, None]).sum(axis=1), cum.shape[1] - 1)


def poisson_capped(u: np.ndarray, mean: np.ndarray, cap: int) -> np.ndarray:
    """Inverse Poisson distribution function at ``u``, capped at ``cap``."""
    term = exp(-mean)
    cdf = term.copy()
    n = np.zeros(np.shape(u), dtype=int)
    for k in range(1, cap + 1):
        n += u > cdf
        term = term * mean / k
        cdf = cdf + term
    return n


def fire_hits(model, world, streams: Streams, runs, day, front, usable_by_side, link_flow,
              open_cap, vital_of_side) -> np.ndarray:
    """Number of hits on each link today by each fire system, shape ``(F, R, E)``.

    ``vital_of_side(side, rows)`` gives the vital links ``(len(rows), E)`` of ``side``'s
    network for the runs ``rows`` (computed only for runs that fly missions).
    """
    hits = np.zeros((len(model.scenario.fires),) + open_cap.shape, dtype=int)
    rows = np.arange(len(runs))
    dist, nearest = front_distance(model, front)
    cover = air_cover_links(model, world, dist, nearest) if _air_defended(model) else None
    for f, fire in enumerate(model.scenario.fires):
        target_side = 1 - model.fire_side[f]
        ok = (dist <= world.fire_reach[:, f, None]) & usable_by_side[target_side]
        ok &= (open_cap > 0) & ~model.fire_exempt[f]
        cap = fire.max_missions_per_day
        u_n = streams.uniform(f"fires/{fire.id}/missions", runs, day)[:, 0]
        n = poisson_capped(u_n, world.fire_missions[:, f], cap)
        flying = np.flatnonzero((n > 0) & ok.any(axis=1))
        if not len(flying):
            continue
        favour = np.take_along_axis(world.fire_favour[flying, f], nearest[flying], axis=1)
        weight = np.where(ok[flying], target_weights(
            link_flow[flying], open_cap[flying], world.damage[flying],
            vital_of_side(target_side, flying), world.fire_redundancy[flying, f], favour), 0.0)
        cum = np.cumsum(weight, axis=1)
        u_t = streams.uniform(f"fires/{fire.id}/target", runs[flying], day, cap)
        u_h = streams.uniform(f"fires/{fire.id}/hit", runs[flying], day, cap)
        chance = world.fire_success[flying, f]
        for k in range(cap):
            target = _pick(cum, u_t[:, k])
            p = chance if cover is None else chance * cover[flying, f, target]
            strike = (cum[:, -1] > 0) & (n[flying] > k) & (u_h[:, k] < p)
            np.add.at(hits[f], (rows[flying][strike], target[strike]), 1)
    return hits


def force_hits(model, world, streams: Streams, runs, day, forces, cover=None) -> np.ndarray:
    """Hits on the enemy's forces in each sector today by each fire system, ``(F, R, S)``.

    A system flies ``Poisson(launchers * missions * attrition_share)`` missions (capped at its
    ``max_missions_per_day``); each picks one of its ``force_sectors`` in proportion to the
    enemy personnel there (``forces`` ``(R, S, 2)``) and hits with the system's probability,
    not intercepted, times the air-defence ``cover`` of that sector (``(R, F, S)``,
    :func:`air_cover`; none: 1).
    """
    fires = model.scenario.fires
    hits = np.zeros((len(fires), len(runs), model.n_sectors), dtype=int)
    rows = np.arange(len(runs))
    for f, fire in enumerate(fires):
        if not (world.fire_force_missions[:, f] > 0).any():
            continue
        cap = fire.max_missions_per_day
        enemy = np.where(model.fire_force_sectors[f], forces[..., 1 - model.fire_side[f]], 0.0)
        cum = np.cumsum(enemy, axis=1)
        n = poisson_capped(streams.uniform(f"fires/{fire.id}/force_missions", runs, day)[:, 0],
                           world.fire_force_missions[:, f], cap)
        u_t = streams.uniform(f"fires/{fire.id}/force_target", runs, day, cap)
        u_h = streams.uniform(f"fires/{fire.id}/force_hit", runs, day, cap)
        for k in range(cap):
            target = _pick(cum, u_t[:, k])
            p = world.fire_success[:, f] * (1.0 if cover is None else cover[rows, f, target])
            strike = (cum[:, -1] > 0) & (n > k) & (u_h[:, k] < p)
            np.add.at(hits[f], (rows[strike], target[strike]), 1)
    return hits


def fire_support(model: Model, world, hits: np.ndarray):
    """Multiplier of each side's combat effectiveness in each sector today from the hits on
    its forces, ``(R, S, 2)``, or ``None`` when no fire system silences fire support.

    ``m = 1 / (1 + sum_f h_f / H_f)`` for the side struck by system ``f``, with ``h_f`` its
    hits on that sector's forces today (``hits`` ``(R, F, S)``) and ``H_f`` its
    ``hits_to_halve_fire_support``: ``H_f`` hits halve the side's effectiveness for the day
    (its guns and their crews silenced) and no number of hits takes it to zero. Example: 2
    hits of a system with ``H = 2`` give 0.5, 6 hits give 0.25.
    """
    if np.isinf(world.fire_halving).all():
        return None
    load = np.zeros((hits.shape[0], hits.shape[2], 2))
    for f in range(hits.shape[1]):
        load[..., 1 - model.fire_side[f]] += hits[:, f] / world.fire_halving[:, f, None]
    return 1.0 / (1.0 + load)


def deep_strike_hits(model, world, streams: Streams, runs, day, usable_by_side) -> np.ndarray:
    """Hits by each deep strike today, shape ``(G, R, E)``: at most one per kind and day."""
    hits = np.zeros((len(model.scenario.deep_strikes), len(runs), model.n_links), dtype=int)
    rows = np.arange(len(runs))
    for g, deep in enumerate(model.scenario.deep_strikes):
        u = streams.uniform(f"deep/{deep.id}", runs, day, 3)
        targets = model.deep_targets[g]
        pick = targets[np.minimum((u[:, 1] * len(targets)).astype(int), len(targets) - 1)]
        usable = usable_by_side[1 - model.deep_side[g]][rows, pick]
        strike = u[:, 0] < -expm1(-world.deep_rate[:, g])
        strike &= u[:, 2] < world.deep_success[:, g]
        strike &= usable
        np.add.at(hits[g], (rows[strike], pick[strike]), 1)
    return hits


def repair_times(model: Model, world, streams: Streams, runs, day,
                 damaged: np.ndarray) -> np.ndarray:
    """Days of repair work for each damaged link, shape ``(R, E)`` (0 where not damaged).

    Each repair's time is the link's distribution at ``Phi(sqrt(c) z_run + sqrt(1 - c) z)``:
    ``z_run`` is the run's normal score for the link (its repair crews and materials, a
    per-run parameter that sensitivity and fitting can reach), ``z`` the repair's own, and
    ``c`` the share common to a run (``repair_run_share``). Every repair keeps the
    distribution the scenario gives; two repairs of a link in one run correlate by ``c``
    on the normal scale.
    """
    out = np.zeros(damaged.shape)
    links = np.flatnonzero(damaged.any(axis=0))
    if not len(links):
        return out
    own = np.stack([streams.uniform(f"repair/{model.link_ids[e]}", runs, day)[:, 0]
                    for e in links], axis=1)
    share = world.repair_share[:, None]
    u = ndtr(np.sqrt(share) * world.repair_z[:, links] + np.sqrt(1 - share) * ndtri(own))
    for k, e in enumerate(links):
        rows = damaged[:, e]
        out[rows, e] = model.link_repair[e].ppf(u[rows, k])
    return out


REPAIR_STEPS = 4  # a repair brings the capacity back in quarters of its gap


class Links(NamedTuple):
    """Each link's open capacity and its repair as four float64 arrays ``(R, E)``, the
    former state (the state keeps the repair's start and the whole days of work done)."""

    frac: np.ndarray  # open fraction of intact capacity
    left: np.ndarray  # days of repair work left, 0 if none
    total: np.ndarray  # days of work of the repair under way
    base: np.ndarray  # open fraction when that repair started


def compact(links: Links) -> Repair:
    """The state's :class:`Repair` of ``links``: the days of work done are the drawn time
    less what is left, or, once none is left, the whole days it took; asserts that the
    open fraction and the work left it gives are ``links``' to the last bit."""
    done = np.where(links.left == links.total, 0.0,
                    np.where(links.left > 0, links.total - links.left, np.ceil(links.total)))
    repair = Repair(links.base, links.total, done.astype(np.uint16))
    assert repair.frac.tobytes() == links.frac.tobytes()
    assert repair.left.tobytes() == links.left.tobytes()
    return repair


def apply_hits(model, world, streams, runs, day, hits, repair: Links) -> Links:
    """Links after today's hits.

    Each hit removes ``damage`` of the open capacity, ``frac (1 - damage)^hits``; the repair
    starts again from there, with work the larger of what was left and a new draw.
    """
    hit = hits > 0
    frac = repair.frac * powi(1.0 - world.damage, hits)
    left = np.where(hit, np.maximum(repair.left, repair_times(model, world, streams, runs, day,
                                                              hit)), repair.left)
    return Links(frac, left, np.where(hit, left, repair.total),
                 np.where(hit, frac, repair.base))


def apply_repairs(repair: Links, struck) -> Links:
    """A day of repair on the links not struck today, restoring capacity in steps.

    The work left falls by a day; the capacity is ``base + (1 - base) floor(K p) / K`` with
    ``p = 1 - left / total`` the share of the work done and ``K = REPAIR_STEPS``, so it comes
    back in ``K`` steps and is full when the work is done.
    """
    working = (repair.left > 0) & ~struck
    left = np.where(working, np.maximum(repair.left - 1.0, 0.0), repair.left)
    done = 1.0 - np.divide(left, repair.total, out=np.zeros_like(left),
                           where=repair.total > 0)
    steps = np.floor(done * REPAIR_STEPS + 1e-9) / REPAIR_STEPS
    frac = np.where(working, repair.base + (1.0 - repair.base) * steps, repair.frac)
    return Links(frac, left, repair.total, repair.base)


def interdiction(model, world, state, streams, runs, day, control, ceasefire):
    """The former ``step._interdiction``; the strikes in the record's ``RECORD_COUNT``."""
    usable = (link_usable(model, control, 0), link_usable(model, control, 1))
    open_cap = world.capacity * state.link_frac

    def vital_of_side(side, rows):
        g = model.flow_graphs[side]
        if g is None or state.arc_cap[side] is None:
            return np.zeros((len(rows), model.n_links), dtype=bool)
        return vital_links(g, state.arc_cap[side][rows], state.arc_flow[side][rows])

    strikes = np.concatenate([
        fire_hits(model, world, streams, runs, day, state.front, usable, state.link_flow,
                  open_cap, vital_of_side),
        deep_strike_hits(model, world, streams, runs, day, usable)]).transpose(1, 0, 2)
    strikes[ceasefire] = 0
    hits = strikes.sum(axis=1)
    links = Links(state.repair.frac, state.repair.left, state.repair.total, state.repair.base)
    links = apply_repairs(links, hits > 0)
    links = apply_hits(model, world, streams, runs, day, hits, links)
    repair, hits = apply_link_events(model, world, streams, runs, day, compact(links), hits)
    deep = strikes[:, len(model.scenario.fires):].sum(axis=1)
    return replace(state, day=day, repair=repair, hits=hits,
                   deep_hits=deep), strikes.astype(RECORD_COUNT), None


def fires_on_forces(model, world, state, streams, runs, day, ceasefire, cover_found):
    """The former ``step._fires_on_forces`` (which found the air cover itself; the step's
    ``cover_found`` is not used); the hits in the record's ``RECORD_COUNT``."""
    cover = air_cover(model, world, state.front)
    hits = force_hits(model, world, streams, runs, day, state.forces,
                      None if cover is None else cover[1]).transpose(1, 0, 2)
    hits[ceasefire] = 0
    if not hits.any():
        return state, hits.astype(RECORD_COUNT), cover, None
    kills = np.zeros_like(state.forces)
    for f in range(hits.shape[1]):
        enemy = 1 - model.fire_side[f]
        kills[..., enemy] += hits[:, f] * world.fire_kills[:, f, None]
    kills = np.minimum(kills, state.forces)
    return (replace(state, forces=state.forces - kills, losses=state.losses + kills),
            hits.astype(RECORD_COUNT), cover, fire_support(model, world, hits))
