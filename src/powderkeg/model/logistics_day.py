"""One side's supply day in one compiled call over the runs.

For each run on its own, :func:`side_day` does what the step did in NumPy over the batch
around two calls of the supply pass: the arc capacities
(:func:`~powderkeg.model.network.run_capacities`, sinks from :func:`sink_capacities`), the
plan with roads at capacity, the roads' capacity with the side's trucks
(:func:`truck_capacities`), the arc capacities again, the flow
(:func:`~powderkeg.model.daily_flow.run_flow` for both) and the deliveries. The arrays of a
run are rows of the batch's, so a run's supply is the same alone or in any batch.

The tests keep the former NumPy glue over the batch (``tests/logistics_reference.py``, with
``sink_tons`` and ``truck_road_capacity``, these equations over a batch) and compare it
with this pass bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.daily_flow import flow_workspace, link_sum, run_flow
from powderkeg.model.logistics import CAPACITY_DTYPE, build_flow_graph, new_cuts
from powderkeg.model.network import run_capacities
from powderkeg.model.outcomes import pairwise_sum

__all__ = ["sink_capacity", "sink_capacities", "truck_capacities", "side_day", "supply_day",
           "warm_up"]


@njit(cache=True, nogil=True)
def sink_capacity(need, stock, max_stock, refill_days_per_day):
    """A demand's sink arc in whole tons: ``ceil(need * (1 + refill [stock < max_stock]))``
    (scalars; the need plus, while stocks are below ``max_stock`` days, an allowance to
    rebuild them)."""
    return np.ceil(need * (1.0 + (refill_days_per_day if stock < max_stock else 0.0)))


@njit(cache=True, nogil=True)
def truck_capacities(road, open_cap, plan_link, link_km, road_km_factor, fleet_ton_km,
                     links, work, out):
    """One run's link capacities with the side's trucks, into ``out`` (E,).

    The trucks go where the plan sends freight: on the side's usable roads ``road`` (E,)
    bool, with capacity ``c_e`` (``open_cap``) and the plan's ``f_e`` tons (``plan_link``)
    over ``L_e = link_km_e * road_km_factor`` km, the plan needs ``U = sum_e f_e L_e``
    ton-km (added as NumPy adds, :func:`~powderkeg.model.outcomes.pairwise_sum`). While the
    fleet's ``F`` ton-km cover it a road keeps ``c_e``; otherwise it gets
    ``min(c_e, f_e F / U)``. Other links keep ``open_cap``. ``links`` is ``arange(E)``,
    ``work`` (E,) work space. A cut rail line shifts the plan to the roads, and the fleet then
    limits what they replace (Vershinin 2021: the army lacks the trucks to haul far from its
    railheads).
    """
    for e in range(len(road)):
        work[e] = (plan_link[e] if road[e] else 0.0) * (link_km[e] * road_km_factor)
    used = pairwise_sum(work, links, 0, len(road))
    short = used > fleet_ton_km
    scale = fleet_ton_km / used if short else 1.0
    for e in range(len(road)):
        cap = open_cap[e] if road[e] else 0.0
        out[e] = min(cap, (plan_link[e] if road[e] else 0.0) * scale) if short else cap


@njit(cache=True, nogil=True)
def sink_capacities(need, stock, max_stock, refill_days_per_day, out):
    """:func:`sink_capacity` of every run and demand into ``out`` (R, D); ``need``,
    ``stock``, ``max_stock`` (R, D), ``refill_days_per_day`` (R,)."""
    for r in range(need.shape[0]):
        for j in range(need.shape[1]):
            out[r, j] = sink_capacity(need[r, j], stock[r, j], max_stock[r, j],
                                      refill_days_per_day[r])


@njit(cache=True, nogil=True)
def side_day(side, has_trucks, shared, edge_ptr, heads, rev, pair_edge, sink_edge,
             demand_node, tier, source, sink, arc_pair, n_pairs, link_arcs, link_of_arc,
             source_arcs, depot_arcs, depot_node, depot_demand, depot_tier, sink_arcs,
             link_from, link_to, road_links, link_km, control, open_cap, source_tons,
             depot_ok, sink_tons, road_km_factor, fleet_ton_km, has_old_plan, old_plan_cap,
             old_plan_flow, plan_cuts, has_old_flow, old_cap, old_flow, flow_cuts, plan_cap,
             plan_flow, cap, flow, delivered):
    """One side's supply day of every run: the plan, the trucks, the flow and what it carries.

    Per run ``r``: the arc capacities with roads at capacity (``open_cap`` (R, E), sources
    ``source_tons`` (R, Q), depots ``depot_ok`` (R, K), sinks ``sink_tons`` (R, D) whole
    tons from :func:`sink_capacities`) into ``plan_cap`` (R, A) int, zeros in. With
    ``has_trucks``, the plan (:func:`~powderkeg.model.daily_flow.run_flow` from yesterday's
    ``old_plan_cap`` and ``old_plan_flow`` when ``has_old_plan``, cuts ``plan_cuts`` (R, D, B))
    into ``plan_flow`` (R, A); the roads' capacities with trucks (:func:`truck_capacities`,
    ``road_km_factor`` and ``fleet_ton_km`` (R,)) and the arc capacities again into ``cap``
    (R, A), zeros in. Without trucks ``cap`` is the plan's. When ``cap`` equals the plan's
    capacities, the plan is the flow; otherwise the flow is
    :func:`~powderkeg.model.daily_flow.run_flow`'s from ``old_cap`` and ``old_flow`` when
    ``has_old_flow`` (cuts ``flow_cuts``), into ``flow`` (R, A). Then ``delivered`` (R, D)
    takes the sink arcs' flow (each link's, :attr:`~powderkeg.model.state.State.link_flow`,
    is derived from the arc flows when read).

    Each run is computed from its own rows only, in three passes over the runs (the plans,
    the trucks, the flows): the solver run on one kind of solve after another took about 15%
    less CPU than a plan and a flow solved in turn for each run.
    """
    runs, n_arcs = cap.shape
    n_links, n_dem = len(link_from), len(sink_arcs)
    ws = flow_workspace(len(edge_ptr) - 1, len(heads), len(sink_edge), n_pairs, n_arcs)
    first = np.empty(n_dem, np.int64)
    road = np.empty(n_links, np.bool_)
    plan_link, trucked, work = np.empty(n_links), np.empty(n_links), np.empty(n_links)
    links, every_link = np.empty(n_links), np.arange(n_links)
    for r in range(runs):
        run_capacities(side, control[r], link_from, link_to, link_arcs, link_of_arc,
                       open_cap[r], source_arcs, source_tons[r], depot_arcs, depot_node,
                       depot_demand, depot_tier, depot_ok[r], sink_arcs, sink_tons[r], first,
                       plan_cap[r] if has_trucks else cap[r])
        if has_trucks:
            run_flow(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier, source,
                     sink, arc_pair, sink_arcs, plan_cap[r], old_plan_cap[r], old_plan_flow[r],
                     has_old_plan, shared, plan_cuts[r], plan_flow[r], ws)
    known = np.zeros(runs, np.bool_)
    if has_trucks:
        for r in range(runs):
            link_sum(link_arcs, link_of_arc, plan_flow[r], plan_link)
            for e in range(n_links):
                road[e] = (road_links[e] and control[r, link_from[e]] == side
                           and control[r, link_to[e]] == side)
            truck_capacities(road, open_cap[r], plan_link, link_km, road_km_factor[r],
                             fleet_ton_km[r], every_link, work, trucked)
            for e in range(n_links):
                links[e] = trucked[e] if road_links[e] else open_cap[r, e]
            run_capacities(side, control[r], link_from, link_to, link_arcs, link_of_arc,
                           links, source_arcs, source_tons[r], depot_arcs, depot_node,
                           depot_demand, depot_tier, depot_ok[r], sink_arcs, sink_tons[r],
                           first, cap[r])
            known[r] = True
            for a in range(n_arcs):
                if cap[r, a] != plan_cap[r, a]:
                    known[r] = False
                    break
    for r in range(runs):
        if known[r]:
            flow[r] = plan_flow[r]
        else:
            run_flow(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier, source,
                     sink, arc_pair, sink_arcs, cap[r], old_cap[r], old_flow[r], has_old_flow,
                     shared, flow_cuts[r], flow[r], ws)
        for j in range(n_dem):
            delivered[r, j] = flow[r, sink_arcs[j]]


def supply_day(g, side, links, control, open_cap, source_tons, depot_ok, sink_tons,
               road_km_factor, fleet_ton_km, plan, flow):
    """:func:`side_day` of one side's graph ``g`` over a batch of runs.

    ``links`` are the model's ``(link_from, link_to, road_links, link_km)``; ``plan`` and
    ``flow`` yesterday's ``(capacities, flow, cuts)`` of the plan and of the flow, each
    ``None`` before the first solve. Returns today's plan (yesterday's when no run has a fleet
    limit, ``fleet_ton_km`` all infinite) and flow as such triples, and the deliveries
    ``(R, D)``.
    """
    runs = len(control)
    shape = (runs, g.n_arcs)
    trucks = bool(np.isfinite(fleet_ton_km).any())
    cap, arc_flow = np.zeros(shape, CAPACITY_DTYPE), np.empty(shape)
    plan_cap = np.zeros(shape, CAPACITY_DTYPE) if trucks else cap
    plan_flow = np.empty(shape) if trucks else arc_flow
    old_plan, old_flow = _carried(g, runs, *plan), _carried(g, runs, *flow)
    delivered = np.empty((runs, len(g.sink_arcs)))
    r, f = g.residual, lambda x: np.ascontiguousarray(x, dtype=float)  # noqa: E731
    side_day(side, trucks, True, r.edge_ptr, r.heads, r.rev, r.pair_edge, r.sink_edge,
             r.demand_node, r.tier, r.source, r.sink, g.arc_pair, len(g.pair_tail), g.link_arcs,
             g.link_of_arc, g.source_arcs, g.depot_arcs, g.depot_node, g.depot_demand,
             g.depot_tier, g.sink_arcs, *links, np.ascontiguousarray(control), f(open_cap),
             f(source_tons), np.ascontiguousarray(depot_ok), f(sink_tons), f(road_km_factor),
             f(fleet_ton_km), *old_plan, *old_flow, plan_cap, plan_flow, cap, arc_flow,
             delivered)
    today_plan = (plan_cap, plan_flow, old_plan[3]) if trucks else plan
    return today_plan, (cap, arc_flow, old_flow[3]), delivered


def _carried(g, runs, cap, flow, cuts):
    """Yesterday's capacities and flow of a solve with whether there are any (zeros in their
    place before the first), and a copy of the stored cuts for today's pass to update
    (:func:`~powderkeg.model.logistics.new_cuts` for none yet)."""
    cuts = new_cuts(g, runs) if cuts is None else cuts.copy()
    if flow is None:
        return False, np.zeros((runs, g.n_arcs), CAPACITY_DTYPE), np.zeros((runs, g.n_arcs)), cuts
    return True, cap, flow, cuts


def warm_up() -> None:
    """Compile :func:`sink_capacities` and :func:`side_day` (and what it calls), or load them
    from Numba's cache, on a one-link graph: with and without a fleet limit, on a first day
    and the next, with the C-ordered arrays the step passes."""
    g = build_flow_graph(2, [0], [1], [True], [0], [[[1]]])
    links = (np.array([0]), np.array([1]), np.ones(1, np.bool_), np.ones(1))
    one, control = np.ones((1, 1)), np.zeros((1, 2), np.int64)
    sink_capacities(one, one, one, np.ones(1), np.empty((1, 1)))
    for fleet in (np.ones(1), np.full(1, np.inf)):
        plan = flow = (None, None, None)
        for _ in range(2):
            plan, flow, _ = supply_day(g, 0, links, control, one, one, np.ones((1, 1), np.bool_),
                                       one, np.ones(1), fleet, plan, flow)
