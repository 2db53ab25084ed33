"""The layout of a results dataset, and its file written chunk by chunk as chunks finish.

:func:`variables` and :func:`coordinates` define every variable once: the in-memory dataset
of :func:`powderkeg.engine.simulate.simulate` and the file of :class:`ResultsFile` are built
from them, so ``xarray.open_dataset`` reads the same dataset from either. A
:class:`ResultsFile` is created with every dimension sized for the whole job; each chunk's
rows are written at their place in run order as soon as the chunk arrives, in any order, so
the driver holds one chunk at a time at any number of runs. The file is NetCDF-4 (HDF5
through h5netcdf) with :data:`COMPRESSION` (chosen by measurement, design note 021).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from powderkeg import __version__
from powderkeg.engine import series as series_mod

__all__ = ["COMPRESSION", "variables", "coordinates", "attributes", "ResultsFile",
           "encoding"]

#: HDF5 filters of every data variable: zlib level 1, no shuffle (measured in note 021)
COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": False}

_PER_RUN = {
    "event_day": (("outcome",), "float32", {"long_name": "first day the outcome happened, "
                                                        "counted from the scenario date (NaN: "
                                                        "never)"}),
    "parameter_value": (("parameter",), "float64",
                        {"long_name": "sampled value of each uncertain parameter"}),
    "losses": (("sector", "side"), "float32",
               {"long_name": "cumulative losses by the horizon", "units": "persons"}),
}


def variables(politics: bool, kept: tuple[str, ...]) -> dict[str, tuple[tuple, str, dict]]:
    """Every data variable: ``name -> (dims, dtype, attrs)``; ``kept`` are the series."""
    out = {k: (("run", *dims), dtype, attrs) for k, (dims, dtype, attrs) in _PER_RUN.items()}
    if politics:
        out["theory"] = (("run",), "str", {"long_name": "escalation theory drawn for the run"})
    for name in kept:
        s = series_mod.CATALOGUE[name]
        out[name] = (("run", "day", *s.dims), s.dtype, s.attrs)
    return out


def coordinates(scenario, model, runs: np.ndarray, rec_days: np.ndarray,
                param_names: list[str]) -> dict[str, tuple[str, np.ndarray]]:
    """Every coordinate: ``name -> (dim, values)``."""
    out = {"run": ("run", np.asarray(runs, np.int64)),
           "day": ("day", np.asarray(rec_days, np.int64)),
           "outcome": ("outcome", np.array([o.id for o in scenario.outcomes], dtype=str)),
           "parameter": ("parameter", np.array(param_names, dtype=str)),
           "sector": ("sector", np.array(model.sector_ids, dtype=str)),
           "side": ("side", np.array(model.sides, dtype=str)),
           "demand": ("demand", np.array(model.demand_ids, dtype=str)),
           "link": ("link", np.array(model.link_ids, dtype=str)),
           "outcome_description": ("outcome", np.array([o.description
                                                        for o in scenario.outcomes], dtype=str))}
    if model.politics is not None:
        out["rung"] = ("rung", np.array(model.politics.rung_ids, dtype=str))
        out["faction"] = ("faction", np.array(model.politics.faction_ids, dtype=str))
    return out


def attributes(scenario, scenario_yaml: str, runs: int, days: int, seed: int, every: int,
               kept: tuple[str, ...]) -> dict:
    """The dataset's attributes (scenario, seed, sizes, kept series, version, scenario hash)."""
    attrs = {"scenario": scenario.id, "title": scenario.title,
             "date": scenario.date.isoformat(), "seed": seed, "runs": runs,
             "days": days, "record_every_days": every, "series": ",".join(kept),
             "powderkeg_version": __version__,
             "scenario_sha256": hashlib.sha256(scenario_yaml.encode()).hexdigest()}
    if scenario.politics is not None:
        attrs["policy"] = scenario.politics.policy
    return attrs


def encoding(ds) -> dict[str, dict]:
    """:data:`COMPRESSION` as xarray's ``to_netcdf`` encoding of every data variable."""
    return {v: {"zlib": True, "complevel": COMPRESSION["compression_opts"],
                "shuffle": COMPRESSION["shuffle"]} for v in ds.data_vars}


class ResultsFile:
    """``results.nc`` of one job, written one chunk of runs at a time.

    Parameters
    ----------
    path : Path
        The file to create (inside the results folder being written).
    coords : dict
        :func:`coordinates` of the job (``run`` holds every run of the job).
    data_vars : dict
        :func:`variables` of the job.
    attrs : dict
        :func:`attributes` of the job.
    chunk : int
        Runs per chunk of the job: the HDF5 chunks along ``run`` are this long, so each
        chunk of runs fills whole HDF5 chunks and is compressed once.
    """

    def __init__(self, path: Path, coords: dict, data_vars: dict, attrs: dict,
                 chunk: int) -> None:
        import h5netcdf
        import h5py

        self._text = h5py.string_dtype()
        self._file = h5netcdf.File(path, "w")
        f = self._file
        sizes = {dim: len(values) for name, (dim, values) in coords.items() if name == dim}
        f.dimensions = sizes
        for name, (dim, values) in coords.items():
            text = values.dtype.kind == "U"
            f.create_variable(name, (dim,), dtype=self._text if text else values.dtype,
                              data=values.astype(object) if text else values)
        self._vars = {}
        for name, (dims, dtype, var_attrs) in data_vars.items():
            shape = [sizes[d] for d in dims]
            filters = ({"chunks": (min(chunk, shape[0]), *shape[1:]), **COMPRESSION}
                       if all(shape) else {})  # HDF5 cannot chunk an empty dimension
            fill = {"fillvalue": np.nan} if dtype.startswith("float") else {}
            v = f.create_variable(name, dims, dtype=self._text if dtype == "str" else dtype,
                                  **filters, **fill)
            v.attrs.update(var_attrs)
            if "outcome" in dims:
                v.attrs["coordinates"] = "outcome_description"
            self._vars[name] = v
        f.attrs.update(attrs)

    def write(self, first: int, arrays: dict[str, np.ndarray]) -> None:
        """Write the rows ``first .. first + n - 1`` of every data variable in ``arrays``."""
        for name, values in arrays.items():
            v = self._vars[name]
            values = values.astype(object) if v.dtype == object else values
            v[first:first + len(values)] = values

    def close(self) -> None:
        """Flush and close the file (it is complete once every chunk has been written)."""
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
