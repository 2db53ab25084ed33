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

import pytest
from numba.core.registry import CPUDispatcher

import powderkeg.model as model_package
from powderkeg.engine.simulate import simulate
from powderkeg.model.compiled import warm_up
from powderkeg.scenario import load_scenario


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
