"""The cheap paths of a command's fixed costs give what the paths they replace give.

Each is checked against the slower path as the oracle: libyaml's reading and writing of
scenarios against PyYAML's Python parser and emitter, the per-run variables read straight
from HDF5 against xarray's dataset, and a one-chunk job of the process pool, computed in
this process, against the simulation in this process.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import SMALL_POLITICS, tiny_scenario

from powderkeg.engine.executors import InProcess, ProcessPool
from powderkeg.engine.simulate import simulate, simulate_to_file
from powderkeg.errors import InputError
from powderkeg.results import PerRunFile, open_results
from powderkeg.scenario import yamlfile
from powderkeg.scenario.load import load_scenario, scenario_to_yaml

ROOT = Path(__file__).parents[1]
SCENARIO_FILES = sorted([*(ROOT / "src/powderkeg/scenario/builtin").glob("*.yaml"),
                         *(ROOT / "examples").glob("*.yaml"),
                         *(ROOT / "tests/fixtures").rglob("*.yaml")])


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_a_scenario_file_reads_as_the_python_parser_reads_it(path):
    text = path.read_text("utf-8")
    try:
        expected = yaml.load(text, Loader=yamlfile.Loader)
    except yaml.YAMLError as e:  # the fixtures of broken files: the Python parser's message
        with pytest.raises(InputError, match=re.escape(e.problem)):
            yamlfile.parse(text, path.name)
        return
    got = yamlfile.parse(text, path.name)
    assert got == expected and repr(got) == repr(expected)  # same types, same order


@pytest.mark.parametrize("scenario", ["autumn-2022", "october-1973", "summer-2022",
                                      str(ROOT / "examples/kerch-intact.yaml")])
def test_the_resolved_scenario_is_the_text_of_the_python_emitter(scenario):
    s = load_scenario(scenario)
    data = s.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True,
                        warnings=False)
    assert scenario_to_yaml(s) == yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                                 width=100)


@pytest.mark.parametrize("scenario", [tiny_scenario, lambda: load_scenario(str(SMALL_POLITICS))],
                         ids=["no politics", "politics"])
def test_the_per_run_variables_read_without_xarray_are_xarrays(tmp_path, scenario):
    path = tmp_path / "results.nc"
    simulate_to_file(path, scenario(), 45, 6, seed=3, chunk_size=20, workers=1)
    with open_results(path) as ds, PerRunFile(path) as f:
        rows = f.rows()
        assert f.runs == ds.sizes["run"] and f.attrs == dict(ds.attrs)
        for name in ("outcome", "outcome_description", "parameter"):
            assert getattr(f, name).tolist() == ds[name].values.tolist()
        assert list(rows) == ["run", "event_day", "parameter_value",
                              *(["theory"] if "theory" in ds else [])]
        for name, values in rows.items():
            expected = ds[name].values
            if name == "theory":  # str, where xarray holds Python strings
                assert values.tolist() == expected.tolist()
            else:
                assert values.dtype == expected.dtype, name
                assert np.array_equal(values, expected, equal_nan=True), name
        part = f.rows(10, 30)
        assert np.array_equal(part["event_day"], rows["event_day"][10:30], equal_nan=True)
        assert sorted(f.rows(10, 30, names=("event_day",))) == sorted(
            {"event_day"} | ({"theory"} if f.has_theory else set()))


def test_a_one_chunk_job_of_the_pool_runs_in_this_process(autumn):
    calls = []
    with ProcessPool(2) as ex:
        ds = simulate(autumn, 30, 4, 7, executor=ex, chunk_size=30, progress=calls.append)
    reference = simulate(autumn, 30, 4, 7, executor=InProcess())
    assert calls == [30] * 4  # day by day, as in this process (a worker reports its chunk)
    for name in ds.data_vars:
        assert np.array_equal(ds[name].values, reference[name].values,
                              equal_nan=ds[name].dtype.kind == "f"), name


def test_the_pool_says_where_a_job_runs_by_its_chunks():
    pool = ProcessPool(2)
    assert pool.describe(1).startswith(InProcess.name)  # one chunk: no worker is started
    assert pool.describe(3) == pool.describe() == "local process pool, 2 worker(s)"


def test_a_small_run_imports_neither_xarray_nor_dask_nor_scipy_stats(tmp_path):
    out = str(tmp_path / "r")
    code = ("import sys; from powderkeg.cli import main; sys.argv = ['powderkeg', 'run', "
            f"'--runs', '2', '--days', '1', '--json', '--quiet', '--out', {out!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in ('xarray', 'dask', 'scipy.stats') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_loading_a_scenario_does_not_import_numba():
    code = ("import sys; from powderkeg.scenario import load_scenario; "
            "load_scenario('autumn-2022'); print('numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
