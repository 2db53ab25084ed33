"""The compiled fires kernels give the former NumPy implementation's results bit for bit.

``fires_reference`` is that implementation (targeting, missions, deep strikes, hits on
forces, counter-battery, hits and repairs). A chunk is simulated with it in place of
``step._interdiction`` and ``step._fires_on_forces``, and with the kernels in one chunk and
in two; every output (event days, sampled parameters, float64 losses and every series) must
be the same bits. autumn-2022 has deep strikes and vital-link targeting; october-1973 air
defences over links and forces.
"""

import fires_reference
import numpy as np
import pytest

from powderkeg.engine.series import ALL_NAMES
from powderkeg.engine.simulate import simulate_chunk
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.model import step
from powderkeg.scenario import load_scenario

SEED = 5


def _outputs(scenario, runs, days):
    out = simulate_chunk(scenario, Chunk(0, runs, days, SEED, 1, series=ALL_NAMES),
                         model_for(scenario))
    return {"event_day": out["event_day"], "params": out["params"], "losses": out["losses"],
            **{"series/" + k: v for k, v in out["series"].items()}}


def _joined(parts):
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@pytest.mark.parametrize("name, runs, days", [("autumn-2022", 40, 60),
                                              ("october-1973", 40, 30)])
def test_kernels_give_the_numpy_implementations_bits_in_any_chunking(monkeypatch, name, runs,
                                                                     days):
    scenario = load_scenario(name)
    all_runs = np.arange(runs)
    whole = _outputs(scenario, all_runs, days)
    split = _joined([_outputs(scenario, part, days) for part in (all_runs[:13], all_runs[13:])])
    monkeypatch.setattr(step, "_interdiction", fires_reference.interdiction)
    monkeypatch.setattr(step, "_fires_on_forces", fires_reference.fires_on_forces)
    reference = _outputs(scenario, all_runs, days)
    assert whole["series/strikes_to_date"].any()  # something was struck
    for got in (whole, split):
        assert got.keys() == reference.keys()
        for key, value in reference.items():
            assert np.array_equal(got[key], value, equal_nan=True), key
