"""Rough edges of reading scenario files and of the command line, each a clear user error.

Every bad input must end with exit code 2 and one paragraph on standard error that names the
file and the place, never a traceback: impossible dates (even in a note), numbers in any
standard notation, duplicate keys, a date that leaves no room for a horizon, seeds beyond
the generator, deep and looping ``extends`` chains, an empty case base; and ``--version``.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import powderkeg
from powderkeg.cli import MAX_SEED, app
from powderkeg.scenario import load_scenario
from powderkeg.scenario.load import MAX_EXTENDS

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_user_error(result, *expected: str):
    """Exit code 2, one paragraph on standard error naming ``expected``, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and result.stdout == ""
    text = result.stderr.strip()
    assert text and "\n\n" not in text, result.stderr
    for s in expected:
        assert s in text, f"{s!r} not in {text!r}"


def variant(tmp_path, body: str, name: str = "v.yaml"):
    path = tmp_path / name
    path.write_text("extends: autumn-2022\nid: v\n" + body, "utf-8")
    return path


# --- dates --------------------------------------------------------------------------------------

def test_an_impossible_scenario_date_names_the_date(tmp_path):
    path = variant(tmp_path, "date: 2022-02-30\n")
    assert_user_error(invoke("validate", path), str(path), "date:", "'2022-02-30'",
                      "exists on the calendar")


def test_an_impossible_date_inside_a_note_is_just_text(tmp_path):
    path = variant(tmp_path, "description: 2022-02-30\nsources: {S99: 2022-02-31}\n")
    s = load_scenario(str(path))
    assert s.description == "2022-02-30" and s.sources["S99"].text == "2022-02-31"


def test_a_date_that_leaves_no_room_for_a_horizon_is_rejected_at_validation(tmp_path):
    path = variant(tmp_path, "date: 9999-12-31\n")
    assert_user_error(invoke("validate", path), str(path), "date: 9999-12-31 is too late",
                      "3,650 days")
    assert_user_error(invoke("run", path, "--runs", 2, "--days", 2, "--out", tmp_path / "r"),
                      "too late")
    assert not (tmp_path / "r").exists()


def test_the_latest_allowed_date_still_validates(tmp_path):
    s = load_scenario(str(variant(tmp_path, "date: 9990-01-02\n")))
    assert str(s.date) == "9990-01-02"


# --- numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("1e2", 100.0), ("1.5E+1", 15.0), ("2_6", 26.0),
                                         ("2.6e1", 26.0), ("+26", 26.0), ("260e-1", 26.0)])
def test_numbers_in_any_standard_notation_are_numbers(tmp_path, text, value):
    s = load_scenario(str(variant(tmp_path, f"fires:\n  - id: himars\n    launchers: {text}\n")))
    assert s.fires[0].launchers.value == pytest.approx(value)


@pytest.mark.parametrize("text, shown", [("'1e5'", "the text '1e5'"), ("lots", "the text 'lots'"),
                                         ("[1, 2]", "a list")])
def test_text_where_a_number_belongs_names_what_was_written(tmp_path, text, shown):
    path = variant(tmp_path, f"fires:\n  - id: himars\n    launchers: {text}\n")
    result = invoke("validate", path)
    assert_user_error(result, "fires[0] (himars).launchers", "expected a number", shown)
    assert "instance of" not in result.stderr and "Fixed" not in result.stderr


@pytest.mark.parametrize("body, place, needs", [
    ("supply: 5\n", "supply:", "must be a mapping"),
    ("nodes: [5]\n", "nodes[0]:", "must be a mapping"),
    ("sides: 3\n", "sides:", "must be a list"),
    ("outcomes:\n  - {id: new}\n", "(new): needs the key 'kind'", "powderkeg schema"),
    ("fires:\n  - id: himars\n    launchers: {value: many}\n", "launchers.value:",
     "must be a number, but it is the text 'many'"),
])
def test_errors_never_name_the_schema_classes(tmp_path, body, place, needs):
    result = invoke("validate", variant(tmp_path, body))
    assert_user_error(result, place, needs)
    for internal in ("instance of", "Supply", "Node", "tuple", "dictionary", "discriminator"):
        assert internal not in result.stderr


# --- duplicate keys and deep documents ------------------------------------------------------------

def test_a_duplicate_key_is_an_error_naming_the_key_and_both_lines(tmp_path):
    path = variant(tmp_path, "fires:\n  - id: himars\n    launchers: 30\n    launchers: 40\n")
    assert_user_error(invoke("validate", path), str(path), "'launchers' twice",
                      "line 5", "line 6")


def test_a_yaml_merge_key_is_not_a_duplicate(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("extends: autumn-2022\nid: v\nfires:\n  - <<: {launchers: 30, id: himars}\n"
                    "    launchers: 40\n", "utf-8")
    assert load_scenario(str(path)).fires[0].launchers.value == 40


def test_a_document_nested_thousands_deep_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("id: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    assert_user_error(invoke("validate", path), str(path), "nested too deeply")


# --- extends ------------------------------------------------------------------------------------

def test_a_chain_of_extends_deeper_than_the_limit_is_a_clear_error(tmp_path):
    (tmp_path / "v0.yaml").write_text("extends: autumn-2022\nid: v0\n", "utf-8")
    for i in range(1, 1200):
        (tmp_path / f"v{i}.yaml").write_text(f"extends: v{i - 1}.yaml\nid: v{i}\n", "utf-8")
    top = tmp_path / "v1199.yaml"
    assert_user_error(invoke("validate", top), str(top), f"more than {MAX_EXTENDS}")


def test_a_chain_within_the_limit_merges_every_level(tmp_path):
    (tmp_path / "v0.yaml").write_text("extends: autumn-2022\nid: v0\ntitle: zero\n", "utf-8")
    for i in range(1, 50):
        (tmp_path / f"v{i}.yaml").write_text(f"extends: v{i - 1}.yaml\nid: v{i}\n", "utf-8")
    s = load_scenario(str(tmp_path / "v49.yaml"))
    assert (s.id, s.title) == ("v49", "zero")


@pytest.mark.parametrize("second", ["a.yaml", "./a.yaml", "sub/../a.yaml"])
def test_an_extends_loop_is_a_clear_error_however_the_path_is_written(tmp_path, second):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nid: a\n", "utf-8")
    (tmp_path / "b.yaml").write_text(f"extends: {second}\nid: b\n", "utf-8")
    result = invoke("validate", tmp_path / "a.yaml")
    assert_user_error(result, "forms a loop", "'b.yaml'")


# --- the command line -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [MAX_SEED + 1, 2**80, -1])
def test_a_seed_outside_the_generator_range_exits_2(seed, tmp_path):
    result = invoke("run", "--seed", seed, "--runs", 2, "--days", 2, "--out", tmp_path / "r")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--seed" in result.stderr
    assert not (tmp_path / "r").exists()


def test_the_largest_seed_runs_and_is_recorded(tmp_path):
    result = invoke("run", "--seed", MAX_SEED, "--runs", 2, "--days", 2, "--workers", 1,
                    "--out", tmp_path / "r", "--json")
    assert result.exit_code == 0, result.output
    assert int(powderkeg.load(tmp_path / "r").attrs["seed"]) == MAX_SEED


def test_calibrate_with_an_empty_case_file_is_an_error_not_the_shipped_cases(tmp_path):
    cases = tmp_path / "none.yaml"
    cases.write_text("cases: []\n", "utf-8")
    assert_user_error(invoke("calibrate", "--cases", cases), str(cases), "no case")


@pytest.mark.parametrize("text, expected", [
    ("cases:\n  - {id: a, title: b, date: 2022-02-30}\n", "cases[0].date"),
    ("- 1\n", "must be a YAML mapping with a 'cases' list"),
    ("cases: []\ncases: []\n", "'cases' twice"),
])
def test_calibrate_with_a_bad_case_file_names_the_place(tmp_path, text, expected):
    cases = tmp_path / "bad.yaml"
    cases.write_text(text, "utf-8")
    assert_user_error(invoke("calibrate", "--cases", cases), str(cases), expected)


def test_version_prints_the_installed_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"powderkeg {powderkeg.__version__}"
