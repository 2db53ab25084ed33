"""Scenario schema of the Kremlin half: factions, blame, personnel moves, the escalation ladder
under competing theories, red lines, the opponent's response policy and regime stability."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from powderkeg.scenario.base import Id, Strict
from powderkeg.scenario.params import NonNegative, Param, Positive, Probability

__all__ = ["Politics", "POLICIES", "THEORIES", "EVENTS"]

POLICIES = ("match_strength", "offer_offramp", "mixed")
THEORIES = ("weakness_invites", "cornered_escalates")
EVENTS = ("defense_minister_dismissed", "chief_of_staff_dismissed", "hardliner_promoted",
          "coup_attempt", "faction_leader_purged", "leader_change", "forces_redeployed",
          "ceasefire", "mobilization", "ceasefire_broke_down")


class Faction(Strict):
    """A power group around the leader. Influence shares are normalised to sum to one."""

    id: Id
    name: str
    leader: str
    role: Literal["military_command", "hardliner", "security", "commentators", "elite"]
    influence: NonNegative
    hawkishness: Probability
    loyalty: Probability
    armed_strength: Probability = Field(description="Share of armed force it could turn "
                                                     "against the regime, 0..1.")
    commands: list[Id] = Field([], description="Sectors whose setbacks are blamed on it "
                                               "(default: the military command's).")
    escalation_theory: Literal["weakness_invites", "cornered_escalates"] | None = Field(
        None, description="The theory that describes this faction's leader in power "
        "(default: the run's theory carries over to a successor).")
    source: str | None = None
    note: str | None = None


class Leader(Strict):
    name: str
    hawkishness: Probability


class Blame(Strict):
    """Setback score of a period and how blame moves influence."""

    per_km_lost: NonNegative
    per_objective_lost: NonNegative
    per_loss_share: NonNegative = Field(description="Per unit of own forces lost (fraction).")
    per_symbolic_hit: NonNegative
    per_km_gained: NonNegative = Field(description="Credit for ground taken.")
    symbolic_links: list[Id] = []
    influence_shift: Probability = Field(description="Share of a blamed faction's influence "
                                                     "passed to its critics per unit of blame.")
    decay: Probability = Field(description="Share of unanswered blame forgotten each period.")
    setback_memory: Probability = Field(description="Share of accumulated setbacks kept each "
                                                    "period.")


class Logistic(Strict):
    """Probability per period ``1 / (1 + exp(-(intercept + slope * x)))``."""

    intercept: Param
    slope: Param


class Personnel(Strict):
    dismiss_minister: Logistic = Field(description="x: blame on the military command.")
    dismiss_chief: Logistic = Field(description="x: blame on the military command.")
    promote_hardliner: Logistic = Field(description="x: blame on the military command; a "
                                        "hardliner gets a post over the regular forces.")
    promotion_gain: Probability = Field(description="Influence moved to hardliners.")


class Regime(Strict):
    """Hazard of an armed mutiny or coup attempt per period, logistic in its covariates."""

    intercept: Param
    setbacks: Param
    fragmentation: Param
    armed_outside: Param
    unanswered_blame: Param
    success_intercept: Param
    success_armed: Param
    redeploy_probability: Probability
    redeploy_fraction: Probability
    redeploy_days: Positive
    purge_after_failure: Probability
    purge_rate: Probability = Field(description="Per period, times disloyal influence.")
    plotter_takes_power: Probability = Field(
        0.5, description="Chance a successful coup installs the plotting faction's leader "
        "rather than one drawn from the factions by influence.")


class Rung(Strict):
    """A rung of the escalation ladder and what entering it does."""

    id: Id
    name: str
    cost: NonNegative
    opponent_effectiveness: Probability = Field(
        1.0, description="Multiplier of the opponent's effectiveness while at or above it.")
    opponent_losses: Probability = Field(0.0, description="Share of opponent forces lost on "
                                                          "entering.")
    source: str | None = None
    note: str | None = None


class Theory(Strict):
    """Weights of the leader's utility for stepping up (Delta = +1) vs down (Delta = -1).

    ``U(Delta) = Delta * (hardliner*H + threat*T - trend*B + resolve*(R - 1/2)
    + red_line*C) - cost * c[r + Delta] - inertia * |Delta| + offramp * O * [Delta = -1]``.
    """

    hardliner: Param
    threat: Param
    trend: Param
    resolve: Param
    red_line: Param
    cost: Param
    inertia: Param
    offramp: Param
    accept_intercept: Param = Field(description="Log-odds of taking an offered off-ramp.")
    accept_threat: Param
    source: str | None = None
    note: str | None = None


class RedLine(Strict):
    id: Id
    name: str
    links: list[Id] = Field([], description="Crossed when any of these links is hit.")
    on_strong_response: bool = Field(False, description="Crossed by a strong Western response.")
    credibility: Probability
    loss_when_ignored: Probability = Field(description="Share of credibility lost each time "
                                                       "it is crossed without consequence.")
    source: str | None = None
    note: str | None = None


class Responses(Strict):
    """The opponent's answer to each step up, by policy."""

    strong_probability: dict[Literal["match_strength", "offer_offramp", "mixed"], Probability]
    strong_effectiveness_gain: NonNegative = Field(description="Opponent effectiveness gained "
                                                               "per strong response.")
    strong_effectiveness_cap: Positive
    offramp_periods: NonNegative = Field(description="Periods an offer stays on the table.")
    resolve_prior_weight: Positive = Field(description="Prior pseudo-count from the case base.")


class Escalation(Strict):
    start_rung: Id
    rungs: list[Rung] = Field(min_length=2)
    precision: Positive = Field(description="Logit precision lambda of the leader's choice.")
    theory_weights: dict[Literal["weakness_invites", "cornered_escalates"], NonNegative] | \
        Literal["calibrated"]
    theories: dict[Literal["weakness_invites", "cornered_escalates"], Theory]
    red_lines: list[RedLine] = []
    trend_scale_km: Positive = Field(description="Km of ground per period that counts as a "
                                                 "clear trend.")
    threat_scale: Positive = Field(description="Accumulated setbacks that count as a full "
                                               "regime threat.")


class Mobilization(Strict):
    """A call-up, decided at most once: ``P = expit(intercept + threat T + hardliner H)`` a
    period, with T the regime's threat and H hardliner pressure; it costs blame at home."""

    intercept: Param
    threat: Param
    hardliner: Param
    size: NonNegative = Field(description="Personnel called up.")
    lag_days: NonNegative = Field(description="Days from the decision to the first arrivals.")
    arrival_days: Positive = Field(description="Days over which the call-up arrives.")
    blame_cost: NonNegative = Field(description="Blame on the military command for it.")


class Ceasefire(Strict):
    """A ceasefire needs both sides: the leader takes an offered off-ramp and the opponent
    accepts with ``expit(accept_intercept + accept_trend B)`` (B > 0: the leader's side is
    gaining ground); it breaks down with a hazard per period."""

    accept_intercept: Param
    accept_trend: Param
    breakdown_per_period: Probability


class Politics(Strict):
    side: Id = Field(description="The side whose regime is modelled.")
    decision_period_days: int = Field(7, ge=1)
    policy: Literal["match_strength", "offer_offramp", "mixed"] = "match_strength"
    leader: Leader
    factions: list[Faction] = Field(min_length=2)
    initial_blame: dict[Id, NonNegative] = Field({}, description="Unanswered blame per "
                                                 "faction on day 0.")
    initial_setbacks: NonNegative = Field(0.0, description="Accumulated setbacks on day 0.")
    blame: Blame
    personnel: Personnel
    regime: Regime
    escalation: Escalation
    responses: Responses
    mobilization: Mobilization | None = None
    ceasefire: Ceasefire | None = Field(
        None, description="Default: the opponent accepts every ceasefire and it holds.")
