"""Compiled per-run kernels of interdiction and fires on forces (:mod:`powderkeg.model.fires`).

Each function below is one equation of the fires model, compiled with Numba (``cache=True``,
``nogil=True``, no fast-math, so no fused multiply-adds or reordered sums): it works on one
run's flat arrays, and the batch drivers at the end loop over runs. Random numbers are drawn
inside, only where a decision needs them, with :func:`powderkeg.model.random.uniform_scalar`:
a draw is a function of (stream key, run, day, draw number) alone, so a kernel that skips a
run's unneeded draws gives the same values as the NumPy code that drew them for every run.
The arithmetic is done in the order the NumPy formulation did it, so the results are the
same bits (``tests/test_fire_kernels.py`` runs both and compares every output).

Shapes: ``R`` runs, ``E`` links, ``S`` sectors, ``F`` fire systems, ``G`` deep strikes,
``A`` air defences, ``K`` entries of the link-to-front distance table.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.build import KM_STEP
from powderkeg.model.daily_flow import link_sum
from powderkeg.model.elementary import (
    exp_scalar,
    expm1_scalar,
    ndtr_scalar,
    ndtri_scalar,
    powi_scalar,
)
from powderkeg.model.maxflow import cut_pairs
from powderkeg.model.quantiles import NOT_COMPILED, quantile_scalar
from powderkeg.model.random import uniform_scalar
from powderkeg.model.record import RECORD_COUNT

__all__ = ["IDLE_WEIGHT", "REPAIR_STEPS", "poisson_capped_scalar", "front_distance_run",
           "front_distances", "cover_multiplier_scalar", "target_weight", "pick_index",
           "open_capacities", "mission_draws_run", "missions_in_reach_run", "flown_against",
           "vital_workspace", "vital_links_run", "cover_of_links_run", "cover_of_links",
           "cover_of_forces_run", "cover_of_forces", "link_strikes_run", "deep_strike_run",
           "deep_strikes_run", "force_strikes_run", "forces_after_hits_run", "fire_support_run",
           "forces_day", "repair_uniform",
           "repair_times_run", "repair_times", "work_left", "open_fraction", "repair_step",
           "hit_link", "links_after_day_run", "open_fractions", "works_left", "hits_of_day_run",
           "strikes_day", "repairs_day", "warm_up"]

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
IDLE_WEIGHT = 0.01  # share of its open capacity a link carrying nothing weighs as a target
REPAIR_STEPS = 4  # a repair brings the capacity back in quarters of its gap
KEY_MISSIONS, KEY_TARGET, KEY_HIT, KEY_FORCE_MISSIONS, KEY_FORCE_TARGET, KEY_FORCE_HIT = range(6)


@njit(**_JIT)
def poisson_capped_scalar(u: float, mean: float, cap: int) -> int:
    """Inverse Poisson distribution function at ``u``, capped at ``cap``.

    ``n = #{k in 1..cap : u > F(k - 1)}`` with ``F(k) = sum_{j<=k} e^-mean mean^j / j!``
    accumulated term by term (``t_k = t_{k-1} mean / k``). Example: ``u = 0.5``,
    ``mean = 1`` gives ``F(0) = 0.368 < 0.5 <= F(1) = 0.736``, so ``n = 1``.
    """
    term = exp_scalar(-mean)
    cdf = term
    n = 0
    for k in range(1, cap + 1):
        if not u > cdf:
            break  # the cdf only grows: no later k counts either
        n += 1
        term = term * mean / k
        cdf = cdf + term
    return n


@njit(**_JIT)
def front_distance_run(link_front_km, front, dist, nearest):
    """Distance of each link to the nearest front line (km) and that sector, one run.

    ``d_e = min_s D[s, e, k_s]`` with ``k_s = clip(rint(front_s / KM_STEP), 0, K - 1)``
    (``link_front_km`` ``D`` ``(S, E, K)``, the table's step in km; ``front`` ``(S,)``), written
    into ``dist`` ``(E,)`` and ``nearest`` ``(E,)`` (the first sector at the minimum).
    """
    n_sec, n_links, k_max = link_front_km.shape
    for e in range(n_links):
        dist[e] = np.inf
        nearest[e] = 0
    for s in range(n_sec):
        k = min(max(int(np.rint(front[s] / KM_STEP)), 0), k_max - 1)
        for e in range(n_links):
            d = link_front_km[s, e, k]
            if d < dist[e] or s == 0:
                dist[e] = d
                nearest[e] = s
    return dist, nearest


@njit(**_JIT)
def front_distances(link_front_km, front):
    """:func:`front_distance_run` of every run: ``dist`` ``(R, E)`` km and ``nearest``
    ``(R, E)`` for fronts ``(R, S)``."""
    n_runs, n_links = front.shape[0], link_front_km.shape[1]
    dist = np.empty((n_runs, n_links))
    nearest = np.empty((n_runs, n_links), np.int64)
    for r in range(n_runs):
        front_distance_run(link_front_km, front[r], dist[r], nearest[r])
    return dist, nearest


@njit(**_JIT)
def cover_multiplier_scalar(factor, covered, theirs) -> float:
    """Multiplier on an air-delivered mission's chance to hit one target.

    ``m = prod_a factor_a ** covers_a`` over the enemy's air defences (``theirs`` ``(A,)``
    bool; ``covered`` ``(A,)`` bool: the defence covers the target; ``factor`` ``(A,)``): a
    sortie must get through every umbrella over its target (note 018). Two defences of
    factors 0.5 and 0.8 over a target give 0.4; none gives 1.
    """
    m = 1.0
    for a in range(factor.size):
        if theirs[a] and covered[a]:
            m *= factor[a]
    return m


@njit(**_JIT)
def target_weight(flow, open_cap, damage, vital, redundancy, favour) -> float:
    """Targeting weight of one link: the supply a hit would cut.

    ``w = damage (v f + IDLE_WEIGHT r c) favour`` with ``v = 1`` on a vital link (a most
    vital arc, Wollmer 1964) and ``v = r`` (``redundancy``) otherwise, ``f`` the tons it
    carried today and ``c`` its open capacity.
    """
    worth = (1.0 if vital else redundancy) * flow + IDLE_WEIGHT * redundancy * open_cap
    return damage * worth * favour


@njit(**_JIT)
def pick_index(cum, x) -> int:
    """Index drawn with probability proportional to the weights whose cumulative sums are
    ``cum`` ``(T,)``, by inversion at ``x = u cum[-1]``: ``min(#{t : cum_t < x}, T - 1)``."""
    n = 0
    for t in range(cum.size):
        if cum[t] < x:
            n += 1
    return min(n, cum.size - 1)


@njit(**_JIT)
def _usable(control, link_from, link_to, e, side) -> bool:
    """Whether ``side`` holds both ends of link ``e`` (``control`` ``(N,)`` of one run)."""
    return control[link_from[e]] == side and control[link_to[e]] == side


@njit(**_JIT)
def _in_reach(e, f, dist, reach, control, link_from, link_to, open_cap, exempt, side) -> bool:
    """Whether system ``f`` may strike link ``e``: within ``reach``, the enemy's (``side``)
    and usable by it, open and not exempt."""
    return (dist[e] <= reach and _usable(control, link_from, link_to, e, side)
            and open_cap[e] > 0 and not exempt[f, e])


@njit(**_JIT)
def open_capacities(capacity, base, total, done, out):
    """One run's open capacity of each link, ``c_e = C_e frac_e`` with ``frac_e`` the
    :func:`open_fraction` of its repair, into ``out`` ``(E,)`` (``capacity`` ``C`` and the
    repair's ``base``, ``total``, ``done`` ``(E,)``)."""
    for e in range(out.size):
        out[e] = capacity[e] * open_fraction(base[e], total[e], done[e])


@njit(**_JIT)
def mission_draws_run(run, day, keys, max_missions, missions, n) -> bool:
    """Each system's missions against links today in one run before the reach is known,
    ``n_f = poisson_capped(u, missions_f, max_missions_f)`` with ``u`` draw 0 of the
    system's ``missions`` stream, into ``n`` ``(F,)`` (``missions`` ``(F,)``); whether any
    system flies. :func:`missions_in_reach_run` then keeps those with a link in reach."""
    flies = False
    for f in range(n.size):
        n[f] = poisson_capped_scalar(uniform_scalar(keys[f, KEY_MISSIONS], run, day, 0),
                                     missions[f], max_missions[f])
        flies = flies or n[f] > 0
    return flies


@njit(**_JIT)
def missions_in_reach_run(fire_side, exempt, dist, control, link_from, link_to, open_cap,
                          reach, n):
    """Each system's missions against links today in one run: the draws ``n`` ``(F,)`` of
    :func:`mission_draws_run`, set to 0 where no link is in reach (:func:`_in_reach`;
    ``dist`` ``(E,)`` today's front distances, :func:`front_distance_run`; ``reach``
    ``(F,)``). A draw is a function of its stream, run and day alone, so drawing before the
    reach is known gives the same missions. The caller sets 0 for a run in a ceasefire."""
    for f in range(fire_side.size):
        if n[f] == 0:
            continue
        side = 1 - fire_side[f]
        in_reach = False
        for e in range(open_cap.size):
            if _in_reach(e, f, dist, reach[f], control, link_from, link_to, open_cap, exempt,
                         side):
                in_reach = True
                break
        if not in_reach:
            n[f] = 0


@njit(**_JIT)
def flown_against(n, fire_side, side) -> bool:
    """Whether some system of the other side than ``side`` flies missions today (``n``
    ``(F,)`` of one run): then its targeting needs ``side``'s vital links."""
    for f in range(fire_side.size):
        if fire_side[f] == 1 - side and n[f] > 0:
            return True
    return False


@njit(**_JIT)
def _csr_sums(ptr, cols, data, values, out):
    """Row sums of a sparse ``(P, A)`` matrix times ``values`` ``(A,)`` into ``out`` ``(P,)``:
    ``out_p = sum_j data_j values_cols_j`` over row ``p``'s entries in their stored order,
    from 0, as SciPy's ``csr_matvecs`` adds them (so the same bits as ``matrix @ values``)."""
    for p in range(out.size):
        total = 0.0
        for j in range(ptr[p], ptr[p + 1]):
            total += data[j] * values[cols[j]]
        out[p] = total


@njit(**_JIT)
def vital_workspace(graph):
    """Work arrays of :func:`vital_links_run` for a supply ``graph`` (:func:`graph_arrays`'
    tuple): the pairs' capacities and flows ``(1, P)``, arc values ``(A,)``, link sums
    ``(E,)``."""
    n_pairs, n_arcs, n_links = graph[8].size - 1, graph[14].size, graph[11].size - 1
    return (np.empty((1, n_pairs)), np.empty((1, n_pairs)), np.empty(n_arcs),
            np.empty(max(n_links, 0)))


@njit(**_JIT)
def vital_links_run(graph, slots, arc_flow, work, vital):
    """The most vital links of one side's network in one run, into ``vital`` ``(E,)``
    (Wollmer 1964).

    A link is vital when one of its arcs lies on a minimum cut of the run's maximum flow:
    the arcs' capacities (``slots`` spread on the arcs, ``c_a = s_slot(a)``) and flows
    ``arc_flow`` ``(A,)`` are summed per node pair (the sparse ``(P, A)`` sum,
    :func:`_csr_sums`), the pairs on a cut found by
    :func:`powderkeg.model.maxflow.cut_pairs`, and ``v_e = sum_a L_ea [pair of a on a cut]
    > 0`` (the sparse ``(E, A)`` link sum). ``graph`` is :func:`graph_arrays`' tuple,
    ``work`` :func:`vital_workspace`'s. The same as
    :func:`powderkeg.model.logistics.vital_links` of the run.
    """
    (edge_ptr, heads, rev, pair_edge, pair_tail, pair_head, source, sink, pair_ptr, pair_cols,
     pair_data, link_ptr, link_cols, link_data, arc_pair, arc_slot, _, _) = graph
    pair_cap, pair_flow, arc_values, link_cut = work
    for a in range(arc_pair.size):
        arc_values[a] = float(slots[arc_slot[a]])
    _csr_sums(pair_ptr, pair_cols, pair_data, arc_values, pair_cap[0])
    _csr_sums(pair_ptr, pair_cols, pair_data, arc_flow, pair_flow[0])
    on_cut = cut_pairs(edge_ptr, heads, rev, pair_edge, pair_tail, pair_head, source, sink,
                       pair_cap, pair_flow)
    for a in range(arc_pair.size):
        arc_values[a] = 1.0 if on_cut[0, arc_pair[a]] else 0.0
    _csr_sums(link_ptr, link_cols, link_data, arc_values, link_cut)
    for e in range(link_cut.size):
        vital[e] = link_cut[e] > 0


@njit(**_JIT)
def cover_of_links_run(fire_air, enemy_defence, ad_sectors, factor, depth, dist, nearest,
                       covered, out):
    """Air-defence multiplier of each system's chance to hit each link in one run, into
    ``out`` ``(F, E)``.

    A defence ``a`` covers a link whose nearest front (``nearest`` ``(E,)``) is one of its
    sectors (``ad_sectors`` ``(A, S)``) within its ``depth`` ``(A,)`` km (``dist`` ``(E,)``);
    an air-delivered system (``fire_air`` ``(F,)``) gets :func:`cover_multiplier_scalar`
    over the defences of the other side (``enemy_defence`` ``(F, A)``, ``factor`` ``(A,)``),
    any other system 1. ``covered`` ``(A,)`` is work space.
    """
    n_fires, n_defences = enemy_defence.shape
    for e in range(dist.size):
        for a in range(n_defences):
            covered[a] = ad_sectors[a, nearest[e]] and dist[e] <= depth[a]
        for f in range(n_fires):
            out[f, e] = (cover_multiplier_scalar(factor, covered, enemy_defence[f])
                         if fire_air[f] else 1.0)


@njit(**_JIT)
def cover_of_links(fire_air, enemy_defence, ad_sectors, factor, depth, dist, nearest):
    """:func:`cover_of_links_run` of every run, ``(R, F, E)`` for ``factor``, ``depth``
    ``(R, A)`` and ``dist``, ``nearest`` ``(R, E)``."""
    out = np.empty((dist.shape[0], enemy_defence.shape[0], dist.shape[1]))
    covered = np.empty(enemy_defence.shape[1], np.bool_)
    for r in range(dist.shape[0]):
        cover_of_links_run(fire_air, enemy_defence, ad_sectors, factor[r], depth[r], dist[r],
                           nearest[r], covered, out[r])
    return out


@njit(**_JIT)
def cover_of_forces_run(fire_air, enemy_defence, covered, factor, out):
    """Air-defence multiplier of each system's chance to hit each sector's forces in one
    run, into ``out`` ``(F, S)``: a defence covers its side's forces in its sectors
    (``covered`` ``(S, A)``, the air defences' sectors transposed);
    :func:`cover_multiplier_scalar` over the other side's defences (``enemy_defence``
    ``(F, A)``, the run's ``factor`` ``(A,)``) for air-delivered systems (``fire_air``
    ``(F,)``), else 1."""
    for f in range(enemy_defence.shape[0]):
        for s in range(covered.shape[0]):
            out[f, s] = (cover_multiplier_scalar(factor, covered[s], enemy_defence[f])
                         if fire_air[f] else 1.0)


@njit(**_JIT)
def cover_of_forces(fire_air, enemy_defence, ad_sectors, factor):
    """:func:`cover_of_forces_run` of every run, ``(R, F, S)`` for ``factor`` ``(R, A)`` and
    the air defences' sectors ``ad_sectors`` ``(A, S)``."""
    covered = np.ascontiguousarray(ad_sectors.T)  # (S, A)
    out = np.empty((factor.shape[0], enemy_defence.shape[0], ad_sectors.shape[1]))
    for r in range(factor.shape[0]):
        cover_of_forces_run(fire_air, enemy_defence, covered, factor[r], out[r])
    return out


@njit(**_JIT)
def _cover_at(cover, f, t) -> float:
    """The air-defence multiplier ``cover[f, t]`` of one run, or 1 where ``cover`` is empty
    (a scenario without air defences over air-delivered fires allocates none)."""
    return cover[f, t] if cover.shape[0] else 1.0


@njit(**_JIT)
def _weights_cumulated(f, dist, nearest, reach, control, link_from, link_to, open_cap, exempt,
                       side, link_flow, damage, vital, redundancy, favour, cum):
    """Cumulative targeting weights ``cum`` ``(E,)`` of system ``f`` in one run: the
    :func:`target_weight` of each link in reach (:func:`_in_reach`), 0 elsewhere
    (``vital`` ``(E,)`` the target side's, ``favour`` ``(S,)`` the system's)."""
    total = 0.0
    for e in range(cum.size):
        w = 0.0
        if _in_reach(e, f, dist, reach, control, link_from, link_to, open_cap, exempt, side):
            w = target_weight(link_flow[e], open_cap[e], damage[e], vital[e], redundancy,
                              favour[nearest[e]])
        total += w
        cum[e] = total
    return total


@njit(**_JIT)
def link_strikes_run(run, day, keys, fire_side, exempt, n, dist, nearest, control, link_from,
                     link_to, open_cap, link_flow, damage, vital, reach, redundancy, favour,
                     success, cover, cum, strikes):
    """Hits of each system's missions on links in one run, added into ``strikes``
    ``(F + G, E)``.

    Mission ``k < n_f`` picks link ``e`` with probability ``w_e / sum w`` (weights by
    :func:`target_weight`, in reach only; inversion at draw ``k`` of the ``target`` stream,
    :func:`pick_index`) and hits if draw ``k`` of the ``hit`` stream is below
    ``success_f cover_fe`` (``cover`` ``(F, E)``, :func:`cover_of_links_run`; empty without
    air defences, :func:`_cover_at`). ``vital`` ``(2, E)``: each side's most vital links
    today; ``reach``, ``redundancy``, ``success`` ``(F,)``, ``favour`` ``(F, S)``; ``cum``
    ``(E,)`` work space.
    """
    for f in range(fire_side.size):
        if n[f] == 0:
            continue
        side = 1 - fire_side[f]
        total = _weights_cumulated(f, dist, nearest, reach[f], control, link_from, link_to,
                                   open_cap, exempt, side, link_flow, damage, vital[side],
                                   redundancy[f], favour[f], cum)
        if not total > 0:
            continue
        for k in range(n[f]):
            target = pick_index(cum, uniform_scalar(keys[f, KEY_TARGET], run, day, k) * total)
            p = success[f] * _cover_at(cover, f, target)
            if uniform_scalar(keys[f, KEY_HIT], run, day, k) < p:
                strikes[f, target] += 1


@njit(**_JIT)
def deep_strike_run(key, run, day, targets, rate, success, control, link_from, link_to, side):
    """The link a deep strike hits today in one run, or -1 (at most one a day).

    With draws ``u_0, u_1, u_2`` of its stream: the target is
    ``targets[min(floor(u_1 T), T - 1)]``, struck if ``u_0 < 1 - e^-rate`` (a Poisson
    process's chance of an attempt in a day), ``u_2 < success`` and the enemy (``side``)
    uses the link.
    """
    u0 = uniform_scalar(key, run, day, 0)
    u1 = uniform_scalar(key, run, day, 1)
    u2 = uniform_scalar(key, run, day, 2)
    pick = targets[min(int(u1 * targets.size), targets.size - 1)]
    if u0 < -expm1_scalar(-rate) and u2 < success and _usable(control, link_from, link_to,
                                                              pick, side):
        return pick
    return -1


@njit(**_JIT)
def deep_strikes_run(run, day, keys, deep_side, target_ptr, targets, rate, success, control,
                     link_from, link_to, first, strikes):
    """Each deep strike's hit today in one run (:func:`deep_strike_run`), added into
    ``strikes`` ``(F + G, E)`` at index ``first + g``; ``targets[target_ptr[g]:target_ptr[g +
    1]]`` are strike ``g``'s, ``rate``, ``success`` ``(G,)``."""
    for g in range(deep_side.size):
        e = deep_strike_run(keys[g], run, day, targets[target_ptr[g]:target_ptr[g + 1]],
                            rate[g], success[g], control, link_from, link_to,
                            1 - deep_side[g])
        if e >= 0:
            strikes[first + g, e] += 1


@njit(**_JIT)
def force_strikes_run(run, day, keys, fire_side, force_sectors, max_missions, forces, missions,
                      success, cover, cum, hits) -> bool:
    """Hits on the enemy's forces in each sector today by each system in one run, added into
    ``hits`` ``(F, S)`` (zeros on entry); whether any.

    ``n ~ Poisson(missions_f)`` capped at ``max_missions_f`` (:func:`poisson_capped_scalar`
    at draw 0 of ``force_missions``); mission ``k`` picks sector ``s`` among the system's
    ``force_sectors`` ``(F, S)`` with probability proportional to the enemy personnel there
    (``forces`` ``(S, 2)``; :func:`pick_index` at draw ``k`` of ``force_target``) and hits
    if draw ``k`` of ``force_hit`` is below ``success_f cover_fs`` (``cover`` ``(F, S)``,
    :func:`cover_of_forces_run`; empty for none, :func:`_cover_at`). ``cum`` ``(S,)`` is
    work space.
    """
    struck = False
    for f in range(fire_side.size):
        if not missions[f] > 0:
            continue  # no missions: a Poisson of mean 0 is 0
        enemy = 1 - fire_side[f]
        total = 0.0
        for s in range(cum.size):
            total += forces[s, enemy] if force_sectors[f, s] else 0.0
            cum[s] = total
        n = poisson_capped_scalar(uniform_scalar(keys[f, KEY_FORCE_MISSIONS], run, day, 0),
                                  missions[f], max_missions[f])
        if not total > 0:
            continue
        for k in range(n):
            target = pick_index(cum, uniform_scalar(keys[f, KEY_FORCE_TARGET], run, day, k)
                                * total)
            if uniform_scalar(keys[f, KEY_FORCE_HIT], run, day, k) < (
                    success[f] * _cover_at(cover, f, target)):
                hits[f, target] += 1
                struck = True
    return struck


@njit(**_JIT)
def forces_after_hits_run(hits, kills_per_hit, fire_side, forces, losses, out_forces,
                          out_losses):
    """One run's forces and losses ``(S, 2)`` after today's hits on forces ``(F, S)``, into
    ``out_forces`` and ``out_losses``.

    ``k_s,side = min(sum_{f striking side} h_fs kills_f, forces_s,side)`` personnel put out
    of action (``kills_per_hit`` ``(F,)``), taken from the forces and added to the losses.
    """
    for s in range(forces.shape[0]):
        for side in range(2):
            kills = 0.0
            for f in range(fire_side.size):
                if 1 - fire_side[f] == side:
                    kills += hits[f, s] * kills_per_hit[f]
            kills = min(kills, forces[s, side])
            out_forces[s, side] = forces[s, side] - kills
            out_losses[s, side] = losses[s, side] + kills


@njit(**_JIT)
def fire_support_run(hits, halving, fire_side, out):
    """Multiplier of each side's combat effectiveness in each sector today in one run, into
    ``out`` ``(S, 2)``.

    ``m = 1 / (1 + sum_f h_f / H_f)`` over the systems ``f`` striking that side, ``h_f``
    their hits there today (``hits`` ``(F, S)``) and ``H_f`` their
    ``hits_to_halve_fire_support`` (``halving`` ``(F,)``, inf for none). Example: 2 hits
    with ``H = 2`` give 0.5, 6 hits 0.25; no hits give 1.
    """
    for s in range(out.shape[0]):
        for side in range(2):
            load = 0.0
            for f in range(fire_side.size):
                if 1 - fire_side[f] == side:
                    load += hits[f, s] / halving[f]
            out[s, side] = 1.0 / (1.0 + load)


@njit(**_JIT)
def forces_day(runs, day, active, keys, fire_side, force_sectors, max_missions, forces, losses,
               missions, success, kills_per_hit, halving, fire_air, enemy_defence, covered,
               ad_factor, hits, cover, new_forces, new_losses, support) -> bool:
    """The day's fires on forces of every run; whether any run's forces were hit.

    Per run ``r``, from its own rows only: where ``cover`` ``(R, F, S)`` is not empty, the
    air cover of its forces (:func:`cover_of_forces_run`, ``covered`` ``(S, A)``), in every
    run; in a run ``active`` (not in a ceasefire) the hits (:func:`force_strikes_run`) into
    ``hits`` ``(R, F, S)`` (zeros on entry), and if any, the forces and losses after them
    (:func:`forces_after_hits_run`) into ``new_forces`` and ``new_losses`` ``(R, S, 2)``,
    else ``forces`` and ``losses`` as they were (no hits put no one out of action); where
    ``support`` ``(R, S, 2)`` is not empty, the fire support left
    (:func:`fire_support_run`; 1 without hits).
    """
    cum = np.empty(forces.shape[1])
    no_cover = np.ones((0, 0))
    struck = False
    for r in range(runs.size):
        run_cover = no_cover
        if cover.shape[0]:
            cover_of_forces_run(fire_air, enemy_defence, covered, ad_factor[r], cover[r])
            run_cover = cover[r]
        hit = active[r] and force_strikes_run(
            runs[r], day, keys, fire_side, force_sectors, max_missions, forces[r], missions[r],
            success[r], run_cover, cum, hits[r])
        if hit:
            forces_after_hits_run(hits[r], kills_per_hit[r], fire_side, forces[r], losses[r],
                                  new_forces[r], new_losses[r])
        else:
            new_forces[r], new_losses[r] = forces[r], losses[r]
        if support.shape[0]:
            fire_support_run(hits[r], halving[r], fire_side, support[r])
        struck = struck or hit
    return struck


@njit(**_JIT)
def repair_uniform(own, z_run, share) -> float:
    """The quantile ``Phi(sqrt(c) z_run + sqrt(1 - c) Phi^-1(own))`` of a repair's time.

    ``z_run`` is the run's normal score for the link, ``own`` the repair's own uniform and
    ``c`` the share common to a run: every repair keeps the link's distribution, and two
    repairs of a link in one run correlate by ``c`` on the normal scale.
    """
    return ndtr_scalar(np.sqrt(share) * z_run + np.sqrt(1.0 - share) * ndtri_scalar(own))


@njit(**_JIT)
def repair_times_run(run, day, keys, damaged, repair_z, repair_share, family, par, choice_ptr,
                     choice_values, choice_cum, out):
    """Days of repair work of every damaged link ``(E,)`` of one run into ``out``, 0 elsewhere.

    ``t = F_e^-1(q)`` with ``q`` the :func:`repair_uniform` of draw 0 of the link's
    ``repair/<link>`` stream (``keys`` ``(E,)``; the run's ``repair_z`` ``(E,)`` and
    ``repair_share``) and ``F_e`` the link's distribution, coded by
    :func:`powderkeg.model.quantiles.quantile_code` (``family`` ``(E,)``, ``par`` ``(E, 3)``,
    a choice's values and cumulative shares at ``choice_ptr[e]:choice_ptr[e + 1]``) and
    inverted by :func:`~powderkeg.model.quantiles.quantile_scalar`. For a family not compiled
    (``NOT_COMPILED``) the entry holds ``q`` itself, for the caller to invert.
    """
    for e in range(out.size):
        out[e] = 0.0
        if damaged[e]:
            q = repair_uniform(uniform_scalar(keys[e], run, day, 0), repair_z[e], repair_share)
            if family[e] == NOT_COMPILED:
                out[e] = q
            else:
                lo, hi = choice_ptr[e], choice_ptr[e + 1]
                out[e] = quantile_scalar(family[e], par[e, 0], par[e, 1], par[e, 2],
                                         choice_values[lo:hi], choice_cum[lo:hi], q)


@njit(**_JIT)
def repair_times(runs, day, keys, damaged, repair_z, repair_share, family, par, choice_ptr,
                 choice_values, choice_cum):
    """:func:`repair_times_run` of every run: days of repair work ``(R, E)`` of the
    ``damaged`` ``(R, E)`` links."""
    out = np.empty(damaged.shape)
    for r in range(runs.size):
        repair_times_run(runs[r], day, keys, damaged[r], repair_z[r], repair_share[r], family,
                         par, choice_ptr, choice_values, choice_cum, out[r])
    return out


@njit(**_JIT)
def work_left(total, done) -> float:
    """Days of repair work left on a link: ``total`` where no day's work is ``done`` yet
    (the drawn time itself), else ``max(total - done, 0)``.

    This is exactly the days left after ``done`` days of taking one off (:func:`repair_step`):
    below ``2^53`` a whole number subtracted from a double is exact, so
    ``(t - 1) - 1 = t - 2`` to the last bit. Example: ``total = 7.5``, 3 days done: 4.5 left.
    """
    return total if done == 0 else max(total - done, 0.0)


@njit(**_JIT)
def open_fraction(base, total, done) -> float:
    """Open fraction of a link's intact capacity under repair, on the grid of quarters.

    ``base + (1 - base) floor(K p + 1e-9) / K`` with ``p = 1 - l / total`` the share of the
    work done (``l`` :func:`work_left`) and ``K = REPAIR_STEPS``; ``base`` itself before the
    first day's work (the fraction the damage left). Example: ``base = 0.2``, 8 days of
    work: 0.4 after 2 days, 1.0 after 8.
    """
    if done == 0:
        return base
    steps = np.floor((1.0 - work_left(total, done) / total) * REPAIR_STEPS + 1e-9)
    return base + (1.0 - base) * (steps / REPAIR_STEPS)


@njit(**_JIT)
def repair_step(total, done) -> int:
    """Days of work done on a link after a day not struck: one more while work is left
    (:func:`work_left` above 0), so the work falls by a day and the capacity comes back
    in ``REPAIR_STEPS`` steps (:func:`open_fraction`), full when the work is done."""
    return done + 1 if work_left(total, done) > 0 else done


@njit(**_JIT)
def hit_link(base, total, done, hits, damage, time):
    """A link after ``hits > 0`` hits today: the ``(base, total)`` of its new repair.

    Each hit removes ``damage`` of the open capacity (:func:`open_fraction`),
    ``frac (1 - damage)^hits``, the fraction the repair starts from; its work is the larger
    of what was left (:func:`work_left`) and the new repair's ``time``.
    """
    return (open_fraction(base, total, done) * powi_scalar(1.0 - damage, hits),
            max(work_left(total, done), time))


@njit(**_JIT)
def links_after_day_run(base, total, done, hits, damage, times, new_base, new_total, new_done):
    """One run's links' repairs ``(E,)`` after a day: :func:`repair_step` where not struck,
    :func:`hit_link` where struck (``times``: the new repairs' days of work; no work done on
    them yet), into ``new_base``, ``new_total``, ``new_done``."""
    for e in range(base.size):
        if hits[e] == 0:
            new_base[e], new_total[e] = base[e], total[e]
            new_done[e] = repair_step(total[e], done[e])
        else:
            new_base[e], new_total[e] = hit_link(base[e], total[e], done[e], hits[e], damage[e],
                                                 times[e])
            new_done[e] = 0


@njit(**_JIT)
def open_fractions(base, total, done):
    """:func:`open_fraction` of every link ``(R, E)``."""
    out = np.empty(base.shape)
    for r in range(base.shape[0]):
        for e in range(base.shape[1]):
            out[r, e] = open_fraction(base[r, e], total[r, e], done[r, e])
    return out


@njit(**_JIT)
def works_left(total, done):
    """:func:`work_left` of every link ``(R, E)``."""
    out = np.empty(total.shape)
    for r in range(total.shape[0]):
        for e in range(total.shape[1]):
            out[r, e] = work_left(total[r, e], done[r, e])
    return out


@njit(**_JIT)
def hits_of_day_run(strikes, n_fires, hits, deep) -> bool:
    """Today's hits on each link of one run ``h_e = sum_j s_je`` over every system and deep
    strike, and ``d_e`` over the deep strikes alone (``j >= n_fires``), from ``strikes``
    ``(F + G, E)`` into ``hits`` and ``deep`` ``(E,)``; whether any link was hit."""
    struck = False
    for e in range(strikes.shape[1]):
        total, of_deep = 0, 0
        for j in range(strikes.shape[0]):
            total += strikes[j, e]
            if j >= n_fires:
                of_deep += strikes[j, e]
        hits[e], deep[e] = total, of_deep
        struck = struck or total > 0
    return struck


@njit(**_JIT)
def _supply_of_side(graph, has_flow, slots, arc_flow, work, flown, vital, flow_of_side,
                    link_flow):
    """One side's part of a run's targeting: its most vital links into ``vital`` ``(E,)``
    when the other side flies (``flown``, :func:`vital_links_run`; else none), and its arc
    flows summed per link (:func:`~powderkeg.model.daily_flow.link_sum`) added into
    ``link_flow`` ``(E,)``; nothing without a maximum flow (``has_flow``)."""
    vital[:] = False
    if not has_flow:
        return
    if flown:
        vital_links_run(graph, slots, arc_flow, work, vital)
    link_sum(graph[16], graph[17], arc_flow, flow_of_side)
    for e in range(link_flow.size):
        link_flow[e] += flow_of_side[e]


@njit(**_JIT)
def strikes_day(runs, day, active, link_front_km, front, control, link_from, link_to,
                capacity, base, total, done, damage, fire_keys, fire_side, exempt,
                max_missions, missions, reach, redundancy, favour, success, fire_air,
                enemy_defence, ad_sectors, ad_factor, ad_depth, deep_keys, deep_side, deep_ptr,
                deep_targets, deep_rate, deep_success, graphs, has_flow, slots, arc_flows,
                repair_keys, repair_z, repair_share, family, par, choice_ptr, choice_values,
                choice_cum, strikes, hits, deep, times, cover):
    """The day's strikes on links of every run, and the repair times they start.

    Per run ``r``, from its own rows only: where ``cover`` ``(R, F, E)`` is not empty, the
    front distances (:func:`front_distance_run`, fronts ``front`` ``(R, S)``) and the air
    cover of the links (:func:`cover_of_links_run`), in every run. In a run ``active`` (not
    in a ceasefire): the missions' draws (:func:`mission_draws_run`); if some system flies,
    the front distances, the open capacities (:func:`open_capacities` of ``capacity`` and
    the repairs ``base``, ``total``, ``done`` ``(R, E)``), the missions with a link in reach
    (:func:`missions_in_reach_run`), each side's most vital links where the other side
    flies and the tons each link carries (:func:`_supply_of_side`, the side's
    ``graphs[side]`` with ``has_flow[side]``, its capacity ``slots`` ``(R, S)`` and
    ``arc_flows`` ``(R, A)``) and the strikes (:func:`link_strikes_run`); then the deep
    strikes (:func:`deep_strikes_run`) into ``strikes`` ``(R, F + G, E)``, the hits
    (:func:`hits_of_day_run`) into ``hits`` and ``deep`` ``(R, E)`` and the struck links'
    repair times (:func:`repair_times_run`) into ``times`` ``(R, E)``. The outputs come in as
    zeros, which a run keeps where nothing needs them: a run with no missions has no
    distances or weights to find, an unstruck run no repair to draw.
    """
    n_links, n_fires = link_from.size, fire_side.size
    dist, nearest = np.empty(n_links), np.empty(n_links, np.int64)
    open_cap, link_flow, flow_of_side = np.empty(n_links), np.empty(n_links), np.empty(n_links)
    cum, damaged = np.empty(n_links), np.empty(n_links, np.bool_)
    vital = np.zeros((2, n_links), np.bool_)
    n = np.zeros(n_fires, np.int64)
    covered = np.empty(enemy_defence.shape[1], np.bool_)
    no_cover = np.ones((0, 0))
    work = (vital_workspace(graphs[0]), vital_workspace(graphs[1]))
    for r in range(runs.size):
        run_cover = no_cover
        if cover.shape[0]:
            front_distance_run(link_front_km, front[r], dist, nearest)
            cover_of_links_run(fire_air, enemy_defence, ad_sectors, ad_factor[r], ad_depth[r],
                               dist, nearest, covered, cover[r])
            run_cover = cover[r]
        if not active[r]:
            continue
        if mission_draws_run(runs[r], day, fire_keys, max_missions, missions[r], n):
            if not cover.shape[0]:
                front_distance_run(link_front_km, front[r], dist, nearest)
            open_capacities(capacity[r], base[r], total[r], done[r], open_cap)
            missions_in_reach_run(fire_side, exempt, dist, control[r], link_from, link_to,
                                  open_cap, reach[r], n)
            link_flow[:] = 0.0
            _supply_of_side(graphs[0], has_flow[0], slots[0][r], arc_flows[0][r], work[0],
                            flown_against(n, fire_side, 0), vital[0], flow_of_side, link_flow)
            _supply_of_side(graphs[1], has_flow[1], slots[1][r], arc_flows[1][r], work[1],
                            flown_against(n, fire_side, 1), vital[1], flow_of_side, link_flow)
            link_strikes_run(runs[r], day, fire_keys, fire_side, exempt, n, dist, nearest,
                             control[r], link_from, link_to, open_cap, link_flow, damage[r],
                             vital, reach[r], redundancy[r], favour[r], success[r], run_cover,
                             cum, strikes[r])
        deep_strikes_run(runs[r], day, deep_keys, deep_side, deep_ptr, deep_targets,
                         deep_rate[r], deep_success[r], control[r], link_from, link_to, n_fires,
                         strikes[r])
        if not hits_of_day_run(strikes[r], n_fires, hits[r], deep[r]):
            continue  # nothing struck: no repair starts (the times stay 0)
        for e in range(n_links):
            damaged[e] = hits[r, e] > 0
        repair_times_run(runs[r], day, repair_keys, damaged, repair_z[r], repair_share[r],
                         family, par, choice_ptr, choice_values, choice_cum, times[r])


@njit(**_JIT)
def repairs_day(base, total, done, hits, damage, times, new_base, new_total, new_done):
    """:func:`links_after_day_run` of every run: the repairs ``(R, E)`` after today's
    ``hits`` and the repair ``times`` they started, into ``new_base``, ``new_total``,
    ``new_done``."""
    for r in range(base.shape[0]):
        links_after_day_run(base[r], total[r], done[r], hits[r], damage[r], times[r],
                            new_base[r], new_total[r], new_done[r])


def warm_up() -> None:
    """Compile every batch kernel here (and the functions they call), or load it from Numba's
    cache, on one run, one link, one sector, one fire system, air defence and deep strike,
    and a one-arc supply network."""
    runs, one, ints = np.zeros(1, np.int64), np.ones(1, np.bool_), np.zeros(1, np.int64)
    keys, grid, flat = np.zeros((1, 6), np.uint64), np.ones((1, 1)), np.ones((1, 1, 1))
    rule, mask = np.zeros((1, 1), np.int64), np.zeros((1, 1), np.bool_)
    count, ptr, floats = np.ones(1, np.int64), np.array([0, 1]), np.ones(1)
    dist, nearest = front_distances(flat, grid)
    cover = cover_of_links(one, mask, mask, grid, grid, dist, nearest)
    graph = (np.array([0, 1, 2]), np.array([1, 0]), np.array([1, 0]), ints, ints, count, 0, 1,
             ptr, ints, floats, ptr, ints, floats, ints, ints, ints, ints)
    done, hits = np.zeros((1, 1), np.uint16), np.zeros((1, 1), np.int8)
    strikes = np.zeros((1, 2, 1), RECORD_COUNT)
    strikes_day(runs, 1, one, flat, grid, rule, ints, ints, grid, grid, grid, done, grid, keys,
                ints, mask, count, grid, grid, grid, flat, grid, one, mask, mask, grid, grid,
                keys[0], ints, ptr, ints, grid, grid, (graph, graph), one,
                (np.ones((1, 1), np.int32),) * 2, (grid, grid), keys[0], grid, floats, ints,
                np.zeros((1, 3)), ptr, floats, floats, strikes, hits, np.zeros_like(hits),
                np.zeros((1, 1)), cover)
    cover_of_forces(one, mask, mask, grid)
    pair = np.ones((1, 1, 2))
    for covered, support in ((np.ones((1, 1, 1)), pair.copy()), (np.ones((0, 0, 0)), pair[:0])):
        forces_day(runs, 1, one, keys, ints, mask, count, pair, pair, grid, grid, grid, grid,
                   one, mask, mask, grid, np.zeros((1, 1, 1), RECORD_COUNT), covered,
                   pair.copy(), pair.copy(), support)
    times = repair_times(runs, 1, keys[0], mask, grid, floats, ints, np.zeros((1, 3)),
                         np.array([0, 0]), np.zeros(0), np.zeros(0))
    base, total = grid.copy(), grid.copy()
    repairs_day(grid, grid, done, hits, grid, times, base, total, done.copy())
    open_fractions(base, total, done)
    works_left(total, done)
