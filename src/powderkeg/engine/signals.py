"""Stopping a job on Ctrl-C (SIGINT) or SIGTERM: once, promptly, whatever is pressed after.

Inside :func:`stop_on_signals`, the first SIGINT or SIGTERM raises :class:`Stopped` in the
main thread, wherever it is waiting. The engine then stops its workers
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

__all__ = ["Stopped", "stop_on_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
    previous handlers are restored on the way out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in _SIGNALS}

    def stop(signum, frame) -> None:
        for s in _SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Stopped(signum)

    for s in _SIGNALS:
        signal.signal(s, stop)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
