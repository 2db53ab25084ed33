"""The Kremlin's escalation ladder of a decision period, compiled per run.

After the blame, personnel, regime and mobilisation of the period
(:func:`~powderkeg.model.kremlin.politics_period`), :func:`ladder_run` takes one run
through, in this order: the breakdown of a ceasefire, an off-ramp both sides accept, a
mediator's offer and whether the sides it needs accept it, the leader's logit step on the
ladder (:mod:`~powderkeg.model.escalation`), the opponent's response by policy, perceived
resolve, red lines' credibility, the opponent's gain from Western weapons, the off-ramp
left open and the opponent's losses on entering a new rung. Each decision draws its
uniform from its own stream ``politics/<decision>`` at the run's counter
(:func:`~powderkeg.model.random.uniform_scalar`), so a run is the same alone or in any
batch. A player's fixed choice replaces the model's where the decision is open
(:func:`yes_no`, :func:`taken_step`). :func:`ladder_period` applies it to every run of a
chunk in one call (Numba, ``cache=True``, ``nogil=True``, no fast-math).

The tests keep the former NumPy code over the batch (``tests/kremlin_reference.py``) and
compare it with this pass bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.elementary import expit_scalar, tanh_scalar
from powderkeg.model.escalation import (
    answered_credibility,
    draw_step,
    logit_probabilities,
    posterior_resolve,
    step_utilities,
)
from powderkeg.model.random import uniform_scalar

__all__ = ["LADDER_STREAMS", "LADDER_DECISIONS", "YES_NO_DECISIONS", "escalation_features",
           "accept_probability", "yes_no", "taken_step", "ladder_run", "ladder_period",
           "yes_no_batch", "warm_up"]

_JIT = {"cache": True, "nogil": True}
LADDER_STREAMS = ("ceasefire_breakdown", "leader_accepts", "opponent_accepts", "rung",
                  "response", "mediation_offer", "mediation_leader", "mediation_opponent")
"""The streams ``politics/<name>`` the ladder draws, in the order of :func:`ladder_run`'s
``keys`` (the last three only with a mediation section)."""
YES_NO_DECISIONS = ("accept_offramp", "opponent_accepts", "accept_mediation",
                    "opponent_accepts_mediation", "response")
"""The ladder's two-way decisions, columns of :func:`ladder_period`'s choice arrays."""
LADDER_DECISIONS = YES_NO_DECISIONS + ("rung",)
"""Every decision of the ladder a player may fix, in the order of ``fixed``."""
_HOLD = 1  # index of holding among the rung's options ("down", "hold", "up")


@njit(**_JIT)
def escalation_features(pressure, threat, trend_km, trend_scale, resolve_a, resolve_b,
                        crossed, credibility, offramp_left):
    """One run's features of the leader's utility ``(H, T, B, R, C, O)``: hardliner pressure,
    the regime's threat, the trend ``B = tanh(km / trend_scale)``, perceived resolve
    ``R = alpha / (alpha + beta)``, the largest credibility of a red line ``crossed`` this
    period ``C`` (0 if none; ``crossed``, ``credibility`` ``(L,)``) and ``O = [off-ramp open]``.
    """
    c = 0.0
    for j in range(crossed.size):
        if crossed[j]:
            c = max(c, credibility[j])
    return (pressure, threat, tanh_scalar(trend_km / trend_scale),
            resolve_a / (resolve_a + resolve_b), c, 1.0 if offramp_left > 0 else 0.0)


@njit(**_JIT)
def accept_probability(intercept, slope, x, shift):
    """Chance a side accepts a ceasefire: ``expit(a + b x + s)``.

    For the leader ``a``, ``b`` are the ``accept_intercept``, ``accept_threat`` of the theory
    it follows and ``x`` the regime's threat; for the opponent the ceasefire section's
    ``accept_intercept``, ``accept_trend`` and ``x`` the leader's battlefield trend (an
    infinite ``a`` without a ceasefire section: it always accepts). ``s`` shifts the log-odds
    (a mediator's offer: ``politics.mediation.leader_shift``, ``opponent_shift``; 0 for an
    off-ramp).
    """
    return expit_scalar(intercept + slope * x + shift)


@njit(**_JIT)
def yes_no(p, model, open_, fixed, j, chance, models, taken, opened, was_fixed):
    """A two-way decision ``j`` of one run with chance ``p`` of its second option, whose own
    draw said ``model``: the player's ``fixed`` index (``-1``: none) where it is ``open_``,
    else the model's. Records ``p``, the model's and the taken index, ``open_`` and whether a
    fixed value applied in column ``j`` of the run's rows; returns the second option taken.
    """
    on = open_ and fixed >= 0
    chance[j], models[j], opened[j], was_fixed[j] = p, model, open_, on
    taken[j] = fixed if on else model
    return taken[j] == 1


@njit(**_JIT)
def taken_step(probabilities, model, open_, fixed):
    """The rung's option taken (0 down, 1 hold, 2 up) and whether a fixed one applied: the
    player's ``fixed`` index where the decision is open, holding instead when the model gives
    it no chance (a step off the ladder), else the model's own ``model``."""
    if open_ and fixed >= 0:
        return (fixed if probabilities[fixed] > 0 else _HOLD), True
    return model, False


@njit(**_JIT)
def ladder_run(key, run, day, ceasefire, pressure, threat, trend_km, trend_scale, resolve,
               crossed, credibility, offramp_left, w, rung, max_rung, cost, precision,
               accept, breakdown, has_mediation, mediation, needs, strong_probability,
               strong_gain, strong_cap, offramp_periods, credibility_loss, on_strong,
               opponent_loss, opponent_gain, fixed, chance, models, taken, opened, was_fixed,
               utility, probabilities, credibility_out, carried):
    """One run's ladder of the period (module docstring), in place where it can be.

    Scalars of the run: ``ceasefire`` before the breakdown, hardliner ``pressure``, the
    regime's ``threat``, ``trend_km``, ``offramp_left``, ``rung``, ``max_rung``, ``precision``,
    ``breakdown``, the policy's ``strong_probability``, ``strong_gain``, ``strong_cap``,
    ``offramp_periods``, ``opponent_gain``. Rows: ``resolve`` ``(2,)`` alpha, beta (updated in
    place), ``crossed``, ``credibility``, ``credibility_loss`` ``(L,)``, ``w`` ``(10,)`` the
    weights of the run's theory (``WEIGHT_TERMS`` then the two accept terms), ``cost`` and
    ``opponent_loss`` ``(n_rungs,)``, ``accept`` ``(2,)`` the opponent's accept intercept and
    trend slope, ``mediation`` ``(3,)`` offer chance, leader and opponent shifts of a
    mediation section (read only ``has_mediation``), ``needs`` ``(2,)`` whether the leader,
    the opponent must accept it.
    ``key`` ``(8,)`` the keys of :data:`LADDER_STREAMS`, ``fixed`` ``(6,)`` the fixed indices of
    :data:`LADDER_DECISIONS` (``-1``: none). Writes the two-way decisions into ``chance``
    ``(5,)`` and ``models``, ``taken``, ``opened``, ``was_fixed`` ``(6,)`` (the rung's in
    column 5), the utilities and ``probabilities`` ``(3,)`` of the rung, ``credibility_out``
    and ``carried`` (red lines crossed by a strong response) ``(L,)``; ``crossed`` becomes
    the lines crossed or carried.

    Returns ``(broke, offered, mediated, agreed, ceasefire, step, rung, max_rung, gain,
    offramp_left, loss_now)``.
    """
    broke = ceasefire and uniform_scalar(key[0], run, day, 0) < breakdown
    ceasefire = ceasefire and not broke
    h, t, b, r, c, o = escalation_features(pressure, threat, trend_km, trend_scale, resolve[0],
                                           resolve[1], crossed, credibility, offramp_left)
    active = not ceasefire
    offered = active and offramp_left > 0
    p = accept_probability(w[8], w[9], t, 0.0)
    leader = yes_no(p, int(uniform_scalar(key[1], run, day, 0) < p), offered, fixed[0], 0,
                    chance, models, taken, opened, was_fixed)
    p = accept_probability(accept[0], accept[1], b, 0.0)
    opponent = yes_no(p, int(uniform_scalar(key[2], run, day, 0) < p), offered, fixed[1], 1,
                      chance, models, taken, opened, was_fixed)
    both = offered and leader and opponent
    mediated = agreed = False
    if has_mediation:
        mediated = active and not both and uniform_scalar(key[5], run, day, 0) < mediation[0]
        p = accept_probability(w[8], w[9], t, mediation[1])
        leader = yes_no(p, int(uniform_scalar(key[6], run, day, 0) < p), mediated, fixed[2], 2,
                        chance, models, taken, opened, was_fixed)
        p = accept_probability(accept[0], accept[1], b, mediation[2])
        opponent = yes_no(p, int(uniform_scalar(key[7], run, day, 0) < p), mediated, fixed[3],
                          3, chance, models, taken, opened, was_fixed)
        agreed = mediated and (leader or not needs[0]) and (opponent or not needs[1])
    ceasefire = ceasefire or both or agreed
    step_utilities(rung, cost, w, h, t, b, r, c, o, utility)
    logit_probabilities(utility, precision, probabilities)
    own = 1 if ceasefire else draw_step(probabilities, uniform_scalar(key[3], run, day, 0)) + 1
    pick, on = taken_step(probabilities, own, not ceasefire, fixed[5])
    models[5], taken[5], opened[5], was_fixed[5] = own, pick, not ceasefire, on
    step = pick - 1
    new_rung = rung + step
    up = step > 0
    entered = up and new_rung > max_rung
    up_draw = uniform_scalar(key[4], run, day, 0) < strong_probability
    strong = yes_no(strong_probability if up else 0.0, int(up and up_draw), up, fixed[4], 4,
                    chance, models, taken, opened, was_fixed)
    resolve[0], resolve[1] = posterior_resolve(resolve[0], resolve[1], up, strong)
    # a strong response crosses its red lines now; the leader weighs them at the next decision
    for j in range(crossed.size):
        carried[j] = strong and on_strong[j]
        crossed[j] = crossed[j] or carried[j]
    answered_credibility(credibility, crossed, up, credibility_loss, credibility_out)
    gain = min(opponent_gain * (1 + strong_gain), strong_cap) if strong else opponent_gain
    left = offramp_periods if up and not strong else max(offramp_left - 1, 0.0)
    return (broke, offered, mediated, agreed, ceasefire, step, new_rung,
            max(max_rung, new_rung), gain, 0.0 if ceasefire else left,
            opponent_loss[new_rung] if entered else 0.0)


@njit(**_JIT)
def ladder_period(keys, runs, day, ceasefire, pressure, threat, trend_km, trend_scale,
                  resolve_a, resolve_b, crossed, credibility, offramp_left, weights, theory,
                  rung, max_rung, cost, precision, accept, breakdown, has_mediation, mediation,
                  needs, strong_probability, strong_gain, strong_cap, offramp_periods,
                  credibility_loss, on_strong, opponent_loss, opponent_gain, fixed):
    """:func:`ladder_run` of every run of a chunk: ``runs`` ``(R,)`` the runs' numbers,
    per-run scalars as ``(R,)`` arrays, ``crossed``, ``credibility``, ``credibility_loss``
    ``(R, L)``, ``weights`` ``(R, n_theories, 10)`` of which run ``r`` takes ``theory[r]``,
    ``cost``, ``opponent_loss`` ``(R, n_rungs)``, ``accept`` ``(R, 2)``, ``mediation``
    ``(R, 3)``; ``keys``, ``needs``, ``fixed`` and ``on_strong`` ``(L,)`` are the chunk's.

    Returns the flags ``(R, 4)`` broke, offered, mediated, agreed; the new ceasefire; the
    step (int64); rung and max rung (``rung``'s dtype); resolve ``(R, 2)``; credibility and
    carried ``(R, L)``; gain, off-ramp left and the opponent's loss now; the two-way
    decisions' chances ``(R, 5)``, the model's and taken indices (int64), whether open and
    fixed ``(R, 6)``; the rung's probabilities ``(R, 3)``.
    """
    n, lines = rung.size, crossed.shape[1]
    flags = np.zeros((n, 4), np.bool_)
    new_ceasefire = np.zeros(n, np.bool_)
    step = np.zeros(n, np.int64)
    new_rung, new_max = np.empty_like(rung), np.empty_like(max_rung)
    resolve = np.empty((n, 2))
    crossed_now = crossed.copy()
    credibility_out = np.empty_like(credibility)
    carried = np.zeros((n, lines), np.bool_)
    gain, left, loss_now = np.empty(n), np.empty(n), np.empty(n)
    chance = np.zeros((n, 5))
    models, taken = np.zeros((n, 6), np.int64), np.zeros((n, 6), np.int64)
    opened, was_fixed = np.zeros((n, 6), np.bool_), np.zeros((n, 6), np.bool_)
    utility, probabilities = np.empty(3), np.empty((n, 3))
    for i in range(n):
        resolve[i, 0], resolve[i, 1] = resolve_a[i], resolve_b[i]
        out = ladder_run(keys, runs[i], day, ceasefire[i], pressure[i], threat[i], trend_km[i],
                         trend_scale[i], resolve[i], crossed_now[i], credibility[i],
                         offramp_left[i], weights[i, theory[i]], rung[i], max_rung[i], cost[i],
                         precision[i], accept[i], breakdown[i], has_mediation, mediation[i], needs,
                         strong_probability[i], strong_gain[i], strong_cap[i],
                         offramp_periods[i], credibility_loss[i], on_strong, opponent_loss[i],
                         opponent_gain[i], fixed, chance[i], models[i], taken[i], opened[i],
                         was_fixed[i], utility, probabilities[i], credibility_out[i], carried[i])
        flags[i, 0], flags[i, 1], flags[i, 2], flags[i, 3] = out[0], out[1], out[2], out[3]
        new_ceasefire[i], step[i], new_rung[i], new_max[i] = out[4], out[5], out[6], out[7]
        gain[i], left[i], loss_now[i] = out[8], out[9], out[10]
    return (flags, new_ceasefire, step, new_rung, new_max, resolve, credibility_out, carried,
            gain, left, loss_now, chance, models, taken, opened, was_fixed, probabilities)


@njit(**_JIT)
def yes_no_batch(p, model, open_, fixed):
    """:func:`yes_no` of every run of a chunk (``p`` ``(R,)`` float, ``model`` ``(R,)``
    int64, ``open_`` ``(R,)`` bool, ``fixed`` the chunk's index or ``-1``): the taken index
    ``(R,)`` int64 and whether a fixed value applied ``(R,)`` bool."""
    n = p.size
    chance, taken = np.empty((n, 1)), np.empty((n, 1), np.int64)
    models, opened, was_fixed = np.empty((n, 1), np.int64), np.empty((n, 1), np.bool_), \
        np.empty((n, 1), np.bool_)
    for i in range(n):
        yes_no(p[i], model[i], open_[i], fixed, 0, chance[i], models[i], taken[i], opened[i],
               was_fixed[i])
    return taken[:, 0].copy(), was_fixed[:, 0].copy()


def warm_up() -> None:
    """Compile :func:`ladder_period` and :func:`yes_no_batch`, or load them from Numba's
    cache, with the argument types of :func:`~powderkeg.model.kremlin.politics_period`
    (int8 rungs and theories, as :func:`~powderkeg.model.kremlin.index_dtype` gives them)."""
    one, no = np.ones(1), np.zeros(1, np.bool_)
    ladder_period(np.zeros(8, np.uint64), np.zeros(1, np.int64), 1, no, one, one, one, one,
                  one, one, np.zeros((1, 1), np.bool_), np.ones((1, 1)), one,
                  np.zeros((1, 1, 10)), np.zeros(1, np.int8), np.zeros(1, np.int8),
                  np.zeros(1, np.int8), np.zeros((1, 2)), one, np.zeros((1, 2)), one, False,
                  np.zeros((1, 3)), np.zeros(2, np.bool_), one, one, one, one, np.zeros((1, 1)),
                  np.zeros(1, np.bool_), np.zeros((1, 2)), one, np.full(6, -1, np.int64))
    yes_no_batch(one, np.zeros(1, np.int64), no, -1)
