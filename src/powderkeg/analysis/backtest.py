"""Scoring a run's forecasts against what happened: Brier and log scores, ledger, reliability.

A question asks whether an outcome happened on or before a deadline. The model's forecast is
the cumulative probability of that outcome on the deadline's day (``day = deadline -
scenario date``): the share of runs whose first day of the outcome is on or before it. Each
question is scored with the Brier score ``(p - y)^2`` (Brier 1950) and the log score
``-ln(p)`` if it happened, ``-ln(1 - p)`` if not, with ``p`` clipped to ``[eps, 1 - eps]``
(:data:`LOG_FLOOR`), so that a forecast of 0 from a finite number of runs costs
``-ln(eps)`` instead of infinity. Both are proper scoring rules; lower is better; a forecaster
who says 50% to everything scores 0.25 and ln 2 = 0.693 (Gneiting & Raftery 2007).

Intervals. The model's probability is a share of ``n`` runs: its Monte Carlo error has the
Wilson interval (Brown, Cai & DasGupta 2001), and each question's scores the interval that it
maps to (a score is monotone in ``p`` for a fixed answer). The mean scores have two
percentile-bootstrap intervals (Efron & Tibshirani 1993): over runs (resampling the runs
redraws every question's probability together: the Monte Carlo error of the mean) and over
questions (resampling the questions: how much the mean owes to which questions were asked).
The crowd is compared with the model on the questions that have a crowd forecast only, and
their difference has a paired bootstrap interval over those questions.

References
----------
G. W. Brier (1950), Monthly Weather Review 78(1):1-3,
doi:10.1175/1520-0493(1950)078<0001:VOFEIT>2.0.CO;2.
T. Gneiting, A. E. Raftery (2007), JASA 102(477):359-378, doi:10.1198/016214506000001437.
B. Efron, R. J. Tibshirani (1993), An Introduction to the Bootstrap, Chapman & Hall.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import xarray as xr

from powderkeg.analysis.intervals import wilson_interval

__all__ = ["LOG_FLOOR", "BOOTSTRAP", "brier_score", "log_score", "deadline_hits", "ledger",
           "mean_scores", "reliability_bins", "backtest"]

#: Probabilities are clipped to [LOG_FLOOR, 1 - LOG_FLOOR] in the log score: no forecast
#: counts as surer than 999 to 1, so a miss costs at most -ln(0.001) = 6.9.
LOG_FLOOR = 1e-3
#: Bootstrap replicates of the mean scores' intervals.
BOOTSTRAP = 2000
_BLOCK = 50  # replicates of the runs bootstrap drawn at once, to bound memory


def brier_score(p, y) -> np.ndarray:
    """Brier score ``(p - y)^2`` of forecasts ``p`` of events ``y`` (0 or 1), elementwise.

    >>> brier_score([1.0, 0.5, 0.2], [1, 0, 0]).tolist()
    [0.0, 0.25, 0.04000000000000001]
    """
    return (np.asarray(p, float) - np.asarray(y, float)) ** 2


def log_score(p, y, eps: float = LOG_FLOOR) -> np.ndarray:
    """Log score ``-ln(p)`` when ``y = 1`` and ``-ln(1 - p)`` when ``y = 0``, ``p`` in [eps, 1-eps].

    >>> [round(float(v), 4) for v in log_score([0.5, 0.0, 0.9], [1, 1, 0])]
    [0.6931, 6.9078, 2.3026]
    """
    p = np.clip(np.asarray(p, float), eps, 1 - eps)
    y = np.asarray(y, float)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def deadline_hits(ds: xr.Dataset, outcomes: list[str], days: list[int]) -> np.ndarray:
    """``(runs, questions)``: whether each run's outcome happened on or before each day."""
    ids = [str(o) for o in ds.outcome.values]
    event = ds.event_day.values[:, [ids.index(o) for o in outcomes]].astype(float)
    return ~np.isnan(event) & (event <= np.asarray(days, float))


def _interval_of_score(score, low, high, y) -> list[float]:
    a, b = float(score(low, y)), float(score(high, y))
    return [min(a, b), max(a, b)]


def ledger(ds: xr.Dataset, questions, date: dt.date) -> list[dict]:
    """One row per question: the model's probability by the deadline, what happened, scores.

    ``questions`` is a :class:`powderkeg.scenario.questions.QuestionSet`; ``date`` is the
    scenario's day 0.
    """
    qs = questions.questions
    days = [(q.deadline - date).days for q in qs]
    hits = deadline_hits(ds, [q.outcome for q in qs], days)
    runs = hits.shape[0]
    rows = []
    for j, (q, day) in enumerate(zip(qs, days, strict=True)):
        x, y = int(hits[:, j].sum()), int(q.resolution)
        p = x / runs
        low, high = (float(v) for v in wilson_interval(x, runs))
        row = {"id": q.id, "outcome": q.outcome, "deadline": q.deadline.isoformat(), "day": day,
               "runs": runs, "runs_with_outcome": x, "probability": p, "ci95": [low, high],
               "resolution": bool(q.resolution), "resolved_on": q.resolved_on.isoformat(),
               "brier": float(brier_score(p, y)),
               "brier_ci95": _interval_of_score(brier_score, low, high, y),
               "log": float(log_score(p, y)),
               "log_ci95": _interval_of_score(log_score, low, high, y),
               "crowd": None, "text": q.text, "source": q.source.url, "note": q.note}
        if q.crowd is not None:
            c = q.crowd.probability
            row["crowd"] = {"probability": c, "date": q.crowd.date.isoformat(),
                            "source": q.crowd.source.url, "brier": float(brier_score(c, y)),
                            "log": float(log_score(c, y))}
        if "theory" in ds:
            theory = ds.theory.values
            row["by_theory"] = {str(t): float(hits[theory == t, j].mean())
                                for t in np.unique(theory)}
        rows.append(row)
    return rows


def _percentile(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.percentile(values, [2.5, 97.5])]


def _runs_bootstrap(hits: np.ndarray, y: np.ndarray, rng, replicates: int) -> np.ndarray:
    """``(replicates, 2)`` mean Brier and log scores with the runs resampled."""
    runs = hits.shape[0]
    out = np.empty((replicates, 2))
    for start in range(0, replicates, _BLOCK):
        n = min(_BLOCK, replicates - start)
        idx = rng.integers(0, runs, size=(n, runs))
        p = hits[idx].mean(axis=1)  # (n, questions)
        out[start:start + n] = np.c_[brier_score(p, y).mean(1), log_score(p, y).mean(1)]
    return out


def _questions_bootstrap(scores: np.ndarray, rng, replicates: int) -> np.ndarray:
    """``(replicates, ...)`` means of ``scores`` (questions first) with the questions resampled."""
    idx = rng.integers(0, scores.shape[0], size=(replicates, scores.shape[0]))
    return scores[idx].mean(axis=1)


def _summary(p: np.ndarray, y: np.ndarray, rng, replicates: int) -> dict:
    s = np.c_[brier_score(p, y), log_score(p, y)]
    boot = _questions_bootstrap(s, rng, replicates)
    return {"brier": float(s[:, 0].mean()), "log": float(s[:, 1].mean()),
            "brier_ci95_questions": _percentile(boot[:, 0]),
            "log_ci95_questions": _percentile(boot[:, 1])}


def mean_scores(hits: np.ndarray, y: np.ndarray, crowd: np.ndarray, seed: int = 0,
                replicates: int = BOOTSTRAP) -> dict:
    """Mean Brier and log scores of the model and of the crowd, with bootstrap intervals.

    Parameters
    ----------
    hits : (runs, questions) bool
        Whether each run's outcome happened by each question's deadline.
    y : (questions,) int
        What happened: 1 or 0.
    crowd : (questions,) float
        The crowd's probability, NaN where a question has none.
    seed : int
        Seed of the bootstrap's generator.

    Returns
    -------
    dict
        ``all`` (``questions``, ``model`` with ``brier``, ``log``, their ``*_ci95_runs`` and
        ``*_ci95_questions``) and ``with_crowd`` (``questions``, ``model`` and ``crowd`` on
        that subset, ``difference`` model minus crowd with paired intervals), ``None`` when
        no question has a crowd forecast.
    """
    rng = np.random.default_rng(seed)
    p = hits.mean(axis=0)
    model = _summary(p, y, rng, replicates)
    runs_boot = _runs_bootstrap(hits, y, rng, replicates)
    model["brier_ci95_runs"] = _percentile(runs_boot[:, 0])
    model["log_ci95_runs"] = _percentile(runs_boot[:, 1])
    doc = {"all": {"questions": int(len(y)), "model": model}, "with_crowd": None}
    has = ~np.isnan(crowd)
    if has.any():
        pm, pc, ys = p[has], crowd[has], y[has]
        diff = np.c_[brier_score(pm, ys) - brier_score(pc, ys),
                     log_score(pm, ys) - log_score(pc, ys)]
        boot = _questions_bootstrap(diff, rng, replicates)
        doc["with_crowd"] = {
            "questions": int(has.sum()), "model": _summary(pm, ys, rng, replicates),
            "crowd": _summary(pc, ys, rng, replicates),
            "difference": {"brier": float(diff[:, 0].mean()), "log": float(diff[:, 1].mean()),
                           "brier_ci95": _percentile(boot[:, 0]),
                           "log_ci95": _percentile(boot[:, 1])}}
    return doc


def reliability_bins(p, y, bins: int = 5) -> list[dict]:
    """Forecasts grouped in ``bins`` equal bins of probability: mean forecast vs frequency.

    The observed frequency of each non-empty bin has a Wilson interval over its questions.

    >>> [b["frequency"] for b in reliability_bins([0.1, 0.15, 0.9], [0, 1, 1], bins=2)]
    [0.5, 1.0]
    """
    p, y = np.asarray(p, float), np.asarray(y, int)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mine = which == b
        n, x = int(mine.sum()), int(y[mine].sum())
        if not n:
            continue
        low, high = (float(v) for v in wilson_interval(x, n))
        out.append({"low": float(edges[b]), "high": float(edges[b + 1]), "questions": n,
                    "forecast": float(p[mine].mean()), "frequency": x / n,
                    "ci95": [low, high]})
    return out


def backtest(ds: xr.Dataset, questions, date: dt.date, seed: int = 0,
             replicates: int = BOOTSTRAP) -> dict:
    """Score results ``ds`` on ``questions``: the ledger, mean scores and reliability bins.

    ``date`` is the scenario's day 0; the questions must already fit the results (see
    :func:`powderkeg.scenario.questions.check_against`).
    """
    rows = ledger(ds, questions, date)
    qs = questions.questions
    hits = deadline_hits(ds, [q.outcome for q in qs], [r["day"] for r in rows])
    y = np.array([int(q.resolution) for q in qs])
    crowd = np.array([q.crowd.probability if q.crowd else np.nan for q in qs])
    doc = {"scenario": str(ds.attrs.get("scenario", questions.scenario)),
           "runs": int(hits.shape[0]), "seed": int(ds.attrs.get("seed", 0)),
           "days": int(ds.attrs.get("days", ds.day.values[-1])), "log_floor": LOG_FLOOR,
           "bootstrap_replicates": replicates, "ledger": rows,
           "scores": mean_scores(hits, y, crowd, seed, replicates),
           "uninformed": {"brier": 0.25, "log": float(np.log(2))},
           "reliability": {"model": reliability_bins(hits.mean(axis=0), y)}}
    if not np.isnan(crowd).all():
        has = ~np.isnan(crowd)
        doc["reliability"]["crowd"] = reliability_bins(crowd[has], y[has])
    if "theory" in ds:
        theory = ds.theory.values
        doc["scores"]["by_theory"] = {
            str(t): {"runs": int((theory == t).sum()),
                     "brier": float(brier_score(hits[theory == t].mean(0), y).mean()),
                     "log": float(log_score(hits[theory == t].mean(0), y).mean())}
            for t in np.unique(theory)}
    return doc
