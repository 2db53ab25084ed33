"""Drawing fitted parameters from a posterior sample by the seed rule.

A fit (:mod:`powderkeg.analysis.fit`) leaves ``M`` equally weighted posterior draws of ``P``
parameters, each as its prior quantile ``u`` (the uniform whose inverse distribution function
is the value). Run ``r`` uses draw ``j(r) = floor(M U(seed, "posterior", r))``: one
counter-based uniform keyed by the run (:mod:`powderkeg.model.random`), so run ``r`` gets the
same draw, hence the same world, alone, in any batch or in any chunking, and two variants
that share a seed and a posterior share the draws (common random numbers). The draw is joint:
the fitted parameters keep the posterior's correlations.

A designed experiment (a sensitivity analysis) gives its own quantile ``v`` for a fitted
parameter; it is then mapped through the posterior's marginal quantile function,
``u = Q_post(v)``, so the design explores the posterior's range of that parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.model.random import Streams

__all__ = ["PosteriorDraws", "posterior_uniforms", "draw_rows"]


@dataclass(frozen=True)
class PosteriorDraws:
    """``M`` posterior draws of parameters ``paths``, as prior quantiles ``u`` of shape (M, P)."""

    paths: tuple[str, ...]
    u: np.ndarray

    def column(self, path: str) -> np.ndarray:
        return self.u[:, self.paths.index(path)]


def draw_rows(streams: Streams, runs: np.ndarray, m: int) -> np.ndarray:
    """Posterior row of each run, ``floor(m U(seed, "posterior", r))``, shape ``(R,)``.

    >>> draw_rows(Streams(0), np.arange(3), 10).tolist() == draw_rows(
    ...     Streams(0), np.arange(5), 10)[:3].tolist()
    True
    """
    u = streams.uniform("posterior", np.asarray(runs), 0)[:, 0]
    return np.minimum((u * m).astype(np.int64), m - 1)


def posterior_uniforms(draws: PosteriorDraws | None, streams: Streams, runs: np.ndarray,
                       given: dict[str, np.ndarray] | None) -> dict[str, np.ndarray] | None:
    """``given`` with every fitted parameter's quantile taken from the posterior.

    Parameters not in ``draws`` keep ``given``'s quantile (or their own stream when absent).
    A fitted parameter with a given quantile ``v`` (a design) gets ``Q_post(v)``, the
    posterior's empirical marginal quantile (inverted CDF, ``numpy.quantile``).
    """
    if draws is None:
        return given
    out = dict(given or {})
    rows = draw_rows(streams, runs, len(draws.u))
    for k, path in enumerate(draws.paths):
        if path in out:
            out[path] = np.quantile(draws.u[:, k], np.asarray(out[path]),
                                    method="inverted_cdf")
        else:
            out[path] = draws.u[rows, k]
    return out
