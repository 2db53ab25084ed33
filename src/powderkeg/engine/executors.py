"""Where chunks of runs are computed: in this process, a local process pool, or Dask.

Every executor has one method that matters, :meth:`Executor.imap`: given a scenario and
chunks, it yields ``(chunk, arrays)`` as each chunk finishes, in any order. The engine puts
the chunks back in run order, so the results are the same on every executor, for any chunk
size and any number of workers (bit for bit on one type of CPU).

* :class:`InProcess`: in this process, one chunk after the other.
* :class:`ProcessPool`: local worker processes (the default; no extra dependency). The
  scenario reaches each worker once, through the pool's initializer. A job of one chunk is
  computed in this process instead: a worker would only add its start and a second build of
  the model.
* :class:`DaskExecutor`: a Dask ``distributed`` cluster, either a ``LocalCluster`` on
  127.0.0.1 that it starts (processes, one thread each) or a running scheduler. The scenario
  is scattered once to every worker. Needs ``pip install 'powderkeg[dask]'``.

Tasks are pure (:mod:`powderkeg.engine.worker`), so a chunk lost with its worker is computed
again: Dask does this itself, and the pool starts new workers for the unfinished chunks.
:meth:`Executor.abort` stops every worker at once (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import contextlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence

from powderkeg.engine.signals import check, deferred, stopping
from powderkeg.engine.worker import Chunk, init_pool_worker, model_for, run_chunk
from powderkeg.errors import InputError
from powderkeg.scenario.schema import Scenario

__all__ = ["Executor", "InProcess", "ProcessPool", "DaskExecutor", "make_executor",
           "POOL_RETRIES", "STOP_TIMEOUT_S", "CLOSE_TIMEOUT_S"]

POOL_RETRIES = 3  # times a broken pool (a worker died) is restarted for the unfinished chunks
STOP_TIMEOUT_S = 2.0  # how long aborting waits for workers to end before killing them
CLOSE_TIMEOUT_S = 20.0  # how long a normal end waits for a Dask cluster to shut down

Done = Iterator[tuple[Chunk, dict]]

# Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which turns off glibc's
# adaptive mmap threshold: every large temporary array is then a fresh mmap, and the model
# ran at half speed (26,000 against 46,000 run-days/s on one worker). Leave it unset.
_LOCAL_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


class Executor(abc.ABC):
    """Computes chunks; use as a context manager so its workers are always released."""

    name = "executor"
    workers = 1

    @abc.abstractmethod
    def imap(self, scenario: Scenario, chunks: Sequence[Chunk],
             progress: Callable[[int], None] | None = None) -> Done:
        """Yield ``(chunk, arrays)`` for every chunk as it finishes (any order).

        ``progress`` is called with run-days done; executors that cannot see inside a chunk
        call it once per chunk.
        """

    @abc.abstractmethod
    def abort(self) -> None:
        """Stop all work now; nothing more is yielded."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the workers after a normal end."""

    def describe(self, chunks: int | None = None) -> str:
        """Where the work runs, for the progress output; ``chunks``: the job's chunks."""
        return f"{self.name}, {self.workers} worker(s)"

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class InProcess(Executor):
    """Chunks one after the other in this process, reporting progress every day."""

    name = "this process"

    def imap(self, scenario, chunks, progress=None) -> Done:
        from powderkeg.engine.simulate import simulate_chunk

        model = model_for(scenario)
        for chunk in chunks:
            yield chunk, simulate_chunk(scenario, chunk, model, progress)

    def abort(self) -> None:
        """Nothing to stop: the signal that stops a job interrupts this very process."""

    def close(self) -> None:
        """Nothing to release: no worker was started."""


class ProcessPool(Executor):
    """Local worker processes; workers ignore Ctrl-C and exit when the driver dies."""

    name = "local process pool"

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)
        self._pool: cf.ProcessPoolExecutor | None = None

    def describe(self, chunks: int | None = None) -> str:
        if chunks is not None and chunks <= 1:
            return f"{InProcess.name}: one chunk, no worker to start"
        return super().describe(chunks)

    def imap(self, scenario, chunks, progress=None) -> Done:
        todo = {c.index: c for c in chunks}
        if len(todo) <= 1:  # nothing to share out: no worker to start
            yield from InProcess().imap(scenario, todo.values(), progress)
            return
        for attempt in range(POOL_RETRIES + 1):
            self._pool = cf.ProcessPoolExecutor(max_workers=min(self.workers, len(todo)),
                                                initializer=init_pool_worker,
                                                initargs=(scenario,))
            futures = {self._pool.submit(run_chunk, c): c for c in todo.values()}
            try:
                for fut in self._completed(futures):
                    chunk = futures.pop(fut)  # a finished future holds its chunk's arrays
                    part = fut.result()
                    del todo[chunk.index]
                    if progress is not None:
                        progress(len(chunk.runs) * chunk.days)
                    yield chunk, part
                pool, self._pool = self._pool, None
                pool.shutdown()
                return
            except cf.process.BrokenProcessPool:
                self._stop_pool()
                if attempt == POOL_RETRIES:
                    raise
            finally:
                if todo and self._pool is not None:
                    self._stop_pool()

    def _completed(self, futures, poll_s: float = 0.5):
        """The futures as they finish; :class:`BrokenProcessPool` as soon as a worker is gone.

        ``concurrent.futures`` notices a killed worker by itself, except when the worker dies
        at a moment that leaves its manager thread waiting for good (seen with SIGKILL on
        Python 3.11), so the pool's processes are also checked every ``poll_s`` seconds.
        """
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=poll_s, return_when=cf.FIRST_COMPLETED)
            yield from done
            processes = (getattr(self._pool, "_processes", None) or {}).values()
            if pending and any(p.exitcode is not None for p in list(processes)):
                raise cf.process.BrokenProcessPool("a worker process of the pool died")

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())  # private until 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        _end(processes)
        # A worker killed while sending its result leaves the pool's manager thread reading a
        # message that never ends, and the interpreter waits for that thread at exit. With
        # the workers gone, closing our end of the result pipe ends the read (EOF), and the
        # thread winds down (Python 3.11's concurrent.futures).
        writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()

    def abort(self) -> None:
        self._stop_pool()

    def close(self) -> None:
        self._stop_pool()


def _end(processes: Iterable) -> None:
    """Terminate processes, wait up to :data:`STOP_TIMEOUT_S` in all, then kill the rest."""
    import time

    processes = [p for p in processes if p.is_alive()]
    for p in processes:
        p.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(1.0)


class DaskExecutor(Executor):
    """Chunks as Dask tasks, on a ``LocalCluster`` it starts or on a running scheduler."""

    def __init__(self, workers: int = 2, scheduler: str | None = None,
                 connect_timeout: float = 10.0) -> None:
        try:
            import distributed
        except ImportError:
            raise InputError("--cluster and --scheduler need Dask, an optional part of "
                             "powderkeg: install it with pip install 'powderkeg[dask]', or "
                             "leave both options out to use local processes.") from None
        self._distributed = distributed
        self.workers = int(workers)
        self.scheduler = scheduler
        self.name = f"Dask scheduler {scheduler}" if scheduler else "Dask LocalCluster"
        self.cluster = None
        self._futures: list = []
        self._closed = False
        with deferred():
            self.client = self._connect(connect_timeout)
        check()

    def _connect(self, timeout: float):
        d = self._distributed
        if self.scheduler is None:
            import dask

            with dask.config.set(_LOCAL_CONFIG):
                self.cluster = d.LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                              processes=True, host="127.0.0.1",
                                              dashboard_address=None, silence_logs=50,
                                              preload=["powderkeg.engine.worker"])
            return d.Client(self.cluster)
        try:
            client = d.Client(self.scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError(f"Cannot reach the Dask scheduler at {self.scheduler}: {e}. Start "
                             "it with `dask scheduler` and give the address it prints (for "
                             "example tcp://10.0.0.5:8786) to --scheduler.") from None
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        return client

    def imap(self, scenario, chunks, progress=None) -> Done:
        d = self._distributed
        with deferred():
            shared = self.client.scatter(scenario, broadcast=True, hash=False)
            token = secrets.token_hex(4)
            by_key = {}
            for c in chunks:
                fut = self.client.submit(run_chunk, c, shared, pure=False,
                                         key=f"powderkeg-{token}-{c.index}")
                by_key[fut.key] = c
                self._futures.append(fut)
        check()
        pending = set(self._futures)
        while pending:
            with deferred():
                try:
                    done, pending = _wait_some(d, pending)
                    parts = [(by_key[f.key], f.result()) for f in done]
                except ImportError as e:
                    raise InputError(f"A Dask worker cannot import powderkeg ({e}). Install "
                                     "the same version of powderkeg, with its extra dask, on "
                                     "every machine of the cluster (see the README).") from None
                except Exception:
                    if not stopping():  # else: the signal reached the workers too
                        raise
                    parts = []
                for f in done:
                    f.release()
            check()
            for chunk, part in parts:
                if progress is not None:
                    progress(len(chunk.runs) * chunk.days)
                yield chunk, part
        self._futures.clear()

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (of a LocalCluster; for tests and diagnostics)."""
        import os

        return sorted(self.client.run(os.getpid).values())

    def abort(self) -> None:
        """Cancel the job's tasks; stop the workers of a LocalCluster we started, at once.

        The cluster gets :data:`STOP_TIMEOUT_S` to close; its workers still alive then are
        killed. A cluster given by ``--scheduler`` is shared and outlives the job: its
        workers finish the task in hand and take no more of ours.
        """
        import os
        import signal

        if self._closed:
            return
        self._closed = True
        pids = []
        if self.cluster is not None:
            pids = [getattr(getattr(n, "process", None), "pid", None)
                    for n in list(self.cluster.workers.values())]
        with contextlib.suppress(Exception):  # the cluster is going; its complaints are noise
            if self._futures:
                self.client.cancel(self._futures, force=True)
            self._futures.clear()
            self.client.close(timeout=STOP_TIMEOUT_S)
            if self.cluster is not None:
                self.cluster.close(timeout=STOP_TIMEOUT_S)
        for pid in pids:
            if pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with deferred():
            self.client.close(timeout=CLOSE_TIMEOUT_S)
            if self.cluster is not None:
                self.cluster.close(timeout=CLOSE_TIMEOUT_S)

    def describe(self, chunks: int | None = None) -> str:
        return f"{self.name}, {self.workers} worker(s)"


def _wait_some(d, pending: set, poll_s: float = 0.25) -> tuple[set, set]:
    """Futures done and not done after at most ``poll_s`` seconds (so signals are seen)."""
    try:
        done, rest = d.wait(list(pending), timeout=poll_s, return_when="FIRST_COMPLETED")
    except TimeoutError:
        return set(), pending
    return set(done), set(rest)


def make_executor(workers: int = 1, cluster: str | None = None,
                  scheduler: str | None = None) -> Executor:
    """The executor asked for on the command line (``--workers``, ``--cluster``, ``--scheduler``).

    No option: the local process pool (in this process for one worker). ``cluster="local"``:
    a Dask ``LocalCluster`` with ``workers`` processes. ``scheduler``: a running Dask cluster.
    """
    if cluster is not None and scheduler is not None:
        raise InputError("Give --cluster local or --scheduler ADDRESS, not both.")
    if cluster is not None and cluster != "local":
        raise InputError(f"--cluster must be 'local' (a Dask LocalCluster on this machine), not "
                         f"{cluster!r}. For a cluster of several machines start a Dask "
                         "scheduler and give its address with --scheduler.")
    if cluster is not None or scheduler is not None:
        return DaskExecutor(workers, scheduler)
    return ProcessPool(workers) if workers > 1 else InProcess()
