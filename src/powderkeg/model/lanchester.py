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

from powderkeg.model.elementary import power

__all__ = ["helmbold_rates", "helmbold_day", "square_law"]


def helmbold_rates(x, y, a, b, weiss):
    """Loss rates ``(a x^(1-W) y^W, b y^(1-W) x^W)`` per day; zero where a side is gone."""
    x = np.maximum(x, 0.0)
    y = np.maximum(y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss_x = a * np.where(y > 0, power(x, 1 - weiss) * power(y, weiss), 0.0)
        loss_y = b * np.where(x > 0, power(y, 1 - weiss) * power(x, weiss), 0.0)
    return loss_x, loss_y


def helmbold_day(x, y, a, b, weiss, p=0.0, q=0.0, substeps: int = 4):
    """Integrate one day with classical Runge-Kutta; returns ``(x, y, lost_x, lost_y)``.

    Arrays broadcast; each side is kept non-negative.

    >>> x, y, lx, ly = helmbold_day(100.0, 100.0, 0.01, 0.01, 1.0)
    >>> round(float(x), 3)
    99.005
    """
    h = 1.0 / substeps
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    lost_x = np.zeros(np.broadcast(x, y).shape)
    lost_y = np.zeros_like(lost_x)
    for _ in range(substeps):
        k1 = helmbold_rates(x, y, a, b, weiss)
        k2 = helmbold_rates(x + h / 2 * (p - k1[0]), y + h / 2 * (q - k1[1]), a, b, weiss)
        k3 = helmbold_rates(x + h / 2 * (p - k2[0]), y + h / 2 * (q - k2[1]), a, b, weiss)
        k4 = helmbold_rates(x + h * (p - k3[0]), y + h * (q - k3[1]), a, b, weiss)
        dx = h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        dy = h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        dx = np.minimum(dx, x + h * p)
        dy = np.minimum(dy, y + h * q)
        x, y = x + h * p - dx, y + h * q - dy
        lost_x, lost_y = lost_x + dx, lost_y + dy
    return x, y, lost_x, lost_y


def square_law(x0, y0, a, b, t):
    """Closed form of the square law without reinforcements, valid while both sides remain.

    ``x(t) = x0 cosh(sqrt(ab) t) - sqrt(a/b) y0 sinh(sqrt(ab) t)`` and symmetrically for y.
    """
    g = np.sqrt(a * b)
    x = x0 * np.cosh(g * t) - np.sqrt(a / b) * y0 * np.sinh(g * t)
    y = y0 * np.cosh(g * t) - np.sqrt(b / a) * x0 * np.sinh(g * t)
    return x, y
