"""Decisions fixed by a player (``politics.decisions``, ``--decisions FILE``).

A fixed choice is checked against the model's own rules: the rung taken on that day is the
one fixed, the days before are the unfixed run's, every recorded choice keeps the model's
chances (rows summing to one, the rung's equal to the logit closed form) and the pick its own
uniform draw gives, and a sequence fixed beyond the horizon leaves the runs bit-identical.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import small_politics
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.replay import replay
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError
from powderkeg.model.escalation import STEPS, choice_probabilities, choose, utilities
from powderkeg.model.random import Streams
from powderkeg.scenario.decisions import load_decisions, with_decisions

SEED, RUN, DAYS = 5, 3, 60
PERIOD = 14  # the small fixture's decision period


def _write(tmp_path, decisions, name="decisions.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"decisions": decisions}), "utf-8")
    return path


@pytest.fixture(scope="module")
def small():
    return small_politics()


@pytest.fixture(scope="module")
def unfixed(small):
    return list(replay(small, RUN, SEED, DAYS))


def test_the_rung_fixed_on_a_day_is_the_rung_taken_that_day(small, unfixed, tmp_path):
    rec = unfixed[PERIOD].record.politics
    own = int(rec.rung_step[0])
    rung0 = int(unfixed[PERIOD - 1].politics.rung[0])
    want = "down" if own >= 0 and rung0 > 0 else "up"  # not the model's own choice
    path = _write(tmp_path, [{"period": 1, "decision": "rung", "value": want}])
    states = list(replay(with_decisions(small, path), RUN, SEED, DAYS))
    step = {"down": -1, "up": 1}[want]
    assert int(states[PERIOD].politics.rung[0]) == rung0 + step
    got = states[PERIOD].record.politics
    assert got.choices["rung"].fixed[0] and int(got.rung_step[0]) == step
    assert int(got.choices["rung"].model[0]) == own + 1  # the model's own pick is kept
    for a, b in zip(unfixed[:PERIOD], states[:PERIOD], strict=True):  # the days before
        assert np.array_equal(a.front, b.front) and np.array_equal(a.forces, b.forces)


def test_the_recorded_choices_are_the_models_chances_and_its_own_draws(small, tmp_path):
    path = _write(tmp_path, [{"day": 14, "decision": "rung", "value": "up"},
                             {"day": 28, "decision": "response", "value": "weak"},
                             {"day": 28, "decision": "sack_army_chief", "value": True}])
    runs = np.array([RUN], dtype=np.int64)
    streams = Streams(SEED)
    states = list(replay(with_decisions(small, path), RUN, SEED, DAYS))
    for day in (14, 28, 42, 56):
        rec = states[day].record.politics
        assert set(rec.choices) >= {"rung", "response", "accept_offramp", "opponent_accepts",
                                    "sack_army_chief", "co_opt_militias", "accept_mediation"}
        for name, c in rec.choices.items():
            assert np.allclose(c.probabilities.sum(axis=1), 1.0), name
            assert len(c.options) == c.probabilities.shape[1]
        c = rec.choices["rung"]
        assert np.array_equal(c.probabilities, rec.rung_probabilities)
        u = streams.uniform("politics/rung", runs, day)[:, 0]
        assert int(c.model[0]) == int(choose(c.probabilities, u)[0]) + 1
        accept = rec.choices["accept_offramp"]
        u = streams.uniform("politics/leader_accepts", runs, day)[:, 0]
        assert bool(accept.model[0]) == bool(u[0] < accept.probabilities[0, 1])
    assert states[28].record.politics.moves["sack_army_chief"][0]
    assert states[28].politics.event_day[0, 0] == 28  # army_chief_sacked, its first event
    response = states[28].record.politics.choices["response"]
    assert not states[28].record.politics.strong_response[0]
    assert response.fixed[0] == bool(states[28].record.politics.rung_step[0] > 0)


def test_the_rung_chances_are_the_logit_closed_form():
    rung, cost = np.array([1]), np.array([[0.0, 0.4, 2.0]])
    w = {"hardliner": 1.0, "threat": 0.5, "trend": 0.8, "resolve": 1.5, "red_line": 0.3,
         "cost": 1.2, "inertia": 0.6, "offramp": 2.0}
    f = {"H": 0.7, "T": 0.4, "B": -0.2, "R": 0.6, "C": 0.5, "O": 1.0}
    drive = 1.0 * 0.7 + 0.5 * 0.4 - 0.8 * -0.2 + 1.5 * 0.1 + 0.3 * 0.5
    utility = np.array([-drive - 1.2 * 0.0 - 0.6 + 2.0, -1.2 * 0.4, drive - 1.2 * 2.0 - 0.6])
    lam = 1.7
    expected = np.exp(lam * utility) / np.exp(lam * utility).sum()
    p = choice_probabilities(utilities(rung, cost, w, f), lam)
    step = choose(p, np.array([0.5]))
    assert p[0] == pytest.approx(expected)
    assert step[0] == STEPS[np.searchsorted(np.cumsum(expected), 0.5)]


def test_decisions_beyond_the_horizon_leave_the_runs_bit_identical(small, tmp_path):
    path = _write(tmp_path, [{"day": 700, "decision": "rung", "value": "up"}])
    a = simulate(small, 20, 40, SEED, chunk_size=20)
    b = simulate(with_decisions(small, path), 20, 40, SEED, chunk_size=20)
    for name in ("event_day", "front_km", "forces", "escalation_rung", "influence"):
        assert np.array_equal(a[name].values, b[name].values, equal_nan=True), name


def test_a_sequence_in_the_scenario_file_is_the_same_as_a_decisions_file(small, tmp_path):
    decisions = [{"period": 1, "decision": "rung", "value": "up"},
                 {"period": 2, "decision": "opponent_accepts", "value": False}]
    inline = small_politics(lambda doc: doc["politics"].update(decisions=decisions))
    from_file = with_decisions(small, _write(tmp_path, decisions))
    a, b = (simulate(s, 10, 30, SEED, chunk_size=10) for s in (inline, from_file))
    assert np.array_equal(a.escalation_rung.values, b.escalation_rung.values)


@pytest.mark.parametrize("decisions,message", [
    ([{"day": 20, "decision": "rung", "value": "up"}],
     "decisions[0]: day 20 is not a decision day; decisions are taken every 14 days (day 14 "
     "or 28)"),
    ([{"period": 1, "decision": "launch", "value": True}],
     "decisions[0]: unknown decision 'launch'; give one of rung, mobilize"),
    ([{"period": 1, "decision": "mobilize", "value": True}],
     "'mobilize' needs a politics.mobilization section"),
    ([{"period": 1, "decision": "rung", "value": "up"},
      {"day": 14, "decision": "rung", "value": "down"}],
     "decisions[1]: 'rung' is fixed twice on day 14"),
])
def test_a_decision_that_does_not_fit_the_scenario_is_named(small, tmp_path, decisions, message):
    with pytest.raises(InputError, match="file .* do not fit scenario 'politics-small'") as e:
        with_decisions(small, _write(tmp_path, decisions))
    assert message in str(e.value)


@pytest.mark.parametrize("decisions,message", [
    ([{"period": 1, "decision": "rung", "value": True}],
     "decisions[0]: 'rung' takes one of down, hold, up, not True"),
    ([{"decision": "rung", "value": "up"}], "give exactly one of 'day' or 'period'"),
    ([{"period": 0, "decision": "rung", "value": "up"}], "decisions[0].period:"),
    ([{"period": 1, "decision": "accept_offramp", "value": "up"}],
     "'accept_offramp' takes true or false"),
])
def test_a_malformed_decisions_file_is_named(tmp_path, decisions, message):
    with pytest.raises(InputError, match="decisions file .*decisions.yaml is not valid") as e:
        load_decisions(_write(tmp_path, decisions))
    assert message in str(e.value)


def test_the_story_and_compare_commands_take_a_decisions_file(tmp_path):
    from conftest import SMALL_POLITICS

    good = _write(tmp_path, [{"period": 1, "decision": "rung", "value": "up"}])
    bad = _write(tmp_path, [{"day": 3, "decision": "rung", "value": "up"}], "bad.yaml")
    runner = CliRunner()
    r = runner.invoke(app, ["story", str(SMALL_POLITICS), "--run", "0", "--days", "20",
                            "--decisions", str(good)])
    assert r.exit_code == 0, r.output
    assert "fixed by the player: step up" in r.output
    r = runner.invoke(app, ["story", str(SMALL_POLITICS), "--run", "0", "--decisions",
                            str(bad)])
    assert r.exit_code == 2 and "day 3 is not a decision day" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["compare", str(SMALL_POLITICS), "--decisions", str(good),
                            "--runs", "12", "--days", "30", "--quiet", "--json"])
    assert r.exit_code == 0, r.output
    doc = yaml.safe_load(r.output)
    assert doc["b"].endswith("+decisions") and doc["runs"] == 12
    assert all(len(row["ci95"]) == 2 for row in doc["outcomes"])


def test_a_run_played_period_by_period_is_the_replay_of_its_decisions(small):
    from powderkeg.engine.replay import Playthrough
    from powderkeg.model.build import build_model
    from powderkeg.scenario.decisions import fixed_scenario

    play = Playthrough(build_model(small), RUN, SEED, DAYS)
    assert play.day == PERIOD - 1 and play.decision_day == PERIOD
    preview = play.preview().record.politics
    own = int(preview.choices["rung"].model[0])
    play.decide({"rung": 2 if own != 2 else 0, "response": 1})
    assert play.day == 2 * PERIOD - 1
    play.decide({})  # the model plays this one
    play.decide({"sack_army_chief": 1, "accept_offramp": 0})
    play.decide({})
    assert play.decision_day is None and play.day == DAYS
    fixed = fixed_scenario(small, play.decisions(), "the test")
    again = list(replay(fixed, RUN, SEED, DAYS))
    for a, b in zip(play.states, again, strict=True):
        assert np.array_equal(a.front, b.front) and np.array_equal(a.politics.rung,
                                                                   b.politics.rung)
        assert np.array_equal(a.politics.event_day, b.politics.event_day)
    assert [d.decision for d in play.decisions()] == ["rung", "response", "sack_army_chief",
                                                      "accept_offramp"]
