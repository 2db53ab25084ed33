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

A point's replicate ``i`` is run ``g * R + i`` (``g`` the point's global index, ``R`` the
most replicates a point may get), so it is the same run whatever else is simulated; points
not ruled out, or ruled out by less than :data:`BAND`, get replicates up to ``R`` before
they are judged, so that rare events and the ensemble variance are estimated where the cut
decides.

The posterior is sampled by moves between waves (a sequential Monte Carlo sampler with MCMC
moves, Del Moral, Doucet and Jasra 2012): each particle proposes a preconditioned
Crank-Nicolson move in normal scores (Cotter, Roberts, Stuart and White 2013), which is
reversible with respect to the prior in any dimension, and a Metropolis-Hastings step
accepts it with ``min(1, pi(u') / pi(u))``. The target ``pi`` is ``1[I <= cut]`` (the prior
within the space not ruled out, history matching's own answer; ABC with a uniform kernel,
exact under a uniform model error, Wilkinson 2013) or that times the synthetic likelihood
``L`` (Wood 2010: normal with the variances above; a true/false observation right with
probability ``c p + (1 - c)(1 - p)`` for confidence ``c``; Price, Drovandi, Lee and Nott
2018). The cut falls from wave to wave to 3 (Drovandi and Pettitt 2011) and the step is
tuned towards an acceptance rate of 0.234.

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
P. Del Moral, A. Doucet, A. Jasra (2012), "An adaptive sequential Monte Carlo method for
approximate Bayesian computation", Statistics and Computing 22(5):1009-1020,
doi:10.1007/s11222-011-9271-y.
C. C. Drovandi, A. N. Pettitt (2011), "Estimation of parameters for macroparasite population
evolution using approximate Bayesian computation", Biometrics 67(1):225-233,
doi:10.1111/j.1541-0420.2010.01410.x.
S. L. Cotter, G. O. Roberts, A. M. Stuart, D. White (2013), "MCMC methods for functions:
modifying old algorithms to make them faster", Statistical Science 28(3):424-446,
doi:10.1214/13-STS421.
R. D. Wilkinson (2013), "Approximate Bayesian computation (ABC) gives exact results under
the assumption of model error", Statistical Applications in Genetics and Molecular Biology
12(2):129-141, doi:10.1515/sagmb-2013-0010.
L. F. Price, C. C. Drovandi, A. Lee, D. J. Nott (2018), "Bayesian synthetic likelihood",
Journal of Computational and Graphical Statistics 27(1):1-11,
doi:10.1080/10618600.2017.1302882.
A. Jasra, D. A. Stephens, A. Doucet, T. Tsagaris (2011), "Inference for Levy-driven
stochastic volatility models via adaptive sequential Monte Carlo", Scandinavian Journal of
Statistics 38(1):1-22, doi:10.1111/j.1467-9469.2010.00723.x.
G. O. Roberts, A. Gelman, W. R. Gilks (1997), "Weak convergence and optimal scaling of
random walk Metropolis algorithms", Annals of Applied Probability 7(1):110-120,
doi:10.1214/aoap/1034625254.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri
from scipy.stats import qmc

__all__ = ["CUTOFF", "BAND", "TARGET_ACCEPTANCE", "SECOND_MAX_FROM", "ensemble",
           "implausibility", "summary_rank", "ranked_implausibility", "log_likelihood",
           "first_design", "extend", "next_cut", "replicate_runs", "pcn_move", "accept",
           "next_step",
           "importance_weights", "effective_sample_size", "systematic_resample"]

CUTOFF = 3.0
#: Points with a ranked implausibility up to ``CUTOFF + BAND`` get more replicates before the
#: cut: with few runs, an implausibility near 3 is mostly Monte Carlo noise.
BAND = 1.0
#: Acceptance rate the pCN step is tuned towards (Roberts, Gelman and Gilks 1997).
TARGET_ACCEPTANCE = 0.234
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


def extend(ranked: np.ndarray) -> np.ndarray:
    """Points that get more replicates before they are judged: not ruled out, or ruled out
    by less than :data:`BAND` (``I <= CUTOFF + BAND``), shape ``(N,)``.

    >>> extend(np.array([1.0, 3.9, 4.1])).tolist()
    [True, True, False]
    """
    return ranked <= CUTOFF + BAND


def next_cut(ranked: np.ndarray, cut: float) -> float:
    """The next wave's cut: the population's median ranked implausibility, never below
    :data:`CUTOFF` and never above the cut in force (an adaptive tolerance, Drovandi and
    Pettitt 2011, keeping half the particles).

    >>> next_cut(np.array([2.0, 8, 10]), np.inf), next_cut(np.array([1.0, 2, 9]), 8.0)
    (8.0, 3.0)
    """
    return float(min(cut, max(CUTOFF, np.median(ranked))))


def replicate_runs(points: np.ndarray, first: int, stop: int, most: int) -> np.ndarray:
    """Run numbers of replicates ``first .. stop - 1`` of the global points ``points``: run
    ``g * most + i`` is replicate ``i`` of point ``g``, whatever else is simulated. Shape
    ``(len(points) * (stop - first),)``, point by point.

    >>> replicate_runs(np.array([0, 2]), 1, 3, 4).tolist()
    [1, 2, 9, 10]
    """
    return (np.asarray(points)[:, None] * most + np.arange(first, stop)[None]).ravel()


def pcn_move(u: np.ndarray, step: float, seed: int, wave: int) -> np.ndarray:
    """Preconditioned Crank-Nicolson proposals ``z' = sqrt(1 - b^2) z + b xi`` in normal
    scores ``z = Phi^-1(u)`` (Cotter, Roberts, Stuart and White 2013), shape of ``u``.

    The move is reversible with respect to the prior (``N(0, I)`` in normal scores, uniform in
    quantiles) in any dimension, so a Metropolis-Hastings step that targets
    ``prior(u) pi(u)`` accepts with ``min(1, pi(u') / pi(u))``: the prior cancels, and the
    acceptance does not collapse as state dimensions are added.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, wave]))
    z = np.sqrt(1 - step ** 2) * ndtri(u) + step * rng.standard_normal(u.shape)
    return np.clip(ndtr(z), _EDGE, 1 - _EDGE)


def accept(log_old: np.ndarray, log_new: np.ndarray, seed: int, wave: int) -> np.ndarray:
    """Metropolis-Hastings acceptance of prior-reversible proposals: ``log U < pi' - pi``,
    shape ``(n,)``; a proposal ruled out has ``log pi' = -inf`` and is never accepted.

    >>> accept(np.zeros(3), np.array([0.0, -np.inf, 5.0]), 0, 2).tolist()
    [True, False, True]
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, wave, 1]))
    with np.errstate(invalid="ignore"):
        return np.log(rng.random(len(log_old))) < log_new - log_old


def next_step(step: float, acceptance: float) -> float:
    """The next wave's pCN step from this wave's acceptance rate: the step grows when more
    than :data:`TARGET_ACCEPTANCE` of the moves were accepted and shrinks when fewer
    (a Robbins-Monro rule on ``log b``, as adaptive SMC samplers tune their MCMC kernels
    between populations, Jasra et al. 2011), kept within 0.05 to 0.95.

    >>> round(next_step(0.5, 0.234), 3), next_step(0.5, 0.0) < 0.5 < next_step(0.5, 1.0)
    (0.5, True)
    """
    return float(np.clip(step * np.exp(acceptance - TARGET_ACCEPTANCE), 0.05, 0.95))


def importance_weights(log_lik: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Normalised weights ``1[keep] L`` of points drawn from the prior, shape ``(N,)``.

    >>> importance_weights(np.log([1.0, 2, 3]), np.array([True, True, False]))
    array([0.33333333, 0.66666667, 0.        ])
    """
    log_w = np.where(keep, log_lik, -np.inf)
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
