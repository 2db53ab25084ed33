"""The escalation ladder: the leader's quantal-response choice, learned resolve, red lines.

Each decision period the leader steps down, holds or steps up (``Delta`` in -1, 0, +1) with
multinomial-logit (quantal response) probabilities ``P(Delta) ∝ exp(lambda U(Delta))``
(R. D. McKelvey, T. R. Palfrey (1995), "Quantal response equilibria for normal form games",
Games and Economic Behavior 10(1):6-38, doi:10.1006/game.1995.1023). The utility is::

    U(Delta) = Delta * (w_h H + w_t T - w_b B + w_r (R - 1/2) + w_c C)
               - w_cost * cost[r + Delta] - w_i |Delta| + w_o * O * [Delta = -1]

with hardliner pressure H, regime threat T, battlefield trend B (positive when winning),
perceived resolve R of the opponent, credibility C of a red line crossed this period, and an
off-ramp on the table O; ``w_i`` is the inertia of any change. The two theories of the
analysis are two sets of weights.
Perceived resolve is the mean of a Beta-Bernoulli posterior updated by each response to a
step up (strong = success). A red line crossed without a step up loses a share of its
credibility.
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.elementary import exp

__all__ = ["STEPS", "utilities", "choice_probabilities", "choose", "update_resolve",
           "update_credibility"]

STEPS = np.array([-1, 0, 1])


def utilities(rung, cost, w, features) -> np.ndarray:
    """Utility of stepping down, holding and up, shape ``(R, 3)``; ``-inf`` off the ladder.

    ``cost`` is ``(R, n_rungs)``; ``w`` and ``features`` are mappings of ``(R,)`` arrays with
    keys hardliner, threat, trend, resolve, red_line, cost, inertia, offramp (weights) and
    H, T, B, R, C, O (features). Weights and features may also be scalars.
    """
    n = cost.shape[1]
    drive = (w["hardliner"] * features["H"] + w["threat"] * features["T"]
             - w["trend"] * features["B"] + w["resolve"] * (features["R"] - 0.5)
             + w["red_line"] * features["C"])
    out = np.empty((len(rung), 3))
    rows = np.arange(len(rung))
    for j, step in enumerate(STEPS):
        target = rung + step
        inside = (target >= 0) & (target < n)
        c = cost[rows, np.clip(target, 0, n - 1)]
        u = (step * drive - w["cost"] * c - w["inertia"] * abs(step)
             + (w["offramp"] * features["O"] if step < 0 else 0.0))
        out[:, j] = np.where(inside, u, -np.inf)
    return out


def choice_probabilities(u: np.ndarray, precision) -> np.ndarray:
    """Logit probabilities ``softmax(lambda u)`` row-wise; options at ``-inf`` get zero."""
    finite = np.isfinite(u)
    z = np.asarray(precision, dtype=float).reshape(-1, 1) * np.where(finite, u, 0.0)
    z = np.where(finite, z, -np.inf)
    z = z - np.max(z, axis=1, keepdims=True)
    e = exp(z)
    return e / e.sum(axis=1, keepdims=True)


def choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Step drawn from probabilities ``p`` (R, 3) by inversion at uniforms ``u``."""
    cum = np.cumsum(p, axis=1)
    return STEPS[np.minimum((cum < u[:, None]).sum(axis=1), 2)]


def update_resolve(alpha, beta, responded, strong):
    """Beta-Bernoulli update of perceived resolve after a response (strong = success)."""
    return alpha + (responded & strong), beta + (responded & ~strong)


def update_credibility(credibility, crossed, answered, loss):
    """Credibility after a period: crossed without an answer loses share ``loss``."""
    ignored = crossed & ~answered[:, None]
    return np.where(ignored, credibility * (1 - loss), credibility)
