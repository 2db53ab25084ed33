"""The compare and sensitivity commands end to end, on small runs."""

import json

import yaml
from conftest import tiny_document
from typer.testing import CliRunner

from powderkeg.cli import app

runner = CliRunner()


def test_compare_prints_paired_differences_as_json():
    result = runner.invoke(app, ["compare", "autumn-2022:offer_offramp",
                                 "autumn-2022:match_strength", "--runs", "60", "--days", "30",
                                 "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["a"] == "autumn-2022:offer_offramp" and doc["b"] == "autumn-2022:match_strength"
    for row in doc["outcomes"]:
        assert abs(row["difference"] - (row["probability_b"] - row["probability_a"])) < 1e-12
        assert row["ci95"][0] <= row["difference"] <= row["ci95"][1]


def test_compare_rejects_an_unknown_policy():
    result = runner.invoke(app, ["compare", "autumn-2022:offer_ofram", "autumn-2022"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_sensitivity_ranks_the_only_relevant_parameter_first(tmp_path):
    doc = tiny_document()
    doc["deep_strikes"][0]["rate_per_day"] = {"dist": "uniform", "low": 0.0, "high": 0.2}
    doc["supply"]["demands"][0]["tons_per_day"] = {"dist": "uniform", "low": 50, "high": 150}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(doc), "utf-8")
    result = runner.invoke(app, ["sensitivity", str(path), "--method", "morris", "--samples",
                                 "6", "--days", "20", "--workers", "1", "--json",
                                 "--out", str(tmp_path / "sens")])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["outcomes"]["bridge_hit"]
    assert rows[0]["path"] == "deep_strikes[raid].rate_per_day"
    assert (tmp_path / "sens" / "tornado-bridge_hit.png").exists()


def test_sensitivity_rejects_an_unknown_outcome():
    result = runner.invoke(app, ["sensitivity", "autumn-2022", "--outcome", "nope"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_calibrate_prints_the_cases_and_a_finite_bayes_factor():
    result = runner.invoke(app, ["calibrate", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert len(doc["cases"]) >= 15
    assert abs(doc["log_bayes_factor"]) < 1e6
    assert abs(sum(doc["posterior"].values()) - 1) < 1e-9
    table = runner.invoke(app, ["calibrate"])
    assert table.exit_code == 0 and "Bayes factor" in table.stdout
