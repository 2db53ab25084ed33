"""Which numbers of a scenario are sourced and which are assumptions.

A number is *sourced* when it has a ``source`` and its ``note`` does not call it an
assumption; every other number (no source, or a note starting with "assumption") is an
*assumption*. Defaults not written in the file are not counted.
"""

from __future__ import annotations

from powderkeg.scenario.schema import Scenario
from powderkeg.scenario.walk import iter_params

__all__ = ["is_assumption", "provenance"]


def is_assumption(param) -> bool:
    note = (param.note or "").strip().lower()
    return not param.source or note.startswith("assumption")


def provenance(scenario: Scenario) -> list[tuple[str, object, bool]]:
    """``(path, param, is_assumption)`` for every number in the scenario."""
    return [(path, p, is_assumption(p)) for path, p in iter_params(scenario)]
