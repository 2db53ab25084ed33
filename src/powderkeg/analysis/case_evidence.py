"""The escalation case base as evidence in a fit: its likelihood at each design point.

The case base (:mod:`powderkeg.scenario.cases`) is what ``powderkeg calibrate`` scores: each
historical episode's observed response under the leader's logit choice
(:func:`powderkeg.model.calibration.case_log_likelihoods`). In a fit, a design point fixes
the fitted escalation numbers (theory weights, the precision, rung costs); the others keep
their priors and are integrated out over ``J`` prior draws, and the theory over its prior
weights ``pi_H``::

    L_cases(u) = sum_H pi_H (1/J) sum_j prod_i p(y_i | theta_H(u, j), lambda(u, j), c(u, j), H)

With no escalation number fitted, ``L_cases`` is the same at every point: the marginal
likelihood mixture that ``calibrate`` reports, which leaves the weights unchanged. Cases
dated after the scenario, or whose response is impossible from the starting rung, are left
out as in calibration. Multiplying ``L_cases`` into a point's likelihood treats the episodes
as independent of the in-window observations given the parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import logsumexp

from powderkeg.model.calibration import (
    SEED,
    WEIGHTS,
    case_log_likelihoods,
    possible_responses,
    prior_draws,
)
from powderkeg.scenario.schema import Scenario

__all__ = ["CASE_DRAWS", "case_base_log_likelihood"]

#: Prior draws of the escalation numbers a fit does not fix, per design point.
CASE_DRAWS = 512
_BASE = "politics.escalation"


def _cases(s: Scenario, start: int):
    """The scenario's case base (``politics.case_base``), cases known on its date whose
    response is possible from the starting rung."""
    from powderkeg.scenario.cases import cases_known_on, scenario_case_base

    known = list(cases_known_on(scenario_case_base(s), s.date, f"Scenario '{s.id}'"))
    ok = possible_responses(known, start, len(s.politics.escalation.rungs)) if known else []
    return [c for c, k in zip(known, ok, strict=True) if k]


def _theory_prior(s: Scenario) -> np.ndarray:
    """The theories' prior weights as written (equal when they are ``calibrated``: the case
    base set those, and it must be counted once)."""
    esc = s.politics.escalation
    if esc.theory_weights == "calibrated":
        return np.full(len(esc.theories), 1 / len(esc.theories))
    w = np.array([float(esc.theory_weights[t].ppf(0.5)) if esc.theory_weights.get(t)
                  is not None else 0.0 for t in esc.theories])
    return w / w.sum()


def case_base_log_likelihood(s: Scenario, paths: Sequence[str], values: np.ndarray,
                             draws: int = CASE_DRAWS, seed: int = SEED) -> np.ndarray:
    """``log L_cases`` at each of ``N`` points, shape ``(N,)``.

    ``values`` (N, P) are the points' values of the fitted ``paths``; escalation numbers
    among them are fixed at the point, the rest are drawn from their priors.
    """
    esc = s.politics.escalation
    start = [r.id for r in esc.rungs].index(esc.start_rung)
    cases = _cases(s, start)
    n = len(values)
    if not cases:
        return np.zeros(n)
    weights, precision, costs = prior_draws(s, draws, seed)
    column = {p: values[:, j] for j, p in enumerate(paths)}

    def at_points(path, prior):  # (N * J,): the point's value, or the prior draws
        if path in column:
            return np.repeat(column[path], draws)
        return np.tile(prior, n)

    lam = at_points(f"{_BASE}.precision", precision)
    cost = np.stack([at_points(f"{_BASE}.rungs[{r.id}].cost", costs[:, i])
                     for i, r in enumerate(esc.rungs)], axis=1)
    log_theory = []
    for t in esc.theories:
        w = {k: at_points(f"{_BASE}.theories.{t}.{k}", weights[t][k]) for k in WEIGHTS}
        total = case_log_likelihoods(w, lam, cost, start, cases).sum(axis=1).reshape(n, draws)
        log_theory.append(logsumexp(total, axis=1) - np.log(draws))
    with np.errstate(divide="ignore"):
        log_prior = np.log(_theory_prior(s))
    return logsumexp(np.stack(log_theory, axis=1) + log_prior, axis=1)
