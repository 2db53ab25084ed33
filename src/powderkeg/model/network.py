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

__all__ = ["node_control", "link_usable", "arc_capacities", "bridgehead_lost",
           "depot_allowed", "run_capacities", "whole_ton_capacities", "check_sink_range"]


def node_control(model: Model, front: np.ndarray) -> np.ndarray:
    """Side index holding each node, shape ``(R, N)``."""
    runs = front.shape[0]
    side = np.broadcast_to(model.node_control, (runs, len(model.node_ids))).copy()
    placed = model.node_sector >= 0
    sec = model.node_sector[placed]
    side[:, placed] = (model.node_km[placed][None, :] >= front[:, sec]).astype(int)
    return side


def link_usable(model: Model, control: np.ndarray, side: int) -> np.ndarray:
    """Links whose both ends ``side`` holds, shape ``(R, E)``."""
    return (control[:, model.link_from] == side) & (control[:, model.link_to] == side)


def bridgehead_lost(model: Model, river_km: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Sectors whose bridgehead side no longer holds ground across its river, ``(R, S)``."""
    lost = np.zeros(front.shape, dtype=bool)
    for s in np.flatnonzero(model.bridgehead_side >= 0):
        r = river_km[:, model.bridgehead_river[s]]
        lost[:, s] = front[:, s] >= r if model.bridgehead_side[s] == 1 else front[:, s] <= r
    return lost


def depot_allowed(model: Model, g: FlowGraph, side: int, river_km: np.ndarray,
                  lost: np.ndarray) -> np.ndarray:
    """Depot arcs that may feed their demand today under the bank rule, shape ``(R, K)``.

    For a demand of a sector with a bridgehead of ``side``, a depot on the bridgehead's
    bank serves while the bridgehead holds and a depot behind the river (or in the rear)
    once it is lost (``lost`` from :func:`bridgehead_lost`). Other depots always serve.
    """
    runs = lost.shape[0]
    ok = np.ones((runs, len(g.depot_arcs)), dtype=bool)
    demands = np.flatnonzero(model.demand_side == side)
    for k, (j, node) in enumerate(zip(g.depot_demand, g.depot_node, strict=True)):
        s = model.demand_bridgehead[demands[j]]
        if s < 0:
            continue
        river = river_km[:, model.bridgehead_river[s]]
        if model.node_sector[node] != s:
            across = np.ones(runs, dtype=bool)
        elif side == 1:
            across = model.node_km[node] > river
        else:
            across = model.node_km[node] < river
        ok[:, k] = np.where(across, lost[:, s], ~lost[:, s])
    return ok


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
