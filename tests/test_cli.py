"""The `powderkeg` command line: run, validate, scenarios, show, schema and --help.

Commands run in-process through ``typer.testing.CliRunner`` (standard output and standard
error kept apart), except one test that runs the real console entry point in a subprocess.
Every user mistake must end with exit code 2 and one paragraph on standard error, never a
traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from rich.console import Console
from typer.main import get_command
from typer.testing import CliRunner

import powderkeg
import powderkeg.cli as cli
from powderkeg.cli import app
from powderkeg.scenario import load_scenario
from powderkeg.scenario.load import resolve_document
from powderkeg.scenario.provenance import (
    BARE,
    CONTEXT,
    SOURCED,
    kind,
    provenance,
    provenance_counts,
)
from powderkeg.scenario.walk import iter_params

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "fixtures" / "bad"
VARIANT = ROOT / "tests" / "fixtures" / "variant.yaml"
EXAMPLES = sorted((ROOT / "examples").glob("*.y*ml"))
RESULT_FILES = {"results.nc", "runs.parquet", "scenario.yaml", "run.json"}
RUNS, DAYS = 40, 30

runner = CliRunner()


def invoke(*args: str, **kw):
    return runner.invoke(app, [str(a) for a in args], **kw)


def assert_user_error(result, *expected: str):
    """Exit code 2, one paragraph on standard error naming ``expected``, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    text = result.stderr.strip()
    assert text and "\n\n" not in text, result.stderr
    for s in expected:
        assert s in text, f"{s!r} not in {text!r}"


def flat(text: str) -> str:
    """Text with box drawing and runs of whitespace collapsed, to find wrapped phrases."""
    return re.sub(r"[\s│┃╭╮╰╯─━]+", " ", text).strip()


# ---------------------------------------------------------------------------------------------
# validate: malformed files
# ---------------------------------------------------------------------------------------------

BASE = resolve_document("autumn-2022")[0]


def at(section: str, item_id: str) -> str:
    """``links[3] (port_krym_kerch)``: the place of an item of the built-in scenario."""
    (i,) = [i for i, x in enumerate(BASE[section]) if x["id"] == item_id]
    return f"{section}[{i}] ({item_id})"


def after(section: str, item_id: str) -> str:
    """The place of a new item appended to a section of the built-in scenario."""
    return f"{section}[{len(BASE[section])}] ({item_id})"


# fixture -> strings the error must contain (the place in the file, or what is wrong)
BAD_FILES = {
    "wrong_type.yaml": [f"{at('links', 'kerch_ferry')}.capacity"],
    "unknown_link_node.yaml": [at("links", "port_krym_kerch").split(" ")[0] + ".to",
                               "unknown node 'kertch'"],
    "negative_capacity.yaml": [f"{at('links', 'rostov_taman_rail')}.capacity", "at least 0"],
    "impossible_distribution.yaml": [f"{at('sectors', 'kherson_west')}.front_km",
                                     "low < high"],
    "probability_above_one.yaml": [f"{at('fires', 'himars')}.hit_probability", "at most 1"],
    "unknown_outcome_kind.yaml": [after("outcomes", "kerch_ferry_sunk"),
                                  "unknown kind 'ferry_sunk'"],
    "broken_yaml.yaml": ["not valid YAML", "line 4"],
    "not_a_mapping.yaml": ["must be a YAML mapping", "holds a list"],
    "unknown_top_level_key.yaml": ["outcome: unknown key"],
    "misspelt_key_in_link.yaml": [f"{at('links', 'kerch_ferry')}.capcity: unknown key"],
    "missing_required_field.yaml": [f"{after('links', 'kerch_tunnel')}.capacity: "
                                    "Field required"],
    "extends_missing_parent.yaml": ["'autumn-2021'", "neither a built-in"],
}


def test_the_unknown_link_node_fixture_is_links_3_to():
    # the example place; the fixture overrides the fourth link by its id
    assert BAD_FILES["unknown_link_node.yaml"][0] == "links[3].to"


def test_every_bad_fixture_has_an_expected_message():
    assert {p.name for p in BAD.glob("*.yaml")} == set(BAD_FILES)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_validate_bad_file_exits_2_naming_the_place(name):
    path = BAD / name
    result = invoke("validate", path)
    expected = BAD_FILES[name]
    if name != "extends_missing_parent.yaml":  # that message names the parent only (a gap)
        expected = [str(path), *expected]
    assert_user_error(result, *expected)


def test_validate_missing_file_exits_2(tmp_path):
    assert_user_error(invoke("validate", tmp_path / "nope.yaml"), "nope.yaml")


def test_validate_a_directory_exits_2(tmp_path):
    assert_user_error(invoke("validate", tmp_path), str(tmp_path), "Cannot read")


def test_real_console_script_exits_2_without_traceback_on_a_bad_file():
    proc = subprocess.run(
        [sys.executable, "-m", "powderkeg.cli", "validate", str(BAD / "unknown_link_node.yaml")],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    assert f"{BAD_FILES['unknown_link_node.yaml'][0]}: unknown node 'kertch'" in proc.stderr
    assert "\n\n" not in proc.stderr.strip()


def test_validate_good_file_prints_a_summary_and_exits_0():
    result = invoke("validate", VARIANT)
    assert result.exit_code == 0, result.output
    assert "valid scenario 'autumn-2022-variant'" in flat(result.stdout)
    assert result.stderr == ""


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_json(tmp_path_factory):
    """One small `run --json` of the built-in scenario: (result, results folder)."""
    out = tmp_path_factory.mktemp("run") / "results"
    result = invoke("run", "--json", "--runs", RUNS, "--days", DAYS, "--out", out,
                    "--workers", 1)
    assert result.exit_code == 0, (result.output, result.exception)
    return result, out


def test_run_json_stdout_is_exactly_one_json_document(run_json):
    result, _ = run_json
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    doc = json.loads(result.stdout)
    assert {"scenario", "date", "runs", "days", "seed", "outcomes"} <= set(doc)
    assert (doc["scenario"], doc["date"], doc["runs"], doc["days"], doc["seed"]) == (
        "autumn-2022", "2022-10-12", RUNS, DAYS, 0)


def test_run_json_reports_every_declared_outcome_consistently(run_json):
    doc = json.loads(run_json[0].stdout)
    declared = [o.id for o in load_scenario("autumn-2022").outcomes]
    assert list(doc["outcomes"]) == declared
    for oid, o in doc["outcomes"].items():
        p, (low, high), med, cum = (o["probability"], o["ci95"], o["median_day"],
                                    o["cumulative"])
        assert 0 <= p <= 1, oid
        assert 0 <= low <= p <= high <= 1, (oid, low, p, high)
        assert (med is None) == (p == 0), oid
        assert med is None or (isinstance(med, int | float) and 0 <= med <= DAYS), oid
        assert len(cum) == DAYS + 1, oid
        assert all(a <= b for a, b in zip(cum[:-1], cum[1:], strict=True)), oid
        assert cum[-1] == pytest.approx(p), oid
        assert p * RUNS == pytest.approx(round(p * RUNS)), oid  # a share of whole runs


def test_run_writes_a_complete_results_folder_and_no_partial_folder(run_json):
    _, out = run_json
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no hidden .partial sibling
    meta = json.loads((out / "run.json").read_text())
    assert (meta["scenario"], meta["seed"], meta["runs"], meta["days"]) == (
        "autumn-2022", 0, RUNS, DAYS)


def _check_dataset(ds):
    assert isinstance(ds, xr.Dataset)
    assert {"run", "day", "sector", "outcome", "link", "demand", "side"} <= set(ds.dims)
    assert ds.sizes["run"] == RUNS and ds.sizes["sector"] == len(BASE["sectors"])
    assert int(ds["day"].max()) == DAYS
    assert ds["front_km"].dims == ("run", "day", "sector")
    assert list(ds["outcome"].values) == [o.id for o in load_scenario("autumn-2022").outcomes]


def test_results_nc_holds_run_day_and_sector_dimensions(run_json):
    with xr.open_dataset(run_json[1] / "results.nc", engine="h5netcdf",
                         decode_times=False) as ds:
        _check_dataset(ds.load())


def test_powderkeg_load_returns_the_dataset(run_json):
    _check_dataset(powderkeg.load(run_json[1]))


def test_runs_parquet_has_one_row_per_run_and_a_day_column_per_outcome(run_json):
    import pandas as pd

    table = pd.read_parquet(run_json[1] / "runs.parquet")
    assert len(table) == RUNS
    for o in load_scenario("autumn-2022").outcomes:
        assert f"day.{o.id}" in table.columns


def test_written_scenario_validates_and_equals_the_builtin(run_json):
    written = run_json[1] / "scenario.yaml"
    result = invoke("validate", written)
    assert result.exit_code == 0, result.output
    assert load_scenario(str(written)) == load_scenario("autumn-2022")


def test_run_with_zero_runs_exits_2():
    result = invoke("run", "--runs", 0, "--days", 3)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "--runs" in result.stderr


def test_run_into_a_non_empty_folder_exits_2_and_leaves_it_untouched(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("my earlier results\n")
    (out / "sub").mkdir()
    before = sorted((p.relative_to(out), p.is_dir() or p.read_bytes())
                    for p in out.rglob("*"))
    result = invoke("run", "--json", "--runs", 5, "--days", 3, "--out", out, "--workers", 1)
    assert_user_error(result, str(out), "not empty")
    after = sorted((p.relative_to(out), p.is_dir() or p.read_bytes()) for p in out.rglob("*"))
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]  # no hidden partial folder


def test_run_of_a_bad_scenario_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "results"
    result = invoke("run", BAD / "negative_capacity.yaml", "--runs", 5, "--days", 3,
                    "--out", out)
    assert_user_error(result, f"{at('links', 'rostov_taman_rail')}.capacity")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# scenarios, show, schema
# ---------------------------------------------------------------------------------------------


def test_scenarios_lists_the_builtin_autumn_2022():
    result = invoke("scenarios")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("autumn-2022") and "2022-10-12" in line for line in lines)


@pytest.fixture()
def wide_stdout(monkeypatch):
    """Let `show` print its tables without truncating cells to 80 columns."""
    monkeypatch.setattr(cli, "out", Console(highlight=False, width=300))


def _counts():
    numbers = provenance(load_scenario("autumn-2022"))
    assumed = [path for path, _, a in numbers if a]
    return numbers, assumed


def test_show_summarises_sectors_and_counts_sourced_and_assumed_numbers(wide_stdout):
    result = invoke("show", "autumn-2022")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    s = load_scenario("autumn-2022")
    assert "Sectors" in text
    for sec in s.sectors:
        assert sec.name in text
    numbers, _ = _counts()
    n = provenance_counts(s)
    assert sum(n.values()) == len(numbers)
    assert (f"Numbers: {len(numbers)} in all: {n[SOURCED]} sourced (a source supports the "
            f"value), {n[CONTEXT]} assumptions citing a source for context, {n[BARE]} bare "
            "assumptions") in text
    assert "  model.combat.static_intensity = " not in result.stdout  # only with --assumptions


def _listed_assumptions(stdout: str) -> list[str]:
    return [line.split(" = ")[0].strip() for line in stdout.splitlines()
            if line.startswith("  ") and " = " in line]


def test_show_assumptions_lists_one_line_per_assumption(wide_stdout):
    result = invoke("show", "autumn-2022", "--assumptions")
    assert result.exit_code == 0, result.output
    _, assumed = _counts()
    listed = _listed_assumptions(result.stdout)
    assert len(listed) == len(assumed)
    plain = [p for p in assumed if "[" not in p]  # e.g. model.combat.weiss_exponent
    assert plain and set(plain) <= set(listed)


def test_show_assumptions_lists_the_full_path_of_every_assumption(wide_stdout):
    """Those citing a source for context first, then the bare ones, each in file order."""
    result = invoke("show", "autumn-2022", "--assumptions")
    s = load_scenario("autumn-2022")
    by_kind = {k: [path for path, p in iter_params(s) if kind(p) == k] for k in (CONTEXT, BARE)}
    assert by_kind[CONTEXT] and by_kind[BARE]
    assert _listed_assumptions(result.stdout) == by_kind[CONTEXT] + by_kind[BARE]
    assert f"Assumptions citing a source for context ({len(by_kind[CONTEXT])}):" in result.stdout


def test_show_unknown_scenario_exits_2():
    assert_user_error(invoke("show", "autumn-2099"), "autumn-2099")


def _schema() -> dict:
    result = invoke("schema")
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_schema_prints_a_json_schema_of_the_scenario_format():
    schema = _schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    full = schema["$defs"]["Scenario"]
    assert {"id", "title", "date", "sides", "nodes", "links", "sectors", "model",
            "outcomes", "politics"} <= set(full["properties"])
    assert {"id", "title", "date", "sides", "nodes", "links", "sectors", "model"} <= set(
        full["required"])


def test_schema_validates_the_builtin_document_and_rejects_a_broken_one():
    jsonschema = pytest.importorskip("jsonschema")
    schema = _schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema)
    doc = json.loads(json.dumps(resolve_document("autumn-2022")[0], default=str))
    assert list(validator.iter_errors(doc)) == []
    assert list(validator.iter_errors({"extends": "autumn-2022", "links": []})) == []
    doc["links"][0]["capacity"] = "lots"
    doc["nodes"][0]["unknown_key"] = 1
    assert list(validator.iter_errors(doc))
    full = validator_cls({**schema["$defs"]["Scenario"], "$defs": schema["$defs"]})
    assert len(list(full.iter_errors(doc))) >= 2


# ---------------------------------------------------------------------------------------------
# --help
# ---------------------------------------------------------------------------------------------

COMMANDS = sorted(get_command(app).commands)


def test_the_command_list_is_what_the_tests_cover():
    assert {"run", "validate", "scenarios", "show", "schema"} <= set(COMMANDS)


def test_top_level_help_lists_every_command():
    result = invoke("--help", env={"COLUMNS": "300"})
    assert result.exit_code == 0
    text = flat(result.stdout)
    for name, command in get_command(app).commands.items():
        assert name in text
        assert flat(command.help.splitlines()[0]) in text


@pytest.mark.parametrize("name", COMMANDS)
def test_help_of_every_command_exits_0_and_explains_each_option(name):
    command = get_command(app).commands[name]
    result = invoke(name, "--help", env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert flat(command.help.splitlines()[0]) in text
    for param in command.params:
        if param.name == "help":
            continue
        assert param.help, f"{name}: {param.name} has no help text"
        assert flat(param.help) in text, f"{name}: help of {param.name} not shown"
        for opt in getattr(param, "opts", []):
            if opt.startswith("-"):
                assert opt in text


# ---------------------------------------------------------------------------------------------
# Variants made with `extends`, and the examples
# ---------------------------------------------------------------------------------------------

_RAIL = ("links", "kerch_bridge_rail", "repair_days")
VARIANTS = {
    VARIANT: {
        "id": "autumn-2022-variant",
        _RAIL: {"dist": "lognormal", "median": 400.0, "sigma": 0.5},
        ("fires", "himars", "launchers"): {"value": 40.0, "source": None},
    },
    ROOT / "examples" / "what-if-no-kerch-repair.yaml": {
        "id": "what-if-no-kerch-repair",
        _RAIL: {"dist": "lognormal", "median": 1500.0, "sigma": 0.3},
        ("links", "kerch_bridge_road", "repair_days"): {"dist": "lognormal", "median": 1500.0,
                                                        "sigma": 0.3},
    },
}


def _item(dump: dict, section: str, item_id: str) -> dict:
    (item,) = [x for x in dump[section] if x["id"] == item_id]
    return item


@pytest.mark.parametrize("path", list(VARIANTS), ids=lambda p: p.name)
def test_variant_overrides_only_its_numbers_and_keeps_the_rest_of_the_base(path):
    base = load_scenario("autumn-2022").model_dump(warnings=False)
    variant = load_scenario(str(path)).model_dump(warnings=False)
    overrides = VARIANTS[path]
    assert variant["id"] == overrides["id"]
    for key, expected in overrides.items():
        if key == "id":
            continue
        section, item_id, field = key
        new, old = _item(variant, section, item_id)[field], _item(base, section, item_id)[field]
        for k, v in expected.items():
            assert new[k] == v, (key, k)
        assert new != old
        assert "what-if" in new["note"] or "variant" in new["note"], new["note"]
        _item(base, section, item_id)[field] = new  # the only change, so patch it in
    for k in ("id", "title", "description"):
        base[k] = variant[k]
    assert variant == base


def test_variant_changes_no_number_but_its_overrides():
    from powderkeg.scenario.walk import iter_params

    base = dict(iter_params(load_scenario("autumn-2022")))
    variant = dict(iter_params(load_scenario(str(VARIANT))))
    assert set(base) == set(variant)
    changed = {p for p in base if base[p] != variant[p]}
    assert changed == {"links[kerch_bridge_rail].repair_days", "fires[himars].launchers"}


def test_there_is_at_least_one_example():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates(path):
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "valid scenario" in result.stdout


# ---------------------------------------------------------------------------------------------
# Known bugs, pinned: each turns into an XPASS (a failure) once it is fixed
# ---------------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("extends: autumn-2022\n" + text, "utf-8")
    return path


def test_error_message_with_a_closing_markup_tag_exits_2(tmp_path):
    path = _write(tmp_path, "links:\n  - {id: kerch_ferry, capacity: {dist: '[/x]'}}\n")
    assert_user_error(invoke("validate", path), "[/x]")


def test_pattern_error_shows_the_pattern(tmp_path):
    path = _write(tmp_path, "links:\n  - {id: port_krym_kerch, to: Kerch-Port}\n")
    assert_user_error(invoke("validate", path), f"{at('links', 'port_krym_kerch')}.to",
                      "^[a-z][a-z0-9_]*$")


def test_unknown_citation_error_names_the_link(tmp_path):
    path = _write(tmp_path, "links:\n  - {id: rostov_taman_rail, capacity: {value: 5, "
                            "source: '[S999]'}}\n")
    assert_user_error(invoke("validate", path), "rostov_taman_rail", "[S999]")
