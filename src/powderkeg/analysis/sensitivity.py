"""Which uncertain parameters drive an outcome: global sensitivity analysis with SALib.

Three separate steps, as in SALib: :func:`sample_design` draws a design in *quantile space*
(one uniform per uncertain parameter per run), the engine simulates one run per design row
(``simulate(..., param_uniforms=...)`` turns each quantile into the parameter's value by its
inverse distribution function), and :func:`analyze_design` turns the model outputs into indices.
:func:`sensitivity` does all three for a scenario.

The output of a run is an outcome's indicator ``Y`` (1 if it happened by the horizon). Its
mean is the outcome's probability, so a parameter's first-order Sobol' index
``S1_i = Var(E[Y | X_i]) / Var(Y)`` is the share of the variance of ``Y`` explained by how
that parameter moves the outcome's probability. A run's own chance events (strikes,
withdrawals, the escalation theory drawn, ...) are not design factors: they act as noise, so
the ``S1`` of all parameters sum to less than 1, the remainder being chance.

Chance noise matters most for the indices built from *differences* of two runs: the total
index ``ST`` (Jansen's estimator, a mean of ``(f(A) - f(AB_i))^2``) and Morris' ``mu_star``
(a mean of ``|f(x + delta e_i) - f(x)|``). If the two runs of a difference draw different
chance events, every parameter, even one the model never reads, gets the same floor of about
``E[Var(Y | X)] / Var(Y)`` (often more than half of ``ST``). So by default the runs of a
difference share their chance events (*common chance*): the ``A`` row and the ``AB_i`` rows
of a Sobol' base sample reuse one run's random streams, the ``B`` row another's; all points of
a Morris trajectory reuse one run's. ``ST_i`` is then ``E[Var(Y | X_~i, chance)] / Var(Y)``,
the total effect of parameter ``i`` counting its interactions with chance, and is 0 for a
parameter that changes nothing; ``S1`` keeps its meaning (its estimator pairs ``B`` with
``AB_i``, which share only ``X_i``). Rows that share chance simply share a run number in the
engine (``simulate(run_ids=...)``), so the whole design is one engine call either way. With
``common_chance=False`` every row is a separate run and a *dummy* factor
that the model never reads (Khorashadi Zadeh et al. 2017) shows the noise floor: a parameter
whose index is not clearly above the dummy's cannot be told apart from no influence.

Cost, with ``D`` factors (the uncertain parameters, and the dummy if any) and ``N`` samples:
Sobol' (first and total order, ``calc_second_order=False``) needs ``N (D + 2)`` runs; Morris
with ``N`` trajectories needs ``N (D + 1)`` runs (:func:`design_runs`).

References
----------
I. M. Sobol' (2001), "Global sensitivity indices for nonlinear mathematical models and their
Monte Carlo estimates", Mathematics and Computers in Simulation 55:271-280,
doi:10.1016/S0378-4754(00)00270-6.
A. Saltelli, P. Annoni, I. Azzini, F. Campolongo, M. Ratto, S. Tarantola (2010), "Variance based
sensitivity analysis of model output. Design and estimator for the total sensitivity index",
Computer Physics Communications 181(2):259-270, doi:10.1016/j.cpc.2009.09.018.
M. D. Morris (1991), "Factorial sampling plans for preliminary computational experiments",
Technometrics 33(2):161-174, doi:10.1080/00401706.1991.10484804.
F. Campolongo, J. Cariboni, A. Saltelli (2007), "An effective screening design for sensitivity
analysis of large models", Environmental Modelling & Software 22(10):1509-1518,
doi:10.1016/j.envsoft.2006.10.004 (``mu_star``).
F. Khorashadi Zadeh, J. Nossent, F. Sarrazin, F. Pianosi, A. van Griensven, T. Wagener,
W. Bauwens (2017), "Comparison of variance-based and moment-independent global sensitivity
analysis approaches by application to the SWAT model", Environmental Modelling & Software
91:210-222 (a dummy parameter as the screening threshold).
J. Herman, W. Usher (2017), "SALib: An open-source Python library for Sensitivity Analysis",
Journal of Open Source Software 2(9):97, doi:10.21105/joss.00097.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from powderkeg.errors import InputError, ResultWarning
from powderkeg.scenario.schema import Scenario

__all__ = ["METHODS", "DUMMY", "MORRIS_LEVELS", "uncertain_parameters", "design_runs",
           "sample_design", "analyze_design", "plan", "sensitivity"]

METHODS = ("sobol", "morris")
#: Name of the factor that the model never reads; its index is the noise floor.
DUMMY = "(dummy: no effect)"
#: Grid levels of the Morris design; the levels sit at quantiles (2k + 1) / (2 L).
MORRIS_LEVELS = 4
_EDGE = 1e-9  # quantiles are kept inside (0, 1) so unbounded distributions stay finite


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError(f"Unknown sensitivity method '{method}'; use one of "
                         f"{', '.join(METHODS)}.")


def _sub_seed(seed: int, tag: int) -> int:
    # SALib tests `if seed:`, so a zero seed would fall back to global state: never zero.
    return int(np.random.SeedSequence([seed, tag]).generate_state(1)[0]) + 1


def _problem(names: Sequence[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def uncertain_parameters(scenario: Scenario, params: Sequence[str] | None = None) -> list[str]:
    """Paths of the scenario's random parameters, optionally those containing a substring.

    ``params`` is a list of substrings (``["kerch", "himars"]``); a parameter is kept when its
    path contains any of them. Raises :class:`~powderkeg.errors.InputError` when none is left.
    """
    from powderkeg.model.build import build_model

    model = build_model(scenario)
    paths = [p for p, v in zip(model.world_paths, model.world_params, strict=True)
             if v.is_random]
    if params:
        paths = [p for p in paths if any(s in p for s in params)]
    if not paths:
        which = f" matching {', '.join(map(repr, params))}" if params else ""
        raise InputError(f"Scenario '{scenario.id}' has no uncertain parameters{which}: nothing "
                         "to analyse. Give distributions to some numbers, or check the --param "
                         "substrings against `powderkeg show --assumptions`.")
    return paths


def design_runs(method: str, n_factors: int, samples: int) -> int:
    """Number of runs a design needs: ``N (D + 2)`` for Sobol', ``N (D + 1)`` for Morris."""
    _check_method(method)
    return samples * (n_factors + (2 if method == "sobol" else 1))


def sample_design(method: str, n_factors: int, samples: int, seed: int = 0) -> np.ndarray:
    """A design of quantiles, shape ``(design_runs(...), n_factors)``, each in ``(0, 1)``.

    Sobol': SALib's Saltelli scheme on a scrambled Sobol' sequence (``samples`` base points,
    ideally a power of 2). Morris: ``samples`` trajectories on a grid of
    :data:`MORRIS_LEVELS` levels, placed at the quantiles ``(2k + 1) / (2L)`` (the middles of
    ``L`` equal-probability bins, so no level sits at an infinite tail).
    """
    _check_method(method)
    problem = _problem([f"x{i}" for i in range(n_factors)])
    if method == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*balance properties.*")
            x = sobol.sample(problem, samples, calc_second_order=False, scramble=True,
                             seed=_sub_seed(seed, 1))
    else:
        from SALib.sample import morris

        grid = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=_sub_seed(seed, 1))
        x = (grid * (MORRIS_LEVELS - 1) + 0.5) / MORRIS_LEVELS
    return np.clip(x, _EDGE, 1 - _EDGE)


def analyze_design(method: str, names: Sequence[str], x: np.ndarray, y: np.ndarray,
                   seed: int = 0, level: float = 0.95) -> list[dict]:
    """Sensitivity indices from a design ``x`` (from :func:`sample_design`) and outputs ``y``.

    Returns one dict per factor, most influential first, with ``path`` (the name),
    ``index`` and its interval ``ci95_low``, ``ci95_high`` (SALib's bootstrap, ``index +-
    conf``), and the method's own estimates:

    - Sobol': ``index = ST`` (total order), with ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    - Morris: ``index = mu_star`` (mean absolute elementary effect), with ``mu``, ``sigma``,
      ``mu_star``, ``mu_star_conf``. Effects are per unit of quantile: a parameter that
      raises ``y`` by ``a`` for each unit of its quantile has ``mu = mu_star = a``.

    A constant output (the outcome happened in no run, or in all) has no variance to
    apportion: the result is an empty list.
    """
    _check_method(method)
    y = np.asarray(y, dtype=float)
    if np.ptp(y) == 0:
        return []
    problem = _problem(names)
    if method == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, y, calc_second_order=False, conf_level=level,
                           seed=_sub_seed(seed, 2))
        rows = [{"path": n, "index": float(si["ST"][i]),
                 "ci95_low": float(si["ST"][i] - si["ST_conf"][i]),
                 "ci95_high": float(si["ST"][i] + si["ST_conf"][i]),
                 "S1": float(si["S1"][i]), "S1_conf": float(si["S1_conf"][i]),
                 "ST": float(si["ST"][i]), "ST_conf": float(si["ST_conf"][i])}
                for i, n in enumerate(names)]
    else:
        from SALib.analyze import morris

        si = morris.analyze(problem, np.asarray(x, dtype=float), y, conf_level=level,
                            num_levels=MORRIS_LEVELS, seed=_sub_seed(seed, 2))
        # SALib divides by the step L / (2 (L - 1)) of a [0, 1] grid; the quantile step of
        # the midpoint grid is (L - 1) / L times that.
        k = MORRIS_LEVELS / (MORRIS_LEVELS - 1)
        rows = [{"path": n, "index": float(k * si["mu_star"][i]),
                 "ci95_low": float(k * (si["mu_star"][i] - si["mu_star_conf"][i])),
                 "ci95_high": float(k * (si["mu_star"][i] + si["mu_star_conf"][i])),
                 "mu": float(k * si["mu"][i]), "sigma": float(k * si["sigma"][i]),
                 "mu_star": float(k * si["mu_star"][i]),
                 "mu_star_conf": float(k * si["mu_star_conf"][i])}
                for i, n in enumerate(names)]
    return sorted(rows, key=lambda r: -r["index"])


def _outcome_columns(scenario: Scenario, outcomes: Sequence[str] | None) -> dict[str, int]:
    ids = [o.id for o in scenario.outcomes]
    wanted = list(outcomes) if outcomes else ids
    unknown = [o for o in wanted if o not in ids]
    if unknown:
        raise InputError(f"Scenario '{scenario.id}' has no outcome {', '.join(map(repr, unknown))}"
                         f". Its outcomes are: {', '.join(ids)}.")
    return {o: ids.index(o) for o in wanted}


def _design_blocks(method: str, n_factors: int, samples: int) -> list[int]:
    """Run offset of each position of a design block under common chance.

    A Sobol' block is ``A, AB_1, .., AB_D, B``: ``A`` and every ``AB_i`` of base sample ``j``
    share run ``j``'s chance, ``B`` has its own (run ``N + j``). A Morris trajectory's
    ``D + 1`` points all share run ``t``'s chance.
    """
    if method == "sobol":
        return [0] * (n_factors + 1) + [samples]
    return [0] * (n_factors + 1)


def _evaluate(scenario, method, paths, x, samples, days, seed, common_chance, workers,
              progress, engine) -> np.ndarray:
    """Outcome indicators ``(rows, outcomes)`` of every design row, in one engine call.

    Under common chance the rows of a design block that must share chance events get the same
    run number (:func:`_design_blocks`), so they share every random stream.
    """
    from powderkeg.engine.simulate import simulate

    run_ids = None
    if common_chance:
        offsets = np.asarray(_design_blocks(method, x.shape[1], samples))
        run_ids = (np.repeat(np.arange(len(x) // len(offsets)), len(offsets))
                   + np.tile(offsets, len(x) // len(offsets)))
    ds = simulate(scenario, len(x), days, seed, progress=progress, workers=workers,
                  param_uniforms={p: x[:, j] for j, p in enumerate(paths)}, run_ids=run_ids,
                  series=(), **engine)
    return ~np.isnan(ds.event_day.values)


def plan(scenario: Scenario, outcomes: Sequence[str] | None = None, method: str = "sobol",
         samples: int = 64, params: Sequence[str] | None = None, *, common_chance: bool = True,
         dummy: bool | None = None) -> dict:
    """Check a request of :func:`sensitivity` and say what it will cost, before running it.

    Returns ``parameters`` (the uncertain parameter paths analysed), ``factors`` (the same,
    plus :data:`DUMMY` if used), ``outcomes``, ``runs`` (:func:`design_runs`) and
    ``engine_calls`` (1: the whole design is one batch). Raises
    :class:`~powderkeg.errors.InputError` for an unknown method or outcome, a parameter filter
    that matches nothing, or a sample size SALib cannot use.
    """
    _check_method(method)
    if samples < 2:
        raise InputError(f"samples must be at least 2, got {samples}.")
    if method == "sobol" and samples & (samples - 1):
        raise InputError(f"Sobol' samples must be a power of 2 (e.g. 32, 64, 128) for the "
                         f"sequence to stay balanced; got {samples}.")
    columns = _outcome_columns(scenario, outcomes)
    paths = uncertain_parameters(scenario, params)
    use_dummy = (not common_chance) if dummy is None else dummy
    names = [*paths, DUMMY] if use_dummy else paths
    runs = design_runs(method, len(names), samples)
    return {"parameters": paths, "factors": names, "outcomes": list(columns), "runs": runs,
            "engine_calls": 1}


def sensitivity(scenario: Scenario, outcomes: Sequence[str] | None = None,
                method: str = "sobol", samples: int = 64, days: int = 365, seed: int = 0,
                params: Sequence[str] | None = None,
                progress: Callable[[int], None] | None = None, *,
                common_chance: bool = True, dummy: bool | None = None,
                workers: int = 1, executor=None, chunk_size: int | None = None,
                work_dir=None) -> dict[str, list[dict]]:
    """Rank the scenario's uncertain parameters by their influence on each outcome.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its uncertain parameters are those given as distributions.
    outcomes : list of str, optional
        Outcome ids to analyse (default: all of the scenario's).
    method : {"sobol", "morris"}
        Sobol' total-order indices (ranked by ``ST``) or Morris screening (``mu_star``).
    samples : int
        Sobol' base samples ``N`` (a power of 2) or Morris trajectories ``N``. The design has
        ``N (D + 2)`` (Sobol') or ``N (D + 1)`` (Morris) runs for ``D`` factors
        (:func:`design_runs`).
    days, seed : int
        Horizon and seed of the simulation.
    params : list of str, optional
        Substrings of parameter paths to restrict the analysis to (default: all). The other
        uncertain parameters are then drawn per run like chance events.
    progress : callable, optional
        Called with the number of run-days just simulated (in all ``design_runs * days``).
    common_chance : bool
        Give the design rows that are compared with each other the same chance events (see
        the module notes), free of the chance-noise floor. ``False``: row ``i`` is run ``i``.
    dummy : bool, optional
        Add the :data:`DUMMY` factor, whose index is the noise floor (default: only without
        common chance, where the floor is above 0).
    workers : int
        Worker processes; results do not depend on it.
    executor, chunk_size, work_dir
        How the design's runs are computed and checkpointed, as in
        :func:`powderkeg.engine.simulate.simulate`; results do not depend on them.

    Returns
    -------
    dict
        Outcome id -> rows of :func:`analyze_design` (most influential first; each row has
        ``"dummy"``, true for the dummy's). An outcome that happened in no run or in every
        run maps to an empty list: there is no variance to apportion.
    """
    the_plan = plan(scenario, outcomes, method, samples, params, common_chance=common_chance,
                    dummy=dummy)
    paths, names = the_plan["parameters"], the_plan["factors"]
    x = sample_design(method, len(names), samples, seed)
    happened = _evaluate(scenario, method, paths, x, samples, days, seed, common_chance,
                         workers, progress, {"executor": executor, "chunk_size": chunk_size,
                                             "work_dir": work_dir})
    result = {}
    for oid, j in _outcome_columns(scenario, outcomes).items():
        rows = analyze_design(method, names, x, happened[:, j].astype(float), seed)
        for r in rows:
            r["dummy"] = r["path"] == DUMMY
        if _no_signal(rows):
            warnings.warn(_no_signal_message(oid, method, samples, happened[:, j]),
                          ResultWarning, stacklevel=2)
        result[oid] = rows
    return result


def _no_signal(rows: list[dict]) -> bool:
    """Every factor's index is 0 with a zero-width interval (and the outcome did vary)."""
    return bool(rows) and all(r["index"] == r["ci95_low"] == r["ci95_high"] == 0 for r in rows)


def _no_signal_message(oid: str, method: str, samples: int, happened: np.ndarray) -> str:
    return (f"{oid}: every factor's {method} index is 0 with a zero-width interval. The "
            f"outcome happened in {int(happened.sum()):,} of {len(happened):,} runs, but in "
            f"none of the {samples} samples did changing one factor change whether it "
            "happened: its variation came from chance or from parameters outside the design. "
            "That is not evidence that these factors do not matter; give more --samples, or "
            "analyse more factors (fewer --param filters).")
