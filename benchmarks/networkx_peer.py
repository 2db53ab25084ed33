"""A per-run networkx peer of the engine's logistics, for the benchmark's comparison.

The peer is what a straightforward implementation would be: one Python object per run,
holding a ``networkx.DiGraph`` of the scenario's supply graph, whose capacities are set each
day and whose maximum flow is ``networkx.maximum_flow_value``. It does only the logistics.
:func:`engine_days` steps the engine and records, per day and side, the capacities each
run's flow was solved for and the tons that flow delivered; the peer's value on the same
capacities must equal those deliveries (a maximum flow's value is unique, and the engine's
shortage rule keeps a maximum flow).
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np

__all__ = ["RunPeer", "engine_days", "run_peer"]


class RunPeer:
    """One run's supply graph as a networkx graph: node pairs with their capacities."""

    def __init__(self, g) -> None:
        self.g = g
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(range(g.n_nodes))
        self.edges = list(zip(g.pair_tail.tolist(), g.pair_head.tolist(), strict=True))
        self.graph.add_edges_from(self.edges, capacity=0.0)

    def solve(self, pair_cap: np.ndarray) -> float:
        """Maximum flow from the source to the sink with these node-pair capacities."""
        edges = self.graph.edges
        for (u, v), c in zip(self.edges, pair_cap.tolist(), strict=True):
            edges[u, v]["capacity"] = c
        return nx.maximum_flow_value(self.graph, self.g.source, self.g.sink)


def engine_days(scenario, runs: int, days: int, seed: int = 0) -> list[tuple]:
    """Step the engine; per day and side with a supply graph: ``(graph, pair capacities (R,
    P), delivered tons (R,))`` of the flow each run holds that day."""
    from powderkeg.model.build import build_model
    from powderkeg.model.logistics import per_pair
    from powderkeg.model.random import Streams
    from powderkeg.model.step import init_state, step
    from powderkeg.model.world import sample_world

    model = build_model(scenario)
    ids, streams = np.arange(runs, dtype=np.int64), Streams(seed)
    world = sample_world(model, streams, ids)
    state = init_state(model, world, streams, ids)
    out = []
    for _ in range(days):
        state = step(model, world, state, streams, ids)
        for side, g in enumerate(model.flow_graphs):
            if g is None or state.arc_cap[side] is None:
                continue
            cap, flow = state.arc_cap[side], state.arc_flow[side]
            out.append((g, per_pair(g, np.asarray(cap, dtype=float)),
                        flow[:, g.sink_arcs].sum(axis=1)))
    return out


def run_peer(days: list[tuple]) -> dict:
    """Solve every recorded day with one :class:`RunPeer` per run and side; check each value
    against the engine's deliveries. Returns the timing and the largest difference (tons)."""
    peers: dict[tuple, RunPeer] = {}
    values, diff = 0, 0.0
    start = time.process_time()
    for g, pair_cap, delivered in days:
        for r in range(len(delivered)):
            peer = peers.get((id(g), r)) or peers.setdefault((id(g), r), RunPeer(g))
            value = peer.solve(pair_cap[r])
            diff = max(diff, abs(value - float(delivered[r])))
            values += 1
    cpu = time.process_time() - start
    return {"solves": values, "cpu_seconds": cpu, "largest_difference_tons": diff}
