"""The day's supply flow of each run: yesterday's while it is still maximal, else solved anew.

One compiled pass over the runs (:func:`daily_flows`) does per run what the batch used to do
in NumPy over all runs: add up the arcs of each node pair, apply the re-solve rule
(:func:`flow_is_kept`), solve the runs that need it (:func:`~powderkeg.model.maxflow.solve_run`)
and share each pair's flow among its arcs (:func:`arc_flows`). Each run is handled alone, so
its flow does not depend on the batch. :func:`~powderkeg.model.logistics.solve_max_flow` and
:func:`~powderkeg.model.logistics.needs_resolve` are these same functions over whole batches.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.maxflow import solve_run, workspace

__all__ = ["pair_sums", "link_sum", "link_sums", "flow_is_kept", "arc_flows", "flow_workspace",
           "run_flow", "daily_flows", "resolve_needed", "RESOLVE_TOL"]

RESOLVE_TOL = 1e-6  # tons: a flow within this of a capacity counts as meeting it


@njit(cache=True, nogil=True)
def pair_sums(arc_pair, values, out):
    """Sum of one run's ``values`` (A,) over the arcs of each node pair, into ``out`` (P,).

    ``out[p] = sum of values[a] over arcs a with arc_pair[a] = p``, added in arc order.
    """
    out[:] = 0.0
    for a in range(len(arc_pair)):
        out[arc_pair[a]] += values[a]


@njit(cache=True, nogil=True)
def link_sum(link_arcs, link_of_arc, arc_values, out):
    """Tons on each link of one run, both directions: ``out[e] = sum of arc_values[a]`` over
    the link arcs ``a`` of link ``e`` in arc order, from zero; ``arc_values`` (A,), ``out``
    (E,)."""
    out[:] = 0.0
    for i in range(len(link_arcs)):
        out[link_of_arc[i]] += arc_values[link_arcs[i]]


@njit(cache=True, nogil=True)
def link_sums(link_arcs, link_of_arc, values, out):
    """:func:`link_sum` of every run, ``values`` (R, A) into ``out`` (R, E)."""
    for r in range(values.shape[0]):
        link_sum(link_arcs, link_of_arc, values[r], out[r])


@njit(cache=True, nogil=True)
def flow_is_kept(old_pair, new_pair, flow_pair, old_cap, new_cap, sink_arcs):
    """Whether yesterday's flow is still a maximum flow that follows the shortage rule.

    Per node pair ``p`` with yesterday's capacity ``c_p``, today's ``c'_p`` and flow ``f_p``:
    kept when no ``c'_p < f_p - tol`` (the flow no longer fits) and no saturated pair gained
    capacity (``c'_p > c_p`` with ``f_p >= c_p - tol``), so the cut of pairs saturated before
    keeps its value and bounds the flow (max-flow min-cut theorem); and when no demand's sink
    capacity changed (``sink_arcs`` of the arc capacities ``old_cap``, ``new_cap``): the
    residual graph then has the same arcs or fewer, and no demand can gain at another's
    expense. Arrays of one run: pairs (P,), arcs (A,).
    """
    for p in range(len(new_pair)):
        if new_pair[p] < flow_pair[p] - RESOLVE_TOL:
            return False
        if new_pair[p] > old_pair[p] and flow_pair[p] >= old_pair[p] - RESOLVE_TOL:
            return False
    for a in sink_arcs:
        if old_cap[a] != new_cap[a]:
            return False
    return True


@njit(cache=True, nogil=True)
def arc_flows(arc_pair, cap, pair_cap, pair_flow, out):
    """Each arc's share of its pair's flow, ``f_a = max(f_p, 0) c_a / c_p`` (0 if ``c_p = 0``).

    One run: ``cap`` (A,) arc capacities, ``pair_cap`` and ``pair_flow`` (P,), ``out`` (A,).
    """
    for a in range(len(arc_pair)):
        p = arc_pair[a]
        share = cap[a] / pair_cap[p] if pair_cap[p] > 0 else 0.0
        out[a] = max(pair_flow[p], 0.0) * share


@njit(cache=True, nogil=True)
def flow_workspace(n_nodes, n_edges, n_demands, n_pairs, n_arcs):
    """Work arrays for :func:`run_flow`, allocated once per pass over runs: the pair sums of
    today's and yesterday's capacities and of yesterday's flow, the solved pair flows (P,),
    the residual capacities ``base`` and ``resid`` (M,), the solver's
    (:func:`~powderkeg.model.maxflow.workspace`) and a row of arc values (A,)."""
    return (np.empty(n_pairs), np.empty(n_pairs), np.empty(n_pairs), np.empty(n_pairs),
            np.zeros(n_edges), np.empty(n_edges), workspace(n_nodes, n_edges, n_demands),
            np.empty(n_arcs))


@njit(cache=True, nogil=True)
def run_flow(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier, source, sink,
             arc_pair, sink_arcs, cap, old_cap, old_flow, has_old, shared, cuts, out, ws):
    """One run's flow on every arc into ``out`` (A,); whether it was solved anew.

    ``cap`` (A,) are today's whole-ton arc capacities. With ``has_old``, the run keeps
    ``old_flow`` (A,), solved for ``old_cap`` (A,), when :func:`flow_is_kept` says so;
    otherwise it is solved (:func:`~powderkeg.model.maxflow.solve_run`, the shortage rule if
    ``shared``, from the run's stored cuts ``cuts`` (D, B), updated in place) and each pair's
    flow shared among its arcs (:func:`arc_flows`). ``ws`` is :func:`flow_workspace`.
    """
    new_pair, old_pair, flow_pair, pair_flow, base, resid, work, row = ws
    row[:] = cap
    pair_sums(arc_pair, row, new_pair)
    if has_old:
        row[:] = old_cap
        pair_sums(arc_pair, row, old_pair)
        pair_sums(arc_pair, old_flow, flow_pair)
        if flow_is_kept(old_pair, new_pair, flow_pair, old_cap, cap, sink_arcs):
            out[:] = old_flow
            return False
    solve_run(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier, source, sink,
              new_pair, shared, base, resid, pair_flow, cuts, work)
    row[:] = cap
    arc_flows(arc_pair, row, new_pair, pair_flow, out)
    return True


@njit(cache=True, nogil=True)
def daily_flows(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier, source, sink,
                arc_pair, sink_arcs, n_pairs, cap, old_cap, old_flow, has_old, known,
                known_flow, shared, cuts):
    """Today's flow on every arc of every run ``(R, A)`` and which runs were solved ``(R,)``.

    ``cap`` (R, A) are today's whole-ton arc capacities. A run in ``known`` takes
    ``known_flow``, a maximum flow for the same capacities; every other run is
    :func:`run_flow`'s, from ``old_cap`` and ``old_flow`` with ``has_old`` (without it every
    run is solved). ``cuts`` (R, D, B) uint8 are each run's stored cuts
    (:func:`~powderkeg.model.maxflow.shared_flow`), updated in place by the runs solved.
    """
    runs, n_arcs = cap.shape
    flow = np.empty((runs, n_arcs))
    solved = np.zeros(runs, np.bool_)
    ws = flow_workspace(len(edge_ptr) - 1, len(heads), len(sink_edge), n_pairs, n_arcs)
    for r in range(runs):
        if known[r]:
            flow[r] = known_flow[r]
            continue
        solved[r] = run_flow(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier,
                             source, sink, arc_pair, sink_arcs, cap[r], old_cap[r],
                             old_flow[r], has_old, shared, cuts[r], flow[r], ws)
    return flow, solved


@njit(cache=True, nogil=True)
def resolve_needed(arc_pair, sink_arcs, n_pairs, old_cap, new_cap, old_flow):
    """Runs whose flow ``old_flow`` (R, A), solved for ``old_cap``, :func:`flow_is_kept`
    does not keep under ``new_cap``, ``(R,)`` bool."""
    runs, n_arcs = new_cap.shape
    out = np.zeros(runs, np.bool_)
    new_pair, old_pair, flow_pair = np.empty(n_pairs), np.empty(n_pairs), np.empty(n_pairs)
    row = np.empty(n_arcs)
    for r in range(runs):
        row[:] = new_cap[r]
        pair_sums(arc_pair, row, new_pair)
        row[:] = old_cap[r]
        pair_sums(arc_pair, row, old_pair)
        pair_sums(arc_pair, old_flow[r], flow_pair)
        out[r] = not flow_is_kept(old_pair, new_pair, flow_pair, old_cap[r], new_cap[r],
                                  sink_arcs)
    return out

