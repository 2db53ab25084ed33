"""Progress of a job on standard error: named phases, and an ETA from measured throughput.

:class:`JobProgress` is what the command line passes to the engine as ``progress``: calling
it with run-days counts work computed now; :meth:`JobProgress.skip` counts work loaded from
checkpoints, which is done but says nothing about speed. The time left is the work left
divided by the throughput measured since the phase began, start-up included, so it is honest
from the first finished chunk on (and says "measuring speed" before).

Three ways to show it: a bar on a terminal, one plain line every tenth of the job for logs
(standard error is not a terminal), or nothing (``--quiet``). Nothing ever goes to standard
output, which holds only results (``--json``).
"""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["JobProgress", "format_seconds", "eta_seconds"]

_LINE_STEP = 0.1  # log mode prints a line every tenth of the job


def format_seconds(s: float) -> str:
    """A duration for people: ``"45 s"``, ``"3 min 20 s"``, ``"2 h 05 min"``."""
    s = max(0, int(round(s)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def eta_seconds(done: float, skipped: float, total: float, elapsed: float) -> float | None:
    """Seconds left at the throughput measured so far, or ``None`` before any measurement.

    ``done`` counts work computed in ``elapsed`` seconds; ``skipped`` work that needed no
    computing (resumed). ``(total - done - skipped) / (done / elapsed)``.
    """
    if done <= 0 or elapsed <= 0:
        return None
    return max(0.0, total - done - skipped) / (done / elapsed)


class JobProgress:
    """Phases of one job (``simulating``, ``writing``, ``report``) shown on ``stream``.

    Parameters
    ----------
    stream : TextIO
        Standard error. A bar if it is a terminal, plain lines otherwise.
    quiet : bool
        Show nothing.
    """

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self.stream, self.quiet = stream, quiet
        self.terminal = hasattr(stream, "isatty") and stream.isatty()
        self._bar = None
        self._task = None
        self.label, self.total = "", 0.0
        self.done = self.skipped = 0.0
        self._start: float | None = None
        self._next_line = _LINE_STEP

    # -- phases ----------------------------------------------------------------------------

    def __enter__(self) -> JobProgress:
        if self.terminal and not self.quiet:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"),
                                 TextColumn("{task.fields[eta]}"),
                                 console=Console(file=self.stream), transient=True)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

    def phase(self, label: str, total: float | None = None) -> None:
        """Start a phase; ``total`` is its work in run-days (``None``: not measurable)."""
        self.label, self.total = label, float(total or 0)
        self.done = self.skipped = 0.0
        self._start, self._next_line = time.monotonic(), _LINE_STEP
        if self._bar is not None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(label, total=total, eta="")
        else:
            self._line(f"{label} ...")

    # -- work ------------------------------------------------------------------------------

    def __call__(self, n: float) -> None:
        """``n`` run-days were just computed."""
        self.done += n
        self._show(time.monotonic())

    def skip(self, n: float) -> None:
        """``n`` run-days were loaded from checkpoints (done, but not computed now)."""
        self.skipped += n
        self._show(time.monotonic())

    def step(self, label: str, done: int, total: int) -> None:
        """A phase counted in steps (the report's figures): ``done`` of ``total``, now ``label``."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.label}: {label}", completed=done,
                             total=total)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left in this phase, or ``None`` before the first computed work."""
        if self._start is None:
            return None
        return eta_seconds(self.done, self.skipped, self.total,
                           (now or time.monotonic()) - self._start)

    def _show(self, now: float) -> None:
        left = self.eta(now)
        text = "measuring speed" if left is None else f"about {format_seconds(left)} left"
        fraction = (self.done + self.skipped) / self.total if self.total else 0.0
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done + self.skipped, eta=text)
        elif fraction >= self._next_line - 1e-12:
            while self._next_line <= fraction + 1e-12:
                self._next_line += _LINE_STEP
            self._line(f"{self.label}: {fraction:.0%}, {text}")

    def _line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)
