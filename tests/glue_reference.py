"""The NumPy glue of the day that the compiled per-run passes replaced, kept as the reference
``test_demand_day`` compares them with bit for bit (the former batch functions of
``powderkeg.model.step``, ``logistics``, ``network`` and ``outcomes``): each demand's need,
the supply ratios, stocks and supply multipliers, the sectors' ratios, who holds each node,
the bridgeheads lost and the depots they allow, and the outcomes' streaks and first days,
each over all runs at once.
"""

import numpy as np

from powderkeg.model.logistics import NEED_STEP
from powderkeg.model.outcomes import DAY, OutcomeTracker, holds_today, outcome_codes
from powderkeg.model.theater import posture_on


def forces_fed(model, forces):
    """Personnel each demand feeds, ``(R, D)``: its sector's forces of its side, else one."""
    out = np.ones((forces.shape[0], len(model.demand_ids)))
    has = model.demand_sector >= 0
    out[:, has] = forces[:, model.demand_sector[has], model.demand_side[has]]
    return out


def demand_attacking(model, posture_attack):
    """Whether each demand's side attacks in its sector, ``(D,)`` bool (False for none)."""
    has = model.demand_sector >= 0
    out = np.zeros(len(model.demand_ids), dtype=bool)
    out[has] = posture_attack[model.demand_sector[has], model.demand_side[has]]
    return out


def posture_need_factor(attack_factor, attacking, attacking0):
    """``k ** (a - a0)`` per demand, ``(R, D)``."""
    change = attacking.astype(int) - attacking0.astype(int)
    return np.where(change == 0, 1.0, attack_factor[:, None] ** change[None, :])


def demand_need(base_tons, forces, forces0, posture_factor):
    """``base * round(forces / forces0, NEED_STEP) * posture_factor``, ``(R, D)``."""
    ratio = forces / np.maximum(forces0, 1e-9)
    return base_tons * np.round(ratio / NEED_STEP) * NEED_STEP * posture_factor


def need(model, world, forces, posture):
    """The step's need of each demand today, ``(R, D)``."""
    return demand_need(world.demand_tons, forces_fed(model, forces),
                       forces_fed(model, world.forces0), posture_need_factor(
                           world.attack_need, demand_attacking(model, posture),
                           demand_attacking(model, posture_on(model, 0))))


def delivered_over_need(delivered, need):
    """Delivered over needed, uncapped, ``(R, D)``."""
    return delivered / np.maximum(need, 1e-9)


def supply_ratio(delivered, need):
    """Delivered over needed, capped at one, ``(R, D)``."""
    return np.minimum(1.0, delivered_over_need(delivered, need))


def stock_update(stock, delivered_over_need, max_stock):
    """``clip(stock + delivered/need - 1, 0, max_stock)``."""
    return np.clip(stock + delivered_over_need - 1.0, 0.0, max_stock)


def supply_effectiveness(stock, delivered_ratio, floor, rationing_days):
    """``floor + (1 - floor) * min(1, stock / rationing_days + delivered/demand)``."""
    met = np.minimum(1.0, stock / rationing_days + delivered_ratio)
    return floor + (1.0 - floor) * met


def sector_supply_ratio(model, values, fill=1.0):
    """Spread per-demand ``values`` (R, D) onto sectors and sides (R, S, 2)."""
    out = np.full((values.shape[0], model.n_sectors, 2), fill)
    has = model.sector_demand >= 0
    out[:, has] = values[:, model.sector_demand[has]]
    return out


def after_supply(model, world, stock, delivered, need):
    """The step's ratio, stocks, supply multipliers ``(R, D)`` and sectors' ratios."""
    ratio = supply_ratio(delivered, need)
    return (ratio, stock_update(stock, delivered_over_need(delivered, need), world.stock_max),
            supply_effectiveness(stock, ratio, world.supply_floor[:, None],
                                 world.rationing_days[:, None]),
            sector_supply_ratio(model, ratio))


def node_control(model, front):
    """Side index holding each node, shape ``(R, N)``."""
    runs = front.shape[0]
    side = np.broadcast_to(model.node_control, (runs, len(model.node_ids))).copy()
    placed = model.node_sector >= 0
    sec = model.node_sector[placed]
    side[:, placed] = (model.node_km[placed][None, :] >= front[:, sec]).astype(int)
    return side


def bridgehead_lost(model, river_km, front):
    """Sectors whose bridgehead side no longer holds ground across its river, ``(R, S)``."""
    lost = np.zeros(front.shape, dtype=bool)
    for s in np.flatnonzero(model.bridgehead_side >= 0):
        r = river_km[:, model.bridgehead_river[s]]
        lost[:, s] = front[:, s] >= r if model.bridgehead_side[s] == 1 else front[:, s] <= r
    return lost


def depot_allowed(model, g, side, river_km, lost):
    """Depot arcs that may feed their demand today under the bank rule, shape ``(R, K)``."""
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


def track(model, tracker, holds, day):
    """Streaks ``s_t = (s_{t-1} + 1) [holds]`` and first days ``t`` once ``s_t >= required``,
    ``(R, O)`` DAY, from today's predicates ``holds`` (R, O)."""
    if tracker is None:
        tracker = OutcomeTracker(np.zeros(holds.shape, DAY), np.full(holds.shape, -1, DAY),
                                 outcome_codes(model))
    streak = np.where(holds, tracker.streak + 1, 0).astype(DAY)
    first = np.where((tracker.first_day < 0) & (streak >= tracker.codes.required), day,
                     tracker.first_day).astype(DAY)
    return OutcomeTracker(streak, first, tracker.codes)


def outcomes_today(model, world, tracker, front, withdrawal, link_frac, hits, politics, need,
                   delivered, day):
    """The step's outcomes after ``day``: the compiled predicates over the batch
    (``holds_today``) and :func:`track`."""
    codes = tracker.codes if tracker is not None else outcome_codes(model)
    holds = holds_today(model, world, codes, front, withdrawal, link_frac, hits, politics,
                        need, delivered)
    return track(model, tracker, holds, day)
