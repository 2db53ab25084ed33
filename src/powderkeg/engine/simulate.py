"""Simulating a batch of runs in chunks: one ``xarray.Dataset`` in memory, or a file.

:func:`simulate` assembles the chunks into a dataset in memory; :func:`simulate_to_file`
writes each chunk into the results file as it finishes (:mod:`powderkeg.engine.store`), so
the driver's memory does not grow with the number of runs. Both keep only the daily series
asked for (:mod:`powderkeg.engine.series`).

Run ``i`` depends only on ``(seed, i)``: chunks draw from counter-based streams keyed by run
number (:mod:`powderkeg.model.random`), so the results are the same for any chunk size, any
executor (:mod:`powderkeg.engine.executors`) and any number of workers, and merging chunks is
a concatenation in run order. With a work folder, every finished chunk is also saved
(:mod:`powderkeg.engine.checkpoint`) and an interrupted job resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from powderkeg import __version__
from powderkeg.engine.checkpoint import WorkFolder
from powderkeg.engine.executors import Executor, make_executor
from powderkeg.engine.series import ALL_NAMES, STRIKES_TO_DATE, layout, resolve
from powderkeg.engine.signals import check, deferred
from powderkeg.engine.store import ResultsFile, attributes, coordinates, variables
from powderkeg.engine.worker import Chunk, model_for, scenario_text
from powderkeg.model.build import Model
from powderkeg.model.compiled import warm_up, warm_up_model
from powderkeg.model.random import MAX_DAYS, Streams
from powderkeg.model.step import init_state, step, supply_ratio
from powderkeg.model.world import sample_parameters, sample_world
from powderkeg.scenario.schema import Scenario

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["simulate", "simulate_to_file", "simulate_chunk", "record_interval",
           "default_chunk", "manifest", "DEFAULT_CHUNK", "MIN_CHUNK"]

DEFAULT_CHUNK = 500  # runs per chunk of a large job
MIN_CHUNK = 250  # smaller chunks cost throughput (a day's step has a fixed cost per batch)
_CHUNKS_PER_JOB = 16  # chunks a job is cut into, between MIN_CHUNK and DEFAULT_CHUNK runs each
_SERIES_BUDGET = 600_000  # run-days of series kept before downsampling (~100-300 MB in memory)


def record_interval(runs: int, days: int) -> int:
    """Days between recorded series points, so that series stay a few tens of MB."""
    return max(1, int(np.ceil(runs * (days + 1) / _SERIES_BUDGET)))


def default_chunk(runs: int) -> int:
    """Runs per chunk: about 1/16 of the job, between ``MIN_CHUNK`` and ``DEFAULT_CHUNK``.

    It depends on the number of runs alone, so rerunning a command cuts it the same way.

    >>> default_chunk(1_000), default_chunk(6_000), default_chunk(100_000)
    (250, 375, 500)
    """
    return int(min(DEFAULT_CHUNK, max(MIN_CHUNK, -(-runs // _CHUNKS_PER_JOB))))


def _sizes(model: Model) -> dict[str, int]:
    """Length of each dimension of the series (:data:`powderkeg.engine.series.CATALOGUE`)."""
    factions = model.politics.faction_ids if model.politics is not None else ()
    return {"sector": model.n_sectors, "side": len(model.sides),
            "demand": len(model.demand_ids), "link": model.n_links, "faction": len(factions)}


_RECORD = {  # series name -> its value on a recorded day, from (world, state, strikes so far)
    "front_km": lambda world, state, struck: state.front,
    "forces": lambda world, state, struck: state.forces,
    "supply_ratio": lambda world, state, struck: supply_ratio(world, state),
    "stock_days": lambda world, state, struck: state.stock,
    "link_capacity": lambda world, state, struck: state.link_frac,
    "strikes_to_date": lambda world, state, struck: struck,
    "losses_to_date": lambda world, state, struck: state.losses.sum(axis=1),
    "escalation_rung": lambda world, state, struck: state.politics.rung,
    "influence": lambda world, state, struck: state.politics.influence,
}


def simulate_chunk(scenario: Scenario, job: Chunk, model: Model,
                   progress: Callable[[int], None] | None = None) -> dict:
    """Simulate one chunk of ``scenario`` (compiled as ``model``); its arrays in a dict.

    Only the series ``job.series`` are recorded. ``progress`` is called with the chunk's
    number of runs after every day.
    """
    runs = np.asarray(job.runs, dtype=np.int64)
    streams = Streams(job.seed)
    world = sample_world(model, streams, runs, job.uniforms)
    state = init_state(model, world, streams, runs)
    rec_days = recorded_days(job.days, job.every)
    n, t = len(runs), len(rec_days)
    series = {name: np.empty((n, t, *shape), dtype)
              for name, (shape, dtype) in layout(job.series, _sizes(model)).items()}
    struck = np.zeros((n, model.n_links), STRIKES_TO_DATE)

    def record(k):
        for name, values in series.items():
            values[:, k] = _RECORD[name](world, state, struck)

    slot = {int(d): k for k, d in enumerate(rec_days)}
    record(0)
    for day in range(1, job.days + 1):
        state = step(model, world, state, streams, runs)
        struck += state.hits
        if day in slot:
            record(slot[day])
        if progress is not None:
            progress(n)
    params = sample_parameters(model, streams, runs, job.uniforms)
    random = _random_parameters(model)
    theory = world.politics.theory if world.politics is not None else np.full(n, -1)
    return {
        "theory": theory,
        "event_day": state.outcomes.first_day,
        "params": np.stack([params[p] for p in random], axis=1) if random else np.zeros((n, 0)),
        "runs": runs,
        "series": series,
        "losses": state.losses,
        "rec_days": rec_days,
        "param_names": random,
    }


def _random_parameters(model: Model) -> list[str]:
    """Paths of the uncertain parameters: the columns of ``parameter_value``."""
    return [p for p, v in zip(model.world_paths, model.world_params, strict=False) if v.is_random]


def recorded_days(days: int, every: int) -> np.ndarray:
    """Days kept in the series: every ``every`` days from day 0, and always the horizon."""
    return np.union1d(np.arange(0, days + 1, every), [days])


def _chunks(ids: np.ndarray, days: int, seed: int, every: int, uniforms: dict,
            chunk: int, series: tuple[str, ...]) -> list[Chunk]:
    cuts = range(0, len(ids), chunk)
    return [Chunk(k, ids[a:a + chunk], days, seed, every,
                  {p: v[a:a + chunk] for p, v in uniforms.items()} or None, series)
            for k, a in enumerate(cuts)]


@dataclass(frozen=True)
class _Job:
    """A planned simulation: its chunks, recording interval, series and checkpoints."""

    ids: np.ndarray
    days: int
    seed: int
    every: int
    chunk: int
    series: tuple[str, ...]
    chunks: list[Chunk]
    work: WorkFolder | None


def _plan(scenario: Scenario, runs: int, days: int, seed: int, chunk_size, run_offset, every,
          param_uniforms, run_ids, series, work_dir) -> _Job:
    ids = (np.arange(run_offset, run_offset + runs, dtype=np.int64) if run_ids is None
           else np.asarray(run_ids, dtype=np.int64))
    if len(ids) < 1 or days < 1 or days >= MAX_DAYS:
        raise ValueError(f"runs must be >= 1 and days in 1..{MAX_DAYS - 1}")
    every = every or record_interval(len(ids), days)
    chunk_size = chunk_size or default_chunk(len(ids))
    kept = resolve(series, scenario.politics is not None)
    given = {k: np.asarray(v, dtype=float) for k, v in (param_uniforms or {}).items()}
    work = None
    if work_dir is not None:
        work = WorkFolder(work_dir).claim()
        work.pin(manifest(scenario, ids, days, seed, every, chunk_size, given, kept))
    warm_up()  # compiled (or loaded from the cache) here, so workers load the cache
    warm_up_model(model_for(scenario))
    return _Job(ids, days, seed, every, chunk_size, kept,
                _chunks(ids, days, seed, every, given, chunk_size, kept), work)


def simulate(scenario: Scenario, runs: int, days: int, seed: int = 0, *,
             chunk_size: int | None = None, workers: int = 1,
             progress: Callable[[int], None] | None = None,
             run_offset: int = 0, every: int | None = None,
             param_uniforms: dict[str, np.ndarray] | None = None,
             run_ids: np.ndarray | None = None, executor: Executor | None = None,
             work_dir: Path | None = None,
             series: tuple[str, ...] | None = ALL_NAMES) -> xr.Dataset:
    """Simulate runs ``run_offset .. run_offset + runs - 1`` for ``days`` days, in memory.

    ``progress`` is called with the number of run-days just completed; if it has a ``skip``
    method, that is called instead for chunks loaded from checkpoints. ``executor`` computes
    the chunks (:mod:`powderkeg.engine.executors`; default: ``workers`` local processes);
    the results depend on neither. ``chunk_size`` defaults to :func:`default_chunk`.
    ``param_uniforms`` maps parameter paths (``Model.world_paths``) to one uniform draw per
    run, replacing the parameter's own stream (for designed experiments such as a
    sensitivity analysis). ``run_ids`` lists the run numbers explicitly instead (repeats
    allowed: rows with the same number share every random stream; ``runs`` and
    ``run_offset`` are then ignored). ``work_dir`` keeps every finished chunk there and
    reuses the chunks already there (:class:`~powderkeg.engine.checkpoint.WorkFolder`); a
    work folder of another job is refused. ``series`` names the daily series to keep
    (default: every one; ``()`` keeps none, ``None`` the defaults of
    :data:`powderkeg.engine.series.DEFAULT`). :func:`simulate_to_file` writes the same
    dataset to a file without holding it in memory.
    """
    import xarray as xr  # here, not at the top: `powderkeg run` writes a file without it

    job = _plan(scenario, runs, days, seed, chunk_size, run_offset, every, param_uniforms,
                run_ids, series, work_dir)
    model = model_for(scenario)
    parts = dict(_stream(scenario, job, executor, workers, progress))
    rows = [_rows(model, parts[i]) for i in range(len(job.chunks))]
    data = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    layout_ = _layout(scenario, model, job)
    ds = xr.Dataset({k: (dims, data[k], attrs) for k, (dims, _, attrs)
                     in layout_["data_vars"].items()},
                    coords={k: (dim, values) for k, (dim, values)
                            in layout_["coords"].items()})
    ds.attrs.update(layout_["attrs"])
    return ds


def simulate_to_file(path: Path, scenario: Scenario, runs: int, days: int, seed: int = 0, *,
                     chunk_size: int | None = None, workers: int = 1,
                     progress: Callable[[int], None] | None = None,
                     every: int | None = None, executor: Executor | None = None,
                     work_dir: Path | None = None,
                     series: tuple[str, ...] | None = None) -> None:
    """Simulate like :func:`simulate` and write the dataset to ``path`` chunk by chunk.

    Each chunk's rows are written as the chunk finishes, so memory does not grow with the
    number of runs. ``series`` defaults to :data:`powderkeg.engine.series.DEFAULT`. ``path``
    is incomplete until this returns: write it inside a results folder being written
    (:func:`powderkeg.results.atomic_folder`).
    """
    job = _plan(scenario, runs, days, seed, chunk_size, 0, every, None, None, series,
                work_dir)
    model = model_for(scenario)
    layout_ = _layout(scenario, model, job)
    with deferred():  # a signal inside h5py's weakref callbacks would be swallowed
        f = ResultsFile(path, layout_["coords"], layout_["data_vars"], layout_["attrs"],
                        job.chunk)
    try:
        check()
        for i, part in _stream(scenario, job, executor, workers, progress):
            with deferred():
                f.write(i * job.chunk, _rows(model, part))
            check()
    finally:
        with deferred():
            f.close()
    check()


def manifest(scenario: Scenario, ids: np.ndarray, days: int, seed: int, every: int,
             chunk: int, uniforms: dict[str, np.ndarray], series: tuple[str, ...]) -> dict:
    """What a work folder's chunks are chunks of; resuming needs every field to match."""
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    design = b"".join(p.encode() + np.ascontiguousarray(v, dtype=float).tobytes()
                      for p, v in sorted(uniforms.items()))
    return {
        "powderkeg_version": __version__, "scenario": scenario.id,
        "scenario_sha256": digest(scenario_text(scenario).encode()),
        "policy": scenario.politics.policy if scenario.politics is not None else None,
        "seed": int(seed), "runs": len(ids), "first_run": int(ids[0]),
        "run_ids_sha256": digest(np.ascontiguousarray(ids).tobytes()), "days": int(days),
        "record_every_days": int(every), "chunk": int(chunk), "series": ",".join(series),
        "param_uniforms_sha256": digest(design) if uniforms else None,
    }


def _stream(scenario, job: _Job, executor, workers, progress) -> Iterator[tuple[int, dict]]:
    """``(chunk index, arrays)`` of every chunk: loaded from the work folder one at a time,
    then computed (and saved there) as they finish, in any order."""
    chunks, work = job.chunks, job.work
    done = set()
    for i in work.done() if work is not None else ():
        part = work.load(i) if i < len(chunks) else None
        if part is not None and np.array_equal(part["runs"], chunks[i].runs):
            done.add(i)
            if progress is not None:
                getattr(progress, "skip", progress)(len(chunks[i].runs) * chunks[i].days)
            yield i, part
    todo = [c for c in chunks if c.index not in done]
    if not todo:
        return
    ex = executor or make_executor(workers if len(todo) > 1 else 1)
    try:
        for chunk, part in ex.imap(scenario, todo, progress):
            if work is not None:
                work.save(chunk.index, part)
            yield chunk.index, part
    except BaseException:
        ex.abort()
        raise
    if executor is None:
        ex.close()


def _layout(scenario, model, job: _Job) -> dict:
    """Coordinates, data variables and attributes of the job's dataset (engine/store.py)."""
    return {"coords": coordinates(scenario, model, job.ids, recorded_days(job.days, job.every),
                                  _random_parameters(model)),
            "data_vars": variables(model.politics is not None, job.series),
            "attrs": attributes(scenario, scenario_text(scenario), len(job.ids), job.days,
                                job.seed, job.every, job.series)}


def _rows(model, part: dict) -> dict[str, np.ndarray]:
    """A chunk's arrays as the rows of each data variable of the dataset."""
    event = part["event_day"].astype(np.float32)
    event[event < 0] = np.nan
    rows = {"event_day": event, "parameter_value": part["params"],
            "losses": part["losses"].astype(np.float32)}
    if model.politics is not None:
        rows["theory"] = np.array(model.politics.theory_ids)[part["theory"]].astype(str)
    return rows | part["series"]
