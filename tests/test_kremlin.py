"""The Kremlin half: logit choice, coup hazard, couplings with the battlefield, red lines,
calibration against a hand-computed example."""

import numpy as np
import pytest
from scipy import stats

from powderkeg.analysis.intervals import jeffreys_interval
from powderkeg.model.calibration import calibrate
from powderkeg.model.escalation import (
    STEPS,
    answered_credibility,
    choice_probabilities,
    choose,
    posterior_resolve,
    utilities,
)
from powderkeg.model.politics import fragmentation, shift_influence
from powderkeg.model.random import Streams


def test_logit_picks_the_best_option_at_high_precision():
    u = np.array([[0.1, 0.5, 0.2], [2.0, -1.0, 1.9]])
    p = choice_probabilities(u, 1e6)
    np.testing.assert_allclose(p, [[0, 1, 0], [1, 0, 0]], atol=1e-12)


def test_logit_is_uniform_at_zero_precision_and_respects_the_ladder_ends():
    u = np.array([[0.1, 5.0, -3.0], [-np.inf, 1.0, 2.0]])
    p = choice_probabilities(u, 0.0)
    np.testing.assert_allclose(p, [[1 / 3] * 3, [0, 0.5, 0.5]])


def test_logit_frequencies_match_probabilities():
    u = np.tile([[0.0, 0.7, -0.4]], (40_000, 1))
    p = choice_probabilities(u, 1.3)
    draws = choose(p, Streams(5).uniform("logit", np.arange(40_000), 1)[:, 0])
    for j, step in enumerate(STEPS):
        low, high = jeffreys_interval(np.sum(draws == step), len(draws), level=0.999)
        assert low <= p[0, j] <= high


def test_utilities_follow_the_formula():
    w = dict(hardliner=1.0, threat=2.0, trend=0.5, resolve=-4.0, red_line=1.0, cost=1.0,
             inertia=0.5, offramp=3.0)
    f = dict(H=0.6, T=0.5, B=-0.2, R=0.75, C=0.4, O=1.0)
    cost = np.array([[0.0, 0.3, 0.8]])
    drive = 0.6 + 1.0 + 0.1 - 1.0 + 0.4
    u = utilities(np.array([1]), cost, w, f)
    np.testing.assert_allclose(u, [[-drive - 0.0 - 0.5 + 3.0, -0.3, drive - 0.8 - 0.5]])
    assert utilities(np.array([2]), cost, w, f)[0, 2] == -np.inf


def test_red_line_credibility_falls_monotonically_when_crossed_without_consequence():
    cred, crossed, loss = np.array([0.8]), np.array([True]), np.array([0.2])
    history = [cred[0]]
    for _ in range(10):
        answered_credibility(cred.copy(), crossed, False, loss, cred)
        history.append(cred[0])
    assert np.all(np.diff(history) < 0)
    np.testing.assert_allclose(history[-1], 0.8 * 0.8**10)
    answered = np.empty(1)
    answered_credibility(cred, crossed, True, loss, answered)
    assert answered[0] == cred[0]


def test_resolve_is_a_beta_bernoulli_posterior():
    pairs = [posterior_resolve(3.0, 2.0, up, strong)
             for up, strong in [(True, True), (True, False), (False, True)]]
    np.testing.assert_allclose(pairs, [(4, 2), (3, 3), (3, 2)])


def test_influence_shift_conserves_shares_and_moves_to_critics():
    infl = np.array([[0.5, 0.3, 0.2]])
    hawk = np.array([[0.5, 0.9, 0.1]])
    out = shift_influence(infl, hawk, np.array([[1.0, 0, 0]]), np.zeros((1, 3)), np.array([0.2]))
    np.testing.assert_allclose(out.sum(), 1.0)
    # only faction 1 is more hawkish than the blamed faction 0: it takes all 0.2 * 0.5
    np.testing.assert_allclose(out, [[0.4, 0.4, 0.2]])
    assert fragmentation(np.array([[1.0, 0, 0]]))[0] == 0


def test_calibration_matches_a_hand_computed_two_case_example():
    """Two cases at rung 1 of costs (0, 1, 2), precision 1, all weights 0 but ``resolve``.

    Theory A (resolve -2): case 1 (strong opponent R=1, Russia backed down) has drive -1, so
    U = (1 - 0, -1, -1 - 2) = (1, -1, -3); case 2 (weak R=0, escalated) drive +1, U = (-1, -1, -1).
    Theory B (resolve +2) mirrors: case 1 U = (-1, -1, -1), case 2 U = (1, -1, -3).
    """
    from types import SimpleNamespace as Case

    cases = [Case(id="one", regime_threat=0.0, opponent_strength=1.0, red_line_crossed=False,
                  offramp=False, response="backed_down"),
             Case(id="two", regime_threat=0.0, opponent_strength=0.0, red_line_crossed=False,
                  offramp=False, response="escalated")]
    zero = dict(hardliner=0.0, threat=0.0, trend=0.0, red_line=0.0, cost=1.0, inertia=0.0,
                offramp=0.0)
    weights = {"weakness_invites": {**zero, "resolve": -2.0},
               "cornered_escalates": {**zero, "resolve": 2.0}}
    c = calibrate(weights, 1.0, [0.0, 1.0, 2.0], 1, cases, prior=(0.5, 0.5))
    e = np.e
    p_a1 = e**1 / (e**1 + e**-1 + e**-3)  # A gives 'down' in case 1
    p_a2 = 1 / 3  # A gives 'up' in case 2 (three equal utilities)
    p_b1 = 1 / 3
    p_b2 = e**-3 / (e**1 + e**-1 + e**-3)  # B gives 'up' in case 2
    np.testing.assert_allclose(c.probabilities, [[p_a1, p_b1], [p_a2, p_b2]])
    log_bf = np.log(p_a1 * p_a2) - np.log(p_b1 * p_b2)
    assert c.log_bayes_factor == pytest.approx(log_bf)
    assert c.posterior[0] == pytest.approx(1 / (1 + np.exp(-log_bf)))


def test_calibration_of_the_shipped_case_base_is_finite(autumn):
    from powderkeg.model.calibration import calibrate_scenario
    from powderkeg.scenario.cases import load_cases

    assert len(load_cases()) >= 15
    c = calibrate_scenario(autumn)
    assert np.isfinite(c.log_bayes_factor)
    assert np.all((c.probabilities > 0) & (c.probabilities < 1))
    assert c.posterior.sum() == pytest.approx(1.0)


def test_coup_hazard_gives_a_geometric_time_to_first_attempt():
    """With constant covariates the attempt day is geometric with the hazard's probability
    (on the small politics fixture with daily decisions: the hazard per period does not need
    the whole theatre, nor two weeks a period)."""
    from conftest import frozen_politics, small_politics

    from powderkeg.engine.simulate import simulate

    s, hazard = frozen_politics(variant=small_politics, period_days=1)
    ds = simulate(s, 3000, 40, seed=2)
    day = ds.event_day.sel(outcome="coup_attempt").values
    periods = day[~np.isnan(day)]  # attempts happen on period ends: days 1, 2, ...
    assert np.all(periods == np.round(periods))
    observed = np.bincount(periods.astype(int), minlength=41)[1:41]
    expected = 3000 * hazard * (1 - hazard) ** np.arange(40)
    assert stats.chisquare(observed[:12], expected[:12] * observed[:12].sum()
                           / expected[:12].sum()).pvalue > 1e-3
    never = np.isnan(day).mean()
    low, high = jeffreys_interval(np.isnan(day).sum(), 3000, level=0.999)
    assert low <= (1 - hazard) ** 40 <= high, never


def _run_states(s, runs=400, days=120, seed=4):
    from powderkeg.model.build import build_model
    from powderkeg.model.step import init_state, step
    from powderkeg.model.world import sample_world

    m = build_model(s)
    ids = np.arange(runs)
    streams = Streams(seed)
    world = sample_world(m, streams, ids)
    state = init_state(m, world, streams, ids)
    for _ in range(days):
        state = step(m, world, state, streams, ids)
    return m, world, state


def test_a_collapsing_front_raises_blame_hardliners_and_mutiny():
    from conftest import autumn_variant

    def collapse(doc):  # the fronts the defence ministry commands collapse; Bakhmut holds
        for sec in doc["sectors"]:
            if sec["id"] == "bakhmut":
                continue
            sec["forces"]["russia"] = {"value": 2000, "note": "test: a collapsing front"}
            sec["forces"]["ukraine"] = {"value": 60000, "note": "test"}

    def stable(doc):
        doc["model"]["combat"]["advance_km_per_day"] = 0.0

    m, w, crash = _run_states(autumn_variant(collapse), days=56)
    _, _, calm = _run_states(autumn_variant(stable), days=56)
    mil = m.politics.military
    hard = m.politics.move_gainers[m.politics.move_ids.index("promote_hardliner")]
    assert crash.politics.setbacks.mean() > calm.politics.setbacks.mean()
    assert crash.politics.blame[:, mil].mean() > calm.politics.blame[:, mil].mean()
    attempts = lambda st: st.politics.event_day[:, m.politics.event("coup_attempt")] >= 0  # noqa: E731
    assert attempts(crash).mean() > attempts(calm).mean()
    # blame moves influence to the hawkish critics; compare the same runs (common random
    # numbers) where no crisis has broken a faction in either variant
    quiet = ~attempts(crash) & ~attempts(calm) & crash.politics.alive.all(axis=1) \
        & calm.politics.alive.all(axis=1)
    assert quiet.sum() > 50
    hardliners = lambda st: st.politics.influence[quiet][:, hard].sum(axis=1)  # noqa: E731
    gain = hardliners(crash) - hardliners(calm)
    assert gain.mean() > 0 and stats.ttest_1samp(gain, 0.0).pvalue < 1e-6


def test_a_redeployment_home_lowers_the_forces_in_the_theater():
    from conftest import autumn_variant

    def crisis(p_redeploy):
        def edit(doc):
            reg = doc["politics"]["regime"]
            reg.update(intercept=12.0, setbacks=0.0, fragmentation=0.0, armed_outside=0.0,
                       unanswered_blame=0.0, redeploy_probability=p_redeploy,
                       redeploy_fraction=0.5, redeploy_days=1000)
        return autumn_variant(edit)

    m, _, pulled = _run_states(crisis(1.0), runs=100, days=15)
    _, _, kept = _run_states(crisis(0.0), runs=100, days=15)
    assert (pulled.politics.event_day[:, m.politics.event("forces_redeployed")] == 14).all()
    ratio = pulled.forces[..., 1].sum(axis=1) / kept.forces[..., 1].sum(axis=1)
    assert np.all(ratio < 0.75) and np.all(ratio > 0.3)


def test_calibrated_theory_weights_are_the_posterior_of_the_case_base():
    from conftest import autumn_variant

    from powderkeg.model.build import build_model
    from powderkeg.model.calibration import calibrate_scenario

    def calibrated(doc):
        doc["politics"]["escalation"]["theory_weights"] = "calibrated"

    s = autumn_variant(calibrated)
    np.testing.assert_allclose(build_model(s).politics.theory_weights,
                               calibrate_scenario(s).posterior)


def test_a_mobilisation_feeds_forces_into_the_theater_after_its_lag_and_costs_blame():
    from conftest import autumn_variant

    def called_up(size):
        def edit(doc):  # a certain call-up at the first decision (day 14), or none at all
            if size is None:
                del doc["politics"]["mobilization"]
            else:
                doc["politics"]["mobilization"].update(intercept=50.0, size=size, lag_days=10,
                                                       arrival_days=20, blame_cost=0.5)
        return autumn_variant(edit)

    m, _, before = _run_states(called_up(100_000), runs=60, days=20)
    _, _, none_before = _run_states(called_up(None), runs=60, days=20)
    np.testing.assert_allclose(before.forces, none_before.forces)  # still within the lag
    assert (before.politics.event_day[:, m.politics.event("mobilization")] == 14).all()
    mil = m.politics.military  # the call-up is blamed on the military command
    np.testing.assert_allclose(before.politics.blame[:, mil] - none_before.politics.blame[:, mil],
                               0.5)
    _, _, mobilised = _run_states(called_up(100_000), runs=60, days=60)
    _, _, none = _run_states(called_up(None), runs=60, days=60)
    gained = mobilised.forces[..., 1].sum(axis=1) - none.forces[..., 1].sum(axis=1)
    # 100,000 arrive over days 24-44 (the fighting then differs, so not exactly that)
    assert np.all(gained > 50_000)


def _red_lines_crossed(scenario, runs=200, days=120):
    """Share of runs in which each red line was crossed by ``days`` (L,) and their ids."""
    from powderkeg.model.build import build_model
    from powderkeg.model.step import init_state, step
    from powderkeg.model.world import sample_world

    m = build_model(scenario)
    streams, ids = Streams(4), np.arange(runs)
    world = sample_world(m, streams, ids)
    state = init_state(m, world, streams, ids)
    ever = np.zeros((runs, m.politics.red_line_links.shape[0]), dtype=bool)
    for _ in range(days):
        state = step(m, world, state, streams, ids)
        ever |= state.politics.crossed
    return ever.mean(axis=0), [r.id for r in scenario.politics.escalation.red_lines]


def test_red_lines_are_crossed_when_their_links_are_hit_or_weapons_arrive(autumn):
    share, ids = _red_lines_crossed(autumn)
    crossed = dict(zip(ids, share, strict=True))
    # raids across the border hit Russian territory; strong responses bring Western weapons;
    # both reach the leader's next decision (they used to be reset before it)
    assert crossed["russian_territory"] > 0.1
    assert crossed["western_weapons"] > 0.3
    assert crossed["crimea"] > 0.1


def test_validate_warns_of_a_red_line_nothing_can_cross(autumn):
    from conftest import autumn_variant

    from powderkeg.model.kremlin_params import never_crossed_red_lines

    assert never_crossed_red_lines(autumn) == []

    def no_raids(doc):
        doc["deep_strikes"] = [d for d in doc["deep_strikes"]
                               if d["id"] != "cross_border_strikes"]

    warned = never_crossed_red_lines(autumn_variant(no_raids))
    assert [place for place, _ in warned] == [
        "politics.escalation.red_lines[1] (russian_territory)"]
