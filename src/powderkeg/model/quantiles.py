"""The quantile functions of a scenario's distributions, compiled for the per-run kernels.

A scenario's numbers (:mod:`powderkeg.scenario.params`) are sampled by inversion, ``x =
F^-1(u)``, with NumPy and SciPy. The repairs of interdiction draw a new repair time for every
hit, inside a compiled kernel, so the families a kernel can invert are here as ``@njit``
scalar functions (``cache=True``, ``nogil=True``, no fast-math) that do the same arithmetic
in the same order as ``params.ppf``, with the elementary functions of
:mod:`powderkeg.model.elementary` that ``params.ppf`` itself uses: the same bits
(``tests/test_quantiles.py`` compares them at many points of every family). A distribution is
coded as ``(family, p0, p1, p2)`` by :func:`quantile_code`; the weights of a ``choice`` are
passed as their cumulative shares.

The beta's quantile is SciPy's (Boost's ``ibeta_inv``, an iterative root finder), which a
kernel cannot reproduce bit for bit: its family code is :data:`NOT_COMPILED` and the caller
inverts it with ``params.ppf``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.elementary import exp_scalar, ndtri_scalar
from powderkeg.scenario import params

__all__ = ["NOT_COMPILED", "FIXED", "UNIFORM", "NORMAL", "LOGNORMAL", "TRIANGULAR", "CHOICE",
           "quantile_code", "choice_index", "triangular_quantile", "quantile_scalar"]

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
NOT_COMPILED, FIXED, UNIFORM, NORMAL, LOGNORMAL, TRIANGULAR, CHOICE = range(-1, 6)


def quantile_code(dist) -> tuple[int, tuple[float, float, float], np.ndarray, np.ndarray]:
    """``(family, (p0, p1, p2), values, cumulative shares)`` of a scenario number ``dist``.

    The parameters, in the order :func:`quantile_scalar` reads them: fixed ``(value)``,
    uniform ``(low, high - low)``, normal ``(mean, sd)``, lognormal ``(median, sigma)``,
    triangular ``(low, high - low, c)`` with ``c = (mode - low) / (high - low)``; a choice
    has its values and the cumulative shares ``cumsum(w) / sum(w)`` of its weights, computed
    as ``params.Choice.ppf`` computes them. Any other family is :data:`NOT_COMPILED`.
    """
    none = np.zeros(0)
    if isinstance(dist, params.Fixed):
        return FIXED, (dist.value, 0.0, 0.0), none, none
    if isinstance(dist, params.Uniform):
        return UNIFORM, (dist.low, dist.high - dist.low, 0.0), none, none
    if isinstance(dist, params.Normal):
        return NORMAL, (dist.mean, dist.sd, 0.0), none, none
    if isinstance(dist, params.LogNormal):
        return LOGNORMAL, (dist.median, dist.sigma, 0.0), none, none
    if isinstance(dist, params.Triangular):
        scale = dist.high - dist.low
        return TRIANGULAR, (dist.low, scale, (dist.mode - dist.low) / scale), none, none
    if isinstance(dist, params.Choice):
        w = np.ones(len(dist.values)) if dist.weights is None else np.asarray(dist.weights)
        return (CHOICE, (0.0, 0.0, 0.0), np.asarray(dist.values, dtype=float),
                np.cumsum(w) / w.sum())
    return NOT_COMPILED, (0.0, 0.0, 0.0), none, none


@njit(**_JIT)
def choice_index(cum, u) -> int:
    """Index of the value a choice takes at ``u``: ``min(#{t : cum_t <= u}, T - 1)``, as
    ``searchsorted(cum, u, side="right")`` (``cum`` ``(T,)`` its cumulative shares).
    Example: shares ``(0.25, 1.0)`` give index 0 below ``u = 0.25`` and 1 from there."""
    n = 0
    for t in range(cum.size):
        if cum[t] <= u:
            n += 1
    return min(n, cum.size - 1)


@njit(**_JIT)
def triangular_quantile(u, low, scale, c) -> float:
    """The triangular distribution's quantile, SciPy's ``triang.ppf``:
    ``low + scale sqrt(c u)`` for ``u < c``, else ``low + scale (1 - sqrt((1 - c)(1 - u)))``.
    Example: ``(low, mode, high) = (0, 1, 2)``, ``u = 0.5`` gives 1."""
    x = np.sqrt(c * u) if u < c else 1.0 - np.sqrt((1.0 - c) * (1.0 - u))
    return x * scale + low


@njit(**_JIT)
def quantile_scalar(family, p0, p1, p2, values, cum, u) -> float:
    """``F^-1(u)`` of a distribution coded by :func:`quantile_code`.

    Fixed ``p0``; uniform ``p0 + p1 u``; normal ``p0 + p1 Phi^-1(u)``; lognormal
    ``p0 exp(p1 Phi^-1(u))``; triangular :func:`triangular_quantile`; choice
    ``values[choice_index(cum, u)]``. NaN for :data:`NOT_COMPILED`.
    """
    if family == FIXED:
        return p0
    if family == UNIFORM:
        return p0 + p1 * u
    if family == NORMAL:
        return p0 + p1 * ndtri_scalar(u)
    if family == LOGNORMAL:
        return p0 * exp_scalar(p1 * ndtri_scalar(u))
    if family == TRIANGULAR:
        return triangular_quantile(u, p0, p1, p2)
    if family == CHOICE:
        return values[choice_index(cum, u)]
    return np.nan
