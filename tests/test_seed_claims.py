"""The seed analysis's causal claims as paired what-ifs on the built-in scenario.

Each test runs autumn-2022 and a variant on the same runs and seed (common random numbers)
and checks the direction and the materiality of the effect with a paired 95% interval: the
Newcombe interval for an outcome's probability, a paired t interval for a mean supply ratio.
They test what the argument says must happen, not tuned values.
"""

import numpy as np
import pytest
from conftest import autumn_variant
from scipy import stats

from powderkeg.analysis.compare import compare
from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.model.fires import links_in_reach
from powderkeg.model.random import Streams
from powderkeg.model.world import sample_world

RUNS, DAYS, SEED = 400, 180, 3
WITHDRAWAL = "kherson_westbank_withdrawal"
CROSSINGS = ("antonivskyi_road_bridge", "antonivka_rail_bridge", "kherson_pontoons_ferries",
             "kakhovka_dam_crossing")


def _run(scenario):
    return simulate(scenario, RUNS, DAYS, SEED, workers=2)


def _link(doc, link_id):
    return next(x for x in doc["links"] if x["id"] == link_id)


def _cut(*link_ids):
    def edit(doc):
        for link_id in link_ids:
            _link(doc, link_id).update(at_start=0.0, repair_days=100_000)
    return edit


def _fires(launchers):
    def edit(doc):
        doc["fires"][0]["launchers"] = launchers
    return edit


def _ukraine_holds_melitopol(doc):
    next(x for x in doc["sectors"] if x["id"] == "zaporizhzhia")["front_km"] = 145


@pytest.fixture(scope="module")
def base(autumn):
    return _run(autumn)


def _effect(base_ds, edit, outcome):
    """``(B - A, paired interval)`` of an outcome's probability, variant B against base A."""
    row = next(r for r in compare(base_ds, _run(autumn_variant(edit))) if r["id"] == outcome)
    return row["difference"], row["ci95"]


def _supply_effect(base_ds, variant_ds, demands):
    """Mean over runs of the change in a run's mean supply ratio, with a paired t interval."""
    per_run = lambda ds: ds.supply_ratio.sel(demand=list(demands)).mean(("day", "demand"))  # noqa: E731
    d = (per_run(variant_ds) - per_run(base_ds)).values
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), (d.mean() - half, d.mean() + half)


def test_the_dnipro_crossings_are_within_rocket_reach_on_day_0(autumn):
    m = build_model(autumn)
    world = sample_world(m, Streams(0), np.arange(500))
    reach = links_in_reach(m, world.front0, world.fire_reach[:, 0])
    for link in CROSSINGS:
        assert reach[:, m.link_ids.index(link)].all(), link


def test_no_himars_makes_the_withdrawal_materially_less_likely(base):
    diff, (low, high) = _effect(base, _fires(0), WITHDRAWAL)
    assert high < -0.03, (diff, low, high)


def test_more_himars_make_the_withdrawal_more_likely(base):
    diff, (low, high) = _effect(base, _fires(52), WITHDRAWAL)
    assert low > 0.0, (diff, low, high)


def test_the_kerch_bridge_out_makes_the_withdrawal_much_more_likely(base):
    diff, (low, high) = _effect(base, _cut("kerch_bridge_rail", "kerch_bridge_road"),
                                WITHDRAWAL)
    assert low > 0.15, (diff, low, high)


def test_rails_through_melitopol_cut_starve_the_south(base):
    edit = _cut("novooleksiivka_melitopol_rail", "melitopol_tokmak_rail")
    diff, (low, high) = _effect(base, edit, "crimea_supply_below_half")
    assert low > 0.03, (diff, low, high)
    change, (low, high) = _supply_effect(base, _run(autumn_variant(edit)), ["zaporizhzhia"])
    assert high < -0.05, (change, low, high)


def test_ukraine_holding_melitopol_cuts_the_southern_supply(base):
    variant = _run(autumn_variant(_ukraine_holds_melitopol))
    change, (low, high) = _supply_effect(base, variant, ["zaporizhzhia"])
    assert high < -0.5, (change, low, high)
