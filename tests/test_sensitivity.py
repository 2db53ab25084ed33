"""Global sensitivity analysis: SALib's known answers through our wrapper, then a scenario in
which only one uncertain parameter can matter."""

import warnings

import numpy as np
import pytest
from conftest import tiny_document
from SALib.test_functions import Ishigami
from scipy import integrate
from typer.testing import CliRunner

from powderkeg.analysis.sensitivity import (
    DUMMY,
    analyze_design,
    design_runs,
    sample_design,
    sensitivity,
)
from powderkeg.cli import app
from powderkeg.errors import InputError, ResultWarning
from powderkeg.scenario import scenario_to_yaml
from powderkeg.scenario.schema import Scenario

# ---------------------------------------------------------------- known test functions

# Ishigami & Homma (1990) with a = 7, b = 0.1 on [-pi, pi]^3 (Saltelli et al. 2008, The Primer)
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def test_sobol_recovers_the_ishigami_indices():
    names = ["x1", "x2", "x3"]
    x = sample_design("sobol", 3, 1024, seed=0)
    assert x.shape == (design_runs("sobol", 3, 1024), 3) == (1024 * 5, 3)
    rows = analyze_design("sobol", names, x, Ishigami.evaluate(-np.pi + 2 * np.pi * x))
    assert [r["path"] for r in rows] == ["x1", "x2", "x3"]  # ranked by ST
    by_name = {r["path"]: r for r in rows}
    for name, s1, st in zip(names, ISHIGAMI_S1, ISHIGAMI_ST, strict=True):
        r = by_name[name]
        assert abs(r["S1"] - s1) <= max(r["S1_conf"], 0.05), (name, r)
        assert abs(r["ST"] - st) <= max(r["ST_conf"], 0.05), (name, r)
        assert r["index"] == r["ST"]
        assert r["ci95_low"] == pytest.approx(r["ST"] - r["ST_conf"])


def test_morris_effects_of_a_linear_function_are_its_coefficients():
    # y = sum a_i u_i in quantile space: every elementary effect of u_i is exactly a_i.
    coefficients = np.array([1.0, -2.0, 0.5, 0.0])
    x = sample_design("morris", 4, 20, seed=1)
    assert x.shape == (design_runs("morris", 4, 20), 4) == (20 * 5, 4)
    assert set(np.unique(x)) == {0.125, 0.375, 0.625, 0.875}  # no level on an infinite tail
    rows = analyze_design("morris", ["a", "b", "c", "d"], x, x @ coefficients)
    assert [r["path"] for r in rows] == ["b", "a", "c", "d"]
    for r, a in zip(rows, (-2.0, 1.0, 0.5, 0.0), strict=True):
        assert r["mu"] == pytest.approx(a)
        assert r["mu_star"] == pytest.approx(abs(a)) == pytest.approx(r["index"])
        assert r["sigma"] == pytest.approx(0.0, abs=1e-12)


def test_constant_output_has_nothing_to_rank():
    x = sample_design("sobol", 2, 8)
    assert analyze_design("sobol", ["a", "b"], x, np.zeros(len(x))) == []


# ---------------------------------------------------------------- one parameter that matters

DAYS = 60
SUCCESS = 0.5  # the tiny scenario's deep-strike success probability
RATE = "deep_strikes[raid].rate_per_day"


@pytest.fixture(scope="module")
def one_driver():
    """The tiny scenario with an uncertain deep-strike rate and two parameters that cannot
    change whether the bridge is struck: an unused road's capacity and the demand."""
    doc = tiny_document()
    doc["deep_strikes"][0]["rate_per_day"] = {"dist": "uniform", "low": 0.0, "high": 0.2}
    doc["links"][1]["capacity"] = {"dist": "uniform", "low": 100, "high": 1000}
    doc["supply"]["demands"][0]["tons_per_day"] = {"dist": "uniform", "low": 50, "high": 150}
    return Scenario.model_validate(doc)


def _check_one_driver(rows):
    assert rows[0]["path"] == RATE
    assert rows[0]["index"] > 0.3
    assert rows[0]["ci95_low"] > 0
    for r in rows[1:]:
        assert r["index"] == 0.0  # common chance: a parameter that changes nothing scores 0


def test_sobol_ranks_the_only_driver_first(one_driver):
    result = sensitivity(one_driver, ["bridge_hit"], method="sobol", samples=32, days=DAYS)
    rows = result["bridge_hit"]
    assert {r["path"] for r in rows} == {RATE, "links[road].capacity",
                                         "supply.demands[front_red].tons_per_day"}
    _check_one_driver(rows)


def test_morris_ranks_the_only_driver_first(one_driver):
    rows = sensitivity(one_driver, ["bridge_hit"], method="morris", samples=10, days=DAYS)
    _check_one_driver(rows["bridge_hit"])


def test_first_order_index_of_the_driver_matches_its_closed_form(one_driver):
    # A day brings a successful strike with probability q(r) = SUCCESS (1 - exp(-r)), so the
    # bridge is struck by DAYS with p(r) = 1 - (1 - q(r))^DAYS; with r ~ U(0, 0.2),
    # S1 = Var(p(R)) / (E p (1 - E p)).
    def p(r):
        return 1 - (1 - SUCCESS * -np.expm1(-r)) ** DAYS

    m1 = integrate.quad(p, 0, 0.2)[0] / 0.2
    m2 = integrate.quad(lambda r: p(r) ** 2, 0, 0.2)[0] / 0.2
    s1 = (m2 - m1**2) / (m1 * (1 - m1))
    rows = sensitivity(one_driver, ["bridge_hit"], method="sobol", samples=512, days=DAYS,
                       params=["rate"], seed=1)["bridge_hit"]
    assert [r["path"] for r in rows] == [RATE]
    assert abs(rows[0]["S1"] - s1) <= rows[0]["S1_conf"], (rows[0], s1)


def test_independent_chance_shows_the_noise_floor(one_driver):
    rows = sensitivity(one_driver, ["bridge_hit"], method="sobol", samples=256, days=DAYS,
                       common_chance=False)["bridge_hit"]
    dummy = next(r for r in rows if r["dummy"])
    assert dummy["path"] == DUMMY
    assert dummy["index"] > 0.2  # chance alone makes two runs differ
    assert rows[0]["path"] == RATE
    assert rows[0]["ci95_low"] > dummy["index"]
    for r in rows[1:]:  # the others cannot be told apart from the dummy
        assert r["ci95_low"] <= dummy["index"] <= r["ci95_high"] or r["dummy"]


def test_bad_requests_say_what_to_do(one_driver):
    with pytest.raises(InputError, match="no outcome 'bridge_gone'.*bridge_hit"):
        sensitivity(one_driver, ["bridge_gone"], samples=8, days=5)
    with pytest.raises(InputError, match="power of 2"):
        sensitivity(one_driver, ["bridge_hit"], samples=10, days=5)
    with pytest.raises(InputError, match="sobol, morris"):
        sensitivity(one_driver, ["bridge_hit"], method="fast", samples=8, days=5)
    with pytest.raises(InputError, match="no uncertain parameters matching 'kerch'"):
        sensitivity(one_driver, ["bridge_hit"], samples=8, days=5, params=["kerch"])


def test_tornado_chart_writes_png_and_svg(one_driver, tmp_path):
    from powderkeg.report.tornado import tornado_chart

    rows = sensitivity(one_driver, ["bridge_hit"], method="morris", samples=4, days=DAYS,
                       common_chance=False)["bridge_hit"]
    paths = tornado_chart(rows, tmp_path / "drivers" / "bridge_hit.png", title="bridge_hit")
    assert paths["png"] == tmp_path / "drivers" / "bridge_hit.png"
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths["svg"].read_bytes()[:2000]


# ---------------------------------------------------------------- an analysis with no signal

NOT_THE_RATE = ["links[road]", "front_red"]  # the two parameters that cannot matter


def test_all_zero_indices_with_zero_width_intervals_warn(one_driver):
    # The rate, left out of the design, varies per run like chance: the outcome varies, but
    # changing either factor alone never changes it.
    with pytest.warns(ResultWarning, match="bridge_hit: every factor's sobol index is 0"):
        rows = sensitivity(one_driver, ["bridge_hit"], method="sobol", samples=8, days=DAYS,
                           params=NOT_THE_RATE)["bridge_hit"]
    assert rows and all(r["index"] == r["ci95_low"] == r["ci95_high"] == 0 for r in rows)


def test_an_analysis_that_finds_a_driver_does_not_warn(one_driver):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        rows = sensitivity(one_driver, ["bridge_hit"], method="sobol", samples=8, days=DAYS)
    assert rows["bridge_hit"][0]["index"] > 0


def test_the_command_line_prints_the_warning_as_a_paragraph(one_driver, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(scenario_to_yaml(one_driver), "utf-8")
    args = ["sensitivity", str(path), "--outcome", "bridge_hit", "--samples", "8", "--days",
            str(DAYS), "--workers", "1"]
    for p in NOT_THE_RATE:
        args += ["--param", p]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning: bridge_hit: every factor's sobol index is 0" in result.stderr
    assert "Traceback" not in result.output and "ResultWarning" not in result.stderr
