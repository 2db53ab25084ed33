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
from numba import njit

from powderkeg.model.elementary import exp_scalar

__all__ = ["STEPS", "WEIGHT_TERMS", "step_utilities", "logit_probabilities", "draw_step",
           "posterior_resolve", "answered_credibility", "utilities", "choice_probabilities",
           "choose"]

STEPS = np.array([-1, 0, 1])
WEIGHT_TERMS = ("hardliner", "threat", "trend", "resolve", "red_line", "cost", "inertia",
                "offramp")
"""The utility's weights in the order :func:`step_utilities` reads them."""
_JIT = {"cache": True, "nogil": True}


@njit(**_JIT)
def step_utilities(rung, cost, w, h, t, b, r, c, o, out):
    """One run's utility of stepping down, holding and up into ``out`` ``(3,)``; ``-inf``
    off the ladder.

    ``U(Delta) = Delta d - w_cost cost[rung + Delta] - w_i |Delta| + w_o O [Delta = -1]``
    with the drive ``d = w_h H + w_t T - w_b B + w_r (R - 1/2) + w_c C``, added in this order
    (``+ 0.0`` for the steps that are not down, as the batch expression did). ``cost``
    ``(n_rungs,)``; ``w`` ``(8,)`` the weights in :data:`WEIGHT_TERMS`' order; ``h`` .. ``o``
    the features H, T, B, R, C, O.
    """
    drive = w[0] * h + w[1] * t - w[2] * b + w[3] * (r - 0.5) + w[4] * c
    for j in range(3):
        step = j - 1
        target = rung + step
        if 0 <= target < cost.size:
            u = step * drive - w[5] * cost[target] - w[6] * abs(step)
            out[j] = u + (w[7] * o if step < 0 else 0.0)
        else:
            out[j] = -np.inf


@njit(**_JIT)
def logit_probabilities(u, precision, out):
    """One run's logit probabilities ``softmax(lambda u)`` into ``out`` ``(3,)``: options at
    ``-inf`` get zero; ``z = lambda u - max(lambda u)``, ``p_j = e^{z_j} / sum_k e^{z_k}``
    (:func:`~powderkeg.model.elementary.exp_scalar`, the sum in order)."""
    top = -np.inf
    for j in range(3):
        out[j] = precision * u[j] if np.isfinite(u[j]) else -np.inf
        top = max(top, out[j])
    total = 0.0
    for j in range(3):
        out[j] = exp_scalar(out[j] - top)
        total += out[j]
    for j in range(3):
        out[j] = out[j] / total


@njit(**_JIT)
def draw_step(p, u):
    """The step ``-1, 0, +1`` drawn from one run's probabilities ``p`` ``(3,)`` by inversion
    at the uniform ``u``: ``#{j : P_j < u} - 1`` with ``P`` the cumulative sums, at most +1."""
    cum, count = 0.0, 0
    for j in range(3):
        cum += p[j]
        count += cum < u
    return min(count, 2) - 1


@njit(**_JIT)
def posterior_resolve(alpha, beta, responded, strong):
    """One run's Beta-Bernoulli update of perceived resolve after a response (strong =
    success): ``(alpha + [responded and strong], beta + [responded and not strong])``."""
    return (alpha + (1.0 if responded and strong else 0.0),
            beta + (1.0 if responded and not strong else 0.0))


@njit(**_JIT)
def answered_credibility(credibility, crossed, answered, loss, out):
    """One run's credibility ``(L,)`` after a period into ``out``: a red line crossed
    without an answer loses share ``loss`` of it, ``c (1 - loss)``."""
    for j in range(credibility.size):
        ignored = crossed[j] and not answered
        out[j] = credibility[j] * (1 - loss[j]) if ignored else credibility[j]


@njit(**_JIT)
def _utilities_batch(rung, cost, w, features, out):
    for r in range(rung.size):
        step_utilities(rung[r], cost[r], w[r], features[r, 0], features[r, 1], features[r, 2],
                       features[r, 3], features[r, 4], features[r, 5], out[r])


@njit(**_JIT)
def _probabilities_batch(u, precision, out):
    for r in range(u.shape[0]):
        logit_probabilities(u[r], precision[r], out[r])


@njit(**_JIT)
def _choose_batch(p, u, out):
    for r in range(u.size):
        out[r] = draw_step(p[r], u[r])


def utilities(rung, cost, w, features) -> np.ndarray:
    """Utility of stepping down, holding and up, shape ``(R, 3)``; ``-inf`` off the ladder
    (:func:`step_utilities` of each run).

    ``cost`` is ``(R, n_rungs)``; ``w`` and ``features`` are mappings of ``(R,)`` arrays with
    keys hardliner, threat, trend, resolve, red_line, cost, inertia, offramp (weights) and
    H, T, B, R, C, O (features). Weights and features may also be scalars.
    """
    rung = np.asarray(rung)
    n = len(rung)
    weights = np.stack([np.broadcast_to(np.asarray(w[k], dtype=float), (n,))
                        for k in WEIGHT_TERMS], axis=1)
    f = np.stack([np.broadcast_to(np.asarray(features[k], dtype=float), (n,))
                  for k in "HTBRCO"], axis=1)
    out = np.empty((n, 3))
    _utilities_batch(np.ascontiguousarray(rung, dtype=np.int64),
                     np.ascontiguousarray(cost, dtype=float), weights, f, out)
    return out


def choice_probabilities(u: np.ndarray, precision) -> np.ndarray:
    """Logit probabilities ``softmax(lambda u)`` row-wise (:func:`logit_probabilities`);
    options at ``-inf`` get zero."""
    u = np.ascontiguousarray(u, dtype=float)
    lam = np.ascontiguousarray(np.broadcast_to(np.asarray(precision, dtype=float),
                                               (u.shape[0],)))
    out = np.empty(u.shape)
    _probabilities_batch(u, lam, out)
    return out


def choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Step drawn from probabilities ``p`` (R, 3) by inversion at uniforms ``u``
    (:func:`draw_step`)."""
    out = np.empty(len(u), np.int64)
    _choose_batch(np.ascontiguousarray(p, dtype=float), np.ascontiguousarray(u, dtype=float),
                  out)
    return out
