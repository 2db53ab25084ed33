"""One day of the whole system: repairs, fires, logistics, combat, command decisions,
politics, outcomes.

``init_state`` and ``step`` are pure functions of (model, world, state, streams, runs, day);
every random draw comes from a named stream keyed by run and day, so a run's trajectory does
not depend on the batch it is simulated in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from powderkeg.model.build import Model
from powderkeg.model.demand_day import after_supply, needs, supply_ratios
from powderkeg.model.events import apply_link_events
from powderkeg.model.fires import (
    Repair,
    fires_on_forces_day,
    interdiction_day,
    no_hits,
    repair_times,
)
from powderkeg.model.kremlin import init_politics, politics_period
from powderkeg.model.kremlin_daily import crisis_returns_day, daily_couplings, opponent_multipliers
from powderkeg.model.logistics_day import sink_capacities, supply_day
from powderkeg.model.network import check_sink_range, depot_allowed, node_control
from powderkeg.model.outcomes import outcomes_today
from powderkeg.model.random import Streams
from powderkeg.model.record import DayRecord
from powderkeg.model.state import State, in_slots
from powderkeg.model.theater import DAY_COUNT, ORDERED, PUSHED, combat_day, posture_on
from powderkeg.model.world import World

__all__ = ["init_state", "step", "supply_ratio", "objectives_held", "crisis_returns",
           "opponent_multiplier", "ORDERED", "PUSHED"]


def supply_ratio(world: World, state: State) -> np.ndarray:
    """Delivered over needed for each demand today, capped at one, shape ``(R, D)``
    (:func:`~powderkeg.model.demand_day.supply_ratio`)."""
    out = np.empty(state.delivered.shape)
    supply_ratios(state.delivered, state.need, out)
    return out


def objectives_held(model: Model, world: World, front: np.ndarray, side: int) -> np.ndarray:
    """Objectives ``side`` holds, shape ``(R, O)``: the first side holds what the front passed."""
    passed = front[:, model.objective_sector] > world.objective_km
    return passed if side == 0 else ~passed


def _need(model: Model, world: World, forces: np.ndarray, posture: np.ndarray) -> np.ndarray:
    """Tons each demand needs today ``(R, D)`` with today's ``forces`` (R, S, 2) and
    ``posture`` (S, 2) (:func:`~powderkeg.model.demand_day.needs`)."""
    out = np.empty(world.demand_tons.shape)
    needs(world.demand_tons, forces, world.forces0, model.demand_sector, model.demand_side,
          world.attack_need, posture, posture_on(model, 0), out)
    return out


class Supply(NamedTuple):
    """Today's supply fields of the state (:class:`~powderkeg.model.state.State`), as
    :func:`_logistics` found them."""

    cap_slots: tuple
    arc_flow: tuple
    plan_slots: tuple
    plan_flow: tuple
    plan_cuts: tuple
    flow_cuts: tuple
    delivered: np.ndarray  # (R, D)
    need: np.ndarray  # (R, D)


def _logistics(model: Model, world: World, state: State, need, control, open_cap) -> Supply:
    """Today's maximum flows for the day's ``need`` (R, D): the plan with roads at capacity,
    then the flow with trucks, per side in one compiled call over the runs
    (:func:`~powderkeg.model.logistics_day.supply_day`); the sinks of both sides in one
    (:func:`~powderkeg.model.logistics_day.sink_capacities`)."""
    delivered = np.zeros_like(state.delivered)
    old_cap, old_plan_cap = state.arc_cap, state.plan_cap
    cap_slots, arc_flow = list(state.cap_slots), list(state.arc_flow)
    plan_slots, plan_flow = list(state.plan_slots), list(state.plan_flow)
    plan_cuts, flow_cuts = list(state.plan_cuts), list(state.flow_cuts)
    links = (model.link_from, model.link_to, model.road_links, model.link_km)
    sinks = np.empty(need.shape)
    sink_capacities(need, state.stock, world.stock_max, world.refill_days, sinks)
    for side, g in enumerate(model.flow_graphs):
        if g is None:
            continue
        dem = np.flatnonzero(model.demand_side == side)
        sink = np.take(sinks, dem, axis=1)  # C order, as warmed up
        check_sink_range(sink, side)
        plan, flow, delivered[:, dem] = supply_day(
            g, side, links, control, open_cap,
            world.source_tons[:, np.flatnonzero(model.source_side == side)],
            depot_allowed(model, g, side, world.river_km, state.front), sink,
            world.road_km_factor, world.truck_ton_km[:, side],
            (old_plan_cap[side], plan_flow[side], plan_cuts[side]),
            (old_cap[side], arc_flow[side], flow_cuts[side]))
        plan_slots[side], plan_flow[side], plan_cuts[side] = in_slots(g, plan[0]), *plan[1:]
        cap_slots[side], arc_flow[side], flow_cuts[side] = in_slots(g, flow[0]), *flow[1:]
    return Supply(tuple(cap_slots), tuple(arc_flow), tuple(plan_slots), tuple(plan_flow),
                  tuple(plan_cuts), tuple(flow_cuts), delivered, need)


def init_state(model: Model, world: World, streams: Streams, runs: np.ndarray) -> State:
    """Day 0: the scenario's starting positions, damage already done, and today's supply."""
    n, s, d = len(runs), model.n_sectors, len(model.demand_ids)
    repair = repair_times(model, world, streams, runs, 0, world.at_start < 1.0)
    politics = None
    if model.politics is not None:
        held = objectives_held(model, world, world.front0, model.politics.side)
        politics = init_politics(model.politics, world.politics, world.front0, world.forces0,
                                 held, s)
    state = State(
        day=0, front=world.front0.copy(), forces=world.forces0.copy(), losses=np.zeros((n, s, 2)),
        repair=Repair.started(world.at_start, repair), hits=no_hits(model, n),
        deep_hits=no_hits(model, n),
        cap_slots=(None, None), arc_flow=(None, None), plan_slots=(None, None),
        plan_flow=(None, None), plan_cuts=(None, None), flow_cuts=(None, None),
        flow_graphs=tuple(model.flow_graphs),
        delivered=np.zeros((n, d)), need=world.demand_tons.copy(), stock=world.stock0.copy(),
        untenable=np.zeros((n, s), dtype=DAY_COUNT), withdrawal=np.zeros((n, s), dtype=np.int8),
        pressure=np.zeros((n, s, 2), dtype=DAY_COUNT), exploitation=np.zeros((n, s, 2)),
        outcomes=None, politics=politics,
    )
    control = node_control(model, state.front)
    supply = _logistics(model, world, state, state.need, control,
                        world.capacity * state.link_frac)
    return replace(state, **supply._asdict(), outcomes=outcomes_today(
        model, world, None, state.front, state.withdrawal, state.link_frac, state.hits,
        politics, supply.need, supply.delivered, 0))


def _interdiction(model, world, state, streams, runs, day, control, ceasefire):
    """Today's strikes on links ``(R, F + G, E)`` (none in a ceasefire), the links after
    them and a day of repairs, and today's air-defence cover of the links, run by run in
    compiled code (:func:`~powderkeg.model.fires.interdiction_day`), then the day's link events
    (:func:`~powderkeg.model.events.apply_link_events`)."""
    on_links, hits, deep, repair, cover = interdiction_day(
        model, world, streams, runs, day, control, ~ceasefire, state.front, state.repair,
        state.cap_slots, state.arc_flow)
    repair, hits = apply_link_events(model, world, streams, runs, day, repair, hits)
    return replace(state, day=day, repair=repair, hits=hits,
                   deep_hits=deep), on_links, cover


def _fires_on_forces(model, world, state, streams, runs, day, ceasefire, cover):
    """Personnel put out of action by fires on forces today, run by run in compiled code
    (:func:`~powderkeg.model.fires.fires_on_forces_day`); hits ``(R, F, S)``, today's
    air-defence cover ``(links (R, F, E), forces (R, F, S))`` (``None`` without air
    defences; the links' ``cover`` as :func:`_interdiction` found it) and the fire support
    left (``None`` if untouched)."""
    hits, on_forces, forces, losses, support = fires_on_forces_day(
        model, world, streams, runs, day, ~ceasefire, state.forces, state.losses)
    cover = None if cover is None else (cover, on_forces)
    if forces is not state.forces:  # some run was hit
        state = replace(state, forces=forces, losses=losses)
    return state, hits, cover, support


class Combat(NamedTuple):
    """Today's combat in every run (:func:`~powderkeg.model.theater.combat_day`), after the
    ceasefire's masking: the state it carries over and what the record shows."""

    front: np.ndarray  # (R, S)
    forces: np.ndarray  # (R, S, 2)
    losses: np.ndarray  # (R, S, 2) cumulative
    lost: np.ndarray  # (R, S, 2) today
    ratios: np.ndarray  # (R, S, 2) rho_A, rho_B
    pressure: np.ndarray  # (R, S, 2) days in a row above the breakthrough ratio
    exploitation: np.ndarray  # (R, S, 2) exploitation days left (after today's, once spent)
    broken: np.ndarray  # (R, S, 2) bool: the side broke the other's defence today
    threatened: np.ndarray  # (R, S) bool: a bridgehead's lines of supply
    untenable: np.ndarray  # (R, S) days in a row a bridgehead has been untenable
    ordered: np.ndarray  # (R, S) bool: withdrawal ordered today
    withdrawal: np.ndarray  # (R, S) int8: 0 held, ``ORDERED`` or ``PUSHED``


def _combat(model, world, state, streams, runs, day, posture, supply_mult, sector_supply,
            opponent_mult, ceasefire) -> Combat:
    """Today's combat, fronts and bridgehead decisions; runs in a ``ceasefire`` are held.

    Each demand's supply multiplier ``supply_mult`` (R, D)
    (:func:`~powderkeg.model.logistics.supply_effectiveness`) and the streams' keys go to
    :func:`~powderkeg.model.theater.combat_day`, which makes the rest, draws included, run by
    run."""
    keys = np.array([streams.key("combat"), streams.key("withdrawal")], dtype=np.uint64)
    w = world
    return Combat(*combat_day(
        posture, w.static_intensity, w.attrition, w.weiss, w.reinforcements, w.fortification,
        w.noise, w.advance_threshold, w.advance_km, w.creep_km, w.break_ratio, w.break_days,
        w.exploit_days, w.exploit_km, model.river_sector, w.river_km, w.river_ratio,
        w.river_factor, model.sector_length, model.bridgehead_side, model.bridgehead_river,
        model.supply_through, model.node_km, model.node_sector, w.threat_km, w.withdraw_supply,
        w.withdraw_force, w.withdraw_days, w.withdraw_prob, w.withdraw_loss, w.morale,
        supply_mult, model.sector_demand, opponent_mult, sector_supply, state.forces,
        state.losses, state.front, state.pressure, state.exploitation, state.untenable,
        state.withdrawal, ceasefire, keys, np.ascontiguousarray(runs, dtype=np.int64), day))


class AfterSupply(NamedTuple):
    """What today's deliveries leave (:func:`~powderkeg.model.demand_day.after_supply`)."""

    ratio: np.ndarray  # (R, D) delivered over needed, capped at one
    stock: np.ndarray  # (R, D) days of supply after today
    mult: np.ndarray  # (R, D) combat effectiveness from supply
    sector: np.ndarray  # (R, S, 2) the ratio of each sector's demand of each side


def _after_supply(model: Model, world: World, stock, supply: Supply) -> AfterSupply:
    """Today's supply ratios, stocks, supply multipliers and sectors' ratios from the day's
    deliveries and the ``stock`` (R, D) it started with, in one compiled pass."""
    shape = supply.need.shape
    out = AfterSupply(np.empty(shape), np.empty(shape), np.empty(shape),
                      np.empty((shape[0], model.n_sectors, 2)))
    after_supply(supply.delivered, supply.need, stock, world.stock_max, world.supply_floor,
                 world.rationing_days, model.sector_demand, *out)
    return out


def step(model: Model, world: World, state: State, streams: Streams, runs: np.ndarray) -> State:
    """Advance every run by one day."""
    day = state.day + 1
    pm, pw, ps = model.politics, world.politics, state.politics
    ceasefire = ps.ceasefire if ps is not None else np.zeros(len(runs), dtype=bool)
    if ps is not None:
        state, ps = crisis_returns(pm, state, ps, day)
    control = node_control(model, state.front)
    state, strikes, cover = _interdiction(model, world, state, streams, runs, day, control,
                                          ceasefire)
    posture, link_frac = posture_on(model, day), state.link_frac  # the day's, after repairs
    supply = _logistics(model, world, state, _need(model, world, state.forces, posture),
                        control, world.capacity * link_frac)
    after = _after_supply(model, world, state.stock, supply)
    opponent_mult = opponent_multiplier(pm, pw, ps, len(runs))
    state, on_forces, cover, support = _fires_on_forces(model, world, state, streams, runs,
                                                        day, ceasefire, cover)
    fought = _combat(model, world, state, streams, runs, day, posture, after.mult,
                     after.sector,
                     opponent_mult if support is None else opponent_mult * support, ceasefire)
    forces, period = fought.forces, None
    if ps is not None:
        ps, forces, period = _politics_day(model, world, ps, streams, runs, day, fought,
                                           state.hits)
    record = DayRecord(strikes=strikes, force_hits=on_forces, air_cover=cover,
                       fire_support=support,
                       attack_ratios=fought.ratios, supply_ratio=after.sector,
                       untenable_days=fought.untenable, withdrawal_ordered=fought.ordered,
                       defence_broken=fought.broken, supply_threatened=fought.threatened,
                       politics=period)
    outcomes = outcomes_today(model, world, state.outcomes, fought.front, fought.withdrawal,
                              link_frac, state.hits, ps, supply.need, supply.delivered,
                              day)
    return replace(state, **supply._asdict(), front=fought.front, forces=forces,
                   losses=fought.losses, stock=after.stock, untenable=fought.untenable,
                   pressure=fought.pressure, exploitation=fought.exploitation,
                   withdrawal=fought.withdrawal, politics=ps, record=record, outcomes=outcomes)


def crisis_returns(pm, state, ps, day):
    """Forces pulled home in a crisis come back when their time is up
    (:func:`~powderkeg.model.kremlin_daily.crisis_returns_day`)."""
    back, forces, redeployed, until = crisis_returns_day(day, pm.side, state.forces,
                                                         ps.redeployed, ps.redeploy_until)
    if not back:
        return state, ps
    ps = replace(ps, redeployed=redeployed, redeploy_until=until)
    return replace(state, forces=forces, politics=ps), ps


def opponent_multiplier(pm, pw, ps, runs) -> np.ndarray:
    """Effectiveness multiplier per side ``(R, 1, 2)`` from the ladder and Western weapons
    (:func:`~powderkeg.model.kremlin_daily.opponent_multipliers`; all ones without politics)."""
    if ps is None:
        return np.ones((runs, 1, 2))
    return opponent_multipliers(pm.side, pw.rung_opponent_eff, ps.rung, ps.opponent_gain)


def _politics_day(model, world, ps, streams, runs, day, fought: Combat, hits):
    """The politics of the day after combat: the daily couplings
    (:func:`~powderkeg.model.kremlin_daily.daily_couplings`: reinforcements arriving, symbolic
    blows and red lines crossed by today's ``hits`` ``(R, E)``), then on a decision day the
    period (:func:`~powderkeg.model.kremlin.politics_period`). Returns the politics state, the
    forces ``(R, S, 2)`` and the period's record (``None`` on other days)."""
    pm = model.politics
    forces, symbolic, crossed = daily_couplings(
        day, pm.side, fought.forces, ps.mob_from, ps.mob_to, ps.mob_rate, hits,
        pm.symbolic_links, pm.red_line_links, ps.symbolic, ps.crossed)
    ps = replace(ps, symbolic=symbolic, crossed=crossed)
    if day % pm.period != 0:
        return ps, forces, None
    held = objectives_held(model, world, fought.front, pm.side)
    return politics_period(pm, world.politics, ps, streams, runs, day, fought.front, forces,
                           fought.losses, held, model.objective_sector)
