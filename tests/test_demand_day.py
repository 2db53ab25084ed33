"""The compiled per-run glue of the day gives the former NumPy glue's results bit for bit.

``glue_reference`` keeps that glue (the batch functions over all runs). Every day of a chunk
of each built-in scenario, the step's compiled passes and the reference run on the same
arrays and must give the same bytes: the needs (``step._need``), the supply ratios, stocks,
supply multipliers and sectors' ratios (``step._after_supply``), who holds each node
(``node_control``), the depots the bank rule allows (``depot_allowed``, with the
bridgeheads lost) and the outcomes' streaks and first days (``outcomes_today``).
"""

import glue_reference as ref
import numpy as np
import pytest

from powderkeg.engine.simulate import simulate_chunk
from powderkeg.engine.worker import Chunk, model_for
from powderkeg.model import step
from powderkeg.model.demand_day import delivered_over_need, supply_ratio
from powderkeg.model.logistics import (
    demand_need,
    posture_need_factor,
    stock_update,
    supply_effectiveness,
)
from powderkeg.model.theater import posture_on
from powderkeg.scenario import load_scenario


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _compared(monkeypatch, scenario, runs, days):
    """Simulate with each day's glue checked against the reference; counts of what the
    days exercised."""
    counts = dict.fromkeys(("days", "posture_changed", "short", "refilled", "lost",
                            "depots_barred", "happened"), 0)
    compiled = {name: getattr(step, name) for name in (
        "_need", "_after_supply", "node_control", "depot_allowed", "outcomes_today")}

    def need(model, world, forces, posture):
        got = compiled["_need"](model, world, forces, posture)
        assert _same(got, ref.need(model, world, forces, posture))
        counts["posture_changed"] += int((posture != posture_on(model, 0)).any())
        return got

    def after_supply(model, world, stock, supply):
        got = compiled["_after_supply"](model, world, stock, supply)
        want = ref.after_supply(model, world, stock, supply.delivered, supply.need)
        for a, b in zip(got, want, strict=True):
            assert _same(a, b)
        counts["days"] += 1
        counts["short"] += int((got.ratio < 1).sum())
        counts["refilled"] += int((got.stock > stock).sum())
        return got

    def node_control(model, front):
        got = compiled["node_control"](model, front)
        assert _same(got, ref.node_control(model, front))
        return got

    def depot_allowed(model, g, side, river_km, front):
        got = compiled["depot_allowed"](model, g, side, river_km, front)
        lost = ref.bridgehead_lost(model, river_km, front)
        assert _same(got, ref.depot_allowed(model, g, side, river_km, lost))
        counts["lost"] += int(lost.sum())
        counts["depots_barred"] += int((~got).sum())
        return got

    def outcomes_today(model, world, tracker, *arrays):
        got = compiled["outcomes_today"](model, world, tracker, *arrays)
        want = ref.outcomes_today(model, world, tracker, *arrays)
        assert _same(got.streak, want.streak) and _same(got.first_day, want.first_day)
        counts["happened"] += int((got.first_day >= 0).sum())
        return got

    for name, checked in [("_need", need), ("_after_supply", after_supply),
                          ("node_control", node_control), ("depot_allowed", depot_allowed),
                          ("outcomes_today", outcomes_today)]:
        monkeypatch.setattr(step, name, checked)
    simulate_chunk(scenario, Chunk(0, np.arange(runs), days, 3, 1, series=()),
                   model_for(scenario))
    return counts


@pytest.mark.parametrize("name, runs, days, posture, bridgeheads", [
    ("autumn-2022", 30, 90, False, True), ("october-1973", 30, 60, False, False),
    ("summer-2022", 30, 44, True, True)])
def test_the_compiled_glue_gives_the_numpy_glues_bits(monkeypatch, name, runs, days, posture,
                                                      bridgeheads):
    counts = _compared(monkeypatch, load_scenario(name), runs, days)
    assert counts["days"] == days
    # the branches the comparison covers: shortages, refills, barred depots and outcomes
    # that happen; summer-2022's posture schedule changes who attacks (the need's factor),
    # and bridgeheads are lost in the two scenarios of 2022
    assert counts["short"] > 0 and counts["refilled"] > 0 and counts["happened"] > 0
    assert counts["depots_barred"] > 0
    assert (counts["posture_changed"] > 0) == posture
    assert (counts["lost"] > 0) == bridgeheads


def test_the_equations_closed_forms():
    # a demand's need follows its forces in steps of 2% and the posture's factor
    assert demand_need(2000.0, 30_000.0, 20_000.0, 1.0) == 3000.0
    assert demand_need(2000.0, 20_100.0, 20_000.0, 1.0) == 2000.0  # 0.5% is under a step
    assert demand_need(500.0, 1.0, 1.0, 1.5) == 750.0
    assert posture_need_factor(1.5, True, False) == 1.5
    assert posture_need_factor(1.5, False, True) == 1.5 ** -1.0
    assert posture_need_factor(1.5, True, True) == 1.0
    # ratios: uncapped for the stocks, capped at one for combat; nothing needed is no ratio
    assert delivered_over_need(300.0, 200.0) == 1.5 and supply_ratio(300.0, 200.0) == 1.0
    assert supply_ratio(50.0, 200.0) == 0.25 and delivered_over_need(5.0, 0.0) == 5e9
    # stocks fall by a day less what came, within [0, max]
    assert [stock_update(s, d, 14.0) for s, d in [(5.0, 0.2), (0.5, 0.2), (14.0, 1.0),
                                                   (13.5, 2.0)]] == [4.2, 0.0, 14.0, 14.0]
    eff = [supply_effectiveness(s, d, 0.3, 3.0) for s, d in [(10.0, 0.0), (0.0, 0.5),
                                                              (0.0, 0.0)]]
    assert eff == pytest.approx([1.0, 0.65, 0.3])
