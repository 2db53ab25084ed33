"""The base of every scenario section: frozen, unknown keys refused, no NaN, no true/false
where a number belongs; and the pattern of names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from powderkeg.scenario.params import reject_bools

__all__ = ["Strict", "Id", "default_of"]

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower_snake_case name")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    reject_bools_ = model_validator(mode="before")(classmethod(reject_bools))


def default_of(section: type[BaseModel], name: str) -> float:
    """The default of a number field of a schema section, the one place it is stated."""
    return float(section.model_fields[name].default)
