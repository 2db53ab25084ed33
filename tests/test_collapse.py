"""Operational collapse: a defence that breaks, exploitation, withdrawal under threat.

Closed forms on the tiny scenario with no noise: below the breakthrough ratio nothing changes
(a paired run without the rule), an exploitation advances exactly its rate for exactly its
days, and a threat withdrawal is ordered the day the enemy's front first comes within the
distance of the line of supply, found from a paired run without the threat rule.
"""


import numpy as np
import pytest
from conftest import tiny_document, tiny_scenario

from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.model.theater import supply_threatened
from powderkeg.scenario.references import reference_problems
from powderkeg.scenario.schema import Scenario


def _model_params(breakthrough=None, threat_km=None):
    model = tiny_document()["model"]
    if breakthrough is not None:
        model["combat"]["breakthrough"] = breakthrough
    if threat_km is not None:
        model["withdrawal"]["threat_km"] = threat_km
    return model


def _attack(breakthrough=None, posture=("attack", "defend")):
    """Blue (2000) attacks red (1000): attack ratio about 2, attritional advance 0.25 km/day."""
    sector = tiny_document()["sectors"][0]
    sector.update(forces={"blue": 2000, "red": 1000},
                  posture={"blue": posture[0], "red": posture[1]})
    return tiny_scenario(sectors=[sector], deep_strikes=[],
                         model=_model_params(breakthrough=breakthrough))


def _front(s, days=14):
    return simulate(s, 2, days, seed=0, every=1).front_km.values[0, :, 0]


def _rule(ratio, days=3, km=10.0, last=4):
    return {"ratio": ratio, "days": days, "exploitation_km_per_day": km,
            "exploitation_days": last}


def test_no_break_below_the_breakthrough_ratio_changes_nothing():
    plain = _front(_attack())
    np.testing.assert_array_equal(_front(_attack(_rule(2.5))), plain)
    # above the ratio but not attacking: a defender does not break through
    quiet = _front(_attack(posture=("defend", "defend")))
    np.testing.assert_array_equal(_front(_attack(_rule(1.2), posture=("defend", "defend"))),
                                  quiet)


def test_exploitation_advances_exactly_its_rate_for_its_days_then_the_defence_re_forms():
    moved = np.diff(_front(_attack(_rule(1.8, days=3, km=10.0, last=4))))  # moved[d-1]: day d
    plain = np.diff(_front(_attack()))
    # days 1-2 under pressure move attritionally, as without the rule
    np.testing.assert_allclose(moved[:2], plain[:2])
    assert plain[:2].max() < 0.3
    # the defence breaks on day 3 (three days in a row above 1.8): 10 km a day on days 3-6
    np.testing.assert_allclose(moved[2:6], 10.0, rtol=1e-5)  # stored as float32
    # re-formed: three fresh days of pressure (7-9, attritional), the next break on day 9
    assert moved[6:8].max() < 0.3
    np.testing.assert_allclose(moved[8:12], 10.0, rtol=1e-5)


def _bridgehead(supply_through, threat_km):
    """Red holds a supplied bridgehead up to a river at 30 km, fed at depot c (29.5 km) from
    town b behind it; blue (3000) attacks red (1000) from 10 km at about 0.5 km a day."""
    doc = tiny_document()
    doc["nodes"].append({"id": "c", "lat": 47.0, "lon": 33.39, "sector": "front"})
    doc["links"].append({"id": "crossing", "from": "b", "to": "c", "mode": "bridge",
                         "capacity": 1000})
    doc["supply"]["demands"][0]["depots"] = [["c"], ["b"]]
    model = _model_params(threat_km=threat_km)
    model["withdrawal"].update(untenable_days=1, daily_probability=1.0)
    sector = tiny_document()["sectors"][0]
    sector.update(forces={"blue": 3000, "red": 1000}, rivers=[{"id": "r", "km": 30}],
                  bridgehead={"side": "red", "river": "r", "supply_through": supply_through},
                  posture={"blue": "attack"})
    return tiny_scenario(
        nodes=doc["nodes"], links=doc["links"], supply=doc["supply"], deep_strikes=[],
        sectors=[sector], model=model,
        outcomes=[{"id": "ordered", "kind": "sector_withdrawn", "sector": "front",
                   "side": "red", "cause": "ordered"}])


def test_a_threat_withdrawal_is_ordered_the_day_the_enemy_comes_within_the_distance():
    threat = 12.0
    s = _bridgehead(["c"], threat)
    c_km = build_model(s).node_km[build_model(s).node_ids.index("c")]
    unthreatened = simulate(_bridgehead([], threat), 2, 40, seed=0, every=1)
    assert np.isnan(unthreatened.event_day.sel(outcome="ordered").values).all()
    front = unthreatened.front_km.values[0, :, 0]
    first = int(np.argmax(c_km - front <= threat))  # the first day within the distance
    assert 1 < first < 40
    ds = simulate(s, 2, 40, seed=0, every=1)
    assert ds.event_day.sel(outcome="ordered").values[0] == first
    np.testing.assert_array_equal(ds.front_km.values[0, :first, 0], front[:first])
    assert ds.front_km.values[0, first, 0] == pytest.approx(30.0)


def test_every_line_of_supply_must_be_threatened():
    m = build_model(_bridgehead(["c", "b"], 12.0))
    c, b = (m.node_km[m.node_ids.index(n)] for n in ("c", "b"))
    front = np.array([[c - 12.5], [c - 12.0], [b - 12.0]])
    # the first run is short of c's distance, the second near c only, the third near both
    assert [supply_threatened(x, 12.0, m.bridgehead_side[0], m.supply_through[0], m.node_km,
                              m.node_sector) for x in front] == [False, False, True]


@pytest.mark.parametrize("bridgehead, threat_km, place, words", [
    ({"supply_through": ["nowhere"]}, 12, "bridgehead.supply_through[0]", "unknown node"),
    ({"supply_through": ["depot"]}, 12, "bridgehead.supply_through[0]", "rear node"),
    ({"supply_through": ["b"]}, None, "bridgehead.supply_through", "threat_km"),
])
def test_bad_supply_through_names_its_place(bridgehead, threat_km, place, words):
    doc = tiny_document(model=_model_params(threat_km=threat_km))
    doc["sectors"][0].update(rivers=[{"id": "r", "km": 80}],
                             bridgehead={"side": "red", "river": "r", **bridgehead})
    problems = reference_problems(Scenario.model_validate(doc))
    assert any(p.endswith(place) and words in what for p, what in problems), problems


def test_a_breakthrough_ratio_below_one_is_an_error_with_exit_code_2(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from powderkeg.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(tiny_document(model=_model_params(_rule(0.5)))))
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "model.combat.breakthrough.ratio" in result.output
    assert "Traceback" not in result.output


def test_the_story_tells_a_broken_defence_and_a_threat_withdrawal_as_their_own_causes():
    from powderkeg.engine.replay import replay, replay_world
    from powderkeg.report.story import story_events

    s = _attack(_rule(1.8, days=3, km=10.0, last=4))
    events = story_events(build_model(s), replay_world(build_model(s), 0, 0),
                          list(replay(s, 0, 0, 9)))
    broke = [e for e in events if e["event_type"] == "defence_broken"]
    assert [e["day"] for e in broke] == [3, 9]
    assert "attack ratio" in broke[0]["notes"] and "10.0 km a day" in broke[0]["notes"]

    s = _bridgehead(["c"], 12.0)
    events = story_events(build_model(s), replay_world(build_model(s), 0, 0),
                          list(replay(s, 0, 0, 40)))
    withdrawn = [e for e in events if e["event_type"] == "bridgehead_withdrawn"]
    assert len(withdrawn) == 1
    assert "threat of encirclement" in withdrawn[0]["notes"]
    assert "command ordered" in withdrawn[0]["notes"]
