"""Land combat per sector: attrition, the movement of the front, river lines, bridgeheads.

Effective strength is personnel times multipliers for morale, supply and, for a side on the
defensive, fortification. Attrition follows Helmbold's equations
(:mod:`powderkeg.model.lanchester`). The front moves by the effective force ratio
``rho = (e_A A) / (e_B B)``::

    v = v_max * (1 - theta / rho)        if rho > theta     (first side advances)
    v = -v_max * (1 - theta * rho)       if rho < 1 / theta (second side advances)
    v = 0                                otherwise

with ``theta`` the ratio needed to advance (the attacker's classic 3:1 rule of thumb is a
special case). The form is an assumption in the spirit of R. L. Helmbold (1990), "Rates of
advance in historical land combat operations", CAA-RP-90-1, which found advance rates rising
with the force ratio. A river line stops an advance unless the ratio reaches the crossing
ratio, and slows it even then. A bridgehead across a river is given up by a stochastic
command decision once supply and force ratio have made it untenable for long enough.
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.lanchester import helmbold_day

__all__ = ["effectiveness", "attrition", "advance_rate", "move_front", "bridgehead_decision"]


def effectiveness(world, posture_attack, supply_mult):
    """Multiplier of each side's strength, shape ``(R, S, 2)``."""
    fort = np.where(posture_attack[None, :, :], 1.0, world.fortification)
    return world.morale * supply_mult * fort


def attrition(world, posture_attack, forces, eff, noise_z):
    """Forces after one day of combat and reinforcement, and the losses, each ``(R, S, 2)``.

    ``noise_z`` are standard normals ``(R, S, 2)`` scaling each side's losses by a mean-one
    lognormal factor of log-sd ``world.noise``.
    """
    intensity = np.where(posture_attack.any(axis=1)[None, :], 1.0, world.static_intensity[:, None])
    a_on_0 = intensity * world.attrition[:, 1, None] * eff[..., 1]
    a_on_1 = intensity * world.attrition[:, 0, None] * eff[..., 0]
    r = world.reinforcements
    _, _, lost0, lost1 = helmbold_day(forces[..., 0], forces[..., 1], a_on_0, a_on_1,
                                      world.weiss[:, None], r[..., 0], r[..., 1], substeps=1)
    sigma = world.noise[:, None, None]
    lost = np.stack([lost0, lost1], axis=-1) * np.exp(sigma * noise_z - sigma**2 / 2)
    lost = np.minimum(lost, forces + r)
    return forces + r - lost, lost


def advance_rate(ratio, threshold, v_max):
    """Km per day the front moves towards the second side (negative: towards the first)."""
    fwd = np.where(ratio > threshold, v_max * (1 - threshold / ratio), 0.0)
    back = np.where(ratio * threshold < 1, -v_max * (1 - threshold * ratio), 0.0)
    return fwd + back


def move_front(model, world, front, ratio, noise_z):
    """The front after one day, with river lines applied, shape ``(R, S)``."""
    sigma = world.noise[:, None]
    v = advance_rate(ratio, world.advance_threshold[:, None], world.advance_km[:, None])
    new = front + v * np.exp(sigma * noise_z - sigma**2 / 2)
    for i, s in enumerate(model.river_sector):
        r = world.river_km[:, i]
        x, x1, rho = front[:, s], new[:, s], ratio[:, s]
        forward = (x <= r) & (r < x1)
        backward = (x1 < r) & (r <= x)
        can_fwd = rho >= world.river_ratio
        can_back = rho * world.river_ratio <= 1
        crossed = r + (x1 - r) * world.river_factor
        x1 = np.where(forward, np.where(can_fwd, crossed, r), x1)
        x1 = np.where(backward, np.where(can_back, crossed, r), x1)
        new[:, s] = x1
    return np.clip(new, 0.0, model.sector_length[None, :])


def bridgehead_decision(model, world, front, ratio, supply_ratio, untenable, u):
    """Fronts, withdrawal flags and untenable-day counters after today's command decisions.

    For each sector with a bridgehead: it is untenable on a day when its side holds ground
    across the river, its supply ratio is below ``withdraw_supply`` and the enemy's effective
    force ratio is above ``withdraw_force``. After ``withdraw_days`` such days in a row,
    command orders the withdrawal with daily probability ``withdraw_prob``; the front then
    falls back to the river. Returns ``(front, ordered (R, S) bool, untenable)``.
    """
    front = front.copy()
    untenable = untenable.copy()
    ordered = np.zeros(front.shape, dtype=bool)
    for s in np.flatnonzero(model.bridgehead_side >= 0):
        side, r = model.bridgehead_side[s], world.river_km[:, model.bridgehead_river[s]]
        holds = front[:, s] < r if side == 1 else front[:, s] > r
        against = ratio[:, s] if side == 1 else 1 / ratio[:, s]
        bad = holds & (supply_ratio[:, s, side] < world.withdraw_supply)
        bad &= against > world.withdraw_force
        untenable[:, s] = np.where(bad, untenable[:, s] + 1, 0)
        go = bad & (untenable[:, s] >= world.withdraw_days) & (u[:, s] < world.withdraw_prob)
        front[:, s] = np.where(go, r, front[:, s])
        ordered[:, s] = go
    return front, ordered, untenable
