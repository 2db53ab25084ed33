"""Checks before simulating, and a disk that fills up while the results are written.

A job that cannot finish must say so in its first second, in one paragraph with exit code
2: an output folder that cannot be written, too little disk or memory for the estimated
size, too many runs, a seed out of range. A write that fails half-way (simulated here by a
full disk under NetCDF or Parquet) must leave no partial folder in place of the results.
"""

from __future__ import annotations

import errno
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine import preflight
from powderkeg.engine.simulate import record_interval, simulate
from powderkeg.errors import InputError

runner = CliRunner()
FAST = 10.0  # a refusal comes before any simulating; generous so a loaded machine passes


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_paragraph_error(result, *expected):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and result.stdout == ""
    text = result.stderr.strip()
    assert text and "\n\n" not in text, text
    flat = " ".join(text.split())
    for s in expected:
        assert s in flat, f"{s!r} not in {flat!r}"


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("writer", ["powderkeg.engine.store.ResultsFile.write",
                                    "pyarrow.parquet.ParquetWriter.write_table"])
def test_a_full_disk_while_writing_is_one_paragraph_and_leaves_no_partial_folder(
        tmp_path, monkeypatch, writer):
    monkeypatch.setattr(writer, full_disk)
    out = tmp_path / "r"
    result = invoke("run", "--runs", 30, "--days", 5, "--workers", 1, "--out", out)
    assert_one_paragraph_error(result, "The disk is full", "No space left on device",
                               "Nothing was left half-written")
    assert list(tmp_path.iterdir()) == []  # no results, no partial folder, no work folder


def test_a_full_disk_with_checkpoints_keeps_them_and_says_how_to_finish(tmp_path, monkeypatch):
    from powderkeg.engine.store import ResultsFile

    write, calls = ResultsFile.write, []

    def full_at_the_third_chunk(self, *args):
        calls.append(1)
        return full_disk() if len(calls) == 3 else write(self, *args)

    monkeypatch.setattr(ResultsFile, "write", full_at_the_third_chunk)
    out = tmp_path / "r"
    result = invoke("run", "--runs", 30, "--days", 5, "--workers", 1, "--chunk", 10, "--out",
                    out, "--resume")
    # each chunk is checkpointed before it is written to the results file
    assert_one_paragraph_error(result, "The disk is full", "3 finished chunk(s)",
                               f"powderkeg resume {tmp_path / '.r.work'}")
    assert not out.exists()


def test_an_output_folder_inside_a_file_is_refused_before_simulating(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    start = time.monotonic()
    result = invoke("run", "--runs", 50_000, "--out", blocker / "r")
    assert time.monotonic() - start < FAST
    assert_one_paragraph_error(result, "is not a writable folder", "--out")


def test_too_little_disk_is_refused_with_the_sizes(tmp_path, monkeypatch):
    import collections

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda p: usage(10**9, 10**9, 10**6))
    result = invoke("run", "--runs", 2_000, "--out", tmp_path / "r")
    assert_one_paragraph_error(result, "Not enough disk space", "0.0 GB is free", "--runs")
    assert list(tmp_path.iterdir()) == []


def test_a_billion_runs_is_refused_at_once_with_the_number_that_fits(tmp_path):
    start = time.monotonic()
    result = invoke("run", "--runs", 1_000_000_000, "--out", tmp_path / "r")
    assert time.monotonic() - start < FAST
    assert_one_paragraph_error(result, "1,000,000,000 runs x 365 days need about",
                               "GB of memory", "Ask for at most", "--record-every")


def test_more_runs_than_the_generator_numbers_are_refused():
    with pytest.raises(InputError, match="at most 4,294,967,296 runs"):
        preflight.check_runs(2**32 + 1)


def test_memory_refusal_names_the_runs_that_fit(autumn_model):
    need = preflight.estimate(autumn_model, 24, 10_000, 365, 7)
    with pytest.raises(InputError, match=r"Ask for at most (4,999|5,000) runs"):
        preflight.check_memory(need, 10_000, 365, 7, available=need.memory // 2)
    preflight.check_memory(need, 10_000, 365, 7, available=need.memory)


@pytest.mark.parametrize("seed", [0, 2**63, 2**64 - 1])
def test_every_unsigned_64_bit_seed_is_accepted(seed):
    assert preflight.check_seed(seed) == seed


def test_a_seed_beyond_64_bits_is_refused_on_the_command_line(tmp_path):
    result = invoke("run", "--runs", 5, "--days", 2, "--seed", 2**64, "--out", tmp_path / "r")
    assert result.exit_code == 2 and "2**64" not in result.stdout
    assert not (tmp_path / "r").exists()


def test_the_largest_seed_is_written_and_read_back(tmp_path):
    out = tmp_path / "r"
    result = invoke("run", "--runs", 5, "--days", 2, "--seed", 2**64 - 1, "--workers", 1,
                    "--out", out, "--json")
    assert result.exit_code == 0, result.output
    from powderkeg.results import load_results

    assert int(load_results(out).attrs["seed"]) == 2**64 - 1


@pytest.mark.parametrize("runs, days", [(40, 30), (100_000, 365)])
def test_the_size_estimate_per_run_matches_the_dataset(autumn, autumn_model, runs, days):
    every = record_interval(runs, days)
    # the dataset is fixed coordinates plus a linear term in runs: measure the slope
    small, large = (simulate(autumn, n, days, 0, every=every).nbytes for n in (10, 20))
    estimate = preflight.estimate(autumn_model, len(autumn.outcomes), runs, days, every)
    assert np.isclose(estimate.per_run, (large - small) / 10, rtol=0.02)
