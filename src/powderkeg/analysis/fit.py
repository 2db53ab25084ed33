"""``powderkeg fit``: history matching of the structural parameters, then a posterior sample.

Three steps, each a plain function of the one before:

1. :func:`history_match`: waves of designed runs. Wave 1 is a Latin hypercube over the fitted
   parameters' prior quantiles; every point runs ``r`` replicates through the engine's
   designed-parameter path (``simulate(..., param_uniforms=...)``); each observation is read
   off the runs (:mod:`powderkeg.analysis.observe`) and points whose implausibility exceeds 3
   are ruled out (:mod:`powderkeg.analysis.history_matching`); the next wave samples around
   the points that remain, each by its current importance weight.
2. :func:`posterior`: importance weights over every point of every wave, within the space
   not ruled out, and a resampled, equally weighted posterior sample.
   With ``case_base`` the likelihood also counts the escalation case base
   (:mod:`powderkeg.analysis.case_evidence`).
3. :func:`predictive`: runs that draw the fitted parameters from that sample by the seed
   rule (exactly the runs ``powderkeg run --posterior`` makes), and how well they reproduce
   each observation, including any held out of the fit (its coverage).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from powderkeg.analysis import history_matching as hm
from powderkeg.analysis.observe import Target, simulated_all, targets
from powderkeg.errors import InputError, ResultWarning
from powderkeg.model.posterior import PosteriorDraws, posterior_uniforms
from powderkeg.model.random import Streams
from powderkeg.scenario.observations import Observations
from powderkeg.scenario.schema import Scenario

__all__ = ["FitSettings", "Wave", "Fit", "STRUCTURAL", "is_structural", "fit_parameters",
           "history_match", "posterior", "predictive", "fit", "observation_implausibility",
           "hardest_observations", "NOMINAL", "LEARNT_SHRINK", "LEARNT_SHIFT", "LEARNT_MIN_ESS"]

#: Path prefixes of the structural parameters: combat and the advance law, logistics (damage,
#: repair), the withdrawal rule, fires and deep strikes, the politics (personnel, escalation).
STRUCTURAL = ("model.combat.", "model.logistics.", "model.withdrawal.", "fires[",
              "deep_strikes[", "politics.")
#: Coverage the predictive intervals aim at (90% intervals).
NOMINAL = 0.90
#: A parameter is *learnt* when its posterior 90% interval, in prior quantiles, is at least
#: this much narrower than the prior's (0.05 to 0.95) ...
LEARNT_SHRINK = 0.25
#: ... or its posterior median moved at least this far from the prior median (0.5); and only
#: with an effective sample of at least this many points (else ``learnt`` is None: unknown).
LEARNT_SHIFT = 0.2
LEARNT_MIN_ESS = 30


@dataclass(frozen=True)
class FitSettings:
    waves: int = 3
    points: int = 128  # design points per wave
    runs_per_point: int = 8
    discrepancy: float = 0.5  # model discrepancy sd as a multiple of the observation's sd
    posterior_size: int = 1000
    predictive_runs: int = 400
    seed: int = 0
    holdout_after: dt.date | None = None
    case_base: bool = False  # also weigh points by the escalation case base's likelihood


@dataclass(frozen=True)
class Wave:
    index: int  # 1, 2, ...
    u: np.ndarray  # (n, D) design points in prior quantiles
    log_q: np.ndarray  # (n,) log density of this wave's proposal at its points
    mean: np.ndarray  # (n, K) replicate mean (binary: probability)
    implausibility: np.ndarray  # (n, K)
    ranked: np.ndarray  # (n,) largest (or second-largest) implausibility
    log_lik: np.ndarray  # (n,)
    kernel: hm.Kernel | None  # the proposal it was drawn from; None for the first wave
    runs: int  # runs simulated

    @property
    def nroy(self) -> np.ndarray:
        return self.ranked <= hm.CUTOFF


@dataclass
class Fit:
    scenario: Scenario
    paths: list[str]
    fitted: list[Target]  # the observations fitted
    everything: list[Target]  # all observations, held out or not
    settings: FitSettings
    days: int
    observations_file: Observations
    waves: list[Wave] = field(default_factory=list)
    weights: np.ndarray | None = None  # over every point of every wave, in order
    ess: float = 0.0
    nroy_empty: bool = False
    sample_u: np.ndarray | None = None  # (M, D) the posterior sample
    sample_values: np.ndarray | None = None
    observations: list[dict] = field(default_factory=list)
    prior_sims: np.ndarray | None = None  # (runs, K) wave 1's runs (prior predictive)

    @property
    def points(self) -> np.ndarray:
        return np.concatenate([w.u for w in self.waves])


def is_structural(path: str) -> bool:
    """A structural parameter (see :data:`STRUCTURAL`), or a link's own repair time; not a
    count of launchers (state) or a theory weight.

    >>> is_structural("model.combat.advance_km_per_day"), is_structural("fires[h].launchers")
    (True, False)
    """
    if path.startswith("links[") and path.endswith(".repair_days"):
        return True
    return path.startswith(STRUCTURAL) and not path.endswith(".launchers")


def fit_parameters(scenario: Scenario, params: Sequence[str] | None = None) -> list[str]:
    """The uncertain structural parameters to fit, optionally those containing a substring."""
    from powderkeg.model.build import build_model

    model = build_model(scenario)
    paths = [p for p, v in zip(model.world_paths, model.world_params, strict=True)
             if v.is_random and is_structural(p)]
    if params:
        paths = [p for p in paths if any(s in p for s in params)]
    if not paths:
        which = f" matching {', '.join(map(repr, params))}" if params else ""
        raise InputError(f"Scenario '{scenario.id}' has no uncertain structural parameters"
                         f"{which} to fit. Give distributions to some of model.*, fires[*], "
                         "politics.* (see `powderkeg show --assumptions`), or check --param.")
    return paths


def _simulate_points(job: Fit, u: np.ndarray, first_run: int, engine: dict, progress):
    """``(n, r, K)`` values of the fitted observations at the points ``u``."""
    from powderkeg.engine.simulate import simulate
    from powderkeg.engine.worker import model_for

    r = job.settings.runs_per_point
    uniforms = {p: np.repeat(u[:, j], r) for j, p in enumerate(job.paths)}
    ds = simulate(job.scenario, len(u) * r, job.days, job.settings.seed, every=1,
                  run_offset=first_run, param_uniforms=uniforms, progress=progress, **engine)
    sims = _values(job, model_for(job.scenario), ds, job.fitted)
    return sims.reshape(len(u), r, -1), sims


def _values(job, model, ds, which: list[Target]) -> np.ndarray:
    obs = job.observations_file.model_copy(update={"observations": [
        o for o in job.observations_file.observations if o.id in {t.id for t in which}]})
    return simulated_all(model, ds, obs)


def _arrays(ts: list[Target]):
    return (np.array([t.z for t in ts]), np.array([t.var_obs for t in ts]),
            np.array([t.binary for t in ts]), np.array([t.confidence for t in ts]))


def _wave(job: Fit, index: int, u, log_q, kernel, first_run, engine, progress) -> Wave:
    if progress is not None:
        n, r = len(u), job.settings.runs_per_point
        progress.phase(f"wave {index}/{job.settings.waves}: {n} points x {r} runs x "
                       f"{job.days} days", n * r * job.days)
    sims, flat = _simulate_points(job, u, first_run, engine, progress)
    if index == 1:
        job.prior_sims = flat
    z, var_obs, binary, conf = _arrays(job.fitted)
    mean, var_ens = hm.ensemble(sims, binary)
    imp = hm.implausibility(z, var_obs, mean, var_ens, job.settings.discrepancy)
    lik = hm.log_likelihood(z, var_obs, mean, var_ens, binary, conf, job.settings.discrepancy)
    if job.settings.case_base:
        from powderkeg.analysis.case_evidence import case_base_log_likelihood

        lik = lik + case_base_log_likelihood(job.scenario, job.paths, _values_at(job, u))
    return Wave(index, u, log_q, mean, imp, hm.ranked_implausibility(imp), lik, kernel,
                sims.shape[0] * sims.shape[1])


def history_match(job: Fit, engine: dict, progress=None) -> Fit:
    """Run the waves (see the module); stops early when no point remains."""
    st = job.settings
    u, kernel, first_run = hm.first_design(st.points, len(job.paths), st.seed), None, 0
    for index in range(1, st.waves + 1):
        log_q = hm.log_proposal(kernel, u)
        wave = _wave(job, index, u, log_q, kernel, first_run, engine, progress)
        job.waves.append(wave)
        first_run += wave.runs
        if not wave.nroy.any():
            job.nroy_empty = True
            worst = job.fitted[int(np.argmax(np.median(wave.implausibility, axis=0)))].id
            warnings.warn(
                f"Every point of wave {index} is implausible (the smallest implausibility is "
                f"{wave.ranked.min():.1f} > {hm.CUTOFF:g}; the observation hardest to match "
                f"is {worst}): the model cannot reproduce the observations within their "
                "uncertainty and the discrepancy allowed. The posterior below weights every "
                "point by its likelihood, without ruling any out; read it as a diagnosis, not "
                "a fit.", ResultWarning, stacklevel=2)
            break
        if index < st.waves:
            w = _weights(job)
            kernel = hm.kernel_around(job.points[w > 0], w[w > 0])
            u = hm.kernel_design(kernel, st.points, st.seed, index + 1)
    return job


def _values_at(job: Fit, u: np.ndarray) -> np.ndarray:
    """The fitted parameters' values at prior quantiles ``u`` (n, D)."""
    from powderkeg.engine.worker import model_for

    model = model_for(job.scenario)
    params = [model.world_params[model.world_paths.index(p)] for p in job.paths]
    return np.stack([p.ppf(u[:, j]) for j, p in enumerate(params)], axis=1)


def _weights(job: Fit) -> np.ndarray:
    """Importance weights of every point of the waves so far (see the module)."""
    u = job.points
    counts = np.array([len(w.u) for w in job.waves], dtype=float)
    log_q = np.stack([hm.log_proposal(w.kernel, u) for w in job.waves], axis=1)
    log_mix = np.logaddexp.reduce(log_q + np.log(counts / counts.sum()), axis=1)
    lik = np.concatenate([w.log_lik for w in job.waves])
    keep = (np.ones(len(u), dtype=bool) if job.nroy_empty
            else np.concatenate([w.nroy for w in job.waves]))
    return hm.importance_weights(lik, log_mix, keep)


def posterior(job: Fit) -> Fit:
    """Importance weights over every point of every wave and the resampled posterior sample."""

    job.weights = _weights(job)
    job.ess = hm.effective_sample_size(job.weights)
    rows = hm.systematic_resample(job.weights, job.settings.posterior_size, job.settings.seed)
    job.sample_u = job.points[rows]
    job.sample_values = _values_at(job, job.sample_u)
    if job.ess < LEARNT_MIN_ESS:
        warnings.warn(f"The posterior rests on an effective sample of {job.ess:.0f} points, so "
                      "its quantiles are rough. Run more waves or points (--waves, --points).",
                      ResultWarning, stacklevel=2)
    return job


def _predictive_row(t: Target, sims: np.ndarray, noise: np.ndarray, disc: float) -> dict:
    """How the runs ``sims`` (R,) predict observation ``t``: interval, covered or not."""
    if t.binary:
        p = float(sims.mean())
        says = t.confidence * p + (1 - t.confidence) * (1 - p)  # P(the record says true)
        p_z = says if t.z > 0.5 else 1 - says
        return {"predicted": p, "probability_of_observed": p_z,
                "covered": bool(p_z >= (1 - NOMINAL) / 2)}
    y = sims + np.sqrt(t.var_obs * (1 + disc ** 2)) * noise[: len(sims)]
    lo, mid, hi = np.quantile(y, [(1 - NOMINAL) / 2, 0.5, (1 + NOMINAL) / 2])
    return {"predicted": float(mid), "ci90": [float(lo), float(hi)],
            "covered": bool(lo <= t.z <= hi)}


def predictive(job: Fit, engine: dict, progress=None) -> Fit:
    """Posterior predictive runs ``0 .. predictive_runs - 1`` and each observation's fit."""
    from powderkeg.engine.simulate import simulate
    from powderkeg.engine.worker import model_for

    st = job.settings
    days = max(1, max(t.day for t in job.everything))
    runs = np.arange(st.predictive_runs)
    draws = PosteriorDraws(tuple(job.paths), job.sample_u)
    uniforms = posterior_uniforms(draws, Streams(st.seed), runs, None)
    if progress is not None:
        progress.phase(f"posterior predictive: {len(runs)} runs x {days} days",
                       len(runs) * days)
    ds = simulate(job.scenario, len(runs), days, st.seed, every=1, param_uniforms=uniforms,
                  progress=progress, **engine)
    model = model_for(job.scenario)
    post = _values(job, model, ds, job.everything)
    noise = np.random.default_rng(np.random.SeedSequence([st.seed, 7])).standard_normal(
        max(len(runs), len(job.prior_sims)))
    fitted = {t.id for t in job.fitted}
    prior_ids = [t.id for t in job.fitted]
    job.observations = []
    for k, t in enumerate(job.everything):
        row = {"id": t.id, "kind": t.kind, "date": t.date.isoformat(), "observed": t.z,
               "sd": float(np.sqrt(t.var_obs)), "binary": t.binary, "fitted": t.id in fitted}
        row["posterior"] = _predictive_row(t, post[:, k], noise, st.discrepancy)
        if t.id in fitted:
            row["prior"] = _predictive_row(t, job.prior_sims[:, prior_ids.index(t.id)], noise,
                                           st.discrepancy)
        job.observations.append(row)
    hardness = observation_implausibility(job)
    for row in job.observations:
        if row["fitted"]:
            row["implausibility"] = hardness[row["id"]]
    return job


def fit(scenario: Scenario, obs: Observations, settings: FitSettings,
        params: Sequence[str] | None = None, engine: dict | None = None, progress=None) -> Fit:
    """History match, weight and check ``scenario`` against ``obs`` (see the module).

    ``engine`` is passed to :func:`~powderkeg.engine.simulate.simulate` (``executor``,
    ``workers``, ``chunk_size``). With ``settings.holdout_after`` only observations dated on
    or before it are fitted; the later ones are predicted.
    """
    scenario = scenario.model_copy(update={"posterior": None})  # fit against the prior
    if settings.case_base and scenario.politics is None:
        raise InputError(f"Scenario '{scenario.id}' has no politics section, so the escalation "
                         "case base says nothing about it. Leave out --case-base.")
    everything = targets(obs, scenario.date)
    fitted_obs = obs.until(settings.holdout_after) if settings.holdout_after else obs
    if not fitted_obs.observations:
        raise InputError(f"No observation is dated on or before {settings.holdout_after}, so "
                         "there is nothing to fit. Choose a later --holdout-after date.")
    fitted = targets(fitted_obs, scenario.date)
    job = Fit(scenario, fit_parameters(scenario, params), fitted, everything, settings,
              max(1, max(t.day for t in fitted)), obs)
    engine = engine or {}
    history_match(job, engine, progress)
    posterior(job)
    return predictive(job, engine, progress)


def parameter_rows(job: Fit) -> list[dict]:
    """Prior vs posterior 5%, 50%, 95% quantiles of each fitted parameter, and whether the
    fit learnt it (:data:`LEARNT_SHRINK`, :data:`LEARNT_SHIFT`, in prior quantiles; None
    below :data:`LEARNT_MIN_ESS` effective points, where a narrow posterior means nothing)."""
    from powderkeg.engine.worker import model_for

    model = model_for(job.scenario)
    qs = [(1 - NOMINAL) / 2, 0.5, (1 + NOMINAL) / 2]
    rows = []
    for j, path in enumerate(job.paths):
        prior = model.world_params[model.world_paths.index(path)]
        u_lo, u_mid, u_hi = np.quantile(job.sample_u[:, j], qs)
        shrink = 1 - (u_hi - u_lo) / NOMINAL
        rows.append({
            "path": path, "prior": [float(x) for x in prior.ppf(np.array(qs))],
            "posterior": [float(x) for x in np.quantile(job.sample_values[:, j], qs)],
            "posterior_quantiles": [float(u_lo), float(u_mid), float(u_hi)],
            "shrinkage": float(shrink),
            "learnt": (bool(shrink >= LEARNT_SHRINK or abs(u_mid - 0.5) >= LEARNT_SHIFT)
                       if job.ess >= LEARNT_MIN_ESS else None)})
    return rows


def observation_implausibility(job: Fit) -> dict[str, dict]:
    """How hard each fitted observation is to match, by id: the median and the smallest of its
    implausibility over wave 1's points (the prior's design), and the share of all points
    whose implausibility for it alone is above the cut-off. The observations with a large
    share are those that rule the space out (the diagnosis of a fit that rules out all)."""
    first = job.waves[0].implausibility
    every = np.concatenate([w.implausibility for w in job.waves])
    return {t.id: {"median_wave1": float(np.median(first[:, k])),
                   "smallest_wave1": float(first[:, k].min()),
                   "share_above_cutoff": float((every[:, k] > hm.CUTOFF).mean())}
            for k, t in enumerate(job.fitted)}


def hardest_observations(rows: list[dict]) -> list[dict]:
    """The fitted observation rows that rule some point out, most often first."""
    hard = [r for r in rows if r.get("implausibility", {}).get("share_above_cutoff", 0) > 0]
    return sorted(hard, key=lambda r: (-r["implausibility"]["share_above_cutoff"],
                                       -r["implausibility"]["median_wave1"]))


def coverage(rows: list[dict], fitted: bool) -> dict:
    """Share of observations (fitted, or held out) inside their posterior 90% intervals."""
    chosen = [r for r in rows if r["fitted"] == fitted]
    hits = sum(r["posterior"]["covered"] for r in chosen)
    return {"observations": len(chosen), "covered": hits, "nominal": NOMINAL,
            "coverage": hits / len(chosen) if chosen else None}


def summary(job: Fit) -> dict:
    """Everything about a fit as one JSON-ready document (the fit folder's ``fit.json``)."""
    st = job.settings
    waves = [{"wave": w.index, "points": len(w.u), "runs": w.runs,
              "not_ruled_out": int(w.nroy.sum()), "share_not_ruled_out": float(w.nroy.mean()),
              "smallest_implausibility": float(w.ranked.min()),
              "median_implausibility": float(np.median(w.ranked))} for w in job.waves]
    return {
        "scenario": job.scenario.id, "date": job.scenario.date.isoformat(),
        "seed": st.seed, "days": job.days, "parameters_fitted": len(job.paths),
        "observations_fitted": len(job.fitted),
        "holdout_after": st.holdout_after.isoformat() if st.holdout_after else None,
        "settings": {"waves": st.waves, "points": st.points,
                     "runs_per_point": st.runs_per_point, "discrepancy": st.discrepancy,
                     "cutoff": hm.CUTOFF, "implausibility": ("maximum" if hm.summary_rank(
                         len(job.fitted)) == 1 else "second maximum"),
                     "posterior_size": st.posterior_size, "case_base": st.case_base,
                     "predictive_runs": st.predictive_runs},
        "runs": sum(w.runs for w in job.waves) + st.predictive_runs,
        "waves": waves, "nroy_empty": job.nroy_empty,
        "effective_sample_size": job.ess,
        "parameters": parameter_rows(job), "observations": job.observations,
        "coverage": {"fitted": coverage(job.observations, True),
                     "held_out": coverage(job.observations, False)},
    }
