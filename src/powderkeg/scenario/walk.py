"""Walking a scenario's numbers: every Param with a stable, readable path.

Paths use ids rather than list positions (``links[kerch_rail].capacity``), so a variant made
with ``extends`` names the same number the same way; the engine keys each parameter's random
stream by this path, which gives two variants common random numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from powderkeg.scenario.params import _Number

__all__ = ["iter_params"]


def iter_params(obj, path: str = "") -> Iterator[tuple[str, _Number]]:
    """Yield ``(path, param)`` for every number in ``obj`` (a scenario or part of one)."""
    if isinstance(obj, _Number):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from iter_params(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from iter_params(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            label = getattr(item, "id", i)
            yield from iter_params(item, f"{path}[{label}]")
