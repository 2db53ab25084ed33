"""The schema of scenario files (pydantic v2): frozen, with unknown keys rejected.

Numbers are :data:`~powderkeg.scenario.params.Param`: fixed or distributed, each with a
``source`` or a ``note``. Cross-references between sections (a link's nodes, a sector's
objectives, an outcome's targets) are checked by :mod:`powderkeg.scenario.references`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from powderkeg.scenario.base import Id, Strict
from powderkeg.scenario.params import NonNegative, Positive, Probability, bounded
from powderkeg.scenario.politics_schema import Politics

__all__ = ["Scenario", "Source", "Silence", "Outcome", "LinkEvent", "OUTCOME_KINDS", "MODES"]

MODES = ("rail", "road", "bridge", "ferry")
Mode = Literal["rail", "road", "bridge", "ferry"]


class Node(Strict):
    """A place in the supply network; ``sector`` places it on that sector's front axis."""

    id: Id
    name: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    role: str = ""
    control: Id | None = Field(None, description="Side holding it, for nodes in no sector.")
    sector: Id | None = Field(None, description="Its control follows this sector's front.")
    km: float | None = Field(
        None, ge=0, description="Km along the sector axis (default: the nearest point to it)."
    )
    source: str | None = None
    note: str | None = None


class Link(Strict):
    """A rail line, road, bridge or ferry between two nodes, with capacity in tons per day."""

    id: Id
    from_: Id = Field(alias="from")
    to: Id
    mode: Mode
    capacity: NonNegative = Field(description="Tons per day when intact.")
    at_start: Probability = Field(1.0, description="Fraction of capacity open on day 0.")
    repair_days: Positive | None = Field(
        None, description="Days to repair damage (default: model.logistics.repair_days[mode])."
    )
    directed: bool = Field(False, description="True if supply moves only from 'from' to 'to'.")
    source: str | None = None
    note: str | None = None


class Place(Strict):
    """A point given by its coordinates, on an axis or a front line."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    name: str | None = None
    source: str | None = None
    note: str | None = None


class Marker(Strict):
    """A point on a front axis: at a node, midway between two nodes, or at a given km."""

    id: Id
    name: str | None = None
    node: Id | None = None
    between: tuple[Id, Id] | None = None
    km: NonNegative | None = None
    coast: bool = Field(False, description="Reaching it means reaching the sea.")

    @model_validator(mode="after")
    def _one_position(self):
        given = [x is not None for x in (self.node, self.between, self.km)]
        if sum(given) != 1:
            raise ValueError("give exactly one of node, between or km")
        return self


class Bridgehead(Strict):
    side: Id
    river: Id
    supply_through: list[Id] = Field(
        [], description="One node on each of the bridgehead's alternative lines of supply, "
        "placed in this or another sector. When the enemy's front comes within "
        "model.withdrawal.threat_km of every one of them, the bridgehead is untenable "
        "(withdrawal under threat of encirclement). Default: none, no threat rule.")


Posture = Literal["attack", "defend"]


class PostureChange(Strict):
    """From day ``from`` on, the sector's sides named in ``posture`` take that posture.

    A hindcast gives an offensive's onset as a dated input (a decision that was taken), with
    its ``source``; the sides it leaves out keep the posture they had.
    """

    from_: dt.date = Field(alias="from", description="The first day of the new posture "
                           "(after the scenario's date, within its days).")
    posture: dict[Id, Posture] = Field(min_length=1, description="The new posture per side.")
    source: str | None = None
    note: str | None = None


class LinkEvent(Strict):
    """A dated shock to a link: on ``date`` its open capacity falls to ``open_fraction``.

    A hindcast gives a known attack of its window (the Kerch bridge on 8 October 2022) as an
    input, with its ``source``, like a posture change: it is applied on its day as a hit, and
    the link's repair follows from the link's ``repair_days`` as after any other hit.
    """

    id: Id
    date: dt.date = Field(description="The day of the shock (after the scenario's date, "
                          "within its days).")
    link: Id = Field(description="The link it damages.")
    open_fraction: Probability = Field(
        description="Share of the link's intact capacity still open after it (a number or "
        "a distribution between 0 and 1); a link already more damaged stays so.")
    source: str | None = None
    note: str | None = None


class Sector(Strict):
    """A front: an axis from the first side's rear into the second side's, and the forces on it."""

    id: Id
    name: str | None = None
    axis: list[Union[Id, Place]] = Field(min_length=2)
    front_km: NonNegative = Field(description="Front position, km along the axis, on day 0.")
    front_line: list[Union[Id, Place]] = Field(
        [], description="Points of the front line when the front stands at the median of "
        "front_km; the line moves with the front. Default: the front is a point on the axis.")
    objectives: list[Marker] = []
    rivers: list[Marker] = []
    forces: dict[Id, NonNegative] = Field(description="Personnel per side.")
    reinforcements_per_day: dict[Id, NonNegative] = {}
    fortification: dict[Id, Positive] = Field({}, description="Defensive multiplier per side.")
    morale: dict[Id, Positive] = {}
    posture: dict[Id, Posture] = Field({}, description="Posture per side on day 0 "
                                       "(default defend).")
    posture_changes: list[PostureChange] = Field(
        [], description="Dated changes of posture, in date order.")
    bridgehead: Bridgehead | None = None
    source: str | None = None
    note: str | None = None


class SupplySource(Strict):
    id: Id
    side: Id
    node: Id
    tons_per_day: NonNegative
    source: str | None = None
    note: str | None = None


class Demand(Strict):
    """A side's daily need at a group of depots; the first tier with a held depot receives it."""

    id: Id
    side: Id
    sector: Id | None = None
    depots: list[list[Id]] = Field(min_length=1)
    tons_per_day: Positive
    initial_stock_days: NonNegative = 5.0
    max_stock_days: Positive = 15.0
    priority: int = Field(0, description="In a shortage, demands of a higher priority are "
                          "served first; within a priority, supply is shared max-min fairly "
                          "in delivered over needed.")

    @model_validator(mode="before")
    @classmethod
    def _one_tier(cls, data):
        if isinstance(data, dict):
            d = data.get("depots")
            if isinstance(d, list) and d and all(isinstance(x, str) for x in d):
                data = {**data, "depots": [d]}
        return data


class Supply(Strict):
    sources: list[SupplySource] = []
    demands: list[Demand] = []
    truck_ton_km_per_day: dict[Id, NonNegative] = Field(
        {}, description="Ton-km a day each side's truck fleet can haul on its roads "
        "(default: roads carry their full capacity).")


class Fires(Strict):
    """Long-range fires (rockets, drones, aircraft) against supply links within range of the
    front and against the enemy's forces in the sectors."""

    id: Id
    side: Id
    launchers: NonNegative
    missions_per_launcher_day: NonNegative
    interdiction_share: Probability = Field(description="Share of missions against links.")
    attrition_share: Probability = Field(
        0.0, description="Share of missions against the enemy's forces in the sectors.")
    kills_per_hit: NonNegative = Field(
        0.0, description="Enemy personnel put out of action by a mission against forces that "
        "hits.")
    force_sectors: list[Id] = Field(
        [], description="Sectors whose enemy forces its missions against forces may strike "
        "(default: every sector).")
    hits_to_halve_fire_support: Positive | None = Field(
        None, description="Counter-battery: hits on a sector's enemy forces in a day that "
        "halve that side's combat effectiveness there that day (its guns and fire support "
        "silenced); none: hits only put personnel out of action.")
    max_missions_per_day: int = Field(
        8, ge=1, le=1000, description="Most missions of each kind flown in a day (the daily "
        "Poisson draw is capped here).")
    range_km: Positive
    standoff_km: NonNegative = 0.0
    hit_probability: Probability
    interception_probability: Probability = 0.0
    exempt_links: list[Id] = Field([], description="Links it may not strike (a policy).")
    redundancy_weight: Probability = Field(
        0.1, description="Targeting weight of a link whose loss would not cut today's flow, "
        "relative to one whose loss would (most-vital-arc targeting).")
    favour_sectors: dict[Id, Positive] = Field(
        {}, description="Targeting multiplier for links nearest to these sectors' fronts.")
    air_delivered: bool = Field(
        False, description="Aircraft or drones: the enemy's air defences (air_defences) "
        "scale its chance to hit what they cover.")
    source: str | None = None
    note: str | None = None


class AirDefence(Strict):
    """A side's air defence over some of its sectors (a missile umbrella): the other side's
    air-delivered fire systems hit what it covers with their chance times ``factor``."""

    id: Id
    side: Id
    sectors: list[Id] = Field(
        min_length=1, description="Sectors it covers: its side's forces there, and its "
        "side's links within depth_km of their front lines.")
    depth_km: NonNegative = Field(
        description="How far from the covered sectors' front lines its side's links are "
        "covered, km.")
    factor: Probability = Field(
        description="Multiplier on the chance that an air-delivered mission against a "
        "covered target hits: 1 no effect, 0 none gets through.")
    source: str | None = None
    note: str | None = None


class DeepStrike(Strict):
    """Rare strikes beyond rocket range (sabotage, drones) on named high-value links."""

    id: Id
    side: Id
    targets: list[Id] = Field(min_length=1)
    rate_per_day: NonNegative
    success_probability: Probability
    source: str | None = None
    note: str | None = None


class DamageByMode(Strict):
    """Share of a link's open capacity one hit removes, by mode."""

    rail: Probability
    road: Probability
    bridge: Probability
    ferry: Probability


class RepairByMode(Strict):
    """Days to repair a damaged link, by mode (a distribution: each repair draws its time)."""

    rail: Positive
    road: Positive
    bridge: Positive
    ferry: Positive


class Breakthrough(Strict):
    """A defence breaks after ``days`` days in a row of an attack ratio above ``ratio``; the
    attacker then advances at ``exploitation_km_per_day`` for ``exploitation_days`` days,
    after which the defence has re-formed."""

    ratio: bounded(1.0) = Field(description="Attack ratio above which the defence is under "
                                "breaking pressure.")
    days: NonNegative = Field(description="Days in a row above the ratio before it breaks.")
    exploitation_km_per_day: NonNegative
    exploitation_days: NonNegative = Field(description="Days until the defence re-forms.")


class Combat(Strict):
    attrition_rate: dict[Id, Positive] = Field(
        description="Helmbold coefficient: losses per day per effective enemy soldier."
    )
    weiss_exponent: Probability = Field(description="1 = square law, 0 = logarithmic law.")
    static_intensity: Probability = Field(description="Attrition scale when nobody attacks.")
    advance_km_per_day: NonNegative
    advance_threshold: bounded(1.0) = Field(description="Effective force ratio to advance.")
    river_crossing_ratio: bounded(1.0)
    river_advance_factor: Probability
    noise_sigma: NonNegative = Field(description="Log-sd of daily chance; 0 = deterministic.")
    creep_km_per_day: NonNegative = Field(
        0.0, description="Attritional creep of an attacker below the advance threshold.")
    breakthrough: Breakthrough | None = Field(
        None, description="A defence that breaks and the exploitation that follows "
        "(default: none, every advance is attritional).")


class Logistics(Strict):
    supply_floor: Probability = Field(description="Effectiveness left with no supply at all.")
    rationing_days: Positive = Field(description="Stock below which effectiveness drops.")
    damage_fraction: DamageByMode
    repair_days: RepairByMode
    repair_run_share: Probability = Field(
        0.5, description="Share of the variance of repair times common to all repairs of a "
        "link in a run (its repair crews and materials); the rest varies strike by strike.")
    refill_days_per_day: NonNegative = Field(
        0.5, description="Days of stock a demand can rebuild in a day beyond its need.")
    road_km_factor: bounded(1.0) = Field(
        1.0, description="Road km per straight-line km, for truck haulage.")
    attack_need_factor: Positive = Field(
        1.0, description="A demand's need while its side attacks in its sector over its need "
        "while it defends (default 1: the same tons per soldier).")


class Withdrawal(Strict):
    supply_ratio_below: Probability
    force_ratio_above: Positive
    untenable_days: NonNegative
    daily_probability: Probability
    loss_fraction: Probability
    threat_km: NonNegative | None = Field(
        None, description="Distance from the enemy's front within which a node on a "
        "bridgehead's line of supply (its sector's bridgehead.supply_through) counts as "
        "threatened (default: none, no threat rule).")


class ModelParams(Strict):
    combat: Combat
    logistics: Logistics
    withdrawal: Withdrawal


class _Outcome(Strict):
    id: Id
    description: str = ""


class ObjectiveRef(Strict):
    sector: Id
    objective: Id


class ObjectiveTaken(_Outcome):
    """``side`` holds any of ``targets`` (the front has passed it) for ``held_days`` days."""

    kind: Literal["objective_taken"]
    side: Id
    targets: list[ObjectiveRef] = Field(min_length=1)
    held_days: int = Field(0, ge=0)


class SectorWithdrawn(_Outcome):
    """``side`` gives up its bridgehead in ``sector``: by a command decision (``ordered``),
    pushed back to the river (``pushed``), or either (``any``)."""

    kind: Literal["sector_withdrawn"]
    sector: Id
    side: Id
    cause: Literal["any", "ordered", "pushed"] = "any"


class LinkCapacityAtLeast(_Outcome):
    """All ``links`` are back to at least ``fraction`` of their intact capacity."""

    kind: Literal["link_capacity_at_least"]
    links: list[Id] = Field(min_length=1)
    fraction: float = Field(gt=0, le=1)


class LinkStruck(_Outcome):
    """Any of ``links`` is hit after day 0."""

    kind: Literal["link_struck"]
    links: list[Id] = Field(min_length=1)


class SupplyBelow(_Outcome):
    """Deliveries to ``demands`` stay below ``fraction`` of their need for ``days`` days running."""

    kind: Literal["supply_below"]
    demands: list[Id] = Field(min_length=1)
    fraction: float = Field(gt=0, le=1)
    days: int = Field(1, ge=1)


class RungReached(_Outcome):
    """The escalation ladder stands at ``rung`` or higher for ``days`` days running."""

    kind: Literal["rung_reached"]
    rung: Id
    days: int = Field(1, ge=1)


class EventHappened(_Outcome):
    """A political event happens: one the scenario's politics declares (a personnel move's
    event) or one of its mechanisms' (:func:`~powderkeg.scenario.politics_schema.
    politics_events`)."""

    kind: Literal["event_happened"]
    event: Id


Outcome = Annotated[
    Union[ObjectiveTaken, SectorWithdrawn, LinkCapacityAtLeast, LinkStruck, SupplyBelow,
          RungReached, EventHappened],
    Field(discriminator="kind"),
]
OUTCOME_KINDS = ("objective_taken", "sector_withdrawn", "link_capacity_at_least",
                 "link_struck", "supply_below", "rung_reached", "event_happened")


def _published_text(v):
    """YAML reads 2022-10-09 as a date and 2018 as a number: both become text."""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _real_date(v: str) -> str:
    parts = [int(x) for x in v.split("-")]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        raise ValueError(f"'{v}' has no month {parts[1]}")
    if len(parts) > 2:
        dt.date(*parts)  # raises for a day the month does not have
    return v


Published = Annotated[
    str, BeforeValidator(_published_text),
    Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
          description="Publication date: YYYY-MM-DD, or YYYY-MM / YYYY when only that is "
                      "known."),
    AfterValidator(_real_date),
]


class Source(Strict):
    """A publication cited as ``[KEY]`` by the numbers of a scenario.

    A plain string in ``sources`` is read as ``{text: ...}``: a source with no known date.
    """

    text: str = Field(description="Outlet, title, date and address, as cited.")
    published: Published | None = Field(
        None, description="When it was published; leave out only if no date is known.")
    documents_earlier: bool = Field(
        False, description="True for a later (or undated) compilation of facts that stood "
                           "before the scenario date: it may be cited although published "
                           "after it.")
    note: str | None = None

    @property
    def latest(self) -> dt.date | None:
        """The last day the publication can have appeared: the end of its month or year."""
        if self.published is None:
            return None
        parts = [int(x) for x in self.published.split("-")]
        year, month = parts[0], parts[1] if len(parts) > 1 else 12
        day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
        return dt.date(year, month, day)

    def after(self, date: dt.date) -> bool:
        """True unless the source is known to be published on or before ``date``."""
        return self.latest is None or self.latest > date


def _text_to_source(v):
    return {"text": v} if isinstance(v, str) else v


SourceEntry = Annotated[Source, BeforeValidator(_text_to_source,
                                                json_schema_input_type=Union[str, Source])]


class Silence(Strict):
    """A sense-check warning the author has read and means: not printed by ``validate``.

    ``place`` is the place the warning names, as printed (``sectors[2] (bakhmut).front_km``)
    or with ids in the brackets (``sectors[bakhmut].front_km``). An entry that silences no
    warning is itself a warning (see ``docs/design/008-sense-checks.md``).
    """

    check: Id = Field(description="The check's id, as printed after the warning: (check ID).")
    place: str = Field(min_length=1, description="The place the warning names.")
    note: str = Field(min_length=1, description="Why the warning does not apply here.")


class Scenario(Strict):
    """A whole scenario: what the world looked like on ``date`` and how it may unfold."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="lower-case name, e.g. autumn-2022")
    title: str
    date: dt.date = Field(description="Knowledge cut-off and day 0 of every run.")
    days: int | None = Field(
        None, ge=1, le=3650, description="Horizon of `powderkeg run` when --days is not "
        "given (default 365); a hindcast sets it to reach its observations' cut-off.")
    description: str = ""
    sources: dict[str, SourceEntry] = Field(
        {}, description="Source keys cited as [KEY] in numbers: a string, or {text, published, "
                        "documents_earlier, note}.")
    sides: tuple[Id, Id] = Field(
        description="The two sides; every front axis runs from the first side's rear."
    )
    nodes: list[Node] = Field(min_length=2)
    links: list[Link] = Field(min_length=1)
    sectors: list[Sector] = Field(min_length=1)
    supply: Supply = Supply()
    fires: list[Fires] = []
    air_defences: list[AirDefence] = Field(
        [], description="Air defences that scale the other side's air-delivered fires.")
    deep_strikes: list[DeepStrike] = []
    link_events: list[LinkEvent] = Field(
        [], description="Dated shocks to links (a hindcast's known attacks), each applied on "
        "its day as a hit that leaves open_fraction of the link's capacity.")
    model: ModelParams
    politics: Politics | None = Field(None, description="The Kremlin half; optional.")
    outcomes: list[Outcome] = []
    silence: list[Silence] = Field(
        [], description="Sense-check warnings the author means, each with a note on why.")
    observations: str | None = Field(
        None, description="An observations file (what was seen up to a cut-off, for "
        "`powderkeg fit`), relative to this file.")
    posterior: str | None = Field(
        None, description="A fit folder written by `powderkeg fit`, relative to this file: "
        "runs draw the fitted parameters from its posterior.")
    borders: str | None = Field(
        None, description="A GeoJSON file of borders (country or region polygons) to draw "
        "this scenario's maps on, relative to this file; without it maps use the shipped "
        "Natural Earth borders.")
