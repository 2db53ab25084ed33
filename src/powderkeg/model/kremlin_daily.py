"""The Kremlin half's daily couplings, compiled per run: mobilised reinforcements arriving,
symbolic blows and red lines crossed by today's hits, forces pulled home in a crisis
coming back, and the opponent's effectiveness from the ladder and Western weapons.

Between decision periods (:func:`~powderkeg.model.kremlin.politics_period`) the politics
state changes only through these equations: the returns before the day's fighting, the
first three once a day after combat. Each is one compiled function of one run (Numba,
``cache=True``, ``nogil=True``, no fast-math, so LLVM neither fuses nor reorders);
:func:`daily_couplings` applies the first three to every run of a chunk in one call,
:func:`crisis_returns_day` and :func:`opponent_multipliers` the others. Sums over sectors
are NumPy's (:func:`~powderkeg.model.outcomes.pairwise_sum`), so the forces are the same
bits as NumPy's ``own / own.sum(axis=1)`` gave.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.outcomes import pairwise_sum

__all__ = ["arrivals", "symbolic_blows", "red_line_crossed", "daily_couplings",
           "forces_return", "crisis_returns_day", "opponent_effectiveness",
           "opponent_multipliers", "warm_up"]

_JIT = {"cache": True, "nogil": True}


@njit(**_JIT)
def arrivals(own, sectors, rate):
    """Mobilised personnel arriving today in one run, added to its forces ``own`` ``(S,)``
    in place: ``F_s <- F_s + m (F_s / max(sum_j F_j, 1e-9))``, spread over the sectors in
    proportion to the forces there (``rate`` ``m`` personnel a day; 0 adds ``+0.0``).

    ``sectors`` is ``arange(S)``; the sum is NumPy's pairwise sum of the row. With forces of
    ``(100, 300)`` and ``m = 40``, the sectors get ``10`` and ``30``.
    """
    total = pairwise_sum(own, sectors, 0, own.size)
    if total < 1e-9:  # np.maximum(total, 1e-9): NaN stays NaN
        total = 1e-9
    shares = own / total
    for s in range(own.size):
        own[s] += rate * shares[s]


@njit(**_JIT)
def symbolic_blows(hits, symbolic_links):
    """Symbolic blows today: ``sum_{e in symbolic links} [hits_e > 0]``, each listed link
    counted once per listing (a link hit twice is one blow)."""
    count = 0
    for e in symbolic_links:
        if hits[e] > 0:
            count += 1
    return count


@njit(**_JIT)
def red_line_crossed(hits, red_line_links, line):
    """Whether today's hits cross red line ``line``: ``any_e [hits_e > 0] L_{line, e}`` with
    ``red_line_links`` ``L`` ``(L, E)`` bool, the links each red line protects."""
    for e in range(hits.size):
        if hits[e] > 0 and red_line_links[line, e]:
            return True
    return False


@njit(**_JIT)
def daily_couplings(day, side, forces, mob_from, mob_to, mob_rate, hits, symbolic_links,
                    red_line_links, symbolic, crossed):
    """One day of the couplings for every run: new forces ``(R, S, 2)``, symbolic blows of
    the period so far ``(R,)`` and red lines crossed in it ``(R, L)``.

    A run's call-up arrives on days ``mob_from <= t < mob_to`` (:func:`arrivals` on
    ``side``'s forces); when no run's arrives, the forces are unchanged, else every run's
    own forces take :func:`arrivals` at its rate or at 0. ``symbolic`` and ``crossed`` are
    the period's so far, ``hits`` ``(R, E)`` today's on each link.
    """
    runs, n_sectors = forces.shape[0], forces.shape[1]
    out = forces.copy()
    arriving = (mob_from <= day) & (day < mob_to)
    if arriving.any():
        sectors = np.arange(n_sectors)
        own = np.empty(n_sectors)
        for r in range(runs):
            for s in range(n_sectors):
                own[s] = out[r, s, side]
            arrivals(own, sectors, mob_rate[r] if arriving[r] else 0.0)
            for s in range(n_sectors):
                out[r, s, side] = own[s]
    blows = np.empty(runs)
    lines = crossed.copy()
    for r in range(runs):
        blows[r] = symbolic[r] + symbolic_blows(hits[r], symbolic_links)
        for j in range(lines.shape[1]):
            lines[r, j] = lines[r, j] or red_line_crossed(hits[r], red_line_links, j)
    return out, blows, lines


@njit(**_JIT)
def forces_return(day, own, redeployed, until):
    """Forces pulled home in a crisis come back to one run's sectors when their time is up
    (``day >= until``): ``F_s <- F_s + P_s`` and ``P_s <- 0`` in place (``own``, the
    personnel pulled home ``redeployed`` ``(S,)``). Returns whether they came back."""
    if day < until:
        return False
    for s in range(own.size):
        own[s] += redeployed[s]
        redeployed[s] = 0.0
    return True


@njit(**_JIT)
def crisis_returns_day(day, side, forces, redeployed, until):
    """:func:`forces_return` of every run on ``side``'s forces ``(R, S, 2)``, with
    ``redeployed`` ``(R, S)`` and ``until`` ``(R,)`` (``inf`` once back). Returns whether
    any came back, and the new forces, redeployed and until (the inputs when none did)."""
    runs, n_sectors = forces.shape[0], forces.shape[1]
    back = until <= day
    if not back.any():
        return False, forces, redeployed, until
    out, pulled, when = forces.copy(), redeployed.copy(), until.copy()
    own = np.empty(n_sectors)
    for r in range(runs):
        for s in range(n_sectors):
            own[s] = out[r, s, side]
        if forces_return(day, own, pulled[r], until[r]):
            when[r] = np.inf
            for s in range(n_sectors):
                out[r, s, side] = own[s]
    return True, out, pulled, when


@njit(**_JIT)
def opponent_effectiveness(rung_effectiveness, rung, gain):
    """The opponent's effectiveness multiplier in one run: ``e_rung g``, the cumulative
    product of the rungs' ``opponent_effectiveness`` up to the run's rung (``(n_rungs,)``)
    times its gain from Western weapons."""
    return rung_effectiveness[rung] * gain


@njit(**_JIT)
def opponent_multipliers(side, rung_effectiveness, rung, gain):
    """Effectiveness multiplier per side ``(R, 1, 2)``: one for ``side``, the opponent's
    :func:`opponent_effectiveness` for the other (``rung_effectiveness`` ``(R, n_rungs)``)."""
    out = np.ones((rung.size, 1, 2))
    for r in range(rung.size):
        out[r, 0, 1 - side] = opponent_effectiveness(rung_effectiveness[r], rung[r], gain[r])
    return out


def warm_up() -> None:
    """Compile :func:`daily_couplings`, :func:`crisis_returns_day` and
    :func:`opponent_multipliers`, or load them from Numba's cache, with the argument types of
    :func:`~powderkeg.model.step.step` (the built-in scenarios' int8 hits, from
    :func:`~powderkeg.model.fires.no_hits`, int64 link lists and int8 rungs)."""
    one = np.ones(1)
    crisis_returns_day(1, 0, np.ones((1, 2, 2)), np.ones((1, 2)), one)
    opponent_multipliers(0, np.ones((1, 2)), np.zeros(1, np.int8), one)
    daily_couplings(1, 0, np.ones((1, 2, 2)), np.zeros(1), np.full(1, 2.0), one,
                    np.ones((1, 1), np.int8), np.zeros(1, np.int64), np.ones((1, 1), np.bool_),
                    np.zeros(1), np.zeros((1, 1), np.bool_))
