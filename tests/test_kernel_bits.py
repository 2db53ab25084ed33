"""The compiled per-run kernels give every run the same bits in any chunking.

Each built-in scenario that exercises a part of the theater's kernel: autumn-2022 (bridgehead
withdrawals, breakthroughs), summer-2022 (posture changes, operational collapse, threatened
lines of supply) and october-1973 (ceasefires, which hold a run's combat). Every variable of
the dataset (event days, sampled parameters, float64 losses, every daily series) must be equal
bit for bit whether the runs are simulated in one chunk or each alone.
"""

import numpy as np
import pytest

from powderkeg.engine.simulate import simulate
from powderkeg.model.outcomes import pairwise_sum
from powderkeg.scenario.load import load_scenario


def _bits(ds):
    return {k: np.ascontiguousarray(v.values).tobytes() for k, v in ds.data_vars.items()}


@pytest.mark.parametrize("name, days", [("autumn-2022", 60), ("summer-2022", 110),
                                        ("october-1973", 40)])
def test_every_recorded_output_is_bit_identical_over_chunkings(name, days):
    scenario = load_scenario(name)
    whole = _bits(simulate(scenario, 6, days, seed=11, chunk_size=6, every=1, run_offset=3))
    alone = _bits(simulate(scenario, 6, days, seed=11, chunk_size=1, every=1, run_offset=3))
    assert alone.keys() == whole.keys()
    assert [k for k in whole if alone[k] != whole[k]] == []


def test_pairwise_sum_adds_as_numpy_does():
    # NumPy's own sum is the oracle: its pairwise summation differs from left-to-right
    # addition in the last bits from 8 values on, and in both branches of its blocking
    rng = np.random.default_rng(0)
    for n in [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 127, 128, 129, 200, 300, 1000]:
        for _ in range(20):
            x = rng.lognormal(0.0, 5.0, n + 3)
            index = rng.permutation(n + 3)[:n]
            assert pairwise_sum(x, index, 0, n) == x[index].sum()
