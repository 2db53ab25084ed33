"""powderkeg fit: parameter recovery on a synthetic hindcast, the held-out check, the posterior
drawn by the seed rule in `run --posterior`, and bad input."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from powderkeg.analysis.fit import FitSettings, fit, fit_parameters, is_structural
from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.report.fit import write_fit
from powderkeg.scenario import load_scenario
from powderkeg.scenario.observations import Observations
from powderkeg.scenario.posterior import QUANTILE, with_posterior

FIT = Path(__file__).parent / "fixtures" / "fit"
pytestmark = pytest.mark.filterwarnings("ignore:The posterior rests on")
SCENARIO = FIT / "hindcast.yaml"
TRUTH = {"fires[rockets].hit_probability": 0.3, "model.combat.advance_km_per_day": 0.6}
TRUTH_RUN = 1_000_000  # a run number no fit uses: the world that "happened"
FRONT_DAYS = (5, 10, 15, 20, 25)


@pytest.fixture(scope="module")
def hindcast():
    return load_scenario(str(SCENARIO))


def _synthetic(scenario, sd_km=3.0, sd_strikes=3.0, truth=TRUTH) -> Observations:
    """Observations of one run at the true parameters, with noise of the stated sds."""
    import datetime as dt

    day = lambda d: (scenario.date + dt.timedelta(days=d)).isoformat()  # noqa: E731
    ds = simulate(scenario, 1, 25, seed=11, every=1, run_offset=TRUTH_RUN, workers=1,
                  param_uniforms={p: np.array([u]) for p, u in truth.items()})
    rng = np.random.default_rng(2024)
    obs = [{"id": f"front_d{d}", "kind": "front", "date": day(d), "sector": "front",
            "km": {"value": float(ds.front_km.sel(day=d, sector="front")[0])
                   + sd_km * rng.standard_normal(), "sd": sd_km}, "source": "[T]"}
           for d in FRONT_DAYS]
    strikes = float(ds.strikes_to_date.sel(day=25, link=["bridge", "road"]).sum())
    obs.append({"id": "strikes", "kind": "count", "count": "strikes",
                "links": ["bridge", "road"], "from": day(1), "to": day(25),
                "value": {"value": strikes + sd_strikes * rng.standard_normal(),
                          "sd": sd_strikes}, "source": "[T]"})
    return Observations.model_validate({
        "scenario": scenario.id, "cutoff": day(25),
        "sources": {"T": {"text": "simulated", "published": day(25)}}, "observations": obs})


RECOVERY = FitSettings(waves=3, points=48, runs_per_point=4, posterior_size=500,
                       predictive_runs=100, seed=5)


@pytest.fixture(scope="module")
def recovered(hindcast):
    return fit(hindcast, _synthetic(hindcast), RECOVERY, engine={"workers": 1})


STATE = {"sectors[front].forces.blue": 0.7}  # the true state, as a prior quantile


@pytest.fixture(scope="module")
def with_state(tmp_path_factory):
    """The hindcast with blue's force on day 0 uncertain (20,000 to 40,000): state, fitted
    jointly as a nuisance dimension; the observations come from a world at STATE."""
    variant = tmp_path_factory.mktemp("state") / "hindcast-state.yaml"
    variant.write_text(f"extends: {SCENARIO}\nid: hindcast-state\nsectors:\n  - id: front\n"
                       "    forces: {blue: {dist: uniform, low: 20000, high: 40000, "
                       "note: 'assumption: test'}}\n")
    s = load_scenario(str(variant))
    obs = _synthetic(s, truth={**TRUTH, **STATE})
    return fit(s, obs, RECOVERY, engine={"workers": 1})


def test_the_structural_parameters_are_found_by_path(hindcast):
    assert fit_parameters(hindcast) == list(TRUTH)
    assert fit_parameters(hindcast, ["advance"]) == ["model.combat.advance_km_per_day"]
    assert is_structural("links[kerch].repair_days") and not is_structural("links[kerch].capacity")
    assert not is_structural("sectors[bakhmut].front_km")


def _interval(job, path):
    return np.quantile(job.sample_u[:, job.design.index(path)], [0.05, 0.95])


def test_the_fit_recovers_the_true_parameters_within_its_intervals(recovered):
    """Observations simulated at known values: each lies inside the 90% interval of the
    posterior (the prior within the space not ruled out), which is drawn only from points
    not ruled out."""
    for path, truth in TRUTH.items():
        lo, hi = _interval(recovered, path)
        assert lo <= truth <= hi, (path, lo, hi)
    ranked = np.concatenate([w.ranked for w in recovered.waves])
    assert (ranked[recovered.population] <= 3.0).all()


def test_the_true_parameters_are_not_ruled_out(recovered):
    """The world that made the observations, judged as a design point on as many replicates
    as a kept point gets, has a ranked implausibility below the cut-off."""
    from powderkeg.analysis.fit import _judge, _simulate

    u = np.array([[TRUTH[p] for p in recovered.paths]])
    sims = _simulate(recovered, u, np.array([10 ** 5]), 0, RECOVERY.max_runs_per_point,
                     {"workers": 1}, None)
    assert _judge(recovered, sims)[2][0] <= 3.0


def test_pcn_moves_sample_the_prior_within_the_set_not_ruled_out():
    """Closed form: particles moved by pCN proposals and accepted only inside the set
    {u_0 < 0.3} of the unit cube in 6 dimensions are uniform on that set (Kolmogorov-Smirnov
    against U(0, 0.3) and U(0, 1))."""
    from scipy import stats

    from powderkeg.analysis import history_matching as hm

    rng = np.random.default_rng(1)
    u = np.column_stack([0.3 * rng.random(2000) ** 4, rng.random((2000, 5)) ** 4])
    for move in range(1, 121):
        proposed = hm.pcn_move(u, 0.5, 3, move)
        inside = np.where(proposed[:, 0] < 0.3, 0.0, -np.inf)
        u = np.where(hm.accept(np.zeros(len(u)), inside, 3, move)[:, None], proposed, u)
    assert stats.kstest(u[:, 0], stats.uniform(0, 0.3).cdf).pvalue > 1e-3
    for d in range(1, 6):
        assert stats.kstest(u[:, d], "uniform").pvalue > 1e-3


def test_pcn_moves_sample_a_gaussian_posterior():
    """Closed form: with a N(0, 1) prior in normal scores and a likelihood N(y = 1; z, 0.5^2),
    the particles' mean and variance are the conjugate posterior's 0.8 and 0.2."""
    from scipy.special import ndtri

    from powderkeg.analysis import history_matching as hm

    log_lik = lambda u: -0.5 * ((1.0 - ndtri(u[:, 0])) / 0.5) ** 2  # noqa: E731
    u = np.random.default_rng(2).random((4000, 1))
    for move in range(1, 101):
        proposed = hm.pcn_move(u, 0.6, 4, move)
        u = np.where(hm.accept(log_lik(u), log_lik(proposed), 4, move)[:, None], proposed, u)
    z = ndtri(u[:, 0])
    se = np.sqrt(0.2 / len(z))
    assert abs(z.mean() - 0.8) < 5 * se
    assert z.var() == pytest.approx(0.2, rel=0.1)  # about 4.5 standard errors


def test_a_nuisance_state_is_fitted_jointly_and_not_carried_over(with_state, tmp_path):
    """With blue's starting force uncertain, the fit designs it with the structure: the true
    structural parameters and the true state lie inside their 90% intervals, the state is
    reported as state, and the posterior sample `run --posterior` reads has only the
    structural columns."""
    assert with_state.paths == list(TRUTH) and with_state.state == list(STATE)
    for path, truth in {**TRUTH, **STATE}.items():
        lo, hi = _interval(with_state, path)
        assert lo <= truth <= hi, (path, lo, hi)
    folder, doc = write_fit(with_state, tmp_path / "fit", ["test"])
    assert [r["path"] for r in doc["parameters"]] == list(TRUTH)
    assert [r["path"] for r in doc["state"]] == list(STATE)
    posterior = pd.read_parquet(folder / "posterior.parquet")
    assert sorted(posterior.columns) == sorted([*TRUTH, *(QUANTILE + p for p in TRUTH)])
    assert list(pd.read_parquet(folder / "state.parquet").columns) == list(STATE)
    roles = pd.read_csv(folder / "parameters.csv").set_index("path")["role"]
    assert roles[next(iter(STATE))] == "state" and (roles[list(TRUTH)] == "structural").all()


def test_points_near_the_cut_get_more_replicates(recovered):
    """Every point not ruled out, and every point ruled out by less than the band, has
    been judged on the most replicates; the others on the first few only."""
    from powderkeg.analysis import history_matching as hm

    for w in recovered.waves:
        most = w.replicates == RECOVERY.max_runs_per_point
        assert most[w.ranked <= hm.CUTOFF + hm.BAND].all()
        assert set(np.unique(w.replicates)) <= {RECOVERY.runs_per_point,
                                                 RECOVERY.max_runs_per_point}
    assert recovered.waves[0].runs == int(recovered.waves[0].replicates.sum())


def test_a_points_replicate_runs_follow_the_seed_rule(recovered):
    """Replicate i of point g is run g * most + i: the same values whether the point is
    simulated alone or beside others, and its extra replicates continue its first ones."""
    from powderkeg.analysis.fit import _simulate

    u, engine, r = recovered.points, {"workers": 1}, RECOVERY.runs_per_point
    both = _simulate(recovered, u[[3, 9]], np.array([3, 9]), 0, r + 2, engine, None)
    alone = _simulate(recovered, u[[9]], np.array([9]), 0, r, engine, None)
    extra = _simulate(recovered, u[[9]], np.array([9]), r, r + 2, engine, None)
    assert np.array_equal(both[1], np.concatenate([alone, extra], axis=1)[0])
    assert not np.array_equal(both[0], both[1])


def test_waves_only_rule_out_points_above_the_cutoff(recovered):
    for w in recovered.waves:
        assert np.array_equal(w.nroy, w.implausibility.max(axis=1) <= 3.0)  # 6 observations
    assert recovered.weights.sum() == pytest.approx(1.0)
    ruled_out = ~np.concatenate([w.nroy for w in recovered.waves])
    assert (recovered.weights[ruled_out] == 0).all()
    # Kish's effective sample of weights that sum to one: 1 / sum w^2
    assert recovered.ess == pytest.approx(1 / np.sum(recovered.weights ** 2))
    assert 1 <= recovered.ess <= np.count_nonzero(recovered.weights)


def test_the_observation_hardest_to_match_is_named_first(hindcast):
    """Blue attacks at 2:1 and never falls back, so a front at km 0 on day 25 (sd 0.5) is the
    observation no point matches well: the fit's diagnosis names it first, with the largest
    median implausibility, and each share is that of the points above the cut-off."""
    from powderkeg.analysis.fit import hardest_observations

    obs = _synthetic(hindcast)
    impossible = obs.observations[-2].model_copy(update={"id": "behind_the_start"})
    impossible = impossible.model_copy(update={"km": impossible.km.model_copy(
        update={"value": 0.0, "sd": 0.5})})
    obs = obs.model_copy(update={"observations": [*obs.observations, impossible]})
    job = fit(hindcast, obs, FitSettings(waves=1, points=16, runs_per_point=2,
                                         predictive_runs=20, seed=3), engine={"workers": 1})
    hard = hardest_observations(job.observations)
    assert hard[0]["id"] == "behind_the_start"
    medians = {r["id"]: r["implausibility"]["median_wave1"] for r in job.observations}
    assert max(medians, key=medians.get) == "behind_the_start"
    imp = job.waves[0].implausibility
    ids = [t.id for t in job.fitted]
    for r in job.observations:
        k = ids.index(r["id"])
        assert r["implausibility"]["share_above_cutoff"] == pytest.approx((imp[:, k] > 3).mean())
        assert r["implausibility"]["smallest_wave1"] == pytest.approx(imp[:, k].min())


def test_the_held_out_observations_are_predicted_not_fitted(hindcast):
    import datetime as dt

    obs = _synthetic(hindcast)
    cut = hindcast.date + dt.timedelta(days=15)
    job = fit(hindcast, obs, FitSettings(waves=1, points=16, runs_per_point=2,
                                         predictive_runs=50, seed=1, holdout_after=cut),
              engine={"workers": 1})
    assert [t.id for t in job.fitted] == ["front_d5", "front_d10", "front_d15"]
    held = [r for r in job.observations if not r["fitted"]]
    assert [r["id"] for r in held] == ["front_d20", "front_d25", "strikes"]
    # the predictive intervals are quantiles of the posterior runs plus observation noise
    for r in held:
        lo, hi = r["posterior"]["ci90"]
        assert r["posterior"]["covered"] == (lo <= r["observed"] <= hi)
    from powderkeg.analysis.fit import coverage

    c = coverage(job.observations, fitted=False)
    assert c["observations"] == 3 and c["covered"] == sum(r["posterior"]["covered"] for r in held)


def test_run_i_draws_its_posterior_row_by_the_seed_rule(recovered, hindcast, tmp_path):
    """`run --posterior`: run i takes posterior row floor(M U(seed, "posterior", i)), the
    same alone, in a batch or in any chunking."""
    from powderkeg.model.posterior import draw_rows
    from powderkeg.model.random import Streams

    folder, _ = write_fit(recovered, tmp_path / "fit", ["test"])
    s = with_posterior(hindcast, folder)
    assert build_model(s).posterior.paths == tuple(recovered.paths)
    posterior = pd.read_parquet(folder / "posterior.parquet")
    alone = simulate(s, 3, 2, seed=5, run_offset=40, workers=1)
    chunked = simulate(s, 60, 2, seed=5, chunk_size=7, workers=1)
    rows = draw_rows(Streams(5), np.arange(60), len(posterior))
    for p in recovered.paths:
        values = chunked.parameter_value.sel(parameter=p).values
        assert np.array_equal(alone.parameter_value.sel(parameter=p).values, values[40:43])
        assert np.allclose(values, posterior[p].to_numpy()[rows])
        assert np.allclose(posterior[QUANTILE + p], recovered.sample_u[:, recovered.paths.index(p)])


def test_fit_and_run_from_the_command_line(tmp_path):
    runner = CliRunner()
    out = tmp_path / "fit"
    result = runner.invoke(app, ["fit", str(SCENARIO), "--waves", "2", "--points", "16",
                                 "--runs-per-point", "2", "--max-runs-per-point", "4",
                                 "--out", str(out), "--json",
                                 "--workers", "1", "--quiet", "--holdout-after", "2022-09-15"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["fit_dir"] == str(out) and len(doc["waves"]) <= 2
    assert doc["coverage"]["held_out"]["observations"] == 4  # dated after 15 September
    assert {"posterior.parquet", "points.parquet", "parameters.csv", "observations.csv",
            "waves.csv", "fit.json"} <= {p.name for p in out.iterdir()}
    assert (out / "figures" / "parameters.png").exists()
    run = runner.invoke(app, ["run", str(SCENARIO), "--posterior", str(out), "--runs", "20",
                              "--days", "10", "--out", str(tmp_path / "runs"), "--quiet",
                              "--workers", "1", "--report"])
    assert run.exit_code == 0, run.output
    html = (tmp_path / "runs" / "report.html").read_text()
    assert "Fitted parameters: prior and posterior" in html
    assert "model.combat.advance_km_per_day" in html


def test_a_posterior_of_parameters_the_scenario_lacks_is_refused(recovered, tmp_path):
    folder, _ = write_fit(recovered, tmp_path / "fit", ["test"])
    result = CliRunner().invoke(app, ["run", "autumn-2022", "--posterior", str(folder),
                                      "--runs", "5", "--days", "2", "--quiet"])
    assert result.exit_code == 2
    assert "fits fires[rockets].hit_probability" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["run", str(SCENARIO), "--posterior", str(tmp_path),
                                      "--runs", "5", "--days", "2", "--quiet"])
    assert result.exit_code == 2 and "is not a fit folder" in result.output


@pytest.mark.parametrize(("args", "words"), [
    (["--params", "nothing_like_this"], "no uncertain structural parameters matching"),
    (["--holdout-after", "2022-08-30"], "No observation is dated on or before 2022-08-30"),
    (["--observations", "missing.yaml"], "Cannot read the observations file"),
    (["--max-runs-per-point", "4"], "--max-runs-per-point (4) is below --runs-per-point (8)"),
    (["--weights", "tempered"], "--weights 'tempered' is not one of nroy, likelihood"),
])
def test_bad_fit_requests_are_clear_errors(args, words):
    result = CliRunner().invoke(app, ["fit", str(SCENARIO), "--quiet", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output


def test_a_fit_refuses_a_scenario_without_observations():
    result = CliRunner().invoke(app, ["fit", "autumn-2022", "--quiet"])
    assert result.exit_code == 2 and "names no observations file" in result.output


def test_a_replayed_run_draws_the_same_posterior_row(recovered, hindcast, tmp_path):
    """`story --posterior` tells run i of `run --posterior`: the replay draws the same world."""
    from powderkeg.engine.replay import trace

    folder, _ = write_fit(recovered, tmp_path / "fit", ["test"])
    s = with_posterior(hindcast, folder)
    ds = simulate(s, 10, 3, seed=2, workers=1)
    tr = trace(s, 7, 2, 3)
    advance = ds.parameter_value.sel(parameter="model.combat.advance_km_per_day").values[7]
    assert tr.world.advance_km[0] == advance
    assert np.array_equal(tr.final.front[0].astype(np.float32), ds.front_km.isel(day=-1).values[7])


def test_a_scenario_key_names_the_fit_relative_to_its_file(recovered, tmp_path):
    folder, _ = write_fit(recovered, tmp_path / "fits" / "one", ["test"])
    variant = tmp_path / "variant.yaml"
    variant.write_text(f"extends: {SCENARIO}\nid: hindcast-fitted\nposterior: fits/one\n")
    s = load_scenario(str(variant))
    assert Path(s.posterior) == folder
    direct = simulate(with_posterior(load_scenario(str(SCENARIO)), folder), 8, 2, seed=4,
                      workers=1)
    keyed = simulate(s, 8, 2, seed=4, workers=1)
    assert np.array_equal(direct.parameter_value.values, keyed.parameter_value.values)


def test_a_posterior_on_few_effective_points_is_warned_of_when_used(recovered, tmp_path):
    import warnings

    from powderkeg.analysis.fit import LEARNT_MIN_ESS
    from powderkeg.errors import ResultWarning

    folder, _ = write_fit(recovered, tmp_path / "fit", ["test"])
    doc = json.loads((folder / "fit.json").read_text("utf-8"))
    scenario = load_scenario(str(SCENARIO))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        doc["effective_sample_size"] = LEARNT_MIN_ESS
        (folder / "fit.json").write_text(json.dumps(doc), "utf-8")
        with_posterior(scenario, folder)  # at the threshold: no warning
    doc["effective_sample_size"] = 2.0
    (folder / "fit.json").write_text(json.dumps(doc), "utf-8")
    with pytest.warns(ResultWarning, match="effective sample of 2 points"):
        with_posterior(scenario, folder)
