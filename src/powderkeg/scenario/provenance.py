"""Which numbers of a scenario are sourced and which are assumptions; which sources are late.

A number is one of three kinds:

* *sourced*: it cites a ``source`` and its ``note`` does not call it an assumption, so the
  source is taken to support the value itself;
* an *assumption citing a source for context*: it cites a source, but its note's opening
  clause (the text before the first ``:``, ``;``, ``,`` or ``(``) calls it an assumption
  ("assumption: ...", "capacity assumption: single track", "routing and capacity are
  assumptions"): the source shows the thing exists, not that the value is right;
* a *bare assumption*: no source at all.

Defaults not written in the file are not counted.

A citation is *late* when it names a source (``[KEY]`` in any ``source`` or ``note`` of the
scenario) that is not known to be published on or before the scenario's date, i.e. whose
publication period ends after it or which has no date, and that is not marked
``documents_earlier: true`` (a later compilation of a fact that stood before the date).
A sector's ``posture_changes`` are dated inputs of a hindcast (an offensive's onset is a
decision that was taken, reported once it began): their citations are late only when the
source may be published after the scenario's last day (its date plus ``days``; the date
itself when ``days`` is not given). So are the citations of ``link_events``, the dated
shocks of a hindcast's window (an attack, reported once it happened).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator

from pydantic import BaseModel

from powderkeg.scenario.schema import Scenario
from powderkeg.scenario.walk import iter_params

__all__ = ["SOURCED", "CONTEXT", "BARE", "KINDS", "kind", "is_assumption", "provenance",
           "provenance_counts", "citations", "citation_date", "late_citations", "CITATION"]

SOURCED, CONTEXT, BARE = "sourced", "assumption citing a source", "bare assumption"
KINDS = (SOURCED, CONTEXT, BARE)
CITATION = re.compile(r"\[([A-Za-z0-9_.-]+)\]")
_ASSUMED = re.compile(r"\bassum(?:ption|ptions|ed)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[:;,(]")


def kind(param) -> str:
    """:data:`SOURCED`, :data:`CONTEXT` or :data:`BARE` for one number (see the module)."""
    if not param.source:
        return BARE
    opening = _CLAUSE.split(param.note or "", maxsplit=1)[0]
    return CONTEXT if _ASSUMED.search(opening) else SOURCED


def is_assumption(param) -> bool:
    """True for both kinds of assumption."""
    return kind(param) != SOURCED


def provenance(scenario: Scenario) -> list[tuple[str, object, bool]]:
    """``(path, param, is_assumption)`` for every number in the scenario."""
    return [(path, p, is_assumption(p)) for path, p in iter_params(scenario)]


def provenance_counts(scenario: Scenario) -> Counter:
    """How many numbers of each kind (keys :data:`KINDS`) the scenario states."""
    counts = Counter({k: 0 for k in KINDS})
    counts.update(kind(p) for _, p in iter_params(scenario))
    return counts


def citations(obj, path: str = "") -> Iterator[tuple[str, str]]:
    """``(place, key)`` for every ``[KEY]`` in a ``source`` or ``note`` outside ``sources``
    (and outside ``politics.case_base``, whose cases cite the case base's own sources)."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            place = f"{path}.{name}" if path else name
            if name in ("source", "note") and isinstance(value, str):
                yield from ((place, key) for key in CITATION.findall(value))
            elif not (path == "" and name == "sources") and name != "case_base":
                yield from citations(value, place)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from citations(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from citations(item, f"{path}[{getattr(item, 'id', i)}]")


def citation_date(scenario: Scenario, place: str) -> dt.date:
    """The last day a source cited at ``place`` may be published on: the scenario's date, or
    for a posture change or a link event its last day (see the module)."""
    if ".posture_changes[" in place or place.startswith("link_events["):
        return scenario.date + dt.timedelta(days=scenario.days or 0)
    return scenario.date


def late_citations(scenario: Scenario) -> list[tuple[str, str, str]]:
    """``(place, key, published)`` for each citation of a source that may postdate the scenario.

    ``published`` is the source's date as written, or ``"undated"``.
    """
    out = []
    for place, key in citations(scenario):
        src = scenario.sources.get(key)
        if (src is not None and src.after(citation_date(scenario, place))
                and not src.documents_earlier):
            out.append((place, key, src.published or "undated"))
    return out
