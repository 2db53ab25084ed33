"""The NumPy glue of the day's supply that the compiled pass
``powderkeg.model.logistics_day.side_day`` replaced, kept as the reference
``test_logistics_day`` compares it with bit for bit (the former ``step._logistics``): the
batch functions ``sink_tons``, ``arc_capacities``, ``truck_road_capacity``, ``per_link`` and
``day_flow`` over all runs at once. ``sink_tons`` and ``truck_road_capacity``, the batch
forms of ``logistics_day.sink_capacity`` and ``logistics_day.truck_capacities``, live here
only.
"""

import numpy as np
from glue_reference import bridgehead_lost, depot_allowed

from powderkeg.model.logistics import (
    day_flow,
    new_cuts,
    per_link,
)
from powderkeg.model.network import arc_capacities, link_usable


def sink_tons(need, stock, max_stock, refill_days_per_day):
    """Capacity of each demand's sink arc: ``need * (1 + refill [stock < max_stock])``.

    The day's need plus, while stocks are below ``max_stock`` days, an allowance to rebuild
    them of ``refill_days_per_day`` days of supply a day (stocks are then capped at
    ``max_stock`` by ``powderkeg.model.logistics.stock_update``); shape ``(R, D)``.
    """
    return need * (1.0 + np.where(stock < max_stock, refill_days_per_day, 0.0))


def truck_road_capacity(road_cap, road_flow, road_km, fleet_ton_km):
    """Tons a day each road can carry with the side's trucks, shape ``(R, E)``.

    The trucks go where the day's plan sends freight: a maximum flow with every road at its
    capacity ``c_e``, carrying ``f_e`` tons on road ``e`` of length ``L_e``. While the fleet's
    ``F`` ton-km a day cover the plan's ``U = sum_e f_e L_e``, roads keep their capacity;
    otherwise each road gets trucks for ``f_e F / U`` tons, ``min(c_e, f_e F / U)``. Shapes:
    ``road_cap``, ``road_flow`` ``(R, E)`` (zero off the side's roads), ``road_km``
    broadcastable to them, ``fleet_ton_km`` ``(R,)``. A cut rail line shifts the plan to the
    roads, and the fleet then limits what they replace (Vershinin 2021: the army lacks the
    trucks to haul far from its railheads).
    """
    used = (road_flow * road_km).sum(axis=1)
    short = used > fleet_ton_km
    scale = np.divide(fleet_ton_km, used, out=np.ones(len(used)), where=short)
    return np.where(short[:, None], np.minimum(road_cap, road_flow * scale[:, None]), road_cap)


def _solved(g, cap, old_cap, old_flow, cuts, known=None, known_flow=None):
    cuts = new_cuts(g, len(cap)) if cuts is None else cuts.copy()
    return day_flow(g, cap, old_cap, old_flow, known, known_flow, cuts=cuts)[0], cuts


def logistics(model, world, state, control, open_cap):
    """Today's maximum flows: the plan with roads at capacity, then the flow with trucks.

    Returns the state's supply fields as they were stored (arc capacities ``(R, A)`` per
    side), the deliveries ``(R, D)`` and the tons each link carries, both sides ``(R, E)``.
    """
    names = ("arc_cap", "arc_flow", "plan_cap", "plan_flow", "plan_cuts", "flow_cuts")
    arc_cap, arc_flow, plan_cap, plan_flow, plan_cuts, flow_cuts = (
        list(getattr(state, name)) for name in names)
    delivered, link_flow = np.zeros_like(state.delivered), np.zeros_like(state.link_flow)
    lost = bridgehead_lost(model, world.river_km, state.front)
    for side, g in enumerate(model.flow_graphs):
        if g is None:
            continue
        dem = np.flatnonzero(model.demand_side == side)
        src = np.flatnonzero(model.source_side == side)
        sink = sink_tons(state.need[:, dem], state.stock[:, dem], world.stock_max[:, dem],
                         world.refill_days[:, None])
        depots = depot_allowed(model, g, side, world.river_km, lost)
        cap = arc_capacities(model, g, side, control, open_cap, world.source_tons[:, src],
                             sink, depots)
        known = plan = None
        if np.isfinite(world.truck_ton_km[:, side]).any():
            plan, plan_cuts[side] = _solved(g, cap, plan_cap[side], plan_flow[side],
                                            plan_cuts[side])
            plan_cap[side], plan_flow[side] = cap, plan
            roads = link_usable(model, control, side) & model.road_links
            trucked = truck_road_capacity(
                np.where(roads, open_cap, 0.0), np.where(roads, per_link(g, plan), 0.0),
                model.link_km * world.road_km_factor[:, None], world.truck_ton_km[:, side])
            planned = cap
            cap = arc_capacities(model, g, side, control,
                                 np.where(model.road_links, trucked, open_cap),
                                 world.source_tons[:, src], sink, depots)
            known = (cap == planned).all(axis=1)  # the trucks sufficed: the plan is the flow
        flow, flow_cuts[side] = _solved(g, cap, arc_cap[side], arc_flow[side], flow_cuts[side],
                                        known, plan)
        arc_cap[side], arc_flow[side] = cap, flow
        delivered[:, dem] = flow[:, g.sink_arcs]
        link_flow += per_link(g, flow)
    solves = (arc_cap, arc_flow, plan_cap, plan_flow, plan_cuts, flow_cuts)
    return ({name: tuple(value) for name, value in zip(names, solves, strict=True)},
            delivered, link_flow)
