"""Posture schedules: a sector's sides may change posture on dated days.

Closed forms on the deterministic tiny scenario (noise 0): no attack, no creep; the attacker
loses its fortification and the fighting its quiet intensity on the day of the change; the
need of an attacking demand follows ``attack_need_factor``. Paired: the old spelling and a
schedule that changes nothing give the same runs, and a schedule equals the scenario without
it until its first change.
"""

import numpy as np
import pytest
from conftest import tiny_document, tiny_scenario

from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model, posture_schedule
from powderkeg.model.random import Streams
from powderkeg.model.theater import fortification, posture_on
from powderkeg.model.world import sample_world
from powderkeg.scenario.references import reference_problems
from powderkeg.scenario.schema import Scenario

K = 5  # the change takes effect on day 5: 2022-10-17 for the tiny scenario of 2022-10-12
ON = "2022-10-17"


def _scenario(posture=None, changes=(), creep=1.0, **sector):
    doc = tiny_document()
    sec = doc["sectors"][0]
    sec.update(forces={"blue": 2500, "red": 1000}, fortification={"red": 2.0, "blue": 1.5},
               **sector)
    if posture is not None:
        sec["posture"] = posture
    if changes:
        sec["posture_changes"] = list(changes)
    doc["model"]["combat"]["creep_km_per_day"] = creep
    doc["deep_strikes"] = []
    return tiny_scenario(**{k: doc[k] for k in ("sectors", "model", "deep_strikes")})


def _blue_attacks_from_day_k():
    return _scenario({"blue": "defend", "red": "defend"},
                     [{"from": ON, "posture": {"blue": "attack"}, "source": None}])


def test_the_schedule_gives_day_zeros_posture_until_the_change_and_the_new_one_from_it():
    s = _scenario({"red": "attack"}, [{"from": ON, "posture": {"blue": "attack"}},
                                      {"from": "2022-10-20", "posture": {"red": "defend"}}])
    days, attack = posture_schedule(s)
    assert days.tolist() == [K, 8]
    m = build_model(s)
    assert posture_on(m, 0).tolist() == [[False, True]]
    assert posture_on(m, K - 1).tolist() == [[False, True]]
    assert posture_on(m, K).tolist() == [[True, True]]  # red, not named, keeps attacking
    assert posture_on(m, 8).tolist() == posture_on(m, 400).tolist() == [[True, False]]


def test_the_attackers_fortification_rule_switches_on_on_the_day_of_the_change():
    m = build_model(_blue_attacks_from_day_k())
    world = sample_world(m, Streams(0), np.arange(2))
    before, after = (np.vectorize(fortification)(world.fortification, posture_on(m, d)[None])
                     for d in (K - 1, K))
    np.testing.assert_array_equal(before[..., 0], 1.5)  # blue defends from its positions
    np.testing.assert_array_equal(after[..., 0], 1.0)  # an attacker is not fortified
    np.testing.assert_array_equal(after[..., 1], before[..., 1])


def test_a_sector_with_no_attack_until_day_k_does_not_move_before_it_then_creeps():
    # rho_A = 2500 / (1000 * 2) = 1.25 is below the threshold 1.5: only an attacker creeps,
    # at c (rho - 1) / (theta - 1) = 1 * 0.25 / 0.5 = 0.5 km a day at day-0 forces
    ds = simulate(_blue_attacks_from_day_k(), 2, 10, seed=0, every=1)
    front = ds.front_km.values[:, :, 0]
    np.testing.assert_array_equal(front[:, :K], 10.0)
    forces = ds.forces.values[:, K - 1, 0].astype(float)
    rho = forces[:, 0] / (forces[:, 1] * 2.0)
    np.testing.assert_allclose(front[:, K] - 10.0, (rho - 1) / 0.5, rtol=1e-5)
    assert np.all(np.diff(front[:, K:], axis=1) > 0.4)


def test_losses_rise_from_the_quiet_intensity_when_the_attack_begins():
    ds = simulate(_blue_attacks_from_day_k(), 1, 10, seed=0, every=1)
    daily = np.diff(ds.losses_to_date.values[0].astype(float), axis=0)  # day d's losses
    # static_intensity 0.5 before day K; at intensity one, and with blue no longer
    # fortified (1.5), blue's losses grow by 1.5 / 0.5 and red's by 1 / 0.5
    np.testing.assert_allclose(daily[K - 1] / daily[K - 2], [3.0, 2.0], rtol=2e-2)


def test_an_attacking_demand_needs_attack_need_factor_times_its_day_zero_tons():
    doc = tiny_document()
    doc["links"][0]["capacity"] = 150  # the bridge carries 150 t a day; red needs 100
    doc["model"]["logistics"]["attack_need_factor"] = 2.0
    doc["sectors"][0]["posture_changes"] = [{"from": ON, "posture": {"red": "attack"}}]
    s = tiny_scenario(links=doc["links"], model=doc["model"], sectors=doc["sectors"],
                      deep_strikes=[])
    ratio = simulate(s, 1, 8, seed=0, every=1).supply_ratio.values[0, :, 0]
    np.testing.assert_allclose(ratio[1:K], 1.0)
    np.testing.assert_allclose(ratio[K:], 150 / 200, rtol=1e-6)


def _same(a, b):
    for name in ("front_km", "forces", "supply_ratio", "losses_to_date"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_the_old_spelling_and_a_schedule_that_changes_nothing_give_the_same_runs():
    old = simulate(_scenario({"blue": "attack"}), 3, 12, seed=4, every=1)
    _same(old, simulate(_scenario({"blue": "attack"}, []), 3, 12, seed=4, every=1))
    _same(old, simulate(_scenario({"blue": "attack"}, [{"from": ON, "posture": {
        "blue": "attack", "red": "defend"}}]), 3, 12, seed=4, every=1))


def test_a_schedule_equals_the_run_without_it_until_its_first_change():
    quiet = simulate(_scenario({"blue": "defend"}), 2, 12, seed=1, every=1)
    late = simulate(_blue_attacks_from_day_k(), 2, 12, seed=1, every=1)
    np.testing.assert_array_equal(quiet.front_km.values[:, :K], late.front_km.values[:, :K])
    np.testing.assert_array_equal(quiet.forces.values[:, :K], late.forces.values[:, :K])
    assert not np.array_equal(quiet.front_km.values[:, K:], late.front_km.values[:, K:])


@pytest.mark.parametrize("changes, place, words", [
    ([{"from": ON, "posture": {"green": "attack"}}], "posture_changes[0].posture.green",
     "unknown side"),
    ([{"from": "2022-10-12", "posture": {"blue": "attack"}}], "posture_changes[0].from",
     "give day 0's posture under posture"),
    ([{"from": ON, "posture": {"blue": "attack"}}, {"from": ON, "posture": {"red": "attack"}}],
     "posture_changes[1].from", "date order"),
    ([{"from": "2022-12-01", "posture": {"blue": "attack"}}], "posture_changes[0].from",
     "after the scenario's last day 2022-11-11"),
])
def test_bad_posture_changes_are_named_at_their_place(changes, place, words):
    doc = tiny_document(days=30)
    doc["sectors"][0]["posture_changes"] = changes
    problems = reference_problems(Scenario.model_validate(doc))
    assert any(p == f"sectors[0].{place}" and words in w for p, w in problems), problems


def test_a_posture_change_must_name_a_side_and_a_known_posture():
    for change in ({"from": ON, "posture": {}}, {"from": ON, "posture": {"blue": "charge"}},
                   {"from": "soon", "posture": {"blue": "attack"}}):
        doc = tiny_document()
        doc["sectors"][0]["posture_changes"] = [change]
        with pytest.raises(ValueError):
            Scenario.model_validate(doc)


def test_a_posture_change_may_cite_what_was_published_by_the_scenarios_last_day():
    from powderkeg.scenario.provenance import late_citations

    doc = tiny_document(days=30)  # 2022-10-12 to 2022-11-11
    doc["sources"] = {"in": {"text": "a report of the onset", "published": "2022-10-18"},
                      "out": {"text": "a later history", "published": "2022-11-12"}}
    doc["sectors"][0]["posture_changes"] = [
        {"from": ON, "posture": {"blue": "attack"}, "source": "[in] [out]"}]
    doc["sectors"][0]["note"] = "[in]"  # the same source is late for the day-0 state
    late = {(p, k) for p, k, _ in late_citations(Scenario.model_validate(doc))}
    assert late == {("sectors[front].posture_changes[0].source", "out"),
                    ("sectors[front].note", "in")}
