"""What a report is made from: a results folder's dataset, its scenario and static geometry.

The report only reads: the dataset through :func:`powderkeg.results.load_results`, the
resolved scenario saved beside it, and the geometry compiled from that scenario by
:func:`powderkeg.model.build.build_model`. It never runs the simulation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from powderkeg.analysis.outcomes import outcome_summary
from powderkeg.engine.series import DRAWN, require
from powderkeg.errors import InputError
from powderkeg.model.build import Model, build_model
from powderkeg.results import load_results
from powderkeg.scenario.load import load_scenario
from powderkeg.scenario.schema import Scenario

__all__ = ["ReportInputs", "load_inputs"]


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report shows, loaded once."""

    results_dir: Path
    ds: xr.Dataset
    scenario: Scenario
    model: Model
    summary: dict[str, dict]  # outcome id -> outcome_summary entry
    run_meta: dict  # run.json (empty if absent)

    @property
    def date(self) -> str:
        return str(self.ds.attrs.get("date", self.scenario.date.isoformat()))


def _run_meta(results_dir: Path) -> dict:
    path = results_dir / "run.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path} is not readable JSON ({e}); it should be the run.json that "
                         "`powderkeg run` wrote. Restore it or re-run.") from None


def load_inputs(results_dir: Path) -> ReportInputs:
    """Load a results folder written by ``powderkeg run``."""
    results_dir = Path(results_dir)
    ds = load_results(results_dir)
    require(ds, DRAWN, "The report")
    scenario_file = results_dir / "scenario.yaml"
    if not scenario_file.exists():
        raise InputError(f"{results_dir} has no scenario.yaml, which the report needs for the "
                         "map and the assumptions. Give the folder that `powderkeg run` wrote.")
    scenario = load_scenario(str(scenario_file))
    return ReportInputs(results_dir=results_dir, ds=ds, scenario=scenario,
                        model=build_model(scenario), summary=outcome_summary(ds),
                        run_meta=_run_meta(results_dir))
