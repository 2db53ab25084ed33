"""Answering a what-if over numbers the runs already sampled, by reweighting the stored runs.

Run ``i`` drew parameter ``k`` at ``x_ik`` from the density ``p_k`` and its escalation theory
``t_i`` with probability ``pi_t``. If a variant replaces ``p_k`` by ``q_k`` (and ``pi`` by
``rho``), the expectation of any function ``f`` of a run under the variant is estimated from
the same runs with the importance weights

    w_i = prod_k q_k(x_ik) / p_k(x_ik) * rho_{t_i} / pi_{t_i}

as the self-normalised mean ``sum_i w_i f_i / sum_i w_i`` (Owen 2013, ch. 9). It is unbiased
in the limit only where ``q_k > 0`` implies ``p_k > 0`` (:func:`covers`); its precision is
that of ``n_eff = (sum w)^2 / sum w^2`` plain runs (Kish's effective sample size).

References
----------
A. B. Owen (2013), *Monte Carlo theory, methods and examples*, ch. 9 "Importance sampling",
https://artowen.su.domains/mc/ (self-normalised estimator, its delta-method variance, and
the effective sample size).
L. Kish (1965), *Survey Sampling*, Wiley (effective sample size of a weighted sample).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from powderkeg.analysis.intervals import jeffreys_interval
from powderkeg.scenario import params as P

__all__ = ["density", "covers", "importance_weights", "effective_sample_size",
           "weighted_probability", "weighted_difference", "weighted_cumulative",
           "weighted_quantiles"]


def _frozen(p):
    """The scipy distribution of a continuous parameter."""
    if isinstance(p, P.Uniform):
        return stats.uniform(loc=p.low, scale=p.high - p.low)
    if isinstance(p, P.Normal):
        return stats.norm(loc=p.mean, scale=p.sd)
    if isinstance(p, P.LogNormal):
        return stats.lognorm(s=p.sigma, scale=p.median)
    if isinstance(p, P.Beta):
        return stats.beta(p.a, p.b, loc=p.low, scale=p.high - p.low)
    if isinstance(p, P.Triangular):
        c = (p.mode - p.low) / (p.high - p.low)
        return stats.triang(c, loc=p.low, scale=p.high - p.low)
    raise TypeError(f"no density for {type(p).__name__}")


def density(p, x) -> np.ndarray:
    """The density (or, for ``choice``, the probability) of parameter ``p`` at ``x``.

    The same distributions :mod:`powderkeg.scenario.params` samples by inversion.

    >>> from powderkeg.scenario.params import Uniform, Choice
    >>> density(Uniform(dist="uniform", low=0, high=4), [1.0, 5.0]).tolist()
    [0.25, 0.0]
    >>> density(Choice(dist="choice", values=[1, 2, 2], weights=[2, 1, 1]), [2.0]).tolist()
    [0.5]
    """
    x = np.asarray(x, dtype=float)
    if isinstance(p, P.Choice):
        w = np.ones(len(p.values)) if p.weights is None else np.asarray(p.weights, float)
        values = np.asarray(p.values, float)
        return np.array([w[np.isclose(values, v)].sum() for v in x.ravel()]).reshape(
            x.shape) / w.sum()
    return _frozen(p).pdf(x)


def covers(old, new) -> bool:
    """True when every value ``new`` can give, ``old`` could give too (``q > 0 => p > 0``).

    >>> from powderkeg.scenario.params import Uniform
    >>> u = lambda a, b: Uniform(dist="uniform", low=a, high=b)
    >>> covers(u(0, 4), u(1, 2)), covers(u(0, 4), u(1, 5))
    (True, False)
    """
    if isinstance(new, P.Choice) or isinstance(old, P.Choice):
        if not (isinstance(new, P.Choice) and isinstance(old, P.Choice)):
            return False
        return all(np.isclose(old.values, v).any() for v in new.values)
    lo_old, hi_old = old.support()
    lo_new, hi_new = new.support()
    return lo_old <= lo_new and hi_new <= hi_old


def importance_weights(values: dict[str, np.ndarray], old: dict, new: dict,
                       theory: np.ndarray | None = None,
                       theory_old: dict[str, float] | None = None,
                       theory_new: dict[str, float] | None = None) -> np.ndarray:
    """The weights ``w_i`` of the module docstring, shape ``(R,)``.

    ``values`` maps a parameter path to its sampled values ``(R,)``; ``old`` and ``new`` map
    the same paths to the parameter's old and new distributions. ``theory`` names each run's
    theory and ``theory_old`` / ``theory_new`` give each theory's probability.
    """
    n = len(next(iter(values.values()))) if values else len(theory)
    w = np.ones(n)
    for path, x in values.items():
        p_old = density(old[path], x)
        with np.errstate(divide="ignore", invalid="ignore"):
            w *= np.where(p_old > 0, density(new[path], x) / np.where(p_old > 0, p_old, 1), 0.0)
    if theory is not None and theory_old is not None and theory_new is not None:
        ratio = {t: theory_new[t] / theory_old[t] if theory_old[t] > 0 else 0.0
                 for t in theory_old}
        w *= np.array([ratio[str(t)] for t in theory])
    return w


def effective_sample_size(w: np.ndarray) -> float:
    """Kish's ``(sum w)^2 / sum w^2``: ``n`` for equal weights.

    >>> effective_sample_size(np.ones(10)), effective_sample_size(np.array([1.0, 0, 0, 0]))
    (10.0, 1.0)
    """
    w = np.asarray(w, dtype=float)
    s2 = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def weighted_probability(happened: np.ndarray, w: np.ndarray, level: float = 0.95) -> dict:
    """Self-normalised estimate of a probability and its interval.

    The interval is Jeffreys' at the effective sample size (``x = p n_eff`` successes of
    ``n_eff``), which is the plain Jeffreys interval when the weights are equal.
    """
    x, w = np.asarray(happened, float), np.asarray(w, float)
    p = float(np.sum(w * x) / np.sum(w))
    n_eff = effective_sample_size(w)
    low, high = jeffreys_interval(p * n_eff, n_eff, level)
    return {"probability": p, "ci95": [float(low), float(high)], "n_eff": n_eff}


def weighted_difference(happened: np.ndarray, w: np.ndarray, level: float = 0.95) -> dict:
    """``D = p_w - p``: the reweighted minus the plain share of the same runs, paired.

    Both estimates use the same runs, so their difference has the linearised terms
    ``psi_i = (w_i / mean(w)) (x_i - p_w) - (x_i - p)`` and the normal interval
    ``D +- z sd(psi) / sqrt(n)`` (the delta method for a ratio estimator, Owen 2013 §9.2).

    >>> r = weighted_difference(np.array([1, 0, 1, 0]), np.ones(4))
    >>> r["difference"], r["ci95"]
    (0.0, [0.0, 0.0])
    """
    x, w = np.asarray(happened, float), np.asarray(w, float)
    n = len(x)
    p, p_w = float(x.mean()), float(np.sum(w * x) / np.sum(w))
    psi = (w / w.mean()) * (x - p_w) - (x - p)
    half = float(stats.norm.ppf(1 - (1 - level) / 2) * psi.std(ddof=1) / np.sqrt(n)) \
        if n > 1 else np.inf
    return {"difference": p_w - p, "ci95": [p_w - p - half, p_w - p + half]}


def weighted_cumulative(event_day: np.ndarray, w: np.ndarray, days: int) -> np.ndarray:
    """Weighted share of runs in which the outcome happened on or before each day ``0..days``."""
    e, w = np.asarray(event_day, float), np.asarray(w, float)
    hit = ~np.isnan(e)
    counts = np.bincount(e[hit].astype(int), weights=w[hit], minlength=days + 1)[: days + 1]
    return np.cumsum(counts) / np.sum(w)


def weighted_quantiles(values: np.ndarray, w: np.ndarray, q) -> np.ndarray:
    """Weighted quantiles over runs (axis 0): shape ``(len(q), *values.shape[1:])``.

    The quantile is the smallest value whose cumulative weight reaches ``q`` of the total
    (NaN values are left out); with equal weights it is the inverted empirical distribution.

    >>> weighted_quantiles(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 1, 5.0]), [0.5])
    array([4.])
    """
    v = np.asarray(values, float)
    flat = v.reshape(len(v), -1)
    out = np.full((len(q), flat.shape[1]), np.nan)
    for j in range(flat.shape[1]):
        ok = np.isfinite(flat[:, j]) & (w > 0)
        if not ok.any():
            continue
        order = np.argsort(flat[ok, j])
        cum = np.cumsum(np.asarray(w, float)[ok][order])
        idx = np.searchsorted(cum, np.asarray(q) * cum[-1] - 1e-12 * cum[-1])
        out[:, j] = flat[ok, j][order][np.minimum(idx, len(cum) - 1)]
    return out.reshape((len(q), *v.shape[1:]))
