"""Calibration of the escalation theories: marginal likelihoods against independent integrals,
the leave-one-out table against recomputation, and no non-finite weight ever."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import autumn_variant
from scipy import integrate
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.errors import InputError
from powderkeg.model.calibration import (
    DRAWS,
    WEIGHTS,
    calibrate,
    calibrate_scenario,
    log_marginal_likelihood,
)
from powderkeg.model.random import Streams
from powderkeg.scenario.cases import load_cases

runner = CliRunner()
THEORIES = ("weakness_invites", "cornered_escalates")  # autumn-2022's, in its order


def case(cid, response, strength=1.0, threat=0.0, red_line=False, offramp=False):
    return SimpleNamespace(id=cid, response=response, opponent_strength=strength,
                           regime_threat=threat, red_line_crossed=red_line, offramp=offramp)


def only(**nonzero):
    """Weights all zero except the ones given (``cost`` defaults to 1)."""
    return {k: 0.0 for k in WEIGHTS} | {"cost": 1.0} | nonzero


def uniform_draws(low, high, n, name="test/resolve", seed=0):
    return low + (high - low) * Streams(seed).uniform(name, np.arange(n), 0)[:, 0]


# --- defect 5: the bottom rung ----------------------------------------------------------

def test_calibrated_weights_from_the_bottom_rung_are_finite_and_leave_out_impossible_cases():
    """From the bottom rung Russia cannot step down: the backed_down cases are left out, and
    the weights are those of calibrating on the other cases (once NaN, one theory only)."""

    def bottom(doc):
        esc = doc["politics"]["escalation"]
        esc["start_rung"] = esc["rungs"][0]["id"]
        esc["theory_weights"] = "calibrated"

    s = autumn_variant(bottom)
    c = calibrate_scenario(s)
    backed = [x.id for x in load_cases() if x.response == "backed_down"]
    assert sorted(c.excluded) == sorted(backed) and backed
    assert np.all(np.isfinite(c.posterior)) and c.posterior.sum() == pytest.approx(1)
    assert np.all(np.isfinite(c.loo_log_bayes_factor))
    rest = [x for x in load_cases() if x.response != "backed_down"]
    again = calibrate_scenario(s, rest)
    assert again.excluded == ()
    np.testing.assert_allclose(c.posterior, again.posterior, rtol=1e-12)

    from powderkeg.model.build import build_model

    w = np.asarray(build_model(s).politics.theory_weights)
    assert np.all(np.isfinite(w)) and np.all(w > 0)
    np.testing.assert_allclose(w, c.posterior)


def test_a_case_base_with_no_possible_response_stops_with_a_clear_error(tmp_path):
    def bottom(doc):
        esc = doc["politics"]["escalation"]
        esc["start_rung"] = esc["rungs"][0]["id"]

    s = autumn_variant(bottom)
    only_down = [x for x in load_cases() if x.response == "backed_down"]
    with pytest.raises(InputError, match="start_rung"):
        calibrate_scenario(s, only_down)

    cases_file = tmp_path / "down.yaml"
    cases_file.write_text(
        "cases:\n  - {id: one, title: One, date: 2020-01-01, opponent_strength: 1, "
        "regime_threat: 0, red_line_crossed: false, offramp: false, response: backed_down, "
        "source: test}\n", "utf-8")
    scenario_file = tmp_path / "bottom.yaml"
    scenario_file.write_text(
        "extends: autumn-2022\nid: bottom\npolitics:\n  escalation:\n"
        "    start_rung: conventional_war\n", "utf-8")
    result = runner.invoke(app, ["calibrate", str(scenario_file), "--cases", str(cases_file)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "start_rung" in result.output


# --- defect 6: marginal likelihoods -----------------------------------------------------

def test_marginal_likelihood_of_one_case_matches_its_closed_form():
    """At the bottom rung only hold and up are possible, so with ``resolve ~ U(a, b)`` and every
    other weight zero but ``cost`` (costs 0, 1), a strong opponent (R = 1) gives
    ``P(up | w) = expit(w/2 - 1)``, whose prior mean is
    ``2 (softplus(b/2 - 1) - softplus(a/2 - 1)) / (b - a)``."""
    a, b, n = -2.0, 6.0, DRAWS
    w = uniform_draws(a, b, n)
    weights = {t: only(resolve=w) for t in THEORIES}
    c = calibrate(weights, 1.0, [0.0, 1.0], 0, [case("x", "escalated")])

    def softplus(x):
        return np.logaddexp(0.0, x)

    exact = np.log(2 * (softplus(b / 2 - 1) - softplus(a / 2 - 1)) / (b - a))
    est, se = c.log_marginal[0], c.log_marginal_se[0]
    assert 0 < se < 0.01
    assert abs(est - exact) < 4 * se


def test_marginal_likelihood_matches_quadrature_over_one_uncertain_weight():
    """Three cases from the middle of a three-rung ladder; ``resolve ~ U(-4, 2)`` is the only
    uncertain number. The reference integrates the hand-written logit likelihood with quad."""
    cases = [case("strong_down", "backed_down", 1.0), case("weak_up", "escalated", 0.0),
             case("half_hold", "held", 0.5, offramp=True)]
    costs, lo, hi = np.array([0.0, 0.5, 1.5]), -4.0, 2.0
    offramp = 0.7

    def likelihood(w):
        total = 1.0
        for c in cases:
            drive = w * (c.opponent_strength - 0.5)
            u = np.array([-drive - costs[0] + offramp * c.offramp, -costs[1], drive - costs[2]])
            p = np.exp(u - u.max()) / np.exp(u - u.max()).sum()
            total *= p[{"backed_down": 0, "held": 1, "escalated": 2}[c.response]]
        return total

    exact = np.log(integrate.quad(likelihood, lo, hi, epsabs=0, epsrel=1e-12)[0] / (hi - lo))
    w = uniform_draws(lo, hi, DRAWS)
    weights = {t: only(resolve=w, offramp=offramp) for t in THEORIES}
    c = calibrate(weights, 1.0, costs, 1, cases)
    assert 0 < c.log_marginal_se[0] < 0.02
    assert abs(c.log_marginal[0] - exact) < 4 * c.log_marginal_se[0]


def test_scenario_marginal_likelihood_matches_quadrature_over_its_uncertain_weight(autumn):
    """autumn-2022 with ``threat`` of cornered_escalates the only uncertain number of that
    theory: the estimate brackets the quad integral of the point likelihoods over its prior."""
    from powderkeg.scenario.cases import RESPONSE_STEP

    esc = autumn.politics.escalation
    theory = esc.theories["cornered_escalates"]
    assert theory.threat.is_random and esc.precision.is_random is False
    lo, hi = theory.threat.support()
    fixed = {k: float(getattr(theory, k).ppf(0.5)) for k in WEIGHTS}
    costs = np.array([float(r.cost.ppf(0.5)) for r in esc.rungs])
    assert not any(r.cost.is_random for r in esc.rungs)
    start = [r.id for r in esc.rungs].index(esc.start_rung)
    cases = [x for x in load_cases()
             if 0 <= start + RESPONSE_STEP[x.response] < len(costs)]

    def likelihood(threat):
        w = fixed | {"threat": threat}
        drive = (w["hardliner"] * 0.5 + w["resolve"] * (np.array(
            [x.opponent_strength for x in cases]) - 0.5) + w["threat"] * np.array(
            [x.regime_threat for x in cases]) + w["red_line"] * np.array(
            [float(x.red_line_crossed) for x in cases]))
        off = np.array([float(x.offramp) for x in cases])
        u = np.stack([-drive - w["cost"] * costs[start - 1] - w["inertia"] + w["offramp"] * off,
                      np.full(len(cases), -w["cost"] * costs[start]),
                      drive - w["cost"] * costs[start + 1] - w["inertia"]], axis=1) * float(
            esc.precision.ppf(0.5))
        logp = u - np.logaddexp.reduce(u, axis=1, keepdims=True)
        pick = np.array([RESPONSE_STEP[x.response] + 1 for x in cases])
        return np.exp(logp[np.arange(len(cases)), pick].sum())

    exact = np.log(integrate.quad(likelihood, lo, hi, epsrel=1e-12)[0] / (hi - lo))
    c = calibrate_scenario(autumn)
    k = THEORIES.index("cornered_escalates")
    assert 0 < c.log_marginal_se[k] < 0.05
    assert abs(c.log_marginal[k] - exact) < 4 * c.log_marginal_se[k]


def test_a_point_prior_gives_the_exact_likelihood_with_no_monte_carlo_error():
    cases = [case("up", "escalated", 0.0), case("hold", "held", 1.0)]
    c = calibrate({"weakness_invites": only(resolve=-2.0), "cornered_escalates":
                   only(resolve=2.0)}, 1.0, [0.0, 1.0, 2.0], 1, cases)
    assert c.log_bayes_factor_se == 0 and np.all(c.log_marginal_se == 0)
    # weak opponent, weakness_invites: drive +1, U = (-1, -1, -1) -> up has 1/3
    assert c.probabilities[0, 0] == pytest.approx(1 / 3)


def test_log_mean_exp_is_stable_where_plain_means_underflow():
    loglik = np.array([-2000.0, -2000.0 + np.log(3.0)])
    est, se = log_marginal_likelihood(loglik)
    assert est == pytest.approx(-2000.0 + np.log(2.0))
    assert se == pytest.approx(np.std([0.5, 1.5], ddof=1) / np.sqrt(2))


def test_the_monte_carlo_error_is_honest_across_seeds(autumn):
    """Independent seeds give estimates within a few of their standard errors of each other."""
    a = calibrate_scenario(autumn, seed=0)
    b = calibrate_scenario(autumn, seed=1)
    again = calibrate_scenario(autumn, seed=0)
    assert a.log_bayes_factor == again.log_bayes_factor  # deterministic
    assert a.draws == DRAWS
    gap = abs(a.log_bayes_factor - b.log_bayes_factor)
    assert gap < 5 * np.hypot(a.log_bayes_factor_se, b.log_bayes_factor_se)
    assert a.log_bayes_factor != b.log_bayes_factor


# --- leave one out ----------------------------------------------------------------------

def test_leave_one_out_matches_recomputing_without_each_case(autumn):
    c = calibrate_scenario(autumn)
    cases = [x for x in load_cases() if x.id in c.case_ids]
    for i, cid in enumerate(c.case_ids):
        without = calibrate_scenario(autumn, [x for x in cases if x.id != cid])
        assert c.loo_log_bayes_factor[i] == pytest.approx(without.log_bayes_factor, abs=1e-10)
        assert c.loo_se[i] == pytest.approx(without.log_bayes_factor_se, rel=1e-8)
        assert c.loo_flips[i] == (np.sign(without.log_bayes_factor)
                                  != np.sign(c.log_bayes_factor))


def test_leave_one_out_flags_the_one_case_that_carries_the_verdict():
    """Rung 1 of costs (0, 0.5, 1.5); weakness_invites has resolve -3, cornered_escalates +1.
    A back-down against a strong opponent (R = 1) favours weakness_invites by about
    log(0.872 / 0.384) = +0.82; holds at R = 0.75 and R = 0.6 favour cornered_escalates by
    about -0.53 and -0.19. The total is about +0.10: only dropping the back-down flips it."""
    weights = {"weakness_invites": only(resolve=-3.0), "cornered_escalates": only(resolve=1.0)}
    cases = [case("down", "backed_down", 1.0), case("hold_a", "held", 0.75),
             case("hold_b", "held", 0.6)]
    c = calibrate(weights, 1.0, [0.0, 0.5, 1.5], 1, cases)
    assert c.log_bayes_factor == pytest.approx(0.10, abs=0.02)
    assert c.loo_flips.tolist() == [True, False, False]
    for i in range(3):
        without = calibrate(weights, 1.0, [0.0, 0.5, 1.5], 1, cases[:i] + cases[i + 1:])
        assert without.log_bayes_factor == pytest.approx(c.loo_log_bayes_factor[i], abs=1e-12)


def test_the_posterior_follows_bayes_rule_from_the_marginals():
    w = uniform_draws(-3.0, 3.0, 2048)
    c = calibrate({"weakness_invites": only(resolve=w), "cornered_escalates": only(resolve=1.0)},
                  1.0, [0.0, 1.0, 2.0], 1, [case("d", "backed_down"), case("u", "escalated", 0.0)],
                  prior=(0.2, 0.8))
    odds = 0.2 / 0.8 * np.exp(c.log_marginal[0] - c.log_marginal[1])
    assert c.posterior[0] == pytest.approx(odds / (1 + odds))


# --- the command --------------------------------------------------------------------------

def test_calibrate_json_reports_marginals_errors_and_the_leave_one_out_table():
    result = runner.invoke(app, ["calibrate", "--json", "--draws", "4096"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["draws"] == 4096 and doc["excluded"] == []
    for key in ("log_marginal_likelihood", "log_marginal_likelihood_se", "posterior", "prior"):
        assert set(doc[key]) == set(THEORIES)
    assert doc["log_bayes_factor"] == pytest.approx(
        doc["log_marginal_likelihood"]["weakness_invites"]
        - doc["log_marginal_likelihood"]["cornered_escalates"])
    assert doc["log_bayes_factor_se"] > 0
    loo = doc["leave_one_out"]
    assert [r["case"] for r in loo] == [x["id"] for x in doc["cases"]]
    sign = np.sign(doc["log_bayes_factor"])
    assert all(r["flips_sign"] == (np.sign(r["log_bayes_factor"]) != sign) for r in loo)
    table = runner.invoke(app, ["calibrate", "--draws", "4096"])
    assert table.exit_code == 0
    assert "Leave one out" in table.stdout and "Monte Carlo" in table.stdout


def test_cases_after_the_scenario_date_are_left_out():
    """A scenario dated 1 Sep 2022 cannot learn from the Crimean Bridge case of 8 Oct 2022."""
    import datetime as dt

    def earlier(doc):
        doc["date"] = "2022-09-01"

    s = autumn_variant(earlier)
    c = calibrate_scenario(s)
    late = [x.id for x in load_cases() if x.date > dt.date(2022, 9, 1)]
    assert c.later == tuple(late) and "crimean_bridge_2022" in late
    assert not set(late) & set(c.case_ids)
    known = calibrate_scenario(s, [x for x in load_cases() if x.id not in late])
    assert known.later == () and known.log_bayes_factor == c.log_bayes_factor
