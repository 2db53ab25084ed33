"""Checks made before simulating, so a job that cannot finish fails in its first second.

* :func:`check_seed` and :func:`check_runs`: the seed must be stored in the results'
  attributes (an unsigned 64-bit integer) and run numbers must fit the generator's counter.
* :func:`estimate`: bytes a job holds in memory and writes to disk, from its shape: per run,
  the recorded series it keeps (:mod:`powderkeg.engine.series`: recorded days x their
  values), the event days (float32), the sampled parameters (float64), the losses and the
  theory label.
* :func:`check_output`: the results folder must be creatable and writable, and its disk must
  have room for the results (and the checkpoints) at the estimate.
* :func:`check_memory`: a job written chunk by chunk (``run``) holds about
  :data:`IN_FLIGHT` chunks at a time; one assembled in memory keeps every chunk and then the
  dataset. Either holds about :data:`MEMORY_FACTOR` times that; refused above the memory
  available, with the options that shrink it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from powderkeg.engine.replay import MAX_RUN
from powderkeg.engine.series import ALL_NAMES, per_run_day_bytes, resolve
from powderkeg.errors import InputError
from powderkeg.model.build import Model

__all__ = ["Estimate", "estimate", "check_seed", "check_runs", "check_output", "check_memory",
           "available_memory", "MAX_SEED", "MEMORY_FACTOR", "DISK_FACTOR", "IN_FLIGHT"]

MAX_SEED = (1 << 64) - 1  # seeds are stored as unsigned 64-bit integers in results.nc
MEMORY_FACTOR = 2.5  # driver memory / what it holds: the chunks, their concatenation, writing
IN_FLIGHT = 4  # chunks a streamed job's driver holds at once (finished, being written)
DISK_FACTOR = 0.35  # results.nc + runs.parquet / dataset size, compressed (measured ~0.16)
_THEORY_BYTES = 72  # a theory label as a fixed-width numpy string
_GB = 1e9


@dataclass(frozen=True)
class Estimate:
    """Sizes of a job in bytes: per run, the whole dataset, on disk, and in the driver."""

    per_run: int
    dataset: int
    disk: int
    checkpoints: int
    memory: int
    held_per_run: float  # driver bytes that grow with each run (the rest is a fixed part)


def estimate(model: Model, outcomes: int, runs: int, days: int, every: int,
             checkpoints: bool = False, series: tuple[str, ...] | None = ALL_NAMES,
             chunk: int | None = None) -> Estimate:
    """Bytes that ``runs`` runs of ``days`` days (``series`` every ``every`` days) will take.

    ``outcomes`` is the number of the scenario's outcomes. With ``chunk``, the job is
    streamed to its file in chunks of that many runs, and the driver's memory is bounded.

    >>> from powderkeg.scenario import load_scenario
    >>> from powderkeg.model.build import build_model
    >>> e = estimate(build_model(load_scenario("autumn-2022")), 24, 1_000, 365, 1)
    >>> round(e.dataset / 1e6)  # the Dataset of 1,000 runs x 365 days measures 208 MB
    207
    """
    from powderkeg.engine.simulate import _sizes, recorded_days

    s, factions = model.n_sectors, model.politics is not None
    kept = resolve(series, factions)
    n_params = sum(v.is_random for v in model.world_params)
    per_run = (per_run_day_bytes(kept, _sizes(model)) * len(recorded_days(days, every))
               + 4 * outcomes + 8 * n_params + 4 * 2 * s + 8
               + (_THEORY_BYTES if factions else 0))
    dataset = per_run * runs
    if chunk:  # chunks in flight, and every run's event days and theory for the summary
        held = 4 * outcomes + 8 + (_THEORY_BYTES if factions else 0)
        memory = MEMORY_FACTOR * per_run * min(runs, IN_FLIGHT * chunk) + held * runs
    else:
        held, memory = MEMORY_FACTOR * per_run, MEMORY_FACTOR * dataset
    return Estimate(per_run, dataset, int(dataset * DISK_FACTOR),
                    dataset if checkpoints else 0, int(memory), held)


def check_seed(seed: int) -> int:
    """``seed`` if it is 0 .. 2**64 - 1, else an :class:`InputError` giving the range."""
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"The seed must be a whole number from 0 to {MAX_SEED:,} (2**64 - 1), "
                         f"not {seed:,}: results store it as an unsigned 64-bit integer.")
    return int(seed)


def check_runs(runs: int, first: int = 0) -> int:
    """``runs`` if run numbers ``first .. first + runs - 1`` fit the random generator."""
    if runs < 1 or first + runs - 1 > MAX_RUN:
        raise InputError(f"Runs are numbered 0 to {MAX_RUN:,} (the random generator's counter "
                         f"holds 32 bits), so a job has at most {MAX_RUN + 1:,} runs; "
                         f"{runs:,} were asked for.")
    return int(runs)


def _existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output(out: Path, need: Estimate) -> None:
    """Refuse a results folder that cannot be created or whose disk is too small."""
    base = _existing(out.parent)
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write the results folder {out}: {base} is not a writable "
                         "folder. Choose a folder you can write to with --out.")
    free = shutil.disk_usage(base).free
    want = need.disk + need.checkpoints
    if want > free:
        extra = (f" plus {need.checkpoints / _GB:,.1f} GB of checkpoints while it runs"
                 if need.checkpoints else "")
        raise InputError(f"Not enough disk space for the results in {base}: they need about "
                         f"{need.disk / _GB:,.1f} GB{extra}, and {free / _GB:,.1f} GB is free. "
                         "Free some space, choose a folder on another disk with --out, or "
                         "ask for fewer --runs.")


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), if known."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(need: Estimate, runs: int, days: int, every: int,
                 available: int | None = None) -> None:
    """Refuse a job whose dataset would not fit in memory, saying what would."""
    available = available_memory() if available is None else available
    if available is None or need.memory <= available:
        return
    fixed = need.memory - need.held_per_run * runs
    fit = max(0, int((available - fixed) // need.held_per_run))
    raise InputError(f"{runs:,} runs x {days} days need about {need.memory / _GB:,.1f} GB of "
                     f"memory ({need.per_run:,} bytes per run with series every {every} "
                     f"day(s)), and about {available / _GB:,.1f} GB is available. Ask for at "
                     f"most {fit:,} runs (--runs), keep fewer series (--series) or keep them "
                     "less often (--record-every DAYS), or split the job over several seeds "
                     "(--seed) and combine the results.")
