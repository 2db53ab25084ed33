"""Who holds each node and link as the fronts move, and what each side's arcs can carry today.

A node placed in a sector belongs to the first side while the front has passed it
(``km < front``) and to the second side otherwise; rear nodes keep their fixed control. A
side can use a link only when it holds both ends. A demand of a bridgehead is fed only at
depots on its own bank of the river while the bridgehead holds, and at those behind the
river once it is given up.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.errors import InputError
from powderkeg.model.build import Model
from powderkeg.model.logistics import CAPACITY_DTYPE, INF_CAPACITY, FlowGraph
from powderkeg.model.theater import holds_bridgehead

__all__ = ["node_control", "node_controls", "run_node_control", "link_usable",
           "arc_capacities", "run_bridgehead_lost", "run_depot_allowed", "depots_allowed",
           "depot_allowed", "run_capacities", "whole_ton_capacities", "check_sink_range"]


@njit(cache=True, nogil=True)
def run_node_control(fixed, node_sector, node_km, front, out):
    """One run's side holding each node into ``out`` (N,): ``[km_n >= x_s]`` (the second
    side, 1, while the front ``x`` (S,) of the node's sector ``s`` has not passed it) for a
    node placed in a sector, else its ``fixed`` control (N,)."""
    for n in range(len(out)):
        s = node_sector[n]
        out[n] = fixed[n] if s < 0 else (1 if node_km[n] >= front[s] else 0)


@njit(cache=True, nogil=True)
def node_controls(fixed, node_sector, node_km, front, out):
    """:func:`run_node_control` of every run: ``front`` (R, S) into ``out`` (R, N)."""
    for r in range(front.shape[0]):
        run_node_control(fixed, node_sector, node_km, front[r], out[r])


def node_control(model: Model, front: np.ndarray) -> np.ndarray:
    """Side index holding each node, shape ``(R, N)`` int64 (:func:`node_controls`)."""
    out = np.empty((front.shape[0], len(model.node_ids)), np.int64)
    node_controls(model.node_control, model.node_sector, model.node_km,
                  np.ascontiguousarray(front, dtype=float), out)
    return out


def link_usable(model: Model, control: np.ndarray, side: int) -> np.ndarray:
    """Links whose both ends ``side`` holds, shape ``(R, E)``."""
    return (control[:, model.link_from] == side) & (control[:, model.link_to] == side)


@njit(cache=True, nogil=True)
def run_bridgehead_lost(bridgehead_side, bridgehead_river, river_km, front, out):
    """One run's sectors whose bridgehead side no longer holds ground across its river, into
    ``out`` (S,) bool: ``not holds_bridgehead(x_s, river_km[river_s], side_s)``
    (:func:`~powderkeg.model.theater.holds_bridgehead`, the rule combat applies), False
    without a bridgehead; ``front`` (S,), ``river_km`` (V,)."""
    for s in range(len(out)):
        side = bridgehead_side[s]
        out[s] = side >= 0 and not holds_bridgehead(front[s], river_km[bridgehead_river[s]],
                                                    side)


@njit(cache=True, nogil=True)
def run_depot_allowed(side, depot_bridgehead, depot_node, node_sector, node_km,
                      bridgehead_river, river_km, lost, out):
    """One run's depot arcs that may feed their demand today under the bank rule, into
    ``out`` (K,) bool.

    For a demand of a sector ``s`` with a bridgehead of ``side`` (``depot_bridgehead`` (K,),
    -1 for none), a depot on the bridgehead's bank serves while the bridgehead holds and a
    depot behind the river (or outside the sector) once it is lost (``lost`` (S,) from
    :func:`run_bridgehead_lost`): behind is ``km > river`` for the second side and
    ``km < river`` for the first. Other depots always serve. ``river_km`` (V,).
    """
    for k in range(len(out)):
        s = depot_bridgehead[k]
        if s < 0:
            out[k] = True
            continue
        node, river = depot_node[k], river_km[bridgehead_river[s]]
        if node_sector[node] != s:
            across = True
        elif side == 1:
            across = node_km[node] > river
        else:
            across = node_km[node] < river
        out[k] = lost[s] if across else not lost[s]


@njit(cache=True, nogil=True)
def depots_allowed(side, depot_bridgehead, depot_node, node_sector, node_km, bridgehead_side,
                   bridgehead_river, river_km, front, out):
    """Each run's :func:`run_bridgehead_lost` and then :func:`run_depot_allowed`: ``front``
    (R, S), ``river_km`` (R, V) into ``out`` (R, K)."""
    lost = np.empty(front.shape[1], np.bool_)
    for r in range(front.shape[0]):
        run_bridgehead_lost(bridgehead_side, bridgehead_river, river_km[r], front[r], lost)
        run_depot_allowed(side, depot_bridgehead, depot_node, node_sector, node_km,
                          bridgehead_river, river_km[r], lost, out[r])


def depot_allowed(model: Model, g: FlowGraph, side: int, river_km: np.ndarray,
                  front: np.ndarray) -> np.ndarray:
    """Depot arcs of ``side``'s graph ``g`` that may feed their demand today, ``(R, K)`` bool
    (:func:`depots_allowed`)."""
    demands = np.flatnonzero(model.demand_side == side)
    out = np.empty((front.shape[0], len(g.depot_arcs)), np.bool_)
    depots_allowed(side, model.demand_bridgehead[demands[g.depot_demand]], g.depot_node,
                   model.node_sector, model.node_km, model.bridgehead_side,
                   model.bridgehead_river, np.ascontiguousarray(river_km, dtype=float),
                   np.ascontiguousarray(front, dtype=float), out)
    return out


@njit(cache=True, nogil=True)
def run_capacities(side, control, link_from, link_to, link_arcs, link_of_arc, link_cap,
                   source_arcs, source_tons, depot_arcs, depot_node, depot_demand, depot_tier,
                   depot_ok, sink_arcs, sink, first, out):
    """One run's whole-ton arc capacities into ``out`` (A,), zeros in.

    A link arc carries ``floor(c_e)`` when ``side`` holds both ends of link ``e``, else 0; a
    source arc ``floor(s_q)``; a depot arc ``INF_CAPACITY`` when its depot is held and allowed
    (``depot_ok``) and its tier is the demand's first tier with such a depot, else 0; a sink
    arc ``sink`` (whole tons). ``control`` (N,), ``link_cap`` (E,), ``source_tons`` (Q,),
    ``depot_ok`` (K,), ``sink`` (D,); ``first`` (D,) is work space.
    """
    for i in range(len(link_arcs)):
        e = link_of_arc[i]
        if control[link_from[e]] == side and control[link_to[e]] == side:
            out[link_arcs[i]] = np.floor(link_cap[e])
    for q in range(len(source_arcs)):
        out[source_arcs[q]] = np.floor(source_tons[q])
    first[:] = np.iinfo(np.int64).max
    for k in range(len(depot_arcs)):
        if control[depot_node[k]] == side and depot_ok[k]:
            first[depot_demand[k]] = min(first[depot_demand[k]], depot_tier[k])
    for k in range(len(depot_arcs)):
        if (control[depot_node[k]] == side and depot_ok[k]
                and depot_tier[k] == first[depot_demand[k]]):
            out[depot_arcs[k]] = INF_CAPACITY
    for j in range(len(sink_arcs)):
        out[sink_arcs[j]] = sink[j]


@njit(cache=True, nogil=True)
def whole_ton_capacities(side, control, link_from, link_to, link_arcs, link_of_arc, link_cap,
                         source_arcs, source_tons, depot_arcs, depot_node, depot_demand,
                         depot_tier, depot_ok, sink_arcs, sink, out):
    """Each run's arc capacities into ``out`` (R, A), zeros in: :func:`run_capacities` of
    every run; ``control`` (R, N), ``link_cap`` (R, E), ``source_tons`` (R, Q), ``depot_ok``
    (R, K), ``sink`` (R, D)."""
    first = np.empty(len(sink_arcs), np.int64)
    for r in range(control.shape[0]):
        run_capacities(side, control[r], link_from, link_to, link_arcs, link_of_arc,
                       link_cap[r], source_arcs, source_tons[r], depot_arcs, depot_node,
                       depot_demand, depot_tier, depot_ok[r], sink_arcs, sink[r], first, out[r])


def check_sink_range(sink: np.ndarray, side: int) -> None:
    """Refuse whole-ton sink capacities ``sink`` (R, D) of ``side`` beyond the solver's
    ``CAPACITY_DTYPE`` (an :class:`InputError` naming the demand)."""
    if sink.size and sink.max() >= np.iinfo(CAPACITY_DTYPE).max:
        j = int(np.argmax(sink.max(axis=0)))
        raise InputError(
            f"supply.demands: demand {j} of side {side} needs {sink.max():.3g} t/day today with "
            f"its refill allowance, beyond the {np.iinfo(CAPACITY_DTYPE).max:,} t/day the "
            "supply solver holds; give demands in tons per day (a front's need is some 1,000 "
            "to 10,000) or lower the forces it feeds")


def arc_capacities(model: Model, g: FlowGraph, side: int, control: np.ndarray,
                   link_cap: np.ndarray, source_tons: np.ndarray,
                   sink_tons: np.ndarray, depot_ok: np.ndarray) -> np.ndarray:
    """Whole-ton capacity of every arc of ``side``'s graph today, ``(R, A)`` int32.

    ``link_cap`` is each link's open capacity (tons/day), roads already limited by trucks;
    ``source_tons`` and ``sink_tons`` (need plus refill) are this side's sources and demands
    in graph order; ``depot_ok`` ``(R, K)`` masks depots by :func:`depot_allowed`. A sink
    carries ``ceil(sink_tons)``; the rest is :func:`whole_ton_capacities`. Links and sources are
    below ``INF_CAPACITY`` (2**28; ``validate`` checks it); a sink's need grown with its
    forces, and its refill allowance, may not reach 2**31 (:func:`check_sink_range`).
    """
    sink = np.ceil(sink_tons)
    check_sink_range(sink, side)
    cap = np.zeros((control.shape[0], g.n_arcs), dtype=CAPACITY_DTYPE)
    f = lambda x: np.ascontiguousarray(x, dtype=float)  # noqa: E731
    whole_ton_capacities(side, np.ascontiguousarray(control), model.link_from, model.link_to,
                         g.link_arcs, g.link_of_arc, f(link_cap), g.source_arcs,
                         f(source_tons), g.depot_arcs, g.depot_node, g.depot_demand,
                         g.depot_tier, np.ascontiguousarray(depot_ok), g.sink_arcs, f(sink),
                         cap)
    return cap
