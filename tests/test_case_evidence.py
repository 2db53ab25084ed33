"""The case base as evidence in a fit, checked against `calibrate`'s own marginal likelihoods."""

import numpy as np
import pytest
from scipy.special import logsumexp
from typer.testing import CliRunner

from powderkeg.analysis.case_evidence import case_base_log_likelihood
from powderkeg.cli import app
from powderkeg.model.calibration import calibrate, calibrate_scenario, prior_draws
from powderkeg.scenario.cases import cases_known_on, scenario_case_base

RESOLVE = "politics.escalation.theories.weakness_invites.resolve"


def test_with_nothing_fitted_it_is_the_calibration_marginal_at_every_point(autumn):
    got = case_base_log_likelihood(autumn, [], np.zeros((3, 0)), draws=512)
    cal = calibrate_scenario(autumn, draws=512)
    assert np.allclose(got, logsumexp(cal.log_marginal + np.log(cal.prior)))


def test_a_fitted_weight_is_fixed_at_the_point_and_the_rest_integrated(autumn):
    """At a point the fitted weight is a number: calibrate with that weight fixed agrees."""
    weights, precision, costs = prior_draws(autumn, 512)
    esc = autumn.politics.escalation
    start = [r.id for r in esc.rungs].index(esc.start_rung)
    cases = cases_known_on(scenario_case_base(autumn), autumn.date, "autumn-2022")
    got = case_base_log_likelihood(autumn, [RESOLVE], np.array([[0.2], [2.5]]), draws=512)
    for value, ll in zip((0.2, 2.5), got, strict=True):
        fixed = {**weights, "weakness_invites": {**weights["weakness_invites"],
                                                 "resolve": value}}
        cal = calibrate(fixed, precision, costs, start, cases, calibrate_scenario(
            autumn, draws=512).prior)
        assert ll == pytest.approx(logsumexp(cal.log_marginal + np.log(cal.prior)), rel=1e-9)
    assert got[0] != pytest.approx(got[1])  # the case base tells the two apart


def test_case_base_needs_politics():
    from pathlib import Path

    scenario = Path(__file__).parent / "fixtures" / "fit" / "hindcast.yaml"
    result = CliRunner().invoke(app, ["fit", str(scenario), "--case-base", "--quiet"])
    assert result.exit_code == 2 and "has no politics section" in result.output
