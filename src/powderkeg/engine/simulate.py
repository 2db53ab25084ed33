"""Simulating a batch of runs in fixed-size chunks and assembling one ``xarray.Dataset``.

Run ``i`` depends only on ``(seed, i)``: chunks draw from counter-based streams keyed by run
number (:mod:`powderkeg.model.random`), so the results are the same for any chunk size and
any number of worker processes, and merging chunks is a concatenation in run order.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import xarray as xr

from powderkeg import __version__
from powderkeg.model.build import Model, build_model
from powderkeg.model.random import MAX_DAYS, Streams
from powderkeg.model.step import init_state, step, supply_ratio
from powderkeg.model.world import sample_parameters, sample_world
from powderkeg.scenario.load import scenario_to_yaml
from powderkeg.scenario.schema import Scenario

__all__ = ["simulate", "record_interval", "DEFAULT_CHUNK"]

DEFAULT_CHUNK = 500
_SERIES_BUDGET = 600_000  # run-days of series kept before downsampling (~100-300 MB in memory)


def record_interval(runs: int, days: int) -> int:
    """Days between recorded series points, so that series stay a few tens of MB."""
    return max(1, int(np.ceil(runs * (days + 1) / _SERIES_BUDGET)))


@dataclass(frozen=True)
class _Job:
    scenario: Scenario
    runs: np.ndarray  # the run numbers simulated; each keys its own random streams
    days: int
    seed: int
    every: int
    uniforms: dict | None = None  # parameter path -> one uniform draw per run


def _simulate_chunk(job: _Job, model: Model | None = None, progress=None) -> dict:
    model = model or build_model(job.scenario)
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
    }

    def record(k):
        series["front_km"][:, k] = state.front
        series["forces"][:, k] = state.forces
        series["supply_ratio"][:, k] = supply_ratio(world, state)
        series["stock_days"][:, k] = state.stock
        series["link_capacity"][:, k] = state.link_frac
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


def _chunks(runs: int, chunk: int) -> list[tuple[int, int]]:
    return [(i, min(i + chunk, runs)) for i in range(0, runs, chunk)]


def simulate(scenario: Scenario, runs: int, days: int, seed: int = 0, *,
             chunk_size: int = DEFAULT_CHUNK, workers: int = 1,
             progress: Callable[[int], None] | None = None,
             run_offset: int = 0, every: int | None = None,
             param_uniforms: dict[str, np.ndarray] | None = None,
             run_ids: np.ndarray | None = None) -> xr.Dataset:
    """Simulate runs ``run_offset .. run_offset + runs - 1`` for ``days`` days.

    ``progress`` is called with the number of run-days just completed. ``workers > 1``
    spreads chunks over processes; the results do not depend on it. ``param_uniforms`` maps
    parameter paths (``Model.world_paths``) to one uniform draw per run, replacing the
    parameter's own stream (for designed experiments such as a sensitivity analysis).
    ``run_ids`` lists the run numbers explicitly instead (repeats allowed: rows with the same
    number share every random stream; ``runs`` and ``run_offset`` are then ignored).
    """
    ids = (np.arange(run_offset, run_offset + runs, dtype=np.int64) if run_ids is None
           else np.asarray(run_ids, dtype=np.int64))
    runs = len(ids)
    if runs < 1 or days < 1 or days >= MAX_DAYS:
        raise ValueError(f"runs must be >= 1 and days in 1..{MAX_DAYS - 1}")
    every = every or record_interval(runs, days)
    given = {k: np.asarray(v, dtype=float) for k, v in (param_uniforms or {}).items()}
    jobs = [_Job(scenario, ids[a:b], days, seed, every,
                 {k: v[a:b] for k, v in given.items()} or None)
            for a, b in _chunks(runs, chunk_size)]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = []
            for part in pool.map(_simulate_chunk, jobs):
                parts.append(part)
                if progress is not None:
                    progress(len(part["event_day"]) * days)
    else:
        model = build_model(scenario)
        parts = [_simulate_chunk(job, model, progress) for job in jobs]
    return _assemble(scenario, build_model(scenario), parts, runs, days, seed, every)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


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
        from powderkeg.model.kremlin_params import THEORY_NAMES

        ds["theory"] = ("run", np.array(THEORY_NAMES)[cat("theory")].astype(str),
                        {"long_name": "escalation theory drawn for the run"})
        ds["escalation_rung"] = (("run", "day"), series["escalation_rung"],
                                 {"long_name": "escalation rung (index into rung)"})
        ds["influence"] = (("run", "day", "faction"), series["influence"],
                           {"long_name": "faction influence share"})
        ds = ds.assign_coords(rung=list(pm.rung_ids), faction=list(pm.faction_ids))
    return ds
