"""``powderkeg fit``: history matching of the structural parameters, then a posterior sample.

Three steps, each a plain function of the one before:

1. :func:`history_match`: waves of designed runs over the structural parameters and (by
   default) the scenario's uncertain state, fitted jointly as nuisance dimensions. Wave 1 is
   a Latin hypercube over their prior quantiles; every point runs ``r`` replicates through
   the engine's designed-parameter path (``simulate(..., run_ids=..., param_uniforms=...)``),
   and points near the cut get more; each observation is read off the runs
   (:mod:`powderkeg.analysis.observe`) and judged by its implausibility
   (:mod:`powderkeg.analysis.history_matching`). Each later wave moves a population of
   particles by prior-reversible proposals accepted within a cut that falls to 3.
2. :func:`posterior`: the last population within 3 as weights over every point, and a
   resampled, equally weighted posterior sample (structural and state columns; only the
   structural ones are carried over by ``run --posterior``).
   With ``case_base`` the target also counts the escalation case base
   (:mod:`powderkeg.analysis.case_evidence`).
3. :func:`predictive`: runs that draw the fitted parameters and state from that sample by
   the seed rule, and how well they reproduce each observation, including any held out of
   the fit (its coverage).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from powderkeg.analysis import history_matching as hm
from powderkeg.analysis.observe import Target, simulated_all, targets
from powderkeg.errors import InputError, ResultWarning
from powderkeg.model.posterior import PosteriorDraws, posterior_uniforms
from powderkeg.model.random import Streams
from powderkeg.scenario.observations import Observations
from powderkeg.scenario.schema import Scenario

__all__ = ["FitSettings", "Wave", "Fit", "STRUCTURAL", "TARGETS", "is_structural",
           "fit_parameters", "state_parameters", "history_match", "posterior", "predictive",
           "fit", "observation_implausibility", "likelihood_spread", "hardest_observations",
           "NOMINAL", "LEARNT_SHRINK", "LEARNT_SHIFT", "LEARNT_MIN_ESS", "INITIAL_STEP"]

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
#: The first wave's pCN step (then tuned by the acceptance rate).
INITIAL_STEP = 0.5


#: What the moves between waves sample (``--weights``): the prior within the space not ruled
#: out (history matching's answer), or that times the synthetic likelihood.
TARGETS = ("nroy", "likelihood")


@dataclass(frozen=True)
class FitSettings:
    waves: int = 12
    points: int = 256  # design points per wave
    runs_per_point: int = 8
    discrepancy: float = 0.5  # model discrepancy sd as a multiple of the observation's sd
    posterior_size: int = 1000
    predictive_runs: int = 400
    seed: int = 0
    holdout_after: dt.date | None = None
    case_base: bool = False  # also weigh points by the escalation case base's likelihood
    max_runs_per_point: int = 32  # replicates of a point near the cut or not ruled out
    fit_state: bool = True  # the scenario's uncertain state enters the design as nuisance
    target: str = "nroy"  # one of TARGETS


@dataclass(frozen=True)
class Wave:
    index: int  # 1, 2, ...
    u: np.ndarray  # (n, D) design points in prior quantiles (structural, then state)
    mean: np.ndarray  # (n, K) replicate mean (binary: probability)
    implausibility: np.ndarray  # (n, K)
    ranked: np.ndarray  # (n,) largest (or second-largest) implausibility
    log_lik: np.ndarray  # (n,) synthetic log likelihood (plus the case base's, if used)
    log_weight: np.ndarray  # (n,) log of what the moves sample within the cut (target)
    replicates: np.ndarray  # (n,) runs behind each point
    cut: float  # the implausibility cut its points were judged by
    step: float | None  # the pCN step its points were proposed with; None for wave 1
    accepted: np.ndarray | None  # (n,) whether each proposal replaced its particle

    @property
    def nroy(self) -> np.ndarray:
        return self.ranked <= hm.CUTOFF

    @property
    def runs(self) -> int:
        return int(self.replicates.sum())

    def log_target(self, cut: float) -> np.ndarray:
        """Log target of its points within implausibility ``cut`` (-inf beyond it)."""
        return np.where(self.ranked <= cut, self.log_weight, -np.inf)


@dataclass
class Fit:
    scenario: Scenario
    paths: list[str]  # the structural parameters: what a posterior carries over
    fitted: list[Target]  # the observations fitted
    everything: list[Target]  # all observations, held out or not
    settings: FitSettings
    days: int
    observations_file: Observations
    state: list[str] = field(default_factory=list)  # the state fitted jointly, as nuisance
    waves: list[Wave] = field(default_factory=list)
    population: np.ndarray | None = None  # (n,) the particles' indices into every point
    ancestors: np.ndarray | None = None  # (n,) the wave-1 point each particle descends from
    weights: np.ndarray | None = None  # over every point of every wave, in order
    ess: float = 0.0
    nroy_empty: bool = False
    cut: float = 3.0  # the last wave's implausibility cut (above 3: nothing matched)
    sample_u: np.ndarray | None = None  # (M, D + S) the posterior sample, structural + state
    sample_values: np.ndarray | None = None
    observations: list[dict] = field(default_factory=list)
    prior_sims: np.ndarray | None = None  # (runs, K) wave 1's runs (prior predictive)

    @property
    def points(self) -> np.ndarray:
        return np.concatenate([w.u for w in self.waves])

    @property
    def design(self) -> list[str]:
        """Every designed path: the structural parameters, then the state."""
        return [*self.paths, *self.state]


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


def state_parameters(scenario: Scenario) -> list[str]:
    """The scenario's uncertain state at its start: every uncertain parameter that is not
    structural (fronts, forces, reinforcements, fortification, morale, stocks and demands,
    link capacities, launchers). A hindcast fits it jointly with the structure, as the
    nuisance of data assimilation; it is not carried over to another scenario."""
    from powderkeg.model.build import build_model

    model = build_model(scenario)
    return [p for p, v in zip(model.world_paths, model.world_params, strict=True)
            if v.is_random and not is_structural(p)]


def _simulate(job: Fit, u: np.ndarray, points: np.ndarray, first: int, stop: int, engine,
              progress) -> np.ndarray:
    """``(n, stop - first, K)`` values of the fitted observations for replicates
    ``first .. stop - 1`` of the points ``u`` (global indices ``points``), each replicate
    run numbered by :func:`~powderkeg.analysis.history_matching.replicate_runs`."""
    from powderkeg.engine.simulate import simulate
    from powderkeg.engine.worker import model_for

    r = stop - first
    uniforms = {p: np.repeat(u[:, j], r) for j, p in enumerate(job.design)}
    runs = hm.replicate_runs(points, first, stop, job.settings.max_runs_per_point)
    ds = simulate(job.scenario, len(runs), job.days, job.settings.seed, every=1,
                  run_ids=runs, param_uniforms=uniforms, progress=progress, **engine)
    return _values(job, model_for(job.scenario), ds, job.fitted).reshape(len(u), r, -1)


def _values(job, model, ds, which: list[Target]) -> np.ndarray:
    obs = job.observations_file.model_copy(update={"observations": [
        o for o in job.observations_file.observations if o.id in {t.id for t in which}]})
    return simulated_all(model, ds, obs)


def _arrays(ts: list[Target]):
    return (np.array([t.z for t in ts]), np.array([t.var_obs for t in ts]),
            np.array([t.binary for t in ts]), np.array([t.confidence for t in ts]))


def _judge(job: Fit, sims: np.ndarray):
    """Replicate mean, implausibility, ranked implausibility and synthetic log likelihood of
    points whose runs are ``sims`` ``(n, r, K)``."""
    z, var_obs, binary, conf = _arrays(job.fitted)
    mean, var_ens = hm.ensemble(sims, binary)
    imp = hm.implausibility(z, var_obs, mean, var_ens, job.settings.discrepancy)
    lik = hm.log_likelihood(z, var_obs, mean, var_ens, binary, conf, job.settings.discrepancy)
    return mean, imp, hm.ranked_implausibility(imp), lik


def _wave(job: Fit, index: int, u, cut, step, engine, progress) -> Wave:
    """Simulate the points ``u`` of wave ``index``: ``runs_per_point`` replicates each, then
    up to ``max_runs_per_point`` for the points not ruled out or ruled out by less than
    :data:`~powderkeg.analysis.history_matching.BAND` (those the final cut at 3 decides
    on), judged on all their runs; ``cut`` is the cut in force when it was proposed."""
    st = job.settings
    first = sum(len(w.u) for w in job.waves)
    points = np.arange(first, first + len(u))
    r, most = st.runs_per_point, st.max_runs_per_point
    if progress is not None:
        progress.phase(f"wave {index}/{st.waves}: {len(u)} points x {r} runs x "
                       f"{job.days} days", len(u) * r * job.days)
    sims = _simulate(job, u, points, 0, r, engine, progress)
    if index == 1:
        job.prior_sims = sims.reshape(-1, sims.shape[-1])
    mean, imp, ranked, lik = _judge(job, sims)
    replicates = np.full(len(u), r)
    more = hm.extend(ranked) if most > r else np.zeros(len(u), dtype=bool)
    if more.any():
        if progress is not None:
            progress.phase(f"wave {index}/{st.waves}: {int(more.sum())} points near the cut "
                           f"x {most - r} more runs", int(more.sum()) * (most - r) * job.days)
        extra = _simulate(job, u[more], points[more], r, most, engine, progress)
        both = np.concatenate([sims[more], extra], axis=1)
        mean[more], imp[more], ranked[more], lik[more] = _judge(job, both)
        replicates[more] = most
    if st.case_base:
        from powderkeg.analysis.case_evidence import case_base_log_likelihood

        case = case_base_log_likelihood(job.scenario, job.paths,
                                        _values_at(job, u)[:, :len(job.paths)])
        lik = lik + case
    else:
        case = np.zeros(len(u))
    weight = lik if st.target == "likelihood" else case
    return Wave(index, u, mean, imp, ranked, lik, weight, replicates, cut, step, None)


def history_match(job: Fit, engine: dict, progress=None) -> Fit:
    """Run the waves (see the module): a sequential Monte Carlo sampler with MCMC moves
    (Del Moral, Doucet and Jasra 2012) whose cut on the ranked implausibility falls from
    wave to wave to 3 (Drovandi and Pettitt 2011), targeting
    ``prior x 1[implausibility <= cut]`` (x the likelihood with ``target="likelihood"``).

    Wave 1 is a Latin hypercube over the prior; its points are the first population. Before
    each later wave the cut becomes the larger of 3 and the population's median ranked
    implausibility (never rising); the particles inside it are resampled by their target to
    ``points`` particles, and each is moved by one pCN proposal (prior-reversible) and a
    Metropolis-Hastings step at that cut. The posterior is the last population within 3;
    when no particle is, no point matched the observations within the three-sigma rule: it
    warns, flags ``nroy_empty``, and the posterior is the space within the next cut.
    """
    st = job.settings
    u = hm.first_design(st.points, len(job.design), st.seed)
    wave = _wave(job, 1, u, hm.CUTOFF, None, engine, progress)
    job.waves.append(wave)
    job.population = np.arange(len(u))
    job.ancestors = job.population.copy()
    ranked, weight = wave.ranked.copy(), wave.log_weight.copy()
    cut, step = np.inf, INITIAL_STEP
    for index in range(2, st.waves + 1):
        cut = hm.next_cut(ranked, cut)
        keep = hm.importance_weights(np.where(ranked <= cut, weight, -np.inf), ranked <= cut)
        pick = hm.systematic_resample(keep, st.points, st.seed + index)
        job.population, job.ancestors = job.population[pick], job.ancestors[pick]
        ranked, weight = ranked[pick], weight[pick]
        u = hm.pcn_move(job.points[job.population], step, st.seed, index)
        wave = _wave(job, index, u, cut, step, engine, progress)
        moved = hm.accept(np.where(ranked <= cut, weight, -np.inf), wave.log_target(cut),
                          st.seed, index)
        job.waves.append(replace(wave, accepted=moved))
        first = len(job.points) - len(u)
        job.population = np.where(moved, first + np.arange(len(u)), job.population)
        ranked = np.where(moved, wave.ranked, ranked)
        weight = np.where(moved, wave.log_weight, weight)
        step = hm.next_step(step, float(moved.mean()))
    job.cut = hm.CUTOFF if (ranked <= hm.CUTOFF).any() else hm.next_cut(ranked, cut)
    inside = ranked <= job.cut
    pick = hm.systematic_resample(hm.importance_weights(np.where(inside, weight, -np.inf),
                                                        inside), st.points, st.seed + 99)
    job.population, job.ancestors = job.population[pick], job.ancestors[pick]
    if job.cut > hm.CUTOFF:
        job.nroy_empty = True
        worst = job.fitted[int(np.argmax(np.median(wave.implausibility, axis=0)))].id
        warnings.warn(
            f"No point of the {len(job.waves)} wave(s) has a ranked implausibility of at most "
            f"{hm.CUTOFF:g} (the smallest is {min(w.ranked.min() for w in job.waves):.1f}; the "
            f"observation hardest to match in the last wave is {worst}): the model cannot "
            "reproduce the observations within their uncertainty and the discrepancy "
            f"allowed. The posterior below is the space within implausibility {job.cut:.1f}; "
            "read it as a diagnosis, not a fit.", ResultWarning, stacklevel=2)
    return job


def _values_at(job: Fit, u: np.ndarray) -> np.ndarray:
    """The designed parameters' values at prior quantiles ``u`` (n, D + S)."""
    from powderkeg.engine.worker import model_for

    model = model_for(job.scenario)
    params = [model.world_params[model.world_paths.index(p)] for p in job.design]
    return np.stack([p.ppf(u[:, j]) for j, p in enumerate(params)], axis=1)


def _weights(job: Fit) -> np.ndarray:
    """Weight of every point of every wave in the posterior: its share of the final
    population."""
    counts = np.bincount(job.population, minlength=len(job.points)).astype(float)
    return counts / counts.sum()


def posterior(job: Fit) -> Fit:
    """The final population as weights over every point and the resampled posterior sample."""
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
    """Posterior predictive runs ``0 .. predictive_runs - 1`` and each observation's fit.

    Run ``r`` takes posterior row ``j(r)`` by the seed rule (:mod:`powderkeg.model.posterior`)
    for the structural parameters and the fitted state together, so it replays the window
    the fit saw; without fitted state these are exactly the runs of ``run --posterior``."""
    from powderkeg.engine.simulate import simulate
    from powderkeg.engine.worker import model_for

    st = job.settings
    days = max(1, max(t.day for t in job.everything))
    runs = np.arange(st.predictive_runs)
    draws = PosteriorDraws(tuple(job.design), job.sample_u)
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
    if settings.target not in TARGETS:
        raise InputError(f"--weights {settings.target!r} is not one of {', '.join(TARGETS)}. "
                         "Give --weights nroy (the prior within the space not ruled out, the "
                         "default) or --weights likelihood (that times the synthetic "
                         "likelihood).")
    if settings.max_runs_per_point < settings.runs_per_point:
        raise InputError(f"--max-runs-per-point ({settings.max_runs_per_point}) is below "
                         f"--runs-per-point ({settings.runs_per_point}): a point near the cut "
                         "gets more replicates, never fewer. Give a number of at least "
                         f"{settings.runs_per_point} (equal turns the extra replicates off).")
    job = Fit(scenario, fit_parameters(scenario, params), fitted, everything, settings,
              max(1, max(t.day for t in fitted)), obs,
              state_parameters(scenario) if settings.fit_state else [])
    engine = engine or {}
    history_match(job, engine, progress)
    posterior(job)
    return predictive(job, engine, progress)


def parameter_rows(job: Fit, state: bool = False) -> list[dict]:
    """Prior vs posterior 5%, 50%, 95% quantiles of each fitted structural parameter (or,
    with ``state``, of each state parameter fitted as nuisance), and whether the fit learnt
    it (:data:`LEARNT_SHRINK`, :data:`LEARNT_SHIFT`, in prior quantiles; None below
    :data:`LEARNT_MIN_ESS` effective points, where a narrow posterior means nothing)."""
    from powderkeg.engine.worker import model_for

    model = model_for(job.scenario)
    qs = [(1 - NOMINAL) / 2, 0.5, (1 + NOMINAL) / 2]
    rows = []
    for j, path in enumerate(job.design):
        if (j >= len(job.paths)) != state:
            continue
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


def likelihood_spread(job: Fit) -> dict:
    """How unequal the synthetic likelihood is over the points not ruled out: the sd of its
    log over every wave's kept points, and Kish's effective sample of wave 1's kept points
    weighted by it (what likelihood weights on a prior design would rest on)."""
    kept = np.concatenate([w.log_lik[w.nroy] for w in job.waves])
    first = job.waves[0]
    w = hm.importance_weights(first.log_lik, first.nroy)
    return {"log_likelihood_sd": float(kept.std(ddof=1)) if len(kept) > 1 else None,
            "points": int(len(kept)), "ess_wave1": hm.effective_sample_size(w)}


def summary(job: Fit) -> dict:
    """Everything about a fit as one JSON-ready document (the fit folder's ``fit.json``)."""
    st = job.settings
    waves = [{"wave": w.index, "points": len(w.u), "runs": w.runs,
              "not_ruled_out": int(w.nroy.sum()), "share_not_ruled_out": float(w.nroy.mean()),
              "smallest_implausibility": float(w.ranked.min()),
              "median_implausibility": float(np.median(w.ranked)),
              "points_with_more_runs": int((w.replicates > st.runs_per_point).sum()),
              "cut": w.cut,
              "step": w.step,
              "accepted": None if w.accepted is None else int(w.accepted.sum())}
             for w in job.waves]
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
                     "predictive_runs": st.predictive_runs,
                     "max_runs_per_point": st.max_runs_per_point, "fit_state": st.fit_state,
                     "weights": st.target},
        "state_parameters_fitted": len(job.state),
        "runs": sum(w.runs for w in job.waves) + st.predictive_runs,
        "waves": waves, "nroy_empty": job.nroy_empty, "final_cut": job.cut,
        "effective_sample_size": job.ess,
        "ancestors": (int(len(np.unique(job.ancestors))) if job.ancestors is not None
                      else None),
        "likelihood": likelihood_spread(job),
        "parameters": parameter_rows(job), "state": parameter_rows(job, state=True),
        "observations": job.observations,
        "coverage": {"fitted": coverage(job.observations, True),
                     "held_out": coverage(job.observations, False)},
    }
