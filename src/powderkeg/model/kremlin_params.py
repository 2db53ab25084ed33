"""The politics half's numbers: the scenario's politics compiled once (:class:`PoliticsModel`)
and sampled per run (:class:`PoliticsWorld`), in typed records, one per scenario section.
Theories, policies, personnel moves, roles and events are the scenario's, in its order.

Each record's fields are the section's fields; a field the scenario leaves out takes the
schema's default (:func:`~powderkeg.scenario.base.default_of`), stated once, in the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from powderkeg.model.elementary import expit
from powderkeg.scenario.base import default_of
from powderkeg.scenario.decisions import compiled_decisions
from powderkeg.scenario.politics_schema import (
    Mediation,
    PersonnelMove,
    Politics,
    Regime,
    Rung,
    politics_events,
)

__all__ = ["PoliticsModel", "PoliticsWorld", "BlameWorld", "Logistic", "MoveWorld",
           "RegimeWorld", "MobilizationWorld", "CeasefireWorld", "MediationWorld",
           "build_politics", "sample_politics", "draw_theory", "resolve_prior_share",
           "never_crossed_red_lines", "ladder_weights"]

_TERMS = ("hardliner", "threat", "trend", "resolve", "red_line", "cost", "inertia", "offramp",
          "accept_intercept", "accept_threat")


@dataclass(frozen=True)
class PoliticsModel:
    side: int
    period: int
    faction_ids: tuple[str, ...]
    military: int  # index of the faction of politics.blame.command_role
    sector_faction: np.ndarray  # (S,) faction blamed for each sector
    symbolic_links: np.ndarray
    rung_ids: tuple[str, ...]
    start_rung: int
    red_line_links: np.ndarray  # (L, E) bool
    red_line_on_strong: np.ndarray  # (L,) bool
    theory_ids: tuple[str, ...]  # the scenario's theories, in its order
    theory_weights: tuple[float, ...]  # probability a run draws each
    policy: str
    faction_theory: np.ndarray  # (K,) theory index of each faction's leader in power, -1: none
    event_ids: tuple[str, ...]  # columns of PoliticsState.event_day (politics_events)
    move_ids: tuple[str, ...]  # personnel moves in decision order; stream politics/<id>
    move_events: tuple[str, ...]
    move_faction: np.ndarray  # (M,) faction whose blame drives each move
    move_gainers: np.ndarray  # (M, K) bool: factions that gain influence from each move
    move_blame_kept: np.ndarray  # (M,)
    mediation_needs: tuple[bool, bool]  # (modelled side, opponent) must accept a mediation
    decisions: dict[int, dict[str, int | bool]]  # day -> decision -> a player's fixed value

    def event(self, name: str) -> int:
        """Column of event ``name`` in ``event_day``."""
        return self.event_ids.index(name)


@dataclass(frozen=True)
class MobilizationWorld:
    """Per-run numbers of the mobilisation decision (see :func:`mobilization_probability`)."""

    intercept: np.ndarray  # (R,)
    threat: np.ndarray
    hardliner: np.ndarray
    size: np.ndarray
    lag_days: np.ndarray
    arrival_days: np.ndarray
    blame_cost: np.ndarray


@dataclass(frozen=True)
class CeasefireWorld:
    """Per-run numbers of the opponent's acceptance and of a ceasefire's breakdown."""

    accept_intercept: np.ndarray  # (R,)
    accept_trend: np.ndarray
    breakdown: np.ndarray


@dataclass(frozen=True)
class MediationWorld:
    """Per-run numbers of a third party's ceasefire offer (``politics.mediation``), each
    ``(R,)``."""

    offer_per_period: np.ndarray
    leader_shift: np.ndarray
    opponent_shift: np.ndarray


@dataclass(frozen=True)
class BlameWorld:
    """Per-run numbers of ``politics.blame`` (:class:`~powderkeg.scenario.politics_schema.Blame`),
    each ``(R,)``."""

    per_km_lost: np.ndarray
    per_objective_lost: np.ndarray
    per_loss_share: np.ndarray
    per_symbolic_hit: np.ndarray
    per_km_gained: np.ndarray
    influence_shift: np.ndarray
    decay: np.ndarray
    setback_memory: np.ndarray


@dataclass(frozen=True)
class Logistic:
    """``P = expit(intercept + slope x)`` with per-run coefficients, each ``(R,)``."""

    intercept: np.ndarray
    slope: np.ndarray

    def probability(self, x) -> np.ndarray:
        """``expit(intercept + slope x)``, shape ``(R,)``."""
        return expit(self.intercept + self.slope * x)


@dataclass(frozen=True)
class MoveWorld:
    """Per-run numbers of one personnel move: its chance (``x``: the blame on the faction it
    answers) and the share of that faction's influence it moves."""

    chance: Logistic
    influence_moved: np.ndarray  # (R,)


@dataclass(frozen=True)
class RegimeWorld:
    """Per-run numbers of ``politics.regime`` (:class:`~powderkeg.scenario.politics_schema.
    Regime`), each ``(R,)``: the coup hazard's coefficients and an attempt's consequences."""

    intercept: np.ndarray
    setbacks: np.ndarray
    fragmentation: np.ndarray
    armed_outside: np.ndarray
    unanswered_blame: np.ndarray
    success_intercept: np.ndarray
    success_armed: np.ndarray
    redeploy_probability: np.ndarray
    redeploy_fraction: np.ndarray
    redeploy_days: np.ndarray
    purge_after_failure: np.ndarray
    purge_rate: np.ndarray
    plotter_takes_power: np.ndarray


@dataclass(frozen=True)
class PoliticsWorld:
    """Per-run politics parameters, each with a leading run axis."""

    influence: np.ndarray  # (R, K) normalised
    hawkishness: np.ndarray
    loyalty: np.ndarray
    armed: np.ndarray
    leader_hawkishness: np.ndarray  # (R,)
    theory: np.ndarray  # (R,) index into PoliticsModel.theory_ids, drawn on day 0
    w_by_theory: tuple[dict, ...]  # per theory: term -> (R,) weight
    precision: np.ndarray
    blame: BlameWorld
    moves: tuple[MoveWorld, ...]  # PoliticsModel.move_ids' order
    regime: RegimeWorld
    rung_cost: np.ndarray  # (R, n_rungs)
    mobilization: MobilizationWorld | None
    ceasefire: CeasefireWorld
    mediation: MediationWorld | None
    rung_opponent_eff: np.ndarray  # cumulative product up the ladder
    rung_opponent_loss: np.ndarray
    credibility0: np.ndarray  # (R, L)
    credibility_loss: np.ndarray
    strong_probability: np.ndarray  # (R,) under the scenario's policy
    strong_gain: np.ndarray
    strong_cap: np.ndarray
    offramp_periods: np.ndarray
    resolve0: tuple[np.ndarray, np.ndarray]
    trend_scale: np.ndarray
    threat_scale: np.ndarray
    blame0: np.ndarray  # (R, K)
    setbacks0: np.ndarray  # (R,)


def ladder_weights(pw: PoliticsWorld) -> np.ndarray:
    """Every theory's utility and acceptance weights of each run, ``(R, n_theories, 10)``
    C-order, the terms in the order of ``w_by_theory``'s (the utility's
    :data:`~powderkeg.model.escalation.WEIGHT_TERMS`, then ``accept_intercept``,
    ``accept_threat``), as :func:`~powderkeg.model.kremlin_ladder.ladder_run` reads them."""
    return np.ascontiguousarray(np.stack(
        [np.stack([w[t] for t in _TERMS], axis=1) for w in pw.w_by_theory], axis=1),
        dtype=float)


def build_politics(s, sector_ids, link_ids, theory_weights) -> PoliticsModel | None:
    p = s.politics
    if p is None:
        return None
    factions = [f.id for f in p.factions]
    role_of = [f.role for f in p.factions]
    military = role_of.index(p.blame.command_role)
    sector_faction = np.full(len(sector_ids), military)
    for i, f in enumerate(p.factions):
        for sec in f.commands:
            sector_faction[sector_ids.index(sec)] = i
    lines = p.escalation.red_lines
    red = np.zeros((len(lines), len(link_ids)), dtype=bool)
    for i, r in enumerate(lines):
        red[i, [link_ids.index(x) for x in r.links]] = True
    rungs = tuple(r.id for r in p.escalation.rungs)
    theories = tuple(p.escalation.theories)
    moves = list(p.personnel.items())
    must = set(p.mediation.must_accept or s.sides) if p.mediation is not None else set()
    return PoliticsModel(
        side=list(s.sides).index(p.side), period=p.decision_period_days,
        faction_ids=tuple(factions), military=military,
        sector_faction=sector_faction,
        symbolic_links=np.array([link_ids.index(x) for x in p.blame.symbolic_links], dtype=int),
        rung_ids=rungs, start_rung=rungs.index(p.escalation.start_rung),
        red_line_links=red, red_line_on_strong=np.array([r.on_strong_response for r in lines],
                                                        dtype=bool),
        theory_ids=theories, theory_weights=theory_weights, policy=p.policy,
        faction_theory=np.array([theories.index(f.escalation_theory)
                                 if f.escalation_theory else -1 for f in p.factions]),
        event_ids=politics_events(p), move_ids=tuple(k for k, _ in moves),
        move_events=tuple(m.event for _, m in moves),
        move_faction=np.array([role_of.index(m.role) for _, m in moves], dtype=int),
        move_gainers=np.array([[m.influence_to is not None and r == m.influence_to
                                for r in role_of] for _, m in moves],
                              dtype=bool).reshape(len(moves), len(factions)),
        move_blame_kept=np.array([m.blame_kept for _, m in moves], dtype=float),
        mediation_needs=(p.side in must, any(x in must for x in s.sides if x != p.side)),
        decisions=compiled_decisions(p),
    )


def draw_theory(weights, u) -> np.ndarray:
    """The theory each run follows, index ``k`` with probability ``w_k / sum_j w_j``, shape
    ``(R,)``: by inversion, ``k = #{j : W_j <= u}`` with ``W`` the cumulative normalised
    weights (for two theories, ``k = [u >= w_0 / (w_0 + w_1)]``).

    >>> draw_theory((1.0, 1.0, 2.0), np.array([0.1, 0.3, 0.6])).tolist()
    [0, 1, 2]
    """
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum = cum / cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def sample_politics(s, pm: PoliticsModel, col, stack, theory_u) -> PoliticsWorld:
    """Gather per-run politics parameters; ``col(path)``/``stack(paths)`` read sampled values."""
    pre = "politics"
    fac = [f"{pre}.factions[{f}]" for f in pm.faction_ids]
    infl = stack([f + ".influence" for f in fac])
    infl = infl / np.maximum(infl.sum(axis=1, keepdims=True), 1e-12)
    th = f"{pre}.escalation.theories"
    w_by_theory = tuple({t: col(f"{th}.{name}.{t}") for t in _TERMS} for name in pm.theory_ids)
    rungs = [f"{pre}.escalation.rungs[{r}]" for r in pm.rung_ids]
    per = f"{pre}.personnel"
    moves = tuple(MoveWorld(Logistic(col(f"{per}.{m}.intercept"), col(f"{per}.{m}.slope")),
                            col(f"{per}.{m}.influence_moved",
                                default_of(PersonnelMove, "influence_moved")))
                  for m in pm.move_ids)
    reg = f"{pre}.regime"
    lines = [f"{pre}.escalation.red_lines[{r.id}]" for r in s.politics.escalation.red_lines]
    weight = col(f"{pre}.responses.resolve_prior_weight")
    prior_strong = resolve_prior_share(s)
    med = f"{pre}.mediation"
    return PoliticsWorld(
        influence=infl, hawkishness=stack([f + ".hawkishness" for f in fac]),
        loyalty=stack([f + ".loyalty" for f in fac]),
        armed=stack([f + ".armed_strength" for f in fac]),
        leader_hawkishness=col(f"{pre}.leader.hawkishness"),
        theory=draw_theory(pm.theory_weights, theory_u),
        w_by_theory=w_by_theory,
        precision=col(f"{pre}.escalation.precision"),
        blame=_gather(BlameWorld, f"{pre}.blame", col), moves=moves,
        regime=_gather(RegimeWorld, reg, col, Regime),
        rung_cost=stack([r + ".cost" for r in rungs]),
        mobilization=None if s.politics.mobilization is None else _gather(
            MobilizationWorld, f"{pre}.mobilization", col),
        # without a ceasefire section the opponent always accepts and it never breaks down
        ceasefire=CeasefireWorld(
            accept_intercept=col(f"{pre}.ceasefire.accept_intercept", np.inf),
            accept_trend=col(f"{pre}.ceasefire.accept_trend", 0.0),
            breakdown=col(f"{pre}.ceasefire.breakdown_per_period", 0.0)),
        mediation=None if s.politics.mediation is None else _gather(
            MediationWorld, med, col, Mediation),
        rung_opponent_eff=np.cumprod(stack([r + ".opponent_effectiveness" for r in rungs],
                                           default_of(Rung, "opponent_effectiveness")), axis=1),
        rung_opponent_loss=stack([r + ".opponent_losses" for r in rungs],
                                 default_of(Rung, "opponent_losses")),
        credibility0=stack([r + ".credibility" for r in lines]),
        credibility_loss=stack([r + ".loss_when_ignored" for r in lines]),
        strong_probability=col(f"{pre}.policies.{pm.policy}.strong_probability"),
        strong_gain=col(f"{pre}.responses.strong_effectiveness_gain"),
        strong_cap=col(f"{pre}.responses.strong_effectiveness_cap"),
        offramp_periods=col(f"{pre}.responses.offramp_periods"),
        resolve0=(1 + weight * prior_strong, 1 + weight * (1 - prior_strong)),
        trend_scale=col(f"{pre}.escalation.trend_scale_km"),
        threat_scale=col(f"{pre}.escalation.threat_scale"),
        blame0=stack([f"{pre}.initial_blame.{f}" for f in pm.faction_ids], 0.0),
        setbacks0=col(f"{pre}.initial_setbacks", default_of(Politics, "initial_setbacks")),
    )


def resolve_prior_share(s) -> float:
    """Share of the scenario's historical cases known on its date in which the opponent acted
    strongly (the prior mean of perceived resolve)."""
    from powderkeg.scenario.cases import cases_known_on, scenario_case_base

    cases = cases_known_on(scenario_case_base(s), s.date, f"Scenario '{s.id}'")
    return float(np.mean([c.opponent_strength for c in cases]))


def _gather(record, prefix: str, col, section=None):
    """A record of per-run values, field ``f`` read at ``<prefix>.<f>`` (schema default if
    the section has one and the scenario leaves the field out)."""
    def value(name):
        if section is not None and section.model_fields[name].default is not None and \
                not section.model_fields[name].is_required():
            return col(f"{prefix}.{name}", default_of(section, name))
        return col(f"{prefix}.{name}")

    return record(**{f.name: value(f.name) for f in fields(record)})


def never_crossed_red_lines(s) -> list[tuple[str, str]]:
    """``(place, warning)`` for each red line nothing in the scenario can ever cross.

    A red line is crossed by a hit on one of its links (by a fire system of the other side
    that is not barred from it, or a deep strike that targets it) or, if it says so, by a
    strong response.
    """
    p = s.politics
    if p is None:
        return []
    opponent = [x for x in s.sides if x != p.side]
    strikable = {x.id for x in s.links
                 if any(f.side in opponent and x.id not in f.exempt_links for f in s.fires)}
    strikable |= {t for d in s.deep_strikes if d.side in opponent for t in d.targets}
    out = []
    for i, r in enumerate(p.escalation.red_lines):
        if not r.on_strong_response and not strikable & set(r.links):
            out.append((f"politics.escalation.red_lines[{i}] ({r.id})",
                        "no fire system or deep strike can hit any of its links, so it can "
                        "never be crossed; give a strike that reaches them, or drop it"))
    return out

