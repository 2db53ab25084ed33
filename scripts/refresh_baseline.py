"""Refresh the committed fixed-seed baseline of the built-in scenario.

Run it only on purpose, after a change meant to move the model's results, and commit the new
file with the change that explains it:

    .venv/bin/python scripts/refresh_baseline.py
"""

import json
from pathlib import Path

from powderkeg.engine.simulate import simulate
from powderkeg.scenario import load_scenario

RUNS, DAYS, SEED = 500, 120, 0
OUT = Path(__file__).resolve().parent.parent / "tests" / "baseline" / "autumn-2022.json"


def baseline() -> dict:
    ds = simulate(load_scenario("autumn-2022"), RUNS, DAYS, SEED)
    happened = ds.event_day.notnull().sum("run")
    return {"runs": RUNS, "days": DAYS, "seed": SEED,
            "happened": {str(o): int(happened.sel(outcome=o)) for o in ds.outcome.values}}


if __name__ == "__main__":
    OUT.write_text(json.dumps(baseline(), indent=1) + "\n", "utf-8")
    print(f"wrote {OUT}")
