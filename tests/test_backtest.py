"""Backtests: scores against closed forms and scikit-learn, the ledger on a tiny run, the
reliability diagram, the shipped question file, and every kind of bad question file."""

import copy
import json

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import tiny_document
from scipy import stats
from sklearn.metrics import brier_score_loss, log_loss
from typer.testing import CliRunner

from powderkeg.analysis.backtest import (
    LOG_FLOOR,
    backtest,
    brier_score,
    log_score,
    mean_scores,
    reliability_bins,
)
from powderkeg.cli import app
from powderkeg.scenario import load_scenario
from powderkeg.scenario.questions import QuestionSet, check_against, load_questions

runner = CliRunner()
DAYS = 40


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def assert_user_error(result, *expected):
    """Exit code 2, one paragraph on standard error naming ``expected``, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and result.stdout == ""
    text = result.stderr.strip()
    assert text.startswith("error:") and "\n\n" not in text, text
    for s in expected:
        assert s in " ".join(text.split()), f"{s!r} not in {text!r}"


# ---------------------------------------------------------------------------------------------
# Scores: closed forms and an independent implementation
# ---------------------------------------------------------------------------------------------

def test_closed_forms():
    assert brier_score(1.0, 1) == 0.0 and brier_score(0.0, 0) == 0.0
    assert brier_score(0.5, 1) == brier_score(0.5, 0) == 0.25
    assert brier_score(0.0, 1) == 1.0
    assert log_score(0.5, 1) == pytest.approx(np.log(2))
    # the floor: a forecast of 0 for what happened costs -ln(eps), not infinity
    assert log_score(0.0, 1) == pytest.approx(-np.log(LOG_FLOOR))
    assert log_score(1.0, 1) == pytest.approx(-np.log1p(-LOG_FLOOR))


def test_mean_scores_match_scikit_learn_on_random_forecasts():
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(2, 40))
        p = rng.uniform(0, 1, n)
        p[rng.random(n) < 0.1] = rng.choice([0.0, 1.0])  # forecasts at the ends too
        y = rng.integers(0, 2, n)
        if y.min() == y.max():
            y[0] = 1 - y[0]
        assert brier_score(p, y).mean() == pytest.approx(brier_score_loss(y, p), abs=1e-12)
        clipped = np.clip(p, LOG_FLOOR, 1 - LOG_FLOOR)
        assert log_score(p, y).mean() == pytest.approx(log_loss(y, clipped, labels=[0, 1]),
                                                       rel=1e-10)


def test_runs_that_all_agree_leave_no_monte_carlo_error():
    # every run says the same thing, so resampling runs cannot move the mean score
    hits = np.tile(np.array([True, False, True]), (50, 1))
    doc = mean_scores(hits, np.array([1, 0, 0]), np.full(3, np.nan), replicates=200)
    m = doc["all"]["model"]
    assert m["brier"] == pytest.approx(1 / 3)
    assert m["brier_ci95_runs"] == pytest.approx([1 / 3, 1 / 3])
    assert doc["with_crowd"] is None


def test_the_crowd_is_compared_on_its_own_questions_paired():
    rng = np.random.default_rng(1)
    hits = rng.random((400, 4)) < np.array([0.9, 0.2, 0.6, 0.1])
    y = np.array([1, 0, 1, 0])
    crowd = np.array([0.7, np.nan, 0.5, 0.3])
    doc = mean_scores(hits, y, crowd, replicates=300)["with_crowd"]
    has = ~np.isnan(crowd)
    p = hits.mean(0)[has]
    assert doc["questions"] == 3
    assert doc["model"]["brier"] == pytest.approx(brier_score_loss(y[has], p))
    assert doc["crowd"]["brier"] == pytest.approx(brier_score_loss(y[has], crowd[has]))
    d = doc["difference"]
    assert d["brier"] == pytest.approx(doc["model"]["brier"] - doc["crowd"]["brier"])
    assert d["brier_ci95"][0] <= d["brier"] <= d["brier_ci95"][1]


def test_reliability_bins_by_hand():
    bins = reliability_bins([0.05, 0.1, 0.15, 0.5, 0.95, 1.0], [0, 0, 1, 1, 1, 1], bins=5)
    assert [(b["low"], b["questions"]) for b in bins] == [(0.0, 3), (0.4, 1), (0.8, 2)]
    assert bins[0]["forecast"] == pytest.approx(0.1)
    assert bins[0]["frequency"] == pytest.approx(1 / 3)
    assert bins[2]["frequency"] == 1.0 and bins[2]["ci95"][1] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# The ledger on hand-built results
# ---------------------------------------------------------------------------------------------

def _results(event_days: dict, days=100):
    ids = list(event_days)
    ds = xr.Dataset(
        {"event_day": (("run", "outcome"), np.stack([event_days[i] for i in ids], 1))},
        coords={"run": np.arange(len(event_days[ids[0]])), "outcome": ids,
                "day": np.arange(days + 1)},
        attrs={"days": days, "seed": 3, "scenario": "tiny", "date": "2022-10-12"})
    return ds


def _questions(*questions, scenario="tiny"):
    return QuestionSet.model_validate({"scenario": scenario, "title": "T",
                                       "questions": list(questions)})


def _q(qid="q", outcome="bridge_hit", deadline="2022-11-11", resolution=True,
       resolved_on="2022-10-20", **extra):
    return {"id": qid, "text": "Will it?", "outcome": outcome, "deadline": deadline,
            "resolution": resolution, "resolved_on": resolved_on,
            "source": {"text": "A report", "url": "https://example.org/a",
                       "published": "2022-10-21"}, **extra}


def test_the_ledger_counts_runs_with_the_outcome_on_or_before_the_deadline():
    import datetime as dt

    nan = np.nan
    # deadline 2022-11-11 is day 30: runs with the outcome on day 10 and 30 count, 31 does not
    ds = _results({"bridge_hit": np.array([10.0, 30.0, 31.0, nan, nan, 5.0, nan, nan])})
    qs = _questions(_q(), _q("no", resolution=False, resolved_on="2022-11-11",
                             crowd={"probability": 0.2, "date": "2022-10-15",
                                    "source": {"text": "crowd", "url": "https://example.org/c",
                                               "published": "2022-10-15"}}))
    doc = backtest(ds, qs, dt.date(2022, 10, 12), replicates=200)
    yes, no = doc["ledger"]
    assert yes["day"] == 30 and yes["runs_with_outcome"] == 3 and yes["probability"] == 3 / 8
    # Wilson's interval, written out: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    z, n, p = stats.norm.ppf(0.975), 8, 3 / 8
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert yes["ci95"] == pytest.approx([(p + z**2 / (2 * n) - half) / (1 + z**2 / n),
                                         (p + z**2 / (2 * n) + half) / (1 + z**2 / n)])
    assert yes["brier"] == pytest.approx((1 - 3 / 8) ** 2)
    assert no["brier"] == pytest.approx((3 / 8) ** 2) and no["log"] == pytest.approx(-np.log(5 / 8))
    # the score's interval is the probability's interval mapped through the score
    assert yes["brier_ci95"] == pytest.approx(sorted((1 - np.array(yes["ci95"])) ** 2))
    assert no["crowd"]["brier"] == pytest.approx(0.04)
    assert doc["scores"]["with_crowd"]["questions"] == 1
    assert doc["scores"]["all"]["model"]["brier"] == pytest.approx(
        brier_score_loss([1, 0], [3 / 8, 3 / 8]))


# ---------------------------------------------------------------------------------------------
# End to end on a tiny scenario: results folder, ledger, figure, JSON
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("backtest")
    scenario = root / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(tiny_document()), "utf-8")
    result = invoke("run", scenario, "--runs", 40, "--days", DAYS, "--workers", 1,
                    "--out", root / "results", "--json")
    assert result.exit_code == 0, result.output
    questions = root / "questions.yaml"
    doc = {"scenario": "tiny", "title": "Tiny questions",
           "questions": [_q(deadline="2022-11-01"),
                         _q("late", deadline="2022-11-21", resolution=False,
                            resolved_on="2022-11-21",
                            crowd={"probability": 0.4, "date": "2022-10-12",
                                   "source": {"text": "crowd", "url": "https://example.org/c",
                                              "published": "2022-10-12"}})]}
    questions.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return {"scenario": scenario, "results": root / "results", "questions": questions,
            "doc": doc, "root": root}


def test_backtest_of_a_results_folder_writes_ledger_scores_and_figure(tiny_files):
    out = tiny_files["root"] / "bt"
    result = invoke("backtest", tiny_files["questions"], "--results", tiny_files["results"],
                    "--out", out, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ds = xr.open_dataset(tiny_files["results"] / "results.nc", engine="h5netcdf")
    event = ds.event_day.sel(outcome="bridge_hit").values
    for row, day in zip(doc["ledger"], (20, 40), strict=True):
        assert row["day"] == day
        assert row["probability"] == pytest.approx(np.mean(event <= day))
    assert doc["runs"] == 40 and doc["scores"]["with_crowd"]["questions"] == 1
    saved = json.loads((out / "backtest.json").read_text())
    assert saved["ledger"] == doc["ledger"]
    assert (out / "ledger.csv").read_text().count("\n") == 3  # header and two questions
    image = mpimg.imread(out / "reliability.png")
    assert image.shape[0] > 300 and image.shape[1] > 300
    ink = (image[..., :3] < 0.9).any(axis=2).mean()
    assert 0.01 < ink < 0.5  # drawn: neither blank nor filled
    assert (out / "reliability.svg").stat().st_size > 1000


def test_running_the_scenario_gives_the_same_ledger_as_its_results_folder(tiny_files):
    from_results = invoke("backtest", tiny_files["questions"], "--results",
                          tiny_files["results"], "--out", tiny_files["root"] / "a", "--json")
    from_run = invoke("backtest", tiny_files["questions"], "--scenario", tiny_files["scenario"],
                      "--runs", 40, "--days", DAYS, "--workers", 1, "--quiet",
                      "--out", tiny_files["root"] / "b", "--json")
    assert from_run.exit_code == 0, from_run.output
    a, b = (json.loads(r.stdout) for r in (from_results, from_run))
    assert [r["probability"] for r in a["ledger"]] == [r["probability"] for r in b["ledger"]]


def test_the_table_shows_each_question_and_the_crowd(tiny_files):
    result = invoke("backtest", tiny_files["questions"], "--results", tiny_files["results"],
                    "--out", tiny_files["root"] / "table")
    assert result.exit_code == 0, result.output
    for text in ("q ", "late", "yes 2022-10-20", "model - crowd (paired)", "always 50%",
                 "clipped to [0.001, 0.999]"):
        assert text in result.stdout


def test_an_existing_output_folder_is_refused(tiny_files):
    out = tiny_files["root"] / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("backtest", tiny_files["questions"], "--results", tiny_files["results"],
                    "--out", out)
    assert_user_error(result, "already exists")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


# ---------------------------------------------------------------------------------------------
# Bad question files and options
# ---------------------------------------------------------------------------------------------

def _bad(tiny_files, tmp_path, edit, text=None):
    doc = copy.deepcopy(tiny_files["doc"])
    edit(doc)
    path = tmp_path / "bad.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return invoke("backtest", path, "--results", tiny_files["results"],
                  "--out", tmp_path / "out")


def _set(path, value):
    def edit(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


BAD_QUESTIONS = {
    "unknown key": (_set(["questions", 0, "deadlin"], "2022-11-01"),
                    ["questions[0] (q).deadlin", "unknown key"]),
    "outcome not in the scenario": (_set(["questions", 0, "outcome"], "kherson_city_liberated"),
                                    ["questions[0] (q).outcome", "kherson_city_liberated",
                                     "bridge_hit"]),
    "deadline before the scenario date": (
        lambda d: d["questions"][0].update(deadline="2022-10-01", resolved_on="2022-10-01"),
        ["questions[0] (q).deadline", "2022-10-12 (day 0)"]),
    "deadline beyond the horizon": (
        lambda d: d["questions"][1].update(deadline="2023-01-01", resolved_on="2023-01-01"),
                                    ["questions[1] (late).deadline", f"(day {DAYS})",
                                     "--days"]),
    "forecast above 1": (_set(["questions", 1, "crowd", "probability"], 1.5),
                         ["questions[1] (late).crowd.probability", "less than or equal to 1"]),
    "forecast below 0": (_set(["questions", 1, "crowd", "probability"], -0.1),
                         ["questions[1] (late).crowd.probability"]),
    "resolution not a boolean": (_set(["questions", 0, "resolution"], "maybe"),
                                 ["questions[0] (q).resolution"]),
    "true but resolved after the deadline": (_set(["questions", 0, "resolved_on"], "2022-12-01"),
                                             ["questions[0] (q)", "resolves false"]),
    "false but resolved before the deadline": (
        _set(["questions", 1, "resolved_on"], "2022-11-01"), ["questions[1] (late)",
                                                              "known only"]),
    "crowd forecast after the resolution": (_set(["questions", 1, "crowd", "date"], "2022-12-01"),
                                            ["questions[1] (late)", "after the question resolved"]),
    "source without a url": (lambda d: d["questions"][0]["source"].pop("url"),
                             ["questions[0] (q).source.url"]),
    "url that is not a url": (_set(["questions", 0, "source", "url"], "example.org"),
                              ["questions[0] (q).source.url"]),
    "impossible date": (_set(["questions", 0, "deadline"], "2022-02-30"),
                        ["questions[0] (q).deadline", "YYYY-MM-DD"]),
    "question id used twice": (_set(["questions", 1, "id"], "q"), ["used twice"]),
    "no questions": (_set(["questions"], []), ["questions"]),
}


@pytest.mark.parametrize("case", BAD_QUESTIONS)
def test_a_bad_question_file_is_one_paragraph_naming_the_place(tiny_files, tmp_path, case):
    edit, expected = BAD_QUESTIONS[case]
    assert_user_error(_bad(tiny_files, tmp_path, edit), *expected)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, expected", [
    ("scenario: tiny\nscenario: tiny\n", ["'scenario' twice", "line 1", "line 2"]),
    ("scenario: [tiny\n", ["not valid YAML", "line"]),
    ("- a\n- b\n", ["must be a YAML mapping"]),
])
def test_broken_yaml_is_a_user_error(tiny_files, tmp_path, text, expected):
    assert_user_error(_bad(tiny_files, tmp_path, lambda d: None, text=text), *expected)


def test_questions_are_checked_against_the_scenario_before_it_runs(tiny_files, tmp_path):
    doc = copy.deepcopy(tiny_files["doc"])
    doc["questions"][0]["outcome"] = "bridge_hitt"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(doc), "utf-8")
    result = invoke("backtest", path, "--scenario", tiny_files["scenario"], "--runs", 20,
                    "--days", DAYS, "--workers", 1, "--out", tmp_path / "out")
    assert_user_error(result, "questions[0] (q).outcome", "'bridge_hitt'")
    assert "simulating" not in result.stderr


def test_results_and_run_options_do_not_mix(tiny_files):
    result = invoke("backtest", tiny_files["questions"], "--results", tiny_files["results"],
                    "--runs", 10)
    assert_user_error(result, "--runs")


def test_a_missing_question_file_is_a_user_error(tmp_path):
    assert_user_error(invoke("backtest", tmp_path / "nope.yaml"), "neither a built-in")


def test_results_of_another_scenario_get_a_warning(tiny_files, tmp_path):
    doc = copy.deepcopy(tiny_files["doc"])
    doc["scenario"] = "tiny-variant"
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(doc), "utf-8")
    result = invoke("backtest", path, "--results", tiny_files["results"], "--out",
                    tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "tiny-variant" in result.stderr


def test_help_names_both_ways_of_getting_probabilities():
    result = invoke("backtest", "--help")
    assert result.exit_code == 0
    for option in ("--results", "--scenario", "--runs", "--seed", "--policy", "--out", "--json"):
        assert option in result.stdout


# ---------------------------------------------------------------------------------------------
# The shipped question file
# ---------------------------------------------------------------------------------------------

def test_the_shipped_questions_fit_autumn_2022_and_each_cites_a_dated_source():
    qs = load_questions("autumn-2022")
    s = load_scenario("autumn-2022")
    check_against(qs, "autumn-2022", s.id, [o.id for o in s.outcomes], s.date, 365)
    assert len({q.outcome for q in qs.questions}) >= 20
    for q in qs.questions:
        assert q.source.url.startswith("https://")
        if q.resolution:  # the source reports the event, so it came out on or after it
            assert q.source.published >= q.resolved_on, q.id
        if q.crowd is not None:  # a forecast from before the outcome was known
            assert q.crowd.date <= q.deadline and q.crowd.source.published <= q.deadline

