"""Numbers in a scenario: a fixed value or a distribution, each with its provenance.

Every number may be written bare (``3``), as ``{value: 3, source: ...}`` or as a distribution
``{dist: lognormal, median: 3, sigma: 0.4, note: ...}``. A run samples each parameter once by
inversion of its distribution function at a uniform draw, so a parameter's value is a
monotone function of its draw: the same draw gives the same world in two scenario variants.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, ClassVar, Literal, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

__all__ = ["Param", "Fixed", "bounded", "Probability", "NonNegative", "Positive", "param_kind",
           "reject_bools"]


def _plain_number(annotation) -> bool:
    args = set(typing.get_args(annotation)) - {type(None)} or {annotation}
    return bool(args) and args <= {float, int}


def reject_bools(cls, data):
    """Refuse true/false in plain number fields (pydantic would read them as 1 and 0)."""
    if isinstance(data, dict):
        for name, field in cls.model_fields.items():
            value = data.get(field.alias or name, data.get(name))
            if isinstance(value, bool) and _plain_number(field.annotation):
                raise ValueError(f"'{field.alias or name}' must be a number, not true/false")
    return data


class _Number(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    reject_bools_ = model_validator(mode="before")(classmethod(reject_bools))
    source: str | None = Field(None, description="Publication and date the number comes from.")
    note: str | None = Field(None, description="Why this value; say 'assumption' if it is one.")

    open_low: ClassVar[bool] = False  # True when the support excludes its lower end

    @property
    def is_random(self) -> bool:
        return True

    @property
    def sourced(self) -> bool:
        return bool(self.source)

    def support(self) -> tuple[float, float]:
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class Fixed(_Number):
    value: float

    @property
    def is_random(self) -> bool:
        return False

    def support(self):
        return self.value, self.value

    def ppf(self, u):
        return np.full(np.shape(u), self.value, dtype=float)

    def describe(self):
        return f"{self.value:g}"


class Uniform(_Number):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self):
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got low={self.low}, high={self.high}")
        return self

    def support(self):
        return self.low, self.high

    def ppf(self, u):
        return self.low + (self.high - self.low) * np.asarray(u)

    def describe(self):
        return f"uniform({self.low:g}, {self.high:g})"


class Normal(_Number):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)

    def support(self):
        return -np.inf, np.inf

    def ppf(self, u):
        from powderkeg.model.elementary import ndtri  # Numba's import waits for a sample

        return self.mean + self.sd * ndtri(u)

    def describe(self):
        return f"normal({self.mean:g}, sd {self.sd:g})"


class LogNormal(_Number):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0)
    open_low: ClassVar[bool] = True

    def support(self):
        return 0.0, np.inf

    def ppf(self, u):
        from powderkeg.model.elementary import exp, ndtri  # as in Normal.ppf

        return self.median * exp(self.sigma * ndtri(u))

    def describe(self):
        return f"lognormal(median {self.median:g}, sigma {self.sigma:g})"


class Beta(_Number):
    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _check(self):
        if not self.low < self.high:
            raise ValueError(f"beta needs low < high, got low={self.low}, high={self.high}")
        return self

    def support(self):
        return self.low, self.high

    def ppf(self, u):
        from scipy import stats  # on first use: most scenarios have no beta, and it is slow

        return self.low + (self.high - self.low) * stats.beta.ppf(u, self.a, self.b)

    def describe(self):
        return f"beta({self.a:g}, {self.b:g}) on [{self.low:g}, {self.high:g}]"


class Triangular(_Number):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _check(self):
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                "triangular needs low <= mode <= high and low < high, "
                f"got {self.low}, {self.mode}, {self.high}"
            )
        return self

    def support(self):
        return self.low, self.high

    def ppf(self, u):
        from scipy import stats  # on first use, as in Beta.ppf

        c = (self.mode - self.low) / (self.high - self.low)
        return stats.triang.ppf(u, c, loc=self.low, scale=self.high - self.low)

    def describe(self):
        return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"


class Choice(_Number):
    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _check(self):
        w = self.weights
        if w is not None:
            if len(w) != len(self.values):
                raise ValueError("choice needs one weight per value")
            if min(w) < 0 or sum(w) <= 0:
                raise ValueError("choice weights must be non-negative and not all zero")
        return self

    def support(self):
        return min(self.values), max(self.values)

    def ppf(self, u):
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        cum = np.cumsum(w) / w.sum()
        idx = np.minimum(np.searchsorted(cum, np.asarray(u), side="right"), len(w) - 1)
        return np.asarray(self.values, dtype=float)[idx]

    def describe(self):
        return f"choice({', '.join(f'{v:g}' for v in self.values)})"


def param_kind(v: Any) -> str:
    if isinstance(v, dict):
        return "fixed" if "value" in v else str(v.get("dist", "missing-dist"))
    return getattr(v, "dist", "fixed")


_HOW = ("a number must be written bare, as {value: ..., source: ...} or as a distribution "
        "{dist: uniform|normal|lognormal|beta|triangular|choice, ...}")


def _bare_to_fixed(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError("expected a number or a distribution, got true/false")
    if isinstance(v, int | float):
        return {"value": v}
    if isinstance(v, str):
        raise ValueError(f"expected a number, got the text {v[:60]!r} (write a number without "
                         f"quotes, e.g. 1e5 or 100000); {_HOW}")
    if not isinstance(v, dict):
        shown = "nothing" if v is None else f"a {type(v).__name__}"
        raise ValueError(f"expected a number, got {shown}; {_HOW}")
    if "value" not in v and "dist" not in v:
        raise ValueError(_HOW)
    return v


Param = Annotated[
    Union[
        Annotated[Fixed, Tag("fixed")],
        Annotated[Uniform, Tag("uniform")],
        Annotated[Normal, Tag("normal")],
        Annotated[LogNormal, Tag("lognormal")],
        Annotated[Beta, Tag("beta")],
        Annotated[Triangular, Tag("triangular")],
        Annotated[Choice, Tag("choice")],
    ],
    Discriminator(param_kind),
    BeforeValidator(_bare_to_fixed, json_schema_input_type=Union[
        float, Fixed, Uniform, Normal, LogNormal, Beta, Triangular, Choice]),
]


def bounded(low: float | None = None, high: float | None = None, strict_low: bool = False):
    """A :data:`Param` whose whole support must lie in ``[low, high]`` (or ``(low, high]``)."""

    def check(p):
        lo, hi = p.support()
        too_low = low is not None and (lo < low or (strict_low and lo <= low and not p.open_low))
        too_high = high is not None and hi > high
        if too_low or too_high:
            want = f"{'above' if strict_low else 'at least'} {low:g}" if low is not None else ""
            if high is not None:
                want += (" and " if want else "") + f"at most {high:g}"
            hint = ""
            if isinstance(p, Normal):
                hint = "; a normal can take any value, use lognormal, beta or triangular instead"
            raise ValueError(f"must be {want}, but {p.describe()} can give {lo:g} to {hi:g}{hint}")
        return p

    return Annotated[Param, AfterValidator(check)]


NonNegative = bounded(0.0)
Positive = bounded(0.0, strict_low=True)
Probability = bounded(0.0, 1.0)
