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


@pytest.mark.parametrize("systems, most, dtype", [(15, 8, np.int8), (16, 8, np.int16),
                                                  (32, 1000, np.int16), (33, 1000, np.int32)])
def test_hits_are_kept_in_the_smallest_integer_that_a_days_hits_cannot_overflow(systems, most,
                                                                                 dtype):
    """A day's hits on a link are at most every system's ``max_missions_per_day``, one per
    deep strike (tiny has one) and one for the day's link events: 15 x 8 + 2 = 122 fit in
    int8, 16 x 8 + 2 = 130 do not; 32 x 1000 + 2 fit in int16, 33 x 1000 + 2 do not."""
    from conftest import tiny_scenario

    from powderkeg.model.build import build_model
    from powderkeg.model.fires import hits_dtype

    fires = [{"id": f"rockets{i}", "side": "blue", "launchers": 1,
              "missions_per_launcher_day": 1.0, "interdiction_share": 1.0,
              "range_km": 50, "hit_probability": 0.5, "max_missions_per_day": most}
             for i in range(systems)]
    model = build_model(tiny_scenario(fires=fires))
    bound = systems * most + len(model.deep_side) + 1
    assert hits_dtype(model) == dtype
    assert np.iinfo(dtype).max >= bound


def test_a_days_hits_stay_within_the_bound_when_every_mission_hits():
    """Every mission of a system flying its most missions hits a link that one system alone
    can reach: the day's hits reach the cap, in the state's small integers, not past it."""
    from conftest import tiny_scenario

    from powderkeg.engine.simulate import simulate

    fires = [{"id": "rockets", "side": "blue", "launchers": 50,
              "missions_per_launcher_day": 10.0, "interdiction_share": 1.0,
              "range_km": 500, "hit_probability": 1.0, "max_missions_per_day": 120}]
    ds = simulate(tiny_scenario(fires=fires, deep_strikes=[]), 2, 3, seed=0, every=1)
    struck = ds.strikes_to_date.values.sum(axis=-1)  # (runs, days) all links
    assert (np.diff(struck, axis=1) == 120).all()
