"""Declared outcomes as compiled predicates on the daily state, and their first days.

An outcome happens on the first day its predicate has held for its required number of days
in a row (``held_days`` of ``objective_taken``, ``days`` of ``supply_below`` and
``rung_reached``, else one).

Each kind of outcome is one compiled predicate of one run (Numba, ``cache=True``,
``nogil=True``, no fast-math); :func:`outcome_holds` evaluates a scenario's outcomes,
encoded as flat arrays (:func:`outcome_codes`), over every run of a chunk in one call, and
:func:`outcomes_today` evaluates them and updates the streaks and first days, run by run
in one compiled pass (:func:`run_holds`, :func:`run_track`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["OutcomeTracker", "OutcomeCodes", "outcome_codes", "outcome_holds", "holds_today",
           "required_days", "outcomes_today", "run_holds", "run_track", "pairwise_sum",
           "objective_taken", "sector_withdrawn", "link_capacity_at_least", "link_struck",
           "supply_below", "warm_up", "DAY"]

_JIT = {"cache": True, "nogil": True}
DAY = np.int32
"""Dtype of streaks, first days (-1: not yet) and event days. Exact: a run has at most
``MAX_DAYS`` = 2**16 days (the random streams refuse later days), far below 2**31."""


_CAUSE = {"any": 0, "ordered": 1, "pushed": 2}  # State.withdrawal codes, 0: either
_KINDS = ("objective_taken", "sector_withdrawn", "link_capacity_at_least", "link_struck",
          "rung_reached", "event_happened", "supply_below")


class OutcomeCodes(NamedTuple):
    """A scenario's outcomes as flat arrays, outcome ``j`` in row ``j``."""

    kind: np.ndarray  # (O,) index in _KINDS
    index: np.ndarray  # (O,) side, sector, rung or event the predicate looks at
    code: np.ndarray  # (O,) withdrawal cause (0 any) of sector_withdrawn
    fraction: np.ndarray  # (O,) threshold of link_capacity_at_least and supply_below
    start: np.ndarray  # (O + 1,) outcome j's members are members[start[j]:start[j + 1]]
    members: np.ndarray  # its objective, link or demand indices
    required: np.ndarray  # (O,) days in a row the predicate must hold (required_days)


@dataclass(frozen=True)
class OutcomeTracker:
    streak: np.ndarray  # (R, O) DAY: days in a row the predicate has held
    first_day: np.ndarray  # (R, O) DAY: first day it happened, -1 if not yet
    codes: OutcomeCodes  # the scenario's outcomes, encoded once (outcome_codes)


def required_days(outcome) -> int:
    if outcome.kind == "objective_taken":
        return max(1, outcome.held_days)
    if outcome.kind in ("supply_below", "rung_reached"):
        return outcome.days
    return 1


def _members_and_index(model, o) -> tuple[list[int], int]:
    if o.kind == "objective_taken":
        return ([model.objective_ids.index((t.sector, t.objective)) for t in o.targets],
                model.sides.index(o.side))
    if o.kind == "sector_withdrawn":
        return [], model.sector_ids.index(o.sector)
    if o.kind in ("link_capacity_at_least", "link_struck"):
        return [model.link_ids.index(x) for x in o.links], 0
    if o.kind == "rung_reached":
        return [], model.politics.rung_ids.index(o.rung)
    if o.kind == "event_happened":
        return [], model.politics.event(o.event)
    if o.kind == "supply_below":
        return [model.demand_ids.index(x) for x in o.demands], 0
    raise ValueError(f"unknown outcome kind {o.kind}")


def outcome_codes(model) -> OutcomeCodes:
    """Encode ``model.scenario.outcomes`` for :func:`outcome_holds`."""
    outcomes = model.scenario.outcomes
    parts = [_members_and_index(model, o) for o in outcomes]
    sizes = [len(members) for members, _ in parts]
    return OutcomeCodes(
        kind=np.array([_KINDS.index(o.kind) for o in outcomes], np.int64),
        index=np.array([index for _, index in parts], np.int64),
        code=np.array([_CAUSE[getattr(o, "cause", "any")] for o in outcomes], np.int64),
        fraction=np.array([float(getattr(o, "fraction", 0.0)) for o in outcomes]),
        start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        members=np.array([m for members, _ in parts for m in members], np.int64),
        required=np.array([required_days(o) for o in outcomes], np.int64))


@njit(**_JIT)
def _block_sum(values, index, lo, hi):
    """NumPy's pairwise sum of at most 128 gathered values ``values[index[lo:hi]]``."""
    n = hi - lo
    if n < 8:
        total = 0.0
        for i in range(lo, hi):
            total += values[index[i]]
        return total
    r = np.empty(8)
    for j in range(8):
        r[j] = values[index[lo + j]]
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += values[index[lo + i + j]]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        total += values[index[lo + i]]
        i += 1
    return total


@njit(**_JIT)
def pairwise_sum(values, index, lo, hi):
    """``values[index[lo:hi]].sum()`` as NumPy adds that gathered row, bit for bit.

    From zero, one by one below 8 values; up to 128, eight partial sums added as
    ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`` and then the rest; above, the
    two halves (the first a multiple of 8 long) summed so and added (NumPy's
    ``pairwise_sum``, ``loops_utils.h``). The halving is walked with an explicit stack, not
    by recursion, so that kernels of other modules can call it from Numba's cache.
    """
    if hi - lo <= 128:
        return _block_sum(values, index, lo, hi)
    bounds = np.empty((64, 2), np.int64)  # each level halves: 64 levels hold any length
    stage = np.zeros(64, np.int64)  # 0: start, 1: left half summed, 2: right half summed
    left = np.empty(64)
    bounds[0, 0], bounds[0, 1] = lo, hi
    depth, result = 0, 0.0
    while depth >= 0:
        a, b = bounds[depth, 0], bounds[depth, 1]
        if b - a <= 128:
            result = _block_sum(values, index, a, b)
            depth -= 1
            continue
        half = (b - a) // 2
        half -= half % 8
        if stage[depth] == 0:
            stage[depth] = 1
            depth += 1
            bounds[depth, 0], bounds[depth, 1], stage[depth] = a, a + half, 0
        elif stage[depth] == 1:
            left[depth], stage[depth] = result, 2
            depth += 1
            bounds[depth, 0], bounds[depth, 1], stage[depth] = a + half, b, 0
        else:
            result = left[depth] + result
            depth -= 1
    return result


@njit(**_JIT)
def objective_taken(front, objective_km, objective_sector, r, objectives, lo, hi, side):
    """Whether ``side`` holds any of ``objectives[lo:hi]`` in run ``r``: the first side once
    its sector's front ``x`` has passed the objective's km (``x > k``), the second while
    ``x < k``."""
    for m in range(lo, hi):
        i = objectives[m]
        x, km = front[r, objective_sector[i]], objective_km[r, i]
        if (x > km) if side == 0 else (x < km):
            return True
    return False


@njit(**_JIT)
def sector_withdrawn(cause, code):
    """Whether a bridgehead was given up by the cause ``code`` (0: by either)."""
    return cause > 0 if code == 0 else cause == code


@njit(**_JIT)
def link_capacity_at_least(link_frac, r, links, lo, hi, fraction):
    """Whether every link of ``links[lo:hi]`` is open to at least ``fraction`` in run ``r``
    (``1e-12`` slack)."""
    for m in range(lo, hi):
        if not link_frac[r, links[m]] >= fraction - 1e-12:
            return False
    return True


@njit(**_JIT)
def link_struck(hits, r, links, lo, hi):
    """Whether any link of ``links[lo:hi]`` was hit today in run ``r``."""
    for m in range(lo, hi):
        if hits[r, links[m]] > 0:
            return True
    return False


@njit(**_JIT)
def supply_below(delivered, need, r, demands, lo, hi, fraction):
    """Whether ``demands[lo:hi]`` got under ``fraction`` of their summed need today in run
    ``r``: ``sum delivered < fraction sum need``, sums as NumPy's (:func:`pairwise_sum`)."""
    return (pairwise_sum(delivered[r], demands, lo, hi)
            < fraction * pairwise_sum(need[r], demands, lo, hi))


@njit(**_JIT)
def run_holds(kind, index, code, fraction, start, members, front, objective_km,
              objective_sector, withdrawal, link_frac, hits, rung, event_day, need, delivered,
              r, out):
    """Whether each outcome's predicate holds in run ``r`` today, into ``out`` (O,) bool.

    Outcome ``j`` (:class:`OutcomeCodes` ``kind``, ``index``, ``code``, ``fraction``,
    ``start``, ``members``): :func:`objective_taken`, :func:`sector_withdrawn`,
    :func:`link_capacity_at_least`, :func:`link_struck`, the rung ``rung[r] >= index``, the
    event has a day (``event_day[r, index] >= 0``) or :func:`supply_below`; ``front``,
    ``withdrawal`` (R, S), ``link_frac``, ``hits`` (R, E), ``need``, ``delivered`` (R, D).
    """
    for j in range(kind.size):
        k, i, lo, hi = kind[j], index[j], start[j], start[j + 1]
        if k == 0:
            out[j] = objective_taken(front, objective_km, objective_sector, r, members, lo, hi,
                                     i)
        elif k == 1:
            out[j] = sector_withdrawn(withdrawal[r, i], code[j])
        elif k == 2:
            out[j] = link_capacity_at_least(link_frac, r, members, lo, hi, fraction[j])
        elif k == 3:
            out[j] = link_struck(hits, r, members, lo, hi)
        elif k == 4:
            out[j] = rung[r] >= i
        elif k == 5:
            out[j] = event_day[r, i] >= 0
        else:
            out[j] = supply_below(delivered, need, r, members, lo, hi, fraction[j])


@njit(**_JIT)
def _holds(kind, index, code, fraction, start, members, front, objective_km,
           objective_sector, withdrawal, link_frac, hits, rung, event_day, need, delivered):
    """:func:`run_holds` of every run, ``(R, O)`` bool."""
    out = np.zeros((front.shape[0], kind.size), np.bool_)
    for r in range(front.shape[0]):
        run_holds(kind, index, code, fraction, start, members, front, objective_km,
                  objective_sector, withdrawal, link_frac, hits, rung, event_day, need,
                  delivered, r, out[r])
    return out


@njit(**_JIT)
def run_track(streak, first_day, holds, required, day, streak_out, first_out):
    """One run's streaks and first days after today, into ``streak_out`` and ``first_out``
    (O,) DAY: ``s_t = (s_{t-1} + 1) [holds]``; the first day is ``t`` once
    ``s_t >= required`` (and stays)."""
    for j in range(len(holds)):
        streak_out[j] = streak[j] + 1 if holds[j] else 0
        first_out[j] = first_day[j]
        if first_out[j] < 0 and streak_out[j] >= required[j]:
            first_out[j] = day


@njit(**_JIT)
def _outcomes_day(kind, index, code, fraction, start, members, required, front, objective_km,
                  objective_sector, withdrawal, link_frac, hits, rung, event_day, need,
                  delivered, streak, first_day, day):
    """Each run's :func:`run_holds` and then :func:`run_track`: the streaks and first days
    after ``day``, ``(R, O)`` DAY each."""
    streak_out, first_out = np.empty_like(streak), np.empty_like(first_day)
    holds = np.empty(kind.size, np.bool_)
    for r in range(front.shape[0]):
        run_holds(kind, index, code, fraction, start, members, front, objective_km,
                  objective_sector, withdrawal, link_frac, hits, rung, event_day, need,
                  delivered, r, holds)
        run_track(streak[r], first_day[r], holds, required, day, streak_out[r], first_out[r])
    return streak_out, first_out


def outcome_holds(model, world, state) -> np.ndarray:
    """Whether each outcome's predicate holds in ``state``, shape ``(R, O)``
    (:func:`holds_today` of its arrays)."""
    c = state.outcomes.codes if state.outcomes is not None else outcome_codes(model)
    return holds_today(model, world, c, state.front, state.withdrawal, state.link_frac,
                       state.hits, state.politics, state.need, state.delivered)


def holds_today(model, world, codes: OutcomeCodes, front, withdrawal, link_frac, hits,
                politics, need, delivered) -> np.ndarray:
    """Whether each outcome's predicate holds today, shape ``(R, O)``, from today's arrays of
    the state (``politics`` a ``PoliticsState`` or ``None``).

    ``rung_reached``: the rung at least the outcome's; ``event_happened``: the event has a
    day; the other kinds are the predicates of this module.
    """
    c = codes
    return _holds(c.kind, c.index, c.code, c.fraction, c.start, c.members, front,
                  world.objective_km, model.objective_sector, withdrawal, link_frac, hits,
                  *_politics_arrays(politics, front.shape[0]), need, delivered)


def _politics_arrays(politics, runs):
    """The rung ``(R,)`` and event days ``(R, V)`` the predicates read (none without
    politics)."""
    if politics is None:
        return np.zeros(runs, np.int8), np.zeros((runs, 0), DAY)
    return politics.rung, politics.event_day


def outcomes_today(model, world, tracker: OutcomeTracker | None, front, withdrawal, link_frac,
                   hits, politics, need, delivered, day: int) -> OutcomeTracker:
    """Streaks and first days after ``day`` (:func:`run_holds` and :func:`run_track` of each
    run in one compiled pass), from today's arrays of the state as :func:`holds_today`
    takes them; ``tracker`` is yesterday's, ``None`` on day 0."""
    runs = front.shape[0]
    if tracker is None:
        codes = outcome_codes(model)
        shape = (runs, len(codes.kind))
        tracker = OutcomeTracker(np.zeros(shape, DAY), np.full(shape, -1, DAY), codes)
    c = tracker.codes
    return OutcomeTracker(*_outcomes_day(
        c.kind, c.index, c.code, c.fraction, c.start, c.members, c.required, front,
        world.objective_km, model.objective_sector, withdrawal, link_frac, hits,
        *_politics_arrays(politics, runs), need, delivered, tracker.streak,
        tracker.first_day, day), c)


def warm_up() -> None:
    """Compile the outcome kernels, or load them from Numba's cache, on one run and one
    outcome of each kind that has members (the argument types of :func:`outcome_holds`)."""
    kind, zeros = np.array([0, 2, 6], np.int64), np.zeros(3, np.int64)
    _holds(kind, zeros, zeros, np.zeros(3), np.arange(4, dtype=np.int64), zeros,
           np.ones((1, 1)), np.ones((1, 1)), np.zeros(1, np.int64), np.zeros((1, 1), np.int8),
           np.ones((1, 1)), np.zeros((1, 1), np.int8), np.zeros(1, np.int8),
           np.zeros((1, 0), DAY), np.ones((1, 1)), np.ones((1, 1)))
    _outcomes_day(kind, zeros, zeros, np.zeros(3), np.arange(4, dtype=np.int64), zeros,
                  np.ones(3, np.int64), np.ones((1, 1)), np.ones((1, 1)),
                  np.zeros(1, np.int64), np.zeros((1, 1), np.int8), np.ones((1, 1)),
                  np.zeros((1, 1), np.int8), np.zeros(1, np.int8), np.zeros((1, 0), DAY),
                  np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 3), DAY),
                  np.full((1, 3), -1, DAY), 0)
