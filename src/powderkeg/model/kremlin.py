"""The Kremlin half composed: politics state, its decision period, and its couplings.

Every ``decision_period_days`` the period's battlefield record (ground and objectives lost,
losses, symbolic blows, red lines crossed) feeds, in this order: blame and influence
(:mod:`~powderkeg.model.politics`), the scenario's personnel moves in their order, the
regime's mutiny or coup hazard and the successor of a successful coup, a mobilisation
decision, the breakdown of a ceasefire, a ceasefire by off-ramp (both sides accept an offer
the opponent left open) or by a mediator's offer, the leader's escalation choice
(:func:`leader_escalation_step`, :mod:`~powderkeg.model.escalation`), then the opponent's
response by policy. Each decision draws from its own named random stream
(``politics/<decision>``; a personnel move's is ``politics/<move id>``). A player may fix any
of the sides' choices on a decision day (``politics.decisions``, :func:`fixed_choice`); the
period's record keeps every choice with the model's chances and its own pick beside the one
taken. Daily couplings back into
the theater: mobilised reinforcements, the opponent's effectiveness (infrastructure strikes,
Western weapons), forces pulled home during a crisis, and a ceasefire that stops the
fighting while it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from powderkeg.model.elementary import expit, tanh
from powderkeg.model.escalation import (
    choice_probabilities,
    choose,
    update_credibility,
    update_resolve,
    utilities,
)
from powderkeg.model.kremlin_params import (
    CeasefireWorld,
    MediationWorld,
    MobilizationWorld,
    PoliticsWorld,
)
from powderkeg.model.outcomes import DAY
from powderkeg.model.politics import (
    coup_hazard,
    draw_index,
    hardliner_pressure,
    shift_influence,
)
from powderkeg.model.record import Choice, PeriodRecord
from powderkeg.scenario.politics_schema import MECHANISM_DECISIONS

__all__ = ["PoliticsState", "init_politics", "politics_period", "DECISIONS",
           "MEDIATION_DECISIONS", "successor", "mobilization_probability",
           "leader_accepts_probability", "opponent_accepts_probability",
           "leader_escalation_step", "fixed_choice", "index_dtype"]

_YES_NO = ("no", "yes")
_STEP_OPTIONS = ("down", "hold", "up")  # the rung's, as STEPS -1, 0, +1
_HOLD = 1  # index of holding among the rung's options


MEDIATION_DECISIONS = ("mediation_offer", "mediation_leader", "mediation_opponent")
DECISIONS = tuple(x for x in MECHANISM_DECISIONS if x not in MEDIATION_DECISIONS)
"""Streams drawn every period (``politics/<name>``); personnel moves add their ids, a
mediation section :data:`MEDIATION_DECISIONS`."""


@dataclass(frozen=True)
class PoliticsState:
    influence: np.ndarray  # (R, K)
    blame: np.ndarray  # (R, K) unanswered
    setbacks: np.ndarray  # (R,) accumulated, with memory
    rung: np.ndarray  # (R,) index_dtype(rungs)
    max_rung: np.ndarray  # (R,) index_dtype(rungs)
    resolve_a: np.ndarray
    resolve_b: np.ndarray
    credibility: np.ndarray  # (R, L)
    crossed: np.ndarray  # (R, L) this period
    strong_since: np.ndarray  # (R,) a strong response happened this period
    symbolic: np.ndarray  # (R,) symbolic hits this period
    offramp_left: np.ndarray  # (R,) periods an offer stays open
    leader_hawkishness: np.ndarray
    leader_faction: np.ndarray  # (R,) index_dtype(factions); -1: the scenario's leader
    theory: np.ndarray  # (R,) index_dtype(theories): theory the leader in power follows
    alive: np.ndarray  # (R, K) faction not broken by a purge
    opponent_gain: np.ndarray  # (R,) effectiveness from Western weapons
    ceasefire: np.ndarray  # (R,) bool
    redeployed: np.ndarray  # (R, S) personnel pulled home
    redeploy_until: np.ndarray  # (R,)
    mob_from: np.ndarray
    mob_to: np.ndarray
    mob_rate: np.ndarray
    event_day: np.ndarray  # (R, n_events) outcomes.DAY: first day, -1 if not yet
    period_front: np.ndarray  # (R, S) front at the start of the period
    period_forces: np.ndarray  # (R,) own forces at the start of the period
    period_losses: np.ndarray  # (R,) own cumulative losses then
    period_held: np.ndarray  # (R, O) objectives held then


def index_dtype(n: int) -> np.dtype:
    """The smallest signed integer dtype that holds every index ``-1 .. n - 1``.

    >>> index_dtype(3), index_dtype(128), index_dtype(129)
    (dtype('int8'), dtype('int8'), dtype('int16'))
    """
    return np.min_scalar_type(-max(n, 1))


def init_politics(pm, pw: PoliticsWorld, front, forces, objectives_held, n_sectors):
    n = len(pw.theory)
    k = len(pm.faction_ids)
    zeros = np.zeros(n)
    rungs = index_dtype(len(pm.rung_ids))
    return PoliticsState(
        influence=pw.influence.copy(), blame=pw.blame0.copy(), setbacks=pw.setbacks0.copy(),
        rung=np.full(n, pm.start_rung, rungs), max_rung=np.full(n, pm.start_rung, rungs),
        resolve_a=pw.resolve0[0] * np.ones(n), resolve_b=pw.resolve0[1] * np.ones(n),
        credibility=pw.credibility0.copy(),
        crossed=np.zeros(pw.credibility0.shape, dtype=bool),
        strong_since=np.zeros(n, dtype=bool), symbolic=zeros.copy(),
        offramp_left=zeros.copy(), leader_hawkishness=pw.leader_hawkishness.copy(),
        leader_faction=np.full(n, -1, index_dtype(k)),
        theory=pw.theory.astype(index_dtype(len(pm.theory_ids))),
        alive=np.ones((n, k), dtype=bool),
        opponent_gain=np.ones(n), ceasefire=np.zeros(n, dtype=bool),
        redeployed=np.zeros((n, n_sectors)), redeploy_until=np.full(n, np.inf),
        mob_from=np.full(n, np.inf), mob_to=np.full(n, np.inf), mob_rate=zeros.copy(),
        event_day=np.full((n, len(pm.event_ids)), -1, DAY), period_front=front.copy(),
        period_forces=forces[..., pm.side].sum(axis=1), period_losses=zeros.copy(),
        period_held=objectives_held.copy(),
    )


def _event(pm, ps_event_day, name, mask, day):
    j = pm.event(name)
    new = mask & (ps_event_day[:, j] < 0)
    ps_event_day[:, j] = np.where(new, day, ps_event_day[:, j])


def _period_blame(pm, pw, ps, front, forces, losses, held, obj_sector):
    """Blame per faction of the period just ended, its trend in km, and what caused it: the
    km each sector lost ``(R, S)``, the objectives lost ``(R, O)``, the own losses as a share
    of the force ``(R,)`` and the symbolic blows ``(R,)``, for the period's record."""
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
    causes = {"km_lost": lost_km, "objectives_lost": ps.period_held & ~held,
              "loss_share": share, "symbolic_hits": ps.symbolic.copy()}
    return score, trend, causes


def politics_period(pm, pw, ps, streams, runs, day, front, forces, losses, held, obj_sector):
    """One decision period.

    Returns the new politics state, the forces after crises and the period's
    :class:`~powderkeg.model.record.PeriodRecord`.
    """
    names = DECISIONS + pm.move_ids + (MEDIATION_DECISIONS if pw.mediation is not None else ())
    u = {name: streams.uniform(f"politics/{name}", runs, day)[:, 0] for name in names}
    forces = forces.copy()
    ev = ps.event_day.copy()
    fixed = pm.decisions.get(day, {})
    choices: dict[str, Choice] = {}
    score, trend_km, causes = _period_blame(pm, pw, ps, front, forces, losses, held,
                                            obj_sector)
    blame = np.maximum(ps.blame * (1 - pw.blame.decay[:, None]) + score, 0.0) * ps.alive
    credit = np.maximum(-score, 0.0)
    setbacks = ps.setbacks * pw.blame.setback_memory + np.maximum(score.sum(axis=1), 0)
    influence = shift_influence(ps.influence, pw.hawkishness * ps.alive, blame, credit,
                                pw.blame.influence_shift)
    influence, blame, moves = _personnel(pm, pw, ps, influence, blame.copy(), u, ev, day,
                                         fixed, choices)
    regime = _regime(pm, pw, ps, influence, blame, setbacks, u, ev, day, forces)
    influence, blame, setbacks, forces = regime["influence"], regime["blame"], \
        regime["setbacks"], regime["forces"]
    ps = replace(ps, leader_hawkishness=regime["leader_h"], leader_faction=regime["leader_f"],
                 theory=regime["theory"], alive=regime["alive"],
                 redeployed=regime["redeployed"], redeploy_until=regime["until"])
    threat = np.minimum(1.0, setbacks / pw.threat_scale)
    pressure = hardliner_pressure(influence, pw.hawkishness, ps.leader_hawkishness)
    mob, blame, mob_p, called = _mobilization(pm, pw, ps, threat, pressure, blame, u, ev, day,
                                              fixed, choices)
    ps, broke = _ceasefire_breakdown(pm, pw, ps, u, ev, day)
    rung, max_rung, ceasefire, offramp_left, resolve, credibility, gain, loss_now, carried, \
        choice = _escalation(pm, pw, ps, pressure, threat, trend_km, u, ev, day, fixed,
                             choices)
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
        moves=moves, coup_hazard=regime["hazard"], coup_attempt=regime["attempt"],
        plotter=regime["plotter"], coup_success=regime["success"],
        successor=regime["successor"], mobilization_probability=mob_p, mobilized=called,
        ceasefire_broke_down=broke, blame_score=score, **causes, **choice, choices=choices)
    return new, forces, record


def fixed_choice(fixed, name, options, probabilities, model, open_, fallback=None) -> Choice:
    """The period's decision ``name``: the player's value ``fixed[name]`` where the decision
    is open, else the model's own pick; the one place a fixed decision replaces the model's.

    ``probabilities`` ``(R, n)`` are the model's chances of ``options``, ``model`` ``(R,)``
    the index its own draw picked and a fixed value the index of an option
    (:func:`~powderkeg.scenario.decisions.compiled_decisions`). With ``fallback``, a fixed
    option the model gives no chance (a step off the ladder) becomes that option (holding).
    """
    index = fixed.get(name)
    on = open_ & (index is not None)
    if index is None:
        taken = model
    else:
        if fallback is not None:
            index = np.where(probabilities[:, index] > 0, index, fallback)
        taken = np.where(on, index, model)
    return Choice(options, probabilities, model, taken, open_, on)


def _yes_no(fixed, choices, name, p, model, open_, options=_YES_NO) -> np.ndarray:
    """A two-way decision with chance ``p`` ``(R,)`` of its second option, whose own draw
    said ``model``: recorded in ``choices``, and returned as taken (the second option)."""
    p = np.broadcast_to(np.asarray(p, dtype=float), model.shape)
    c = fixed_choice(fixed, name, options, np.stack([1 - p, p], axis=1), model.astype(int),
                     open_)
    choices[name] = c
    return c.taken == 1


def _move_influence(influence, source_mask, target_weight, share):
    """Move ``share`` of the influence of factions in ``source_mask`` (R, K) to the others."""
    taken = influence * source_mask * share[:, None]
    total = target_weight.sum(axis=1, keepdims=True)
    dist = np.divide(target_weight, total, out=np.zeros_like(target_weight), where=total > 0)
    return influence - taken + taken.sum(axis=1, keepdims=True) * dist


def _personnel(pm, pw, ps, influence, blame, u, ev, day, fixed, choices):
    """The scenario's personnel moves in their order, each at most once: a move answering the
    faction ``k`` fires with ``expit(a + b blame_k)``, keeps ``blame_kept`` of ``blame_k`` and
    moves ``influence_moved`` of ``k``'s influence to the gaining factions, by influence."""
    made = {}
    for j, move in enumerate(pw.moves):
        k = pm.move_faction[j]
        first = ev[:, pm.event(pm.move_events[j])] < 0
        p = move.chance.probability(blame[:, k])
        fired = _yes_no(fixed, choices, pm.move_ids[j], np.where(first, p, 0.0),
                        first & (u[pm.move_ids[j]] < p), first)
        _event(pm, ev, pm.move_events[j], fired, day)
        blame[:, k] = np.where(fired, blame[:, k] * pm.move_blame_kept[j], blame[:, k])
        if pm.move_gainers[j].any():
            source = np.zeros(influence.shape)
            source[:, k] = 1
            influence = _move_influence(influence, source,
                                        influence * pm.move_gainers[j] * ps.alive,
                                        np.where(fired, move.influence_moved, 0.0))
        made[pm.move_ids[j]] = fired
    return influence, blame, made


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
    _event(pm, ev, "coup_attempt", attempt, day)
    who = draw_index(pw.armed * (1 - pw.loyalty) * influence * alive + 1e-12, u["plotter"])
    rows = np.arange(len(hazard))
    success = attempt & (u["coup_success"] < expit(r.success_intercept
                                                   + r.success_armed * pw.armed[rows, who]))
    redeploy = attempt & (u["redeploy"] < r.redeploy_probability)
    _event(pm, ev, "forces_redeployed", redeploy, day)
    side = pm.side
    pulled = np.where(redeploy[:, None], forces[..., side] * r.redeploy_fraction[:, None], 0.0)
    forces[..., side] -= pulled
    new_leader = successor(who, draw_index(influence * alive, u["successor"]),
                           r.plotter_takes_power, u["takes_power"])
    _event(pm, ev, "leader_change", success, day)
    own_theory = pm.faction_theory[new_leader]
    purge = attempt & ~success & (u["purge_after_failure"] < r.purge_after_failure)
    disloyal = influence * (1 - pw.loyalty) * alive
    purge_base = ~purge & (u["purge"] < r.purge_rate * disloyal.sum(axis=1))
    target = np.where(purge, who, draw_index(disloyal + 1e-12, u["purge_target"]))
    purged = purge | purge_base
    _event(pm, ev, "faction_leader_purged", purged, day)
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
        "leader_f": np.where(success, new_leader, ps.leader_faction).astype(
            ps.leader_faction.dtype),
        "theory": np.where(success & (own_theory >= 0), own_theory, ps.theory).astype(
            ps.theory.dtype),
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


def _mobilization(pm, pw, ps, threat, pressure, blame, u, ev, day, fixed, choices):
    """A call-up at most once: arrivals after the lag, blame at home for the military command."""
    m = pw.mobilization
    if m is None:
        never = np.zeros(len(blame))
        return (ps.mob_from, ps.mob_to, ps.mob_rate), blame, never, never > 0
    first = ev[:, pm.event("mobilization")] < 0
    chance = np.where(first & ~ps.ceasefire, mobilization_probability(m, threat, pressure), 0.0)
    called = _yes_no(fixed, choices, "mobilize", chance, u["mobilization"] < chance,
                     first & ~ps.ceasefire)
    _event(pm, ev, "mobilization", called, day)
    start = day + m.lag_days
    blame = blame.copy()
    blame[:, pm.military] += np.where(called, m.blame_cost, 0.0)
    return (np.where(called, start, ps.mob_from),
            np.where(called, start + m.arrival_days, ps.mob_to),
            np.where(called, m.size / m.arrival_days, ps.mob_rate)), blame, chance, called


def opponent_accepts_probability(c: CeasefireWorld, trend, shift=0.0):
    """Chance the opponent accepts a ceasefire: ``expit(a + b B + s)``, shape ``(R,)``.

    ``B`` is the leader's battlefield trend and ``s`` a shift of the log-odds (a mediator's
    offer: ``politics.mediation.opponent_shift``). With no ceasefire section, ``a`` is
    infinite and the opponent always accepts.
    """
    return expit(c.accept_intercept + c.accept_trend * trend + shift)


def leader_accepts_probability(w, threat, shift=0.0):
    """Chance the leader takes an offered way out: ``expit(a_k + b_k T + s)``, shape ``(R,)``.

    ``a_k``, ``b_k`` are the ``accept_intercept``, ``accept_threat`` of the theory ``k`` the
    leader follows, ``T`` the regime's threat and ``s`` a shift of the log-odds (a mediator's
    offer: ``politics.mediation.leader_shift``).
    """
    return expit(w["accept_intercept"] + w["accept_threat"] * threat + shift)


def _mediated_ceasefire(pm, m: MediationWorld, pw, w, features, active, u, fixed, choices):
    """A mediator's offer this period (``u < offer_per_period`` while the war goes on) and
    whether it holds: every side of ``must_accept`` accepts (:func:`leader_accepts_probability`,
    :func:`opponent_accepts_probability` with the mediation's shifts)."""
    offered = active & (u["mediation_offer"] < m.offer_per_period)
    p_leader = leader_accepts_probability(w, features["T"], m.leader_shift)
    leader = _yes_no(fixed, choices, "accept_mediation", p_leader,
                     u["mediation_leader"] < p_leader, offered)
    p_opponent = opponent_accepts_probability(pw.ceasefire, features["B"], m.opponent_shift)
    opponent = _yes_no(fixed, choices, "opponent_accepts_mediation", p_opponent,
                       u["mediation_opponent"] < p_opponent, offered)
    needs_leader, needs_opponent = pm.mediation_needs
    agreed = offered & (leader | (not needs_leader)) & (opponent | (not needs_opponent))
    return offered, agreed


def _ceasefire_breakdown(pm, pw, ps, u, ev, day):
    broke = ps.ceasefire & (u["ceasefire_breakdown"] < pw.ceasefire.breakdown)
    _event(pm, ev, "ceasefire_broke_down", broke, day)
    return replace(ps, ceasefire=ps.ceasefire & ~broke), broke


def _theory_weights(w_by_theory, theory):
    """Each run's utility weights, those of the theory it follows: term -> ``(R,)``."""
    return {t: np.choose(theory, [w[t] for w in w_by_theory]) for t in w_by_theory[0]}


def leader_escalation_step(rung, cost, w, features, precision, ceasefire, u):
    """The Kremlin's decision of the period: rung probabilities ``(R, 3)`` and the step taken
    ``(R,)`` in -1, 0, +1.

    The leader's logit choice ``P(Delta) ∝ exp(lambda U(Delta))``
    (:func:`~powderkeg.model.escalation.utilities`, McKelvey & Palfrey 1995,
    doi:10.1006/game.1995.1023) drawn at uniforms ``u``; no step while a ceasefire holds.
    """
    probabilities = choice_probabilities(utilities(rung, cost, w, features), precision)
    step = np.where(ceasefire, 0, choose(probabilities, u))
    return probabilities, step


def _escalation(pm, pw, ps, pressure, threat, trend_km, u, ev, day, fixed, choices):
    features = {
        "H": pressure,
        "T": threat,
        "B": tanh(trend_km / pw.trend_scale),
        "R": ps.resolve_a / (ps.resolve_a + ps.resolve_b),
        "C": np.max(np.where(ps.crossed, ps.credibility, 0.0), axis=1, initial=0.0),
        "O": (ps.offramp_left > 0).astype(float),
    }
    w = _theory_weights(pw.w_by_theory, ps.theory)
    active = ~ps.ceasefire
    offered = active & (ps.offramp_left > 0)
    p_leader = leader_accepts_probability(w, features["T"])
    leader = _yes_no(fixed, choices, "accept_offramp", p_leader,
                     u["leader_accepts"] < p_leader, offered)
    p_opponent = opponent_accepts_probability(pw.ceasefire, features["B"])
    opponent = _yes_no(fixed, choices, "opponent_accepts", p_opponent,
                       u["opponent_accepts"] < p_opponent, offered)
    both = offered & leader & opponent
    if pw.mediation is not None:
        mediated, agreed = _mediated_ceasefire(pm, pw.mediation, pw, w, features,
                                               active & ~both, u, fixed, choices)
        _event(pm, ev, "mediation_offered", mediated, day)
    else:
        mediated = agreed = np.zeros_like(both)
    _event(pm, ev, "ceasefire", both | agreed, day)
    ceasefire = ps.ceasefire | both | agreed
    probabilities, own = leader_escalation_step(ps.rung, pw.rung_cost, w, features,
                                                pw.precision, ceasefire, u["rung"])
    rung_choice = fixed_choice(fixed, "rung", _STEP_OPTIONS, probabilities, own + 1,
                               ~ceasefire, fallback=_HOLD)
    choices["rung"] = rung_choice
    step = rung_choice.taken - 1
    rung = (ps.rung + step).astype(ps.rung.dtype)
    up = step > 0
    entered = up & (rung > ps.max_rung)
    rows = np.arange(len(rung))
    max_rung = np.maximum(ps.max_rung, rung)
    strong = _yes_no(fixed, choices, "response", np.where(up, pw.strong_probability, 0.0),
                     up & (u["response"] < pw.strong_probability), up, ("weak", "strong"))
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
              "mediation_offered": mediated, "mediated_ceasefire": agreed,
              "rung_probabilities": probabilities, "rung_step": step, "strong_response": strong}
    return (rung, max_rung, ceasefire, offramp_left, resolve, credibility, gain, loss_now,
            carried, choice)
