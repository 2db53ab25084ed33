"""The compiled ladder of the Kremlin's period, and the compiled crisis returns and opponent
multiplier, give the former NumPy code's results bit for bit.

``kremlin_reference.politics_period`` is the period as it was over the batch. Every decision
day of a chunk, the step's period (``step.politics_period``, the ladder compiled per run) and
the reference run on the same state and must give the same bits in every field of the new
politics state, the forces and the period's record, every recorded choice included; every
day, so do the forces pulled home coming back and the opponent's effectiveness multiplier. The
three built-in scenarios with politics (october-1973 has a mediator), several seeds, and
choices fixed by a player on the ladder's decisions and the others.
"""

from dataclasses import dataclass, fields
from types import SimpleNamespace

import kremlin_reference
import numpy as np
import pytest
import yaml

from powderkeg.engine.simulate import simulate_chunk
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.model import step
from powderkeg.model.escalation import (
    answered_credibility,
    choice_probabilities,
    choose,
    posterior_resolve,
    utilities,
)
from powderkeg.model.kremlin import fixed_choice
from powderkeg.model.kremlin_ladder import yes_no_batch
from powderkeg.model.politics import shift_influence
from powderkeg.scenario import load_scenario
from powderkeg.scenario.decisions import with_decisions


def _same(a, b, where):
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{j}]")
    elif hasattr(a, "__dataclass_fields__"):
        for f in fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), where
        assert a.tobytes() == b.tobytes(), where
    else:
        assert a == b, where


def _compared(monkeypatch, scenario, runs, days, seed):
    """Simulate with each period checked against the reference; counts of what happened."""
    compiled = step.politics_period
    seen = {"periods": 0, "steps_up": 0, "ceasefires": 0, "mediated": 0, "fixed": 0,
            "returned": 0, "mobilized": 0}

    def checked(pm, pw, ps, streams, runs_, day, front, forces, losses, held, obj_sector):
        got = compiled(pm, pw, ps, streams, runs_, day, front, forces, losses, held, obj_sector)
        want = kremlin_reference.politics_period(pm, pw, ps, streams, runs_, day, front, forces,
                                                 losses, held, obj_sector)
        for name, a, b in zip(("state", "forces", "record"), got, want, strict=True):
            _same(a, b, f"{name} day {day}")
        record = got[2]
        seen["periods"] += 1
        seen["steps_up"] += int((record.rung_step > 0).sum())
        seen["ceasefires"] += int(got[0].ceasefire.sum())
        seen["mediated"] += int(record.mediation_offered.sum())
        seen["mobilized"] += int(record.mobilized.sum())
        seen["fixed"] += sum(int(c.fixed.sum()) for c in record.choices.values())
        return got

    def returns(pm, state, ps, day):
        got = compiled_returns(pm, state, ps, day)
        want = kremlin_reference.crisis_returns(pm, state, ps, day)
        _same(got[0].forces, want[0].forces, f"returned forces day {day}")
        _same(got[1], want[1], f"returned politics day {day}")
        seen["returned"] += int((ps.redeploy_until <= day).sum())
        return got

    def multiplier(pm, pw, ps, runs_):
        got = compiled_multiplier(pm, pw, ps, runs_)
        _same(got, kremlin_reference.opponent_multiplier(pm, pw, ps, runs_), "multiplier")
        return got

    compiled_returns, compiled_multiplier = step.crisis_returns, step.opponent_multiplier
    monkeypatch.setattr(step, "politics_period", checked)
    monkeypatch.setattr(step, "crisis_returns", returns)
    monkeypatch.setattr(step, "opponent_multiplier", multiplier)
    simulate_chunk(scenario, Chunk(0, np.arange(runs), days, seed, 1, series=()),
                   model_for(scenario))
    return seen


@pytest.mark.parametrize("name, runs, days, seed", [
    ("autumn-2022", 24, 90, 3), ("autumn-2022", 24, 90, 11), ("summer-2022", 24, 60, 5),
    ("october-1973", 24, 45, 7)])
def test_the_compiled_ladder_gives_the_numpy_periods_bits(monkeypatch, name, runs, days, seed):
    seen = _compared(monkeypatch, load_scenario(name), runs, days, seed)
    assert seen["periods"] > 0 and seen["steps_up"] > 0
    if name == "october-1973":
        assert seen["mediated"] > 0


LADDER_FIXED = [{"period": 1, "decision": "rung", "value": "up"},
                {"period": 2, "decision": "response", "value": "strong"},
                {"period": 2, "decision": "accept_offramp", "value": True},
                {"period": 3, "decision": "opponent_accepts", "value": True},
                {"period": 3, "decision": "rung", "value": "down"}]


@pytest.mark.parametrize("name, extra", [
    ("october-1973", [{"period": 4, "decision": "accept_mediation", "value": True},
                      {"period": 4, "decision": "opponent_accepts_mediation", "value": True}]),
    ("autumn-2022", [{"period": 1, "decision": "mobilize", "value": True},
                     {"period": 4, "decision": "rung", "value": "up"}])])
def test_fixed_choices_give_the_numpy_periods_bits(monkeypatch, tmp_path, name, extra):
    scenario = load_scenario(name)
    path = tmp_path / "decisions.yaml"
    path.write_text(yaml.safe_dump({"decisions": LADDER_FIXED + extra}), "utf-8")
    seen = _compared(monkeypatch, with_decisions(scenario, path), 24,
                     5 * scenario.politics.decision_period_days, 2)
    assert seen["fixed"] > 0 and seen["ceasefires"] > 0
    if name == "autumn-2022":
        assert seen["mobilized"] > 0


def test_the_compiled_equations_are_the_batch_expressions_bit_for_bit():
    rng = np.random.default_rng(8)
    n = 400
    rung = rng.integers(0, 4, n)
    cost = rng.normal(0.0, 1.0, (n, 4))
    w = {k: rng.normal(0.0, 2.0, n) for k in ("hardliner", "threat", "trend", "resolve",
                                                "red_line", "cost", "inertia", "offramp")}
    f = {"H": rng.random(n), "T": rng.random(n), "B": rng.uniform(-1, 1, n), "R": rng.random(n),
         "C": rng.random(n), "O": (rng.random(n) < 0.5).astype(float)}
    u = utilities(rung, cost, w, f)
    assert u.tobytes() == kremlin_reference.utilities(rung, cost, w, f).tobytes()
    lam = rng.lognormal(0.0, 1.0, n)
    p = choice_probabilities(u, lam)
    assert p.tobytes() == kremlin_reference.choice_probabilities(u, lam).tobytes()
    draws = rng.random(n)
    assert np.array_equal(choose(p, draws), kremlin_reference.choose(p, draws))
    a, b = rng.random(n) + 1, rng.random(n) + 1
    up, strong = rng.random(n) < 0.5, rng.random(n) < 0.5
    got = np.array([posterior_resolve(a[i], b[i], up[i], strong[i]) for i in range(n)])
    want = np.stack(kremlin_reference.update_resolve(a, b, up, strong), axis=1)
    assert got.tobytes() == want.tobytes()
    cred, loss = rng.random((n, 3)), rng.random((n, 3))
    crossed = rng.random((n, 3)) < 0.5
    out = np.empty((n, 3))
    for i in range(n):
        answered_credibility(cred[i], crossed[i], up[i], loss[i], out[i])
    assert out.tobytes() == kremlin_reference.update_credibility(cred, crossed, up,
                                                                 loss).tobytes()


@pytest.mark.parametrize("index", [None, 0, 1])
def test_a_two_way_choice_is_the_former_rules(index):
    rng = np.random.default_rng(index or 9)
    p = rng.random(50)
    probabilities = np.stack([1 - p, p], axis=1)
    model = (rng.random(50) < p).astype(int)
    open_ = rng.random(50) < 0.6
    fixed = {} if index is None else {"x": index}
    got = fixed_choice(fixed, "x", ("no", "yes"), probabilities, model, open_)
    want = kremlin_reference.fixed_choice(fixed, "x", ("no", "yes"), probabilities, model, open_)
    _same(got, want, "choice")
    taken, on = yes_no_batch(p, model, open_, -1 if index is None else index)
    assert np.array_equal(taken, want.taken) and np.array_equal(on, want.fixed)


@dataclass(frozen=True)
class _Politics:
    redeployed: np.ndarray
    redeploy_until: np.ndarray
    rung: np.ndarray
    opponent_gain: np.ndarray


@dataclass(frozen=True)
class _State:
    forces: np.ndarray
    politics: _Politics


@pytest.mark.parametrize("side", [0, 1])
def test_crisis_returns_and_the_multiplier_are_the_batch_expressions(side):
    rng = np.random.default_rng(side + 20)
    n, sectors = 60, 5
    until = np.where(rng.random(n) < 0.4, rng.integers(5, 30, n).astype(float), np.inf)
    ps = _Politics(rng.random((n, sectors)) * 500, until, rng.integers(0, 4, n).astype(np.int8),
                   1 + rng.random(n))
    state = _State(rng.random((n, sectors, 2)) * 1e4, ps)
    pm, pw = SimpleNamespace(side=side), SimpleNamespace(rung_opponent_eff=rng.random((n, 4)))
    for day in (3, 12, 40):
        got = step.crisis_returns(pm, state, ps, day)
        want = kremlin_reference.crisis_returns(pm, state, ps, day)
        _same(got, want, f"day {day}")
    assert got[1].redeploy_until.tobytes() == np.full(n, np.inf).tobytes()  # all back by 40
    _same(step.opponent_multiplier(pm, pw, ps, n),
          kremlin_reference.opponent_multiplier(pm, pw, ps, n), "multiplier")
    _same(step.opponent_multiplier(pm, pw, None, n), np.ones((n, 1, 2)), "no politics")


@pytest.mark.parametrize("k", [5, 11])
def test_the_influence_shift_is_the_batch_loop_bit_for_bit(k):
    """Random shares with ties in hawkishness, factions without influence (no critics to
    take it: the ``where=total > 0`` branch), blame and credit on both sides of 1; eleven
    factions sum ten others pairwise as NumPy does."""
    rng = np.random.default_rng(31)
    n = 300
    influence = rng.dirichlet(np.ones(k), n) * (rng.random((n, k)) < 0.7)
    hawkishness = rng.choice([0.2, 0.5, 0.9], (n, k)) * (rng.random((n, k)) < 0.8)
    blame, credit = rng.uniform(0, 2, (n, k)), rng.uniform(0, 1.5, (n, k)) * (rng.random((n, k))
                                                                             < 0.3)
    rate = rng.random(n)
    got = shift_influence(influence, hawkishness, blame, credit, rate)
    want = kremlin_reference.shift_influence(influence, hawkishness, blame, credit, rate)
    assert got.tobytes() == want.tobytes()
    assert (want != influence).any() and (want == influence).any(axis=1).any()
