"""Elite politics and regime stability: blame, influence, personnel moves, mutiny and coups.

Each decision period the theater's results become a setback score per faction (ground and
objectives lost in the sectors it commands, losses and symbolic blows for the military
command, credit for ground taken). Unanswered blame moves influence from the blamed faction
to its critics, the factions more hawkish than it. The leader answers with
personnel moves, each a logistic chance per period: dismissing the defence minister or the
chief of staff, promoting a hardliner. A mutiny or coup attempt has a per-period hazard
logistic in accumulated setbacks, elite fragmentation (1 - sum of squared influence, the
Herfindahl complement), the armed strength of disloyal factions outside the ministry and
unanswered blame; it may pull forces home for a while and, if it succeeds, puts a new leader
from the factions (drawn by influence) in charge.

The hazard model follows the discrete-time logistic event-history approach of
P. D. Allison (1982), "Discrete-time methods for the analysis of event histories",
Sociological Methodology 13:61-98, doi:10.2307/270718; the covariates are those the
analysis names. All coefficients are scenario parameters.
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.elementary import expit
from powderkeg.model.kremlin_blame import shifted_influence

__all__ = ["fragmentation", "shift_influence", "hardliner_pressure", "coup_hazard",
           "draw_index"]


def fragmentation(influence: np.ndarray) -> np.ndarray:
    """Elite fragmentation ``1 - sum_k s_k^2`` of influence shares ``(R, K)``."""
    return 1.0 - np.sum(influence**2, axis=1)


def hardliner_pressure(influence, hawkishness, leader_hawkishness):
    """``(sum_k s_k h_k + h_leader) / 2``: pressure towards escalation, in [0, 1]."""
    return 0.5 * (np.sum(influence * hawkishness, axis=1) + leader_hawkishness)


def shift_influence(influence, hawkishness, blame, credit, rate):
    """Move influence away from blamed factions to their critics, and to credited ones.

    A faction with blame ``b`` loses ``rate * min(b, 1)`` of its influence to its critics:
    the more hawkish factions, in proportion to ``influence * (hawkishness - its own)``
    (to all others by influence when none is more hawkish). A faction with credit ``c``
    takes ``rate * min(c, 1)`` of every other faction's influence. Shares keep summing to one.
    Shapes ``(R, K)``, ``rate`` ``(R,)``; each run by
    :func:`~powderkeg.model.kremlin_blame.shifted_influence`.
    """
    out = np.empty_like(influence, dtype=float)
    for r in range(len(influence)):
        shifted_influence(np.ascontiguousarray(influence[r], dtype=float),
                          np.ascontiguousarray(hawkishness[r], dtype=float),
                          np.ascontiguousarray(blame[r], dtype=float),
                          np.ascontiguousarray(credit[r], dtype=float), float(rate[r]), out[r])
    return out


def coup_hazard(regime, setbacks, influence, blame, loyalty, armed, military):
    """Probability of a mutiny or coup attempt this period, shape ``(R,)``.

    ``expit(b0 + b_s S + b_f F + b_a A + b_b B)`` with accumulated setbacks ``S``, elite
    fragmentation ``F`` (:func:`fragmentation`), the armed strength of disloyal factions
    outside the military command ``A = sum_k a_k (1 - l_k)`` and unanswered blame
    ``B = sum_k b_k``; ``regime`` holds the coefficients (``RegimeWorld``).
    """
    outside = np.ones(influence.shape[1], dtype=bool)
    outside[military] = False
    armed_outside = np.sum((armed * (1 - loyalty))[:, outside], axis=1)
    x = (regime.intercept + regime.setbacks * setbacks
         + regime.fragmentation * fragmentation(influence)
         + regime.armed_outside * armed_outside + regime.unanswered_blame * blame.sum(axis=1))
    return expit(x)


def draw_index(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise index drawn with probability proportional to ``weights`` ``(R, K)`` at ``u``."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1:]
    cum = np.divide(cum, total, out=np.ones_like(cum), where=total > 0)
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)
