"""Conditional questions from results: counts and intervals on hand-built results, and the
command's output and errors."""

import json

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from powderkeg.analysis.ask import conditional
from powderkeg.analysis.compare import newcombe_unpaired_interval
from powderkeg.errors import InputError


def _results(given_day, then_day, theory=None, days=100):
    ds = xr.Dataset(
        {"event_day": (("run", "outcome"), np.stack([given_day, then_day], 1).astype(float))},
        coords={"run": np.arange(len(given_day)), "outcome": ["g", "t"],
                "day": np.arange(days + 1)},
        attrs={"days": days, "seed": 0})
    if theory is not None:
        ds["theory"] = ("run", np.asarray(theory))
    return ds


def test_without_a_window_the_shares_are_those_of_each_group():
    nan = np.nan
    # 10 runs with g (6 of them also t), 30 without g (3 with t)
    given = np.r_[np.full(10, 20.0), np.full(30, nan)]
    then = np.r_[np.full(6, 50.0), np.full(4, nan), np.full(3, 5.0), np.full(27, nan)]
    doc = conditional(_results(given, then), "g", "t")
    assert (doc["given"]["runs"], doc["given"]["then"]) == (10, 6)
    assert (doc["not_given"]["runs"], doc["not_given"]["then"]) == (30, 3)
    assert doc["difference"] == pytest.approx(0.6 - 0.1)
    # Jeffreys: Beta(x + 1/2, n - x + 1/2) quantiles, from scipy directly
    assert doc["given"]["ci95"] == pytest.approx([stats.beta.ppf(0.025, 6.5, 4.5),
                                                  stats.beta.ppf(0.975, 6.5, 4.5)])
    assert doc["ci95"] == pytest.approx([float(v) for v in
                                         newcombe_unpaired_interval(6, 10, 3, 30)])
    assert doc["few_runs"] is True  # 10 runs with g


def test_by_limits_both_outcomes_to_the_days_counted():
    given = np.array([10.0, 60.0, np.nan, np.nan])
    then = np.array([20.0, 70.0, 30.0, 80.0])
    doc = conditional(_results(given, then), "g", "t", by=50)
    # by day 50 only run 0 had g; of the other three, only run 2 had t by then
    assert (doc["given"]["runs"], doc["given"]["then"]) == (1, 1)
    assert (doc["not_given"]["runs"], doc["not_given"]["then"]) == (3, 1)


def test_a_window_asks_what_follows_and_matches_the_window_of_the_others():
    nan = np.nan
    given = np.array([10.0, 20.0, 30.0, 40.0, nan, nan, nan, nan])
    then = np.array([15.0, 5.0, 80.0, 45.0, 25.0, 10.0, 60.0, nan])
    doc = conditional(_results(given, then), "g", "t", within=20)
    # run 1 had t before g and is left out; t follows within 20 days in runs 0 and 3
    assert (doc["given"]["runs"], doc["given"]["then"]) == (3, 2)
    # the others are counted from day 25 (median of 10, 20, 30, 40) to day 45: run 5 had t
    # before and is left out; run 4 has t on day 25; runs 6 and 7 do not
    assert doc["window_start_not_given"] == 25.0
    assert (doc["not_given"]["runs"], doc["not_given"]["then"]) == (3, 1)


def test_the_answer_is_split_by_theory():
    given = np.array([10.0, 10.0, np.nan, np.nan])
    then = np.array([20.0, np.nan, 30.0, np.nan])
    doc = conditional(_results(given, then, theory=["a", "b", "a", "b"]), "g", "t")
    assert doc["by_theory"]["a"]["given"]["then"] == 1
    assert doc["by_theory"]["b"]["given"]["then"] == 0
    assert doc["by_theory"]["a"]["not_given"]["then"] == 1


def test_impossible_terms_are_clear_errors():
    ds = _results(np.array([1.0]), np.array([2.0]))
    with pytest.raises(InputError, match="no outcome 'x'"):
        conditional(ds, "x", "t")
    with pytest.raises(InputError, match="--by must lie in 0..100"):
        conditional(ds, "g", "t", by=500)


def test_the_ask_command(tmp_path):
    from typer.testing import CliRunner

    from powderkeg.cli import app

    runner = CliRunner()
    folder = tmp_path / "res"
    result = runner.invoke(app, ["run", "--runs", "60", "--days", "120", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["ask", str(folder), "--given", "kherson_city_liberated",
                                 "--then", "defense_minister_dismissed", "--within", "60",
                                 "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["given"]["runs"] + doc["not_given"]["runs"] <= 60
    assert "powderkeg compare" in doc["interventional"]
    result = runner.invoke(app, ["ask", str(folder), "--given", "kherson_city_liberated",
                                 "--then", "nuclear_signaling"])
    assert result.exit_code == 0
    assert "association among the model's futures" in result.output
    bad = runner.invoke(app, ["ask", str(folder), "--given", "nope", "--then", "nuclear_use"])
    assert bad.exit_code == 2 and "--given nope" in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(app, ["ask", str(tmp_path / "none"), "--given", "a", "--then", "b"])
    assert missing.exit_code == 2 and "not a powderkeg results folder" in missing.output
