"""Stopping a job: Ctrl-C (twice) and SIGTERM end it promptly and leave no process behind.

Each test starts a real `powderkeg run` long enough to be stopped mid-way (it keeps
checkpoints: ``--resume``), waits for its first finished chunk, signals it and checks that
it ends within a generous bound (15 s; it takes well under two seconds), with exit code 130
or 143, a message saying what was kept and how to resume, the finished chunks in place, and
none of its worker processes left (workers notice that their parent is gone, even after
``kill -9``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from powderkeg.results import work_dir_for

# generous: a stop takes well under 2 s alone, and much longer on a loaded machine; this only
# catches a hang
PROMPTLY_S = 60.0


def descendants(pid: int) -> set[int]:
    """Process ids of every live descendant of ``pid`` (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.add(c)
            todo.append(c)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_long_run(out: Path, *executor: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "powderkeg.cli", "run", "--runs", "3000", "--days", "100",
         "--chunk", "50", "--out", str(out), "--resume", "--quiet", *executor],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    work = work_dir_for(out)
    deadline = time.monotonic() + 120
    while not any(work.glob("chunk-*.npz")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no chunk finished in time"
        time.sleep(0.05)
    return proc


def assert_no_orphans(workers: set[int]) -> None:
    deadline = time.monotonic() + 5
    while any(alive(p) for p in workers):
        assert time.monotonic() < deadline, [p for p in workers if alive(p)]
        time.sleep(0.05)


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="process trees are read from Linux /proc")


@pytest.mark.parametrize("sig, code, executor, to_group", [
    (signal.SIGINT, 130, (), True),  # Ctrl-C: the terminal signals the whole process group
    (signal.SIGTERM, 143, ("--cluster", "local"), False),  # `kill PID`, `timeout`, schedulers
])
def test_a_signal_twice_stops_the_run_promptly_keeps_chunks_and_says_how_to_resume(
        tmp_path, sig, code, executor, to_group):
    out = tmp_path / "r"
    proc = start_long_run(out, *executor)
    workers = descendants(proc.pid)
    assert workers
    send = (lambda: os.killpg(proc.pid, sig)) if to_group else (lambda: proc.send_signal(sig))
    start = time.monotonic()
    send()
    time.sleep(0.2)
    if proc.poll() is None:
        send()
    _, stderr = proc.communicate(timeout=PROMPTLY_S)
    assert time.monotonic() - start < PROMPTLY_S
    assert proc.returncode == code, stderr
    work = work_dir_for(out)
    assert f"powderkeg resume {work}" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert any(work.glob("chunk-*.npz")) and not out.exists()
    assert not list(tmp_path.glob(".*partial*"))
    assert_no_orphans(workers)


def test_pool_workers_do_not_outlive_a_driver_killed_with_sigkill(tmp_path):
    proc = start_long_run(tmp_path / "r")
    workers = descendants(proc.pid)
    assert workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert_no_orphans(workers)
