"""Sense checks at validation (``powderkeg.model.sense``).

Each check gets a scenario wrong by construction, built from ``tiny_document`` (one sector
from ``a`` through ``b`` to the red rear ``depot``, 151.7 km long) or from autumn-2022, and
is run through ``powderkeg validate`` as a user would: errors exit 2 with one paragraph,
warnings print ``warning: FILE: PLACE: message (check ID)`` on standard error and exit 0.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml
from conftest import tiny_document
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.model.build import build_model
from powderkeg.model.random import Streams
from powderkeg.model.sense import SenseError, sense_warnings
from powderkeg.model.world import sample_world
from powderkeg.scenario.load import builtin_ids, resolve_document
from powderkeg.scenario.schema import Scenario

runner = CliRunner()
TOWN_B = {"sector": "front", "objective": "town_b"}


def write(tmp_path, doc, name="s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def validate(path, *options):
    return runner.invoke(app, ["validate", str(path), *options])


def warnings_of(stderr: str) -> list[tuple[str, str, str]]:
    """``(file, place, check)`` of each warning line; every line must be one."""
    out = []
    for line in stderr.splitlines():
        m = re.fullmatch(r"warning: (\S+): (.+?): .+ \(check ([a-z0-9_]+)\)", line)
        assert m, f"not a warning line: {line!r}"
        out.append(m.groups())
    return out


def assert_warns(tmp_path, doc, check, *places):
    """``validate`` exits 0 and warns exactly at ``places``, all of ``check``."""
    path = write(tmp_path, doc)
    result = validate(path)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "valid scenario" in result.stdout
    assert warnings_of(result.stderr) == [(str(path), p, check) for p in places]
    return result.stderr


def assert_refused(tmp_path, doc, check, *places):
    """``validate`` exits 2 with one paragraph naming the file, each place and the check."""
    path = write(tmp_path, doc)
    result = validate(path)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and result.stdout == ""
    text = result.stderr.strip()
    assert text.startswith(f"error: Scenario file {path} cannot mean what it says")
    assert "\n\n" not in text
    for place in places:
        assert f"{place}: " in text
    assert text.count(f"(check {check})") == len(places)
    return path


def autumn_document(edit):
    doc, _ = resolve_document("autumn-2022")
    edit(doc)
    return doc


# ---------------------------------------------------------------------------------------------
# The built-in scenario is clean
# ---------------------------------------------------------------------------------------------


def test_autumn_2022_has_no_warning(autumn_model):
    assert sense_warnings(autumn_model) == []


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_builtin_scenario_validates_strictly(sid):
    result = validate(sid, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("front", [500, {"dist": "uniform", "low": 10, "high": 160},
                                   {"dist": "lognormal", "median": 20, "sigma": 0.5}],
                         ids=["fixed", "uniform", "unbounded"])
def test_front_beyond_the_axis_is_an_error(tmp_path, front):
    doc = tiny_document()
    doc["sectors"][0]["front_km"] = front
    assert_refused(tmp_path, doc, "front_beyond_axis", "sectors[0] (front).front_km")


def test_front_at_the_end_of_the_axis_is_not_refused(tmp_path):
    doc = tiny_document()
    doc["sectors"][0]["front_km"] = 151
    result = validate(write(tmp_path, doc))
    assert result.exit_code == 0, result.output


def test_run_refuses_what_validate_refuses(tmp_path):
    doc = tiny_document()
    doc["sectors"][0]["front_km"] = 500
    path, out = write(tmp_path, doc), tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--runs", "2", "--days", "1",
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "sectors[0] (front).front_km" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(SenseError, match="Scenario 'tiny' cannot mean"):
        build_model(Scenario.model_validate(doc))


def test_source_and_depot_in_the_enemy_rear_are_errors(tmp_path):
    doc = tiny_document()
    doc["supply"]["sources"].append({"id": "s_blue", "side": "blue", "node": "depot",
                                     "tons_per_day": 100})
    doc["supply"]["demands"].append({"id": "front_blue", "side": "blue", "sector": "front",
                                     "depots": [["a"], ["depot"]], "tons_per_day": 100})
    assert_refused(tmp_path, doc, "supply_on_enemy_rear", "supply.sources[1] (s_blue).node",
                   "supply.demands[1] (front_blue).depots[1][0]")


def test_tons_beyond_the_solver_are_an_error(tmp_path):
    doc = tiny_document()
    doc["links"][0]["capacity"] = 1e300
    doc["supply"]["demands"][0]["tons_per_day"] = {"dist": "lognormal", "median": 3e8,
                                                   "sigma": 0.1}
    assert_refused(tmp_path, doc, "beyond_solver_range", "links[0] (bridge).capacity",
                   "supply.demands[0] (front_red).tons_per_day")


def test_sources_that_add_up_beyond_the_solver_are_an_error(tmp_path):
    doc = tiny_document()
    doc["supply"]["sources"] = [{"id": f"s{k}", "side": "red", "node": "depot",
                                 "tons_per_day": 1e8} for k in range(3)]
    assert_refused(tmp_path, doc, "beyond_solver_range", "supply.sources")


# ---------------------------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------------------------


def test_depot_the_enemy_holds_on_day_0_warns_with_its_share(tmp_path):
    doc = tiny_document()
    doc["sectors"][0]["front_km"] = {"dist": "uniform", "low": 50, "high": 100}
    text = assert_warns(tmp_path, doc, "supply_on_enemy_front",
                        "supply.demands[0] (front_red).depots[0][0]")
    model = build_model(Scenario.model_validate(doc))
    b = model.node_ids.index("b")
    held = int((sample_world(model, Streams(0), np.arange(64)).front0[:, 0]
                > model.node_km[b]).sum())
    assert 0 < held < 64
    assert f"in {held} of 64 runs" in text


def test_depot_behind_the_front_does_not_warn(tmp_path):
    doc = tiny_document()
    doc["supply"]["demands"][0]["depots"] = [["b"], ["depot"]]
    assert_warns(tmp_path, doc, "supply_on_enemy_front")


def test_outcome_true_on_day_0_warns(tmp_path):
    doc = tiny_document()
    doc["sectors"][0]["front_km"] = 100  # past town_b (km 75.8)
    doc["supply"]["demands"][0]["depots"] = [["depot"]]  # not left in blue's hands
    doc["outcomes"] += [
        {"id": "b_taken", "kind": "objective_taken", "side": "blue", "targets": [TOWN_B]},
        # a streak counted from day 0 is what such an outcome says: no warning
        {"id": "b_held", "kind": "objective_taken", "side": "blue", "targets": [TOWN_B],
         "held_days": 30},
        {"id": "b_lost", "kind": "objective_taken", "side": "red", "targets": [TOWN_B]},
    ]
    text = assert_warns(tmp_path, doc, "outcome_on_day_0", "outcomes[1] (b_taken)")
    assert "in 64 of 64 runs" in text


def test_objective_the_second_side_can_never_take_warns(tmp_path):
    doc = tiny_document()
    doc["sectors"][0]["front_km"] = 100  # red can retake town_b (km 75.8) by pushing back
    doc["supply"]["demands"][0]["depots"] = [["depot"]]
    doc["sectors"][0]["objectives"].append({"id": "town_a", "node": "a"})  # km 0
    doc["outcomes"] += [
        {"id": "red_gains", "kind": "objective_taken", "side": "red",
         "targets": [TOWN_B, {"sector": "front", "objective": "town_a"}]},
        {"id": "a_held", "kind": "objective_taken", "side": "blue", "held_days": 2,
         "targets": [{"sector": "front", "objective": "town_a"}]},
    ]
    assert_warns(tmp_path, doc, "objective_unreachable", "outcomes[1] (red_gains).targets[1]")


def test_marker_beyond_the_axis_warns(tmp_path):
    doc = tiny_document()
    doc["sectors"][0]["objectives"].append({"id": "far", "km": 400})
    doc["sectors"][0]["rivers"] = [{"id": "wide", "km": {"dist": "uniform", "low": 100,
                                                        "high": 200}}]
    doc["nodes"][1]["km"] = 300
    assert_warns(tmp_path, doc, "marker_beyond_axis",
                 "sectors[0] (front).objectives[1] (far).km",
                 "sectors[0] (front).rivers[0] (wide).km", "nodes[1] (b).km")


@pytest.mark.parametrize(("where", "value", "place"), [
    (("links", 1, "capacity"), 2e6, "links[1] (road).capacity"),
    (("sectors", 0, "forces", "red"), {"dist": "lognormal", "median": 3e6, "sigma": 0.5},
     "sectors[0] (front).forces.red"),
    (("model", "combat", "advance_km_per_day"), 150, "model.combat.advance_km_per_day"),
    (("supply", "demands", 0, "tons_per_day"), 5e6,
     "supply.demands[0] (front_red).tons_per_day"),
], ids=["capacity", "forces", "advance", "demand"])
def test_implausible_magnitude_warns(tmp_path, where, value, place):
    doc = tiny_document()
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    assert_warns(tmp_path, doc, "implausible_magnitude", place)


def test_red_line_nothing_can_cross_warns(tmp_path):
    def no_raids(doc):
        doc["deep_strikes"] = [d for d in doc["deep_strikes"]
                               if d["id"] != "cross_border_strikes"]

    assert_warns(tmp_path, autumn_document(no_raids), "red_line_never_crossed",
                 "politics.escalation.red_lines[1] (russian_territory)")


# ---------------------------------------------------------------------------------------------
# Silencing, --strict
# ---------------------------------------------------------------------------------------------


def _loud():
    doc = tiny_document()
    doc["links"][0]["capacity"] = 2e6
    doc["links"][1]["capacity"] = 3e6
    return doc


@pytest.mark.parametrize("place", ["links[0] (bridge).capacity", "links[bridge].capacity"])
def test_a_silence_entry_hides_its_warning_only(tmp_path, place):
    doc = _loud()
    doc["silence"] = [{"check": "implausible_magnitude", "place": place,
                       "note": "a test of silencing"}]
    assert_warns(tmp_path, doc, "implausible_magnitude", "links[1] (road).capacity")


def test_a_silence_entry_that_hides_nothing_warns(tmp_path):
    doc = _loud()
    doc["silence"] = [
        {"check": "implausible_magnitude", "place": "links[0] (bridge).capacity", "note": "ok"},
        {"check": "implausible_magnitude", "place": "links[1] (road).capacity", "note": "ok"},
        {"check": "outcome_on_day_0", "place": "links[1] (road).capacity", "note": "wrong check"},
        {"check": "front_beyond_axs", "place": "sectors[0] (front).front_km", "note": "typo"},
    ]
    text = assert_warns(tmp_path, doc, "silence_unused", "silence[2]", "silence[3]")
    assert "'front_beyond_axs' is not a check that warns" in text


def test_a_silence_entry_needs_a_note(tmp_path):
    doc = _loud()
    doc["silence"] = [{"check": "implausible_magnitude", "place": "links[0] (bridge).capacity"}]
    result = validate(write(tmp_path, doc))
    assert result.exit_code == 2
    assert "silence[0].note" in result.stderr


def test_strict_turns_warnings_into_exit_2(tmp_path):
    path = write(tmp_path, _loud())
    result = validate(path, "--strict")
    assert result.exit_code == 2
    *warned, error = result.stderr.splitlines()
    assert [w[2] for w in warnings_of("\n".join(warned))] == ["implausible_magnitude"] * 2
    assert error.startswith(f"error: {path}: 2 sense-check warning(s)") and "--strict" in error


def test_readme_variant_warns_until_silenced(tmp_path, autumn):
    """The README's kerch-intact.yaml: a variant written with extends, as a user would."""
    i = [o.id for o in autumn.outcomes].index("kerch_rail_restored")
    body = ("extends: autumn-2022\nid: kerch-intact\nlinks:\n  - {id: kerch_bridge_rail, "
            "at_start: {value: 1.0, note: 'assumption: never hit'}}\n")
    path = tmp_path / "kerch-intact.yaml"
    path.write_text(body, "utf-8")
    result = validate(path)
    assert result.exit_code == 0
    assert warnings_of(result.stderr) == [
        (str(path), f"outcomes[{i}] (kerch_rail_restored)", "outcome_on_day_0")]
    path.write_text(body + "silence:\n  - {check: outcome_on_day_0, place: "
                           "'outcomes[kerch_rail_restored]', note: kept for comparison}\n")
    result = validate(path, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_value_citing_a_source_published_after_the_date_warns(tmp_path):
    doc = tiny_document()
    doc["sources"] = {"L1": {"text": "A later history", "published": "2023-05-01"}}
    doc["links"][0]["capacity"] = {"value": 1000, "source": "[L1]"}
    assert_warns(tmp_path, doc, "late_citation", "links[bridge].capacity.source")
