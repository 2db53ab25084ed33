"""A per-run maximum flow compiled with Numba, and shortage shared by a declared rule.

Each run's supply graph is solved on its own (no disjoint-union batch graph), by Dinic's
algorithm (Dinitz 1970) on a residual graph whose arcs out of each node are sorted by head,
with a reverse arc for every arc: the same layout, level graph and depth-first search as
:func:`scipy.sparse.csgraph.maximum_flow` (``method="dinic"``), so on whole-ton capacities
it returns the same arc flows as scipy's solver (``tests/test_maxflow.py`` checks this).
Capacities are floats: whole tons are exact in float64, and the shortage rule needs
fractional ones.

**The shortage rule** (:func:`shared_flow`). When the network cannot meet every demand's
sink capacity ``c_j``, demands are served tier by tier (a higher ``priority`` first); within
a tier, deliveries ``x_j`` are max-min fair in ``x_j / c_j`` (the lexicographically optimal
flow of Megiddo 1974; for a polymatroid, Fujishige 1980): the smallest served fraction is as
large as possible, then the next, and so on. The deliverable vectors of a one-source,
many-sink network form a polymatroid, so the fair allocation is also a maximum flow.
Each fair level is found by Newton's method on the parametric maximum flow ``v(l)`` with
sink capacities ``l c_j`` (concave, piecewise linear in ``l``; Gallo, Grigoriadis & Tarjan
1989 study the parametric flow): from an upper bound, each infeasible solve's minimum cut
gives the next ``l`` where that cut's line meets the target, in finitely many steps. Demands
the source can no longer reach in the residual graph are blocked and fixed at the level. The
upper bound Newton's method starts from is the least of the plain flow's and of the lines
of the cuts that blocked the run's demands when they were last fixed, each on today's
capacities (stored per run; any node set with the source and without the sink bounds the
flow): when yesterday's cut still binds, a level takes a single solve.

References
----------
E. A. Dinitz (1970), "Algorithm for solution of a problem of maximum flow in a network with
power estimation", Soviet Math. Doklady 11:1277-1280. N. Megiddo (1974), "Optimal flows in
networks with multiple sources and sinks", Mathematical Programming 7:97-107,
doi:10.1007/BF01585506. S. Fujishige (1980), "Lexicographically optimal base of a polymatroid
with respect to a weight vector", Mathematics of Operations Research 5(2):186-196,
doi:10.1287/moor.5.2.186. G. Gallo, M. D. Grigoriadis, R. E. Tarjan (1989), "A fast parametric
maximum flow algorithm and applications", SIAM J. Computing 18(1):30-55, doi:10.1137/0218003.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["Residual", "build_residual", "solve_run", "shared_flow", "dinic", "cut_pairs",
           "cut_bytes", "EPS"]

EPS = 1e-7  # tons: residual capacities at or below this are treated as saturated
_MAX_NEWTON = 64  # Newton steps per fair level (each removes at least one cut line)


@dataclass(frozen=True)
class Residual:
    """The residual graph's static layout for one side's supply graph.

    ``edge_ptr`` (N+1,): edges out of node ``u`` are ``edge_ptr[u] .. edge_ptr[u+1]-1``,
    sorted by head; ``heads`` and ``rev`` (M,): head and reverse edge of each edge;
    ``pair_edge`` (P,): the edge that carries node pair ``p``'s capacity; ``sink_edge`` (D,):
    the edge of each demand's sink arc; ``demand_node`` (D,); ``tier`` (D,): the rank in which
    each demand is served (0 first).
    """

    edge_ptr: np.ndarray
    heads: np.ndarray
    rev: np.ndarray
    pair_edge: np.ndarray
    sink_edge: np.ndarray
    demand_node: np.ndarray
    tier: np.ndarray
    source: int
    sink: int


def build_residual(n_nodes, pair_tail, pair_head, sink_pairs, source, sink, priority):
    """The :class:`Residual` of a graph of node pairs ``pair_tail -> pair_head``.

    ``sink_pairs`` (D,) are the pairs of the demands' sink arcs, ``priority`` (D,) their
    integer priorities (higher is served first).
    """
    tail, head = np.asarray(pair_tail, np.int64), np.asarray(pair_head, np.int64)
    keys = tail * n_nodes + head
    back = head * n_nodes + tail
    extra = np.setdiff1d(back, keys)  # reverse edges that are not pairs themselves
    all_keys = np.concatenate([keys, extra])
    order = np.argsort(all_keys, kind="stable")
    sorted_keys = all_keys[order]
    heads = sorted_keys % n_nodes
    tails = sorted_keys // n_nodes
    edge_ptr = np.searchsorted(tails, np.arange(n_nodes + 1)).astype(np.int64)
    rev = np.searchsorted(sorted_keys, heads * n_nodes + tails).astype(np.int64)
    pair_edge = np.searchsorted(sorted_keys, keys).astype(np.int64)
    sink_pairs = np.asarray(sink_pairs, np.int64)
    levels = np.unique(-np.asarray(priority, np.int64), return_inverse=True)[1]
    return Residual(edge_ptr=edge_ptr, heads=heads.astype(np.int64), rev=rev,
                    pair_edge=pair_edge, sink_edge=pair_edge[sink_pairs],
                    demand_node=tail[sink_pairs], tier=levels.astype(np.int64).reshape(-1),
                    source=int(source), sink=int(sink))


@njit(cache=True, nogil=True)
def _level_graph(edge_ptr, heads, resid, source, sink, levels, queue):
    """Breadth-first levels from ``source`` over edges with residual > EPS into ``levels``
    (N,) (-1: not labelled); True if the sink is reached.

    The search stops when it labels the sink. By then every node nearer the source than the
    sink has its distance (a level is labelled in full before the next is searched), and no
    other node is on a path of the level graph to the sink (:func:`_blocking_flow` enters
    none). When the sink is not reached, the labelled nodes are all those the source
    reaches, not passing the sink.
    """
    levels[:] = -1
    queue[0] = source
    start, end = 0, 1
    levels[source] = 0
    while start != end:
        cur = queue[start]
        start += 1
        nxt = levels[cur] + 1
        for e in range(edge_ptr[cur], edge_ptr[cur + 1]):
            v = heads[e]
            if (resid[e] > EPS) & (levels[v] == -1):
                levels[v] = nxt
                if v == sink:
                    return True
                queue[end] = v
                end += 1
    return False


@njit(cache=True, nogil=True)
def workspace(n_nodes, n_edges, n_demands):
    """Work arrays for :func:`dinic` and :func:`shared_flow` on a graph of ``n_nodes`` nodes,
    ``n_edges`` residual edges and ``n_demands`` demands, allocated once per pass over runs.

    ``(levels, queue, progress, stack_node, stack_flow, flags, amounts, kept, inside)``:
    node arrays (N,) and (N+1,), ``flags`` (3, D) bool, ``amounts`` (5, D), ``kept`` (M,),
    ``inside`` (D, D) bool.
    """
    return (np.empty(n_nodes, np.int64), np.empty(n_nodes, np.int64),
            np.empty(n_nodes, np.int64), np.empty(n_nodes + 1, np.int64),
            np.empty(n_nodes + 1), np.zeros((3, n_demands), np.bool_),
            np.zeros((5, n_demands)), np.empty(n_edges),
            np.zeros((n_demands, n_demands), np.bool_))


def cut_bytes(n_nodes):
    """Bytes of one stored node set of :func:`shared_flow` on ``n_nodes`` nodes (a bit each)."""
    return (n_nodes + 7) // 8


@njit(cache=True, nogil=True)
def _blocking_flow(edge_ptr, heads, rev, resid, levels, progress, stack_node, stack_flow,
                   source, sink, value):
    """A blocking flow in the level graph, one augmenting path at a time; returns ``value``
    plus each path's push, added in turn.

    Depth-first search from ``source`` that keeps each node's next edge in ``progress``, as
    scipy's ``maximum_flow(method="dinic")`` does; each path pushes its bottleneck. A node
    one level below the sink takes only its edges into the sink: any other node at the
    sink's level leads nowhere, so the search would leave it again with nothing pushed.
    After a push the search resumes at the first edge of the path the push saturated, with
    the stack's bottlenecks lowered by the push, instead of walking again from the source.
    The walk would take the same edges up to there, and rounding is monotone
    (``min(a - p, b - p) = min(a, b) - p`` in floating point), so the paths and pushes are
    those of a walk from the source, bit for bit.
    """
    last = levels[sink] - 1  # the level whose nodes feed the sink directly
    top = 0
    stack_node[0] = source
    stack_flow[0] = np.inf
    while True:
        cur = stack_node[top]
        level, e, end = levels[cur], progress[cur], edge_ptr[cur + 1]
        if level == last:
            while e < end and not ((heads[e] == sink) & (resid[e] > EPS)):
                e += 1
        else:
            while e < end and not ((resid[e] > EPS) & (levels[heads[e]] == level + 1)):
                e += 1
        progress[cur] = e
        if e == end:  # a dead end: back to the parent's next edge
            top -= 1
            if top < 0:
                return value
            progress[stack_node[top]] += 1
            continue
        v = heads[e]
        push = min(stack_flow[top], resid[e])
        if v == sink:
            value += push
            resume = 0  # the walk from the source, if no edge were saturated
            for k in range(top, -1, -1):
                f = progress[stack_node[k]]
                resid[f] -= push
                resid[rev[f]] += push
                if resid[f] <= EPS:
                    resume = k
            for k in range(1, resume + 1):
                stack_flow[k] -= push
            top = resume
            continue
        top += 1
        stack_node[top] = v
        stack_flow[top] = push


@njit(cache=True, nogil=True)
def dinic(edge_ptr, heads, rev, resid, source, sink, work):
    """Dinic's maximum flow (Dinitz 1970); ``resid`` (M,) capacities in, residuals out.

    Returns the flow's value. The flow on edge ``e`` is its capacity minus ``resid[e]``.
    Blocking flows are found as in scipy's ``maximum_flow(method="dinic")``
    (:func:`_blocking_flow`); ``work`` is :func:`workspace`'s. On return its levels
    (``work[0]``) are those of the last search, which did not reach the sink: the nodes
    the source reaches in the residual graph are those at a level ``>= 0``.
    """
    levels, queue, progress, stack_node, stack_flow = work[0], work[1], work[2], work[3], work[4]
    value = 0.0
    while _level_graph(edge_ptr, heads, resid, source, sink, levels, queue):
        progress[:] = edge_ptr[:-1]
        value = _blocking_flow(edge_ptr, heads, rev, resid, levels, progress, stack_node,
                               stack_flow, source, sink, value)
    return value


@njit(cache=True, nogil=True)
def _reach(edge_ptr, heads, rev, resid, source, stop, seen, queue, eps=EPS, backward=False):
    """Nodes the source reaches over edges with residual > ``eps``, not passing ``stop``;
    with ``backward``, the nodes that reach ``source`` instead (over the edges ``rev[e]``)."""
    seen[:] = False
    seen[source] = True
    queue[0] = source
    start, end = 0, 1
    while start != end:
        cur = queue[start]
        start += 1
        if cur == stop:
            continue
        for e in range(edge_ptr[cur], edge_ptr[cur + 1]):
            v = heads[e]
            if resid[rev[e] if backward else e] > eps and not seen[v]:
                seen[v] = True
                queue[end] = v
                end += 1


@njit(cache=True, nogil=True)
def tol(target):
    """Tolerance on a flow's value of ``target`` tons: ``1e-9`` relative, ``EPS`` at least."""
    return max(EPS, 1e-9 * target)


@njit(cache=True, nogil=True)
def _in_set(bits, u):
    """Whether node ``u`` is in the node set ``bits`` (B,) uint8, a bit per node."""
    return (bits[u >> 3] >> (u & 7)) & 1 == 1


@njit(cache=True, nogil=True)
def _keep_set(levels, sink, bits):
    """The nodes at a level ``>= 0`` in ``levels`` (N,), the sink left out, as a node set
    into ``bits`` (B,)."""
    bits[:] = 0
    for u in range(len(levels)):
        if levels[u] >= 0 and u != sink:
            bits[u >> 3] |= np.uint8(1 << (u & 7))


@njit(cache=True, nogil=True)
def _cut_lines(edge_ptr, heads, base, demand_node, source, sink, cuts, valid, out, inside):
    """The stored cuts' capacities on today's graph, ``base`` (M,) its edge capacities.

    Row ``k`` of ``cuts`` (D, B) is a node set ``S_k`` (the sink never in it); it is ``valid``
    when it holds the source and repeats no earlier row. For a valid one, ``out[k]`` is the
    capacity of the edges leaving ``S_k`` other than sink arcs, and ``inside[k, j]`` whether
    demand ``j``'s node is in ``S_k``. With each sink arc at ``y_j``, every flow's value is
    at most ``out[k] + sum of y_j over the demands inside`` (max-flow min-cut theorem).
    """
    n, d = len(edge_ptr) - 1, cuts.shape[0]
    for k in range(d):
        valid[k] = _in_set(cuts[k], source)
        for i in range(k):
            if valid[k] and valid[i]:
                same = True
                for b in range(cuts.shape[1]):
                    same &= cuts[i, b] == cuts[k, b]
                valid[k] = not same
        if not valid[k]:
            continue
        total = 0.0
        for u in range(n):
            if u != sink and _in_set(cuts[k], u):
                for e in range(edge_ptr[u], edge_ptr[u + 1]):
                    if heads[e] != sink and not _in_set(cuts[k], heads[e]):
                        total += base[e]
        out[k] = total
        for j in range(d):
            inside[k, j] = _in_set(cuts[k], demand_node[j])


@njit(cache=True, nogil=True)
def _cut_short(valid, out, inside, cap):
    """Whether a stored cut (:func:`_cut_lines`) proves a shortage: with every sink arc at its
    ``c_j`` (``cap`` (D,)), its capacity is below the ``c_j``'s sum by more than :func:`tol`."""
    total = cap.sum()
    for k in range(len(valid)):
        if valid[k]:
            line = out[k]
            for j in range(len(cap)):
                line += cap[j] if inside[k, j] else 0.0
            if line < total - tol(total):
                return True
    return False


@njit(cache=True, nogil=True)
def _cut_level(valid, out, inside, cap, amount, fixed, active, fixed_sum, c_all):
    """The least level at which a stored cut's line meets the target: an upper bound on the
    fair level, ``inf`` if no cut gives one.

    With the fixed demands at ``x_j`` (``X`` their sum), the demands of ``U`` at ``l c_j``
    and the rest at nothing, cut ``k`` carries at most ``K_k + l C_k`` (``K_k`` its edges
    ``out[k]`` and the ``x_j`` inside it, ``C_k`` the ``c_j`` of ``U`` inside it), and the
    target is ``X + l C_U``: a flow meets it only at ``l <= (K_k - X) / (C_U - C_k)``.
    """
    best = np.inf
    for k in range(len(valid)):
        if not valid[k]:
            continue
        line, c_in = out[k], 0.0
        for j in range(len(cap)):
            if inside[k, j] and fixed[j]:
                line += amount[j]
            elif inside[k, j] and active[j]:
                c_in += cap[j]
        if c_all - c_in > EPS:
            best = min(best, (line - fixed_sum) / (c_all - c_in))
    return best


@njit(cache=True, nogil=True)
def shared_flow(edge_ptr, heads, rev, base, sink_edge, demand_node, tier, source, sink,
                resid, cuts, work):
    """A maximum flow whose deliveries follow the shortage rule; ``resid`` (M,) out.

    ``base`` (M,) holds every edge's capacity, the sink edges' ``c_j`` included; on return
    the sink edges hold the capacities the flow was solved with (the flow on edge ``e`` is
    ``base[e] - resid[e]``). If the plain maximum flow meets every ``c_j`` it is returned as
    it is. Otherwise, tier by tier (``tier`` 0 first), the unfixed demands ``U`` of the tier
    get ``l c_j`` with the largest feasible ``l <= 1`` while fixed demands keep their ``x_j``
    and later tiers get nothing. Newton's method starts from an upper bound on ``l``: the
    least of ``(V - X) / C_U`` (``V`` the plain maximum flow's value; with a single tier,
    the plain flow is the solve at ``l = 1``, and Newton's step from it) and the levels where
    the lines of the run's stored cuts meet the target (:func:`_cut_level`); its step from
    an infeasible ``l`` is ``l' = (v - l C_S - X) / (C_U - C_S)``, with ``v`` the flow's
    value, ``C_S`` the ``c_j`` of the demands in ``U`` the source still reaches in the
    residual graph, ``C_U`` those of all of ``U``, ``X`` the fixed deliveries. At the level,
    the demands of ``U`` the source no longer reaches are fixed at ``l c_j``; the others go
    on to a higher level. Each solve starts from the last flow that met its sink capacities
    (a lower level, so still feasible) and augments it.

    ``cuts`` (D, B) uint8 (:func:`cut_bytes`) holds, per demand, the node set the source
    reached when the demand was last fixed below its ``c_j``; it is read at the start and
    updated as demands are fixed. Any node set with the source and without the sink bounds
    every flow, so the stored sets only choose where Newton's method starts; when they are
    still minimum cuts, a level takes the one solve that meets it. When a stored cut proves
    that the network falls short (:func:`_cut_short`), the plain flow is not solved. The
    fair deliveries are unique, so they do not depend on ``cuts`` beyond rounding.
    ``work`` is :func:`workspace`'s.
    """
    d = len(sink_edge)
    reached, kept, inside = work[0], work[7], work[8]  # reached: dinic's last levels
    fixed, active, valid = work[5][0], work[5][1], work[5][2]
    cap, amount, trial, kept_cap, cut_out = (work[6][0], work[6][1], work[6][2], work[6][3],
                                             work[6][4])
    for j in range(d):
        cap[j] = base[sink_edge[j]]
    _cut_lines(edge_ptr, heads, base, demand_node, source, sink, cuts, valid, cut_out, inside)
    most = np.inf  # the plain maximum flow's value, when solved
    first = -1.0  # with a single tier, the plain flow is the solve at l = 1: step from it
    if not _cut_short(valid, cut_out, inside, cap):
        resid[:] = base
        most = dinic(edge_ptr, heads, rev, resid, source, sink, work)
        if most >= cap.sum() - tol(cap.sum()):
            return
        if tier.max() == 0:
            c_in = 0.0
            for j in range(d):
                c_in += cap[j] if reached[demand_node[j]] >= 0 else 0.0
            if cap.sum() - c_in > EPS:
                first = (most - c_in) / (cap.sum() - c_in)
    fixed[:] = False
    active[:] = False
    amount[:] = 0.0  # the fixed deliveries
    trial[:] = 0.0  # the sink capacities of a solve
    kept[:] = base  # the last flow that meets its sink capacities (at first: none)
    kept_cap[:] = 0.0
    for j in range(d):
        kept[sink_edge[j]] = 0.0
    kept_value = 0.0
    for t in range(tier.max() + 1):
        for j in range(d):
            active[j] = tier[j] == t and cap[j] > 0
        while active.any():
            fixed_sum, c_all = 0.0, 0.0
            for j in range(d):
                fixed_sum += amount[j] if fixed[j] else 0.0
                c_all += cap[j] if active[j] else 0.0
            lam = min(1.0, (most - fixed_sum) / c_all)  # no level above what the network carries
            if first >= 0.0:
                lam, first = min(lam, first), -1.0
            lam = min(lam, _cut_level(valid, cut_out, inside, cap, amount, fixed, active,
                                      fixed_sum, c_all))
            met = False
            for _ in range(_MAX_NEWTON):
                c_in = 0.0
                resid[:] = kept  # a warm start: the kept flow is feasible at any higher level
                for j in range(d):
                    want = amount[j] if fixed[j] else (lam * cap[j] if active[j] else 0.0)
                    trial[j] = max(want, kept_cap[j])
                    resid[sink_edge[j]] += trial[j] - kept_cap[j]
                target = trial.sum()
                v = kept_value + dinic(edge_ptr, heads, rev, resid, source, sink, work)
                if v >= target - tol(target):
                    met = True
                    break
                for j in range(d):
                    if active[j] and reached[demand_node[j]] >= 0:
                        c_in += cap[j]
                if c_all - c_in <= EPS:
                    break
                lam = (v - lam * c_in - fixed_sum) / (c_all - c_in)
            if not met:  # rounding stopped Newton's method: keep the flow as it is
                for j in range(d):
                    trial[j] -= resid[sink_edge[j]]
                    resid[sink_edge[j]] = 0.0
                    if fixed[j]:
                        amount[j] = trial[j]
                v = trial.sum()
            kept[:] = resid
            kept_cap[:] = trial
            kept_value = v
            full = met and lam >= 1.0
            some = False
            for j in range(d):
                some |= active[j] and reached[demand_node[j]] < 0
            for j in range(d):
                # blocked: the source no longer reaches it (all of U if none is, or at 1)
                if active[j] and (full or not some or reached[demand_node[j]] < 0):
                    if reached[demand_node[j]] < 0:  # its cut, where tomorrow's Newton starts
                        _keep_set(reached, sink, cuts[j])
                    amount[j] = trial[j]
                    fixed[j] = True
                    active[j] = False
        for j in range(d):  # the tier is settled: its zero-capacity demands get nothing
            if tier[j] == t:
                fixed[j] = True
    resid[:] = kept
    for j in range(d):  # the flow meets these sink capacities: base - resid is its arc flow
        base[sink_edge[j]] = kept_cap[j]


@njit(cache=True, nogil=True)
def solve_run(edge_ptr, heads, rev, pair_edge, sink_edge, demand_node, tier, source, sink,
              pair_cap, shared, base, resid, pair_flow, cuts, work):
    """Net flow on every node pair of one run into ``pair_flow`` (P,), from ``pair_cap`` (P,).

    With ``shared`` the deliveries follow :func:`shared_flow`'s rule, with the run's stored
    cuts ``cuts`` (D, B), else they are the plain maximum flow's. ``base`` and ``resid``
    (M,) and ``work`` (:func:`workspace`) are work space.
    """
    base[:] = 0.0
    for k in range(len(pair_edge)):
        base[pair_edge[k]] = pair_cap[k]
    if shared:
        shared_flow(edge_ptr, heads, rev, base, sink_edge, demand_node, tier, source, sink,
                    resid, cuts, work)
    else:
        resid[:] = base
        dinic(edge_ptr, heads, rev, resid, source, sink, work)
    for k in range(len(pair_edge)):
        e = pair_edge[k]
        pair_flow[k] = base[e] - resid[e]


@njit(cache=True, nogil=True)
def _residual_weights(heads, rev, pair_edge, pair_cap, pair_flow, weight):
    """Residual capacity of every edge for a flow on node pairs: ``c_p - f_p`` forward,
    ``f_p`` backward, added up where two pairs are each other's reverse."""
    weight[:] = 0.0
    for p in range(len(pair_edge)):
        e = pair_edge[p]
        weight[e] += pair_cap[p] - pair_flow[p]
        weight[rev[e]] += pair_flow[p]


@njit(cache=True, nogil=True)
def cut_pairs(edge_ptr, heads, rev, pair_edge, pair_tail, pair_head, source, sink, pair_cap,
              pair_flow):
    """Node pairs on a minimum cut of each run's maximum flow, ``(R, P)`` bool.

    A pair ``u -> v`` is on one when it is saturated (``c - f <= 1e-6``, ``c > 0``) and
    leaves the set the source reaches in the residual graph (``u`` in it, ``v`` not) or
    enters the set that reaches the sink (``v`` in it, ``u`` not): both sets bound minimum
    cuts (max-flow min-cut theorem). ``pair_cap``, ``pair_flow`` ``(R, P)``.
    """
    runs, p = pair_cap.shape
    n = len(edge_ptr) - 1
    weight = np.empty(len(heads))
    fwd = np.empty(n, np.bool_)
    back = np.empty(n, np.bool_)
    queue = np.empty(n, np.int64)
    out = np.zeros((runs, p), np.bool_)
    for r in range(runs):
        _residual_weights(heads, rev, pair_edge, pair_cap[r], pair_flow[r], weight)
        _reach(edge_ptr, heads, rev, weight, source, -1, fwd, queue, 1e-6)
        _reach(edge_ptr, heads, rev, weight, sink, -1, back, queue, 1e-6, True)
        for k in range(p):
            u, v = pair_tail[k], pair_head[k]
            if pair_cap[r, k] > 0 and pair_cap[r, k] - pair_flow[r, k] <= 1e-6:
                out[r, k] = (fwd[u] and not fwd[v]) or (back[v] and not back[u])
    return out
