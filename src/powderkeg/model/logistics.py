"""Supply: the daily maximum flow from sources through the network to each demand, and stocks.

Each side's supply network is a directed graph: supply sources hang from a super-source,
each demand is a node fed by the depots of its first tier still held, and drains into a
super-sink with capacity equal to its daily need plus a refill allowance for its stocks. The
tons delivered to a demand are the flow on its sink arc in a maximum flow (Ford & Fulkerson
1956), the method Harris & Ross (1955, RAND RM-1573) applied to the Soviet rail net. Needs
follow the forces a demand feeds; roads carry what the side's trucks can haul.

Each run is solved alone by a compiled Dinic's algorithm (:mod:`powderkeg.model.maxflow`),
so a run's supply is the same alone or in any batch. When supply falls short, it is shared by
a declared rule: demands of a higher ``priority`` first, max-min fair within a priority.

References
----------
L. R. Ford, D. R. Fulkerson (1956), "Maximal flow through a network", Canadian Journal of
Mathematics 8:399-404, doi:10.4153/CJM-1956-045-5. T. E. Harris, F. S. Ross (1955),
"Fundamentals of a method for evaluating rail net capacities", RAND RM-1573.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit

from powderkeg.model.daily_flow import daily_flows, link_sums, resolve_needed
from powderkeg.model.maxflow import Residual, build_residual, cut_bytes, cut_pairs

__all__ = ["FlowGraph", "build_flow_graph", "solve_max_flow", "day_flow", "needs_resolve",
           "new_cuts", "per_link", "stock_update", "supply_effectiveness", "INF_CAPACITY",
           "CAPACITY_DTYPE", "capacity_slots", "demand_need",
           "posture_need_factor", "vital_links"]

INF_CAPACITY = 1 << 28
CAPACITY_DTYPE = np.int32  # whole-ton arc capacities: exact below 2**31, half of int64's bytes


@dataclass(frozen=True)
class FlowGraph:
    """The static structure of one side's supply graph, arcs merged into unique node pairs.

    Arc kinds: link arcs (one or two per link), source arcs (super-source -> node), depot arcs
    (depot node -> demand node) and sink arcs (demand node -> super-sink).
    """

    n_nodes: int
    source: int
    sink: int
    pair_tail: np.ndarray  # (P,) node pairs, sorted by (tail, head)
    pair_head: np.ndarray
    arc_pair: np.ndarray  # (A,) pair of each arc
    pair_sum: sp.csr_matrix  # (P, A) adds up the arcs of each pair
    link_arcs: np.ndarray  # (L,) arc of each link-direction
    link_of_arc: np.ndarray  # (L,) link of each link-arc
    link_sum: sp.csr_matrix  # (E, A) adds up the arcs of each link
    source_arcs: np.ndarray  # (Q,)
    depot_arcs: np.ndarray  # (K,)
    depot_demand: np.ndarray  # (K,) local demand index of each depot arc
    depot_node: np.ndarray  # (K,) network node of each depot arc
    depot_tier: np.ndarray  # (K,)
    sink_arcs: np.ndarray  # (D,)
    residual: Residual  # the compiled solver's layout, with each demand's service tier
    arc_slot: np.ndarray  # (A,) capacity slot of each arc: a link's arcs share its link's
    slot_arc: np.ndarray  # (S,) an arc of each slot

    @property
    def n_arcs(self) -> int:
        return len(self.arc_pair)


def build_flow_graph(n_nodes, link_from, link_to, link_directed, source_nodes, demand_tiers,
                     priority=None):
    """Assemble a :class:`FlowGraph` for ``n_nodes`` network nodes.

    ``demand_tiers[j]`` is a list of tiers, each a list of node indices, for local demand j;
    ``priority[j]`` its integer priority in a shortage (higher first; default all equal).
    """
    d = len(demand_tiers)
    src, snk = n_nodes + d, n_nodes + d + 1
    tails, heads = [], []
    link_arcs, link_of_arc = [], []
    for e, (u, v, directed) in enumerate(zip(link_from, link_to, link_directed, strict=False)):
        for a, b in [(u, v)] + ([] if directed else [(v, u)]):
            link_arcs.append(len(tails))
            link_of_arc.append(e)
            tails.append(a)
            heads.append(b)
    source_arcs = []
    for node in source_nodes:
        source_arcs.append(len(tails))
        tails.append(src)
        heads.append(node)
    depot_arcs, depot_demand, depot_node, depot_tier = [], [], [], []
    for j, tiers in enumerate(demand_tiers):
        for t, tier in enumerate(tiers):
            for node in tier:
                depot_arcs.append(len(tails))
                depot_demand.append(j)
                depot_node.append(node)
                depot_tier.append(t)
                tails.append(node)
                heads.append(n_nodes + j)
    sink_arcs = []
    for j in range(d):
        sink_arcs.append(len(tails))
        tails.append(n_nodes + j)
        heads.append(snk)
    tails, heads = np.asarray(tails), np.asarray(heads)
    nn = n_nodes + d + 2
    keys = tails * nn + heads
    uniq, arc_pair = np.unique(keys, return_inverse=True)
    n_arcs = len(tails)
    ones = np.ones(n_arcs)
    pair_sum = sp.csr_matrix((ones, (arc_pair, np.arange(n_arcs))), shape=(len(uniq), n_arcs))
    link_sum = sp.csr_matrix((np.ones(len(link_arcs)), (link_of_arc, link_arcs)),
                             shape=(len(link_from), n_arcs))
    ia = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    residual = build_residual(nn, uniq // nn, uniq % nn, arc_pair[sink_arcs], src, snk,
                              np.zeros(d, int) if priority is None else priority)
    arc_slot, slot_arc = capacity_slots(n_arcs, link_arcs, link_of_arc, len(link_from))
    return FlowGraph(
        n_nodes=nn, source=src, sink=snk, pair_tail=uniq // nn, pair_head=uniq % nn,
        arc_pair=arc_pair, pair_sum=pair_sum, link_arcs=ia(link_arcs),
        link_of_arc=ia(link_of_arc), link_sum=link_sum, source_arcs=ia(source_arcs),
        depot_arcs=ia(depot_arcs),
        depot_demand=ia(depot_demand), depot_node=ia(depot_node), depot_tier=ia(depot_tier),
        sink_arcs=ia(sink_arcs), residual=residual, arc_slot=arc_slot, slot_arc=slot_arc,
    )


def capacity_slots(n_arcs, link_arcs, link_of_arc, n_links):
    """Each arc's capacity slot ``(A,)`` and an arc of each slot ``(S,)``, ``S = E + A - L``.

    Both arcs of an undirected link carry the same whole tons, ``floor(c_e)`` or nothing
    (:func:`~powderkeg.model.network.run_capacities`), so the link's slot ``e`` holds them;
    every other arc (sources, depots, sinks) has a slot ``E, E + 1, ...`` of its own, in arc
    order. ``cap[:, slot_arc][:, arc_slot]`` is then ``cap`` itself: the state keeps the
    slots (:attr:`~powderkeg.model.state.State.arc_cap`).
    """
    arc_slot = np.empty(n_arcs, np.int64)
    arc_slot[np.asarray(link_arcs, np.int64)] = link_of_arc
    others = np.setdiff1d(np.arange(n_arcs), link_arcs)
    arc_slot[others] = n_links + np.arange(len(others))
    slot_arc = np.empty(n_links + len(others), np.int64)
    slot_arc[arc_slot] = np.arange(n_arcs)
    return arc_slot, slot_arc


def per_pair(g: FlowGraph, arc_values: np.ndarray) -> np.ndarray:
    """Sum of ``arc_values`` (R, A) over the arcs of each node pair, shape ``(R, P)``."""
    return np.asarray(g.pair_sum @ arc_values.T).T


def per_link(g: FlowGraph, arc_values: np.ndarray) -> np.ndarray:
    """Sum of ``arc_values`` (R, A) over both directions of each link, shape ``(R, E)``
    (:func:`~powderkeg.model.daily_flow.link_sums`)."""
    out = np.zeros((arc_values.shape[0], g.link_sum.shape[0]))
    link_sums(g.link_arcs, g.link_of_arc, np.ascontiguousarray(arc_values, dtype=float), out)
    return out


def solve_max_flow(g: FlowGraph, arc_cap: np.ndarray, shared: bool = True) -> np.ndarray:
    """Maximum flow of every run, each solved alone; the flow on each arc, shape ``(R, A)``.

    ``arc_cap`` holds non-negative whole-ton capacities, shape ``(R, A)``. With ``shared``
    (the model's rule), a shortage is shared by the demands' priorities and max-min fairness
    (:func:`powderkeg.model.maxflow.shared_flow`); without it, the flow is Dinic's, the same
    as :func:`scipy.sparse.csgraph.maximum_flow` returns. Arcs sharing a node pair share
    that pair's net flow in proportion to their capacities.
    """
    return day_flow(g, arc_cap, shared=shared)[0]


def day_flow(g: FlowGraph, cap, old_cap=None, old_flow=None, known=None, known_flow=None,
             shared: bool = True, cuts=None):
    """Today's arc flows ``(R, A)`` for whole-ton capacities ``cap`` and the runs solved ``(R,)``.

    Runs in the mask ``known`` take ``known_flow``, a maximum flow for the same capacities;
    with yesterday's ``old_cap`` and ``old_flow``, a run keeps its flow while
    :func:`needs_resolve` allows; every other run is solved
    (:func:`powderkeg.model.daily_flow.daily_flows`). ``cuts`` (:func:`new_cuts`), each run's
    stored cuts where the shortage rule's Newton method starts, are updated in place by the
    runs solved; without them the rule starts from none.
    """
    cap = np.ascontiguousarray(cap, dtype=CAPACITY_DTYPE)
    runs = cap.shape[0]
    has_old = old_flow is not None
    r = g.residual
    return daily_flows(
        r.edge_ptr, r.heads, r.rev, r.pair_edge, r.sink_edge, r.demand_node, r.tier, r.source,
        r.sink, g.arc_pair, g.sink_arcs, len(g.pair_tail), cap,
        np.ascontiguousarray(old_cap, dtype=CAPACITY_DTYPE) if has_old else cap,
        np.ascontiguousarray(old_flow, dtype=float) if has_old else np.zeros(cap.shape),
        has_old, np.zeros(runs, bool) if known is None else np.asarray(known, bool),
        np.zeros(cap.shape) if known is None else np.ascontiguousarray(known_flow, dtype=float),
        shared, new_cuts(g, runs) if cuts is None else cuts)


def new_cuts(g: FlowGraph, runs: int) -> np.ndarray:
    """Empty stored cuts of the shortage rule for ``runs`` runs, ``(R, D, B)`` uint8: a node
    set of ``g`` per demand (:func:`~powderkeg.model.maxflow.shared_flow`)."""
    return np.zeros((runs, len(g.sink_arcs), cut_bytes(g.n_nodes)), np.uint8)


def needs_resolve(g: FlowGraph, old_cap, new_cap, old_flow) -> np.ndarray:
    """Runs whose current flow may no longer be a maximum flow, shape ``(R,)``.

    A flow stays maximal when every capacity still covers its arc's flow and no saturated
    arc gained capacity: the cut of arcs saturated before keeps its value and bounds the flow
    (max-flow min-cut theorem). It also still follows the shortage rule when no demand's
    sink capacity changed: the residual graph then has the same arcs or fewer, so no
    residual path appears that would let a demand gain at another's expense. Only the other
    runs need solving again (:func:`powderkeg.model.daily_flow.flow_is_kept`).
    """
    return resolve_needed(g.arc_pair, g.sink_arcs, len(g.pair_tail),
                          np.ascontiguousarray(old_cap, dtype=CAPACITY_DTYPE),
                          np.ascontiguousarray(new_cap, dtype=CAPACITY_DTYPE),
                          np.ascontiguousarray(old_flow, dtype=float))


NEED_STEP = 0.02  # needs are planned in steps of 2% of the day-0 need


@njit(cache=True, nogil=True)
def demand_need(base_tons, forces, forces0, posture_factor):
    """Tons a day a demand needs (scalars):
    ``base * round(forces / max(forces0, 1e-9) / NEED_STEP) * NEED_STEP * posture_factor``.

    ``base_tons`` is the need at the day-0 forces and posture (the scenario's figure);
    ``forces`` and ``forces0`` are the personnel the demand feeds today and on day 0 (one and
    one for a demand that feeds no sector). Mobilised men add load; forces pulled home remove
    it. The ratio is planned in steps of ``NEED_STEP``, rounded half to even as ``np.round``,
    so a day's attrition does not change the need (nor force the day's flow to be solved
    again). ``posture_factor`` is the need of today's posture over day 0's
    (:func:`posture_need_factor`), one when it is unchanged.
    """
    ratio = forces / (forces0 if forces0 > 1e-9 or forces0 != forces0 else 1e-9)
    return base_tons * np.rint(ratio / NEED_STEP) * NEED_STEP * posture_factor


@njit(cache=True, nogil=True)
def posture_need_factor(attack_factor, attacking, attacking0):
    """``k ** (a - a0)`` (scalars): the need of today's posture over day 0's.

    ``a`` and ``a0`` (bool) say whether the demand's side attacks in its sector today and on
    day 0; ``k`` is the run's ``model.logistics.attack_need_factor``, an attacker's need over
    the same force's on the defensive (attackers fire more). Exactly one where the posture is
    unchanged; the power is taken with a float exponent (``pow(k, +-1.0)``), as NumPy's.
    """
    change = int(attacking) - int(attacking0)
    return 1.0 if change == 0 else attack_factor ** float(change)


@njit(cache=True, nogil=True)
def stock_update(stock, delivered_over_need, max_stock):
    """Days of supply after a day (scalars):
    ``clip(stock + delivered/need - 1, 0, max_stock)``, as ``np.clip`` (NaN kept).

    ``delivered_over_need`` is not capped at one: deliveries beyond the need refill stocks.
    """
    x = stock + delivered_over_need - 1.0
    x = x if x > 0.0 or x != x else 0.0
    return x if x < max_stock or x != x else max_stock


def vital_links(g: FlowGraph, arc_cap: np.ndarray, arc_flow: np.ndarray) -> np.ndarray:
    """Links whose loss of capacity would cut today's maximum flow, shape ``(R, E)``.

    A saturated arc leaving the set of nodes reachable from the source in the residual
    graph, or entering the set of nodes that reach the sink, lies on a minimum cut: any cut
    of its capacity cuts the maximum flow (max-flow min-cut theorem; the most vital arcs of
    Wollmer 1964). ``arc_cap`` and ``arc_flow`` ``(R, A)`` are a maximum flow of each run.
    The step finds them by the compiled
    :func:`~powderkeg.model.fire_kernels.vital_links_run`; this is the reference its
    tests compare it with (and is itself checked against networkx's maximum flows).

    References: R. D. Wollmer (1964), "Removing arcs from a network", Operations Research
    12(6):934-940, doi:10.1287/opre.12.6.934; R. K. Wood (1993), "Deterministic network
    interdiction", Mathematical and Computer Modelling 17(2):1-18,
    doi:10.1016/0895-7177(93)90236-R.
    """
    runs = arc_cap.shape[0]
    if runs == 0:
        return np.zeros((0, g.link_sum.shape[0]), dtype=bool)
    r = g.residual
    on_cut = cut_pairs(r.edge_ptr, r.heads, r.rev, r.pair_edge, g.pair_tail, g.pair_head,
                       g.source, g.sink, np.ascontiguousarray(per_pair(g, arc_cap.astype(float))),
                       np.ascontiguousarray(per_pair(g, arc_flow)))
    arc_vital = on_cut[:, g.arc_pair].astype(float)
    return np.asarray(g.link_sum @ arc_vital.T).T > 0


@njit(cache=True, nogil=True)
def supply_effectiveness(stock, delivered_ratio, floor, rationing_days):
    """Combat effectiveness from supply, in ``[floor, 1]`` (scalars).

    ``floor + (1 - floor) * min(1, stock / rationing_days + delivered/demand)`` (``min`` as
    ``np.minimum``, NaN kept): full while stocks cover the rationing threshold, falling
    towards ``floor`` as stocks run out and deliveries fall short of the daily need.
    """
    met = stock / rationing_days + delivered_ratio
    met = met if met < 1.0 or met != met else 1.0
    return floor + (1.0 - floor) * met
