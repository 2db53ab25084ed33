"""The case base of historical escalation episodes, shipped with powderkeg as data."""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from powderkeg.errors import InputError
from powderkeg.scenario.messages import error_message
from powderkeg.scenario.provenance import CITATION
from powderkeg.scenario.schema import SourceEntry
from powderkeg.scenario.yamlfile import parse

__all__ = ["Case", "CaseBase", "load_cases", "load_case_base", "late_case_citations",
           "RESPONSE_STEP"]

RESPONSE_STEP = {"backed_down": -1, "held": 0, "escalated": 1}


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    date: dt.date
    opponent_strength: float = Field(ge=0, le=1)
    regime_threat: float = Field(ge=0, le=1)
    red_line_crossed: bool
    offramp: bool
    response: Literal["escalated", "held", "backed_down"]
    source: str
    note: str = ""


class CaseBase(BaseModel):
    """A case file: the cases, and the sources they cite as ``[KEY]`` (dated as in scenarios)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: dict[str, SourceEntry] = {}
    cases: list[Case]


_NEEDS = (" Each case needs id, title, date, opponent_strength, regime_threat, "
          "red_line_crossed, offramp, response and source.")
_SOURCE = (" Each source is a string, or {text, published, documents_earlier, note} with "
           "published written YYYY-MM-DD, YYYY-MM or YYYY.")


def _invalid(name: str, e: ValidationError, prefix: str, needs: str) -> InputError:
    err = e.errors()[0]
    place = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
    return InputError(f"Case file {name} is not valid: {(prefix + place).lstrip('.')}: "
                      f"{error_message(err)}.{needs}")


def _case(item, i: int, name: str) -> Case:
    try:
        return Case.model_validate(item)
    except ValidationError as e:
        raise _invalid(name, e, f"cases[{i}]", _NEEDS) from None


def late_case_citations(base: CaseBase, date: dt.date) -> list[tuple[str, str]]:
    """``(case id, key)`` for each citation of a source that may postdate ``date`` and is not
    marked ``documents_earlier``; a case after ``date`` is not checked (it is not used)."""
    return [(c.id, key) for c in base.cases if c.date <= date
            for key in CITATION.findall(c.source + " " + c.note)
            if key in base.sources and base.sources[key].after(date)
            and not base.sources[key].documents_earlier]


def load_cases(path: str | None = None) -> tuple[Case, ...]:
    """The shipped case base, or a case file of the same format at ``path``."""
    return tuple(load_case_base(path).cases)


def load_case_base(path: str | None = None) -> CaseBase:
    """The shipped case file, or one of the same format at ``path``, with its sources."""
    if path is None:
        return _shipped_case_base()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise InputError(f"Cannot read the case file {path}: {e}.") from None
    return _parse_case_base(text, path)


@functools.lru_cache(maxsize=1)
def _shipped_case_base() -> CaseBase:
    text = resources.files("powderkeg.scenario").joinpath(
        "cases/escalation-cases.yaml").read_text("utf-8")
    return _parse_case_base(text, "escalation-cases.yaml")


def _parse_case_base(text: str, name: str) -> CaseBase:
    doc = parse(text, name, what="Case file")
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise InputError(f"Case file {name} must be a YAML mapping with a 'cases' list, one "
                         f"item per case.{_NEEDS}")
    unknown = sorted(set(doc) - {"sources", "cases"})
    if unknown:
        raise InputError(f"Case file {name} is not valid: {unknown[0]}: unknown key; a case "
                         "file has only 'sources' and 'cases'.")
    cases = [_case(c, i, name) for i, c in enumerate(doc["cases"])]
    if not cases:
        raise InputError(f"Case file {name} lists no case under 'cases', so there is nothing to "
                         "calibrate on. Add at least one case, or leave out --cases to use the "
                         "shipped case base.")
    try:
        base = CaseBase(sources=doc.get("sources") or {}, cases=cases)
    except ValidationError as e:
        raise _invalid(name, e, "", _SOURCE) from None
    for c in base.cases if base.sources else ():
        missing = [k for k in CITATION.findall(c.source) if k not in base.sources]
        if missing:
            raise InputError(f"Case file {name}: case '{c.id}' cites [{missing[0]}], which is "
                             "not in its sources. Add it there with its publication date, or "
                             "correct the key.")
    return base
