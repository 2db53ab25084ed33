"""Fit benchmark: wall time of ``powderkeg fit`` on a scenario of autumn-2022's size.

autumn-2022 has no observations of its own (its date is the knowledge cut-off), so this
benchmark makes synthetic ones for a 45-day window from one run of the scenario itself
(run 1,000,000, seed 99): the front of every sector on days 15, 30 and 45, the strikes on
the Dnipro crossings and the losses of each side over the window, and whether the Kerch bridge
was struck again by day 45. They measure the cost of a fit, nothing about the war. It then
times :func:`powderkeg.analysis.fit.fit` with the command's defaults (10 waves x 128 points x
8 runs, up to 32 near the cut, 400 posterior predictive runs) on a pool of ``--workers``
processes. Usage::

    python benchmarks/bench_fit.py                 # 2 workers, the defaults
    python benchmarks/bench_fit.py --points 64 --workers 1

Performance is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import warnings

from powderkeg.analysis.fit import FitSettings, fit
from powderkeg.engine.executors import make_executor
from powderkeg.engine.simulate import simulate
from powderkeg.scenario import load_scenario
from powderkeg.scenario.observations import Observations

DAYS = 45
CROSSINGS = ["antonivskyi_road_bridge", "antonivka_rail_bridge", "kakhovka_dam_crossing"]


def synthetic_observations(scenario) -> Observations:
    """Observations of one run of ``scenario`` over :data:`DAYS` days (see the module)."""
    day = lambda d: (scenario.date + dt.timedelta(days=d)).isoformat()  # noqa: E731
    ds = simulate(scenario, 1, DAYS, seed=99, every=1, run_offset=1_000_000, workers=1)
    obs = [{"id": f"{x.id}_d{d}", "kind": "front", "date": day(d), "sector": x.id,
            "km": {"value": float(ds.front_km.sel(day=d, sector=x.id)[0]), "sd": 5.0},
            "source": "[B]"} for x in scenario.sectors for d in (15, 30, DAYS)]
    strikes = float(ds.strikes_to_date.sel(day=DAYS, link=CROSSINGS).sum())
    obs.append({"id": "crossing_strikes", "kind": "count", "count": "strikes",
                "links": CROSSINGS, "from": day(1), "to": day(DAYS),
                "value": {"value": strikes, "sd": max(3.0, 0.3 * strikes)}, "source": "[B]"})
    for side in scenario.sides:
        lost = float(ds.losses_to_date.sel(day=DAYS, side=side)[0])
        obs.append({"id": f"{side}_losses", "kind": "count", "count": "losses", "side": side,
                    "from": day(1), "to": day(DAYS),
                    "value": {"value": lost, "sd": max(500.0, 0.3 * lost)}, "source": "[B]"})
    struck = bool(ds.event_day.sel(outcome="kerch_bridge_struck_again")[0] <= DAYS)
    obs.append({"id": "kerch_struck", "kind": "event", "date": day(DAYS),
                "outcome": "kerch_bridge_struck_again", "happened": struck, "source": "[B]"})
    return Observations.model_validate({
        "scenario": scenario.id, "cutoff": day(DAYS),
        "sources": {"B": {"text": "synthetic, for the benchmark", "published": day(DAYS)}},
        "observations": obs})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=FitSettings.points)
    ap.add_argument("--runs-per-point", type=int, default=FitSettings.runs_per_point)
    ap.add_argument("--waves", type=int, default=FitSettings.waves)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--case-base", action="store_true", help="also weigh by the case base")
    args = ap.parse_args()
    s = load_scenario("autumn-2022")
    obs = synthetic_observations(s)
    settings = FitSettings(args.waves, args.points, args.runs_per_point,
                           case_base=args.case_base)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, make_executor(args.workers) as ex:
        warnings.simplefilter("always")
        job = fit(s, obs, settings, engine={"executor": ex})
    seconds = time.perf_counter() - start
    runs = sum(w.runs for w in job.waves) + settings.predictive_runs
    print(json.dumps({
        "scenario": s.id, "days": DAYS, "observations": len(obs.observations),
        "parameters": len(job.paths), "waves": len(job.waves), "runs": runs,
        "seconds": round(seconds, 1), "run_days_per_second": round(runs * DAYS / seconds),
        "workers": args.workers, "case_base": args.case_base,
        "effective_sample_size": round(job.ess, 1),
        "not_ruled_out": [int(w.nroy.sum()) for w in job.waves],
        "warnings": [str(w.message)[:100] for w in caught]}, indent=1))


if __name__ == "__main__":
    main()
