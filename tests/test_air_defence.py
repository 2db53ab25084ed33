"""Air defences as a multiplier on the other side's air-delivered fires (a missile umbrella).

Known answers: an umbrella of factor 1 changes nothing, draw for draw; one that covers every
target scales the expected hits by its factor (the capped Poisson's mean times the hit
chance times the factor, within the estimate's interval); a link beyond its depth and a
system that is not air-delivered are not covered; two umbrellas multiply. Missions against
forces strike only their ``force_sectors``; counter-battery hits divide the struck side's
effectiveness by ``1 + hits / hits_to_halve_fire_support``; the story tells the multipliers
the step recorded.
"""

import numpy as np
import pytest
import yaml
from conftest import tiny_document, tiny_scenario
from scipy import stats
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.model.fire_kernels import cover_multiplier_scalar
from powderkeg.model.fires import air_cover
from powderkeg.model.random import Streams
from powderkeg.model.world import sample_world


def _drones(air_delivered=True, missions=3.0):
    return [{"id": "drones", "side": "blue", "launchers": 1,
             "missions_per_launcher_day": missions, "interdiction_share": 0.0,
             "attrition_share": 1.0, "kills_per_hit": 10.0, "range_km": 50,
             "hit_probability": 0.5, "air_delivered": air_delivered}]


def _umbrella(factor, side="red", depth=20.0, sectors=("front",)):
    return {"id": "umbrella", "side": side, "sectors": list(sectors), "depth_km": depth,
            "factor": factor}


def _war(air_defences, fires=None, runs=400, days=30):
    sector = tiny_document()["sectors"][0]
    sector["forces"] = {"blue": 1000, "red": 100_000}
    s = tiny_scenario(fires=fires or _drones(), deep_strikes=[], sectors=[sector],
                      air_defences=air_defences)
    return simulate(s, runs, days, seed=2)


def test_cover_multiplier_is_the_product_of_the_covering_factors():
    factor = np.array([0.5, 0.8])
    covers = np.array([[True, True, False], [True, False, False]])  # (defence, target)
    theirs = np.array([True, True])
    got = [cover_multiplier_scalar(factor, covers[:, t], theirs) for t in range(3)]
    np.testing.assert_allclose(got, [0.4, 0.5, 1.0])
    # a defence of the fire system's own side covers nothing it strikes
    assert cover_multiplier_scalar(factor, covers[:, 0], np.array([False, True])) == 0.8


def test_an_umbrella_of_factor_one_changes_nothing():
    bare, neutral = _war([], runs=50, days=20), _war([_umbrella(1.0)], runs=50, days=20)
    np.testing.assert_array_equal(bare.losses.values, neutral.losses.values)
    np.testing.assert_array_equal(bare.front_km.values, neutral.front_km.values)


def test_an_umbrella_over_every_target_scales_the_hits_by_its_factor():
    """Per day E[min(N, 8)] missions with N ~ Poisson(3), each hitting with 0.5 x 0.4, ten
    out of action a hit: over 30 days the umbrella's kills are 0.4 of the open sky's."""
    covered, calm = _war([_umbrella(0.4)]), _war([], fires=_drones(missions=0.0))
    extra = (covered.losses.sel(side="red") - calm.losses.sel(side="red")).values.ravel()
    per_day = np.sum(np.minimum(np.arange(60), 8) * stats.poisson.pmf(np.arange(60), 3.0))
    expected = 30 * per_day * 0.5 * 0.4 * 10
    half = 1.96 * extra.std(ddof=1) / np.sqrt(len(extra))
    assert abs(extra.mean() - expected) < half + 1.0, (extra.mean(), expected, half)


def test_only_air_delivered_fires_of_the_other_side_are_covered():
    ground = _war([_umbrella(0.0)], fires=_drones(air_delivered=False), runs=50, days=10)
    own = _war([_umbrella(0.0, side="blue")], runs=50, days=10)
    bare = _war([], runs=50, days=10)
    np.testing.assert_array_equal(ground.losses.values, bare.losses.values)
    np.testing.assert_array_equal(own.losses.values, bare.losses.values)
    none_through = _war([_umbrella(0.0)], runs=50, days=10)
    calm = _war([], fires=_drones(missions=0.0), runs=50, days=10)
    np.testing.assert_array_equal(none_through.losses.values, calm.losses.values)


def _cover_of_links(depth, factors=(0.5,)):
    fires = _drones()
    fires[0]["interdiction_share"] = 0.5
    defences = [dict(_umbrella(f, depth=depth), id=f"umbrella_{i}")
                for i, f in enumerate(factors)]
    model = build_model(tiny_scenario(fires=fires, air_defences=defences))
    world = sample_world(model, Streams(0), np.arange(3))
    links, forces = air_cover(model, world, world.front0)
    return model, links, forces


def test_links_are_covered_within_the_depth_and_two_umbrellas_multiply():
    model, links, forces = _cover_of_links(depth=1000.0, factors=(0.5, 0.8))
    np.testing.assert_allclose(links, 0.4)
    np.testing.assert_allclose(forces, 0.4)
    model, links, _ = _cover_of_links(depth=0.0)
    # the bridge from the depot to town b lies km from the front at km 10: beyond depth 0
    assert links[0, 0, model.link_ids.index("bridge")] == 1.0


@pytest.mark.parametrize("change, place, what", [
    ({"sectors": ["nowhere"]}, "air_defences[0].sectors", "unknown sector 'nowhere'"),
    ({"side": "green"}, "air_defences[0].side", "unknown side"),
    ({"factor": 1.5}, "air_defences[0] (umbrella).factor", "at most 1"),
    ({"depth_km": -5}, "air_defences[0] (umbrella).depth_km", "at least 0"),
], ids=["sector", "side", "factor", "depth"])
def test_a_bad_umbrella_is_refused_naming_its_place(tmp_path, change, place, what):
    doc = tiny_document(fires=_drones(), air_defences=[{**_umbrella(0.5), **change}])
    path = tmp_path / "umbrella.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert place in result.stderr and what in result.stderr, result.stderr


def test_missions_against_forces_strike_only_their_force_sectors():
    """october-1973's Sinai air force strikes forces on the canal only, never on the Golan."""
    from powderkeg.model.fires import fires_on_forces_day
    from powderkeg.scenario import load_scenario

    model = build_model(load_scenario("october-1973"))
    runs = np.arange(200)
    world = sample_world(model, Streams(0), runs)
    hits = fires_on_forces_day(model, world, Streams(0), runs, 1, np.ones(len(runs), bool),
                               world.forces0, np.zeros(world.forces0.shape))[0]
    f = [x.id for x in model.scenario.fires].index("iaf_canal")
    golan = model.sector_ids.index("golan")
    assert hits[:, f, golan].sum() == 0 and hits[:, f].sum() > 0


@pytest.mark.parametrize("change, place, what", [
    ({"force_sectors": ["nowhere"]}, "fires[0].force_sectors", "unknown sector 'nowhere'"),
    ({"hits_to_halve_fire_support": 0}, "fires[0] (drones).hits_to_halve_fire_support",
     "must be above 0"),
], ids=["force_sector", "hits_to_halve"])
def test_a_bad_fire_system_is_refused_naming_its_place(tmp_path, change, place, what):
    path = tmp_path / "drones.yaml"
    path.write_text(yaml.safe_dump(tiny_document(fires=[{**_drones()[0], **change}])))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert place in result.stderr and what in result.stderr, result.stderr


def test_the_story_says_the_multiplier_the_step_used():
    """Each hit on forces under the umbrella is told with the factor the step recorded, and
    with the fire support it left the struck side."""
    from powderkeg.engine.replay import replay, replay_world
    from powderkeg.report.story import story_events

    sector = tiny_document()["sectors"][0]
    sector["forces"] = {"blue": 1000, "red": 100_000}
    fires = _drones()
    fires[0]["hits_to_halve_fire_support"] = 2.0
    s = tiny_scenario(fires=fires, deep_strikes=[], sectors=[sector],
                      air_defences=[_umbrella(0.4)])
    events = story_events(build_model(s), replay_world(build_model(s), 3, 2),
                          replay(s, 3, 2, 10))
    on_forces = [e for e in events if e["event_type"] == "fires_on_forces"]
    assert on_forces and all("air-defence rule: its chance to hit x0.40" in e["notes"]
                             for e in on_forces)
    once = [e for e in on_forces if "hit once" in e["notes"]]
    assert once and all("Red's combat effectiveness there x0.67 today" in e["notes"]
                        for e in once)


def test_counter_battery_hits_divide_the_struck_sides_effectiveness():
    """Every day the drones fly 4 missions and all hit (hit chance 1, cap 4), none killing:
    with two hits halving fire support, red's effectiveness is 1 / (1 + 4/2) = 1/3 of the
    open sky's on day one, so blue's losses that day are a third (square law, no noise)."""
    def war(halve):
        fires = _drones(missions=1000.0)
        fires[0].update(hit_probability=1.0, kills_per_hit=0.0, max_missions_per_day=4,
                        air_delivered=False)
        if halve is not None:
            fires[0]["hits_to_halve_fire_support"] = halve
        sector = tiny_document()["sectors"][0]
        sector.update(forces={"blue": 1000, "red": 1000}, posture={"red": "attack"})
        s = tiny_scenario(fires=fires, deep_strikes=[], sectors=[sector])
        return simulate(s, 5, 1, seed=0, every=1)

    plain, silenced = war(None), war(2.0)
    blue = lambda ds: ds.losses.sel(side="blue").values  # noqa: E731
    np.testing.assert_allclose(blue(silenced), blue(plain) / 3.0, rtol=1e-6)  # float32
