"""Writing and reading a run's results folder, atomically.

A results folder holds ``results.nc`` (the ``xarray.Dataset``), ``runs.parquet`` (one row per
run: sampled parameters and outcome days), ``scenario.yaml`` (the scenario as resolved) and
``run.json`` (version, seed, command). Everything is written into a hidden sibling folder
that is renamed into place at the end, so an interrupted run leaves no half-written file
and never touches an existing folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from pathlib import Path

import pandas as pd
import xarray as xr

from powderkeg import __version__
from powderkeg.errors import InputError

__all__ = ["write_results", "load_results", "default_out_dir", "check_out_dir", "RESULTS_FILE"]

RESULTS_FILE = "results.nc"


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


def _run_table(ds: xr.Dataset) -> pd.DataFrame:
    table = {"run": ds.run.values}
    if "theory" in ds:
        table["theory"] = ds.theory.values
    for i, oid in enumerate(ds.outcome.values):
        table[f"day.{oid}"] = ds.event_day.values[:, i]
    for j, name in enumerate(ds.parameter.values):
        table[f"param.{name}"] = ds.parameter_value.values[:, j]
    return pd.DataFrame(table)


def write_results(ds: xr.Dataset, scenario_yaml: str, out: Path, command: list[str]) -> Path:
    """Write a results folder at ``out`` (which must not exist or be empty)."""
    out = Path(out)
    check_out_dir(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"Cannot create the folder {out.parent}: {e}. Choose another --out.") \
            from None
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        encoding = {v: {"zlib": True, "complevel": 4} for v in ds.data_vars}
        ds.to_netcdf(tmp / RESULTS_FILE, engine="h5netcdf", encoding=encoding)
        _run_table(ds).to_parquet(tmp / "runs.parquet", index=False)
        (tmp / "scenario.yaml").write_text(scenario_yaml, "utf-8")
        meta = {"powderkeg_version": __version__, "scenario": ds.attrs["scenario"],
                "seed": int(ds.attrs["seed"]), "runs": int(ds.attrs["runs"]),
                "days": int(ds.attrs["days"]), "command": command,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        (tmp / "run.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load_results(results_dir) -> xr.Dataset:
    """Open the dataset of a results folder written by ``powderkeg run``."""
    path = Path(results_dir) / RESULTS_FILE
    if not path.exists():
        raise InputError(f"{results_dir} is not a powderkeg results folder: {path.name} is "
                         "missing. Give the folder that `powderkeg run` printed.")
    try:
        with xr.open_dataset(path, engine="h5netcdf", decode_times=False,
                             decode_timedelta=False) as ds:
            return ds.load()
    except (OSError, ValueError) as e:
        raise InputError(f"{path} cannot be read ({str(e).splitlines()[0]}): it is damaged or "
                         "incomplete, for example truncated by a copy that did not finish. "
                         "Copy it again from where the run wrote it, or run again.") from None
