"""Replaying one run day by day, and finding a run in which an outcome happened.

A replay steps a batch of exactly one run (``runs = [i]``) with the same functions, in the
same order, as :func:`powderkeg.engine.simulate.simulate_chunk`. Every random draw is keyed
by ``(seed, stream, run, day)`` (:mod:`powderkeg.model.random`), so the replayed run is
identical to run ``i`` of any batch simulated with the same seed, whatever its size or
chunking; the replay only keeps the full daily :class:`~powderkeg.model.state.State`, which
a batch does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from powderkeg.errors import InputError
from powderkeg.model.build import Model, build_model
from powderkeg.model.random import MAX_DAYS, Streams
from powderkeg.model.state import State
from powderkeg.model.step import init_state, step
from powderkeg.model.world import World, sample_world
from powderkeg.scenario.decisions import Decision, decision_of
from powderkeg.scenario.schema import Scenario

__all__ = ["replay", "replay_world", "check_run", "trace", "RunTrace", "find_run", "MAX_RUN",
           "DEFAULT_FIND_RUNS", "FIND_CHUNK", "Playthrough"]

MAX_RUN = (1 << 32) - 1  # the generator's counter holds run numbers below 2**32
DEFAULT_FIND_RUNS = 10_000
FIND_CHUNK = 500


def _with_policy(scenario: Scenario, policy: str | None) -> Scenario:
    if policy is None:
        return scenario
    from powderkeg.scenario.load import with_policy

    return with_policy(scenario, policy)


def check_run(run: int) -> int:
    """``run`` as an int, or an :class:`InputError` saying why it is not a run index."""
    if isinstance(run, bool) or not isinstance(run, (int, np.integer)):
        raise InputError(f"A run index must be a whole number, not {run!r}.")
    if run < 0:
        raise InputError(f"Run index {run} is negative. Runs are numbered from 0 (run i of a "
                         "batch simulated with the same seed); give --run 0 or more.")
    if run > MAX_RUN:
        raise InputError(f"Run index {run} is beyond the random generator's range: runs are "
                         f"numbered 0 to {MAX_RUN:,}.")
    return int(run)


def _check_days(days: int) -> int:
    if not 0 <= days < MAX_DAYS:
        raise InputError(f"The horizon must be 0 to {MAX_DAYS - 1} days after the scenario "
                         f"date, not {days}.")
    return int(days)


def replay_world(model: Model, run: int, seed: int) -> World:
    """The sampled world (per-run parameters) of run ``run``: a batch of one, run axis 1."""
    return sample_world(model, Streams(seed), np.array([check_run(run)], dtype=np.int64))


def replay(scenario: Scenario, run: int, seed: int, days: int, policy: str | None = None, *,
           model: Model | None = None) -> Iterator[State]:
    """Yield the daily states (day 0 .. ``days``) of run ``run`` of ``scenario`` with ``seed``.

    Each state is a batch of one run (arrays with a run axis of length 1). ``policy``
    replaces the scenario's response policy as ``powderkeg run --policy`` does; ``model``
    (compiled from the same scenario and policy) saves compiling it again.
    """
    run, days = check_run(run), _check_days(days)
    model = model or build_model(_with_policy(scenario, policy))
    runs = np.array([run], dtype=np.int64)
    streams = Streams(seed)
    world = sample_world(model, streams, runs)
    state = init_state(model, world, streams, runs)
    yield state
    for _ in range(days):
        state = step(model, world, state, streams, runs)
        yield state


@dataclass(frozen=True)
class RunTrace:
    """Everything about one replayed run: its model, world and every daily state."""

    scenario: Scenario  # with the policy applied
    model: Model
    world: World
    run: int
    seed: int
    days: int
    states: tuple[State, ...]  # days 0 .. days

    @property
    def final(self) -> State:
        return self.states[-1]


def trace(scenario: Scenario, run: int, seed: int, days: int,
          policy: str | None = None) -> RunTrace:
    """Replay run ``run`` and keep its model, world and all daily states."""
    s = _with_policy(scenario, policy)
    model = build_model(s)
    states = tuple(replay(s, run, seed, days, model=model))
    return RunTrace(s, model, replay_world(model, run, seed), int(run), seed, int(days), states)


class Playthrough:
    """One run played period by period: the model plays every day, and on each decision day a
    player may fix some of the period's choices (decision -> option index, as
    :func:`~powderkeg.scenario.decisions.compiled_decisions` numbers them).

    The run stops on the eve of each decision day; :meth:`preview` steps that day with the
    model's own choices (its record holds every choice with the model's chances),
    :meth:`decide` steps it with the player's and plays on to the next eve. The states are
    those of :func:`replay` with the same choices fixed in ``politics.decisions``: the random
    draws are keyed by ``(seed, stream, run, day)``, so :meth:`decisions` replayed on any
    batch gives this run back as its run ``run``.
    """

    def __init__(self, model: Model, run: int, seed: int, days: int) -> None:
        if model.politics is None:
            raise InputError(f"Scenario '{model.scenario.id}' has no politics section: there "
                             "is no side's decision to play.")
        self.model, self.run, self.seed, self.days = model, check_run(run), seed, \
            _check_days(days)
        self.runs = np.array([self.run], dtype=np.int64)
        self.streams = Streams(seed)
        self.world = sample_world(model, self.streams, self.runs)
        self.states = [init_state(model, self.world, self.streams, self.runs)]
        self.fixed: dict[int, dict[str, int]] = {}
        self._preview: State | None = None
        self._advance(self._eve())

    @property
    def day(self) -> int:
        return self.states[-1].day

    @property
    def decision_day(self) -> int | None:
        """The next decision day within the horizon, ``None`` when the run is over."""
        period = self.model.politics.period
        d = (self.day // period + 1) * period
        return d if d <= self.days else None

    def _eve(self) -> int:
        return self.days if self.decision_day is None else self.decision_day - 1

    def _step(self, model: Model) -> State:
        return step(model, self.world, self.states[-1], self.streams, self.runs)

    def _advance(self, to: int) -> None:
        while self.day < to:
            self.states.append(self._step(self.model))

    def _fixing(self, day: int, fixed: dict[str, int]) -> Model:
        pm = replace(self.model.politics, decisions={day: dict(fixed)} if fixed else {})
        return replace(self.model, politics=pm)

    def preview(self) -> State:
        """The decision day as the model alone would play it (cached)."""
        if self.decision_day is None:
            raise InputError("The run is over: there is no decision left to take.")
        if self._preview is None or self._preview.day != self.decision_day:
            self._preview = self._step(self._fixing(self.decision_day, {}))
        return self._preview

    def decide(self, fixed: dict[str, int]) -> None:
        """Step the decision day with the choices ``fixed`` and play on to the next eve."""
        day = self.decision_day
        if day is None:
            raise InputError("The run is over: there is no decision left to take.")
        self.states.append(self._step(self._fixing(day, fixed)))
        if fixed:
            self.fixed[day] = dict(fixed)
        self._advance(self._eve())

    def decisions(self) -> list[Decision]:
        """The choices fixed so far, as ``politics.decisions``."""
        return [decision_of(day, name, index) for day, fixed in sorted(self.fixed.items())
                for name, index in fixed.items()]


def find_run(scenario: Scenario, outcome_id: str, seed: int, days: int, *,
             max_runs: int = DEFAULT_FIND_RUNS, policy: str | None = None,
             chunk: int = FIND_CHUNK, progress=None) -> int:
    """The first run index (0, 1, ...) in which ``outcome_id`` happened by day ``days``.

    Simulates runs ``0 .. max_runs - 1`` in batches of ``chunk`` (stopping at the first batch
    with a hit) with :func:`powderkeg.engine.simulate.simulate`, so the answer is the same run
    a full ``powderkeg run`` with this seed would show. Raises :class:`InputError` for an
    unknown outcome id (listing the valid ones) or when no run in ``max_runs`` has the outcome.
    ``progress`` is called with run-days done.
    """
    from powderkeg.engine.simulate import simulate

    s = _with_policy(scenario, policy)
    ids = [o.id for o in s.outcomes]
    if outcome_id not in ids:
        raise InputError(f"Scenario '{s.id}' has no outcome '{outcome_id}'. Valid outcome ids: "
                         f"{', '.join(ids) if ids else '(none declared)'}.")
    if max_runs < 1 or chunk < 1:
        raise InputError(f"max_runs and chunk must be at least 1 (got {max_runs}, {chunk}).")
    if not 1 <= days < MAX_DAYS:
        raise InputError(f"The horizon must be 1 to {MAX_DAYS - 1} days, not {days}.")
    max_runs = min(int(max_runs), MAX_RUN + 1)
    j = ids.index(outcome_id)
    for first in range(0, max_runs, chunk):
        n = min(chunk, max_runs - first)
        ds = simulate(s, n, days, seed, chunk_size=n, run_offset=first, every=days,
                      progress=progress, series=())
        hit = np.flatnonzero(~np.isnan(ds["event_day"].values[:, j]))
        if len(hit):
            return int(ds["run"].values[hit[0]])
    raise InputError(f"Outcome '{outcome_id}' did not happen within {days} days in any of the "
                     f"first {max_runs:,} runs with seed {seed}. It may be rare or impossible "
                     "over this horizon: try a longer --days, another --seed, or more runs.")
