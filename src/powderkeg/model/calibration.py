"""Calibrating the escalation theories on history: marginal likelihoods, Bayes factor, posterior.

Each historical case is a situation (the opponent's strength, the regime's threat, whether a
declared red line was crossed, whether an off-ramp was offered) and an observed response
(step down, hold, step up). Under a theory with weights ``theta`` and logit precision
``lambda``, the probability of the response is the leader's logit choice
(:func:`~powderkeg.model.escalation.utilities`) at the scenario's starting rung, with
hardliner pressure at one half and no battlefield trend. Cases are independent given the
theory and its numbers, so a theory's *marginal likelihood* is (Kass & Raftery 1995, eq. 2)::

    p(D | H) = integral  prod_i p(y_i | theta, lambda, H)  pi(theta, lambda | H)  dtheta dlambda

over the scenario's distributions of the theory's weights, the precision and the rung costs
(the prior ``pi``). It is estimated by simple Monte Carlo over :data:`DRAWS` prior draws from
the project's counter-based generator (:class:`~powderkeg.model.random.Streams`, seed
:data:`SEED`, one stream per number named by its path), so it is deterministic; log-mean-exp
keeps it finite and the delta method gives its Monte Carlo standard error. A point prior (all
numbers fixed) makes the estimate exact. The scenario declares one or more theories; the log
Bayes factor of the first over the second is the difference of their log marginals, and the
posterior weights are ``prior * p(D | H)`` normalised over all of them.

A case whose observed response is impossible at the starting rung (stepping down from the
bottom rung, up from the top) has probability zero under both theories and says nothing
about them; it is left out and reported in :attr:`Calibration.excluded`. A case dated after
the scenario was not known on its date; it is left out too (:attr:`Calibration.later`). If
no case is left, or a weight would not be finite, calibration stops with an
:class:`~powderkeg.errors.InputError`.

Reference: R. E. Kass, A. E. Raftery (1995), "Bayes factors", JASA 90(430):773-795,
doi:10.1080/01621459.1995.10476572.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import logsumexp

from powderkeg.errors import InputError
from powderkeg.model.escalation import STEPS, utilities
from powderkeg.model.random import Streams

__all__ = ["Calibration", "WEIGHTS", "DRAWS", "SEED", "log_choice_probabilities",
           "case_log_likelihoods", "log_marginal_likelihood", "log_bayes_factor",
           "log_marginal_covariance", "posterior_weights", "posterior_standard_errors",
           "leave_one_out", "possible_responses", "calibrate", "calibrate_scenario",
           "prior_draws", "theory_weights"]

WEIGHTS = ("hardliner", "threat", "trend", "resolve", "red_line", "cost", "inertia", "offramp")
DRAWS = 1 << 15
"""Prior draws per theory for the Monte Carlo marginal likelihood (fixed, so results are
reproducible; ``powderkeg calibrate --draws`` changes it to check the Monte Carlo error)."""
SEED = 0
"""Seed of the calibration's streams (``calibration/<path>``), independent of any run's seed."""


@dataclass(frozen=True)
class Calibration:
    """The result of weighing a scenario's theories on a case base.

    Arrays over theories are ordered as :attr:`theory_ids` (the scenario's order); arrays
    over cases as :attr:`case_ids` (the cases scored, in file order). The log Bayes factor is
    the first theory's over the second's (0 with a single theory).
    """

    theory_ids: tuple[str, ...]
    case_ids: tuple[str, ...]
    excluded: tuple[str, ...]  # cases left out: their response is impossible at the rung
    probabilities: np.ndarray  # (n_cases, T) prior-predictive probability of each response
    log_marginal: np.ndarray  # (T,) log marginal likelihood log p(D | H)
    log_marginal_se: np.ndarray  # (T,) its Monte Carlo standard error
    log_bayes_factor: float  # the first theory over the second
    log_bayes_factor_se: float
    prior: np.ndarray  # (T,)
    posterior: np.ndarray  # (T,)
    posterior_se: np.ndarray  # (T,) Monte Carlo standard error of each posterior weight
    loo_log_bayes_factor: np.ndarray  # (n_cases,) log Bayes factor without each case
    loo_se: np.ndarray  # (n_cases,)
    loo_log_marginal: np.ndarray  # (n_cases, T) log marginals without each case
    draws: int
    seed: int
    later: tuple[str, ...] = ()  # cases left out: dated after the scenario (not yet known)

    @property
    def loo_flips(self) -> np.ndarray:
        """True for each case whose removal changes the theory the cases favour most (the
        largest marginal likelihood; with two theories, the sign of the log Bayes factor)."""
        return np.argmax(self.loo_log_marginal, axis=1) != np.argmax(self.log_marginal)


def log_choice_probabilities(u: np.ndarray, precision) -> np.ndarray:
    """Log of the logit choice probabilities, row-wise; impossible moves get ``-inf``.

    Parameters
    ----------
    u : ndarray, shape (R, 3)
        Utilities of stepping down, holding and up; ``-inf`` marks a move off the ladder.
    precision : float or ndarray, shape (R,)
        Logit precision ``lambda``.

    Returns
    -------
    ndarray, shape (R, 3)
        ``log P(Delta) = lambda U(Delta) - log sum_{Delta' possible} exp(lambda U(Delta'))``,
        computed with log-sum-exp so no probability underflows to zero (McKelvey & Palfrey
        1995, doi:10.1006/game.1995.1023).

    Examples
    --------
    >>> np.exp(log_choice_probabilities(np.array([[-np.inf, 0.0, 0.0]]), 1.0)).round(2)
    array([[0. , 0.5, 0.5]])
    """
    finite = np.isfinite(u)
    z = np.asarray(precision, dtype=float).reshape(-1, 1) * np.where(finite, u, 0.0)
    z = np.where(finite, z, -np.inf)
    return z - logsumexp(z, axis=1, keepdims=True)


def possible_responses(cases, start_rung: int, n_rungs: int) -> np.ndarray:
    """True for each case whose observed response is a move on the ladder from ``start_rung``.

    Stepping down from the bottom rung or up from the top one is impossible (probability 0
    under every theory), so such a case cannot tell the theories apart.
    """
    from powderkeg.scenario.cases import RESPONSE_STEP

    target = start_rung + np.array([RESPONSE_STEP[c.response] for c in cases], dtype=int)
    return (target >= 0) & (target < n_rungs)


def case_log_likelihoods(weights: dict, precision, rung_costs, start_rung: int,
                         cases) -> np.ndarray:
    """Log probability of each case's observed response at each prior draw.

    Parameters
    ----------
    weights : mapping of str to float or ndarray, shape (N,)
        The theory's weights (:data:`WEIGHTS`), one value per draw (or one for all).
    precision : float or ndarray, shape (N,)
    rung_costs : array_like, shape (n_rungs,) or (N, n_rungs)
    start_rung : int
        Index of the rung the choice is made from.
    cases : sequence of Case

    Returns
    -------
    ndarray, shape (N, n_cases)
        ``log p(y_i | theta_j, lambda_j)`` with ``U`` from
        :func:`~powderkeg.model.escalation.utilities` at ``H = 1/2``, ``B = 0`` and the case's
        ``T``, ``R``, ``C``, ``O``.
    """
    from powderkeg.scenario.cases import RESPONSE_STEP

    cost = np.atleast_2d(np.asarray(rung_costs, dtype=float))
    n = max(cost.shape[0], np.size(precision),
            *(np.size(weights[k]) for k in WEIGHTS))
    cost = np.broadcast_to(cost, (n, cost.shape[1]))
    w = {k: np.broadcast_to(np.asarray(weights[k], dtype=float), (n,)) for k in WEIGHTS}
    lam = np.broadcast_to(np.asarray(precision, dtype=float), (n,))
    rung = np.full(n, start_rung)
    out = np.empty((n, len(cases)))
    for i, c in enumerate(cases):  # a few cases; each is one array expression over draws
        features = {"H": 0.5, "B": 0.0, "T": c.regime_threat, "R": c.opponent_strength,
                    "C": float(c.red_line_crossed), "O": float(c.offramp)}
        logp = log_choice_probabilities(utilities(rung, cost, w, features), lam)
        out[:, i] = logp[:, int(np.flatnonzero(STEPS == RESPONSE_STEP[c.response])[0])]
    return out


def log_marginal_likelihood(loglik: np.ndarray) -> tuple[float, float]:
    """Monte Carlo estimate of ``log p(D | H)`` from per-draw log likelihoods, and its error.

    Parameters
    ----------
    loglik : ndarray, shape (N,)
        ``l_j = sum_i log p(y_i | theta_j)`` at prior draws ``theta_j``.

    Returns
    -------
    estimate : float
        ``log p_hat = log((1/N) sum_j exp(l_j)) = logsumexp(l) - log N`` (log-mean-exp).
    se : float
        Delta-method standard error ``sd_j(exp(l_j - log p_hat)) / sqrt(N)``; 0 for a point
        prior (Kass & Raftery 1995, sec. 4.3).

    Examples
    --------
    >>> est, se = log_marginal_likelihood(np.log(np.array([0.1, 0.3])))
    >>> round(float(np.exp(est)), 6), round(se, 4)
    (0.2, 0.5)
    """
    n = loglik.shape[0]
    est = float(logsumexp(loglik) - np.log(n))
    ratio = np.exp(loglik - est)
    return est, float(np.std(ratio, ddof=1) / np.sqrt(n)) if n > 1 else 0.0


def log_bayes_factor(loglik_a: np.ndarray, loglik_b: np.ndarray) -> tuple[float, float]:
    """``log B_ab = log p_hat(D | a) - log p_hat(D | b)`` and its Monte Carlo standard error.

    Draw ``j`` of both theories shares the numbers the theories share (the precision, the
    rung costs), so the two estimates are correlated; the delta method on the pair of means
    gives ``se = sd_j(r_aj - r_bj) / sqrt(N)`` with ``r_j = exp(l_j - log p_hat)``.
    """
    a, se_a = log_marginal_likelihood(loglik_a)
    b, se_b = log_marginal_likelihood(loglik_b)
    n = loglik_a.shape[0]
    if n < 2:
        return a - b, 0.0
    diff = np.exp(loglik_a - a) - np.exp(loglik_b - b)
    return a - b, float(np.std(diff, ddof=1) / np.sqrt(n))


def posterior_weights(prior, log_marginal) -> np.ndarray:
    """Posterior probability of each theory: ``prior_k p(D | H_k)`` normalised (Bayes' rule)."""
    prior = np.asarray(prior, dtype=float)
    with np.errstate(divide="ignore"):
        logpost = np.log(prior / prior.sum()) + np.asarray(log_marginal, dtype=float)
    post = np.exp(logpost - np.max(logpost))
    return post / post.sum()


def log_marginal_covariance(totals: np.ndarray) -> np.ndarray:
    """Monte Carlo covariance of the log marginal estimates of several theories.

    Parameters
    ----------
    totals : ndarray, shape (T, N)
        ``l_kj``, the log likelihood of the cases under theory ``k`` at prior draw ``j``; the
        theories share draw ``j`` of the numbers they share.

    Returns
    -------
    ndarray, shape (T, T)
        ``cov_j(r_kj, r_mj) / N`` with ``r_kj = exp(l_kj - log p_hat_k)`` (the delta method;
        its diagonal is the square of :func:`log_marginal_likelihood`'s error). Zero for one draw.
    """
    n = totals.shape[1]
    if n < 2:
        return np.zeros((len(totals), len(totals)))
    est = np.array([log_marginal_likelihood(t)[0] for t in totals])
    return np.atleast_2d(np.cov(np.exp(totals - est[:, None]), ddof=1)) / n


def posterior_standard_errors(posterior: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Monte Carlo error of each posterior weight, shape ``(T,)``: ``sqrt(g_k' S g_k)`` with
    ``g_km = p_k (delta_km - p_m)`` the gradient of ``p_k`` in the log marginals and ``S``
    their covariance (:func:`log_marginal_covariance`). With two theories it is
    ``p_0 p_1 se(log B_01)`` for both."""
    grad = posterior[:, None] * (np.eye(len(posterior)) - posterior[None, :])
    return np.sqrt(np.maximum(np.einsum("km,mn,kn->k", grad, covariance, grad), 0.0))


def leave_one_out(case_logliks: list[np.ndarray]):
    """Log marginals, and the log Bayes factor of the first theory over the second with its
    error, with each case dropped, on the same prior draws.

    Parameters
    ----------
    case_logliks : list of ndarray, shape (N, n_cases)
        Per-draw, per-case log likelihoods of each theory.

    Returns
    -------
    log_marginal : ndarray, shape (n_cases, T)
        ``log p_hat^(-i)(D | H_k)`` from the totals ``l_j - log p(y_i | theta_j)``.
    log_bf, se : ndarray, shape (n_cases,)
        ``log B_01^(-i)`` and its error (0 with a single theory).
    """
    totals = [x.sum(axis=1) for x in case_logliks]
    n_cases = case_logliks[0].shape[1]
    marg = np.array([[log_marginal_likelihood(t - x[:, i])[0]
                      for t, x in zip(totals, case_logliks, strict=True)]
                     for i in range(n_cases)]).reshape(n_cases, len(totals))
    if len(totals) < 2:
        return marg, np.zeros(n_cases), np.zeros(n_cases)
    (a, xa), (b, xb) = list(zip(totals, case_logliks, strict=True))[:2]
    rows = [log_bayes_factor(a - xa[:, i], b - xb[:, i]) for i in range(n_cases)]
    return marg, np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


def calibrate(theory_weights: dict[str, dict], precision, rung_costs, start_rung: int,
              cases, prior=None, *, draws: int | None = None,
              seed: int = SEED) -> Calibration:
    """Marginal likelihood of the observed responses under each theory, Bayes factor, posterior.

    ``theory_weights[t]`` maps each of :data:`WEIGHTS` to a value or to prior draws of shape
    ``(N,)``, for one or more theories ``t`` (in the order of the mapping); ``precision`` and
    ``rung_costs`` likewise (``(N,)``, ``(N, n_rungs)``). With plain numbers the prior is a
    point and the result is the exact likelihood. ``prior`` defaults to equal weights.
    """
    theories = tuple(theory_weights)
    prior = np.ones(len(theories)) if prior is None else np.asarray(prior, dtype=float)
    cases = tuple(cases)
    n_rungs = np.shape(rung_costs)[-1]
    ok = possible_responses(cases, start_rung, n_rungs) if cases else np.zeros(0, bool)
    kept = tuple(c for c, k in zip(cases, ok, strict=True) if k)
    if not kept:
        raise InputError(
            f"Cannot calibrate the escalation theories: of {len(cases)} cases dated before "
            f"the scenario, none has an observed response possible from rung {start_rung} of "
            f"a ladder of {n_rungs} rungs (stepping down from the bottom rung or up from the "
            "top one has probability 0 under every theory). Start the ladder on a rung with "
            "moves both ways (politics.escalation.start_rung), or use a case file "
            "(politics.case_base, --cases) with other responses or earlier cases.")
    ll = [case_log_likelihoods(theory_weights[t], precision, rung_costs, start_rung, kept)
          for t in theories]
    n = max(x.shape[0] for x in ll)
    ll = [np.broadcast_to(x, (n, len(kept))) for x in ll]
    totals = np.array([x.sum(axis=1) for x in ll])
    marg = [log_marginal_likelihood(t) for t in totals]
    lbf, lbf_se = log_bayes_factor(totals[0], totals[1]) if len(theories) > 1 else (0.0, 0.0)
    post = posterior_weights(prior, [m[0] for m in marg])
    loo_marg, loo, loo_se = leave_one_out(ll)
    if not (np.all(np.isfinite(post)) and np.isfinite(lbf) and np.all(np.isfinite(loo))
            and np.all(np.isfinite(loo_marg))):
        raise InputError(
            "Cannot calibrate the escalation theories: the likelihood of the case base is not "
            "finite for these weights (a weight, cost or precision too large for the logit "
            "choice). Give politics.escalation.theories, precision and rung costs values of "
            "ordinary size.")
    return Calibration(
        theory_ids=theories, case_ids=tuple(c.id for c in kept),
        excluded=tuple(c.id for c, k in zip(cases, ok, strict=True) if not k),
        probabilities=np.stack([np.exp(x).mean(axis=0) for x in ll], axis=1),
        log_marginal=np.array([m[0] for m in marg]),
        log_marginal_se=np.array([m[1] for m in marg]),
        log_bayes_factor=lbf, log_bayes_factor_se=lbf_se, prior=prior / np.sum(prior),
        posterior=post,
        posterior_se=posterior_standard_errors(post, log_marginal_covariance(totals)),
        loo_log_bayes_factor=loo, loo_se=loo_se, loo_log_marginal=loo_marg,
        draws=draws or n, seed=seed)


def prior_draws(s, draws: int = DRAWS, seed: int = SEED):
    """Prior draws of each theory's weights, the precision and the rung costs of scenario ``s``.

    Each number is drawn by inversion at uniforms of its own stream ``calibration/<path>``
    (draw ``j`` is counter ``j`` of that stream), so the draws depend only on ``(seed, j)``.

    Returns
    -------
    weights : dict of str to dict of str to ndarray, shape (draws,)
    precision : ndarray, shape (draws,)
    costs : ndarray, shape (draws, n_rungs)
    """
    esc = s.politics.escalation
    streams, index = Streams(seed), np.arange(draws)
    base = "politics.escalation"

    def draw(path, param):
        return param.ppf(streams.uniform(f"calibration/{path}", index, 0)[:, 0])

    weights = {t: {k: draw(f"{base}.theories.{t}.{k}", getattr(theory, k)) for k in WEIGHTS}
               for t, theory in esc.theories.items()}
    costs = np.stack([draw(f"{base}.rungs[{r.id}].cost", r.cost) for r in esc.rungs], axis=1)
    return weights, draw(f"{base}.precision", esc.precision), costs


def calibrate_scenario(s, cases=None, *, draws: int = DRAWS, seed: int = SEED) -> Calibration:
    """Calibrate a scenario's theories on its case base (``politics.case_base``, else the
    shipped one) or on ``cases``, using only the cases dated on or before its date."""
    from powderkeg.scenario.cases import cases_known_on, scenario_case_base

    esc = s.politics.escalation
    base = scenario_case_base(s)
    if cases is not None:
        base = base.model_copy(update={"file": "given (--cases)", "cases": list(cases)})
    where = f"Scenario '{s.id}' (dated {s.date})"
    if not base.cases:
        raise InputError(f"{where}: the case list {base.file} is empty, so there is nothing to "
                         "calibrate on. Give a case file with at least one case.")
    known = cases_known_on(base, s.date, where)
    later = tuple(c.id for c in base.cases if c.date > s.date)
    weights, precision, costs = prior_draws(s, draws, seed)
    start = [r.id for r in esc.rungs].index(esc.start_rung)
    prior = np.ones(len(esc.theories)) if esc.theory_weights == "calibrated" else np.array(
        [_median_weight(esc.theory_weights, t) for t in esc.theories])
    try:
        c = calibrate(weights, precision, costs, start, known, prior, draws=draws, seed=seed)
    except InputError as e:
        raise InputError(f"{where}, start rung '{esc.start_rung}': {e}") from None
    return replace(c, later=later)


def _median_weight(weights: dict, theory: str) -> float:
    """The prior weight of ``theory`` as written (its median); 0 if it is left out."""
    return float(weights[theory].ppf(0.5)) if weights.get(theory) is not None else 0.0


def theory_weights(s) -> tuple[float, ...]:
    """The probability of each theory a run draws from: as written, or calibrated."""
    esc = s.politics.escalation
    if esc.theory_weights == "calibrated":
        return tuple(float(x) for x in calibrate_scenario(s).posterior)
    return tuple(_median_weight(esc.theory_weights, t) for t in esc.theories)
