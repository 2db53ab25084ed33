"""Simulating a batch of runs in chunks and assembling one ``xarray.Dataset``.

Run ``i`` depends only on ``(seed, i)``: chunks draw from counter-based streams keyed by run
number (:mod:`powderkeg.model.random`), so the results are the same for any chunk size, any
executor (:mod:`powderkeg.engine.executors`) and any number of workers, and merging chunks is
a concatenation in run order. With a work folder, every finished chunk is also saved
(:mod:`powderkeg.engine.checkpoint`) and an interrupted job resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr

from powderkeg import __version__
from powderkeg.engine.checkpoint import WorkFolder
from powderkeg.engine.executors import Executor, make_executor
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.model.build import Model
from powderkeg.model.compiled import warm_up
from powderkeg.model.random import MAX_DAYS, Streams
from powderkeg.model.step import init_state, step, supply_ratio
from powderkeg.model.world import sample_parameters, sample_world
from powderkeg.scenario.load import scenario_to_yaml
from powderkeg.scenario.schema import Scenario

__all__ = ["simulate", "simulate_chunk", "record_interval", "default_chunk", "manifest",
           "DEFAULT_CHUNK", "MIN_CHUNK"]

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


def simulate_chunk(scenario: Scenario, job: Chunk, model: Model,
                   progress: Callable[[int], None] | None = None) -> dict:
    """Simulate one chunk of ``scenario`` (compiled as ``model``); its arrays in a dict.

    ``progress`` is called with the chunk's number of runs after every day.
    """
    runs = np.asarray(job.runs, dtype=np.int64)
    streams = Streams(job.seed)
    world = sample_world(model, streams, runs, job.uniforms)
    state = init_state(model, world, streams, runs)
    rec_days = recorded_days(job.days, job.every)
    n, t = len(runs), len(rec_days)
    series = {
        "front_km": np.empty((n, t, model.n_sectors), np.float32),
        "forces": np.empty((n, t, model.n_sectors, 2), np.float32),
        "supply_ratio": np.empty((n, t, len(model.demand_ids)), np.float32),
        "stock_days": np.empty((n, t, len(model.demand_ids)), np.float32),
        "link_capacity": np.empty((n, t, model.n_links), np.float32),
        "strikes_to_date": np.empty((n, t, model.n_links), np.int16),
        "losses_to_date": np.empty((n, t, 2), np.float32),
    }
    struck = np.zeros((n, model.n_links), np.int16)

    def record(k):
        series["front_km"][:, k] = state.front
        series["forces"][:, k] = state.forces
        series["supply_ratio"][:, k] = supply_ratio(world, state)
        series["stock_days"][:, k] = state.stock
        series["link_capacity"][:, k] = state.link_frac
        series["strikes_to_date"][:, k] = struck
        series["losses_to_date"][:, k] = state.losses.sum(axis=1)
        if state.politics is not None:
            series["escalation_rung"][:, k] = state.politics.rung
            series["influence"][:, k] = state.politics.influence

    if model.politics is not None:
        k = len(model.politics.faction_ids)
        series["escalation_rung"] = np.empty((n, t), np.int8)
        series["influence"] = np.empty((n, t, k), np.float32)
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
    random = [p for p, v in zip(model.world_paths, model.world_params, strict=False) if v.is_random]
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


def recorded_days(days: int, every: int) -> np.ndarray:
    """Days kept in the series: every ``every`` days from day 0, and always the horizon."""
    return np.union1d(np.arange(0, days + 1, every), [days])


def _chunks(ids: np.ndarray, days: int, seed: int, every: int, uniforms: dict,
            chunk: int) -> list[Chunk]:
    cuts = range(0, len(ids), chunk)
    return [Chunk(k, ids[a:a + chunk], days, seed, every,
                  {p: v[a:a + chunk] for p, v in uniforms.items()} or None)
            for k, a in enumerate(cuts)]


def simulate(scenario: Scenario, runs: int, days: int, seed: int = 0, *,
             chunk_size: int | None = None, workers: int = 1,
             progress: Callable[[int], None] | None = None,
             run_offset: int = 0, every: int | None = None,
             param_uniforms: dict[str, np.ndarray] | None = None,
             run_ids: np.ndarray | None = None, executor: Executor | None = None,
             work_dir: Path | None = None) -> xr.Dataset:
    """Simulate runs ``run_offset .. run_offset + runs - 1`` for ``days`` days.

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
    work folder of another job is refused.
    """
    ids = (np.arange(run_offset, run_offset + runs, dtype=np.int64) if run_ids is None
           else np.asarray(run_ids, dtype=np.int64))
    runs = len(ids)
    if runs < 1 or days < 1 or days >= MAX_DAYS:
        raise ValueError(f"runs must be >= 1 and days in 1..{MAX_DAYS - 1}")
    every = every or record_interval(runs, days)
    chunk_size = chunk_size or default_chunk(runs)
    given = {k: np.asarray(v, dtype=float) for k, v in (param_uniforms or {}).items()}
    chunks = _chunks(ids, days, seed, every, given, chunk_size)
    work = None
    if work_dir is not None:
        work = WorkFolder(work_dir).claim()
        work.pin(manifest(scenario, ids, days, seed, every, chunk_size, given))
    warm_up()  # compiled (or loaded from the cache) here, so workers load the cache
    parts = _gather(scenario, chunks, executor, workers, progress, work)
    return _assemble(scenario, model_for(scenario), parts, runs, days, seed, every)


def manifest(scenario: Scenario, ids: np.ndarray, days: int, seed: int, every: int,
             chunk: int, uniforms: dict[str, np.ndarray]) -> dict:
    """What a work folder's chunks are chunks of; resuming needs every field to match."""
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    design = b"".join(p.encode() + np.ascontiguousarray(v, dtype=float).tobytes()
                      for p, v in sorted(uniforms.items()))
    return {
        "powderkeg_version": __version__, "scenario": scenario.id,
        "scenario_sha256": digest(scenario_to_yaml(scenario).encode()),
        "policy": scenario.politics.policy if scenario.politics is not None else None,
        "seed": int(seed), "runs": len(ids), "first_run": int(ids[0]),
        "run_ids_sha256": digest(np.ascontiguousarray(ids).tobytes()), "days": int(days),
        "record_every_days": int(every), "chunk": int(chunk),
        "param_uniforms_sha256": digest(design) if uniforms else None,
    }


def _gather(scenario, chunks, executor, workers, progress, work) -> list[dict]:
    """The arrays of every chunk in run order: loaded from ``work``, or computed and saved."""
    parts = {}
    for i in work.done() if work is not None else ():
        part = work.load(i) if i < len(chunks) else None
        if part is not None and np.array_equal(part["runs"], chunks[i].runs):
            parts[i] = part
            if progress is not None:
                getattr(progress, "skip", progress)(len(chunks[i].runs) * chunks[i].days)
    todo = [c for c in chunks if c.index not in parts]
    if todo:
        ex = executor or make_executor(workers if len(todo) > 1 else 1)
        try:
            for chunk, part in ex.imap(scenario, todo, progress):
                if work is not None:
                    work.save(chunk.index, part)
                parts[chunk.index] = part
        except BaseException:
            ex.abort()
            raise
        if executor is None:
            ex.close()
    return [parts[i] for i in range(len(chunks))]


def _assemble(scenario, model, parts, runs, days, seed, every) -> xr.Dataset:
    cat = lambda key: np.concatenate([p[key] for p in parts], axis=0)  # noqa: E731
    series = {k: np.concatenate([p["series"][k] for p in parts]) for k in parts[0]["series"]}
    outcome_ids = [o.id for o in scenario.outcomes]
    event = cat("event_day").astype(np.float32)
    event[event < 0] = np.nan
    text = scenario_to_yaml(scenario)
    ds = _dataset(scenario, model, cat, series, event, outcome_ids, parts)
    ds.attrs.update({
        "scenario": scenario.id, "title": scenario.title, "date": scenario.date.isoformat(),
        "seed": seed, "runs": runs, "days": days, "record_every_days": every,
        "powderkeg_version": __version__,
        "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
    })
    if scenario.politics is not None:
        ds.attrs["policy"] = scenario.politics.policy
    return ds


def _dataset(scenario, model, cat, series, event, outcome_ids, parts):
    ds = xr.Dataset(
        {
            "event_day": (("run", "outcome"), event,
                          {"long_name": "first day the outcome happened, counted from the "
                                        "scenario date (NaN: never)"}),
            "parameter_value": (("run", "parameter"), cat("params"),
                                {"long_name": "sampled value of each uncertain parameter"}),
            "front_km": (("run", "day", "sector"), series["front_km"],
                         {"long_name": "front position along the sector axis", "units": "km"}),
            "forces": (("run", "day", "sector", "side"), series["forces"],
                       {"long_name": "personnel in the sector", "units": "persons"}),
            "losses": (("run", "sector", "side"), cat("losses").astype(np.float32),
                       {"long_name": "cumulative losses by the horizon", "units": "persons"}),
            "supply_ratio": (("run", "day", "demand"), series["supply_ratio"],
                             {"long_name": "delivered / needed supply that day"}),
            "stock_days": (("run", "day", "demand"), series["stock_days"],
                           {"long_name": "stocks", "units": "days of supply"}),
            "link_capacity": (("run", "day", "link"), series["link_capacity"],
                              {"long_name": "open fraction of intact link capacity"}),
            "strikes_to_date": (("run", "day", "link"), series["strikes_to_date"],
                                {"long_name": "hits on the link from day 1 to this day, all "
                                              "causes"}),
            "losses_to_date": (("run", "day", "side"), series["losses_to_date"],
                               {"long_name": "cumulative losses of each side, all sectors",
                                "units": "persons"}),
        },
        coords={
            "run": cat("runs"), "day": parts[0]["rec_days"],
            "outcome": outcome_ids, "parameter": parts[0]["param_names"],
            "sector": list(model.sector_ids), "side": list(model.sides),
            "demand": list(model.demand_ids), "link": list(model.link_ids),
            "outcome_description": ("outcome", [o.description for o in scenario.outcomes]),
        },
    )
    pm = model.politics
    if pm is not None:
        ds["theory"] = ("run", np.array(pm.theory_ids)[cat("theory")].astype(str),
                        {"long_name": "escalation theory drawn for the run"})
        ds["escalation_rung"] = (("run", "day"), series["escalation_rung"],
                                 {"long_name": "escalation rung (index into rung)"})
        ds["influence"] = (("run", "day", "faction"), series["influence"],
                           {"long_name": "faction influence share"})
        ds = ds.assign_coords(rung=list(pm.rung_ids), faction=list(pm.faction_ids))
    return ds
