"""Who holds each node and link as the fronts move, and what each side's arcs can carry today.

A node placed in a sector belongs to the first side while the front has passed it
(``km < front``) and to the second side otherwise; rear nodes keep their fixed control. A
side can use a link only when it holds both ends. A demand of a bridgehead is fed only at
depots on its own bank of the river while the bridgehead holds, and at those behind the
river once it is given up.
"""

from __future__ import annotations

import numpy as np

from powderkeg.errors import InputError
from powderkeg.model.build import Model
from powderkeg.model.logistics import CAPACITY_DTYPE, INF_CAPACITY, FlowGraph

__all__ = ["node_control", "link_usable", "arc_capacities", "bridgehead_lost",
           "depot_allowed"]


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


def _active_depots(g: FlowGraph, held: np.ndarray) -> np.ndarray:
    """Depot arcs of each demand's first tier with a held depot, shape ``(R, K)``."""
    n_dem = len(g.sink_arcs)
    n_tier = int(g.depot_tier.max()) + 1 if len(g.depot_tier) else 1
    tier_held = np.zeros((held.shape[0], n_dem, n_tier), dtype=bool)
    for k in range(len(g.depot_arcs)):
        tier_held[:, g.depot_demand[k], g.depot_tier[k]] |= held[:, k]
    first = np.argmax(tier_held, axis=2)  # (R, D); 0 when no tier is held (then nothing is)
    return held & (g.depot_tier[None, :] == first[:, g.depot_demand])


def arc_capacities(model: Model, g: FlowGraph, side: int, control: np.ndarray,
                   link_cap: np.ndarray, source_tons: np.ndarray,
                   sink_tons: np.ndarray, depot_ok: np.ndarray) -> np.ndarray:
    """Whole-ton capacity of every arc of ``side``'s graph today, ``(R, A)`` int32.

    ``link_cap`` is each link's open capacity (tons/day), roads already limited by trucks;
    ``source_tons`` and ``sink_tons`` (need plus refill) are this side's sources and demands
    in graph order; ``depot_ok`` ``(R, K)`` masks depots by :func:`depot_allowed`. Links and
    sources are below ``INF_CAPACITY`` (2**28; ``validate`` checks it); a sink's need grown
    with its forces, and its refill allowance, may not reach 2**31 (an :class:`InputError`).
    """
    runs = control.shape[0]
    sink = np.ceil(sink_tons)
    if sink.size and sink.max() >= np.iinfo(CAPACITY_DTYPE).max:
        j = int(np.argmax(sink.max(axis=0)))
        raise InputError(
            f"supply.demands: demand {j} of side {side} needs {sink.max():.3g} t/day today with "
            f"its refill allowance, beyond the {np.iinfo(CAPACITY_DTYPE).max:,} t/day the "
            "supply solver holds; give demands in tons per day (a front's need is some 1,000 "
            "to 10,000) or lower the forces it feeds")
    cap = np.zeros((runs, g.n_arcs), dtype=CAPACITY_DTYPE)
    usable = link_usable(model, control, side)
    open_cap = np.where(usable, link_cap, 0.0)
    cap[:, g.link_arcs] = np.floor(open_cap[:, g.link_of_arc])
    cap[:, g.source_arcs] = np.floor(source_tons)
    held = (control[:, g.depot_node] == side) & depot_ok
    cap[:, g.depot_arcs] = np.where(_active_depots(g, held), INF_CAPACITY, 0)
    cap[:, g.sink_arcs] = sink
    return cap
