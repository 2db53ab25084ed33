"""The case base of historical escalation episodes, shipped with powderkeg as data."""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from powderkeg.errors import InputError

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
    try:
        doc = yaml.safe_load(text)
        cases = tuple(Case.model_validate(c) for c in doc["cases"])
    except (yaml.YAMLError, KeyError, TypeError, ValidationError) as e:
        raise InputError(f"Case file {name} is not valid: {str(e).splitlines()[0]}. Each case "
                         "needs id, title, date, opponent_strength, regime_threat, "
                         "red_line_crossed, offramp, response and source.") from None
    return cases
