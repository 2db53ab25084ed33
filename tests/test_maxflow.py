"""The compiled per-run max flow against scipy and networkx, and the shortage rule against
closed forms and a linear program (scipy.optimize.linprog) as independent oracles; the rule
with each run's stored cuts against the rule without them (any node sets give the same
fair deliveries and a maximum flow)."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse.csgraph import breadth_first_order, maximum_flow
from test_logistics import _check_feasible as check_feasible
from test_logistics import _networkx_value as networkx_value

from powderkeg.model.logistics import (
    INF_CAPACITY,
    build_flow_graph,
    day_flow,
    new_cuts,
    per_pair,
    solve_max_flow,
)
from powderkeg.model.maxflow import EPS, dinic, workspace


def scipy_pair_flow(g, cap):
    """scipy's Dinic on each run's graph: net flow on every node pair, ``(R, P)``."""
    out = np.zeros((cap.shape[0], len(g.pair_tail)))
    for r, row in enumerate(per_pair(g, cap.astype(float)).astype(np.int64)):
        m = sp.csr_matrix((row.astype(np.int32), (g.pair_tail, g.pair_head)),
                          shape=(g.n_nodes, g.n_nodes))
        flow = maximum_flow(m, g.source, g.sink, method="dinic").flow.toarray()
        out[r] = np.maximum(flow[g.pair_tail, g.pair_head], 0)
    return out


def random_graph(rng, n_nodes, n_links, n_demands, priority=None):
    tails = rng.integers(0, n_nodes, n_links)
    heads = (tails + rng.integers(1, n_nodes, n_links)) % n_nodes
    directed = rng.random(n_links) < 0.3
    sources = rng.choice(n_nodes, 2, replace=False).tolist()
    tiers = [[rng.choice(n_nodes, 2, replace=False).tolist()] for _ in range(n_demands)]
    return build_flow_graph(n_nodes, tails, heads, directed, sources, tiers, priority)


def random_caps(rng, g, runs, top=1000):
    cap = rng.integers(0, top, (runs, g.n_arcs))
    cap[rng.random(cap.shape) < 0.15] = 0
    cap[:, g.depot_arcs] = INF_CAPACITY
    return cap


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 14), n_links=st.integers(1, 30),
       n_demands=st.integers(1, 4))
def test_plain_flow_is_scipys_arc_for_arc(seed, n_nodes, n_links, n_demands):
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_nodes, n_links, n_demands)
    cap = random_caps(rng, g, 6)
    mine = per_pair(g, solve_max_flow(g, cap, shared=False))
    np.testing.assert_array_equal(np.round(mine, 6), scipy_pair_flow(g, cap))



@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 14), n_links=st.integers(1, 30))
def test_dinics_last_levels_are_the_nodes_the_source_reaches(seed, n_nodes, n_links):
    # the shortage rule reads the set the source reaches from Dinic's last level search;
    # scipy's breadth-first search over the residual edges is the oracle
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_nodes, n_links, 2)
    r = g.residual
    n, m = len(r.edge_ptr) - 1, len(r.heads)
    for row in per_pair(g, random_caps(rng, g, 4).astype(float)):
        resid = np.zeros(m)
        resid[r.pair_edge] = row
        work = workspace(n, m, len(r.sink_edge))
        dinic(r.edge_ptr, r.heads, r.rev, resid, r.source, r.sink, work)
        tails = np.repeat(np.arange(n), np.diff(r.edge_ptr))
        live = resid > EPS
        graph = sp.csr_matrix((np.ones(live.sum()), (tails[live], r.heads[live])), shape=(n, n))
        reached = breadth_first_order(graph, r.source, return_predecessors=False)
        assert r.sink not in reached  # the flow is maximal: no augmenting path is left
        np.testing.assert_array_equal(np.flatnonzero(work[0] >= 0), np.sort(reached))

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 12), n_links=st.integers(1, 26),
       priority=st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_shared_flow_is_a_maximum_flow(seed, n_nodes, n_links, priority):
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n_nodes, n_links, 3, priority)
    cap = random_caps(rng, g, 6)
    flow = solve_max_flow(g, cap)
    check_feasible(g, cap, flow)
    np.testing.assert_allclose(flow[:, g.sink_arcs].sum(axis=1),
                               [networkx_value(g, row) for row in cap], rtol=1e-9)


def test_on_the_scenarios_graph_plain_is_scipys_and_shared_keeps_the_value(autumn_model):
    from powderkeg.engine.worker import Chunk
    from powderkeg.model.random import Streams
    from powderkeg.model.step import init_state
    from powderkeg.model.world import sample_world

    runs = np.arange(40)
    streams = Streams(Chunk(0, runs, 1, 0, 1, None).seed)
    state = init_state(autumn_model, sample_world(autumn_model, streams, runs), streams, runs)
    g = autumn_model.flow_graphs[0] or autumn_model.flow_graphs[1]
    cap = next(c for c in state.arc_cap if c is not None).astype(np.int64)
    cut = cap.copy()  # half of each link's capacity gone, so that supply runs short
    cut[:, g.link_arcs] //= 2
    for c in (cap, cut):
        plain = solve_max_flow(g, c, shared=False)
        np.testing.assert_array_equal(np.round(per_pair(g, plain), 6), scipy_pair_flow(g, c))
        shared = solve_max_flow(g, c)
        check_feasible(g, c, shared)
        np.testing.assert_allclose(shared[:, g.sink_arcs].sum(1), plain[:, g.sink_arcs].sum(1))
    assert (plain[:, g.sink_arcs].sum(1) < cut[:, g.sink_arcs].sum(1) - 1).any()


def _bottleneck(priority=None, needs=(300, 100), bottleneck=200):
    """Source -> node 0 -(bottleneck)-> node 1, two demands fed at node 1."""
    g = build_flow_graph(2, [0], [1], [True], [0], [[[1]], [[1]]], priority)
    cap = np.zeros((1, g.n_arcs), dtype=np.int64)
    cap[0, g.link_arcs] = bottleneck
    cap[0, g.source_arcs] = 10_000
    cap[0, g.depot_arcs] = INF_CAPACITY
    cap[0, g.sink_arcs] = needs
    return g, solve_max_flow(g, cap)[0, g.sink_arcs]


def test_two_demands_behind_one_bottleneck_get_the_same_fraction():
    # 200 t for needs of 300 and 100: both get 200/400 = one half
    _, got = _bottleneck()
    np.testing.assert_allclose(got, [150, 50])


def test_a_higher_priority_is_served_first():
    _, got = _bottleneck(priority=[0, 1])
    np.testing.assert_allclose(got, [100, 100])  # the second is served in full first
    _, got = _bottleneck(priority=[1, 0])
    np.testing.assert_allclose(got, [200, 0])


def test_a_demand_that_can_be_met_is_met_and_the_rest_goes_to_the_other():
    # demand 0 has its own link of 50 t; demand 1 shares nothing: 0 gets 50, 1 gets 100
    g = build_flow_graph(3, [0, 0], [1, 2], [True, True], [0], [[[1]], [[2]]])
    cap = np.zeros((1, g.n_arcs), dtype=np.int64)
    cap[0, g.link_arcs] = [50, 500]
    cap[0, g.source_arcs] = 10_000
    cap[0, g.depot_arcs] = INF_CAPACITY
    cap[0, g.sink_arcs] = [200, 100]
    np.testing.assert_allclose(solve_max_flow(g, cap)[0, g.sink_arcs], [50, 100])


def lp_max_min_fair(g, row):
    """Max-min fair deliveries by the textbook sequence of linear programs (linprog).

    Variables: the flow on each node pair and the level t. Maximise t subject to conservation,
    capacities and ``x_j >= t c_j`` for unfixed demands (fixed ones: ``x_j = x*_j``); then a
    demand is blocked when its delivery cannot exceed ``t c_j`` with the others at t.
    """
    pcap = per_pair(g, row[None].astype(float))[0]
    p = len(pcap)
    sink_pair = g.arc_pair[g.sink_arcs]
    c = pcap[sink_pair]
    n_inner = [v for v in range(g.n_nodes) if v not in (g.source, g.sink)]
    a_eq = np.zeros((len(n_inner), p + 1))
    for i, v in enumerate(n_inner):
        a_eq[i, :p] = (g.pair_head == v).astype(float) - (g.pair_tail == v)
    bounds = [(0, x) for x in pcap] + [(0, 1)]
    fixed = {j: 0.0 for j in range(len(c)) if c[j] == 0}
    while len(fixed) < len(c):
        rows, rhs, eq_rows, eq_rhs = [], [], [a_eq], [np.zeros(len(n_inner))]
        for j in range(len(c)):
            e = np.zeros(p + 1)
            e[sink_pair[j]] = 1
            if j in fixed:
                eq_rows.append(e[None])
                eq_rhs.append([fixed[j]])
            else:
                e[p] = -c[j]
                rows.append(-e)
                rhs.append(0.0)
        obj = np.zeros(p + 1)
        obj[p] = -1
        lp = dict(A_ub=np.array(rows), b_ub=rhs, A_eq=np.vstack(eq_rows),
                  b_eq=np.concatenate(eq_rhs), bounds=bounds, method="highs")
        t = -linprog(obj, **lp).fun
        for j in [j for j in range(len(c)) if j not in fixed]:
            more = np.zeros(p + 1)
            more[sink_pair[j]] = -1
            lp_t = dict(lp, bounds=bounds[:p] + [(t, t)])
            if -linprog(more, **lp_t).fun <= t * c[j] + 1e-6:
                fixed[j] = t * c[j]
    return np.array([fixed[j] for j in range(len(c))])


@pytest.mark.parametrize("seed", range(12))
def test_max_min_fairness_agrees_with_a_linear_program(seed):
    rng = np.random.default_rng(seed)
    g = random_graph(rng, 8, 14, 3)
    cap = random_caps(rng, g, 3, top=300)
    cap[:, g.sink_arcs] = rng.integers(100, 400, (3, 3))  # needs the network cannot all meet
    got = solve_max_flow(g, cap)[:, g.sink_arcs]
    for r in range(3):
        np.testing.assert_allclose(got[r], lp_max_min_fair(g, cap[r]), atol=1e-5)


def scipy_value(g, row):
    """scipy's maximum flow value for one run's whole-ton arc capacities."""
    pair = per_pair(g, row[None].astype(float))[0].astype(np.int32)
    m = sp.csr_matrix((pair, (g.pair_tail, g.pair_head)), shape=(g.n_nodes, g.n_nodes))
    return maximum_flow(m, g.source, g.sink, method="edmonds_karp").flow_value


def days_of_caps(rng, g, runs, days, share=0.1):
    """Capacities of ``days`` days in a row, needs the network often cannot meet: each day
    about ``share`` of the arcs and needs move by up to 150 t."""
    cap = random_caps(rng, g, runs)
    cap[:, g.sink_arcs] = rng.integers(100, 1500, (runs, len(g.sink_arcs)))
    out = [cap]
    for _ in range(days - 1):
        cap = cap.copy()
        change = rng.random(cap.shape) < share
        cap[change] = np.maximum(0, cap[change] + rng.integers(-150, 151, change.sum()))
        cap[:, g.depot_arcs] = INF_CAPACITY
        out.append(cap)
    return out


def assert_same_rule(g, cap, warm):
    """``warm`` (R, A) is a maximum flow (scipy's value, conservation, capacities) with the
    rule's fair deliveries, those of the rule solved without stored cuts, to 1e-9."""
    cold = solve_max_flow(g, cap)
    np.testing.assert_allclose(warm[:, g.sink_arcs], cold[:, g.sink_arcs], rtol=1e-9,
                               atol=1e-7)
    check_feasible(g, cap, warm)
    np.testing.assert_allclose(warm[:, g.sink_arcs].sum(1), [scipy_value(g, r) for r in cap],
                               rtol=1e-9)
    return (cold[:, g.sink_arcs].sum(1) < cap[:, g.sink_arcs].sum(1) - 1).sum()


@pytest.mark.parametrize("seed", range(8))
def test_yesterdays_cuts_leave_the_fair_deliveries_and_a_maximum_flow(seed):
    rng = np.random.default_rng(300 + seed)
    priority = [0, 0, 0, 0] if seed % 2 == 0 else rng.integers(0, 2, 4).tolist()
    g = random_graph(rng, 10, 24, 4, priority)
    cuts = new_cuts(g, 6)
    short = 0
    for cap in days_of_caps(rng, g, 6, 12):
        short += assert_same_rule(g, cap, day_flow(g, cap, cuts=cuts)[0])
    assert short > 10 and cuts.any()  # the rule was needed, and cuts were stored


@pytest.mark.parametrize("seed", range(6))
def test_any_stored_node_sets_leave_the_fair_deliveries(seed):
    # every node set with the source and without the sink bounds the flow: random bytes
    rng = np.random.default_rng(400 + seed)
    g = random_graph(rng, 12, 26, 3, [0, 0, 0] if seed % 2 == 0 else [1, 0, 0])
    cap = days_of_caps(rng, g, 20, 1)[0]
    cuts = rng.integers(0, 256, new_cuts(g, 20).shape).astype(np.uint8)
    assert assert_same_rule(g, cap, day_flow(g, cap, cuts=cuts)[0]) > 5


def test_the_stored_cuts_are_each_runs_own():
    rng = np.random.default_rng(7)
    g = random_graph(rng, 10, 24, 4)
    batch, alone = new_cuts(g, 8), [new_cuts(g, 1) for _ in range(8)]
    for cap in days_of_caps(rng, g, 8, 8):
        flow = day_flow(g, cap, cuts=batch)[0]
        for r in range(8):
            np.testing.assert_array_equal(day_flow(g, cap[[r]], cuts=alone[r])[0][0], flow[r])
    np.testing.assert_array_equal(np.concatenate(alone), batch)


def test_on_the_scenarios_graph_cuts_carried_over_days_keep_the_rule(autumn_model):
    from powderkeg.engine.worker import Chunk
    from powderkeg.model.random import Streams
    from powderkeg.model.step import init_state
    from powderkeg.model.world import sample_world

    runs = np.arange(30)
    streams = Streams(Chunk(0, runs, 1, 0, 1, None).seed)
    state = init_state(autumn_model, sample_world(autumn_model, streams, runs), streams, runs)
    side = next(s for s, c in enumerate(state.arc_cap) if c is not None)
    g, cap = autumn_model.flow_graphs[side], state.arc_cap[side].astype(np.int64)
    cuts, short = new_cuts(g, len(runs)), 0
    for keep in (1.0, 0.6, 0.5, 0.55, 0.45, 0.4, 0.5):  # links cut harder, then repaired
        day = cap.copy()
        day[:, g.link_arcs] = (day[:, g.link_arcs] * keep).astype(np.int64)
        short += assert_same_rule(g, day, day_flow(g, day, cuts=cuts)[0])
    assert short > 50
