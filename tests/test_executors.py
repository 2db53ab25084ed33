"""Every executor gives the same results, bit for bit, even when a worker dies mid-job.

The reference is the simulation in this process. The local pool and a Dask ``LocalCluster``
(two workers, started once for the module) must reproduce it exactly, for any chunk size;
killing a worker after the first chunk must change nothing, because a lost chunk is simply
computed again.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from conftest import block_import

from powderkeg.engine.executors import DaskExecutor, InProcess, ProcessPool, make_executor
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError

RUNS, DAYS, SEED = 240, 15, 5


def assert_same(a, b):
    """Every variable and coordinate equal, bit for bit (NaN where NaN)."""
    assert list(a.data_vars) == list(b.data_vars)
    for name in [*a.data_vars, *a.coords]:
        x, y = a[name].values, b[name].values
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert a.attrs == b.attrs


@pytest.fixture(scope="module")
def reference(autumn):
    return simulate(autumn, RUNS, DAYS, SEED, executor=InProcess())


@pytest.fixture(scope="module")
def dask_cluster():
    with DaskExecutor(workers=2) as ex:
        yield ex


@pytest.mark.parametrize("chunk", [240, 60, 37])
def test_the_pool_reproduces_the_in_process_run_for_any_chunk_size(autumn, reference, chunk):
    with ProcessPool(2) as ex:
        assert_same(simulate(autumn, RUNS, DAYS, SEED, executor=ex, chunk_size=chunk), reference)


@pytest.mark.parametrize("chunk", [60, 37])
def test_a_dask_local_cluster_reproduces_the_pool(autumn, reference, dask_cluster, chunk):
    assert_same(simulate(autumn, RUNS, DAYS, SEED, executor=dask_cluster, chunk_size=chunk),
                reference)


def test_dask_workers_keep_the_scenario_and_are_bound_to_localhost(dask_cluster):
    assert dask_cluster.workers == 2
    addresses = list(dask_cluster.client.scheduler_info()["workers"])
    assert addresses and all(a.startswith("tcp://127.0.0.1:") for a in addresses)
    threads = dask_cluster.client.nthreads()
    assert set(threads.values()) == {1}


def _kill_one_worker_after_first_chunk(pids):
    killed = []

    def progress(n):
        if not killed:
            killed.append(pids()[0])
            os.kill(killed[0], signal.SIGKILL)

    return progress, killed


def test_a_dask_worker_killed_mid_job_changes_nothing(autumn, reference, dask_cluster):
    progress, killed = _kill_one_worker_after_first_chunk(dask_cluster.worker_pids)
    ds = simulate(autumn, RUNS, DAYS, SEED, executor=dask_cluster, chunk_size=20,
                  progress=progress)
    assert killed
    assert_same(ds, reference)


def test_a_pool_worker_killed_mid_job_changes_nothing(autumn, reference):
    with ProcessPool(2) as ex:
        progress, killed = _kill_one_worker_after_first_chunk(
            lambda: sorted(p.pid for p in ex._pool._processes.values()))
        ds = simulate(autumn, RUNS, DAYS, SEED, executor=ex, chunk_size=20, progress=progress)
    assert killed
    assert_same(ds, reference)


def test_without_dask_the_cluster_options_name_the_extra(monkeypatch):
    block_import(monkeypatch, "distributed")
    with pytest.raises(InputError, match=r"pip install 'powderkeg\[dask\]'"):
        make_executor(2, cluster="local")


@pytest.mark.parametrize("options, message", [
    ({"cluster": "local", "scheduler": "tcp://127.0.0.1:1"}, "not both"),
    ({"cluster": "kubernetes"}, "must be 'local'"),
])
def test_contradictory_executor_options_are_refused(options, message):
    with pytest.raises(InputError, match=message):
        make_executor(2, **options)


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(InputError, match="Cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        DaskExecutor(scheduler="tcp://127.0.0.1:9", connect_timeout=1)
