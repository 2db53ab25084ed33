"""Who holds each node and link as the fronts move, and what each side's arcs can carry today.

A node placed in a sector belongs to the first side while the front has passed it
(``km < front``) and to the second side otherwise; rear nodes keep their fixed control. A
side can use a link only when it holds both ends.
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.build import Model
from powderkeg.model.logistics import INF_CAPACITY, FlowGraph

__all__ = ["node_control", "link_usable", "arc_capacities"]


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
                   demand_tons: np.ndarray) -> np.ndarray:
    """Integer capacity of every arc of ``side``'s graph today, shape ``(R, A)``.

    ``link_cap`` is each link's open capacity (tons/day); ``source_tons`` and ``demand_tons``
    are this side's sources and demands in graph order.
    """
    runs = control.shape[0]
    cap = np.zeros((runs, g.n_arcs), dtype=np.int64)
    usable = link_usable(model, control, side)
    open_cap = np.where(usable, link_cap, 0.0)
    cap[:, g.link_arcs] = np.floor(open_cap[:, g.link_of_arc])
    cap[:, g.source_arcs] = np.floor(source_tons)
    held = control[:, g.depot_node] == side
    cap[:, g.depot_arcs] = np.where(_active_depots(g, held), INF_CAPACITY, 0)
    cap[:, g.sink_arcs] = np.ceil(demand_tons)
    return cap
