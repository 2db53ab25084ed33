"""Confidence intervals for a binomial proportion.

References
----------
L. D. Brown, T. T. Cai, A. DasGupta (2001), "Interval estimation for a binomial proportion",
Statistical Science 16(2):101-133, doi:10.1214/ss/1009213286 (recommends Wilson and Jeffreys).
E. B. Wilson (1927), JASA 22(158):209-212, doi:10.1080/01621459.1927.10502953.

The quantiles come from ``scipy.special`` (``betaincinv``, ``ndtri``), the functions that
``scipy.stats.beta.ppf`` and ``scipy.stats.norm.ppf`` evaluate, without importing
``scipy.stats`` (about 0.7 CPU-s, paid by every ``powderkeg run``; design note 034).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv, ndtri

__all__ = ["jeffreys_interval", "wilson_interval"]


def jeffreys_interval(successes, trials, level: float = 0.95):
    """Equal-tailed Jeffreys interval: quantiles of Beta(x + 1/2, n - x + 1/2).

    The lower end is 0 when ``x = 0`` and the upper end 1 when ``x = n`` (Brown et al. 2001).

    >>> [round(float(v), 4) for v in jeffreys_interval(0, 10)]
    [0.0, 0.2172]
    """
    x, n = np.asarray(successes, float), np.asarray(trials, float)
    a = (1 - level) / 2
    low = np.where(x > 0, betaincinv(x + 0.5, n - x + 0.5, a), 0.0)
    high = np.where(x < n, betaincinv(x + 0.5, n - x + 0.5, 1 - a), 1.0)
    return low, high


def wilson_interval(successes, trials, level: float = 0.95):
    """Wilson score interval ``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``.

    Clipped to ``[0, 1]``: at ``x = 0`` the exact lower end is 0 (and at ``x = n`` the upper
    end 1), which rounding would put a hair above ``p`` (below it).
    """
    x, n = np.asarray(successes, float), np.asarray(trials, float)
    z = ndtri(1 - (1 - level) / 2)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return np.clip(centre - half, 0.0, p), np.clip(centre + half, p, 1.0)
