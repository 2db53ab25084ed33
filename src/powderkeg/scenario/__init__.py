"""Scenario files: the schema, numbers with sources, loading (with ``extends``) and built-ins."""

from powderkeg.scenario.load import builtin_ids, load_scenario, scenario_to_yaml
from powderkeg.scenario.schema import Scenario

__all__ = ["Scenario", "builtin_ids", "load_scenario", "scenario_to_yaml"]
