"""Declared outcomes as vectorised predicates on the daily state, and their first days.

An outcome happens on the first day its predicate has held for its required number of days
in a row (``held_days`` of ``objective_taken``, ``days`` of ``supply_below`` and
``rung_reached``, else one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OutcomeTracker", "outcome_holds", "required_days", "track"]


@dataclass(frozen=True)
class OutcomeTracker:
    streak: np.ndarray  # (R, O) days in a row the predicate has held
    first_day: np.ndarray  # (R, O) first day it happened, -1 if not yet


_CAUSE = {"ordered": 1, "pushed": 2}  # State.withdrawal codes


def required_days(outcome) -> int:
    if outcome.kind == "objective_taken":
        return max(1, outcome.held_days)
    if outcome.kind in ("supply_below", "rung_reached"):
        return outcome.days
    return 1


def _holds(model, world, state, o) -> np.ndarray:
    if o.kind == "objective_taken":
        side = model.sides.index(o.side)
        out = np.zeros(state.front.shape[0], dtype=bool)
        for t in o.targets:
            i = model.objective_ids.index((t.sector, t.objective))
            x, km = state.front[:, model.objective_sector[i]], world.objective_km[:, i]
            out |= (x > km) if side == 0 else (x < km)
        return out
    if o.kind == "sector_withdrawn":
        cause = state.withdrawal[:, model.sector_ids.index(o.sector)]
        return cause == _CAUSE[o.cause] if o.cause != "any" else cause > 0
    links = [model.link_ids.index(x) for x in getattr(o, "links", [])]
    if o.kind == "link_capacity_at_least":
        return (state.link_frac[:, links] >= o.fraction - 1e-12).all(axis=1)
    if o.kind == "link_struck":
        return (state.hits[:, links] > 0).any(axis=1)
    if o.kind == "rung_reached":
        return state.politics.rung >= model.politics.rung_ids.index(o.rung)
    if o.kind == "event_happened":
        return state.politics.event_day[:, model.politics.event(o.event)] >= 0
    if o.kind == "supply_below":
        dem = [model.demand_ids.index(x) for x in o.demands]
        need = state.need[:, dem].sum(axis=1)
        return state.delivered[:, dem].sum(axis=1) < o.fraction * need
    raise ValueError(f"unknown outcome kind {o.kind}")


def outcome_holds(model, world, state) -> np.ndarray:
    """Whether each outcome's predicate holds today, shape ``(R, O)``."""
    runs = state.front.shape[0]
    cols = [_holds(model, world, state, o) for o in model.scenario.outcomes]
    return np.stack(cols, axis=1) if cols else np.zeros((runs, 0), dtype=bool)


def track(model, tracker: OutcomeTracker | None, holds: np.ndarray, day: int) -> OutcomeTracker:
    """Update streaks and first days with today's predicates."""
    if tracker is None:
        tracker = OutcomeTracker(np.zeros(holds.shape, int), np.full(holds.shape, -1))
    need = np.array([required_days(o) for o in model.scenario.outcomes], dtype=int)
    streak = np.where(holds, tracker.streak + 1, 0)
    new = (tracker.first_day < 0) & (streak >= need[None, :])
    return OutcomeTracker(streak, np.where(new, day, tracker.first_day))
