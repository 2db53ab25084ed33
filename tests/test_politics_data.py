"""Politics as data: theories, policies, personnel moves, roles and events declared by the
scenario (the small fixture has three theories and events of its own), a mediator's offer of a
ceasefire, and the scenario's own case base, used only up to its date."""

import copy
import json

import numpy as np
import pytest
from conftest import SMALL_POLITICS, small_politics
from typer.testing import CliRunner

from powderkeg.analysis.intervals import jeffreys_interval
from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError
from powderkeg.model.build import build_model
from powderkeg.model.calibration import calibrate_scenario
from powderkeg.model.random import Streams
from powderkeg.model.step import init_state, step
from powderkeg.model.world import sample_world
from powderkeg.scenario import load_scenario
from powderkeg.scenario.load import resolve_document
from powderkeg.scenario.politics_schema import politics_events
from powderkeg.scenario.schema import Scenario

runner = CliRunner()
THREE = ["risk_averse", "gambler", "prestige"]
KNOWN = ("border_clash_2015", "embargo_2017", "bridge_raid_2019", "protests_2020")


def test_the_fixture_declares_its_theories_policies_roles_and_events():
    s = load_scenario(str(SMALL_POLITICS))
    p = s.politics
    assert list(p.escalation.theories) == THREE
    assert p.escalation.theories["gambler"].name == "A gambler for resurrection"
    assert list(p.policies) == ["arm_arland", "sanctions_only"] and p.policy == "arm_arland"
    assert politics_events(p)[:2] == ("army_chief_sacked", "militias_co_opted")
    assert p.case_base.file == "politics-small-cases.yaml" and len(p.case_base.cases) == 5


def test_run_splits_outcomes_by_the_three_theories_and_records_the_policy(tmp_path):
    out = tmp_path / "runs"
    result = runner.invoke(app, ["run", str(SMALL_POLITICS), "--runs", "300", "--days", "90",
                                 "--json", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    by = doc["outcomes"]["city_strikes"]["by_theory"]
    assert set(by) == set(THREE)
    assert sum(v["runs"] for v in by.values()) == 300
    assert doc["policy"] == "arm_arland"
    assert json.loads((out / "run.json").read_text())["policy"] == "arm_arland"


def test_runs_draw_each_of_three_theories_by_its_weight():
    def weights(doc):
        doc["politics"]["escalation"]["theory_weights"] = {"risk_averse": 1, "gambler": 1,
                                                          "prestige": 2}

    m = build_model(small_politics(weights))
    n = 20_000
    drawn = sample_world(m, Streams(7), np.arange(n)).politics.theory
    for k, share in enumerate([0.25, 0.25, 0.5]):
        low, high = jeffreys_interval(int((drawn == k).sum()), n, level=0.999)
        assert low <= share <= high


def test_policy_ids_are_the_scenario_s():
    ok = runner.invoke(app, ["show", str(SMALL_POLITICS)])
    assert ok.exit_code == 0 and "response policy arm_arland" in ok.output
    bad = runner.invoke(app, ["run", str(SMALL_POLITICS), "--policy", "match_strength",
                              "--runs", "10", "--days", "10", "--quiet"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "match_strength" in bad.output and "arm_arland, sanctions_only" in bad.output


def _older_format(doc):
    """autumn-2022's politics written in the format before theories, policies and moves
    became lists: theories and strong_probability keyed by id, four fixed personnel keys."""
    p = copy.deepcopy(doc["politics"])
    esc = p["escalation"]
    esc["theories"] = {t["id"]: {k: v for k, v in t.items() if k not in ("id", "name",
                                                                           "description")}
                       for t in esc["theories"]}
    p["responses"]["strong_probability"] = {x["id"]: x["strong_probability"]
                                            for x in p.pop("policies")}
    moves = {m["id"]: m for m in p.pop("personnel")}
    p["personnel"] = {k: {"intercept": moves[k]["intercept"], "slope": moves[k]["slope"]}
                      for k in ("dismiss_minister", "dismiss_chief", "promote_hardliner")}
    p["personnel"]["promotion_gain"] = moves["promote_hardliner"]["influence_moved"]
    for key in ("roles", "case_base", "policy"):
        del p[key]
    return {**doc, "politics": p}


def test_the_older_format_of_autumn_2022_still_loads_and_gives_the_same_runs():
    doc, _ = resolve_document("autumn-2022")
    new, old = Scenario.model_validate(doc), Scenario.model_validate(_older_format(doc))
    assert old.politics.policy == "match_strength"
    assert list(old.politics.personnel) == list(new.politics.personnel)
    a, b = (simulate(s, 40, 60, seed=11) for s in (new, old))
    np.testing.assert_array_equal(a.event_day.values, b.event_day.values)
    np.testing.assert_array_equal(a.theory.values, b.theory.values)


def test_an_undeclared_event_or_role_is_an_error_naming_the_place(tmp_path):
    def outcome(doc):
        doc["outcomes"].append({"id": "purge", "kind": "event_happened",
                                "event": "defense_minister_dismissed"})

    with pytest.raises(AssertionError, match="outcomes.*defense_minister_dismissed"):
        small_politics(outcome)
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SMALL_POLITICS}\noutcomes:\n  - {{id: x, kind: event_happened, "
                   "event: minister_fired}\npolitics:\n  factions:\n    - {id: court, role: "
                   "clergy}\n", "utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "unknown event 'minister_fired'" in result.output
    assert "role 'clergy' is not in politics.roles" in result.output


def _states(s, runs, days, seed=5):
    m = build_model(s)
    ids, streams = np.arange(runs), Streams(seed)
    world = sample_world(m, streams, ids)
    state = init_state(m, world, streams, ids)
    for _ in range(days):
        state = step(m, world, state, streams, ids)
    return m, state


def test_a_declared_personnel_move_does_what_it_declares():
    def certain(doc):  # the army chief is sacked at the first decision in every run
        doc["politics"]["personnel"][0].update(intercept=50.0)

    m, state = _states(small_politics(certain), runs=50, days=14)
    assert (state.politics.event_day[:, m.politics.event("army_chief_sacked")] == 14).all()
    np.testing.assert_array_equal(state.politics.blame[:, m.politics.military], 0.0)


def _mediated(offer, must=None, leader_shift=100.0, opponent_shift=100.0, breakdown=0.0):
    """The fixture deciding daily, with no ceasefire but a mediator's: own off-ramps are never
    taken (acceptance log-odds -50 before the mediation's shift)."""
    def edit(doc):
        p = doc["politics"]
        p["decision_period_days"] = 1
        for t in p["escalation"]["theories"]:
            t["accept_intercept"] = -50.0
        p["ceasefire"]["breakdown_per_period"] = breakdown
        p["mediation"] = {"mediator": "A neighbour", "offer_per_period": offer,
                          "leader_shift": leader_shift, "opponent_shift": opponent_shift}
        if must is not None:
            p["mediation"]["must_accept"] = must
        doc["outcomes"].append({"id": "broke_down", "kind": "event_happened",
                                "event": "ceasefire_broke_down"})
    return small_politics(edit)


def test_a_mediator_s_offer_accepted_by_both_gives_a_geometric_time_to_ceasefire():
    """Both sides accept every offer, so the first ceasefire comes with the offer hazard h:
    P(by day k) = 1 - (1 - h)^k."""
    h, n = 0.2, 2000
    ds = simulate(_mediated(h), n, 12, seed=3)
    cease = ds.event_day.sel(outcome="ceasefire").values
    offered = ds.event_day.sel(outcome="mediation_offered").values
    np.testing.assert_array_equal(cease, offered)
    for k in (1, 3, 6, 12):
        low, high = jeffreys_interval(int((cease <= k).sum()), n, level=0.999)
        assert low <= 1 - (1 - h) ** k <= high


def test_a_mediated_ceasefire_needs_every_side_it_names_and_breaks_down_like_any():
    refused = simulate(_mediated(1.0, opponent_shift=-100.0), 50, 5, seed=3)
    assert (refused.event_day.sel(outcome="mediation_offered").values == 1).all()
    assert np.isnan(refused.event_day.sel(outcome="ceasefire").values).all()
    imposed = simulate(_mediated(1.0, must=["borvia"], opponent_shift=-100.0), 50, 5, seed=3)
    assert (imposed.event_day.sel(outcome="ceasefire").values == 1).all()
    broken = simulate(_mediated(1.0, breakdown=1.0), 50, 5, seed=3)
    assert (broken.event_day.sel(outcome="broke_down").values == 2).all()


def test_calibration_uses_the_scenario_s_own_cases_known_on_its_date():
    c = calibrate_scenario(load_scenario(str(SMALL_POLITICS)), draws=1024)
    assert c.theory_ids == tuple(THREE) and c.case_ids == KNOWN
    assert c.later == ("summit_2022",)
    assert c.posterior.shape == (3,) and c.posterior.sum() == pytest.approx(1.0)
    result = runner.invoke(app, ["calibrate", str(SMALL_POLITICS), "--json", "--draws", "512"])
    doc = json.loads(result.stdout)
    assert list(doc["posterior"]) == THREE and doc["case_base"] == "politics-small-cases.yaml"


def test_a_case_base_is_named_relative_to_the_file_that_names_it(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.yaml").write_text(
        "cases:\n  - {id: only, title: Only, date: 2019-01-01, opponent_strength: 1, "
        "regime_threat: 0, red_line_crossed: false, offramp: false, response: backed_down, "
        "source: test}\n", "utf-8")
    (tmp_path / "sub" / "own.yaml").write_text(
        f"extends: {SMALL_POLITICS}\nid: own\npolitics:\n  case_base: mine.yaml\n", "utf-8")
    monkeypatch.chdir(tmp_path)  # not the folder of the file
    s = load_scenario("sub/own.yaml")
    assert [c.id for c in s.politics.case_base.cases] == ["only"]
    inherited = tmp_path / "sub" / "inherits.yaml"
    inherited.write_text(f"extends: {SMALL_POLITICS}\nid: inherits\n", "utf-8")
    assert load_scenario(str(inherited)).politics.case_base.file == "politics-small-cases.yaml"


def test_no_case_known_on_the_date_or_an_empty_case_list_is_a_clear_error(tmp_path):
    early = tmp_path / "early.yaml"
    early.write_text(f"extends: {SMALL_POLITICS}\nid: early\ndate: 2014-01-01\n", "utf-8")
    for command in (["calibrate", str(early)], ["run", str(early), "--runs", "5", "--days",
                                                 "5", "--quiet"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "no case of the case base politics-small-cases.yaml is dated on or before " \
               "2014-01-01" in " ".join(result.output.split())
    (tmp_path / "none.yaml").write_text("cases: []\n", "utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text(f"extends: {SMALL_POLITICS}\nid: empty\npolitics:\n  case_base: "
                     "none.yaml\n", "utf-8")
    result = runner.invoke(app, ["calibrate", str(empty)])
    assert result.exit_code == 2 and "lists no case" in result.output
    with pytest.raises(InputError, match="empty"):
        calibrate_scenario(load_scenario(str(SMALL_POLITICS)), [])


def test_a_2020_variant_of_autumn_2022_gets_no_2022_evidence():
    from conftest import autumn_variant

    def in_2020(doc):
        doc["date"] = "2020-06-01"

    c = calibrate_scenario(autumn_variant(in_2020), draws=256)
    cases = {x.id: x for x in load_scenario("autumn-2022").politics.case_base.cases}
    assert c.later and all(cases[x].date.year >= 2020 for x in c.later)
    assert all(cases[x].date.isoformat() <= "2020-06-01" for x in c.case_ids)


def test_posterior_errors_reduce_to_the_two_theory_formula_and_are_honest_for_three(autumn):
    two = calibrate_scenario(autumn, draws=4096)
    expected = two.posterior[0] * two.posterior[1] * two.log_bayes_factor_se
    np.testing.assert_allclose(two.posterior_se, [expected, expected], rtol=1e-9)
    s = load_scenario(str(SMALL_POLITICS))
    a, b = (calibrate_scenario(s, draws=4096, seed=k) for k in (0, 1))
    assert np.all(a.posterior_se > 0) and not np.array_equal(a.posterior, b.posterior)
    assert np.all(np.abs(a.posterior - b.posterior) < 5 * np.hypot(a.posterior_se,
                                                                   b.posterior_se))
