"""Writing and reading a run's results folder, atomically.

A results folder holds ``results.nc`` (the ``xarray.Dataset``), ``runs.parquet`` (one row per
run: sampled parameters and outcome days), ``scenario.yaml`` (the scenario as resolved) and
``run.json`` (version, seed, policy, command). Everything is written into a hidden sibling folder
that is renamed into place at the end, so an interrupted run leaves no half-written file
and never touches an existing folder.

Writing a folder and summarising it read ``results.nc`` back through :class:`PerRunFile`
(HDF5 through h5netcdf, which wrote it), not xarray: with Dask installed, xarray imports
``dask.array`` on its first dataset, and the two cost about 1.4 CPU-s of every
``powderkeg run`` (design note 034). Everything else opens the dataset with xarray.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from powderkeg import __version__
from powderkeg.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["write_results", "stream_results", "open_results", "atomic_folder", "load_results",
           "default_out_dir", "check_out_dir", "RESULTS_FILE", "write_failure", "work_dir_for",
           "partial_folders", "PARTIAL", "WORK", "PerRunFile"]

RESULTS_FILE = "results.nc"
PARTIAL = ".partial-"  # in the name of a results folder being written: .<name>.partial-<pid>-<hex>
WORK = ".work"  # suffix of a job's checkpoint folder: .<name>.work beside the results folder


def write_failure(place: Path, e: OSError) -> InputError:
    """One paragraph for a write that failed: the disk is full, or the folder is not writable."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return InputError(f"The disk is full: writing {place} failed ({e.strerror}). Nothing was "
                          "left half-written. Free some space, or choose a folder on another "
                          "disk with --out, and run the command again.")
    return InputError(f"Writing {place} failed: {e.strerror or e}. Nothing was left half-written. "
                      "Check that the folder is writable, or choose another with --out, and run "
                      "the command again.")


def work_dir_for(out: Path) -> Path:
    """The hidden folder beside ``out`` where the job that writes ``out`` keeps checkpoints."""
    out = Path(out)
    return out.parent / f".{out.name}{WORK}"


def partial_folders(root: Path) -> list[tuple[Path, bool]]:
    """Hidden folders under ``root`` left by runs that are writing (or died writing) results.

    Returns ``(folder, stale)`` pairs: ``stale`` when the process that was writing it is gone,
    so the folder will never be completed. A work folder is stale when its lock's owner is
    gone; it can still be resumed.
    """
    from powderkeg.engine.checkpoint import LOCK, pid_alive

    found = []
    for p in sorted(Path(root).glob(".*")) if Path(root).is_dir() else ():
        if PARTIAL in p.name:
            pid = p.name.split(PARTIAL, 1)[1].split("-")[0]
            found.append((p, not (pid.isdigit() and pid_alive(int(pid)))))
        elif p.name.endswith(WORK) and p.is_dir():
            owner = (p / LOCK).read_text().strip() if (p / LOCK).exists() else ""
            found.append((p, not (owner.isdigit() and pid_alive(int(owner)))))
    return found


def default_out_dir(scenario_id: str, seed: int, root: Path = Path("runs")) -> Path:
    """A new folder name under ``root`` that no other run uses."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return root / f"{scenario_id}-{stamp}-seed{seed}-{secrets.token_hex(3)}"


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that exists and is not empty (call before a long run)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"Output folder {out} already exists and is not empty; powderkeg never "
                         "overwrites results. Choose a new folder with --out, or leave --out out "
                         "to get a fresh folder under runs/.")


_TABLE_ROWS = 20_000  # runs per row group of runs.parquet, read from results.nc in slices


class PerRunFile:
    """The per-run variables of a ``results.nc``, read from HDF5 without xarray.

    The same arrays as the xarray dataset's (``open_results(path)``): ``run`` (int64),
    ``event_day`` (float32, NaN: never), ``parameter_value`` (float64) and ``theory`` (str,
    with politics only), the labels ``outcome``, ``outcome_description`` and ``parameter``,
    and the attributes. Use as a context manager.
    """

    def __init__(self, path: Path) -> None:
        import h5netcdf

        self._file = h5netcdf.File(path, "r", decode_vlen_strings=True)
        v = self._file.variables
        self.attrs = dict(self._file.attrs)
        self.runs = self._file.dimensions["run"].size
        self.outcome, self.parameter = (np.asarray(v[k][...], str) for k in ("outcome",
                                                                            "parameter"))
        self.outcome_description = np.asarray(v["outcome_description"][...], str)
        self.has_theory = "theory" in v

    def rows(self, first: int = 0, stop: int | None = None,
             names: tuple[str, ...] = ("run", "event_day", "parameter_value"),
             ) -> dict[str, np.ndarray]:
        """The variables ``names`` (and ``theory``) of runs ``first .. stop - 1`` (default:
        to the last); name only what you need, a large job's parameters are large."""
        v, part = self._file.variables, slice(first, self.runs if stop is None else stop)
        out = {k: v[k][part] for k in names}
        if self.has_theory:
            out["theory"] = np.asarray(v["theory"][part], str)
        return out

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _run_table(f: PerRunFile, rows: dict[str, np.ndarray]) -> pd.DataFrame:
    import pandas as pd

    table = {"run": rows["run"]}
    if "theory" in rows:
        table["theory"] = rows["theory"]
    event, params = rows["event_day"], rows["parameter_value"]
    for i, oid in enumerate(f.outcome):
        table[f"day.{oid}"] = event[:, i]
    for j, name in enumerate(f.parameter):
        table[f"param.{name}"] = params[:, j]
    return pd.DataFrame(table)


def _write_table(f: PerRunFile, path: Path) -> None:
    """``runs.parquet`` from ``results.nc``, :data:`_TABLE_ROWS` runs at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with contextlib.ExitStack() as stack:
        writer = None
        for a in range(0, f.runs, _TABLE_ROWS):
            rows = pa.Table.from_pandas(_run_table(f, f.rows(a, a + _TABLE_ROWS)),
                                        preserve_index=False)
            if writer is None:
                writer = stack.enter_context(pq.ParquetWriter(path, rows.schema))
            writer.write_table(rows)


def _finish(tmp: Path, scenario_yaml: str, command: list[str]) -> None:
    """Write ``runs.parquet``, ``scenario.yaml`` and ``run.json`` beside ``results.nc``."""
    with PerRunFile(tmp / RESULTS_FILE) as f:
        _write_table(f, tmp / "runs.parquet")
        attrs = f.attrs
    (tmp / "scenario.yaml").write_text(scenario_yaml, "utf-8")
    meta = {"powderkeg_version": __version__, "scenario": attrs["scenario"],
            "seed": int(attrs["seed"]), "runs": int(attrs["runs"]),
            "days": int(attrs["days"]), "policy": attrs.get("policy"),
            "series": str(attrs.get("series", "")), "command": command,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    (tmp / "run.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


@contextlib.contextmanager
def atomic_folder(out: Path):
    """Yield a hidden sibling folder to write into; it becomes ``out`` when the block ends.

    ``out`` must not exist or be empty. If the block fails, the hidden folder is removed and
    ``out`` is untouched; a failed write (disk full, not writable) is an :class:`InputError`.
    """
    out = Path(out)
    check_out_dir(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"Cannot create the folder {out.parent}: {e}. Choose another --out.") \
            from None
    tmp = out.parent / f".{out.name}{PARTIAL}{os.getpid()}-{secrets.token_hex(3)}"
    try:
        tmp.mkdir()
        yield tmp
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_failure(out, e) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_results(ds: xr.Dataset, scenario_yaml: str, out: Path, command: list[str]) -> Path:
    """Write a results folder at ``out`` (which must not exist or be empty) from ``ds``."""
    from powderkeg.engine.store import encoding

    with atomic_folder(out) as tmp:
        ds.to_netcdf(tmp / RESULTS_FILE, engine="h5netcdf", encoding=encoding(ds))
        _finish(tmp, scenario_yaml, command)
    return Path(out)


def stream_results(fill: Callable[[Path], None], scenario_yaml: str, out: Path,
                   command: list[str]) -> Path:
    """Write a results folder at ``out`` whose ``results.nc`` is written by ``fill(path)``
    (:func:`powderkeg.engine.simulate.simulate_to_file`), chunk by chunk."""
    with atomic_folder(out) as tmp:
        fill(tmp / RESULTS_FILE)
        _finish(tmp, scenario_yaml, command)
    return Path(out)


@contextlib.contextmanager
def open_results(path: Path) -> Iterator[xr.Dataset]:
    """The dataset of ``results.nc`` at ``path``, read lazily while the block runs."""
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf", decode_times=False,
                         decode_timedelta=False) as ds:
        yield ds


def load_results(results_dir) -> xr.Dataset:
    """Open the dataset of a results folder written by ``powderkeg run``."""
    path = Path(results_dir) / RESULTS_FILE
    if not path.exists():
        raise InputError(f"{results_dir} is not a powderkeg results folder: {path.name} is "
                         "missing. Give the folder that `powderkeg run` printed.")
    try:
        with open_results(path) as ds:
            return ds.load()
    except (OSError, ValueError) as e:
        raise InputError(f"{path} cannot be read ({str(e).splitlines()[0]}): it is damaged or "
                         "incomplete, for example truncated by a copy that did not finish. "
                         "Copy it again from where the run wrote it, or run again.") from None
