"""Land combat per sector: attrition, the movement of the front, river lines, bridgeheads.

Effective strength is personnel times multipliers for morale and supply. A side on the
defensive fights from prepared positions: its losses are divided by its fortification, and an
enemy advance must overcome its strength times its fortification. Attrition follows
Helmbold's equations (:mod:`powderkeg.model.lanchester`). The front moves by the ratio of
the advancing side's effective strength to the defender's fortified strength, ``rho_A =
e_A A / (f_B e_B B)`` forward and ``rho_B = e_B B / (f_A e_A A)`` back::

    v = v_max * (1 - theta / rho_A)      if rho_A > theta   (first side advances)
    v = -v_max * (1 - theta / rho_B)     if rho_B > theta   (second side advances)
    v = 0                                otherwise

with ``theta`` the ratio needed to advance (the attacker's classic 3:1 rule of thumb is a
special case); the two cannot both hold since ``rho_A rho_B <= 1``. Below the threshold a
side on the attack still creeps forward, at ``c min(1, (rho - 1) / (theta - 1))`` km a day
for ``rho > 1`` (attritional assaults such as Bakhmut's in 2022 gained a few km in months), and
the front moves at the larger of the two rates. The form is an
assumption in the spirit of R. L. Helmbold (1990), "Rates of
advance in historical land combat operations", CAA-RP-90-1, which found advance rates rising
with the force ratio. A river line stops an advance unless the ratio reaches the crossing
ratio, and slows it even then. A bridgehead across a river is given up by a stochastic
command decision once supply and force ratio have made it untenable for long enough, or once
the enemy's front threatens every one of its lines of supply.

A scenario may let a defence break (``model.combat.breakthrough``): after ``n`` days in a row
of an attacker's ratio above a breakthrough ratio, the attacker advances at an exploitation
rate for a number of days, after which the defence has re-formed. This is the breakpoint idea
of R. L. Helmbold (1964), "Decision in battle: breakpoint hypotheses and engagement termination
data", RAND R-772-PR, applied to a sector's defence, with the distinction between opposed
(attritional) and unopposed (exploitation) advance rates of T. N. Dupuy (1987), "Understanding
War", ch. 12-13.

Every equation is one compiled scalar function (Numba, ``cache=True``, ``nogil=True``, no
fast-math) and :func:`combat_day` applies them to each run and sector of a chunk in turn, so
a run's day is the same alone or in any batch. NaN-propagating ``maximum`` and ``minimum``
keep NumPy's semantics; the transcendental functions are the model's own
(:mod:`powderkeg.model.elementary`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from powderkeg.model.elementary import exp_scalar, ndtri_scalar
from powderkeg.model.lanchester import helmbold_one_day
from powderkeg.model.random import uniform_scalar

__all__ = ["posture_on", "fortification", "attack_ratios", "attrition", "noise_factor",
           "advance_rate", "breaking_pressure", "defence_breaks", "exploitation_rate",
           "cross_river", "supply_threatened", "holds_bridgehead", "bridgehead_decision",
           "withdrawal_cause", "effectiveness", "normal_draw", "combat_day", "warm_up",
           "DAY_COUNT", "ORDERED", "PUSHED"]

ORDERED, PUSHED = 1, 2  # how a bridgehead was given up (State.withdrawal)
_JIT = {"cache": True, "nogil": True}


def posture_on(model, day):
    """Who attacks in each sector on ``day``, shape ``(S, 2)`` bool.

    The row of ``model.posture_attack`` in force: the last change on or before ``day``
    (:func:`~powderkeg.model.build.posture_schedule`), day 0's posture before any.
    """
    return model.posture_attack[np.searchsorted(model.posture_days, day, side="right")]


@njit(**_JIT)
def _maximum(a, b):
    """``np.maximum`` of two floats: NaN if either is."""
    return a if a >= b or a != a else b


@njit(**_JIT)
def _minimum(a, b):
    """``np.minimum`` of two floats: NaN if either is."""
    return a if a <= b or a != a else b


@njit(**_JIT)
def fortification(fort, attacking):
    """A side's fortification: 1 on the attack, else its prepared positions' ``f``."""
    return 1.0 if attacking else fort


@njit(**_JIT)
def attack_ratios(forces_a, forces_b, eff_a, eff_b, fort_a, fort_b):
    """``(rho_A, rho_B)`` of one sector: each side's strength over the other's fortified one.

    ``rho_A = e_A A / (f_B e_B B)``, ``rho_B = e_B B / (f_A e_A A)``, strengths at least
    ``1e-9`` personnel so that a vanished side gives a finite ratio.
    """
    strength_a = eff_a * _maximum(forces_a, 1e-9)
    strength_b = eff_b * _maximum(forces_b, 1e-9)
    return strength_a / (strength_b * fort_b), strength_b / (strength_a * fort_a)


@njit(**_JIT)
def noise_factor(sigma, z):
    """Mean-one lognormal factor ``exp(sigma z - sigma^2 / 2)`` of a standard normal ``z``."""
    return exp_scalar(sigma * z - sigma * sigma / 2)


@njit(**_JIT)
def attrition(forces_a, forces_b, a_on_a, a_on_b, weiss, reinf_a, reinf_b, sigma, z_a, z_b):
    """One sector's day of combat and reinforcement: ``(A', B', lost_A, lost_B)``.

    Helmbold's losses over one Runge-Kutta step (:func:`~powderkeg.model.lanchester.
    helmbold_one_day`) with loss coefficients ``a_on_a = i a_B e_B / f_A`` and ``a_on_b = i
    a_A e_A / f_B`` (``i`` the intensity, one where a side attacks), each scaled by
    :func:`noise_factor` of its normal ``z`` and capped at the side's forces plus its
    reinforcements ``r``; then ``A' = A + r_A - lost_A``.
    """
    _, _, lost_a, lost_b = helmbold_one_day(forces_a, forces_b, a_on_a, a_on_b, weiss,
                                            reinf_a, reinf_b, 1)
    lost_a = _minimum(lost_a * noise_factor(sigma, z_a), forces_a + reinf_a)
    lost_b = _minimum(lost_b * noise_factor(sigma, z_b), forces_b + reinf_b)
    return forces_a + reinf_a - lost_a, forces_b + reinf_b - lost_b, lost_a, lost_b


@njit(**_JIT)
def _side_rate(rho, attacking, threshold, v_max, creep):
    fast = v_max * (1 - threshold / rho) if rho > threshold else 0.0
    slow = creep * _minimum(_maximum((rho - 1) / _maximum(threshold - 1, 1e-9), 0.0), 1.0)
    return _maximum(fast, slow if attacking else 0.0)


@njit(**_JIT)
def advance_rate(forward, backward, threshold, v_max, creep=0.0, attack_a=True, attack_b=True):
    """Km per day the front moves towards the second side (negative: towards the first).

    ``max(v_max (1 - theta / rho), c min(1, (rho - 1) / (theta - 1)))`` for the side whose
    ratio ``rho`` exceeds one, the creep term ``c`` only for a side on the attack
    (``attack_a``, ``attack_b``); scalars.
    """
    return (_side_rate(forward, attack_a, threshold, v_max, creep)
            - _side_rate(backward, attack_b, threshold, v_max, creep))


@njit(**_JIT)
def breaking_pressure(rho, attacking, break_ratio, pressure):
    """Days in a row a side has attacked above the breakthrough ratio.

    ``p_t = (p_{t-1} + 1) [attacking and rho_t > r_b]``, else 0.
    """
    return pressure + 1 if rho > break_ratio and attacking else 0


@njit(**_JIT)
def defence_breaks(pressure, exploitation, break_days, exploit_days):
    """Whether a side's attack breaks the defence today, and its exploitation days left.

    It breaks when its pressure ``p_t`` (:func:`breaking_pressure`) is at least one and at
    least ``n`` (``break_days``) while it is not exploiting already; its exploitation then
    lasts ``exploit_days`` days, today included. Returns ``(broken, left)``, ``left`` before
    today's day is spent.
    """
    broken = pressure >= _maximum(break_days, 1.0) and exploitation <= 0
    return broken, float(exploit_days if broken else exploitation)


@njit(**_JIT)
def exploitation_rate(left_a, left_b, exploit_km):
    """Km a day of exploitation towards the second side; NaN where neither side exploits.

    ``v = v_e ([first side exploits] - [second side exploits])`` with ``v_e`` =
    ``exploit_km``, for a sector where a side has exploitation days left (``left`` from
    :func:`defence_breaks`). Exploitation replaces the attritional advance rate.
    """
    on_a, on_b = left_a > 0, left_b > 0
    if not (on_a or on_b):
        return math.nan
    return exploit_km * ((1.0 if on_a else 0.0) - (1.0 if on_b else 0.0))


@njit(**_JIT)
def cross_river(x, x1, river, can_forward, can_backward, factor):
    """The front ``x1`` after a river line at ``river`` km, from yesterday's ``x``.

    An advance across the river stops on it unless the advancing side's ratio reaches the
    crossing ratio (``can_forward`` or ``can_backward``); then it goes on at ``factor`` of
    the rate beyond the river: ``r + (x1 - r) factor``.
    """
    crossed = river + (x1 - river) * factor
    if x <= river < x1:
        return crossed if can_forward else river
    if x1 < river <= x:
        return crossed if can_backward else river
    return x1


@njit(**_JIT)
def supply_threatened(front, threat_km, side, through, node_km, node_sector):
    """Whether the enemy threatens every line of supply of a bridgehead of ``side``.

    A node ``j`` of sector ``s(j)`` at ``k_j`` km on its axis is threatened by the first
    side's front when ``k_j - x_s(j) <= d``, by the second side's when ``x_s(j) - k_j <= d``
    (taken nodes included), ``d`` = ``threat_km``. The bridgehead is threatened when every
    node of ``through`` (the row of ``model.supply_through``, -1 padded) is, each standing
    for one of its lines of supply; one without such nodes, or no bridgehead, never is.
    ``front`` is the run's ``(S,)`` front.
    """
    if side < 0:
        return False
    found = False
    for j in through:
        if j < 0:
            continue
        found = True
        gap = node_km[j] - front[node_sector[j]]
        if side == 0:
            gap = -gap
        if not gap <= threat_km:
            return False
    return found


@njit(**_JIT)
def holds_bridgehead(front, river, side):
    """Whether a bridgehead of ``side`` still holds ground across its river at ``river`` km.

    The second side holds while ``x < r``, the first while ``x > r``.
    """
    return front < river if side == 1 else front > river


@njit(**_JIT)
def bridgehead_decision(holds, supply, against, threatened, untenable, u, withdraw_supply,
                        withdraw_force, withdraw_days, withdraw_prob):
    """Today's command decision on a bridgehead: ``(ordered, untenable days)``.

    It is untenable on a day when its side ``holds`` ground across the river and either its
    ``supply`` ratio is below ``withdraw_supply`` and the enemy's attack ratio ``against`` it
    is above ``withdraw_force``, or its lines of supply are ``threatened``
    (:func:`supply_threatened`). After ``withdraw_days`` such days in a row, command orders
    the withdrawal with daily probability ``withdraw_prob`` (``u`` uniform); the front then
    falls back to the river.
    """
    bad = (holds and supply < withdraw_supply and against > withdraw_force) or (
        holds and threatened)
    days = untenable + 1 if bad else 0
    return bad and days >= withdraw_days and u < withdraw_prob, days


@njit(**_JIT)
def withdrawal_cause(cause, lost, ordered):
    """How a bridgehead was given up: 0 held, ``ORDERED`` or ``PUSHED``.

    A bridgehead ``lost`` today (no longer :func:`holds_bridgehead`) was given up by command
    when today's withdrawal order fell back to the river, else pushed back; a cause once set
    stays.
    """
    if cause == 0 and lost:
        return ORDERED if ordered else PUSHED
    return cause


DAY_COUNT = np.uint16
"""Dtype of the combat's day counters (``State.pressure``, ``State.untenable``). Exact: each
counts days in a row, grows by at most one a step and starts at 0 on day 0; a run has fewer
than :data:`~powderkeg.model.random.MAX_DAYS` = 2**16 days (``simulate`` and the replay
refuse more, and the streams' counters hold no more), so no count exceeds 2**16 - 1, the
largest ``uint16``."""


@njit(**_JIT)
def effectiveness(morale, supply_mult, demand, opponent):
    """A side's combat effectiveness in a sector: ``e = m s o``.

    ``m`` its ``morale``, ``s`` the supply multiplier
    (:func:`~powderkeg.model.logistics.supply_effectiveness`) of its sector's ``demand``
    (one where it has none), ``o`` the ``opponent`` multiplier (the escalation ladder, the
    other side's weapons and the fire support left to it); the product in that order.
    """
    return morale * (supply_mult[demand] if demand >= 0 else 1.0) * opponent


@njit(**_JIT)
def normal_draw(key, run, day, k):
    """Draw ``k`` of ``run`` on ``day`` of the stream with ``key`` as a standard normal:
    ``Phi^-1(u)`` of its uniform (:func:`~powderkeg.model.random.uniform_scalar`), the value of
    :meth:`~powderkeg.model.random.Streams.normal`."""
    return ndtri_scalar(uniform_scalar(key, run, day, k))


@njit(**_JIT)
def combat_day(posture, static_intensity, attrition_rate, weiss, reinforcements,
               fortification_, noise, advance_threshold, advance_km, creep_km, break_ratio,
               break_days, exploit_days, exploit_km, river_sector, river_km, river_ratio,
               river_factor, sector_length, bridgehead_side, bridgehead_river, supply_through,
               node_km, node_sector, threat_km, withdraw_supply, withdraw_force,
               withdraw_days, withdraw_prob, withdraw_loss, morale, supply_mult, sector_demand,
               opponent, sector_supply, forces, losses, front, pressure, exploitation,
               untenable, withdrawal, ceasefire, keys, runs, day):
    """One day of combat, fronts and command decisions in every run of a chunk.

    Per run ``r`` and sector ``s``: each side's :func:`effectiveness`, :func:`attack_ratios`,
    :func:`attrition` (normals 3 s and 3 s + 1 of the ``combat`` stream), :func:`breaking_pressure`
    and :func:`defence_breaks` per side, the front moved by :func:`exploitation_rate` where a
    side exploits, else by :func:`advance_rate`, times :func:`noise_factor` of normal 3 s + 2;
    then each river line in order (:func:`cross_river`), the sector's length as bounds, the
    threats (:func:`supply_threatened`, on the moved fronts) and each bridgehead's decision
    (:func:`bridgehead_decision`, uniform ``s`` of the ``withdrawal`` stream), an ordered
    withdrawal costing ``withdraw_loss`` of the side's forces. A run in a ``ceasefire`` keeps
    its front, forces, pressure and exploitation and loses nothing (its attrition and its
    normals are not computed); its ratios and decisions are still recorded. Last,
    :func:`withdrawal_cause` on the fronts kept.

    The draws are made here, only where they are used (:func:`normal_draw`,
    :func:`~powderkeg.model.random.uniform_scalar`; ``keys`` = the two streams' keys, ``runs``
    ``(R,)`` the runs' numbers): a draw depends on its stream, run, day and number alone.
    World arrays have a leading run axis ``R`` (``world.*`` of the same name);
    ``supply_mult`` ``(R, D)`` is each demand's supply multiplier, ``sector_demand`` ``(S, 2)``
    ``model.sector_demand``, ``opponent`` ``(R, S, 2)`` or ``(R, 1, 2)`` the opponent
    multiplier, ``sector_supply`` ``(R, S, 2)`` each side's supply ratio, the rest is
    ``State``. Returns ``(front, forces, losses, lost, ratios, pressure, exploitation,
    broken, threatened, untenable, ordered, withdrawal)``, new arrays.
    """
    runs_, sectors = front.shape
    front_out = np.empty_like(front)
    forces_out = np.empty_like(forces)
    lost = np.empty_like(forces)
    ratios = np.empty_like(forces)
    pressure_out = np.empty_like(pressure)
    exploit_out = np.empty_like(exploitation)
    broken = np.zeros(forces.shape, np.bool_)
    threatened = np.zeros(front.shape, np.bool_)
    untenable_out = untenable.copy()
    ordered = np.zeros(front.shape, np.bool_)
    withdrawal_out = np.empty_like(withdrawal)
    left = np.empty(2)
    eff = np.empty(2)
    per_sector = opponent.shape[1] > 1
    for r in range(runs_):
        sigma, run = noise[r], runs[r]
        for s in range(sectors):
            for k in range(2):
                eff[k] = effectiveness(morale[r, s, k], supply_mult[r], sector_demand[s, k],
                                       opponent[r, s if per_sector else 0, k])
            fort_a = fortification(fortification_[r, s, 0], posture[s, 0])
            fort_b = fortification(fortification_[r, s, 1], posture[s, 1])
            rho_a, rho_b = attack_ratios(forces[r, s, 0], forces[r, s, 1], eff[0], eff[1],
                                         fort_a, fort_b)
            ratios[r, s, 0], ratios[r, s, 1] = rho_a, rho_b
            intensity = 1.0 if posture[s, 0] or posture[s, 1] else static_intensity[r]
            if ceasefire[r]:  # held below: nothing to compute
                forces_out[r, s, 0], forces_out[r, s, 1] = forces[r, s, 0], forces[r, s, 1]
                lost[r, s, 0] = lost[r, s, 1] = 0.0
            else:
                (forces_out[r, s, 0], forces_out[r, s, 1], lost[r, s, 0],
                 lost[r, s, 1]) = attrition(
                    forces[r, s, 0], forces[r, s, 1],
                    intensity * attrition_rate[r, 1] * eff[1] / fort_a,
                    intensity * attrition_rate[r, 0] * eff[0] / fort_b, weiss[r],
                    reinforcements[r, s, 0], reinforcements[r, s, 1], sigma,
                    normal_draw(keys[0], run, day, 3 * s),
                    normal_draw(keys[0], run, day, 3 * s + 1))
            for k in range(2):
                p = breaking_pressure(ratios[r, s, k], posture[s, k], break_ratio[r],
                                      pressure[r, s, k])
                broken[r, s, k], left[k] = defence_breaks(p, exploitation[r, s, k],
                                                          break_days[r], exploit_days[r])
                pressure_out[r, s, k] = 0 if left[k] > 0 else p
                exploit_out[r, s, k] = _maximum(left[k] - 1, 0.0)
            v = exploitation_rate(left[0], left[1], exploit_km[r])
            if v != v:
                v = advance_rate(rho_a, rho_b, advance_threshold[r], advance_km[r],
                                 creep_km[r], posture[s, 0], posture[s, 1])
            front_out[r, s] = front[r, s] + v * noise_factor(
                sigma, normal_draw(keys[0], run, day, 3 * s + 2))
        for i in range(river_sector.size):
            s = river_sector[i]
            front_out[r, s] = cross_river(front[r, s], front_out[r, s], river_km[r, i],
                                          ratios[r, s, 0] >= river_ratio[r],
                                          ratios[r, s, 1] >= river_ratio[r], river_factor[r])
        for s in range(sectors):
            front_out[r, s] = _minimum(_maximum(front_out[r, s], 0.0), sector_length[s])
        for s in range(sectors):
            threatened[r, s] = supply_threatened(front_out[r], threat_km[r],
                                                 bridgehead_side[s], supply_through[s],
                                                 node_km, node_sector)
        for s in range(sectors):
            side = bridgehead_side[s]
            if side < 0:
                continue
            river = river_km[r, bridgehead_river[s]]
            go, untenable_out[r, s] = bridgehead_decision(
                holds_bridgehead(front_out[r, s], river, side), sector_supply[r, s, side],
                ratios[r, s, 1 - side], threatened[r, s], untenable[r, s],
                uniform_scalar(keys[1], run, day, s), withdraw_supply[r], withdraw_force[r],
                withdraw_days[r], withdraw_prob[r])
            if go:
                front_out[r, s] = river
                forces_out[r, s, side] *= 1 - withdraw_loss[r]
                ordered[r, s] = True
        if ceasefire[r]:
            front_out[r] = front[r]
            forces_out[r] = forces[r]
            lost[r] = 0.0
            pressure_out[r] = pressure[r]
            exploit_out[r] = exploitation[r]
        for s in range(sectors):
            side = bridgehead_side[s]
            gone = side >= 0 and not holds_bridgehead(front_out[r, s],
                                                      river_km[r, bridgehead_river[s]], side)
            withdrawal_out[r, s] = withdrawal_cause(withdrawal[r, s], gone, ordered[r, s])
    return (front_out, forces_out, losses + lost, lost, ratios, pressure_out, exploit_out,
            broken, threatened, untenable_out, ordered, withdrawal_out)


def warm_up() -> None:
    """Compile :func:`combat_day`, or load it from Numba's cache, on one run of one sector
    without rivers or bridgeheads (the argument types of :func:`~powderkeg.model.step.step`).
    """
    one, pairs, grid = np.ones(1), np.ones((1, 1, 2)), np.ones((1, 1))
    index, no_index = np.full(1, -1), np.zeros(0, np.int64)
    combat_day(np.ones((1, 2), np.bool_), one, np.ones((1, 2)), one, pairs, pairs, *[one] * 8,
               no_index, np.ones((1, 0)), one, one, one, index, index, np.full((1, 1), -1),
               one, index, *[one] * 6, pairs, grid, np.full((1, 2), -1), pairs, pairs, pairs,
               pairs, grid, np.zeros((1, 1, 2), DAY_COUNT), pairs,
               np.zeros((1, 1), DAY_COUNT), np.zeros((1, 1), np.int8), np.zeros(1, np.bool_),
               np.zeros(2, np.uint64), np.zeros(1, np.int64), 1)
