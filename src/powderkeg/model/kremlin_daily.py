"""The Kremlin half's daily couplings, compiled per run: mobilised reinforcements arriving,
symbolic blows and red lines crossed by today's hits.

Between decision periods (:func:`~powderkeg.model.kremlin.politics_period`) the politics
state changes only through these three equations, once a day after combat. Each is one
compiled function of one run (Numba, ``cache=True``, ``nogil=True``, no fast-math, so LLVM
neither fuses nor reorders); :func:`daily_couplings` applies them to every run of a chunk in
one call. Sums over sectors are NumPy's (:func:`~powderkeg.model.outcomes.pairwise_sum`),
so the forces are the same bits as NumPy's ``own / own.sum(axis=1)`` gave.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.outcomes import pairwise_sum

__all__ = ["arrivals", "symbolic_blows", "red_line_crossed", "daily_couplings", "warm_up"]

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


def warm_up() -> None:
    """Compile :func:`daily_couplings`, or load it from Numba's cache, with the argument
    types of :func:`~powderkeg.model.step.step` (the built-in scenarios' int8 hits, from
    :func:`~powderkeg.model.fires.no_hits`, and int64 link lists)."""
    one = np.ones(1)
    daily_couplings(1, 0, np.ones((1, 2, 2)), np.zeros(1), np.full(1, 2.0), one,
                    np.ones((1, 1), np.int8), np.zeros(1, np.int64), np.ones((1, 1), np.bool_),
                    np.zeros(1), np.zeros((1, 1), np.bool_))
