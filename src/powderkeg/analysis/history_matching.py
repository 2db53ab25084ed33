"""History matching in waves and importance weights: the equations of ``powderkeg fit``.

Everything here works in *quantile space*: a point ``u`` in ``(0, 1)^D`` gives each fitted
parameter the value of its prior's inverse distribution function at ``u_d``, so the prior is
uniform on the cube and its density is 1. A point's ``r`` replicate runs differ in their
chance events and in the parameters not being fitted.

Implausibility of observation ``k`` at point ``u`` (Craig et al. 1997; Vernon, Goldstein and
Bower 2010, eq. 4), with the simulator's ensemble in place of an emulator (Andrianakis et
al. 2015):

    I_k(u) = |z_k - E[f_k(u)]| / sqrt(Var_obs,k + Var_disc,k + Var_ens,k(u))

``E[f_k]`` is the replicate mean; ``Var_ens = s^2 (1 + 1 / r)`` is the runs' own variance
(the world is one draw of the stochastic model) plus the error of estimating their mean from
``r`` runs. A true/false observation uses the probability ``p = (k + 1/2) / (r + 1)`` that a
run says "true" (``k`` of ``r`` did; the half keeps ``p`` off 0 and 1) and its Bernoulli
variance ``p (1 - p)``. The discrepancy between model and world is
``Var_disc = delta^2 Var_obs``. A point is ruled out when the largest ``I_k`` (the second
largest with :data:`SECOND_MAX_FROM` observations or more, so that one odd observation cannot
rule out everything) exceeds 3, Pukelsheim's three-sigma rule for any unimodal distribution.

The posterior within the not-ruled-out-yet (NROY) space is an importance sample over every
point of every wave: ``w_i = 1[u_i in NROY] L(u_i) / q(u_i)``, with ``L`` a synthetic
likelihood (Wood 2010: normal with the variances above; a true/false observation right with
probability ``c p + (1 - c)(1 - p)`` for confidence ``c``) and ``q`` the deterministic mixture
of the waves' proposals (Owen and Zhou 2000). Each wave after the first samples a Gaussian
kernel around the NROY points found so far, each chosen with its current importance weight,
in normal-score space with twice their weighted covariance (Beaumont, Cornuet, Marin and
Robert 2009; adaptive multiple importance sampling, Cornuet, Marin, Mira and Robert 2012).

References
----------
P. S. Craig, M. Goldstein, A. H. Seheult, J. A. Smith (1997), "Pressure matching for
hydrocarbon reservoirs: a case study in the use of Bayes linear strategies for large computer
experiments", in Case Studies in Bayesian Statistics III, Springer, 37-93,
doi:10.1007/978-1-4612-2290-3_2.
I. Vernon, M. Goldstein, R. G. Bower (2010), "Galaxy formation: a Bayesian uncertainty
analysis", Bayesian Analysis 5(4):619-669, doi:10.1214/10-BA524.
I. Andrianakis, I. Vernon, N. McCreesh, T. J. McKinley, J. E. Oakley, R. N. Nsubuga,
M. Goldstein, R. G. White (2015), "Bayesian history matching of complex infectious disease
models using emulation", PLoS Comput Biol 11(1):e1003968, doi:10.1371/journal.pcbi.1003968.
F. Pukelsheim (1994), "The three sigma rule", The American Statistician 48(2):88-91,
doi:10.1080/00031305.1994.10476030.
S. N. Wood (2010), "Statistical inference for noisy nonlinear ecological dynamic systems",
Nature 466:1102-1104, doi:10.1038/nature09319.
A. Owen, Y. Zhou (2000), "Safe and effective importance sampling", JASA 95(449):135-143,
doi:10.1080/01621459.2000.10473909.
M. A. Beaumont, J.-M. Cornuet, J.-M. Marin, C. P. Robert (2009), "Adaptive approximate
Bayesian computation", Biometrika 96(4):983-990, doi:10.1093/biomet/asp052.
J.-M. Cornuet, J.-M. Marin, A. Mira, C. P. Robert (2012), "Adaptive multiple importance
sampling", Scandinavian Journal of Statistics 39(4):798-812,
doi:10.1111/j.1467-9469.2011.00756.x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri
from scipy.stats import qmc

__all__ = ["CUTOFF", "SECOND_MAX_FROM", "Kernel", "ensemble", "implausibility", "summary_rank",
           "ranked_implausibility", "log_likelihood", "first_design", "kernel_around",
           "kernel_design", "log_proposal", "importance_weights", "effective_sample_size",
           "systematic_resample"]

CUTOFF = 3.0
#: With this many observations or more, a point is judged by its second-largest implausibility.
SECOND_MAX_FROM = 10
_EDGE = 1e-9


def ensemble(sims: np.ndarray, binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance ``Var_ens`` of each point's replicates, each of shape ``(N, K)``.

    ``sims`` is ``(N, r, K)``: N points, r replicate runs, K observations; ``binary`` ``(K,)``.

    >>> m, v = ensemble(np.array([[[1.0, 1], [3.0, 0]]]), np.array([False, True]))
    >>> m.tolist(), v.tolist()  # continuous: 2 and 2 (1 + 1/2); binary: p = 1.5 / 3
    ([[2.0, 0.5]], [[3.0, 0.25]])
    """
    r = sims.shape[1]
    mean = sims.mean(axis=1)
    var = sims.var(axis=1, ddof=1) * (1 + 1 / r) if r > 1 else np.zeros_like(mean)
    p = (sims.sum(axis=1) + 0.5) / (r + 1)
    return np.where(binary, p, mean), np.where(binary, p * (1 - p), var)


def implausibility(z: np.ndarray, var_obs: np.ndarray, mean: np.ndarray, var_ens: np.ndarray,
                   discrepancy: float) -> np.ndarray:
    """``I_k = |z_k - E f_k| / sqrt(Var_obs + delta^2 Var_obs + Var_ens)``, shape ``(N, K)``.

    >>> implausibility(np.array([10.0]), np.array([4.0]), np.array([[4.0]]), np.array([[0.0]]),
    ...                0.0).tolist()
    [[3.0]]
    """
    return np.abs(z - mean) / np.sqrt(var_obs * (1 + discrepancy ** 2) + var_ens)


def summary_rank(n_obs: int) -> int:
    """1 (the maximum) below :data:`SECOND_MAX_FROM` observations, else 2 (the second max)."""
    return 1 if n_obs < SECOND_MAX_FROM else 2


def ranked_implausibility(imp: np.ndarray) -> np.ndarray:
    """Each point's largest (or second-largest) implausibility, shape ``(N,)``."""
    k = min(summary_rank(imp.shape[1]), imp.shape[1])
    return -np.sort(-imp, axis=1)[:, k - 1]


def log_likelihood(z, var_obs, mean, var_ens, binary, confidence, discrepancy) -> np.ndarray:
    """Synthetic log likelihood of the observations at each point, shape ``(N,)``.

    A continuous observation: ``log N(z; E f, Var_obs (1 + delta^2) + Var_ens)``. A true/false
    one: ``log(c p + (1 - c)(1 - p))`` if observed true, ``log(c (1 - p) + (1 - c) p)`` if false.
    """
    var = var_obs * (1 + discrepancy ** 2) + var_ens
    normal = -0.5 * (np.log(2 * np.pi * var) + (z - mean) ** 2 / var)
    right = np.where(binary, np.where(z > 0.5, mean, 1 - mean), 0.5)
    bern = np.log(confidence * right + (1 - confidence) * (1 - right))
    return np.where(binary, bern, normal).sum(axis=1)


def first_design(n: int, d: int, seed: int) -> np.ndarray:
    """Wave 1: a Latin hypercube of ``n`` points in ``(0, 1)^d`` (McKay, Beckman, Conover 1979),
    optimised for space filling by random coordinate permutations (scipy.stats.qmc)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    x = qmc.LatinHypercube(d, optimization="random-cd", seed=rng).random(n)
    return np.clip(x, _EDGE, 1 - _EDGE)


@dataclass(frozen=True)
class Kernel:
    """A wave's proposal: a mixture of ``N(centres_j, cov)`` with ``weights_j``, in normal
    scores."""

    centres: np.ndarray  # (m, D) normal scores of the points not ruled out so far
    weights: np.ndarray  # (m,) their importance weights, summing to 1
    cov: np.ndarray  # (D, D)


def kernel_around(u: np.ndarray, w: np.ndarray) -> Kernel:
    """The kernel around the points ``u`` (m, D) weighted ``w``: twice their weighted
    covariance in normal scores (Beaumont et al. 2009).

    With an effective sample smaller than the dimension only the variances are kept; a floor
    of 1e-4 keeps the kernel proper when every point shares a coordinate.
    """
    z, w = ndtri(u), np.asarray(w, dtype=float) / np.sum(w)
    d = z.shape[1]
    cov = (np.atleast_2d(np.cov(z, rowvar=False, aweights=w)) if len(z) > 1
           else np.eye(d))
    if effective_sample_size(w) <= d:
        cov = np.diag(np.diag(cov))
    return Kernel(z, w, 2 * cov + 1e-4 * np.eye(d))


def kernel_design(kernel: Kernel, n: int, seed: int, wave: int) -> np.ndarray:
    """``n`` points drawn from ``kernel``, mapped back to quantile space, shape ``(n, D)``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, wave]))
    pick = rng.choice(len(kernel.centres), size=n, p=kernel.weights)
    chol = np.linalg.cholesky(kernel.cov)
    z = kernel.centres[pick] + rng.standard_normal((n, kernel.cov.shape[0])) @ chol.T
    return np.clip(ndtr(z), _EDGE, 1 - _EDGE)


def log_proposal(kernel: Kernel | None, u: np.ndarray) -> np.ndarray:
    """Log density in quantile space of a wave's proposal at ``u`` (n, D).

    The uniform first wave (``kernel`` None) has density 1. A kernel's density in normal
    scores ``z`` is divided by the Jacobian ``prod_d phi(z_d)`` of ``u = Phi(z)``.
    """
    if kernel is None:
        return np.zeros(len(u))
    z = ndtri(u)
    chol = np.linalg.cholesky(kernel.cov)
    d = z.shape[1]
    diff = np.linalg.solve(chol, (z[:, None, :] - kernel.centres[None]).reshape(-1, d).T).T
    quad = (diff ** 2).sum(axis=1).reshape(len(z), len(kernel.centres))
    log_det = 2 * np.log(np.diag(chol)).sum()
    log_k = -0.5 * (quad + log_det + d * np.log(2 * np.pi))
    log_phi = (-0.5 * (z ** 2 + np.log(2 * np.pi))).sum(axis=1)
    with np.errstate(divide="ignore"):
        log_w = np.log(kernel.weights)
    return logsumexp(log_k + log_w, axis=1) - log_phi


def importance_weights(log_lik: np.ndarray, log_q: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Normalised weights ``1[keep] L / q`` (the prior density is 1), shape ``(N,)``.

    >>> importance_weights(np.log([1.0, 2, 3]), np.zeros(3), np.array([True, True, False]))
    array([0.33333333, 0.66666667, 0.        ])
    """
    log_w = np.where(keep, log_lik - log_q, -np.inf)
    if not np.isfinite(log_w).any():
        return np.zeros(len(log_w))
    return np.exp(log_w - logsumexp(log_w))


def effective_sample_size(w: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``.

    >>> effective_sample_size(np.array([0.25, 0.25, 0.25, 0.25]))
    4.0
    """
    total = w.sum()
    return float(total ** 2 / (w ** 2).sum()) if total > 0 else 0.0


def systematic_resample(w: np.ndarray, m: int, seed: int) -> np.ndarray:
    """``m`` indices drawn with probabilities ``w`` by systematic resampling (Kitagawa 1996).

    >>> systematic_resample(np.array([0.5, 0.0, 0.5]), 4, 0).tolist()
    [0, 0, 2, 2]
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    positions = (rng.random() + np.arange(m)) / m
    return np.minimum(np.searchsorted(np.cumsum(w / w.sum()), positions), len(w) - 1)
