"""The Kremlin's blame and influence of a period, compiled per run.

At the start of each decision period the battlefield record of the period just ended becomes
a setback score per faction (:func:`period_blame`: km and objectives lost in the sectors a
faction commands, the own losses and symbolic blows for the military command, credit for
ground taken), the unanswered blame and the credit of each faction and the accumulated
setbacks (:func:`carried_blame`), and the influence moves away from the blamed factions to
their critics and to the credited ones (:func:`shifted_influence`; the model's equations in
:mod:`~powderkeg.model.politics`). :func:`blame_period` applies them to every run of a chunk
(Numba, ``cache=True``, ``nogil=True``, no fast-math, so LLVM neither fuses nor reorders).

The arithmetic is the former NumPy batch code's, operation for operation: ``np.add.at``'s
sums in index order, every sum over sectors or factions added as NumPy added it (pairwise over a
contiguous row, :func:`~powderkeg.model.outcomes.pairwise_sum`, in order over the others of
a faction), ``np.maximum``/``np.minimum`` against a
constant as NumPy's (NaN stays NaN, ``-0.0`` against ``0.0`` gives ``0.0``), and
``np.divide(..., where=total > 0)`` as a division only there. The tests compare it with that
code (``tests/kremlin_reference.py``) bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.outcomes import pairwise_sum

__all__ = ["period_blame", "carried_blame", "shifted_influence", "blame_period", "warm_up"]

_JIT = {"cache": True, "nogil": True}


@njit(**_JIT)
def _above(x, floor):
    """``np.maximum(x, floor)`` of one value: NaN stays NaN, a tie gives ``floor``."""
    return x if x > floor or x != x else floor


@njit(**_JIT)
def _below(x, ceiling):
    """``np.minimum(x, ceiling)`` of one value: NaN stays NaN, a tie gives ``ceiling``."""
    return x if x < ceiling or x != x else ceiling


@njit(**_JIT)
def _in_order_sum(values):
    """``values`` added one by one from zero: NumPy's sum of a row of fewer than eight, and
    of any row of a Fortran-ordered array (summed column by column)."""
    total = 0.0
    for x in values:
        total += x
    return total


@njit(**_JIT)
def _row_sum(values):
    """``values.sum()`` of a contiguous row, as NumPy adds it: :func:`_in_order_sum` below
    eight values (no index to build), else :func:`~powderkeg.model.outcomes.pairwise_sum`."""
    if values.size < 8:
        return _in_order_sum(values)
    return pairwise_sum(values, np.arange(values.size), 0, values.size)


@njit(**_JIT)
def period_blame(sign, front, period_front, held, period_held, obj_sector, sector_faction,
                 military, coefficients, losses, side, period_losses, period_forces, symbolic,
                 score, lost_km, lost_obj):
    """One run's setback score per faction of the period just ended, in place.

    With the front's move against the own side ``m_s = sign (x_s - x0_s)`` (``sign`` ``+1``
    when the own side is 1), km lost ``l_s = max(m_s, 0)`` and gained ``g_s = max(-m_s, 0)``
    and objectives lost ``o_s`` (held at the period's start, not now, counted per sector):
    ``score_k = sum_{s: f(s) = k} (a_km l_s + a_obj o_s - a_gain g_s)``, and for the
    military command in addition ``a_loss L / max(F0, 1) + a_sym Y``, with the own losses
    ``L`` of the period, the own forces ``F0`` at its start and the symbolic blows ``Y``.

    ``front``, ``period_front`` ``(S,)``; ``held``, ``period_held`` ``(O,)`` bool;
    ``obj_sector`` ``(O,)`` and ``sector_faction`` ``(S,)`` indices; ``coefficients`` the
    run's ``BlameWorld`` row (per km lost, per objective lost, per loss share, per symbolic
    hit, per km gained, ...); ``losses`` ``(S, 2)`` cumulative. Writes ``score`` ``(K,)``,
    ``lost_km`` ``(S,)`` and ``lost_obj`` ``(O,)`` bool; returns the loss share and the
    period's trend ``sum_s g_s - sum_s l_s`` in km.
    """
    n_sectors = front.size
    gained_km, lost_here = np.empty(n_sectors), np.zeros(n_sectors)
    for s in range(n_sectors):
        moved = sign * (front[s] - period_front[s])
        lost_km[s], gained_km[s] = _above(moved, 0.0), _above(-moved, 0.0)
    for o in range(obj_sector.size):
        lost_obj[o] = period_held[o] and not held[o]
        lost_here[obj_sector[o]] += 1.0 if lost_obj[o] else 0.0
    score[:] = 0.0
    for s in range(n_sectors):
        score[sector_faction[s]] += (coefficients[0] * lost_km[s] + coefficients[1]
                                     * lost_here[s] - coefficients[4] * gained_km[s])
    own = np.empty(n_sectors)
    for s in range(n_sectors):
        own[s] = losses[s, side]
    share = (_row_sum(own) - period_losses) / _above(period_forces, 1.0)
    score[military] += coefficients[2] * share + coefficients[3] * symbolic
    return share, _row_sum(gained_km) - _row_sum(lost_km)


@njit(**_JIT)
def carried_blame(blame, decay, score, alive, setbacks, memory, new_blame, credit):
    """One run's unanswered blame, credit and accumulated setbacks after the period.

    ``b_k <- max(b_k (1 - d) + score_k, 0) [alive_k]``, ``c_k = max(-score_k, 0)``
    (``blame``, ``score``, ``alive`` ``(K,)``; written into ``new_blame`` and ``credit``),
    and returned ``S <- S mu + max(sum_k score_k, 0)`` (decay ``d``, memory ``mu``).
    """
    kept = 1 - decay
    for k in range(blame.size):
        new_blame[k] = _above(blame[k] * kept + score[k], 0.0) * (1.0 if alive[k] else 0.0)
        credit[k] = _above(-score[k], 0.0)
    return setbacks * memory + _above(_row_sum(score), 0.0)


@njit(**_JIT)
def shifted_influence(influence, hawkishness, blame, credit, rate, out):
    """One run's influence after blame and credit, written into ``out`` ``(K,)``.

    Faction by faction ``j`` in order: it loses ``rate min(b_j, 1) s_j`` of its influence
    to its critics, the others in proportion to ``s_i max(h_i - h_j, 0)`` (to all others by
    influence when none is more hawkish, nothing when they have none); then it takes
    ``rate min(c_j, 1)`` of every other faction's influence. Shares keep summing to one
    (:func:`~powderkeg.model.politics.shift_influence` over a batch). The sums over the
    others are in order (:func:`_in_order_sum`), as NumPy summed the batch's columns of the
    others, a Fortran-ordered copy.
    """
    k = influence.size
    out[:] = influence
    others = np.empty(k - 1, np.int64)
    weight, taken = np.empty(k - 1), np.empty(k - 1)
    for j in range(k):
        i = 0
        for m in range(k):
            if m != j:
                others[i] = m
                i += 1
        lose = rate * _below(blame[j], 1.0) * out[j]
        for i in range(k - 1):
            weight[i] = out[others[i]] * _above(hawkishness[others[i]] - hawkishness[j], 0.0)
        if not _in_order_sum(weight) > 0:
            for i in range(k - 1):
                weight[i] = out[others[i]]
        total = _in_order_sum(weight)
        if not total > 0:
            lose = 0.0
        out[j] -= lose
        for i in range(k - 1):
            out[others[i]] += lose * (weight[i] / total if total > 0 else 0.0)
        credited = rate * _below(credit[j], 1.0)
        for i in range(k - 1):
            taken[i] = out[others[i]] * credited
            out[others[i]] -= taken[i]
        out[j] += _in_order_sum(taken)


@njit(**_JIT)
def blame_period(sign, front, period_front, held, period_held, obj_sector, sector_faction,
                 military, coefficients, losses, side, period_losses, period_forces, symbolic,
                 blame, alive, setbacks, influence, hawkishness):
    """The period's blame and influence of every run of a chunk: :func:`period_blame`,
    :func:`carried_blame` and :func:`shifted_influence` (the critics' hawkishness of factions
    not broken by a purge, ``h [alive]``).

    ``coefficients`` ``(R, 8)`` is ``BlameWorld``'s fields in order; the rest are the
    chunk's rows. Returns the score ``(R, K)``, km lost ``(R, S)``, objectives lost
    ``(R, O)``, loss share and trend ``(R,)``, blame and credit ``(R, K)``, setbacks ``(R,)``
    and influence ``(R, K)``.
    """
    n, k = blame.shape
    score, new_blame, credit = np.empty((n, k)), np.empty((n, k)), np.empty((n, k))
    new_influence, lost_km = np.empty((n, k)), np.empty(front.shape)
    lost_obj = np.zeros(held.shape, np.bool_)
    share, trend, new_setbacks = np.empty(n), np.empty(n), np.empty(n)
    hawks = np.empty(k)
    for r in range(n):
        c = coefficients[r]
        share[r], trend[r] = period_blame(
            sign, front[r], period_front[r], held[r], period_held[r], obj_sector,
            sector_faction, military, c, losses[r], side, period_losses[r], period_forces[r],
            symbolic[r], score[r], lost_km[r], lost_obj[r])
        new_setbacks[r] = carried_blame(blame[r], c[6], score[r], alive[r], setbacks[r], c[7],
                                        new_blame[r], credit[r])
        for j in range(k):
            hawks[j] = hawkishness[r, j] * (1.0 if alive[r, j] else 0.0)
        shifted_influence(influence[r], hawks, new_blame[r], credit[r], c[5], new_influence[r])
    return score, lost_km, lost_obj, share, trend, new_blame, credit, new_setbacks, \
        new_influence


def warm_up() -> None:
    """Compile :func:`blame_period`, or load it from Numba's cache, with the argument types
    of :func:`~powderkeg.model.kremlin.home_front`."""
    one, no, at = np.ones((1, 2)), np.zeros((1, 2), np.bool_), np.zeros(2, np.int64)
    blame_period(1.0, one, one, no, no, at, at, 0, np.ones((1, 8)), np.ones((1, 2, 2)), 0,
                 np.ones(1), np.ones(1), np.ones(1), one, no, np.ones(1), one, one)
