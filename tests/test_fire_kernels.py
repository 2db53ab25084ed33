"""The compiled fires kernels give the former NumPy implementation's results bit for bit.

``fires_reference`` is that implementation (targeting, missions, deep strikes, hits on
forces, counter-battery, hits and repairs). A chunk is simulated with it in place of
``step._interdiction`` and ``step._fires_on_forces``, and with the kernels in one chunk and
in two; every output (event days, sampled parameters, float64 losses and every series) must
be the same bits. autumn-2022 has deep strikes and vital-link targeting; october-1973 air
defences over links and forces; summer-2022 a dated link event. Day by day, the compiled
interdiction (``fires.interdiction_day`` and the link events) is also run beside the
reference on the same state, and its strikes, hits, repairs and air cover must be the same
bytes; so are the compiled fires on forces (``fires.fires_on_forces_day``): hits, forces,
losses, air cover and fire support.
"""

import fires_reference
import numpy as np
import pytest

from powderkeg.engine.series import ALL_NAMES
from powderkeg.engine.simulate import simulate_chunk
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.model import step
from powderkeg.model.fires import hits_dtype
from powderkeg.model.record import RECORD_COUNT
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
                                              ("october-1973", 40, 30),
                                              ("summer-2022", 30, 45)])
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


def _beta_repairs(doc):
    for link in doc["links"]:
        link["repair_days"] = {"dist": "beta", "a": 2.0, "b": 5.0, "low": 1.0, "high": 30.0}


def _checking(compiled, days_struck):
    """``step._interdiction`` that also runs the reference on the same inputs and asserts
    that every output is the same bytes (the hits in the state's small integers)."""
    def checked(model, world, state, streams, runs, day, control, ceasefire):
        got, got_strikes, got_cover = compiled(model, world, state, streams, runs, day, control,
                                               ceasefire)
        want, want_strikes, _ = fires_reference.interdiction(model, world, state, streams,
                                                             runs, day, control, ceasefire)
        assert got_strikes.dtype == RECORD_COUNT
        assert np.array_equal(got_strikes, want_strikes)
        for name in ("hits", "deep_hits"):
            mine, theirs = getattr(got, name), getattr(want, name)
            assert mine.dtype == hits_dtype(model) and np.array_equal(mine, theirs), name
        for name in ("base", "total", "done"):
            mine, theirs = getattr(got.repair, name), getattr(want.repair, name)
            assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes(), name
        want_cover = fires_reference.air_cover(model, world, state.front)
        assert (got_cover is None) == (want_cover is None)
        if got_cover is not None:
            assert got_cover.tobytes() == want_cover[0].tobytes()
        days_struck.append(bool(got.hits.any()))
        return got, got_strikes, got_cover
    return checked


def _checking_forces(compiled, days_hit):
    """``step._fires_on_forces`` that also runs the reference on the same inputs and asserts
    that every output is the same bytes: forces, losses, hits, both air covers and the fire
    support (``None`` on the same days)."""
    def checked(model, world, state, streams, runs, day, ceasefire, cover):
        got, got_hits, got_cover, got_support = compiled(model, world, state, streams, runs,
                                                         day, ceasefire, cover)
        want, want_hits, want_cover, want_support = fires_reference.fires_on_forces(
            model, world, state, streams, runs, day, ceasefire, cover)
        assert got_hits.dtype == RECORD_COUNT and np.array_equal(got_hits, want_hits)
        for name in ("forces", "losses"):
            assert getattr(got, name).tobytes() == getattr(want, name).tobytes(), name
        assert (got_cover is None) == (want_cover is None)
        for mine, theirs in zip(got_cover or (), want_cover or (), strict=True):
            assert mine.tobytes() == theirs.tobytes()
        assert (got_support is None) == (want_support is None)
        if got_support is not None:
            assert got_support.tobytes() == want_support.tobytes()
        days_hit.append((bool(got_hits.any()), got_support is not None))
        return got, got_hits, got_cover, got_support
    return checked


@pytest.mark.parametrize("name, runs, days", [("autumn-2022", 30, 45), ("october-1973", 30, 30),
                                              ("summer-2022", 30, 45), ("beta repairs", 20, 30)])
def test_the_compiled_interdiction_gives_the_references_bytes_day_by_day(monkeypatch, name,
                                                                         runs, days):
    """Every day of a chunk, the compiled interdiction and the NumPy reference on the same
    state: the same strikes, hits, repairs (base, drawn time, days done) and air cover. The
    beta repairs (autumn-2022 with every link's repair time a beta, a family the kernels
    leave to SciPy's ``ppf``) go through the fallback between the two compiled passes."""
    from conftest import autumn_variant

    scenario = autumn_variant(_beta_repairs) if name == "beta repairs" else load_scenario(name)
    days_struck = []
    monkeypatch.setattr(step, "_interdiction", _checking(step._interdiction, days_struck))
    simulate_chunk(scenario, Chunk(0, np.arange(runs), days, SEED, 1, series=()),
                   model_for(scenario))
    assert len(days_struck) == days and sum(days_struck) > days // 3


def _counter_battery():
    """october-1973 (the built-in with fires on forces, under air defences) with every
    system that strikes forces also silencing fire support, 3 hits halving it."""
    from powderkeg.scenario.load import resolve_document
    from powderkeg.scenario.schema import Scenario

    doc, _ = resolve_document("october-1973")
    for fire in doc["fires"]:
        if fire.get("force_sectors"):
            fire["hits_to_halve_fire_support"] = 3.0
    return Scenario.model_validate(doc)


@pytest.mark.parametrize("name", ["october-1973", "counter-battery"])
def test_the_compiled_fires_on_forces_give_the_references_bytes_day_by_day(monkeypatch, name):
    """Every day of a chunk, the compiled fires on forces (cover, missions, hits, forces
    after them, fire support: one pass over the runs) and the NumPy reference on the same
    state give the same bytes. october-1973 is the built-in whose fires strike forces
    (under air defences); its counter-battery variant also silences fire support. Forces
    are hit on most days, and the support is found on those days (the check is not
    vacuous)."""
    scenario = load_scenario(name) if name == "october-1973" else _counter_battery()
    days_hit = []
    monkeypatch.setattr(step, "_fires_on_forces",
                        _checking_forces(step._fires_on_forces, days_hit))
    simulate_chunk(scenario, Chunk(0, np.arange(30), 30, SEED, 1, series=()),
                   model_for(scenario))
    assert len(days_hit) == 30 and sum(hit for hit, _ in days_hit) > 10
    assert all(support == (hit and name == "counter-battery") for hit, support in days_hit)


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


@pytest.mark.parametrize("seed", range(4))
def test_the_vital_links_kernel_flags_what_the_networkx_checked_search_flags(seed):
    """The per-run kernel that finds the most vital links of the runs fired on gives
    ``logistics.vital_links`` (checked against networkx's max flows in ``test_logistics``)
    on random networks, run by run, from the capacities in their slots."""
    from test_logistics import _random_caps, _random_instance

    from powderkeg.model import fire_kernels as k
    from powderkeg.model.fires import graph_arrays
    from powderkeg.model.logistics import CAPACITY_DTYPE, solve_max_flow, vital_links
    from powderkeg.model.state import in_slots

    rng = np.random.default_rng(200 + seed)
    g, *_ = _random_instance(rng)
    cap = _random_caps(rng, g, 16).astype(CAPACITY_DTYPE)
    cap[:, g.link_arcs] //= 20  # links narrower than sources and needs: some bind
    per_link = np.zeros((16, g.link_sum.shape[0]), CAPACITY_DTYPE)
    per_link[:, g.link_of_arc] = cap[:, g.link_arcs]
    cap[:, g.link_arcs] = per_link[:, g.link_of_arc]  # a link's arcs carry the same tons
    flow = solve_max_flow(g, cap)
    n = rng.integers(1, 4, (16, 2)) * (rng.random((16, 2)) < 0.75)  # missions of 2 systems
    fire_side = np.array([0, 1])
    rows = [r for r in range(16) if k.flown_against(n[r], fire_side, 1)]  # system 0 flies
    np.testing.assert_array_equal(rows, np.flatnonzero(n[:, 0] > 0))
    graph, slots = graph_arrays(g), in_slots(g, cap)
    np.testing.assert_array_equal(slots[:, g.arc_slot], cap)
    work = k.vital_workspace(graph)
    got = np.zeros((len(rows), g.link_sum.shape[0]), bool)
    for i, r in enumerate(rows):
        k.vital_links_run(graph, slots[r], flow[r], work, got[i])
    want = vital_links(g, cap[rows], flow[rows])
    assert 0 < len(rows) < 16 and want.any()
    np.testing.assert_array_equal(got, want)
