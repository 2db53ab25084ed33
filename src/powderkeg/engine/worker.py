"""What runs inside a worker process: one-time setup and the chunk task.

A task is a :class:`Chunk` (run numbers and, for designed experiments, their parameter
quantiles: a few kB) plus the scenario, which each worker receives once. The pool passes the
scenario to :func:`init_pool_worker`; Dask scatters it to every worker and hands each task a
reference to the worker's copy. The compiled model is kept per process (:func:`model_for`),
so a worker compiles each scenario once, not once per chunk.

A task is a pure function of its chunk and the scenario: running it twice gives the same
arrays, so a chunk lost with its worker is simply computed again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np

from powderkeg.model.build import Model, build_model
from powderkeg.scenario.schema import Scenario

__all__ = ["Chunk", "run_chunk", "model_for", "scenario_text", "init_pool_worker", "watch_parent",
           "dask_setup", "PARENT_POLL_S"]

PARENT_POLL_S = 0.5  # how often a worker checks that the process that started it is alive


@dataclass(frozen=True)
class Chunk:
    """One task: chunk ``index`` simulates the runs ``runs`` for ``days`` days.

    ``uniforms`` maps parameter paths to one uniform per run of the chunk (designed
    experiments), or is ``None``. ``every`` is the recording interval of the series and
    ``series`` their names (:mod:`powderkeg.engine.series`).
    """

    index: int
    runs: np.ndarray
    days: int
    seed: int
    every: int
    uniforms: dict[str, np.ndarray] | None = None
    series: tuple[str, ...] = ()


class _ModelMemo:
    """The last scenario of this process: its resolved YAML (serialised once per scenario
    object) and its compiled model (built once per distinct YAML)."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.model: Model | None = None
        self.scenario: Scenario | None = None
        self.text: str | None = None

    def yaml(self, scenario: Scenario) -> str:
        from powderkeg.scenario.load import scenario_to_yaml

        if self.scenario is not scenario:
            self.text, self.scenario = scenario_to_yaml(scenario), scenario
        return self.text

    def get(self, scenario: Scenario) -> Model:
        key = self.yaml(scenario)
        if key != self.key:
            self.key, self.model = key, build_model(scenario)
        return self.model


_MEMO = _ModelMemo()  # per process: a worker compiles each scenario it is given once
_POOL_SCENARIO: list[Scenario] = []  # the scenario a pool worker was started with


def model_for(scenario: Scenario) -> Model:
    """The compiled model of ``scenario``, compiled at most once per process in a row."""
    return _MEMO.get(scenario)


def scenario_text(scenario: Scenario) -> str:
    """``scenario_to_yaml(scenario)``, serialised once for the same scenario object."""
    return _MEMO.yaml(scenario)


def run_chunk(chunk: Chunk, scenario: Scenario | None = None) -> dict:
    """Simulate one chunk and return its arrays (:func:`~powderkeg.engine.simulate.simulate_chunk`).

    ``scenario`` is ``None`` in a pool worker, which uses the scenario it was started with.
    """
    from powderkeg.engine.simulate import simulate_chunk

    scenario = scenario if scenario is not None else _POOL_SCENARIO[0]
    return simulate_chunk(scenario, chunk, model_for(scenario))


def watch_parent(poll_s: float = PARENT_POLL_S) -> None:
    """Exit this process as soon as the process that started it is gone.

    A daemon thread compares ``os.getppid()`` with its value at start; when the parent dies
    (even by ``kill -9``), the worker is re-parented and exits within ``poll_s`` seconds, so a
    killed driver never leaves workers behind.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="powderkeg-parent-watch", daemon=True).start()


def init_pool_worker(scenario: Scenario) -> None:
    """Set up a pool worker: keep ``scenario``, ignore Ctrl-C, exit with the driver.

    Ctrl-C on a terminal reaches every process of the group; the driver alone decides what
    happens (it stops the workers), so a worker ignores it instead of dying mid-task. SIGTERM
    gets its default action back (a forked worker inherits the driver's handler), so the
    driver's ``terminate()`` ends the worker at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _POOL_SCENARIO[:] = [scenario]
    model_for(scenario)
    watch_parent()


def dask_setup(worker) -> None:
    """Preload hook of the workers of a ``LocalCluster`` we start: ignore Ctrl-C.

    Ctrl-C reaches the workers too (one process group); the driver stops them itself, so
    they neither die mid-task nor print a ``KeyboardInterrupt`` of their own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
