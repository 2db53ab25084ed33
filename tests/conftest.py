"""Shared fixtures: the built-in scenario and its compiled model, loaded once per session."""

import pytest

from powderkeg.model.build import build_model
from powderkeg.scenario import load_scenario


@pytest.fixture(scope="session")
def autumn():
    return load_scenario("autumn-2022")


@pytest.fixture(scope="session")
def autumn_model(autumn):
    return build_model(autumn)
