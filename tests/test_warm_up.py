"""``warm_up`` compiles every kernel signature the built-in scenarios use.

The first run after an install shows compilation as its own phase
(``model.compiled.warm_up``); a kernel compiled later, inside the simulation, would be
paid unannounced in the middle of a run (and in a worker of every pool). A change of an
argument's dtype or memory layout (a fancy index gives Fortran order) is enough for Numba
to compile again, which is what this test catches.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

import powderkeg.model as model_package
from powderkeg.engine.simulate import simulate
from powderkeg.engine.worker import model_for
from powderkeg.model.compiled import warm_up, warm_up_model
from powderkeg.model.fires import hits_dtype
from powderkeg.scenario import load_scenario
from powderkeg.scenario.load import extend_document, validate_document


def _dispatchers() -> dict:
    modules = [importlib.import_module(f"powderkeg.model.{m.name}")
               for m in pkgutil.iter_modules(model_package.__path__)]
    return {f"{m.__name__}.{name}": obj for m in modules for name, obj in vars(m).items()
            if isinstance(obj, CPUDispatcher)}


@pytest.mark.parametrize("scenario", ["autumn-2022", "summer-2022", "october-1973"])
def test_a_built_in_scenario_compiles_nothing_after_warm_up(scenario):
    warm_up()
    kernels = _dispatchers()
    before = {name: set(k.signatures) for name, k in kernels.items()}
    simulate(load_scenario(scenario), 12, 15, 0)
    new = {name: sorted(map(str, set(k.signatures) - before[name]))
           for name, k in kernels.items() if set(k.signatures) - before[name]}
    assert new == {}


def test_a_scenario_of_other_dtypes_compiles_nothing_after_its_own_warm_up():
    """More missions a day than an int8 counts make the day's hits int16: kernels the
    built-ins never called with int16 are compiled (or loaded) by ``warm_up_model``."""
    many = validate_document(extend_document("autumn-2022", {
        "id": "many-missions", "fires": [{"id": "himars", "max_missions_per_day": 400}]}),
        "many-missions")
    assert hits_dtype(model_for(load_scenario("autumn-2022"))) == np.int8
    assert hits_dtype(model_for(many)) == np.int16
    warm_up()
    warm_up_model(model_for(many))
    kernels = _dispatchers()
    before = {name: set(k.signatures) for name, k in kernels.items()}
    simulate(many, 12, 15, 0)
    new = {name: sorted(map(str, set(k.signatures) - before[name]))
           for name, k in kernels.items() if set(k.signatures) - before[name]}
    assert new == {}
