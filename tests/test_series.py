"""Series on request (``--series``) and results streamed to the file chunk by chunk.

The streamed file is checked against the in-memory dataset of the same runs (another chunk
size, another path through the code): reading it back must give the identical dataset.
"""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_cli import assert_user_error, invoke

from powderkeg.engine import series
from powderkeg.engine.executors import ProcessPool
from powderkeg.engine.simulate import simulate, simulate_to_file
from powderkeg.errors import InputError
from powderkeg.results import load_results, open_results, write_results

RUNS, DAYS = 30, 12


@pytest.fixture(scope="module")
def in_memory(autumn):
    return simulate(autumn, RUNS, DAYS, seed=5, chunk_size=RUNS, every=3)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_streamed_file_reads_back_as_the_in_memory_dataset(autumn, in_memory, tmp_path,
                                                               workers):
    path = tmp_path / "results.nc"
    with ProcessPool(workers) as ex:  # uneven chunks of 7 runs arriving in any order
        simulate_to_file(path, autumn, RUNS, DAYS, seed=5, chunk_size=7, every=3,
                         series=series.ALL_NAMES, executor=ex)
    with open_results(path) as ds:
        xr.testing.assert_identical(ds.load(), in_memory)


def test_a_dataset_written_whole_reads_back_identical(in_memory, tmp_path):
    write_results(in_memory, "id: x\n", tmp_path / "r", ["powderkeg"])
    xr.testing.assert_identical(load_results(tmp_path / "r"), in_memory)


def test_the_default_keeps_what_the_report_and_dashboard_draw(autumn, tmp_path):
    path = tmp_path / "results.nc"
    simulate_to_file(path, autumn, 8, 5, seed=1)
    with open_results(path) as ds:
        assert set(series.kept(ds)) == set(series.DEFAULT)
        assert {n for n in series.CATALOGUE if n in ds} == set(series.DEFAULT)
        assert ds.attrs["series"] == ",".join(series.DEFAULT)


def test_the_kept_series_equal_those_of_a_run_keeping_all(autumn, in_memory):
    some = simulate(autumn, RUNS, DAYS, seed=5, chunk_size=11, every=3,
                    series=("forces", "strikes_to_date"))
    assert series.kept(some) == ("forces", "strikes_to_date")
    expected = in_memory.drop_vars([n for n in series.CATALOGUE
                                    if n not in ("forces", "strikes_to_date")])
    xr.testing.assert_identical(some.drop_attrs(), expected.drop_attrs())


def test_a_scenario_without_politics_keeps_no_politics_series(tmp_path):
    from conftest import tiny_document

    from powderkeg.scenario.schema import Scenario

    ds = simulate(Scenario.model_validate(tiny_document()), 4, 3, series=None)
    assert series.kept(ds) == series.DRAWN


@pytest.mark.parametrize("text, names", [("all", tuple(series.CATALOGUE)), ("none", ()),
                                         ("influence,front_km", ("front_km", "influence"))])
def test_series_values_are_parsed_in_catalogue_order(text, names):
    assert series.parse(text) == names


@pytest.mark.parametrize("text", ["fronts", "all,front_km", ",", "front_km,nope"])
def test_an_unknown_series_is_refused_naming_the_choices(text):
    with pytest.raises(InputError, match="not a series.*'all', 'none'.*front_km"):
        series.parse(text)


def test_run_with_series_none_keeps_only_the_per_run_results(tmp_path):
    out = tmp_path / "r"
    result = invoke("run", "--runs", 6, "--days", 4, "--workers", 1, "--series", "none",
                    "--out", out, "--json", "--quiet")
    assert result.exit_code == 0, result.output
    ds = load_results(out)
    assert not [n for n in series.CATALOGUE if n in ds]
    assert ds.attrs["series"] == "" and json.loads((out / "run.json").read_text())["series"] == ""
    table = pd.read_parquet(out / "runs.parquet")
    assert np.array_equal(table["run"], ds.run.values)
    assert np.array_equal(table["day.crimea_foothold"].values,
                          ds.event_day.sel(outcome="crimea_foothold").values, equal_nan=True)
    doc = json.loads(result.stdout)
    assert len(doc["outcomes"]["crimea_foothold"]["cumulative"]) == 5  # outcomes need no series

    report = invoke("report", out)
    assert_user_error(report, "The report needs the daily series", "--series",
                      "front_km,supply_ratio,link_capacity")


def test_run_with_a_bad_series_exits_2_before_simulating(tmp_path):
    result = invoke("run", "--runs", 6, "--days", 4, "--series", "fronts", "--out", tmp_path / "r")
    assert_user_error(result, "--series 'fronts'", "front_km")
    assert not (tmp_path / "r").exists()


def test_a_report_without_the_series_it_draws_is_refused_before_simulating(tmp_path):
    result = invoke("run", "--runs", 6, "--days", 4, "--series", "front_km", "--report",
                    "--out", tmp_path / "r")
    assert_user_error(result, "--report draws the daily series supply_ratio, link_capacity")
    assert not (tmp_path / "r").exists()


def test_hits_to_date_cannot_wrap_over_the_longest_horizon(autumn):
    # a day's hits on a link fit hits_dtype (int16 below 32,768 missions a day); over every
    # day the streams allow their sum must fit the series' dtype, which int16 did not
    from powderkeg.model.build import build_model
    from powderkeg.model.fires import hits_dtype
    from powderkeg.model.random import MAX_DAYS
    assert np.iinfo(hits_dtype(build_model(autumn))).max <= np.iinfo(np.int16).max
    most = np.iinfo(np.int16).max * (MAX_DAYS - 1)
    assert most <= np.iinfo(series.STRIKES_TO_DATE).max
    assert series.CATALOGUE["strikes_to_date"].dtype == np.dtype(series.STRIKES_TO_DATE).name
    ds = simulate(autumn, 4, 5, seed=1, series=("strikes_to_date",))
    assert ds.strikes_to_date.dtype == series.STRIKES_TO_DATE
