"""Observations as data: what was seen up to a knowledge cut-off, each with its source.

A scenario names its observations file with ``observations: FILE`` (resolved like
``extends:``, relative to the scenario file). The file is YAML read as strictly as a scenario
(:mod:`powderkeg.scenario.yamlfile`: unknown and duplicate keys are errors) and holds the
scenario id, a ``cutoff`` date, a ``sources`` block of the same shape as a scenario's and a
list of observations of five kinds:

* ``front``: the front's km along a sector's axis on a date (``value`` with ``sd``, or a 90%
  interval ``low``/``high``);
* ``held``: whether a side holds an objective on a date, with a ``confidence``;
* ``link``: a link's open fraction of intact capacity on a date, or ``closed: true``;
* ``event``: whether a scenario outcome had happened by a date;
* ``count``: strikes on a set of links, or losses of a side, over a window of days.

Nothing may be dated after the cut-off or cite a source published after it (unless the
source is marked ``documents_earlier``). How each kind is read off a run is
:mod:`powderkeg.analysis.observe`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationError, model_validator
from scipy.special import ndtri

from powderkeg.errors import InputError, ResultWarning
from powderkeg.scenario.base import Id, Strict
from powderkeg.scenario.messages import error_message
from powderkeg.scenario.provenance import CITATION
from powderkeg.scenario.schema import Scenario, SourceEntry
from powderkeg.scenario.yamlfile import parse

__all__ = ["Measure", "Observations", "Observation", "OBSERVATION_KINDS", "DEFAULT_CONFIDENCE",
           "load_observations", "observations_of", "observation_problems"]

#: Probability that a ``held`` or ``event`` observation is right, unless it says otherwise.
DEFAULT_CONFIDENCE = 0.95
#: An interval ``low``/``high`` is read as the central 90% of a normal distribution.
INTERVAL_LEVEL = 0.90
_Z90 = float(ndtri(0.5 + INTERVAL_LEVEL / 2))  # 1.6449: half-width of a 90% interval in sd


class Measure(Strict):
    """A measured number: ``value`` with a standard deviation ``sd``, or a 90% interval."""

    value: float | None = None
    sd: float | None = Field(None, gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _one_form(self):
        point = self.value is not None and self.sd is not None
        interval = self.low is not None and self.high is not None
        loose = [k for k in ("value", "sd", "low", "high") if getattr(self, k) is not None]
        if point == interval or len(loose) != 2:
            raise ValueError("give either value and sd, or low and high (a 90% interval)")
        if interval and not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self

    @property
    def mean(self) -> float:
        return self.value if self.value is not None else (self.low + self.high) / 2

    @property
    def std(self) -> float:
        return self.sd if self.sd is not None else (self.high - self.low) / (2 * _Z90)


class _Observation(Strict):
    id: Id
    source: str = Field(min_length=1, description="Citation, e.g. '[O01]'.")
    note: str | None = None

    @property
    def binary(self) -> bool:
        return False

    @property
    def last_date(self) -> dt.date:
        return self.date


class FrontObservation(_Observation):
    """The front's km along ``sector``'s axis (the scenario's ``front_km``) on ``date``."""

    kind: Literal["front"]
    date: dt.date
    sector: Id
    km: Measure


class _TrueOrFalse(_Observation):
    """An observation that is true or false, right with probability ``confidence``."""

    date: dt.date
    confidence: float = Field(DEFAULT_CONFIDENCE, gt=0.5, le=1)

    @property
    def binary(self) -> bool:
        return True


class HeldObservation(_TrueOrFalse):
    """Whether ``side`` held ``objective`` of ``sector`` on ``date``."""

    kind: Literal["held"]
    sector: Id
    objective: Id
    side: Id
    value: bool


class LinkObservation(_Observation):
    """A link's open fraction of intact capacity on ``date``, or that it was closed."""

    kind: Literal["link"]
    date: dt.date
    link: Id
    open_fraction: Measure | None = None
    closed: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_state(self):
        if (self.open_fraction is None) == (self.closed is None):
            raise ValueError("give either open_fraction or closed: true")
        return self

    @property
    def binary(self) -> bool:
        return self.closed is not None


class EventObservation(_TrueOrFalse):
    """Whether the scenario's outcome ``outcome`` had happened by ``date``."""

    kind: Literal["event"]
    outcome: Id
    happened: bool


class CountObservation(_Observation):
    """Strikes on ``links`` or losses of ``side`` from ``from`` to ``to``, both days counted."""

    kind: Literal["count"]
    count: Literal["strikes", "losses"]
    links: list[Id] = []
    side: Id | None = None
    from_: dt.date = Field(alias="from")
    to: dt.date
    value: Measure

    @model_validator(mode="after")
    def _what_is_counted(self):
        if self.count == "strikes" and (not self.links or self.side is not None):
            raise ValueError("a count of strikes names its links (and no side)")
        if self.count == "losses" and (self.side is None or self.links):
            raise ValueError("a count of losses names its side (and no links)")
        if self.from_ > self.to:
            raise ValueError(f"'from' ({self.from_}) is after 'to' ({self.to})")
        return self

    @property
    def last_date(self) -> dt.date:
        return self.to


Observation = Annotated[
    Union[FrontObservation, HeldObservation, LinkObservation, EventObservation,
          CountObservation],
    Field(discriminator="kind"),
]
OBSERVATION_KINDS = ("front", "held", "link", "event", "count")


class Observations(Strict):
    """An observations file: what was seen of ``scenario`` up to ``cutoff``."""

    scenario: str = Field(description="Id of the scenario these observations are about.")
    cutoff: dt.date = Field(description="Nothing is dated, or published, after this day.")
    sources: dict[str, SourceEntry] = {}
    observations: list[Observation] = Field(min_length=1)

    def until(self, last: dt.date) -> Observations:
        """The observations dated on or before ``last`` (a count by its last day)."""
        return self.model_copy(update={
            "observations": [o for o in self.observations if o.last_date <= last]})

    def after(self, last: dt.date) -> Observations:
        """The observations dated after ``last``: the held-out ones of a fit up to ``last``."""
        return self.model_copy(update={
            "observations": [o for o in self.observations if o.last_date > last]})


def _dates(o) -> list[tuple[str, dt.date]]:
    return [("from", o.from_), ("to", o.to)] if o.kind == "count" else [("date", o.date)]


def _exists(o, s: Scenario, sector_length: dict[str, float]) -> list[tuple[str, str]]:
    """Problems with the names an observation uses, ``(field, problem)``."""
    sectors = {x.id: x for x in s.sectors}
    links, outcomes = {x.id for x in s.links}, {x.id for x in s.outcomes}
    out = []
    if getattr(o, "sector", None) is not None and o.sector not in sectors:
        out.append(("sector", f"the scenario has no sector '{o.sector}'; use one of "
                              f"{', '.join(sectors)}"))
    elif o.kind == "held" and o.objective not in {m.id for m in sectors[o.sector].objectives}:
        out.append(("objective", f"sector '{o.sector}' has no objective '{o.objective}'"))
    elif o.kind == "front" and not 0 <= o.km.mean <= sector_length[o.sector]:
        out.append(("km", f"{o.km.mean:g} km is off the sector's axis, which is "
                          f"{sector_length[o.sector]:.0f} km long"))
    if getattr(o, "side", None) is not None and o.side not in s.sides:
        out.append(("side", f"unknown side '{o.side}'; use {' or '.join(s.sides)}"))
    for name in [o.link] if o.kind == "link" else o.links if o.kind == "count" else []:
        if name not in links:
            out.append(("link", f"the scenario has no link '{name}'"))
    if o.kind == "event" and o.outcome not in outcomes:
        out.append(("outcome", f"the scenario has no outcome '{o.outcome}'; use one of "
                               f"{', '.join(outcomes) or '(none declared)'}"))
    return out


def observation_problems(obs: Observations, s: Scenario) -> list[tuple[str, str]]:
    """Every ``(place, problem)`` of observations ``obs`` about scenario ``s``.

    Dates between the scenario's date and the cut-off, sources published by the cut-off (or
    marked ``documents_earlier``), unique ids, and names that exist in the scenario.
    """
    from powderkeg.model.build import build_model

    model = build_model(s)
    length = dict(zip(model.sector_ids, map(float, model.sector_length), strict=True))
    out = []
    if obs.cutoff < s.date:
        out.append(("cutoff", f"{obs.cutoff} is before the scenario's date {s.date}"))
    for key, src in obs.sources.items():
        if src.after(obs.cutoff) and not src.documents_earlier:
            when = f"published {src.published}" if src.published else "undated"
            out.append((f"sources.{key}", f"{when}, after the cut-off {obs.cutoff}; cite "
                        "only what was published by then (or mark a later compilation of "
                        "earlier facts documents_earlier: true)"))
    seen = set()
    for i, o in enumerate(obs.observations):
        place = f"observations[{i}] ({o.id})"
        if o.id in seen:
            out.append((place, f"observation id '{o.id}' is used more than once"))
        seen.add(o.id)
        for field, day in _dates(o):
            if not s.date <= day <= obs.cutoff:
                out.append((f"{place}.{field}", f"{day} is outside {s.date} (the scenario's "
                            f"date) to {obs.cutoff} (the cut-off)"))
        for key in CITATION.findall(o.source):
            if key not in obs.sources:
                out.append((f"{place}.source", f"cites [{key}], which is not in sources; add "
                            "it there with its publication date"))
        out += [(f"{place}.{field}", msg) for field, msg in _exists(o, s, length)]
    return out


def _explain(errors: list[tuple[str, str]], name: str) -> InputError:
    shown = "; ".join(f"{place}: {msg}" for place, msg in errors[:6])
    more = f" (and {len(errors) - 6} more)" if len(errors) > 6 else ""
    return InputError(f"Observations file {name} is not valid: {shown}{more}. Fix these places "
                      "in the file and check it with `powderkeg validate SCENARIO "
                      f"--observations {name}`.")


def _untagged(loc: tuple) -> tuple:
    """An error's location without the kind tag pydantic inserts after a list index."""
    return tuple(x for i, x in enumerate(loc)
                 if not (x in OBSERVATION_KINDS and i > 0 and isinstance(loc[i - 1], int)))


def load_observations(path: str | Path, scenario: Scenario) -> Observations:
    """Read and check the observations file at ``path`` against ``scenario``.

    Raises :class:`~powderkeg.errors.InputError` naming the place of every problem. An
    observations file about another scenario id is allowed (a variant of it) with a warning.
    """
    from powderkeg.scenario.load import _place

    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"Cannot read the observations file {path}: {e}. Check the path (a "
                         "scenario's `observations:` is relative to the scenario file).") \
            from None
    doc = parse(text, str(path), what="Observations file")
    if not isinstance(doc, dict):
        raise InputError(f"Observations file {path} must be a YAML mapping (scenario, cutoff, "
                         f"sources, observations), but it holds a {type(doc).__name__}.")
    try:
        obs = Observations.model_validate(doc)
    except ValidationError as e:
        raise _explain([(_place(_untagged(err["loc"]), doc), error_message(err))
                        for err in e.errors()], str(path)) from None
    problems = observation_problems(obs, scenario)
    if problems:
        raise _explain(problems, str(path))
    if obs.scenario != scenario.id:
        warnings.warn(f"Observations file {path} is about '{obs.scenario}', and is used for "
                      f"scenario '{scenario.id}'.", ResultWarning, stacklevel=2)
    return obs


def observations_of(scenario: Scenario, path: str | Path | None = None) -> Observations:
    """The observations at ``path``, or else those the scenario's ``observations:`` names."""
    path = path or scenario.observations
    if path is None:
        raise InputError(f"Scenario '{scenario.id}' names no observations file. Give one with "
                         "--observations FILE, or add `observations: FILE` to the scenario.")
    return load_observations(path, scenario)
