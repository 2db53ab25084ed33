"""The case base of historical escalation episodes, shipped with powderkeg as data."""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from powderkeg.errors import InputError
from powderkeg.scenario.messages import error_message
from powderkeg.scenario.yamlfile import parse

__all__ = ["Case", "load_cases", "RESPONSE_STEP"]

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


_NEEDS = (" Each case needs id, title, date, opponent_strength, regime_threat, "
          "red_line_crossed, offramp, response and source.")


def _case(item, i: int, name: str) -> Case:
    try:
        return Case.model_validate(item)
    except ValidationError as e:
        err = e.errors()[0]
        place = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
        raise InputError(f"Case file {name} is not valid: cases[{i}]{place}: "
                         f"{error_message(err)}.{_NEEDS}") from None


@functools.lru_cache(maxsize=4)
def load_cases(path: str | None = None) -> tuple[Case, ...]:
    """The shipped case base, or a case file of the same format at ``path``."""
    if path is None:
        text = resources.files("powderkeg.scenario").joinpath(
            "cases/escalation-cases.yaml").read_text("utf-8")
        name = "escalation-cases.yaml"
    else:
        try:
            text, name = open(path, encoding="utf-8").read(), path
        except OSError as e:
            raise InputError(f"Cannot read the case file {path}: {e}.") from None
    doc = parse(text, name, what="Case file")
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise InputError(f"Case file {name} must be a YAML mapping with a 'cases' list, one "
                         f"item per case.{_NEEDS}")
    cases = tuple(_case(c, i, name) for i, c in enumerate(doc["cases"]))
    if not cases:
        raise InputError(f"Case file {name} lists no case under 'cases', so there is nothing to "
                         "calibrate on. Add at least one case, or leave out --cases to use the "
                         "shipped case base.")
    return cases
