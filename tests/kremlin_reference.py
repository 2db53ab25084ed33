"""The former NumPy batch code of the Kremlin's decision period (blame to the escalation
ladder), kept only as the tests' reference: ``politics_period`` here is the period as it
was before the blame and influence, the mobilisation and the ladder were compiled per run
(:mod:`powderkeg.model.kremlin_blame`, :mod:`powderkeg.model.kremlin_mobilization`,
:mod:`powderkeg.model.kremlin_ladder`), and
the tests compare the two bit for bit; so are the step's former ``crisis_returns`` and
``opponent_multiplier``. The escalation equations over a batch are those of the
former :mod:`powderkeg.model.escalation`; the two-way choices go through the model's
``_yes_no`` (its rule, :func:`fixed_choice` here, is compared on its own)."""
# ruff: noqa: E402
import numpy as np

STEPS = np.array([-1, 0, 1])


def utilities(rung, cost, w, features) -> np.ndarray:
    """Utility of stepping down, holding and up, shape ``(R, 3)``; ``-inf`` off the ladder.

    ``cost`` is ``(R, n_rungs)``; ``w`` and ``features`` are mappings of ``(R,)`` arrays with
    keys hardliner, threat, trend, resolve, red_line, cost, inertia, offramp (weights) and
    H, T, B, R, C, O (features). Weights and features may also be scalars.
    """
    n = cost.shape[1]
    drive = (w["hardliner"] * features["H"] + w["threat"] * features["T"]
             - w["trend"] * features["B"] + w["resolve"] * (features["R"] - 0.5)
             + w["red_line"] * features["C"])
    out = np.empty((len(rung), 3))
    rows = np.arange(len(rung))
    for j, step in enumerate(STEPS):
        target = rung + step
        inside = (target >= 0) & (target < n)
        c = cost[rows, np.clip(target, 0, n - 1)]
        u = (step * drive - w["cost"] * c - w["inertia"] * abs(step)
             + (w["offramp"] * features["O"] if step < 0 else 0.0))
        out[:, j] = np.where(inside, u, -np.inf)
    return out


def choice_probabilities(u: np.ndarray, precision) -> np.ndarray:
    """Logit probabilities ``softmax(lambda u)`` row-wise; options at ``-inf`` get zero."""
    finite = np.isfinite(u)
    z = np.asarray(precision, dtype=float).reshape(-1, 1) * np.where(finite, u, 0.0)
    z = np.where(finite, z, -np.inf)
    z = z - np.max(z, axis=1, keepdims=True)
    e = exp(z)
    return e / e.sum(axis=1, keepdims=True)


def choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Step drawn from probabilities ``p`` (R, 3) by inversion at uniforms ``u``."""
    cum = np.cumsum(p, axis=1)
    return STEPS[np.minimum((cum < u[:, None]).sum(axis=1), 2)]


def update_resolve(alpha, beta, responded, strong):
    """Beta-Bernoulli update of perceived resolve after a response (strong = success)."""
    return alpha + (responded & strong), beta + (responded & ~strong)


def update_credibility(credibility, crossed, answered, loss):
    """Credibility after a period: crossed without an answer loses share ``loss``."""
    ignored = crossed & ~answered[:, None]
    return np.where(ignored, credibility * (1 - loss), credibility)
from dataclasses import replace

from powderkeg.model.elementary import exp, expit, tanh
from powderkeg.model.kremlin import (
    MEDIATION_DECISIONS,
    _event,
    _yes_no,
    after_blame,
    closed_period,
    home_draws,
)
from powderkeg.model.kremlin_ladder import LADDER_STREAMS
from powderkeg.model.kremlin_params import (
    CeasefireWorld,
    MediationWorld,
    MobilizationWorld,
)
from powderkeg.model.record import Choice

_YES_NO = ("no", "yes")
_STEP_OPTIONS = ("down", "hold", "up")
_HOLD = 1


def politics_period(pm, pw, ps, streams, runs, day, front, forces, losses, held, obj_sector):
    """One decision period, the mobilisation and the ladder over the batch: the model's
    :func:`~powderkeg.model.kremlin.home_front`, the former ``_mobilization``,
    ``_ceasefire_breakdown`` and ``_escalation``, the model's
    :func:`~powderkeg.model.kremlin.closed_period`."""
    ev = ps.event_day.copy()
    fixed = pm.decisions.get(day, {})
    choices: dict[str, Choice] = {}
    ps, forces, home = home_front(pm, pw, ps, streams, runs, day, front, forces, losses, held,
                                  obj_sector, ev, fixed, choices)
    names = ("mobilization",) + LADDER_STREAMS[:5] + (
        MEDIATION_DECISIONS if pw.mediation is not None else ())
    u = {name: streams.uniform(f"politics/{name}", runs, day)[:, 0] for name in names}
    home["mob"], home["blame"], home["mob_p"], home["called"] = _mobilization(
        pm, pw, ps, home["threat"], home["pressure"], home["blame"], u, ev, day, fixed, choices)
    ps, broke = _ceasefire_breakdown(pm, pw, ps, u, ev, day)
    rung, max_rung, ceasefire, offramp_left, resolve, credibility, gain, loss_now, carried, \
        choice = _escalation(pm, pw, ps, home["pressure"], home["threat"], home["trend_km"], u,
                             ev, day, fixed, choices)
    ladder = {"rung": rung, "max_rung": max_rung, "ceasefire": ceasefire,
              "offramp_left": offramp_left, "resolve_a": resolve[0], "resolve_b": resolve[1],
              "credibility": credibility, "crossed": carried, "opponent_gain": gain}
    choice.update(ceasefire_broke_down=broke, loss_now=loss_now)
    return closed_period(pm, ps, home, ladder, choice, ev, front, forces, losses, held,
                         choices)


def home_front(pm, pw, ps, streams, runs, day, front, forces, losses, held, obj_sector, ev,
               fixed, choices):
    """The period up to the mobilisation with the former batch blame and influence shift,
    then the model's :func:`~powderkeg.model.kremlin.after_blame`."""
    forces = forces.copy()
    score, trend_km, causes = _period_blame(pm, pw, ps, front, forces, losses, held,
                                            obj_sector)
    blame = np.maximum(ps.blame * (1 - pw.blame.decay[:, None]) + score, 0.0) * ps.alive
    credit = np.maximum(-score, 0.0)
    setbacks = ps.setbacks * pw.blame.setback_memory + np.maximum(score.sum(axis=1), 0)
    influence = shift_influence(ps.influence, pw.hawkishness * ps.alive, blame, credit,
                                pw.blame.influence_shift)
    return after_blame(pm, pw, ps, home_draws(pm, streams, runs, day), ev, day, fixed, choices,
                       forces, influence, blame.copy(), setbacks,
                       {"trend_km": trend_km, "score": score, "causes": causes})


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


def shift_influence(influence, hawkishness, blame, credit, rate):
    """The former batch ``politics.shift_influence``: influence moved away from blamed
    factions to their critics, and to credited ones, shape ``(R, K)``."""
    out = influence.copy()
    k = influence.shape[1]
    rate = np.asarray(rate)
    for j in range(k):
        others = np.arange(k) != j
        lose = rate * np.minimum(blame[:, j], 1.0) * out[:, j]
        hawk_gap = np.maximum(hawkishness[:, others] - hawkishness[:, [j]], 0.0)
        weight = out[:, others] * hawk_gap
        weight = np.where(weight.sum(axis=1, keepdims=True) > 0, weight, out[:, others])
        total = weight.sum(axis=1, keepdims=True)
        share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
        lose = np.where(total[:, 0] > 0, lose, 0.0)
        out[:, j] -= lose
        out[:, others] += lose[:, None] * share
        taken = out[:, others] * (rate * np.minimum(credit[:, j], 1.0))[:, None]
        out[:, others] -= taken
        out[:, j] += taken.sum(axis=1)
    return out


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


def crisis_returns(pm, state, ps, day):
    """Forces pulled home in a crisis come back when their time is up."""
    back = day >= ps.redeploy_until
    if not back.any():
        return state, ps
    forces = state.forces.copy()
    forces[back, :, pm.side] += ps.redeployed[back]
    redeployed = np.where(back[:, None], 0.0, ps.redeployed)
    ps = replace(ps, redeployed=redeployed, redeploy_until=np.where(back, np.inf,
                                                                    ps.redeploy_until))
    return replace(state, forces=forces, politics=ps), ps


def opponent_multiplier(pm, pw, ps, runs) -> np.ndarray:
    """Effectiveness multiplier per side ``(R, 1, 2)`` from the ladder and Western weapons."""
    mult = np.ones((runs, 1, 2))
    if ps is not None:
        rows = np.arange(runs)
        mult[:, 0, 1 - pm.side] = pw.rung_opponent_eff[rows, ps.rung] * ps.opponent_gain
    return mult
