"""Daily supply: the batched max flow against networkx on random graphs, and its invariants."""

import networkx as nx
import numpy as np
import pytest

from powderkeg.model.logistics import (
    build_flow_graph,
    needs_resolve,
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


def _networkx_value(g, cap_row):
    G = nx.DiGraph()
    for a in range(g.n_arcs):
        u, v = g.pair_tail[g.arc_pair[a]], g.pair_head[g.arc_pair[a]]
        c = cap_row[a] + (G[u][v]["capacity"] if G.has_edge(u, v) else 0)
        G.add_edge(u, v, capacity=c)
    G.add_node(g.source)
    G.add_node(g.sink)
    return nx.maximum_flow_value(G, g.source, g.sink)


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


@pytest.mark.parametrize("seed", range(5))
def test_flows_kept_by_the_resolve_rule_are_still_maximal(seed):
    rng = np.random.default_rng(100 + seed)
    g, *_ = _random_instance(rng)
    old = _random_caps(rng, g, 60)
    flow = solve_max_flow(g, old)
    new = old.copy()
    change = rng.random(new.shape) < 0.1
    new[change] = rng.integers(0, 1000, change.sum())
    new[:, g.depot_arcs] = old[:, g.depot_arcs]
    keep = ~needs_resolve(g, old, new, flow)
    assert keep.any() and (~keep).any()
    for r in np.flatnonzero(keep):
        _check_feasible(g, new[[r]], flow[[r]])
        assert flow[r, g.sink_arcs].sum() == pytest.approx(_networkx_value(g, new[r]))


def test_stocks_and_effectiveness():
    stock = stock_update(np.array([5.0, 0.5, 14.0]), np.array([0.2, 0.2, 1.0]), 14.0)
    np.testing.assert_allclose(stock, [4.2, 0.0, 14.0])
    eff = supply_effectiveness(np.array([10.0, 0.0, 0.0]), np.array([0.0, 0.5, 0.0]), 0.3, 3.0)
    np.testing.assert_allclose(eff, [1.0, 0.65, 0.3])
