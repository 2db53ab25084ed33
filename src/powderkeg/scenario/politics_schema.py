"""Scenario schema of the politics half: factions and their roles, blame, personnel moves, the
escalation ladder under competing theories, red lines, the opponent's response policies,
mediation, regime stability and the case base.

Theories, policies and personnel moves are written as lists of items with ids (one or more of
each); they are kept keyed by id, so a number's path, and with it its random stream, is
``politics.escalation.theories.<id>.<term>`` whichever way it is written (the older spelling,
a mapping keyed by id, is accepted too). Events are declared by the scenario: each personnel
move names the event it records, beside the events of the model's own mechanisms
(:func:`politics_events`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from powderkeg.scenario.base import Id, Strict
from powderkeg.scenario.decisions import Decision, decision_problems
from powderkeg.scenario.params import NonNegative, Param, Positive, Probability

__all__ = ["Politics", "MECHANISM_EVENTS", "MECHANISM_DECISIONS", "politics_events",
           "keyed_by_id"]

MECHANISM_DECISIONS = ("coup_attempt", "plotter", "coup_success", "redeploy", "successor",
                       "takes_power", "purge_after_failure", "purge", "purge_target",
                       "mobilization", "ceasefire_breakdown", "leader_accepts",
                       "opponent_accepts", "rung", "response", "mediation_offer",
                       "mediation_leader", "mediation_opponent")
"""Names of the mechanisms' random streams (``politics/<name>``); a personnel move's stream
is ``politics/<its id>``, so no move may take one of these ids."""

MECHANISM_EVENTS = ("coup_attempt", "faction_leader_purged", "leader_change",
                    "forces_redeployed", "ceasefire", "ceasefire_broke_down", "mobilization",
                    "mediation_offered")
"""Events of the model's own mechanisms (regime, ceasefire, mobilisation, mediation), in
every scenario with politics; one whose section is left out never happens."""


def keyed_by_id(items):
    """A list of mappings with ``id`` as a mapping keyed by id (the stored form); a mapping is
    taken as it is. Raises ``ValueError`` for an item without an id or a repeated id."""
    if not isinstance(items, list):
        return items
    out = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ValueError(f"item [{i}] needs an 'id'")
        if item["id"] in out:
            raise ValueError(f"id '{item['id']}' is given twice")
        out[item["id"]] = {k: v for k, v in item.items() if k != "id"}
    return out


def _case_base(value):
    from powderkeg.scenario.cases import validate_case_base  # cases imports the schema

    return validate_case_base(value)


def _listed(item):
    """An item type written as a list of ``{id, ...}`` (or a mapping keyed by id), stored as a
    mapping id -> item with at least one entry."""
    return Annotated[dict[Id, item], BeforeValidator(
        keyed_by_id, json_schema_input_type=list[dict[str, Any]] | dict[Id, item]),
        Field(min_length=1)]


class Faction(Strict):
    """A power group around the leader. Influence shares are normalised to sum to one."""

    id: Id
    name: str
    leader: str
    role: Id = Field(description="Its role (declared in politics.roles when that is given); "
                     "blame.command_role and each personnel move name the roles they act on.")
    influence: NonNegative
    hawkishness: Probability
    loyalty: Probability
    armed_strength: Probability = Field(description="Share of armed force it could turn "
                                                     "against the regime, 0..1.")
    commands: list[Id] = Field([], description="Sectors whose setbacks are blamed on it "
                                               "(default: the command role's faction's).")
    escalation_theory: Id | None = Field(
        None, description="The theory that describes this faction's leader in power "
        "(default: the run's theory carries over to a successor).")
    source: str | None = None
    note: str | None = None


class Leader(Strict):
    name: str
    hawkishness: Probability


class Role(Strict):
    """A role a faction may play (``military_command``, ``hardliner``, ...)."""

    id: Id
    name: str = ""
    description: str = ""


class Blame(Strict):
    """Setback score of a period and how blame moves influence."""

    command_role: Id = Field("military_command", description="Role of the faction blamed "
                             "for losses, symbolic blows and sectors no faction commands.")
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


class PersonnelMove(Strict):
    """A move of the leader's, at most once: ``P = expit(intercept + slope x)`` a period with
    ``x`` the blame on the faction of ``role``; made, it records ``event``, keeps
    ``blame_kept`` of that blame and moves ``influence_moved`` of that faction's influence to
    the factions of ``influence_to`` (by influence). Its random stream is
    ``politics/<id>``."""

    event: Id = Field(description="The event it records, for outcomes and the story.")
    name: str = ""
    role: Id = Field("military_command", description="Role of the faction the move answers.")
    intercept: Param
    slope: Param
    blame_kept: float = Field(1.0, ge=0, le=1, description="Share of that faction's blame "
                              "left: 0 wipes it (a dismissal), 1 leaves it.")
    influence_to: Id | None = Field(None, description="Role of the factions that gain.")
    influence_moved: Probability = Field(0.0, description="Share of the faction's influence "
                                         "they gain.")
    source: str | None = None
    note: str | None = None


_OLD_MOVES = (  # the fixed moves of the older format: (key, event, blame kept, gains)
    ("promote_hardliner", "hardliner_promoted", 1.0, "hardliner"),
    ("dismiss_minister", "defense_minister_dismissed", 0.0, None),
    ("dismiss_chief", "chief_of_staff_dismissed", 0.5, None),
)


def _personnel_moves(value):
    """The older ``personnel`` mapping (dismiss_minister, dismiss_chief, promote_hardliner,
    promotion_gain) as the list of moves it meant, in the order they were decided."""
    older = isinstance(value, dict) and ("promotion_gain" in value or any(
        isinstance(value.get(k), dict) and "event" not in value[k] for k, *_ in _OLD_MOVES))
    if not older:
        return keyed_by_id(value)
    value = dict(value)
    gain = value.pop("promotion_gain", None)
    out = {}
    for key, event, kept, to in _OLD_MOVES:
        if key not in value:
            continue
        chance = value.pop(key)
        if not isinstance(chance, dict):
            raise ValueError(f"'{key}' must be a mapping with intercept and slope")
        move = {**chance, "event": event, "blame_kept": kept}
        if to is not None:
            move |= {"influence_to": to, "influence_moved": gain}
        out[key] = move
    return out | value


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
    """A theory of the leader's escalation: the weights of the utility for stepping up
    (Delta = +1) vs down (Delta = -1).

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
    name: str = ""
    description: str = ""
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


class Policy(Strict):
    """A response rule of the opponent: each step up is answered strongly with
    ``strong_probability``; a step up not answered strongly opens an off-ramp."""

    strong_probability: Probability
    name: str = ""
    description: str = ""
    source: str | None = None
    note: str | None = None


class Responses(Strict):
    """What the opponent's answers do, whatever the policy."""

    strong_effectiveness_gain: NonNegative = Field(description="Opponent effectiveness gained "
                                                               "per strong response.")
    strong_effectiveness_cap: Positive
    offramp_periods: NonNegative = Field(description="Periods an offer stays on the table.")
    resolve_prior_weight: Positive = Field(description="Prior pseudo-count from the case base.")


class Escalation(Strict):
    start_rung: Id
    rungs: list[Rung] = Field(min_length=2)
    precision: Positive = Field(description="Logit precision lambda of the leader's choice.")
    theory_weights: dict[Id, NonNegative] | Literal["calibrated"] = Field(
        description="Prior weight of each theory (a theory left out weighs 0), or "
        "'calibrated': the posterior on the case base.")
    theories: _listed(Theory) = Field(description="One or more theories, each with an id.")
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


class Mediation(Strict):
    """A third party's offer of a ceasefire, with its own hazard ``offer_per_period`` while
    the war goes on (not in the period a side's own off-ramp closes the deal). The offer
    holds when every side of ``must_accept`` accepts: the modelled side's leader with the
    theory's off-ramp acceptance ``expit(accept_intercept + accept_threat T + leader_shift)``,
    the opponent with ``expit(accept_intercept + accept_trend B + opponent_shift)`` of
    ``politics.ceasefire``. A mediated ceasefire breaks down like any other."""

    mediator: str = Field(description="Who offers (a state, the UN, ...).")
    offer_per_period: Probability
    must_accept: list[Id] = Field([], description="Sides whose consent it needs (default: "
                                  "both).")
    leader_shift: Param = Field(0.0, description="Log-odds added to the leader's acceptance: "
                                "a third party's offer may save more face than the enemy's.")
    opponent_shift: Param = Field(0.0, description="Log-odds added to the opponent's.")
    source: str | None = None
    note: str | None = None


class Politics(Strict):
    side: Id = Field(description="The side whose regime is modelled.")
    decision_period_days: int = Field(7, ge=1)
    policy: Id = Field(description="The opponent's response policy a run plays (default: the "
                       "first of policies).")
    policies: _listed(Policy) = Field(description="One or more response policies, each with "
                                      "an id.")
    case_base: Annotated[Any, AfterValidator(_case_base)] = Field(
        None, description="Case file of historical episodes for calibration and the prior "
        "of perceived resolve, relative to the scenario file (default: the shipped one); the "
        "loader reads it into {file, sources, cases}.")
    leader: Leader
    roles: list[Role] = Field([], description="The roles factions may play (default: any).")
    factions: list[Faction] = Field(min_length=2)
    initial_blame: dict[Id, NonNegative] = Field({}, description="Unanswered blame per "
                                                 "faction on day 0.")
    initial_setbacks: NonNegative = Field(0.0, description="Accumulated setbacks on day 0.")
    blame: Blame
    personnel: Annotated[dict[Id, PersonnelMove], BeforeValidator(
        _personnel_moves, json_schema_input_type=list[dict[str, Any]] | dict[str, Any])] = Field(
        {}, description="The leader's personnel moves, each with an id, in the order they are "
        "decided.")
    regime: Regime
    escalation: Escalation
    responses: Responses
    mobilization: Mobilization | None = None
    ceasefire: Ceasefire | None = Field(
        None, description="Default: the opponent accepts every ceasefire and it holds.")
    mediation: Mediation | None = Field(None, description="Default: no third party offers.")
    decisions: list[Decision] = Field([], description="Choices fixed by a player, each "
                                      "{day or period, decision, value}; the model plays "
                                      "the rest (default: none).")

    @model_validator(mode="after")
    def _decisions_fit(self):
        problems = decision_problems(self, self.decisions)
        if problems:
            raise ValueError("decisions" + "; decisions".join(problems))
        return self

    @model_validator(mode="before")
    @classmethod
    def _older_policies(cls, data):
        """The older format: policies as ``responses.strong_probability`` keyed by policy, and
        ``policy`` defaulting to ``match_strength``; the newer one defaults to the first."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        responses = data.get("responses")
        if isinstance(responses, dict) and "strong_probability" in responses \
                and "policies" not in data:
            responses = dict(responses)
            probabilities = responses.pop("strong_probability")
            data["responses"] = responses
            if isinstance(probabilities, dict):
                data["policies"] = {k: {"strong_probability": v}
                                    for k, v in probabilities.items()}
                data.setdefault("policy", "match_strength")
        policies = keyed_by_id(data.get("policies"))
        if "policy" not in data and isinstance(policies, dict) and policies:
            data["policy"] = next(iter(policies))
        return data


def politics_events(p: Politics) -> tuple[str, ...]:
    """The events a scenario's politics can record, in their column order: each personnel
    move's, then the mechanisms' (:data:`MECHANISM_EVENTS`)."""
    moves = tuple(dict.fromkeys(m.event for m in p.personnel.values()))
    return moves + tuple(e for e in MECHANISM_EVENTS if e not in moves)
