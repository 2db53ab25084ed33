"""The Kremlin half composed: politics state, its decision period, and its couplings.

Every ``decision_period_days`` the period's battlefield record (ground and objectives lost,
losses, symbolic blows, red lines crossed) feeds, in this order: blame and influence
(:mod:`~powderkeg.model.politics`), the scenario's personnel moves in their order, the
regime's mutiny or coup hazard and the successor of a successful coup, a mobilisation
decision, the breakdown of a ceasefire, a ceasefire by off-ramp (both sides accept an offer
the opponent left open) or by a mediator's offer, the leader's escalation choice
(:mod:`~powderkeg.model.escalation`), then the opponent's response by policy: this ladder
is compiled per run (:mod:`~powderkeg.model.kremlin_ladder`), and so is the mobilisation
(:mod:`~powderkeg.model.kremlin_mobilization`). Each decision draws from its
own named random stream (``politics/<decision>``; a personnel move's is
``politics/<move id>``). A player may fix any of the sides' choices on a decision day
(``politics.decisions``, :func:`fixed_choice`); the period's record keeps every choice with
the model's chances and its own pick beside the one taken. Daily couplings back into the
theater: mobilised reinforcements, the opponent's effectiveness (infrastructure strikes,
Western weapons), forces pulled home during a crisis, and a ceasefire that stops the
fighting while it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from powderkeg.model.elementary import expit
from powderkeg.model.kremlin_blame import blame_period
from powderkeg.model.kremlin_ladder import (
    LADDER_DECISIONS,
    LADDER_STREAMS,
    YES_NO_DECISIONS,
    ladder_period,
    yes_no_batch,
)
from powderkeg.model.kremlin_mobilization import mobilization_period
from powderkeg.model.kremlin_params import PoliticsWorld, ladder_weights
from powderkeg.model.outcomes import DAY
from powderkeg.model.politics import (
    coup_hazard,
    draw_index,
    hardliner_pressure,
)
from powderkeg.model.record import Choice, PeriodRecord
from powderkeg.scenario.politics_schema import MECHANISM_DECISIONS

__all__ = ["PoliticsState", "init_politics", "politics_period", "DECISIONS",
           "MEDIATION_DECISIONS", "successor", "fixed_choice", "index_dtype", "home_front",
           "home_draws", "after_blame", "closed_period"]

_YES_NO = ("no", "yes")
_STEP_OPTIONS = ("down", "hold", "up")  # the rung's, as STEPS -1, 0, +1


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


def politics_period(pm, pw, ps, streams, runs, day, front, forces, losses, held, obj_sector):
    """One decision period: :func:`home_front`, the mobilisation (:func:`_mobilization`), the
    ladder (:func:`_ladder`), then :func:`closed_period`.

    Returns the new politics state, the forces after crises and the period's
    :class:`~powderkeg.model.record.PeriodRecord`.
    """
    ev = ps.event_day.copy()
    fixed = pm.decisions.get(day, {})
    choices: dict[str, Choice] = {}
    ps, forces, home = home_front(pm, pw, ps, streams, runs, day, front, forces, losses, held,
                                  obj_sector, ev, fixed, choices)
    home["mob"], home["blame"], home["mob_p"], home["called"] = _mobilization(
        pm, pw, ps, streams, runs, day, home["threat"], home["pressure"], home["blame"], ev,
        fixed, choices)
    ladder, choice = _ladder(pm, pw, ps, streams, runs, day, home["pressure"], home["threat"],
                             home["trend_km"], ev, fixed, choices)
    return closed_period(pm, ps, home, ladder, choice, ev, front, forces, losses, held,
                         choices)


def home_front(pm, pw, ps, streams, runs, day, front, forces, losses, held, obj_sector, ev,
               fixed, choices):
    """The period up to the mobilisation: blame and influence
    (:func:`~powderkeg.model.kremlin_blame.blame_period`), then :func:`after_blame`.

    Returns the politics state with the regime's changes, the forces after a redeployment
    home and the rest as a mapping; events go into ``ev``, choices into ``choices``.
    """
    score, lost_km, lost_obj, share, trend_km, blame, _, setbacks, influence = blame_period(
        1.0 if pm.side == 1 else -1.0, front, ps.period_front, held, ps.period_held,
        obj_sector, pm.sector_faction, pm.military,
        np.stack([getattr(pw.blame, f.name) for f in fields(pw.blame)], axis=1),
        np.ascontiguousarray(losses), pm.side, ps.period_losses, ps.period_forces, ps.symbolic,
        ps.blame, ps.alive, ps.setbacks, ps.influence, pw.hawkishness)
    causes = {"km_lost": lost_km, "objectives_lost": lost_obj, "loss_share": share,
              "symbolic_hits": ps.symbolic.copy()}
    return after_blame(pm, pw, ps, home_draws(pm, streams, runs, day), ev, day, fixed, choices,
                       forces.copy(), influence, blame, setbacks,
                       {"trend_km": trend_km, "score": score, "causes": causes})


def home_draws(pm, streams, runs, day):
    """The period's uniforms ``(R,)`` of the decisions before the mobilisation, by name:
    the regime's streams and the personnel moves' (``politics/<name>``)."""
    names = tuple(x for x in DECISIONS if x not in LADDER_STREAMS + ("mobilization",)) \
        + pm.move_ids
    return {name: streams.uniform(f"politics/{name}", runs, day)[:, 0] for name in names}


def after_blame(pm, pw, ps, u, ev, day, fixed, choices, forces, influence, blame, setbacks,
                period):
    """The period after blame and influence: personnel moves, the regime's hazard,
    successor and purges, the threat and hardliner pressure, from the uniforms ``u``
    (:func:`home_draws`); ``forces`` is changed in place, ``period`` (the blame's trend,
    score and causes) joins the returned mapping."""
    influence, blame, moves = _personnel(pm, pw, ps, influence, blame, u, ev, day, fixed,
                                         choices)
    regime = _regime(pm, pw, ps, influence, blame, setbacks, u, ev, day, forces)
    influence, blame, setbacks, forces = regime["influence"], regime["blame"], \
        regime["setbacks"], regime["forces"]
    ps = replace(ps, leader_hawkishness=regime["leader_h"], leader_faction=regime["leader_f"],
                 theory=regime["theory"], alive=regime["alive"],
                 redeployed=regime["redeployed"], redeploy_until=regime["until"])
    threat = np.minimum(1.0, setbacks / pw.threat_scale)
    pressure = hardliner_pressure(influence, pw.hawkishness, ps.leader_hawkishness)
    return ps, forces, {"influence": influence, "blame": blame, "setbacks": setbacks,
                        "threat": threat, "pressure": pressure, **period, "moves": moves,
                        "regime": regime}


def closed_period(pm, ps, home, ladder, choice, ev, front, forces, losses, held, choices):
    """The new politics state, the forces after the opponent's losses on a new rung and the
    period's record, from :func:`home_front`'s ``home`` (with the mobilisation's ``mob``,
    ``blame``, ``mob_p``, ``called``) and the ladder's state fields
    ``ladder`` and record fields ``choice`` (with ``ceasefire_broke_down`` and ``loss_now``)."""
    choice = dict(choice)
    broke = choice.pop("ceasefire_broke_down")
    forces[..., 1 - pm.side] *= (1 - choice.pop("loss_now"))[:, None]
    mob, regime = home["mob"], home["regime"]
    new = replace(
        ps, influence=home["influence"], blame=home["blame"], setbacks=home["setbacks"],
        **ladder, strong_since=np.zeros_like(ps.strong_since),
        symbolic=np.zeros_like(ps.symbolic), mob_from=mob[0], mob_to=mob[1], mob_rate=mob[2],
        event_day=ev, period_front=front.copy(), period_forces=forces[..., pm.side].sum(axis=1),
        period_losses=losses[..., pm.side].sum(axis=1), period_held=held.copy())
    record = PeriodRecord(
        moves=home["moves"], coup_hazard=regime["hazard"], coup_attempt=regime["attempt"],
        plotter=regime["plotter"], coup_success=regime["success"],
        successor=regime["successor"], mobilization_probability=home["mob_p"],
        mobilized=home["called"], ceasefire_broke_down=broke, blame_score=home["score"],
        **home["causes"], **choice, choices=choices)
    return new, forces, record


def fixed_choice(fixed, name, options, probabilities, model, open_) -> Choice:
    """The period's two-way decision ``name``: the player's value ``fixed[name]`` where the
    decision is open, else the model's own pick (:func:`~powderkeg.model.kremlin_ladder.yes_no`,
    the one place a fixed decision replaces the model's; the rung's is
    :func:`~powderkeg.model.kremlin_ladder.taken_step`).

    ``probabilities`` ``(R, 2)`` are the model's chances of ``options``, ``model`` ``(R,)``
    the index its own draw picked and a fixed value the index of an option
    (:func:`~powderkeg.scenario.decisions.compiled_decisions`).
    """
    taken, on = yes_no_batch(np.ascontiguousarray(probabilities[:, 1]), model,
                             np.ascontiguousarray(open_, dtype=bool), fixed.get(name, -1))
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


def _mobilization(pm, pw, ps, streams, runs, day, threat, pressure, blame, ev, fixed,
                  choices):
    """The period's call-up (:func:`~powderkeg.model.kremlin_mobilization.mobilization_period`):
    the arrival schedule (from, to, rate), the blame with the military command's cost, the
    chance and whether it called up ``(R,)``; the choice goes into ``choices``, the event into
    ``ev``."""
    m = pw.mobilization
    if m is None:
        never = np.zeros(len(blame))
        return (ps.mob_from, ps.mob_to, ps.mob_rate), blame, never, never > 0
    called, added, schedule, choice = mobilization_period(
        np.uint64(streams.key("politics/mobilization")), np.ascontiguousarray(runs, np.int64),
        day, ev[:, pm.event("mobilization")] < 0, ps.ceasefire,
        np.stack([getattr(m, f.name) for f in fields(m)], axis=1), threat, pressure,
        fixed.get("mobilize", -1), ps.mob_from, ps.mob_to, ps.mob_rate)
    chance = choice[:, 0].copy()
    choices["mobilize"] = Choice(_YES_NO, np.stack([1 - chance, chance], axis=1),
                                 choice[:, 1].astype(np.int64), choice[:, 2].astype(np.int64),
                                 choice[:, 3] > 0, choice[:, 4] > 0)
    _event(pm, ev, "mobilization", called, day)
    blame = blame.copy()
    blame[:, pm.military] += added
    return tuple(schedule[:, j].copy() for j in range(3)), blame, chance, called


def _ladder(pm, pw, ps, streams, runs, day, pressure, threat, trend_km, ev, fixed, choices):
    """The period's ladder (:func:`~powderkeg.model.kremlin_ladder.ladder_period`) from the
    pressure, threat and trend ``(R,)``: the new state's ladder fields, and the period
    record's with the breakdown and the opponent's loss now; the choices go into
    ``choices`` and the events into ``ev``."""
    med = pw.mediation
    keys = np.array([streams.key(f"politics/{x}") if med is not None
                     or x not in MEDIATION_DECISIONS else 0 for x in LADDER_STREAMS], np.uint64)
    n = len(ps.rung)
    mediation = np.zeros((n, 3)) if med is None else np.stack(
        [med.offer_per_period, med.leader_shift, med.opponent_shift], axis=1)
    flags, ceasefire, step, rung, max_rung, resolve, credibility, carried, gain, left, \
        loss_now, chance, models, taken, opened, was_fixed, probabilities = ladder_period(
            keys, np.ascontiguousarray(runs, dtype=np.int64), day, ps.ceasefire, pressure,
            threat, trend_km, pw.trend_scale, ps.resolve_a, ps.resolve_b, ps.crossed,
            ps.credibility, ps.offramp_left, ladder_weights(pw), ps.theory, ps.rung,
            ps.max_rung, pw.rung_cost, pw.precision,
            np.stack([pw.ceasefire.accept_intercept, pw.ceasefire.accept_trend], axis=1),
            pw.ceasefire.breakdown, med is not None, mediation,
            np.array(pm.mediation_needs), pw.strong_probability, pw.strong_gain,
            pw.strong_cap, pw.offramp_periods, pw.credibility_loss, pm.red_line_on_strong,
            pw.rung_opponent_loss, ps.opponent_gain,
            np.array([fixed.get(x, -1) for x in LADDER_DECISIONS], np.int64))
    broke, offered, mediated, agreed = (flags[:, j].copy() for j in range(4))
    yes = taken == 1
    _event(pm, ev, "ceasefire_broke_down", broke, day)
    if med is not None:
        _event(pm, ev, "mediation_offered", mediated, day)
    _event(pm, ev, "ceasefire", offered & yes[:, 0] & yes[:, 1] | agreed, day)
    names = YES_NO_DECISIONS[:2] + (YES_NO_DECISIONS[2:4] if med is not None else ())
    for name in names + ("rung", "response"):
        j = LADDER_DECISIONS.index(name)
        if name == "rung":
            options, p = _STEP_OPTIONS, probabilities
        else:
            options = ("weak", "strong") if name == "response" else _YES_NO
            p = np.stack([1 - chance[:, j], chance[:, j]], axis=1)
        choices[name] = Choice(options, p, models[:, j].copy(), taken[:, j].copy(),
                               opened[:, j].copy(), was_fixed[:, j].copy())
    state = {"rung": rung, "max_rung": max_rung, "ceasefire": ceasefire,
             "offramp_left": left, "resolve_a": resolve[:, 0].copy(),
             "resolve_b": resolve[:, 1].copy(), "credibility": credibility,
             "crossed": carried, "opponent_gain": gain}
    record = {"offer_open": offered, "leader_accepts": yes[:, 0].copy(),
              "opponent_accepts": yes[:, 1].copy(), "mediation_offered": mediated,
              "mediated_ceasefire": agreed, "rung_probabilities": probabilities,
              "rung_step": step, "strong_response": yes[:, 4].copy(),
              "ceasefire_broke_down": broke, "loss_now": loss_now}
    return state, record
