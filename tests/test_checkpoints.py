"""Checkpoints: a job killed part-way resumes, computing exactly the chunks it is missing.

A real `powderkeg run` is killed with SIGKILL once a few chunk files exist; `powderkeg
resume` must then compute every missing chunk once and no finished chunk again (their files
are untouched), and the results must equal those of a job never interrupted. Work folders
of another job are refused, and `powderkeg runs --clean` removes what interrupted runs left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.checkpoint import WorkFolder
from powderkeg.engine.executors import InProcess
from powderkeg.engine.simulate import record_interval, simulate
from powderkeg.errors import InputError
from powderkeg.results import load_results, work_dir_for

RUNS, DAYS, CHUNK, SEED = 600, 60, 50, 4
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def powderkeg(*args) -> subprocess.Popen:
    """`powderkeg ARGS` in its own process, as a user would start it."""
    return subprocess.Popen([sys.executable, "-m", "powderkeg.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def chunk_files(work):
    return {p.name: p.stat().st_ino for p in work.glob("chunk-*.npz")}


def test_a_killed_run_resumes_computing_exactly_the_missing_chunks(autumn, tmp_path,
                                                                   monkeypatch):
    out = tmp_path / "results"
    work = work_dir_for(out)
    proc = powderkeg("run", "--runs", RUNS, "--days", DAYS, "--chunk", CHUNK, "--seed", SEED,
                     "--workers", 1, "--out", out, "--resume", "--quiet", "--json")
    wait_for(lambda: len(chunk_files(work)) >= 3 or proc.poll() is not None)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    before = chunk_files(work)
    n_chunks = RUNS // CHUNK
    assert 3 <= len(before) < n_chunks and not out.exists()

    computed = []
    save = WorkFolder.save
    monkeypatch.setattr(WorkFolder, "save",
                        lambda self, i, part: (computed.append(i), save(self, i, part)))
    result = invoke("resume", work, "--workers", 1, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results_dir"] == str(out)

    finished = {int(name[6:12]) for name in before}
    assert sorted(computed) == sorted(set(range(n_chunks)) - finished)  # each missing one, once
    assert not work.exists()  # the work folder goes once the results are in place
    ds = load_results(out)
    reference = simulate(autumn, RUNS, DAYS, SEED, every=record_interval(RUNS, DAYS),
                         executor=InProcess())
    for name in ("event_day", "parameter_value", "front_km", "influence", "losses"):
        assert np.array_equal(ds[name].values, reference[name].values.astype(ds[name].dtype),
                              equal_nan=True), name


def test_resumed_chunks_are_loaded_not_recomputed(autumn, tmp_path):
    work = tmp_path / ".x.work"
    simulate(autumn, 120, 10, 1, chunk_size=40, work_dir=work, executor=InProcess())
    files = chunk_files(work)
    done = []
    progress = type("P", (), {"__call__": lambda self, n: done.append(n),
                              "skip": lambda self, n: None})()
    again = simulate(autumn, 120, 10, 1, chunk_size=40, work_dir=work, executor=InProcess(),
                     progress=progress)
    assert done == [] and chunk_files(work) == files
    assert np.array_equal(again.event_day.values,
                          simulate(autumn, 120, 10, 1).event_day.values, equal_nan=True)


def test_a_damaged_chunk_file_is_computed_again(autumn, tmp_path):
    work = tmp_path / ".x.work"
    first = simulate(autumn, 80, 10, 2, chunk_size=40, work_dir=work)
    (work / "chunk-000001.npz").write_bytes(b"not a chunk")
    again = simulate(autumn, 80, 10, 2, chunk_size=40, work_dir=work)
    assert np.array_equal(first.front_km.values, again.front_km.values)


@pytest.mark.parametrize("change, field", [
    ({"seed": 8}, "seed"), ({"days": 12}, "days"), ({"runs": 100}, "runs"),
    ({"every": 3}, "record_every_days"), ({"chunk_size": 20}, "chunk"),
])
def test_a_work_folder_of_another_job_is_refused(autumn, tmp_path, change, field):
    work = tmp_path / ".x.work"
    job = {"runs": 80, "days": 10, "seed": 7, "chunk_size": 40, "every": 1}
    simulate(autumn, work_dir=work, **job)
    with pytest.raises(InputError, match=f"belong to another job .*{field}: checkpoint"):
        simulate(autumn, work_dir=work, **{**job, **change})


def test_a_work_folder_of_another_policy_is_refused(autumn, tmp_path):
    from powderkeg.scenario.load import with_policy

    work = tmp_path / ".x.work"
    simulate(with_policy(autumn, "match_strength"), 40, 5, 0, work_dir=work)
    with pytest.raises(InputError, match="policy: checkpoint \"match_strength\", now "
                                         "\"offer_offramp\""):
        simulate(with_policy(autumn, "offer_offramp"), 40, 5, 0, work_dir=work)


def test_run_resume_into_a_folder_of_another_job_exits_2(tmp_path):
    out = tmp_path / "r"
    simulate_args = ("--runs", 40, "--days", 5, "--workers", 1, "--out", out)
    work = work_dir_for(out)
    from powderkeg.scenario import load_scenario

    simulate(load_scenario("autumn-2022"), 40, 5, 99, chunk_size=40, work_dir=work)
    result = invoke("run", *simulate_args, "--resume")
    assert result.exit_code == 2
    assert "belong to another job" in result.stderr and "seed: checkpoint 99, now 0" in \
        result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_run_into_an_interrupted_jobs_folder_without_resume_says_how_to_finish(tmp_path):
    out = tmp_path / "r"
    from powderkeg.scenario import load_scenario

    simulate(load_scenario("autumn-2022"), 40, 5, 0, chunk_size=40, work_dir=work_dir_for(out))
    result = invoke("run", "--runs", 40, "--days", 5, "--workers", 1, "--out", out)
    assert result.exit_code == 2
    assert "--resume" in result.stderr and "powderkeg runs --clean" in result.stderr


def test_a_second_run_into_the_same_folder_is_refused_at_once(tmp_path):
    out = tmp_path / "r"
    work = work_dir_for(out)
    work.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (work / "lock").write_text(f"{holder.pid}\n")
        start = time.monotonic()
        result = invoke("run", "--runs", 40, "--days", 5, "--out", out)
        assert result.exit_code == 2 and time.monotonic() - start < 10
        assert f"Another powderkeg process (pid {holder.pid})" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert invoke("run", "--runs", 40, "--days", 5, "--workers", 1, "--out", out).exit_code == 0


def test_runs_clean_removes_what_dead_runs_left_and_keeps_live_ones(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale_partial = tmp_path / f".a.partial-{dead}-abc123"
    live_partial = tmp_path / f".b.partial-{os.getpid()}-abc123"
    stale_work = tmp_path / ".c.work"
    for p in (stale_partial, live_partial, stale_work):
        p.mkdir()
    (stale_work / "lock").write_text(f"{dead}\n")
    listing = invoke("runs", tmp_path)
    assert listing.exit_code == 0
    assert "half-written results of an interrupted run" in listing.stdout
    assert f"powderkeg resume {stale_work}" in listing.stdout
    assert "of a job running now" in listing.stdout
    cleaned = invoke("runs", tmp_path, "--clean")
    assert cleaned.exit_code == 0
    assert not stale_partial.exists() and not stale_work.exists() and live_partial.exists()


def test_resume_of_a_folder_that_is_not_a_work_folder_exits_2(tmp_path):
    result = invoke("resume", tmp_path)
    assert result.exit_code == 2 and "is not a powderkeg work folder" in result.stderr
