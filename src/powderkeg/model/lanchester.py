"""Attrition: the generalized Lanchester equations of Helmbold.

For forces ``x`` and ``y`` with effectiveness coefficients ``a`` (losses of ``x`` per unit of
``y`` per day) and ``b``, and reinforcement rates ``p`` and ``q``::

    dx/dt = p - a * x**(1 - W) * y**W
    dy/dt = q - b * y**(1 - W) * x**W

``W`` is the Weiss parameter: ``W = 1`` is Lanchester's square law (aimed fire), ``W = 0``
the logarithmic law (losses proportional to one's own strength).

References
----------
R. L. Helmbold (1965), "A modification of Lanchester's equations", Operations Research 13,
857-859. F. W. Lanchester (1916), *Aircraft in Warfare*. J. H. Engel (1954), "A verification
of Lanchester's law", JORSA 2(2):163-171 (the square law fitted to Iwo Jima).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.elementary import exp_scalar, log_scalar

__all__ = ["helmbold_rates", "helmbold_one_day", "helmbold_day", "square_law"]


@njit(cache=True, nogil=True)
def helmbold_rates(x, y, a, b, weiss):
    """Loss rates ``(a x^(1-W) y^W, b y^(1-W) x^W)`` per day; zero where a side is gone.

    Scalars; negative strengths count as zero. With both sides present, two logarithms and
    two exponentials: ``x^(1-W) y^W = exp(log x + W (log y - log x))``, and symmetrically.

    >>> [round(r, 12) for r in helmbold_rates(100.0, 25.0, 0.01, 0.02, 0.5)]
    [0.5, 1.0]
    """
    x = max(x, 0.0)
    y = max(y, 0.0)
    if x == 0.0 or y == 0.0:  # a side without forces loses nothing; 0^0 = 1 under W = 1
        square = weiss == 1.0
        return (a * y if square and x == 0.0 else 0.0), (b * x if square and y == 0.0 else 0.0)
    lx, ly = log_scalar(x), log_scalar(y)
    return a * exp_scalar(lx + weiss * (ly - lx)), b * exp_scalar(ly + weiss * (lx - ly))


@njit(cache=True, nogil=True)
def helmbold_one_day(x, y, a, b, weiss, p, q, substeps):
    """One day of :func:`helmbold_day` for scalars: ``(x, y, lost_x, lost_y)``.

    ``substeps`` classical Runge-Kutta steps of :func:`helmbold_rates` with reinforcements
    ``p``, ``q``; a substep removes at most what the side has plus its reinforcements.
    """
    h = 1.0 / substeps
    lost_x = lost_y = 0.0
    for _ in range(substeps):
        k1x, k1y = helmbold_rates(x, y, a, b, weiss)
        k2x, k2y = helmbold_rates(x + h / 2 * (p - k1x), y + h / 2 * (q - k1y), a, b, weiss)
        k3x, k3y = helmbold_rates(x + h / 2 * (p - k2x), y + h / 2 * (q - k2y), a, b, weiss)
        k4x, k4y = helmbold_rates(x + h * (p - k3x), y + h * (q - k3y), a, b, weiss)
        dx = min(h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x), x + h * p)
        dy = min(h / 6 * (k1y + 2 * k2y + 2 * k3y + k4y), y + h * q)
        x, y = x + h * p - dx, y + h * q - dy
        lost_x, lost_y = lost_x + dx, lost_y + dy
    return x, y, lost_x, lost_y


@njit(cache=True, nogil=True)
def _helmbold_runs(x, y, a, b, weiss, p, q, substeps):
    out = np.empty((4, len(x)))
    for i in range(len(x)):
        out[0, i], out[1, i], out[2, i], out[3, i] = helmbold_one_day(
            x[i], y[i], a[i], b[i], weiss[i], p[i], q[i], substeps)
    return out


def helmbold_day(x, y, a, b, weiss, p=0.0, q=0.0, substeps: int = 4):
    """Integrate one day with classical Runge-Kutta; returns ``(x, y, lost_x, lost_y)``.

    Arrays broadcast; each side is kept non-negative: a substep removes at most what the
    side has plus its reinforcements. Compiled, one element at a time.

    >>> x, y, lx, ly = helmbold_day(100.0, 100.0, 0.01, 0.01, 1.0)
    >>> round(float(x), 3)
    99.005
    """
    args = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, y, a, b, weiss, p, q)))
    flat = [np.ascontiguousarray(v.reshape(-1)) for v in args]
    out = _helmbold_runs(*flat, int(substeps))
    return tuple(o.reshape(args[0].shape)[()] for o in out)


def square_law(x0, y0, a, b, t):
    """Closed form of the square law without reinforcements, valid while both sides remain.

    ``x(t) = x0 cosh(sqrt(ab) t) - sqrt(a/b) y0 sinh(sqrt(ab) t)`` and symmetrically for y.
    """
    g = np.sqrt(a * b)
    x = x0 * np.cosh(g * t) - np.sqrt(a / b) * y0 * np.sinh(g * t)
    y = y0 * np.cosh(g * t) - np.sqrt(b / a) * x0 * np.sinh(g * t)
    return x, y
