"""Compiling the model's Numba kernels once, before the work starts.

The first call after an install compiles (some seconds of CPU) and writes Numba's cache;
later processes load it. Calling :func:`warm_up` before starting worker processes lets them
load the cache instead of each compiling its own; every command that simulates shows it as
a phase. A scenario's sizes choose some dtypes (the day's hits are int8, int16 or int32 by
its missions), so :func:`warm_up_model` also runs the scenario's own model briefly.
"""

from __future__ import annotations

import numpy as np

from powderkeg.model import (
    demand_day,
    elementary,
    fire_kernels,
    kremlin_blame,
    kremlin_daily,
    kremlin_ladder,
    kremlin_mobilization,
    logistics_day,
    outcomes,
    theater,
)
from powderkeg.model.daily_flow import daily_flows, link_sums, resolve_needed
from powderkeg.model.lanchester import helmbold_day
from powderkeg.model.logistics import CAPACITY_DTYPE
from powderkeg.model.maxflow import build_residual, cut_pairs
from powderkeg.model.network import depots_allowed, node_controls, whole_ton_capacities
from powderkeg.model.random import Streams
from powderkeg.model.step import init_state, step
from powderkeg.model.world import sample_world

__all__ = ["warm_up", "warm_up_model"]


def warm_up_model(model) -> None:
    """Compile (or load) the kernel signatures ``model``'s own dtypes need: two runs through
    its first decision day (one day without politics), in this process, after
    :func:`warm_up`. About 10 ms once compiled. Without it, a scenario whose dtypes differ
    from the built-ins' (more missions a day than an int8 counts,
    :func:`~powderkeg.model.fires.hits_dtype`) would compile kernels inside the simulation,
    in every worker."""
    runs, streams = np.arange(2, dtype=np.int64), Streams(0)
    world = sample_world(model, streams, runs)
    state = init_state(model, world, streams, runs)
    for _ in range(model.politics.period if model.politics is not None else 1):
        state = step(model, world, state, streams, runs)


def warm_up() -> None:
    """Compile every kernel, or load it from the cache: the supply kernels on a two-node graph
    (arc capacities, flows, re-solve rule, link sums, cuts), the elementary functions, one day
    of Helmbold's equations, the random streams, the fires' kernels, the theater's day (combat,
    fronts, decisions), the outcomes, the Kremlin's daily couplings, mobilisation and ladder."""
    r = build_residual(2, np.array([0]), np.array([1]), np.array([0]), 0, 1, np.array([0]))
    one, arcs = np.ones((1, 1), CAPACITY_DTYPE), np.array([0])
    for shared in (False, True):
        flow, _ = daily_flows(r.edge_ptr, r.heads, r.rev, r.pair_edge, r.sink_edge,
                              r.demand_node, r.tier, r.source, r.sink, arcs, arcs, 1, one, one,
                              np.ones((1, 1)), True, np.zeros(1, np.bool_), np.ones((1, 1)),
                              shared, np.zeros((1, 1, 1), np.uint8))
    resolve_needed(arcs, arcs, 1, one, one, flow)
    link_sums(arcs, arcs, flow, np.zeros((1, 1)))
    ids, flag = np.zeros(1, np.int64), np.ones((1, 1), np.bool_)
    whole_ton_capacities(0, np.zeros((1, 1), np.int64), ids, ids, arcs, arcs, flow, arcs, flow,
                         arcs, ids, ids, ids, flag, arcs, flow, np.zeros((1, 1), CAPACITY_DTYPE))
    node_controls(ids, ids, np.ones(1), np.ones((1, 1)), np.empty((1, 1), np.int64))
    depots_allowed(0, ids, ids, ids, np.ones(1), ids, ids, np.ones((1, 1)), np.ones((1, 1)), flag)
    demand_day.warm_up()
    cut_pairs(r.edge_ptr, r.heads, r.rev, r.pair_edge, arcs, np.array([1]), 0, 1,
              np.ones((1, 1)), flow)
    elementary.warm_up()
    Streams(0).uniform("warm-up", np.arange(1), 0)
    fire_kernels.warm_up()
    helmbold_day(1.0, 1.0, 0.0, 0.0, 1.0)
    theater.warm_up()
    outcomes.warm_up()
    kremlin_blame.warm_up()
    kremlin_daily.warm_up()
    kremlin_ladder.warm_up()
    kremlin_mobilization.warm_up()
    logistics_day.warm_up()
