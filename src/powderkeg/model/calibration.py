"""Calibrating the escalation theories on history: likelihoods, Bayes factor, posterior.

Each historical case is a situation (the opponent's strength, the regime's threat, whether a
declared red line was crossed, whether an off-ramp was offered) and an observed response
(step down, hold, step up). Under a theory, the probability of the response is the leader's
logit choice (:func:`~powderkeg.model.escalation.choice_probabilities`) at the scenario's
starting rung, with hardliner pressure at one half and no battlefield trend, using the
median of each weight. Cases are independent given the theory, so the log likelihood is a
sum, the log Bayes factor of ``weakness_invites`` over ``cornered_escalates`` a difference,
and the posterior weights ``prior * likelihood`` normalised (Kass & Raftery 1995,
"Bayes factors", JASA 90(430):773-795, doi:10.1080/01621459.1995.10476572).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.model.escalation import choice_probabilities, utilities

__all__ = ["Calibration", "case_probabilities", "calibrate"]

THEORIES = ("weakness_invites", "cornered_escalates")


@dataclass(frozen=True)
class Calibration:
    case_ids: tuple[str, ...]
    probabilities: np.ndarray  # (n_cases, 2) probability of the observed response per theory
    log_likelihood: np.ndarray  # (2,)
    log_bayes_factor: float  # weakness_invites over cornered_escalates
    prior: np.ndarray  # (2,)
    posterior: np.ndarray  # (2,)


def case_probabilities(weights: dict, precision: float, rung_costs, start_rung: int,
                       cases) -> np.ndarray:
    """Probabilities of stepping down, holding and up in each case, shape ``(n_cases, 3)``."""
    n = len(cases)
    features = {
        "H": np.full(n, 0.5), "B": np.zeros(n),
        "T": np.array([c.regime_threat for c in cases]),
        "R": np.array([c.opponent_strength for c in cases]),
        "C": np.array([float(c.red_line_crossed) for c in cases]),
        "O": np.array([float(c.offramp) for c in cases]),
    }
    cost = np.broadcast_to(np.asarray(rung_costs, dtype=float), (n, len(rung_costs)))
    u = utilities(np.full(n, start_rung), cost, weights, features)
    return choice_probabilities(u, precision)


def calibrate(theory_weights: dict[str, dict], precision: float, rung_costs, start_rung: int,
              cases, prior=(0.5, 0.5)) -> Calibration:
    """Likelihood of the observed responses under each theory, Bayes factor and posterior."""
    from powderkeg.scenario.cases import RESPONSE_STEP

    observed = np.array([RESPONSE_STEP[c.response] + 1 for c in cases])
    probs = np.stack([case_probabilities(theory_weights[t], precision, rung_costs, start_rung,
                                         cases)[np.arange(len(cases)), observed]
                      for t in THEORIES], axis=1)
    loglik = np.log(probs).sum(axis=0)
    prior = np.asarray(prior, dtype=float) / np.sum(prior)
    logpost = np.log(prior) + loglik
    post = np.exp(logpost - logpost.max())
    return Calibration(tuple(c.id for c in cases), probs, loglik,
                       float(loglik[0] - loglik[1]), prior, post / post.sum())


def median_weights(theory) -> dict:
    """The median of each weight of a scenario theory, as floats."""
    return {name: float(getattr(theory, name).ppf(0.5)) for name in (
        "hardliner", "threat", "trend", "resolve", "red_line", "cost", "inertia", "offramp")}


def calibrate_scenario(s, cases=None) -> Calibration:
    """Calibrate a scenario's two theories on a case base (default: the shipped one)."""
    from powderkeg.scenario.cases import load_cases

    esc = s.politics.escalation
    weights = {t: median_weights(esc.theories[t]) for t in THEORIES}
    costs = [float(r.cost.ppf(0.5)) for r in esc.rungs]
    start = [r.id for r in esc.rungs].index(esc.start_rung)
    prior = (0.5, 0.5) if esc.theory_weights == "calibrated" else tuple(
        float(esc.theory_weights.get(t, 0).ppf(0.5)) if esc.theory_weights.get(t) is not None
        else 0.0 for t in THEORIES)
    return calibrate(weights, float(esc.precision.ppf(0.5)), costs, start,
                     cases or load_cases(), prior)


def theory_weights(s) -> tuple[float, float]:
    """The probability of each theory a run draws from: as written, or calibrated."""
    esc = s.politics.escalation
    if esc.theory_weights == "calibrated":
        return tuple(float(x) for x in calibrate_scenario(s).posterior)
    w = [float(esc.theory_weights[t].ppf(0.5)) if t in esc.theory_weights else 0.0
         for t in THEORIES]
    return w[0], w[1]
