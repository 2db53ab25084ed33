"""The Kremlin half composed: politics state, its decision period, and its couplings.

Every ``decision_period_days`` the period's battlefield record (ground and objectives lost,
losses, symbolic blows, red lines crossed) feeds, in this order: blame and influence
(:mod:`~powderkeg.model.politics`), personnel moves, the regime's mutiny or coup hazard and
the successor of a successful coup, a mobilisation decision, the breakdown of a ceasefire,
off-ramp acceptance by both sides and the leader's escalation choice
(:mod:`~powderkeg.model.escalation`), then the opponent's response by policy. Each decision
draws from its own named random stream (``politics/<decision>``). Daily couplings back into
the theater: mobilised reinforcements, the opponent's effectiveness (infrastructure strikes,
Western weapons), forces pulled home during a crisis, and a ceasefire that stops the
fighting while it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit

from powderkeg.model.escalation import (
    choice_probabilities,
    choose,
    update_credibility,
    update_resolve,
    utilities,
)
from powderkeg.model.kremlin_params import CeasefireWorld, MobilizationWorld, PoliticsWorld
from powderkeg.model.politics import (
    EVENT_INDEX,
    coup_hazard,
    draw_index,
    hardliner_pressure,
    shift_influence,
)
from powderkeg.model.record import PeriodRecord

__all__ = ["PoliticsState", "init_politics", "politics_period", "DECISIONS",
           "successor", "mobilization_probability",
           "opponent_accepts_probability"]


DECISIONS = ("dismiss_minister", "dismiss_chief", "promote_hardliner", "coup_attempt",
             "plotter", "coup_success", "redeploy", "successor", "takes_power",
             "purge_after_failure", "purge", "purge_target", "mobilization",
             "ceasefire_breakdown", "leader_accepts", "opponent_accepts", "rung", "response")
@dataclass(frozen=True)
class PoliticsState:
    influence: np.ndarray  # (R, K)
    blame: np.ndarray  # (R, K) unanswered
    setbacks: np.ndarray  # (R,) accumulated, with memory
    rung: np.ndarray  # (R,) int
    max_rung: np.ndarray
    resolve_a: np.ndarray
    resolve_b: np.ndarray
    credibility: np.ndarray  # (R, L)
    crossed: np.ndarray  # (R, L) this period
    strong_since: np.ndarray  # (R,) a strong response happened this period
    symbolic: np.ndarray  # (R,) symbolic hits this period
    offramp_left: np.ndarray  # (R,) periods an offer stays open
    leader_hawkishness: np.ndarray
    leader_faction: np.ndarray  # -1: the scenario's leader
    theory: np.ndarray  # (R,) theory the leader in power follows
    alive: np.ndarray  # (R, K) faction not broken by a purge
    opponent_gain: np.ndarray  # (R,) effectiveness from Western weapons
    ceasefire: np.ndarray  # (R,) bool
    redeployed: np.ndarray  # (R, S) personnel pulled home
    redeploy_until: np.ndarray  # (R,)
    mob_from: np.ndarray
    mob_to: np.ndarray
    mob_rate: np.ndarray
    event_day: np.ndarray  # (R, n_events) first day, -1 if not yet
    period_front: np.ndarray  # (R, S) front at the start of the period
    period_forces: np.ndarray  # (R,) own forces at the start of the period
    period_losses: np.ndarray  # (R,) own cumulative losses then
    period_held: np.ndarray  # (R, O) objectives held then


def init_politics(pm, pw: PoliticsWorld, front, forces, objectives_held, n_sectors):
    n = len(pw.theory)
    k = len(pm.faction_ids)
    zeros = np.zeros(n)
    return PoliticsState(
        influence=pw.influence.copy(), blame=pw.blame0.copy(), setbacks=pw.setbacks0.copy(),
        rung=np.full(n, pm.start_rung), max_rung=np.full(n, pm.start_rung),
        resolve_a=pw.resolve0[0] * np.ones(n), resolve_b=pw.resolve0[1] * np.ones(n),
        credibility=pw.credibility0.copy(),
        crossed=np.zeros(pw.credibility0.shape, dtype=bool),
        strong_since=np.zeros(n, dtype=bool), symbolic=zeros.copy(),
        offramp_left=zeros.copy(), leader_hawkishness=pw.leader_hawkishness.copy(),
        leader_faction=np.full(n, -1), theory=pw.theory.copy(),
        alive=np.ones((n, k), dtype=bool),
        opponent_gain=np.ones(n), ceasefire=np.zeros(n, dtype=bool),
        redeployed=np.zeros((n, n_sectors)), redeploy_until=np.full(n, np.inf),
        mob_from=np.full(n, np.inf), mob_to=np.full(n, np.inf), mob_rate=zeros.copy(),
        event_day=np.full((n, len(EVENT_INDEX)), -1), period_front=front.copy(),
        period_forces=forces[..., pm.side].sum(axis=1), period_losses=zeros.copy(),
        period_held=objectives_held.copy(),
    )


def _event(ps_event_day, name, mask, day):
    j = EVENT_INDEX[name]
    new = mask & (ps_event_day[:, j] < 0)
    ps_event_day[:, j] = np.where(new, day, ps_event_day[:, j])


def _period_blame(pm, pw, ps, front, forces, losses, held, obj_sector):
    """Blame per faction and the setback score of the period just ended."""
    sign = 1.0 if pm.side == 1 else -1.0
    moved = sign * (front - ps.period_front)
    lost_km, gained_km = np.maximum(moved, 0), np.maximum(-moved, 0)
    lost_obj = np.zeros(front.shape)
    np.add.at(lost_obj, (slice(None), obj_sector), (ps.period_held & ~held).astype(float))
    b = pw.blame
    per_sector = (b.per_km_lost[:, None] * lost_km + b.per_objective_lost[:, None]
                  * lost_obj - b.per_km_gained[:, None] * gained_km)
    score = np.zeros(ps.blame.shape)
    np.add.at(score, (slice(None), pm.sector_faction), per_sector)
    own_losses = losses[..., pm.side].sum(axis=1) - ps.period_losses
    share = own_losses / np.maximum(ps.period_forces, 1.0)
    score[:, pm.military] += b.per_loss_share * share + b.per_symbolic_hit * ps.symbolic
    trend = gained_km.sum(axis=1) - lost_km.sum(axis=1)
    return score, trend


def politics_period(pm, pw, ps, streams, runs, day, front, forces, losses, held, obj_sector):
    """One decision period.

    Returns the new politics state, the forces after crises and the period's
    :class:`~powderkeg.model.record.PeriodRecord`.
    """
    u = {name: streams.uniform(f"politics/{name}", runs, day)[:, 0] for name in DECISIONS}
    forces = forces.copy()
    ev = ps.event_day.copy()
    score, trend_km = _period_blame(pm, pw, ps, front, forces, losses, held, obj_sector)
    blame = np.maximum(ps.blame * (1 - pw.blame.decay[:, None]) + score, 0.0) * ps.alive
    credit = np.maximum(-score, 0.0)
    setbacks = ps.setbacks * pw.blame.setback_memory + np.maximum(score.sum(axis=1), 0)
    influence = shift_influence(ps.influence, pw.hawkishness * ps.alive, blame, credit,
                                pw.blame.influence_shift)
    influence, blame, moves = _personnel(pm, pw, ps, influence, blame, u, ev, day)
    regime = _regime(pm, pw, ps, influence, blame, setbacks, u, ev, day, forces)
    influence, blame, setbacks, forces = regime["influence"], regime["blame"], \
        regime["setbacks"], regime["forces"]
    ps = replace(ps, leader_hawkishness=regime["leader_h"], leader_faction=regime["leader_f"],
                 theory=regime["theory"], alive=regime["alive"],
                 redeployed=regime["redeployed"], redeploy_until=regime["until"])
    threat = np.minimum(1.0, setbacks / pw.threat_scale)
    pressure = hardliner_pressure(influence, pw.hawkishness, ps.leader_hawkishness)
    mob, blame, mob_p, called = _mobilization(pm, pw, ps, threat, pressure, blame, u, ev, day)
    ps, broke = _ceasefire_breakdown(pw, ps, u, ev, day)
    rung, max_rung, ceasefire, offramp_left, resolve, credibility, gain, loss_now, carried, \
        choice = _escalation(pm, pw, ps, pressure, threat, trend_km, u, ev, day)
    opp = 1 - pm.side
    forces[..., opp] *= (1 - loss_now)[:, None]
    new = replace(
        ps, influence=influence, blame=blame, setbacks=setbacks, rung=rung, max_rung=max_rung,
        resolve_a=resolve[0], resolve_b=resolve[1], credibility=credibility,
        crossed=carried, strong_since=np.zeros_like(ps.strong_since),
        symbolic=np.zeros_like(ps.symbolic), offramp_left=offramp_left,
        opponent_gain=gain, ceasefire=ceasefire,
        mob_from=mob[0], mob_to=mob[1], mob_rate=mob[2], event_day=ev,
        period_front=front.copy(), period_forces=forces[..., pm.side].sum(axis=1),
        period_losses=losses[..., pm.side].sum(axis=1), period_held=held.copy())
    record = PeriodRecord(
        **moves, coup_hazard=regime["hazard"], coup_attempt=regime["attempt"],
        plotter=regime["plotter"], coup_success=regime["success"],
        successor=regime["successor"], mobilization_probability=mob_p, mobilized=called,
        ceasefire_broke_down=broke, **choice)
    return new, forces, record


def _move_influence(influence, source_mask, target_weight, share):
    """Move ``share`` of the influence of factions in ``source_mask`` (R, K) to the others."""
    taken = influence * source_mask * share[:, None]
    total = target_weight.sum(axis=1, keepdims=True)
    dist = np.divide(target_weight, total, out=np.zeros_like(target_weight), where=total > 0)
    return influence - taken + taken.sum(axis=1, keepdims=True) * dist


def _personnel(pm, pw, ps, influence, blame, u, ev, day):
    mil = pm.military
    per = pw.personnel
    k = influence.shape[1]
    milmask = np.zeros((len(blame), k))
    milmask[:, mil] = 1
    hard_w = influence * pm.hardliners * ps.alive
    # a hardliner's post over the regular forces answers the blame on their command
    first = ev[:, EVENT_INDEX["hardliner_promoted"]] < 0
    promoted = first & per.promote_hardliner.fires(blame[:, mil], u["promote_hardliner"])
    _event(ev, "hardliner_promoted", promoted, day)
    gain = np.where(promoted, per.promotion_gain, 0.0)
    first = ev[:, EVENT_INDEX["defense_minister_dismissed"]] < 0
    minister = first & per.dismiss_minister.fires(blame[:, mil], u["dismiss_minister"])
    _event(ev, "defense_minister_dismissed", minister, day)
    blame[:, mil] = np.where(minister, 0.0, blame[:, mil])
    first = ev[:, EVENT_INDEX["chief_of_staff_dismissed"]] < 0
    chief = first & per.dismiss_chief.fires(blame[:, mil], u["dismiss_chief"])
    _event(ev, "chief_of_staff_dismissed", chief, day)
    blame[:, mil] = np.where(chief, blame[:, mil] * 0.5, blame[:, mil])
    influence = _move_influence(influence, milmask, hard_w, gain)
    return influence, blame, {"promoted": promoted, "dismissed_minister": minister,
                              "dismissed_chief": chief}


def successor(plotter, by_influence, plotter_takes_power, u):
    """The faction whose leader takes power after a successful coup, shape ``(R,)``.

    The plotting faction with probability ``plotter_takes_power``, else one drawn from the
    factions by influence (``by_influence``): who steps into the void.
    """
    return np.where(u < plotter_takes_power, plotter, by_influence)


def _regime(pm, pw, ps, influence, blame, setbacks, u, ev, day, forces):
    r = pw.regime
    alive = ps.alive.copy()
    hazard = coup_hazard(r, setbacks, influence, blame, pw.loyalty, pw.armed * alive,
                         pm.military)
    attempt = u["coup_attempt"] < hazard
    _event(ev, "coup_attempt", attempt, day)
    who = draw_index(pw.armed * (1 - pw.loyalty) * influence * alive + 1e-12, u["plotter"])
    rows = np.arange(len(hazard))
    success = attempt & (u["coup_success"] < expit(r.success_intercept
                                                   + r.success_armed * pw.armed[rows, who]))
    redeploy = attempt & (u["redeploy"] < r.redeploy_probability)
    _event(ev, "forces_redeployed", redeploy, day)
    side = pm.side
    pulled = np.where(redeploy[:, None], forces[..., side] * r.redeploy_fraction[:, None], 0.0)
    forces[..., side] -= pulled
    new_leader = successor(who, draw_index(influence * alive, u["successor"]),
                           r.plotter_takes_power, u["takes_power"])
    _event(ev, "leader_change", success, day)
    own_theory = pm.faction_theory[new_leader]
    purge = attempt & ~success & (u["purge_after_failure"] < r.purge_after_failure)
    disloyal = influence * (1 - pw.loyalty) * alive
    purge_base = ~purge & (u["purge"] < r.purge_rate * disloyal.sum(axis=1))
    target = np.where(purge, who, draw_index(disloyal + 1e-12, u["purge_target"]))
    purged = purge | purge_base
    _event(ev, "faction_leader_purged", purged, day)
    broken = np.zeros_like(alive)
    broken[rows[purged], target[purged]] = True
    alive &= ~broken
    influence = _move_influence(influence, broken.astype(float), influence * alive,
                                np.ones(len(hazard)))
    # a new regime starts with a clean slate: the old leader's blame and setbacks are gone
    return {
        "hazard": hazard, "attempt": attempt, "plotter": who, "success": success,
        "successor": np.where(success, new_leader, -1),
        "influence": influence, "alive": alive, "forces": forces,
        "blame": np.where(success[:, None], 0.0, blame),
        "setbacks": np.where(success, 0.0, setbacks),
        "leader_h": np.where(success, pw.hawkishness[rows, new_leader], ps.leader_hawkishness),
        "leader_f": np.where(success, new_leader, ps.leader_faction),
        "theory": np.where(success & (own_theory >= 0), own_theory, ps.theory),
        "redeployed": ps.redeployed + pulled,
        "until": np.where(redeploy, day + r.redeploy_days, ps.redeploy_until),
    }


def mobilization_probability(m: MobilizationWorld, threat, pressure):
    """Chance of calling up this period: ``expit(a + b_T T + b_H H)``, shape ``(R,)``.

    ``T`` is the regime's threat (accumulated setbacks over their scale, at most one) and
    ``H`` hardliner pressure (:func:`~powderkeg.model.politics.hardliner_pressure`): the
    instrument of a leader under pressure, apart from the escalation ladder.
    """
    return expit(m.intercept + m.threat * threat + m.hardliner * pressure)


def _mobilization(pm, pw, ps, threat, pressure, blame, u, ev, day):
    """A call-up at most once: arrivals after the lag, blame at home for the military command."""
    m = pw.mobilization
    if m is None:
        never = np.zeros(len(blame))
        return (ps.mob_from, ps.mob_to, ps.mob_rate), blame, never, never > 0
    first = ev[:, EVENT_INDEX["mobilization"]] < 0
    chance = np.where(first & ~ps.ceasefire, mobilization_probability(m, threat, pressure), 0.0)
    called = u["mobilization"] < chance
    _event(ev, "mobilization", called, day)
    start = day + m.lag_days
    blame = blame.copy()
    blame[:, pm.military] += np.where(called, m.blame_cost, 0.0)
    return (np.where(called, start, ps.mob_from),
            np.where(called, start + m.arrival_days, ps.mob_to),
            np.where(called, m.size / m.arrival_days, ps.mob_rate)), blame, chance, called


def opponent_accepts_probability(c: CeasefireWorld, trend):
    """Chance the opponent accepts a ceasefire: ``expit(a + b B)``, ``B`` the leader's trend.

    With no ceasefire section, ``a`` is infinite and the opponent always accepts.
    """
    return expit(c.accept_intercept + c.accept_trend * trend)


def _ceasefire_breakdown(pw, ps, u, ev, day):
    broke = ps.ceasefire & (u["ceasefire_breakdown"] < pw.ceasefire.breakdown)
    _event(ev, "ceasefire_broke_down", broke, day)
    return replace(ps, ceasefire=ps.ceasefire & ~broke), broke


def _escalation(pm, pw, ps, pressure, threat, trend_km, u, ev, day):
    features = {
        "H": pressure,
        "T": threat,
        "B": np.tanh(trend_km / pw.trend_scale),
        "R": ps.resolve_a / (ps.resolve_a + ps.resolve_b),
        "C": np.max(np.where(ps.crossed, ps.credibility, 0.0), axis=1, initial=0.0),
        "O": (ps.offramp_left > 0).astype(float),
    }
    w0, w1 = pw.w_by_theory
    w = {t: np.where(ps.theory == 0, w0[t], w1[t]) for t in w0}
    active = ~ps.ceasefire
    offered = active & (ps.offramp_left > 0)
    leader = u["leader_accepts"] < expit(w["accept_intercept"] + w["accept_threat"]
                                         * features["T"])
    opponent = u["opponent_accepts"] < opponent_accepts_probability(pw.ceasefire,
                                                                    features["B"])
    both = offered & leader & opponent
    _event(ev, "ceasefire", both, day)
    ceasefire = ps.ceasefire | both
    probabilities = choice_probabilities(utilities(ps.rung, pw.rung_cost, w, features),
                                         pw.precision)
    step = choose(probabilities, u["rung"])
    step = np.where(ceasefire, 0, step)
    rung = ps.rung + step
    up = step > 0
    entered = up & (rung > ps.max_rung)
    rows = np.arange(len(rung))
    max_rung = np.maximum(ps.max_rung, rung)
    strong = up & (u["response"] < pw.strong_probability)
    resolve = update_resolve(ps.resolve_a, ps.resolve_b, up, strong)
    # a strong response crosses its red lines now; the leader weighs them at the next decision
    carried = strong[:, None] & pm.red_line_on_strong[None, :]
    credibility = update_credibility(ps.credibility, ps.crossed | carried, up,
                                     pw.credibility_loss)
    gain = np.where(strong, np.minimum(ps.opponent_gain * (1 + pw.strong_gain), pw.strong_cap),
                    ps.opponent_gain)
    offramp_left = np.where(up & ~strong, pw.offramp_periods, np.maximum(ps.offramp_left - 1, 0))
    offramp_left = np.where(ceasefire, 0, offramp_left)
    loss_now = np.where(entered, pw.rung_opponent_loss[rows, rung], 0.0)
    choice = {"offer_open": offered, "leader_accepts": leader, "opponent_accepts": opponent,
              "rung_probabilities": probabilities, "rung_step": step, "strong_response": strong}
    return (rung, max_rung, ceasefire, offramp_left, resolve, credibility, gain, loss_now,
            carried, choice)
