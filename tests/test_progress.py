"""Progress: named phases, an ETA from measured throughput, quiet mode, clean standard output."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.progress import JobProgress, eta_seconds, format_seconds
from powderkeg.engine.simulate import default_chunk

runner = CliRunner()


@pytest.mark.parametrize("done, skipped, total, elapsed, expected", [
    (0, 0, 100, 5.0, None),  # nothing measured yet
    (25, 0, 100, 10.0, 30.0),  # 25 per 10 s: 75 left take 30 s
    (25, 50, 100, 10.0, 10.0),  # resumed work is done but says nothing about speed
    (100, 0, 100, 40.0, 0.0),
])
def test_eta_is_the_work_left_over_the_measured_throughput(done, skipped, total, elapsed,
                                                           expected):
    assert eta_seconds(done, skipped, total, elapsed) == expected


@pytest.mark.parametrize("seconds, text", [(4.4, "4 s"), (200, "3 min 20 s"),
                                           (7500, "2 h 05 min")])
def test_durations_read_like_a_person_would_say_them(seconds, text):
    assert format_seconds(seconds) == text


def test_a_log_gets_one_line_per_tenth_with_the_phase_and_time_left():
    stream = io.StringIO()
    with JobProgress(stream) as p:
        p.phase("simulating 10 runs", 100)
        p.skip(30)
        for _ in range(7):
            p(10)
        p.phase("writing results")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "simulating 10 runs ..."
    assert lines[1] == "simulating 10 runs: 30%, measuring speed"
    assert [x.split(":")[1].split(",")[0].strip() for x in lines[2:-1]] == \
        [f"{k}0%" for k in range(4, 11)]
    assert all("left" in x for x in lines[2:-1])
    assert lines[-1] == "writing results ..."


def test_quiet_shows_nothing():
    stream = io.StringIO()
    with JobProgress(stream, quiet=True) as p:
        p.phase("simulating", 10)
        p(10)
    assert stream.getvalue() == ""


def test_chunks_shrink_with_the_job_so_progress_moves():
    assert default_chunk(1_000) * 4 == 1_000
    assert default_chunk(100) == 250 and default_chunk(1_000_000) == 500


def test_run_names_its_phases_on_stderr_and_keeps_stdout_for_json(tmp_path):
    result = runner.invoke(app, ["run", "--runs", "30", "--days", "5", "--workers", "1",
                                 "--out", str(tmp_path / "r"), "--json"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert "simulating 30 runs x 5 days" in result.stderr
    assert "writing results to" in result.stderr


def test_run_quiet_writes_nothing_on_stderr(tmp_path):
    result = runner.invoke(app, ["run", "--runs", "30", "--days", "5", "--workers", "1",
                                 "--out", str(tmp_path / "r"), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize("command", [
    ["run", "--runs", "30", "--days", "5", "--workers", "1", "--json", "--out", "{out}"],
    ["compare", "autumn-2022", "autumn-2022", "--runs", "30", "--days", "5", "--workers", "1",
     "--json"],
])
def test_a_command_that_simulates_loads_the_kernels_in_a_phase_before_simulating(
        command, tmp_path):
    out = str(tmp_path / "r")
    result = runner.invoke(app, [x.format(out=out) for x in command])
    assert result.exit_code == 0, result.output
    text = result.stderr
    kernels = text.find("the model's compiled kernels")
    if kernels < 0:
        kernels = text.find("compiling the model's kernels")
    assert 0 <= kernels < text.find("simulating")
