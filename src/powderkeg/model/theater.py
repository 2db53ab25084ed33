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
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.elementary import exp
from powderkeg.model.lanchester import helmbold_day

__all__ = ["posture_on", "effectiveness", "fortification", "attack_ratios", "attrition",
           "advance_rate", "breaking_pressure", "defence_breaks", "exploitation_rate",
           "move_front", "supply_threatened", "bridgehead_decision"]


def posture_on(model, day):
    """Who attacks in each sector on ``day``, shape ``(S, 2)`` bool.

    The row of ``model.posture_attack`` in force: the last change on or before ``day``
    (:func:`~powderkeg.model.build.posture_schedule`), day 0's posture before any.
    """
    return model.posture_attack[np.searchsorted(model.posture_days, day, side="right")]


def effectiveness(world, supply_mult):
    """Multiplier of each side's strength from morale and supply, shape ``(R, S, 2)``."""
    return world.morale * supply_mult


def fortification(world, posture_attack):
    """Fortification of each side, 1 for a side on the attack, shape ``(R, S, 2)``.

    ``posture_attack`` ``(S, 2)`` is the day's posture (:func:`posture_on`).
    """
    return np.where(posture_attack[None, :, :], 1.0, world.fortification)


def attack_ratios(forces, eff, fort):
    """``(rho_A, rho_B)``: each side's strength over the other's fortified strength ``(R, S)``."""
    strength = eff * np.maximum(forces, 1e-9)
    return (strength[..., 0] / (strength[..., 1] * fort[..., 1]),
            strength[..., 1] / (strength[..., 0] * fort[..., 0]))


def attrition(world, posture_attack, forces, eff, noise_z):
    """Forces after one day of combat and reinforcement, and the losses, each ``(R, S, 2)``.

    ``noise_z`` are standard normals ``(R, S, 2)`` scaling each side's losses by a mean-one
    lognormal factor of log-sd ``world.noise``.
    """
    intensity = np.where(posture_attack.any(axis=1)[None, :], 1.0, world.static_intensity[:, None])
    fort = fortification(world, posture_attack)
    a_on_0 = intensity * world.attrition[:, 1, None] * eff[..., 1] / fort[..., 0]
    a_on_1 = intensity * world.attrition[:, 0, None] * eff[..., 0] / fort[..., 1]
    r = world.reinforcements
    _, _, lost0, lost1 = helmbold_day(forces[..., 0], forces[..., 1], a_on_0, a_on_1,
                                      world.weiss[:, None], r[..., 0], r[..., 1], substeps=1)
    sigma = world.noise[:, None, None]
    lost = np.stack([lost0, lost1], axis=-1) * exp(sigma * noise_z - sigma**2 / 2)
    lost = np.minimum(lost, forces + r)
    return forces + r - lost, lost


def advance_rate(forward, backward, threshold, v_max, creep=0.0, attacking=(True, True)):
    """Km per day the front moves towards the second side (negative: towards the first).

    ``max(v_max (1 - theta / rho), c min(1, (rho - 1) / (theta - 1)))`` for the side whose
    ratio ``rho`` exceeds one, the creep term ``c`` only for a side ``attacking`` (two bools or
    arrays broadcasting with the ratios).
    """
    def rate(rho, attack):
        fast = np.where(rho > threshold, v_max * (1 - threshold / rho), 0.0)
        slow = creep * np.clip((rho - 1) / np.maximum(threshold - 1, 1e-9), 0.0, 1.0)
        return np.maximum(fast, np.where(attack, slow, 0.0))

    return rate(forward, attacking[0]) - rate(backward, attacking[1])


def breaking_pressure(ratios, posture_attack, break_ratio, pressure):
    """Days in a row each side has attacked above the breakthrough ratio, ``(R, S, 2)``.

    ``p_t = (p_{t-1} + 1) [attacking and rho_t > r_b]``, else 0: ``ratios`` ``(rho_A,
    rho_B)`` each ``(R, S)``, ``posture_attack`` ``(S, 2)``, ``break_ratio`` ``(R,)``.
    """
    above = np.stack(ratios, axis=-1) > break_ratio[:, None, None]
    return np.where(above & posture_attack[None], pressure + 1, 0)


def defence_breaks(pressure, exploitation, break_days, exploit_days):
    """Today's breaks ``(R, S, 2)`` bool, and each side's exploitation days left.

    A side's attack breaks the defence when its pressure ``p_t`` (:func:`breaking_pressure`)
    is at least one and at least ``n`` (``break_days`` ``(R,)``) while it is not exploiting
    already; its exploitation then lasts ``exploit_days`` ``(R,)`` days, today included.
    Returns ``(broken, left)``, ``left`` before today's day is spent.
    """
    n = break_days[:, None, None]
    broken = (pressure >= np.maximum(n, 1)) & (exploitation <= 0)
    return broken, np.where(broken, exploit_days[:, None, None], exploitation)


def exploitation_rate(exploitation, exploit_km):
    """Km a day of exploitation towards the second side, ``(R, S)``; NaN where none.

    ``v = v_e ([first side exploits] - [second side exploits])`` with ``v_e`` = ``exploit_km``
    ``(R,)``, for sectors where a side has exploitation days left (``exploitation`` ``(R, S,
    2)`` from :func:`defence_breaks`). Exploitation replaces the attritional advance rate.
    """
    on = exploitation > 0
    v = exploit_km[:, None] * (on[..., 0].astype(float) - on[..., 1])
    return np.where(on.any(axis=-1), v, np.nan)


def move_front(model, world, posture_attack, front, ratios, noise_z, exploit_v=None):
    """The front after one day, with river lines applied, shape ``(R, S)``.

    ``ratios`` are the attack ratios ``(rho_A, rho_B)`` of :func:`attack_ratios`; crossing a
    river needs the advancing side's ratio to reach the crossing ratio. ``posture_attack``
    ``(S, 2)`` is the day's posture (:func:`posture_on`): only an attacker creeps.
    ``exploit_v`` ``(R, S)`` (:func:`exploitation_rate`) replaces the rate where it is not NaN.
    """
    sigma = world.noise[:, None]
    v = advance_rate(*ratios, world.advance_threshold[:, None], world.advance_km[:, None],
                     world.creep_km[:, None],
                     (posture_attack[None, :, 0], posture_attack[None, :, 1]))
    if exploit_v is not None:
        v = np.where(np.isnan(exploit_v), v, exploit_v)
    new = front + v * exp(sigma * noise_z - sigma**2 / 2)
    for i, s in enumerate(model.river_sector):
        r = world.river_km[:, i]
        x, x1 = front[:, s], new[:, s]
        forward = (x <= r) & (r < x1)
        backward = (x1 < r) & (r <= x)
        can_fwd = ratios[0][:, s] >= world.river_ratio
        can_back = ratios[1][:, s] >= world.river_ratio
        crossed = r + (x1 - r) * world.river_factor
        x1 = np.where(forward, np.where(can_fwd, crossed, r), x1)
        x1 = np.where(backward, np.where(can_back, crossed, r), x1)
        new[:, s] = x1
    return np.clip(new, 0.0, model.sector_length[None, :])


def supply_threatened(model, world, front):
    """Bridgeheads whose every line of supply the enemy threatens, ``(R, S)`` bool.

    A node ``j`` of sector ``s(j)`` at ``k_j`` km on its axis is threatened by the first
    side's front when ``k_j - x_s(j) <= d``, by the second side's when ``x_s(j) - k_j <= d``
    (taken nodes included), with ``d`` = ``world.threat_km`` ``(R,)``. A bridgehead is
    threatened when every node of ``model.supply_through`` is, each standing for one of its
    lines of supply; one without such nodes never is.
    """
    out = np.zeros(front.shape, dtype=bool)
    for s in np.flatnonzero((model.bridgehead_side >= 0) & (model.supply_through >= 0).any(1)):
        nodes = model.supply_through[s][model.supply_through[s] >= 0]
        gap = model.node_km[nodes][None, :] - front[:, model.node_sector[nodes]]
        if model.bridgehead_side[s] == 0:
            gap = -gap
        out[:, s] = (gap <= world.threat_km[:, None]).all(axis=1)
    return out


def bridgehead_decision(model, world, front, ratios, supply_ratio, untenable, u, threatened):
    """Fronts, withdrawal flags and untenable-day counters after today's command decisions.

    For each sector with a bridgehead: it is untenable on a day when its side holds ground
    across the river and either its supply ratio is below ``withdraw_supply`` and the enemy's
    attack ratio against it is above ``withdraw_force``, or its lines of supply are
    ``threatened`` ``(R, S)`` (:func:`supply_threatened`). After ``withdraw_days`` such days in
    a row, command orders the withdrawal with daily probability ``withdraw_prob``; the front
    then falls back to the river. Returns ``(front, ordered (R, S) bool, untenable)``.
    """
    front = front.copy()
    untenable = untenable.copy()
    ordered = np.zeros(front.shape, dtype=bool)
    for s in np.flatnonzero(model.bridgehead_side >= 0):
        side, r = model.bridgehead_side[s], world.river_km[:, model.bridgehead_river[s]]
        holds = front[:, s] < r if side == 1 else front[:, s] > r
        against = ratios[1 - side][:, s]
        bad = holds & (supply_ratio[:, s, side] < world.withdraw_supply)
        bad &= against > world.withdraw_force
        bad |= holds & threatened[:, s]
        untenable[:, s] = np.where(bad, untenable[:, s] + 1, 0)
        go = bad & (untenable[:, s] >= world.withdraw_days) & (u[:, s] < world.withdraw_prob)
        front[:, s] = np.where(go, r, front[:, s])
        ordered[:, s] = go
    return front, ordered, untenable
