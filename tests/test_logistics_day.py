"""The compiled supply day gives the former NumPy glue's results bit for bit.

``logistics_reference.logistics`` is that glue (the batch functions over all runs). Every day
of a chunk, the step's supply (``step._logistics``, one compiled pass per side) and the
reference are run on the same state and must give the same bits in every supply field: arc
capacities and flows of the plan and of the flow, the stored cuts, the deliveries, and the
link flows the state derives from the arc flows (the reference summed and stored them).
autumn-2022 has one side's trucks; october-1973 two supply graphs with trucks; the tiny
scenario none (no fleet limit, so no plan).
"""

from dataclasses import replace

import logistics_reference
import numpy as np
import pytest
from logistics_reference import sink_tons, truck_road_capacity

from powderkeg.engine.simulate import simulate_chunk
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.model import step
from powderkeg.model.daily_flow import link_sum, link_sums
from powderkeg.model.logistics_day import sink_capacities, truck_capacities
from powderkeg.scenario import load_scenario

SUPPLY = ("arc_cap", "arc_flow", "plan_cap", "plan_flow", "plan_cuts", "flow_cuts")


def _same(a, b):
    return (a is None and b is None) or (
        a is not None and b is not None and a.dtype == b.dtype and a.shape == b.shape
        and a.tobytes() == b.tobytes())


def _compared(monkeypatch, scenario, runs, days):
    """Simulate with each day's supply checked against the reference; counts of run-days
    (sides with a plan; of them, the runs the trucks limited)."""
    compiled = step._logistics
    counts = {"days": 0, "planned": 0, "trucks_short": 0}

    def checked(model, world, state, need, control, open_cap):
        supply = compiled(model, world, state, need, control, open_cap)
        got = replace(state, **supply._asdict())  # the state's supply fields, as stored
        want, delivered, link_flow = logistics_reference.logistics(
            model, world, replace(state, need=need), control, open_cap)
        for name in SUPPLY:  # capacities from the slots the state keeps
            for side, (a, b) in enumerate(zip(getattr(got, name), want[name], strict=True)):
                assert _same(a, b), (name, side, state.day)
        assert _same(got.delivered, delivered), state.day
        assert _same(got.link_flow, link_flow), state.day  # derived from the arc flows
        counts["days"] += 1
        for cap, plan in zip(got.arc_cap, got.plan_cap, strict=True):
            if plan is not None:
                counts["planned"] += len(cap)
                counts["trucks_short"] += int((cap != plan).any(axis=1).sum())
        return supply

    monkeypatch.setattr(step, "_logistics", checked)
    simulate_chunk(scenario, Chunk(0, np.arange(runs), days, 3, 1, series=()),
                   model_for(scenario))
    return counts


@pytest.mark.parametrize("name, runs, days", [("autumn-2022", 30, 90), ("october-1973", 30, 30)])
def test_the_compiled_supply_day_gives_the_numpy_glues_bits(monkeypatch, name, runs, days):
    counts = _compared(monkeypatch, load_scenario(name), runs, days)
    assert counts["days"] == days + 1
    # both branches of the trucks: runs they limited and runs whose plan was the flow
    assert 0 < counts["trucks_short"] < counts["planned"]


def test_without_a_fleet_limit_there_is_no_plan_and_the_same_bits(monkeypatch):
    from conftest import tiny_scenario

    scenario = tiny_scenario()
    assert not scenario.supply.truck_ton_km_per_day
    counts = _compared(monkeypatch, scenario, 8, 20)
    assert counts["days"] == 21 and counts["planned"] == 0


def test_sink_capacities_are_the_batch_rules_whole_tons():
    rng = np.random.default_rng(4)
    need = rng.lognormal(7.0, 1.5, (50, 6))
    stock = rng.uniform(0.0, 10.0, (50, 6))
    most = rng.uniform(0.0, 10.0, (50, 6))
    refill = rng.uniform(0.0, 0.5, 50)
    got = np.empty((50, 6))
    sink_capacities(need, stock, most, refill, got)
    assert got.tobytes() == np.ceil(sink_tons(need, stock, most, refill[:, None])).tobytes()


def test_truck_capacities_are_the_batch_rules_bits():
    # fleets from far short of the plan to more than enough; roads on and off
    rng = np.random.default_rng(5)
    runs, links = 200, 53
    road = rng.random((runs, links)) < 0.6
    cap = rng.lognormal(8.0, 1.0, (runs, links))
    plan = cap * rng.uniform(0.0, 1.0, (runs, links)) * (rng.random((runs, links)) < 0.8)
    km = rng.uniform(5.0, 300.0, links)
    factor = rng.uniform(1.0, 1.6, runs)
    fleet = np.exp(rng.uniform(np.log(1e4), np.log(1e8), runs))
    fleet[:10] = np.inf
    want = truck_road_capacity(np.where(road, cap, 0.0), np.where(road, plan, 0.0),
                               km * factor[:, None], fleet)
    got, work = np.empty(links), np.empty(links)
    short = 0
    for r in range(runs):
        truck_capacities(road[r], cap[r], plan[r], km, factor[r], fleet[r], np.arange(links),
                         work, got)
        assert got.tobytes() == want[r].tobytes(), r
        short += int((got < np.where(road[r], cap[r], 0.0)).any())
    assert 0 < short < runs


def test_link_sums_add_both_directions_of_each_link():
    # link 0 has arcs 0 and 2, link 1 arc 1, link 2 none
    values = np.array([[1.5, 2.0, 0.25, 9.0], [0.0, 3.0, 4.0, 9.0]])
    arcs, links = np.array([0, 1, 2]), np.array([0, 1, 0])
    out = np.full((2, 3), np.nan)
    link_sums(arcs, links, values, out)
    assert out.tolist() == [[1.75, 2.0, 0.0], [4.0, 3.0, 0.0]]
    one = np.empty(3)
    link_sum(arcs, links, values[1], one)
    assert one.tolist() == out[1].tolist()


def test_capacity_slots_join_only_the_two_arcs_of_an_undirected_link():
    from powderkeg.model.logistics import build_flow_graph

    # links 0-1 (both ways), 1-2 (one way), 2-3 (both ways); a source at 0, two demands
    g = build_flow_graph(4, [0, 1, 2], [1, 2, 3], [False, True, False], [0], [[[2]], [[3, 1]]])
    assert len(g.slot_arc) == 3 + g.n_arcs - len(g.link_arcs)
    assert g.arc_slot[g.slot_arc].tolist() == list(range(len(g.slot_arc)))
    for slot in range(len(g.slot_arc)):
        arcs = np.flatnonzero(g.arc_slot == slot)
        if slot < 3:  # a link's slot holds its arcs and nothing else
            assert sorted(arcs) == sorted(g.link_arcs[g.link_of_arc == slot])
        else:
            assert len(arcs) == 1 and arcs[0] not in g.link_arcs
