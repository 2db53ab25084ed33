"""Binomial intervals: reference values and coverage at their nominal rate."""

import numpy as np
import pytest
from conftest import tiny_scenario

from powderkeg.analysis.intervals import jeffreys_interval, wilson_interval
from powderkeg.analysis.outcomes import outcome_summary
from powderkeg.engine.simulate import simulate


def test_wilson_matches_textbook_example():
    # Wilson (1927) score interval for 81 successes in 263 trials (Agresti & Coull 1998)
    low, high = wilson_interval(81, 263)
    assert (round(float(low), 4), round(float(high), 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize("interval", [jeffreys_interval, wilson_interval])
@pytest.mark.parametrize("p,n", [(0.05, 200), (0.3, 100), (0.5, 1000)])
def test_intervals_cover_at_nominal_rate(interval, p, n):
    rng = np.random.default_rng(12345)
    x = rng.binomial(n, p, 20_000)
    low, high = interval(x, n)
    coverage = np.mean((low <= p) & (p <= high))
    # Brown, Cai & DasGupta (2001): both stay within a couple of points of 0.95
    assert 0.925 < coverage < 0.975


def test_simulated_outcome_interval_covers_the_closed_form_probability():
    """A deep strike on the only bridge: P(hit by day D) = 1 - (1 - (1 - e^-r) s)^D."""
    rate, success, days, runs, batches = 0.02, 0.5, 10, 150, 160
    truth = 1 - (1 - (1 - np.exp(-rate)) * success) ** days
    s = tiny_scenario()
    covered = []
    for seed in range(batches):
        res = outcome_summary(simulate(s, runs, days, seed=seed))["bridge_hit"]
        covered.append(res["ci95"][0] <= truth <= res["ci95"][1])
    # 160 replicates of a 95% interval: coverage within 0.90..0.99 unless something is off
    assert 0.90 <= np.mean(covered) <= 0.99


def test_wilson_contains_the_observed_share_exactly_at_the_ends():
    """The Wilson interval always contains x/n; at 0 and n rounding must not push it out
    (a reliability diagram's error bars are the distances to it and cannot be negative)."""
    n = np.arange(1, 200)
    for x in (np.zeros_like(n), n, n // 3):
        low, high = wilson_interval(x, n)
        assert np.all(low <= x / n) and np.all(x / n <= high)
        assert np.all(low >= 0) and np.all(high <= 1)
    assert np.all(wilson_interval(np.zeros_like(n), n)[0] == 0.0)


def test_jeffreys_ends_are_the_beta_quantiles_of_scipy_stats():
    """The interval's ends are Beta(x + 1/2, n - x + 1/2) quantiles as ``scipy.stats.beta``
    computes them (the oracle), for every x at small n and spread x at large n."""
    from scipy import stats

    for n in (1, 7, 50, 263, 10_000, 100_000):
        x = np.unique(np.linspace(1, n - 1, 400).round()) if n > 2 else np.array([])
        low, high = jeffreys_interval(x, n)
        np.testing.assert_allclose(low, stats.beta.ppf(0.025, x + 0.5, n - x + 0.5),
                                   rtol=1e-13, atol=0)
        np.testing.assert_allclose(high, stats.beta.ppf(0.975, x + 0.5, n - x + 0.5),
                                   rtol=1e-13, atol=0)
