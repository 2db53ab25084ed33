"""The Kremlin's mobilisation decision of a period, compiled per run.

A call-up happens at most once, never during a ceasefire: its chance
(:func:`mobilization_probability`) from the regime's threat and hardliner pressure, the run's
own draw from the stream ``politics/mobilization`` at the run's counter
(:func:`~powderkeg.model.random.uniform_scalar`), a player's fixed choice where one applies
(:func:`~powderkeg.model.kremlin_ladder.yes_no`); a call-up sends its personnel after the lag
over the arrival days and costs the military command blame at home (:func:`call_up`).
:func:`mobilization_period` applies it to every run of a chunk (Numba, ``cache=True``,
``nogil=True``, no fast-math). The tests compare it with the former NumPy code
(``tests/kremlin_reference.py``) bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.elementary import expit_scalar
from powderkeg.model.kremlin_ladder import yes_no
from powderkeg.model.random import uniform_scalar

__all__ = ["mobilization_probability", "call_up", "mobilization_period", "warm_up"]

_JIT = {"cache": True, "nogil": True}


@njit(**_JIT)
def mobilization_probability(intercept, threat_slope, hardliner_slope, threat, pressure):
    """Chance of calling up this period: ``expit(a + b_T T + b_H H)``.

    ``T`` is the regime's threat (accumulated setbacks over their scale, at most one) and
    ``H`` hardliner pressure (:func:`~powderkeg.model.politics.hardliner_pressure`): the
    instrument of a leader under pressure, apart from the escalation ladder.
    """
    return expit_scalar(intercept + threat_slope * threat + hardliner_slope * pressure)


@njit(**_JIT)
def call_up(key, run, day, first, ceasefire, coefficients, threat, pressure, fixed, schedule,
            choice):
    """One run's mobilisation decision, in place.

    ``first``: no call-up yet; ``coefficients`` ``(7,)`` the run's intercept, threat and
    hardliner slopes, size, lag and arrival days and blame cost (``MobilizationWorld``'s
    order); ``schedule`` ``(3,)`` its arrivals' first day, end and daily rate, replaced by
    ``day + lag``, ``day + lag + arrival_days`` and ``size / arrival_days`` on a call-up.
    The decision is open when ``first`` and no ``ceasefire``; its chance is
    :func:`mobilization_probability` there and 0 elsewhere, the model's pick ``u < chance``.
    ``choice`` ``(5,)`` float takes the chance, the model's and the taken index, open and
    fixed (``fixed``: the player's index, ``-1`` none). Returns whether it called up and the
    military command's added blame (``blame_cost``, or ``+0.0``).
    """
    open_ = first and not ceasefire
    p = mobilization_probability(coefficients[0], coefficients[1], coefficients[2], threat,
                                 pressure) if open_ else 0.0
    chance, models, taken = np.empty(1), np.empty(1, np.int64), np.empty(1, np.int64)
    opened, was_fixed = np.empty(1, np.bool_), np.empty(1, np.bool_)
    called = yes_no(p, int(uniform_scalar(key, run, day, 0) < p), open_, fixed, 0, chance,
                    models, taken, opened, was_fixed)
    choice[0], choice[1], choice[2], choice[3], choice[4] = p, models[0], taken[0], open_, \
        was_fixed[0]
    if called:
        start = day + coefficients[4]
        schedule[0], schedule[1] = start, start + coefficients[5]
        schedule[2] = coefficients[3] / coefficients[5]
    return called, coefficients[6] if called else 0.0


@njit(**_JIT)
def mobilization_period(key, runs, day, first, ceasefire, coefficients, threat, pressure,
                        fixed, mob_from, mob_to, mob_rate):
    """:func:`call_up` of every run of a chunk (``coefficients`` ``(R, 7)``, the rest
    ``(R,)``): whether each called up, the military command's added blame, the new arrival
    schedule (from, to, rate) and the decision's record ``(R, 5)``."""
    n = first.size
    called, blame = np.zeros(n, np.bool_), np.empty(n)
    schedule, choice = np.empty((n, 3)), np.empty((n, 5))
    for r in range(n):
        schedule[r, 0], schedule[r, 1], schedule[r, 2] = mob_from[r], mob_to[r], mob_rate[r]
        called[r], blame[r] = call_up(key, runs[r], day, first[r], ceasefire[r], coefficients[r],
                                      threat[r], pressure[r], fixed, schedule[r], choice[r])
    return called, blame, schedule, choice


def warm_up() -> None:
    """Compile :func:`mobilization_period`, or load it from Numba's cache, with the argument
    types of :func:`~powderkeg.model.kremlin.politics_period`."""
    one, no = np.ones(1), np.zeros(1, np.bool_)
    mobilization_period(np.uint64(0), np.zeros(1, np.int64), 1, no, no, np.ones((1, 7)), one,
                        one, -1, one, one, one)
