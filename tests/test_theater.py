"""Fronts, rivers, bridgeheads and control: behaviour on small scenarios with known answers."""

import numpy as np
import pytest
from conftest import tiny_document, tiny_scenario

from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.model.fire_kernels import poisson_capped_scalar
from powderkeg.model.fires import links_in_reach
from powderkeg.model.logistics import supply_effectiveness
from powderkeg.model.network import link_usable, node_control
from powderkeg.model.random import MAX_DAYS, Streams, uniform_scalar
from powderkeg.model.theater import DAY_COUNT, advance_rate, effectiveness, normal_draw


def test_advance_rate_has_a_dead_band_and_is_antisymmetric():
    ratio = [0.4, 1 / 1.5, 1.0, 1.5, 2.5]
    v = [advance_rate(r, 1 / r, 1.5, 10.0) for r in ratio]
    np.testing.assert_allclose(v, [-4.0, 0.0, 0.0, 0.0, 4.0])


def test_the_combat_kernels_draws_are_the_streams_normals_and_uniforms():
    # Streams.normal and Streams.uniform are the oracle: combat_day draws each of its
    # numbers inside, by stream, run, day and number, only where it needs one
    streams, runs, day = Streams(7), np.array([0, 5, 123_456]), 42
    normals = streams.normal("combat", runs, day, 9)
    uniforms = streams.uniform("withdrawal", runs, day, 4)
    combat, withdrawal = (np.uint64(streams.key(n)) for n in ("combat", "withdrawal"))
    assert [[normal_draw(combat, r, day, k) for k in range(9)] for r in runs] == normals.tolist()
    assert [[uniform_scalar(withdrawal, r, day, k) for k in range(4)]
            for r in runs] == uniforms.tolist()


def test_effectiveness_is_morale_times_the_sectors_supply_times_the_opponents_multiplier():
    mult = np.array([supply_effectiveness(10.0, 0.0, 0.3, 3.0),
                     supply_effectiveness(0.0, 0.5, 0.3, 3.0)])
    assert mult.tolist() == pytest.approx([1.0, 0.65])
    assert effectiveness(0.8, mult, 1, 0.5) == 0.8 * mult[1] * 0.5
    assert effectiveness(0.8, mult, -1, 0.5) == 0.4  # a side without a demand is supplied


def test_the_day_counters_hold_every_day_a_run_can_have():
    # pressure and untenable days grow by one a day at most, from 0 on day 0
    assert np.iinfo(DAY_COUNT).max >= MAX_DAYS - 1
    with pytest.raises(ValueError, match="days in 1"):
        simulate(tiny_scenario(), 1, MAX_DAYS)


def test_fortification_protects_the_defender_but_does_not_push_it_forward():
    from powderkeg.model.theater import attack_ratios

    # the first side defends from prepared positions (fortification 2)
    forward, backward = attack_ratios(1000.0, 1000.0, 1.0, 1.0, 2.0, 1.0)
    assert forward == 1.0 and backward == 0.5
    assert advance_rate(forward, backward, 1.3, 5.0) == 0.0


def _sector(**extra):
    sector = tiny_document()["sectors"][0]
    sector.update(extra)
    return [sector]


def test_river_line_stops_an_advance_short_of_the_crossing_ratio():
    # blue 2:1 stronger advances at 1 km/day x (1 - 1.5/2) = 0.25 km/day towards a river at 20 km
    s = tiny_scenario(sectors=_sector(
        forces={"blue": 2000, "red": 1000}, rivers=[{"id": "r", "km": 20}],
        posture={"blue": "attack"}))
    ds = simulate(s, 5, 200, seed=0, every=1)
    front = ds.front_km.values
    assert np.all(np.diff(front, axis=1) >= -1e-9)
    assert front.max() <= 20.0 + 1e-9
    assert np.allclose(front[:, -1], 20.0)


def test_advance_crosses_a_river_when_strong_enough_but_slowed():
    s = tiny_scenario(sectors=_sector(
        forces={"blue": 10_000, "red": 1000}, rivers=[{"id": "r", "km": 12}],
        posture={"blue": "attack"}))
    ds = simulate(s, 3, 30, seed=0, every=1)
    front = ds.front_km.values[0]
    assert front[-1] > 12.0
    crossing = np.argmax(front > 12.0)
    assert front[crossing] - 12.0 < 0.1 * 1.0 + 1e-9


def _bridgehead(cut: bool, forces):
    """Red holds a bridgehead on blue's bank of a river at 30 km, fed at depot c (29.5 km) over
    one crossing from town b behind the river; ``cut`` closes the crossing for good."""
    doc = tiny_document()
    doc["nodes"].append({"id": "c", "lat": 47.0, "lon": 33.39, "sector": "front"})
    doc["links"].append({"id": "crossing", "from": "b", "to": "c", "mode": "bridge",
                         "capacity": 1000, **({"at_start": 0.0, "repair_days": 10_000}
                                              if cut else {})})
    doc["supply"]["demands"][0]["depots"] = [["c"], ["b"]]
    return tiny_scenario(
        nodes=doc["nodes"], links=doc["links"], supply=doc["supply"], deep_strikes=[],
        sectors=_sector(forces=forces, rivers=[{"id": "r", "km": 30}],
                        bridgehead={"side": "red", "river": "r"}, posture={"blue": "attack"}),
        outcomes=[{"id": "gone", "kind": "sector_withdrawn", "sector": "front", "side": "red"},
                  {"id": "ordered", "kind": "sector_withdrawn", "sector": "front", "side": "red",
                   "cause": "ordered"},
                  {"id": "pushed", "kind": "sector_withdrawn", "sector": "front", "side": "red",
                   "cause": "pushed"}])


def test_untenable_bridgehead_is_withdrawn_by_a_stochastic_decision():
    ds = simulate(_bridgehead(True, {"blue": 3000, "red": 1000}), 400, 60, seed=5, every=1)
    day = ds.event_day.sel(outcome="gone").values
    assert np.isnan(day).sum() < 10
    # cut off from its crossing, the bridgehead starves at once (no depot on its own bank
    # is fed, and the depot behind the river may not feed it while it holds)
    assert (ds.supply_ratio.sel(demand="front_red", day=slice(1, 3)).values == 0).all()
    # each run gave the bridgehead up one way, mostly by order
    ordered = ~np.isnan(ds.event_day.sel(outcome="ordered").values)
    pushed = ~np.isnan(ds.event_day.sel(outcome="pushed").values)
    assert np.array_equal(ordered | pushed, ~np.isnan(day)) and not (ordered & pushed).any()
    assert ordered.mean() > 0.8
    # three untenable days first, then a daily chance of 0.2: the days waited after the third
    # are geometric, with mean (1 - p) / p = 4
    days_after = day[ordered] - 3
    assert days_after.min() >= 0
    assert abs(np.mean(days_after) - 4.0) < 0.5


def test_a_force_pushed_back_to_the_river_is_not_an_ordered_withdrawal():
    ds = simulate(_bridgehead(False, {"blue": 20_000, "red": 1000}), 50, 60, seed=5)
    pushed = ds.event_day.sel(outcome="pushed").values
    assert np.isfinite(pushed).all()
    assert np.isnan(ds.event_day.sel(outcome="ordered").values).all()


def test_supplied_bridgehead_holds():
    ds = simulate(_bridgehead(False, {"blue": 1000, "red": 1000}), 50, 60, seed=5)
    assert np.isnan(ds.event_day.sel(outcome="gone").values).all()


def test_an_attacker_below_the_threshold_creeps_forward():
    # threshold 1.5, creep 0.1 km/day: at ratio 1.25 half the creep, at 1 nothing, and the
    # faster advance takes over above 1.5 + (where v_max (1 - 1.5/rho) exceeds the creep)
    ratio = [0.9, 1.0, 1.25, 1.5, 3.0]
    v = [advance_rate(r, 1 / r, 1.5, 1.0, 0.1, True, False) for r in ratio]
    np.testing.assert_allclose(v, [0.0, 0.0, 0.05, 0.1, 0.5])
    assert advance_rate(1.25, 1 / 1.25, 1.5, 1.0, 0.1, False, False) == 0


def test_control_of_nodes_and_links_follows_the_front():
    m = build_model(tiny_scenario())
    front = np.array([[10.0], [80.0]])  # town b lies ~76 km along the axis
    control = node_control(m, front)
    b = m.node_ids.index("b")
    assert control[:, b].tolist() == [1, 0]
    assert control[:, m.node_ids.index("depot")].tolist() == [1, 1]
    road = m.link_ids.index("road")
    assert link_usable(m, control, 0)[:, road].tolist() == [False, True]
    assert link_usable(m, control, 1)[:, m.link_ids.index("bridge")].tolist() == [True, False]


def test_kerch_bridge_is_beyond_rocket_range_of_every_front(autumn_model):
    m = autumn_model
    front = np.array([[sec.front_km.support()[1] for sec in m.scenario.sectors]])
    reach = links_in_reach(m, front, np.array([84.0]))[0]
    assert not reach[m.link_ids.index("kerch_bridge_rail")]
    assert reach[m.link_ids.index("antonivskyi_road_bridge")]
    assert reach[m.link_ids.index("melitopol_tokmak_rail")]


def test_poisson_inversion_matches_scipy():
    from scipy import stats

    u = np.linspace(0.001, 0.999, 500)
    mean = np.full(500, 1.7)
    got = [poisson_capped_scalar(x, m, 8) for x, m in zip(u, mean, strict=True)]
    np.testing.assert_array_equal(got, np.minimum(stats.poisson.ppf(u, 1.7), 8))


def test_autumn_invariants(autumn):
    ds = simulate(autumn, 200, 120, seed=9)
    assert (ds.forces.values >= 0).all()
    assert ((ds.link_capacity.values >= 0) & (ds.link_capacity.values <= 1)).all()
    assert ((ds.supply_ratio.values >= 0) & (ds.supply_ratio.values <= 1 + 1e-6)).all()
    lengths = build_model(autumn).sector_length
    assert ((ds.front_km.values >= 0) & (ds.front_km.values <= lengths + 1e-3)).all()
    kherson = ds.event_day.sel(outcome="kherson_city_liberated").values
    withdrawn = ds.event_day.sel(outcome="kherson_westbank_withdrawal").values
    # the city lies on the west bank: it cannot be retaken after the withdrawal day
    both = ~np.isnan(withdrawn)
    assert np.all(kherson[both] <= withdrawn[both])


def test_an_objective_at_the_end_of_an_axis_can_be_taken():
    from conftest import autumn_variant

    def walkover(doc):
        for sec in doc["sectors"]:
            if sec["id"] == "donetsk_south":
                sec["forces"] = {"ukraine": 200_000, "russia": 100}
                sec["posture"] = {"ukraine": "attack"}

    ds = simulate(autumn_variant(walkover), 50, 120, seed=0)
    assert ds.event_day.sel(outcome="mariupol_liberated").notnull().mean() > 0.9
    assert ds.event_day.sel(outcome="land_corridor_cut").notnull().mean() > 0.9


def test_series_always_keep_the_horizon_day(autumn):
    ds = simulate(autumn, 30, 50, seed=0, every=7)
    assert ds.day.values[0] == 0 and ds.day.values[-1] == 50


def test_a_bridgehead_fed_only_from_behind_its_river_is_rejected():
    import pytest

    from powderkeg.errors import InputError

    doc = tiny_document()
    s = tiny_scenario(sectors=_sector(rivers=[{"id": "r", "km": 30}],
                                      bridgehead={"side": "red", "river": "r"}),
                      supply=doc["supply"])  # its only depot, town b, lies behind the river
    with pytest.raises(InputError, match=r"supply.demands\[0\] \(front_red\).depots"):
        build_model(s)


def _drone_war(missions, kills=10.0, cap=8, runs=400, days=30):
    """Blue's drones strike red's forces only (no links): a war decided by fires on forces."""
    fires = [{"id": "drones", "side": "blue", "launchers": 1,
              "missions_per_launcher_day": missions, "interdiction_share": 0.0,
              "attrition_share": 1.0, "kills_per_hit": kills, "max_missions_per_day": cap,
              "range_km": 50, "hit_probability": 0.5}]
    s = tiny_scenario(fires=fires, deep_strikes=[], sectors=_sector(
        forces={"blue": 1000, "red": 100_000}))
    calm = tiny_scenario(deep_strikes=[], sectors=_sector(forces={"blue": 1000, "red": 100_000}))
    return simulate(s, runs, days, seed=2), simulate(calm, runs, days, seed=2)


def test_fires_on_forces_kill_at_the_rate_of_a_capped_poisson():
    from scipy import stats

    struck, calm = _drone_war(missions=3.0)
    extra = (struck.losses.sel(side="red") - calm.losses.sel(side="red")).values.ravel()
    # per day: E[min(N, 8)] missions, N ~ Poisson(3), half of them hit, 10 killed per hit
    per_day = np.sum(np.minimum(np.arange(60), 8) * stats.poisson.pmf(np.arange(60), 3.0))
    expected = 30 * per_day * 0.5 * 10
    half = 1.96 * extra.std(ddof=1) / np.sqrt(len(extra))
    assert abs(extra.mean() - expected) < half + 1.0, (extra.mean(), expected, half)


def test_the_daily_cap_on_missions_is_a_scenario_number():
    struck, calm = _drone_war(missions=1000.0, cap=3, runs=50, days=10)
    extra = (struck.losses.sel(side="red") - calm.losses.sel(side="red")).values.ravel()
    # at most 3 missions a day, each at most 10 killed: never more than 300 in 10 days
    assert extra.max() <= 300 + 1e-6 and extra.mean() > 100
