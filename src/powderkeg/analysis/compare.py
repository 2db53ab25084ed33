"""Comparing two scenarios or policies on the same runs: paired differences of probabilities.

Two datasets simulated with the same seed, runs and days share their random numbers (common
random numbers): run ``i`` draws the same chance events in both, and a parameter with the same
path gets the same draw. An outcome's indicators in A and B are then paired and usually
positively correlated, so the difference ``p_B - p_A`` is known far more precisely than two
separate intervals suggest. :func:`compare` reports both intervals: the paired one (the right
one for common random numbers) and the unpaired one (what independent runs would give).

Both intervals are Newcombe's hybrid score ("square-and-add") intervals built from the Wilson
score intervals of the two proportions; the paired one corrects for the correlation of the
two estimates.

References
----------
R. G. Newcombe (1998a), "Interval estimation for the difference between independent
proportions: comparison of eleven methods", Statistics in Medicine 17(8):873-890,
doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I (method 10).
R. G. Newcombe (1998b), "Improved confidence intervals for the difference between binomial
proportions based on paired data", Statistics in Medicine 17(22):2635-2650,
doi:10.1002/(SICI)1097-0258(19981130)17:22<2635::AID-SIM954>3.0.CO;2-C (method 10).
M. W. Fagerland, S. Lydersen, P. Laake (2014), "Recommended tests and confidence intervals for
paired binomial proportions", Statistics in Medicine 33(16):2850-2875, doi:10.1002/sim.6148
(recommend the Newcombe square-and-add interval; worked examples).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import xarray as xr

from powderkeg.analysis.intervals import wilson_interval
from powderkeg.errors import InputError

__all__ = ["compare", "parse_spec", "newcombe_paired_interval", "newcombe_unpaired_interval",
           "paired_counts"]


def newcombe_unpaired_interval(x1, n1, x2, n2, level: float = 0.95):
    """Newcombe's hybrid score interval for ``p1 - p2`` from two independent samples.

    With Wilson intervals ``(l1, u1)`` for ``p1 = x1/n1`` and ``(l2, u2)`` for ``p2 = x2/n2``
    and ``D = p1 - p2``::

        L = D - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        U = D + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    (Newcombe 1998a, method 10). Arguments broadcast; returns ``(L, U)``.

    >>> [round(float(v), 4) for v in newcombe_unpaired_interval(56, 70, 48, 80)]
    [0.0524, 0.3339]
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    d = p1 - p2
    return (d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def _corrected_phi(e, f, g, h):
    """Newcombe's (1998b) continuity-corrected correlation of the paired 2x2 table.

    ``phi = C / sqrt((e+f)(g+h)(e+g)(f+h))`` with ``C = eh - fg - n/2`` when
    ``eh - fg > n/2``, ``C = 0`` when ``0 <= eh - fg <= n/2`` and ``C = eh - fg`` when it is
    negative; ``phi = 0`` when a margin is empty.
    """
    n = e + f + g + h
    margins = (e + f) * (g + h) * (e + g) * (f + h)
    b = e * h - f * g
    c = np.where(b > n / 2, b - n / 2, np.where(b < 0, b, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(margins > 0, c / np.sqrt(np.where(margins > 0, margins, 1.0)), 0.0)


def newcombe_paired_interval(e, f, g, h, level: float = 0.95):
    """Newcombe's hybrid score interval for ``p1 - p2`` from ``n`` paired binary observations.

    The table counts pairs: ``e`` (both 1), ``f`` (first 1, second 0), ``g`` (first 0,
    second 1), ``h`` (both 0); ``p1 = (e+f)/n``, ``p2 = (e+g)/n``, ``D = p1 - p2 = (f-g)/n``.
    With Wilson intervals ``(l1, u1)``, ``(l2, u2)`` for ``p1``, ``p2`` and the corrected
    correlation ``phi`` of :func:`_corrected_phi`::

        L = D - sqrt((p1 - l1)^2 - 2 phi (p1 - l1)(u2 - p2) + (u2 - p2)^2)
        U = D + sqrt((p2 - l2)^2 - 2 phi (p2 - l2)(u1 - p1) + (u1 - p1)^2)

    (Newcombe 1998b, method 10; Fagerland et al. 2014). With ``phi = 0`` it is the unpaired
    interval; positive correlation narrows it. Arguments broadcast; returns ``(L, U)``.

    Fagerland et al.'s example (Cavo et al. 2012: 59, 6, 16, 80 pairs):

    >>> [round(float(v), 4) for v in newcombe_paired_interval(59, 6, 16, 80)]
    [-0.1186, -0.0046]
    """
    e, f, g, h = (np.asarray(v, dtype=float) for v in (e, f, g, h))
    n = e + f + g + h
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = wilson_interval(e + f, n, level)
    l2, u2 = wilson_interval(e + g, n, level)
    phi = _corrected_phi(e, f, g, h)
    d = p1 - p2
    lo_1, hi_2 = p1 - l1, u2 - p2
    lo_2, hi_1 = p2 - l2, u1 - p1
    low = d - np.sqrt(np.maximum(lo_1**2 - 2 * phi * lo_1 * hi_2 + hi_2**2, 0.0))
    high = d + np.sqrt(np.maximum(lo_2**2 - 2 * phi * lo_2 * hi_1 + hi_1**2, 0.0))
    return low, high


def paired_counts(first: np.ndarray, second: np.ndarray) -> tuple[int, int, int, int]:
    """The paired table ``(e, f, g, h)`` of two boolean arrays of the same runs."""
    first, second = np.asarray(first, bool), np.asarray(second, bool)
    return (int(np.sum(first & second)), int(np.sum(first & ~second)),
            int(np.sum(~first & second)), int(np.sum(~first & ~second)))


def _check_paired(ds_a: xr.Dataset, ds_b: xr.Dataset) -> None:
    problems = [f"{key} {ds_a.attrs.get(key)} vs {ds_b.attrs.get(key)}"
                for key in ("seed", "days") if ds_a.attrs.get(key) != ds_b.attrs.get(key)]
    if ds_a.sizes["run"] != ds_b.sizes["run"] or not np.array_equal(ds_a.run.values,
                                                                     ds_b.run.values):
        problems.append(f"runs {ds_a.sizes['run']} vs {ds_b.sizes['run']} (or other run numbers)")
    if problems:
        raise InputError("The two results cannot be compared run by run: " + "; ".join(problems)
                         + ". Simulate both with the same --runs, --days and --seed.")


def compare(ds_a: xr.Dataset, ds_b: xr.Dataset, level: float = 0.95) -> list[dict]:
    """Outcome by outcome, how B differs from A on the same runs.

    Parameters
    ----------
    ds_a, ds_b : xarray.Dataset
        Results of :func:`powderkeg.engine.simulate.simulate` with the same seed, runs and days
        (so run ``i`` shares its random numbers in both).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    list of dict
        For each outcome id present in both (in A's order): ``id``, ``description``,
        ``probability_a``, ``probability_b``, ``difference`` (``B - A``), ``ci95`` (paired
        interval of the difference, :func:`newcombe_paired_interval`), ``ci95_unpaired``
        (:func:`newcombe_unpaired_interval`, as if the runs were independent) and
        ``discordant`` (runs where only B, and only A, saw the outcome).
    """
    _check_paired(ds_a, ds_b)
    b_ids = [str(o) for o in ds_b.outcome.values]
    rows = []
    for i, oid in enumerate(str(o) for o in ds_a.outcome.values):
        if oid not in b_ids:
            continue
        in_a = ~np.isnan(ds_a.event_day.values[:, i])
        in_b = ~np.isnan(ds_b.event_day.values[:, b_ids.index(oid)])
        e, f, g, h = paired_counts(in_b, in_a)
        n = e + f + g + h
        paired = newcombe_paired_interval(e, f, g, h, level)
        unpaired = newcombe_unpaired_interval(e + f, n, e + g, n, level)
        rows.append({
            "id": oid,
            "description": str(ds_a.outcome_description.values[i]),
            "probability_a": (e + g) / n,
            "probability_b": (e + f) / n,
            "difference": (f - g) / n,
            "ci95": [float(v) for v in paired],
            "ci95_unpaired": [float(v) for v in unpaired],
            "discordant": {"only_b": f, "only_a": g},
        })
    return rows


def parse_spec(text: str) -> tuple[str, str | None]:
    """Split ``SCENARIO[:POLICY]`` into the scenario reference and the policy (or ``None``).

    Only the last colon splits, and only when what follows looks like a policy id (lower-case
    letters, digits and underscores) and the whole text is not a file, so a file path with
    colons in it stays whole. Whether the scenario declares the policy is checked when it is
    applied (:func:`~powderkeg.scenario.load.with_policy`).

    >>> parse_spec("autumn-2022:offer_offramp")
    ('autumn-2022', 'offer_offramp')
    >>> parse_spec("what-ifs/bridge:down.yaml")
    ('what-ifs/bridge:down.yaml', None)
    """
    head, sep, tail = text.rpartition(":")
    if not sep:
        return text, None
    looks_like_policy = bool(re.fullmatch(r"[a-z][a-z0-9_]*", tail))
    if not looks_like_policy or Path(text).exists():
        return text, None
    if not head:
        raise InputError(f"'{text}' names a policy but no scenario; write SCENARIO:{tail}, "
                         f"e.g. autumn-2022:{tail}.")
    return head, tail
