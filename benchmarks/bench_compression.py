"""Compression of results.nc, by measurement: write time, read time and size per setting.

Takes a results folder written by ``powderkeg run`` (10,000 runs x 365 days for design note
021), loads its dataset once, and writes it again through the engine's own streamed writer
(:class:`powderkeg.engine.store.ResultsFile`, in chunks of the job's chunk size) with each
candidate HDF5 filter setting: no compression, zlib levels 1, 4 and 9, each with and
without the byte shuffle. For each it reports the CPU seconds of writing, of reading the
whole dataset back and of reading the event days alone (what the outcome summary reads),
and the file's size; with ``--series`` as for ``powderkeg run`` (default: every series in
the file). Usage::

    python benchmarks/bench_compression.py RESULTS_DIR [--series NAMES] [--out FILE]

Performance is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

LEVELS = [None, (1, False), (1, True), (4, False), (4, True), (9, False), (9, True)]
_DIMS = ("run", "day", "outcome", "parameter", "sector", "side", "demand", "link", "rung",
         "faction")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _setting(level) -> dict:
    if level is None:
        return {}
    return {"compression": "gzip", "compression_opts": level[0], "shuffle": level[1]}


def _write(ds, path: Path, chunk: int, level) -> float:
    import numpy as np

    from powderkeg.engine import store

    coords = {k: (ds[k].dims[0], np.asarray(ds[k].values).astype(str)
                  if ds[k].dtype.kind in "OU" else ds[k].values) for k in ds.coords}
    data_vars = {k: (ds[k].dims, "str" if ds[k].dtype.kind in "OU" else str(ds[k].dtype),
                     dict(ds[k].attrs)) for k in ds.data_vars}
    saved, store.COMPRESSION = store.COMPRESSION, _setting(level)
    try:
        start = _cpu()
        with store.ResultsFile(path, coords, data_vars, dict(ds.attrs), chunk) as f:
            for a in range(0, ds.sizes["run"], chunk):
                part = ds.isel(run=slice(a, a + chunk))
                f.write(a, {k: part[k].values for k in ds.data_vars})
        return _cpu() - start
    finally:
        store.COMPRESSION = saved


def _read(path: Path) -> tuple[float, float]:
    from powderkeg.results import open_results

    start = _cpu()
    with open_results(path) as ds:
        ds.load()
    whole = _cpu() - start
    start = _cpu()
    with open_results(path) as ds:
        ds.event_day.load()
    return whole, _cpu() - start


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Write time, read time and size of results.nc "
                                            "under each compression setting.")
    p.add_argument("results", type=Path, help="a results folder written by powderkeg run")
    p.add_argument("--series", default=None, help="series to keep (as run --series; default: "
                                                  "every series in the file)")
    p.add_argument("--chunk", type=int, default=500, help="runs per chunk (default 500)")
    p.add_argument("--out", metavar="FILE", help="also write the rows as JSON")
    a = p.parse_args(argv)

    from powderkeg.engine import series
    from powderkeg.results import load_results

    ds = load_results(a.results)
    names = series.parse(a.series) if a.series else series.kept(ds)
    ds = ds.drop_vars([n for n in series.CATALOGUE if n in ds and n not in names])
    ds.attrs["series"] = ",".join(n for n in series.CATALOGUE if n in ds)
    print(f"{a.results}: {ds.sizes['run']:,} runs, {ds.sizes['day']} recorded days, series "
          f"{ds.attrs['series'] or 'none'}; {ds.nbytes / 2**20:,.0f} MB in memory", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for level in LEVELS:
            path = Path(tmp) / "results.nc"
            write = _write(ds, path, a.chunk, level)
            whole, events = _read(path)
            rows.append({"zlib_level": level[0] if level else None,
                         "shuffle": level[1] if level else False, "write_cpu_s": write,
                         "read_cpu_s": whole, "read_event_days_cpu_s": events,
                         "mb": path.stat().st_size / 2**20})
            path.unlink()
            r = rows[-1]
            print(f"  {'none' if level is None else f'zlib {level[0]}':>7} "
                  f"{'shuffle' if r['shuffle'] else '':>7}  write {write:6.2f} CPU-s  read "
                  f"{whole:6.2f} CPU-s  event days {events:5.2f} CPU-s  {r['mb']:7.1f} MB",
                  flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps({"results": str(a.results), "series":
                                           ds.attrs["series"], "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
