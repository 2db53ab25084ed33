"""Shared fixtures: the built-in scenario and its compiled model, loaded once per session."""

from pathlib import Path

import pytest

from powderkeg.model.build import build_model
from powderkeg.scenario import load_scenario


@pytest.fixture(scope="session", autouse=True)
def compiled_solver():
    """Compile the supply solver (or load Numba's cache) once, before any test's workers."""
    from powderkeg.model.compiled import warm_up

    warm_up()


@pytest.fixture(scope="session")
def autumn():
    return load_scenario("autumn-2022")


@pytest.fixture(scope="session")
def autumn_model(autumn):
    return build_model(autumn)


def tiny_document(**changes) -> dict:
    """A minimal valid scenario: one sector between two towns, one bridge, one deep strike."""
    doc = {
        "id": "tiny", "title": "Tiny", "date": "2022-10-12", "sides": ["blue", "red"],
        "nodes": [
            {"id": "a", "lat": 47.0, "lon": 33.0, "sector": "front"},
            {"id": "b", "lat": 47.0, "lon": 34.0, "sector": "front"},
            {"id": "depot", "lat": 47.0, "lon": 35.0, "control": "red"},
        ],
        "links": [
            {"id": "bridge", "from": "depot", "to": "b", "mode": "bridge", "capacity": 1000},
            {"id": "road", "from": "a", "to": "b", "mode": "road", "capacity": 500},
        ],
        "sectors": [{
            "id": "front", "axis": ["a", "b", "depot"], "front_km": 10,
            "objectives": [{"id": "town_b", "node": "b"}],
            "forces": {"blue": 1000, "red": 1000},
        }],
        "supply": {
            "sources": [{"id": "s", "side": "red", "node": "depot", "tons_per_day": 5000}],
            "demands": [{"id": "front_red", "side": "red", "sector": "front",
                         "depots": [["b"]], "tons_per_day": 100}],
        },
        "deep_strikes": [{"id": "raid", "side": "blue", "targets": ["bridge"],
                          "rate_per_day": 0.02, "success_probability": 0.5}],
        "model": {
            "combat": {"attrition_rate": {"blue": 0.001, "red": 0.001}, "weiss_exponent": 1,
                       "static_intensity": 0.5, "advance_km_per_day": 1,
                       "advance_threshold": 1.5, "river_crossing_ratio": 3,
                       "river_advance_factor": 0.1, "noise_sigma": 0},
            "logistics": {"supply_floor": 0.3, "rationing_days": 3,
                          "damage_fraction": {"rail": 0.5, "road": 0.5, "bridge": 0.5,
                                              "ferry": 0.5},
                          "repair_days": {"rail": 5, "road": 5, "bridge": 5, "ferry": 5}},
            "withdrawal": {"supply_ratio_below": 0.5, "force_ratio_above": 1.5,
                           "untenable_days": 3, "daily_probability": 0.2, "loss_fraction": 0},
        },
        "outcomes": [{"id": "bridge_hit", "kind": "link_struck", "links": ["bridge"]}],
    }
    for key, value in changes.items():
        doc[key] = value
    return doc


def tiny_scenario(**changes):
    from powderkeg.scenario.references import reference_problems
    from powderkeg.scenario.schema import Scenario

    s = Scenario.model_validate(tiny_document(**changes))
    assert reference_problems(s) == []
    return s


def autumn_variant(edit):
    """The built-in scenario with ``edit(doc)`` applied to its resolved document."""
    from powderkeg.scenario.load import resolve_document
    from powderkeg.scenario.references import reference_problems
    from powderkeg.scenario.schema import Scenario

    doc, _ = resolve_document("autumn-2022")
    edit(doc)
    s = Scenario.model_validate(doc)
    assert reference_problems(s) == []
    return s


SMALL_POLITICS = Path(__file__).parent / "fixtures" / "politics-small.yaml"


def small_politics(edit=None):
    """The small politics fixture (one front, three theories, its own case base), with
    ``edit(doc)`` applied to its resolved document."""
    from powderkeg.scenario.load import resolve_document
    from powderkeg.scenario.references import reference_problems
    from powderkeg.scenario.schema import Scenario

    doc, _ = resolve_document(str(SMALL_POLITICS))
    if edit is not None:
        edit(doc)
    s = Scenario.model_validate(doc)
    assert reference_problems(s) == []
    return s


def frozen_politics(_autumn=None, hazard: float = 0.05, variant=autumn_variant,
                    period_days: int | None = None):
    """A scenario (autumn-2022, or ``variant=small_politics``) with a coup hazard that ignores
    its covariates: constant ``hazard`` per decision period (of ``period_days`` if given)."""
    import math

    def edit(doc):
        if period_days is not None:
            doc["politics"]["decision_period_days"] = period_days
        regime = doc["politics"]["regime"]
        regime["intercept"] = math.log(hazard / (1 - hazard))
        for key in ("setbacks", "fragmentation", "armed_outside", "unanswered_blame"):
            regime[key] = 0.0

    return variant(edit), hazard


def block_import(monkeypatch, module: str) -> None:
    """Make ``import module`` fail as if the package were not installed."""
    import builtins

    real_import = builtins.__import__

    def blocked(name, *args, **kwargs):
        if name == module:
            raise ImportError(f"No module named '{module}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
