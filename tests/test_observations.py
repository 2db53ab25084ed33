"""Observations files: the fixture loads, and every bad input is a clear error naming its place."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from powderkeg.analysis.observe import observation_days, simulated_all, targets
from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError, ResultWarning
from powderkeg.model.build import build_model
from powderkeg.scenario import load_scenario
from powderkeg.scenario.observations import load_observations, observations_of

FIT = Path(__file__).parent / "fixtures" / "fit"
SCENARIO = FIT / "hindcast.yaml"
OBSERVATIONS = FIT / "hindcast-observations.yaml"


@pytest.fixture(scope="module")
def hindcast():
    return load_scenario(str(SCENARIO))


@pytest.fixture(scope="module")
def document():
    return yaml.safe_load(OBSERVATIONS.read_text())


def _load(tmp_path, doc, scenario):
    path = tmp_path / "obs.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_observations(path, scenario)


def test_the_fixture_loads_every_kind(hindcast):
    obs = observations_of(hindcast)
    assert {o.kind for o in obs.observations} == {"front", "held", "link", "event", "count"}
    interval = next(o for o in obs.observations if o.id == "front_0918").km
    assert interval.mean == 38 and np.isclose(interval.std, 8 / 1.6448536)


def _changed(document, index, **changes):
    doc = copy.deepcopy(document)
    doc["observations"][index].update(changes)
    return doc


@pytest.mark.parametrize(("index", "changes", "place", "words"), [
    (0, {"date": "2022-10-01"}, "observations[0] (front_0908).date", "outside"),
    (0, {"date": "2022-08-01"}, "observations[0] (front_0908).date", "outside"),
    (0, {"sector": "nowhere"}, "observations[0] (front_0908).sector", "no sector 'nowhere'"),
    (0, {"km": {"value": 400, "sd": 5}}, "observations[0] (front_0908).km", "off the sector"),
    (0, {"km": {"value": 20, "sd": 0}}, "observations[0] (front_0908).km.sd", "greater than 0"),
    (1, {"km": {"low": 40, "high": 30}}, "observations[1] (front_0918).km", "must be below"),
    (1, {"km": {"low": 30, "high": 40, "value": 35}}, "observations[1] (front_0918).km",
     "either value and sd"),
    (2, {"objective": "atlantis"}, "observations[2] (town_b_0918).objective", "no objective"),
    (2, {"side": "green"}, "observations[2] (town_b_0918).side", "unknown side"),
    (2, {"confidence": 0.4}, "observations[2] (town_b_0918).confidence", "greater than 0.5"),
    (3, {"link": "tunnel"}, "observations[3] (bridge_0915).link", "no link 'tunnel'"),
    (3, {"closed": True}, "observations[3] (bridge_0915)", "either open_fraction or closed"),
    (4, {"outcome": "victory"}, "observations[4] (bridge_hit_0905).outcome", "no outcome"),
    (5, {"from": "2022-09-21"}, "observations[5] (strikes_sep)", "is after 'to'"),
    (5, {"to": "2022-10-20"}, "observations[5] (strikes_sep).to", "outside"),
    (5, {"side": "red"}, "observations[5] (strikes_sep)", "names its links"),
    (6, {"side": None}, "observations[6] (red_losses_sep)", "names its side"),
    (0, {"source": "[T99]"}, "observations[0] (front_0908).source", "not in sources"),
    (0, {"colour": "red"}, "observations[0] (front_0908).colour", "unknown key"),
    (0, {"kind": "rumour"}, "observations[0] (front_0908)", "unknown kind 'rumour'"),
    (1, {"id": "front_0908"}, "observations[1] (front_0908)", "used more than once"),
])
def test_a_bad_observation_is_an_error_naming_its_place(tmp_path, hindcast, document, index,
                                                        changes, place, words):
    doc = _changed(document, index, **changes)
    doc["observations"][index] = {k: v for k, v in doc["observations"][index].items()
                                  if v is not None}
    with pytest.raises(InputError) as e:
        _load(tmp_path, doc, hindcast)
    assert f"{place}:" in str(e.value) and words in str(e.value)
    assert "obs.yaml" in str(e.value)


def test_a_source_published_after_the_cutoff_is_an_error_unless_it_documents_earlier(
        tmp_path, hindcast, document):
    doc = copy.deepcopy(document)
    doc["sources"]["T02"]["published"] = "2022-10-30"
    with pytest.raises(InputError, match=r"sources\.T02: published 2022-10-30, after the "
                                         r"cut-off 2022-09-28"):
        _load(tmp_path, doc, hindcast)
    doc["sources"]["T02"]["documents_earlier"] = True
    assert len(_load(tmp_path, doc, hindcast).observations) == 7


def test_a_cutoff_before_the_scenario_date_is_an_error(tmp_path, hindcast, document):
    doc = copy.deepcopy(document)
    doc["cutoff"] = "2022-08-01"
    with pytest.raises(InputError, match=r"cutoff: 2022-08-01 is before the scenario's date"):
        _load(tmp_path, doc, hindcast)


def test_duplicate_keys_and_broken_yaml_are_errors_with_the_line(tmp_path, hindcast):
    path = tmp_path / "obs.yaml"
    path.write_text("scenario: a\nscenario: b\n")
    with pytest.raises(InputError, match="Observations file .* gives the key 'scenario' twice"):
        load_observations(path, hindcast)
    path.write_text("scenario: [a\n")
    with pytest.raises(InputError, match="not valid YAML at line"):
        load_observations(path, hindcast)
    with pytest.raises(InputError, match="Cannot read the observations file"):
        load_observations(tmp_path / "missing.yaml", hindcast)


def test_observations_of_another_scenario_id_warn(tmp_path, hindcast, document):
    doc = {**copy.deepcopy(document), "scenario": "other"}
    with pytest.warns(ResultWarning, match="about 'other'"):
        _load(tmp_path, doc, hindcast)


def test_the_observations_key_is_relative_to_the_file_that_names_it(tmp_path, hindcast):
    variant = tmp_path / "elsewhere" / "variant.yaml"
    variant.parent.mkdir()
    variant.write_text(f"extends: {SCENARIO}\nid: hindcast-variant\n")
    s = load_scenario(str(variant))
    assert Path(s.observations) == OBSERVATIONS
    with pytest.warns(ResultWarning):
        assert len(observations_of(s).observations) == 7


def test_a_scenario_without_observations_says_how_to_give_them(autumn):
    with pytest.raises(InputError, match="names no observations file. Give one with "
                                         "--observations"):
        observations_of(autumn)


def test_validate_checks_the_observations(tmp_path, document):
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(SCENARIO)])
    assert result.exit_code == 0, result.output
    assert "7 valid observations up to 2022-09-28" in result.output
    doc = _changed(document, 0, sector="nowhere")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["validate", str(SCENARIO), "--observations", str(bad)])
    assert result.exit_code == 2
    assert "observations[0] (front_0908).sector" in result.output
    assert "Traceback" not in result.output


def test_each_kind_is_read_off_the_recorded_series(hindcast):
    """The values the fit compares are the dataset's own series on the observation days."""
    obs = observations_of(hindcast)
    ds = simulate(hindcast, 20, 30, seed=3, every=1, workers=1)
    values = simulated_all(build_model(hindcast), ds, obs)
    t = {x.id: k for k, x in enumerate(targets(obs, hindcast.date))}
    assert np.array_equal(values[:, t["front_0908"]], ds.front_km.sel(day=10, sector="front"))
    passed = ds.front_km.sel(day=20, sector="front").values > \
        build_model(hindcast).objective_fixed_km[0]
    assert np.array_equal(values[:, t["town_b_0918"]], ~passed)  # red holds what blue has not
    assert np.array_equal(values[:, t["bridge_hit_0905"]],
                          ds.event_day.sel(outcome="bridge_hit").values <= 7)
    # strikes from day 0 to day 22: the cumulative count on day 22; losses: differences of the
    # cumulative series add up to the final losses
    assert np.array_equal(values[:, t["strikes_sep"]],
                          ds.strikes_to_date.sel(day=22, link=["bridge", "road"]).sum("link"))
    assert np.allclose(ds.losses_to_date.isel(day=-1).values, ds.losses.sum("sector").values)
    assert set(observation_days(obs, hindcast.date)) >= {10, 17, 20, 22, 27}


def test_the_shipped_hindcast_names_its_observations_and_they_are_valid():
    s = load_scenario("summer-2022")
    assert Path(s.observations).name == "summer-2022-observations.yaml"
    obs = observations_of(s)
    assert obs.scenario == "summer-2022" and obs.cutoff.isoformat() == "2022-10-12"
    assert {o.kind for o in obs.observations} == {"front", "held", "link", "event", "count"}
