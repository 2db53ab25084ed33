"""A run gives the same bits whichever SIMD loops NumPy picks for this CPU.

NumPy chooses its loops at start-up by the CPU's features; ``NPY_DISABLE_CPU_FEATURES``
turns the ones beyond NumPy's baseline off, as on an older CPU. The model's transcendental
maths is its own (:mod:`powderkeg.model.elementary`), so nothing may change.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

try:
    from numpy._core import _multiarray_umath as _umath
except ImportError:  # NumPy 1.x
    from numpy.core import _multiarray_umath as _umath

RUNS, DAYS = 40, 30
SCRIPT = f"""
import sys
import numpy as np
try:
    from numpy._core import _multiarray_umath as umath
except ImportError:  # NumPy 1.x
    from numpy.core import _multiarray_umath as umath
from powderkeg.engine.simulate import simulate_chunk
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.scenario import load_scenario

scenario = load_scenario("autumn-2022")
out = simulate_chunk(scenario, Chunk(0, np.arange({RUNS}), {DAYS}, 7, 1), model_for(scenario))
np.savez(sys.argv[1], event_day=out["event_day"], params=out["params"], losses=out["losses"],
         **{{"series/" + k: v for k, v in out["series"].items()}})
print(" ".join(f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)))
"""


def _dispatched_features() -> list[str]:
    """The features NumPy dispatches to on this CPU beyond its baseline (an unknown name
    in ``NPY_DISABLE_CPU_FEATURES`` is an error, so only these)."""
    present = _umath.__cpu_features__
    return [f for f in _umath.__cpu_dispatch__ if present.get(f)]


def _run(path, env):
    """The child's outputs and the features its NumPy dispatched to."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], env=env, check=True,
                          capture_output=True, text=True, timeout=600)
    return np.load(path), done.stdout.split()


def test_a_run_is_bit_identical_with_numpys_cpu_dispatch_restricted(tmp_path):
    features = _dispatched_features()
    if not features:
        pytest.skip("NumPy dispatches to no features beyond its baseline on this CPU")
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    full, dispatched = _run(tmp_path / "full.npz", env)
    baseline, restricted = _run(tmp_path / "baseline.npz",
                                {**env, "NPY_DISABLE_CPU_FEATURES": " ".join(features)})
    assert dispatched == features and restricted == []  # the restriction took effect
    assert full.files == baseline.files
    for name in full.files:
        assert np.array_equal(full[name], baseline[name], equal_nan=True), name
