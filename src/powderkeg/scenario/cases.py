"""Case bases of historical escalation episodes: a scenario's own (``politics.case_base``, a
file it names, read by the loader relative to that scenario file) or the shipped one of
Russian episodes (autumn-2022's)."""

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
           "RESPONSE_STEP", "SHIPPED", "case_base_document", "scenario_case_base",
           "cases_known_on", "validate_case_base"]

RESPONSE_STEP = {"backed_down": -1, "held": 0, "escalated": 1}
SHIPPED = "escalation-cases.yaml"
"""File name of the shipped case base, in the package's ``scenario/cases`` folder."""


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
    file: str = Field("", description="The file the cases were read from, as named.")
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
    return _valid_case_base(case_base_document(path), path)


def case_base_document(path: str, name: str | None = None) -> dict:
    """The case file at ``path`` as a mapping ``{file, sources, cases}``, checked for shape
    (what the loader puts in ``politics.case_base``); ``name`` is the file as named."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"Cannot read the case file {path}: {e}. Give the path of a case file, "
                         "relative to the scenario file that names it.") from None
    doc = parse(text, path, what="Case file")
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise InputError(f"Case file {path} must be a YAML mapping with a 'cases' list, one "
                         f"item per case.{_NEEDS}")
    unknown = sorted(set(doc) - {"sources", "cases"})
    if unknown:
        raise InputError(f"Case file {path} is not valid: {unknown[0]}: unknown key; a case "
                         "file has only 'sources' and 'cases'.")
    return {"file": name or path, **doc}


def scenario_case_base(s) -> CaseBase:
    """The case base of scenario ``s``: its own (``politics.case_base``), else the shipped one."""
    own = s.politics.case_base if s.politics is not None else None
    return _shipped_case_base() if own is None else own


def cases_known_on(base: CaseBase, date: dt.date, where: str) -> tuple[Case, ...]:
    """The cases of ``base`` dated on or before ``date``; none is an :class:`InputError` that
    names ``where`` (the scenario) and the case file."""
    known = tuple(c for c in base.cases if c.date <= date)
    if not known:
        first = min((c.date for c in base.cases), default=None)
        raise InputError(
            f"{where}: no case of the case base {base.file or SHIPPED} is dated on or before "
            f"{date} (the earliest is {first}), so nothing known on the scenario's date can "
            "weigh the escalation theories or set the prior of perceived resolve. Name a case "
            "file of earlier episodes in politics.case_base (relative to the scenario file).")
    return known


@functools.lru_cache(maxsize=1)
def _shipped_case_base() -> CaseBase:
    path = resources.files("powderkeg.scenario").joinpath(f"cases/{SHIPPED}")
    return _valid_case_base(case_base_document(str(path), SHIPPED), SHIPPED)


def _valid_case_base(doc: dict, name: str) -> CaseBase:
    """A :class:`CaseBase` from its mapping (``{file, sources, cases}``), every error an
    :class:`InputError` naming the file and the place in it."""
    if not isinstance(doc.get("cases"), list):
        raise InputError(f"Case file {name} must have a 'cases' list, one item per case."
                         f"{_NEEDS}")
    cases = [_case(c, i, name) for i, c in enumerate(doc["cases"])]
    if not cases:
        raise InputError(f"Case file {name} lists no case under 'cases', so there is nothing to "
                         "calibrate on. Add at least one case, or name another case file.")
    try:
        base = CaseBase(file=doc.get("file") or "", sources=doc.get("sources") or {},
                        cases=cases)
    except ValidationError as e:
        raise _invalid(name, e, "", _SOURCE) from None
    for c in base.cases if base.sources else ():
        missing = [k for k in CITATION.findall(c.source) if k not in base.sources]
        if missing:
            raise InputError(f"Case file {name}: case '{c.id}' cites [{missing[0]}], which is "
                             "not in its sources. Add it there with its publication date, or "
                             "correct the key.")
    return base


def validate_case_base(value):
    """Pydantic validator of ``politics.case_base``: a mapping ``{file, sources, cases}`` (the
    loader reads a named file into one) as a :class:`CaseBase`; a string the loader has not
    read is an error."""
    if value is None or isinstance(value, CaseBase):
        return value
    if isinstance(value, str):
        raise ValueError(f"case file '{value}' was not read (only scenario files loaded with "
                         "load_scenario resolve a case file's name)")
    if not isinstance(value, dict):
        raise ValueError("must name a case file")
    try:
        return _valid_case_base(value, value.get("file") or "politics.case_base")
    except InputError as e:
        raise ValueError(str(e)) from None
