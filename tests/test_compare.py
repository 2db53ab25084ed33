"""Paired comparison of two scenarios on the same runs: published interval values, coverage at
the nominal rate, and the gain from common random numbers on the built-in scenario."""

import numpy as np
import pytest

from powderkeg.analysis.compare import (
    _corrected_phi,
    compare,
    newcombe_paired_interval,
    newcombe_unpaired_interval,
    parse_spec,
)
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError
from powderkeg.scenario.load import with_policy

# ---------------------------------------------------------------- published values


@pytest.mark.parametrize("counts, expected", [
    # Newcombe (1998a), Stat Med 17:873, Table II, examples (a) and (b), method 10
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    # Fagerland, Lydersen & Laake (2017), ch. 4: Perondi et al. (2004), 7/34 vs 1/34
    ((7, 34, 1, 34), (0.0189, 0.3404)),
])
def test_unpaired_interval_matches_published_values(counts, expected):
    low, high = newcombe_unpaired_interval(*counts)
    assert (round(float(low), 4), round(float(high), 4)) == expected


def test_paired_interval_matches_published_value():
    # Fagerland, Lydersen & Laake (2014), Stat Med 33:2850: Cavo et al. (2012), pairs
    # (both, first only, second only, neither) = (59, 6, 16, 80); Newcombe square-and-add.
    low, high = newcombe_paired_interval(59, 6, 16, 80)
    assert (round(float(low), 4), round(float(high), 4)) == (-0.1186, -0.0046)


def test_paired_interval_without_correlation_is_the_unpaired_one():
    # e*h - f*g = 200 - 200 = 0 <= n/2: the corrected correlation is 0.
    e, f, g, h = 10, 20, 10, 20
    paired = newcombe_paired_interval(e, f, g, h)
    unpaired = newcombe_unpaired_interval(e + f, 60, e + g, 60)
    np.testing.assert_allclose(paired, unpaired)


# ---------------------------------------------------------------- coverage


def _covers(low, high, value):
    return float(np.mean((low <= value) & (value <= high)))


def test_paired_interval_covers_at_nominal_rate():
    rng = np.random.default_rng(20221012)
    cells = [0.25, 0.10, 0.05, 0.60]  # both, first only, second only, neither
    e, f, g, h = rng.multinomial(400, cells, size=2000).T
    true = cells[1] - cells[2]
    paired = _covers(*newcombe_paired_interval(e, f, g, h), true)
    unpaired = _covers(*newcombe_unpaired_interval(e + f, 400, e + g, 400), true)
    assert 0.93 <= paired <= 0.97
    # Ignoring the positive correlation wastes width: the unpaired interval over-covers.
    assert unpaired > 0.98


def test_unpaired_interval_covers_at_nominal_rate_on_independent_samples():
    rng = np.random.default_rng(7)
    x1, x2 = rng.binomial(200, 0.35, 2000), rng.binomial(200, 0.30, 2000)
    assert 0.93 <= _covers(*newcombe_unpaired_interval(x1, 200, x2, 200), 0.05) <= 0.97


# ---------------------------------------------------------------- on simulated runs


@pytest.fixture(scope="module")
def policy_pair(autumn):
    a = simulate(with_policy(autumn, "match_strength"), 400, 120, seed=3)
    b = simulate(with_policy(autumn, "offer_offramp"), 400, 120, seed=3)
    return a, b


def _width(interval):
    return interval[1] - interval[0]


def test_paired_interval_is_narrower_on_common_random_numbers(policy_pair):
    rows = compare(*policy_pair)
    assert {r["id"] for r in rows} == set(policy_pair[0].outcome.values)
    varied = 0
    for r in rows:
        assert r["difference"] == pytest.approx(r["probability_b"] - r["probability_a"])
        assert r["ci95"][0] <= r["difference"] <= r["ci95"][1]
        # the paired interval is the unpaired one narrowed by the pairs' positive correlation
        # (and widened by a negative one): Newcombe (1998b), method 10
        f, g = r["discordant"]["only_b"], r["discordant"]["only_a"]
        e = round(r["probability_b"] * 400) - f
        phi = float(_corrected_phi(e, f, g, 400 - e - f - g))
        if phi >= 0:
            assert _width(r["ci95"]) <= _width(r["ci95_unpaired"]) + 1e-12, r["id"]
        if phi > 0:
            assert _width(r["ci95"]) < _width(r["ci95_unpaired"]), r["id"]
            varied += 1
    assert varied >= 5
    ceasefire = next(r for r in rows if r["id"] == "negotiated_ceasefire")
    assert ceasefire["ci95"][0] > 0  # offering off-ramps makes a ceasefire more likely


def test_same_scenario_differs_by_exactly_zero(policy_pair):
    a, _ = policy_pair
    for r in compare(a, a):
        assert r["difference"] == 0.0
        assert r["discordant"] == {"only_b": 0, "only_a": 0}
        assert r["ci95"][0] <= 0.0 <= r["ci95"][1]
        assert r["ci95_unpaired"][0] <= 0.0 <= r["ci95_unpaired"][1]


def test_compare_refuses_runs_that_do_not_pair(policy_pair):
    a, b = policy_pair
    with pytest.raises(InputError, match="seed"):
        compare(a, b.assign_attrs(seed=4))
    with pytest.raises(InputError, match="runs"):
        compare(a, b.isel(run=slice(0, 200)))


# ---------------------------------------------------------------- SCENARIO[:POLICY]


@pytest.mark.parametrize("text, expected", [
    ("autumn-2022", ("autumn-2022", None)),
    ("autumn-2022:offer_offramp", ("autumn-2022", "offer_offramp")),
    ("what-ifs/a:b.yaml:mixed", ("what-ifs/a:b.yaml", "mixed")),
    ("what-ifs/a:b.yaml", ("what-ifs/a:b.yaml", None)),
    (r"C:\scenarios\bridge.yaml", (r"C:\scenarios\bridge.yaml", None)),
])
def test_parse_spec_splits_only_at_a_policy(text, expected):
    assert parse_spec(text) == expected


def test_an_unknown_policy_is_named_with_the_scenario_s_policies(autumn):
    from powderkeg.scenario.load import with_policy

    assert parse_spec("autumn-2022:offer_offrmp") == ("autumn-2022", "offer_offrmp")
    with pytest.raises(InputError, match="offer_offrmp.*match_strength, offer_offramp, mixed"):
        with_policy(autumn, "offer_offrmp")


def test_parse_spec_keeps_an_existing_file_whole(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bridge:down").write_text("id: x\n")
    assert parse_spec("bridge:down") == ("bridge:down", None)
