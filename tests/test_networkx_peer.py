"""The benchmark's networkx peer solves the same problem as the engine.

On the capacities each run's flow was solved for, ``networkx.maximum_flow_value`` (an
independent implementation) must equal the tons the engine's flow delivered that day; if it
did not, the benchmark's ratio would compare different work.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from networkx_peer import RunPeer, engine_days, run_peer  # noqa: E402


def test_the_peer_delivers_what_the_engine_delivers_on_the_same_capacities(autumn):
    days = engine_days(autumn, 6, 12, seed=3)
    assert len(days) == 12
    out = run_peer(days)
    assert out["solves"] == 6 * 12
    assert out["largest_difference_tons"] < 1e-6


def test_the_peer_finds_no_flow_when_the_source_is_cut(autumn):
    g, pair_cap, delivered = engine_days(autumn, 2, 1)[0]
    assert delivered.min() > 0  # the check above is not satisfied by empty flows
    cut = pair_cap[0].copy()
    cut[np.asarray(g.pair_tail) == g.source] = 0.0
    assert RunPeer(g).solve(cut) == 0
