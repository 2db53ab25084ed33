"""Stopping a job on Ctrl-C (SIGINT) or SIGTERM: once, promptly, whatever is pressed after.

Inside :func:`stop_on_signals`, the first SIGINT or SIGTERM raises :class:`Stopped` in the
main thread, wherever it is waiting, except inside :func:`deferred` (a wait inside a library
that an exception raised at any instruction could leave with a lock held, as Dask's client
can): there the signal is only recorded, and :func:`check` raises it at the next safe point,
a fraction of a second later. The engine then stops its workers
(:meth:`powderkeg.engine.executors.Executor.abort`), and every later signal is ignored, so a
second Ctrl-C cannot interrupt that cleanup half-way and leave workers or a half-written
file behind. The command line turns :class:`Stopped` into exit code 130 (SIGINT) or 143
(SIGTERM), the shell's convention of 128 plus the signal number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Stopped", "stop_on_signals", "deferred", "check", "stopping"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Pending:
    """The signal received inside :func:`deferred`, not raised yet (one per process)."""

    deferring = 0
    signum: int | None = None


_PENDING = _Pending()


class Stopped(BaseException):
    """A job was stopped by a signal; ``exit_code`` is 128 plus the signal number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal.Signals(signum).name)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Raise :class:`Stopped` on the first SIGINT or SIGTERM, ignore the ones after it.

    Outside the main thread (where Python cannot take signals) this does nothing. The
    previous handlers are restored on the way out, unless a signal stopped the job: then the
    signals stay ignored, so one pressed while the process exits cannot kill it half-way.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in _SIGNALS}

    def stop(signum, frame) -> None:
        for s in _SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        if _PENDING.deferring:
            _PENDING.signum = signum
            return
        raise Stopped(signum)

    for s in _SIGNALS:
        signal.signal(s, stop)
    _PENDING.signum = None
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is stop:
            for s, handler in previous.items():
                signal.signal(s, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Record a stopping signal instead of raising it here; :func:`check` raises it after."""
    _PENDING.deferring += 1
    try:
        yield
    finally:
        _PENDING.deferring -= 1


def check() -> None:
    """Raise :class:`Stopped` if a signal arrived inside :func:`deferred`."""
    if _PENDING.signum is not None and not _PENDING.deferring:
        signum, _PENDING.signum = _PENDING.signum, None
        raise Stopped(signum)


def stopping() -> bool:
    """Whether a stopping signal is waiting to be raised (a failure now is its consequence)."""
    return _PENDING.signum is not None
