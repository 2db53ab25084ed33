"""Daily supply: the batched max flow against networkx on random graphs, and its invariants."""

import networkx as nx
import numpy as np
import pytest

from powderkeg.model.daily_flow import pair_sums
from powderkeg.model.logistics import (
    build_flow_graph,
    day_flow,
    needs_resolve,
    per_pair,
    solve_max_flow,
    stock_update,
    supply_effectiveness,
)


def _random_instance(rng, n_nodes=12, n_links=26, n_sources=2, n_demands=3):
    tails = rng.integers(0, n_nodes, n_links)
    heads = (tails + rng.integers(1, n_nodes, n_links)) % n_nodes
    directed = rng.random(n_links) < 0.3
    sources = rng.choice(n_nodes, n_sources, replace=False).tolist()
    tiers = [[rng.choice(n_nodes, 2, replace=False).tolist()] for _ in range(n_demands)]
    g = build_flow_graph(n_nodes, tails, heads, directed, sources, tiers)
    return g, tails, heads, directed


def _random_caps(rng, g, runs):
    cap = rng.integers(0, 1000, (runs, g.n_arcs))
    cap[rng.random(cap.shape) < 0.15] = 0
    cap[:, g.depot_arcs] = 1 << 28
    return cap


def _networkx_graph(g, cap_row):
    G = nx.DiGraph()
    for a in range(g.n_arcs):
        u, v = g.pair_tail[g.arc_pair[a]], g.pair_head[g.arc_pair[a]]
        c = cap_row[a] + (G[u][v]["capacity"] if G.has_edge(u, v) else 0)
        G.add_edge(u, v, capacity=c)
    G.add_node(g.source)
    G.add_node(g.sink)
    return G


def _networkx_value(g, cap_row):
    return nx.maximum_flow_value(_networkx_graph(g, cap_row), g.source, g.sink)


def _check_feasible(g, cap, flow):
    assert (flow >= -1e-9).all() and (flow <= cap + 1e-6).all()
    balance = np.zeros((flow.shape[0], g.n_nodes))
    tails, heads = g.pair_tail[g.arc_pair], g.pair_head[g.arc_pair]
    np.add.at(balance, (slice(None), heads), flow)
    np.add.at(balance, (slice(None), tails), -flow)
    inner = np.setdiff1d(np.arange(g.n_nodes), [g.source, g.sink])
    np.testing.assert_allclose(balance[:, inner], 0, atol=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_delivered_flow_equals_networkx_max_flow(seed):
    rng = np.random.default_rng(seed)
    g, *_ = _random_instance(rng)
    cap = _random_caps(rng, g, 25)
    flow = solve_max_flow(g, cap)
    _check_feasible(g, cap, flow)
    delivered = flow[:, g.sink_arcs].sum(axis=1)
    expected = [_networkx_value(g, row) for row in cap]
    np.testing.assert_allclose(delivered, expected)


def test_parallel_links_share_flow_within_their_capacities():
    # two parallel links 0->1 (capacities 30 and 10), one demand of 100 at node 1
    g = build_flow_graph(2, [0, 0], [1, 1], [True, True], [0], [[[1]]])
    cap = np.zeros((1, g.n_arcs), dtype=int)
    cap[0, g.link_arcs] = [30, 10]
    cap[0, g.source_arcs] = 1000
    cap[0, g.depot_arcs] = 1 << 28
    cap[0, g.sink_arcs] = 100
    flow = solve_max_flow(g, cap)
    np.testing.assert_allclose(flow[0, g.link_arcs], [30, 10])
    assert flow[0, g.sink_arcs].sum() == 40


def _next_day(rng, runs, share):
    """A graph, yesterday's capacities and flow, and today's capacities (``share`` changed)."""
    g, *_ = _random_instance(rng)
    old = _random_caps(rng, g, runs)
    new = old.copy()
    change = rng.random(new.shape) < share
    new[change] = rng.integers(0, 1000, change.sum())
    new[:, g.depot_arcs] = old[:, g.depot_arcs]
    return g, old, solve_max_flow(g, old), new


@pytest.mark.parametrize("seed", range(5))
def test_flows_kept_by_the_resolve_rule_are_still_maximal(seed):
    g, old, flow, new = _next_day(np.random.default_rng(100 + seed), 60, 0.1)
    keep = ~needs_resolve(g, old, new, flow)
    assert keep.any() and (~keep).any()
    for r in np.flatnonzero(keep):
        _check_feasible(g, new[[r]], flow[[r]])
        assert flow[r, g.sink_arcs].sum() == pytest.approx(_networkx_value(g, new[r]))


@pytest.mark.parametrize("seed", range(3))
def test_the_days_flow_keeps_solves_or_takes_the_known_flow_run_by_run(seed):
    rng = np.random.default_rng(200 + seed)
    g, old, old_flow, new = _next_day(rng, 80, 0.05)
    known = rng.random(80) < 0.2
    known_flow = solve_max_flow(g, new, shared=False)
    flow, solved = day_flow(g, new, old, old_flow, known, known_flow)
    redo = needs_resolve(g, old, new, old_flow) & ~known
    assert np.array_equal(solved, redo) and redo.any() and (~redo & ~known).any()
    assert np.array_equal(flow[known], known_flow[known])
    assert np.array_equal(flow[~redo & ~known], old_flow[~redo & ~known])
    assert np.array_equal(flow[redo], solve_max_flow(g, new[redo]))
    # the compiled pair sums behind the rule add up arcs as the sparse pair matrix does
    pair = np.empty(len(g.pair_tail))
    pair_sums(g.arc_pair, old_flow[0], pair)
    assert np.array_equal(pair, per_pair(g, old_flow[[0]])[0])


def test_stocks_and_effectiveness():
    stock = [stock_update(s, d, 14.0) for s, d in [(5.0, 0.2), (0.5, 0.2), (14.0, 1.0)]]
    np.testing.assert_allclose(stock, [4.2, 0.0, 14.0])
    eff = [supply_effectiveness(s, d, 0.3, 3.0) for s, d in [(10.0, 0.0), (0.0, 0.5),
                                                              (0.0, 0.0)]]
    np.testing.assert_allclose(eff, [1.0, 0.65, 0.3])


# ---------------------------------------------------------------- interdiction targets


@pytest.mark.parametrize("seed", range(6))
def test_vital_links_are_those_whose_loss_cuts_the_networkx_max_flow(seed):
    from powderkeg.model.logistics import per_link, vital_links

    rng = np.random.default_rng(100 + seed)
    g, tails, heads, directed = _random_instance(rng)
    cap = _random_caps(rng, g, 12)
    flow = solve_max_flow(g, cap)
    vital = vital_links(g, cap, flow)
    link_cap = per_link(g, cap.astype(float))
    for r in range(cap.shape[0]):
        value = _networkx_value(g, cap[r])
        for e in range(len(tails)):
            arcs = g.link_arcs[g.link_of_arc == e]
            if link_cap[r, e] == 0:
                assert not vital[r, e]
                continue
            less = cap[r].copy()
            less[arcs] = np.maximum(less[arcs] - 1, 0)
            cut = _networkx_value(g, less) < value
            if vital[r, e]:  # a flagged link lies on a minimum cut: losing capacity cuts flow
                assert cut, (r, e)
            # networkx's own minimum cut (the residual reach of the source) is flagged
        _, (reach, _) = nx.minimum_cut(_networkx_graph(g, cap[r]), g.source, g.sink)
        for e in range(len(tails)):
            for a in g.link_arcs[g.link_of_arc == e]:
                u, v = g.pair_tail[g.arc_pair[a]], g.pair_head[g.arc_pair[a]]
                if u in reach and v not in reach and cap[r, a] > 0:
                    assert vital[r, e], (r, e)


def test_repairs_restore_capacity_in_steps_and_stop_on_struck_days():
    from powderkeg.model.fire_kernels import REPAIR_STEPS, open_fraction, repair_step, work_left

    assert REPAIR_STEPS == 4
    done = [0, 0]  # days of work done on two links of 8 days' work from open fraction 0.2
    seen = []
    for day in range(9):
        done = [d if e == 1 and day == 1 else repair_step(8.0, d) for e, d in enumerate(done)]
        seen.append([open_fraction(0.2, 8.0, d) for d in done])
    # link 0: 8 days of work close the gap of 0.8 in quarters, every second day
    np.testing.assert_allclose([s[0] for s in seen], [0.2, 0.4, 0.4, 0.6, 0.6, 0.8, 0.8, 1.0,
                                                      1.0])
    # link 1 loses day 1 to a strike, so it is a day behind
    np.testing.assert_allclose([s[1] for s in seen], [0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 0.8, 0.8,
                                                      1.0])
    assert done == [8, 8] and work_left(8.0, 8) == 0.0  # the work stops when it is done


def test_the_work_left_is_exactly_a_days_work_taken_off_each_day():
    """The state keeps whole days of work done; the work left it gives is the drawn time
    with one day taken off at a time, to the last bit, for times over 15 orders of size."""
    from powderkeg.model.fire_kernels import work_left

    times = np.random.default_rng(2).lognormal(2.0, 3.0, 2000)
    for t in times:
        left, done = t, 0
        while left > 0:
            assert work_left(t, done) == left
            left, done = max(left - 1.0, 0.0), done + 1
            if done > 3000:
                break
        assert work_left(t, done) == left


def test_trucks_go_where_the_plan_sends_freight_and_limit_it_to_the_fleet():
    from logistics_reference import truck_road_capacity

    cap = np.array([[1000.0, 3000.0, 500.0]] * 3)
    plan = np.array([[1000.0, 3000.0, 0.0]] * 3)  # the third road carries nothing in the plan
    km = np.array([100.0, 50.0, 10.0])
    # the plan asks 1000 * 100 + 3000 * 50 = 250,000 ton-km a day
    fleet = np.array([100_000.0, 1e9, np.inf])
    got = truck_road_capacity(cap, plan, km, fleet)
    np.testing.assert_allclose(got[0], [400.0, 1200.0, 0.0])  # trucks for 40% of the plan
    np.testing.assert_allclose(got[1:], cap[1:])  # a fleet that suffices leaves the roads be
    assert (got[0] * km).sum() <= 100_000 + 1e-6


def test_need_follows_the_forces_and_refills_are_allowed_on_the_sink_arc():
    from logistics_reference import sink_tons

    from powderkeg.model.logistics import demand_need

    need = np.array([[demand_need(2000.0, 30_000.0, 20_000.0, 1.0),
                       demand_need(500.0, 1.0, 1.0, 1.0)]])
    np.testing.assert_allclose(need, [[3000.0, 500.0]])
    sink = sink_tons(need, np.array([[15.0, 0.0]]), np.array([[15.0, 15.0]]), 0.5)
    np.testing.assert_allclose(sink, [[3000.0, 500.0 * 1.5]])  # full stocks take no refill


def test_stocks_recover_after_a_cut_ends():
    from conftest import tiny_document, tiny_scenario

    from powderkeg.engine.simulate import simulate

    doc = tiny_document()
    # the only supply line, cut on day 0, comes back over 20 days of repair
    doc["links"][0].update(at_start=0.0, repair_days=20, capacity=2000)
    doc["supply"]["demands"][0].update(tons_per_day=900, initial_stock_days=5,
                                       max_stock_days=15)
    s = tiny_scenario(links=doc["links"], supply=doc["supply"], deep_strikes=[])
    stock = simulate(s, 3, 60, seed=0, every=1).stock_days.sel(demand="front_red").values[0]
    low = int(np.argmin(stock))
    assert stock[low] < 5 and stock[-1] > stock[low] + 5
    assert np.all(np.diff(stock[low:]) >= -1e-6) and stock.max() <= 15 + 1e-6


def test_repair_times_keep_their_distribution_and_share_a_run_component():
    from scipy import stats

    from powderkeg.model.build import build_model
    from powderkeg.model.fires import repair_times
    from powderkeg.model.random import Streams
    from powderkeg.model.world import sample_world
    from powderkeg.scenario import load_scenario

    m = build_model(load_scenario("autumn-2022"))
    runs, streams = np.arange(4000), Streams(11)
    world = sample_world(m, streams, runs)
    e = m.link_ids.index("kerch_bridge_rail")
    hit = np.zeros((len(runs), m.n_links), dtype=bool)
    hit[:, e] = True
    first = repair_times(m, world, streams, runs, 10, hit)[:, e]
    second = repair_times(m, world, streams, runs, 20, hit)[:, e]
    # every repair keeps the scenario's lognormal(median 150, sigma 0.5)
    dist = stats.lognorm(s=0.5, scale=150)
    assert stats.kstest(first, dist.cdf).pvalue > 0.001
    # two repairs of a link in one run correlate by the common share (0.5) on the normal scale
    z1, z2 = np.log(first / 150) / 0.5, np.log(second / 150) / 0.5
    r = np.corrcoef(z1, z2)[0, 1]
    assert abs(r - 0.5) < 3 / np.sqrt(len(runs)), r


def test_repair_distributions_are_per_run_parameters_sensitivity_can_reach(autumn_model):
    assert "links[kerch_bridge_rail].repair_days" in autumn_model.world_paths
    assert "model.logistics.repair_days.rail" in autumn_model.world_paths


def test_sink_capacities_are_exact_whole_tons_up_to_the_int32_range_and_refused_beyond(
        autumn_model):
    from powderkeg.errors import InputError
    from powderkeg.model.network import arc_capacities

    m = autumn_model
    side = next(s for s, g in enumerate(m.flow_graphs) if g is not None)
    g = m.flow_graphs[side]
    control = np.full((1, len(m.node_ids)), side)
    links = np.full((1, m.n_links), 500.0)
    sources = np.full((1, len(g.source_arcs)), 1000.0)
    depots = np.ones((1, len(g.depot_arcs)), dtype=bool)
    top = float(np.iinfo(np.int32).max)
    sinks = np.full((1, len(g.sink_arcs)), 10.5)
    sinks[0, 0] = top - 1.5  # ceil: the largest whole ton below the int32 limit
    cap = arc_capacities(m, g, side, control, links, sources, sinks, depots)
    assert cap[0, g.sink_arcs[0]] == top - 1 and (cap[0, g.sink_arcs[1:]] == 11).all()
    sinks[0, 0] = top
    with pytest.raises(InputError, match="supply.demands"):
        arc_capacities(m, g, side, control, links, sources, sinks, depots)
