"""The ``powderkeg`` command line: run, validate, show, list and describe scenarios.

Every user mistake ends with one paragraph on standard error and exit code 2; results go to
standard output (a table, or one JSON document with ``--json``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from powderkeg.errors import InputError

app = typer.Typer(
    help="powderkeg: run, test and stress a strategic argument about a war. "
         "Start with `powderkeg run` (the built-in autumn-2022 scenario).",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _user_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as e:
            err.print(f"[bold red]error:[/] {e}", soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing was written.")
            raise typer.Exit(130) from None
    return wrapper


ScenarioArg = Annotated[str, typer.Argument(
    help="A built-in scenario id (see `powderkeg scenarios`) or a path to a YAML file.")]


@app.command()
@_user_errors
def run(
    scenario: Annotated[str, typer.Argument(
        help="A built-in scenario id (see `powderkeg scenarios`) or a YAML file.")] = "autumn-2022",
    runs: Annotated[int, typer.Option(min=1, help="Number of simulated futures.")] = 10_000,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Horizon in days after the "
                                      "scenario date.")] = 365,
    seed: Annotated[int, typer.Option(min=0, help="Seed; run i depends only on (seed, i).")] = 0,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Folder for the results (must be new or empty; default: a new folder "
                      "under runs/).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document on standard output instead of the table.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; results do not depend "
                                         "on it.")] = 2,
) -> None:
    """Simulate a scenario and report how likely each outcome is by the horizon."""
    from powderkeg.analysis.outcomes import outcome_summary
    from powderkeg.engine.simulate import simulate
    from powderkeg.results import default_out_dir, write_results
    from powderkeg.scenario import load_scenario, scenario_to_yaml

    s = load_scenario(scenario)
    target = out_dir or default_out_dir(s.id, seed)
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"{s.id}: {runs:,} runs x {days} days", total=runs * days)
        ds = simulate(s, runs, days, seed, workers=workers,
                      progress=lambda n: bar.advance(task, n))
    summary = outcome_summary(ds)
    written = write_results(ds, scenario_to_yaml(s), target, ["powderkeg", *sys.argv[1:]])
    if as_json:
        doc = {"scenario": s.id, "date": s.date.isoformat(), "runs": runs, "days": days,
               "seed": seed, "results_dir": str(written),
               "outcomes": {k: {f: v[f] for f in ("probability", "ci95", "median_day",
                                                  "cumulative")} for k, v in summary.items()}}
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    out.print(_outcome_table(s, summary, runs, days))
    out.print(f"Results written to {written}")


def _outcome_table(s, summary, runs, days) -> Table:
    horizon = s.date + dt.timedelta(days=days)
    table = Table(title=f"{s.title}\n{runs:,} runs from {s.date} to {horizon} (day {days})",
                  title_justify="left")
    table.add_column("outcome", no_wrap=True)
    table.add_column("probability", justify="right")
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("median day", justify="right", no_wrap=True)
    for oid, v in summary.items():
        lo, hi = v["ci95"]
        med = v["median_day"]
        when = "-" if med is None else f"{med:.0f} ({s.date + dt.timedelta(days=int(med))})"
        table.add_row(oid, f"{v['probability']:.1%}", f"{lo:.1%}-{hi:.1%}", when)
    return table


@app.command()
@_user_errors
def validate(file: Annotated[Path, typer.Argument(help="Scenario YAML file to check.")]) -> None:
    """Check a scenario file; print a one-line summary or say what is wrong and where."""
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.provenance import provenance

    s = load_scenario(str(file))
    numbers = provenance(s)
    assumed = sum(a for _, _, a in numbers)
    out.print(f"{file}: valid scenario '{s.id}' ({s.date}): {len(s.sectors)} sectors, "
              f"{len(s.nodes)} nodes, {len(s.links)} links, {len(s.outcomes)} outcomes; "
              f"{len(numbers) - assumed} numbers sourced, {assumed} assumptions.")


@app.command()
@_user_errors
def scenarios() -> None:
    """List the built-in scenarios."""
    from powderkeg.scenario import builtin_ids, load_scenario

    for sid in builtin_ids():
        s = load_scenario(sid)
        out.print(f"{sid}\t{s.date}\t{s.title}")


@app.command()
@_user_errors
def show(
    scenario: ScenarioArg,
    assumptions: Annotated[bool, typer.Option(
        "--assumptions", help="Also list every number that is an assumption.")] = False,
) -> None:
    """Summarise a scenario: sectors, supply network, fires, outcomes and sources."""
    from powderkeg.model.build import build_model
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.provenance import provenance

    s = load_scenario(scenario)
    m = build_model(s)
    out.print(f"[bold]{s.title}[/] ({s.id}, {s.date})")
    if s.description:
        out.print(s.description)
    out.print(f"Sides: {s.sides[0]} (rear of every axis) and {s.sides[1]}")
    sectors = Table(title="Sectors (km along each axis; the front is where the first side "
                          "holds up to)", title_justify="left")
    for col in ("sector", "axis km", "front km", "objectives (km)", "rivers (km)"):
        sectors.add_column(col)
    for i, sec in enumerate(s.sectors):
        objs = ", ".join(f"{o.id} ({_km(m, 'objective', (sec.id, o.id))})" for o in sec.objectives)
        rivs = ", ".join(f"{r.id} ({_km(m, 'river', (sec.id, r.id))})" for r in sec.rivers)
        sectors.add_row(sec.name or sec.id, f"{m.sector_length[i]:.0f}", sec.front_km.describe(),
                        objs, rivs)
    out.print(sectors)
    modes = Counter(x.mode for x in s.links)
    out.print(f"Supply network: {len(s.nodes)} nodes, {len(s.links)} links "
              f"({', '.join(f'{n} {k}' for k, n in sorted(modes.items()))}); "
              f"{len(s.supply.sources)} sources, {len(s.supply.demands)} demands")
    for f in s.fires:
        out.print(f"Fires {f.id} ({f.side}): {f.launchers.describe()} launchers, range "
                  f"{f.range_km.describe()} km")
    for g in s.deep_strikes:
        out.print(f"Deep strikes {g.id} ({g.side}) on {', '.join(g.targets)}: "
                  f"{g.rate_per_day.describe()} per day")
    out.print(f"Outcomes ({len(s.outcomes)}): {', '.join(o.id for o in s.outcomes)}")
    numbers = provenance(s)
    assumed = [(p, v) for p, v, a in numbers if a]
    random = sum(v.is_random for _, v, _ in numbers)
    out.print(f"Numbers: {len(numbers)} in all, {len(numbers) - len(assumed)} sourced, "
              f"{len(assumed)} assumptions; {random} uncertain (sampled per run).")
    if assumptions:
        for path, v in assumed:
            out.print(f"  {path} = {v.describe()}  [dim]{v.note or 'no source, no note'}[/]")


def _km(model, kind, key) -> str:
    ids = getattr(model, f"{kind}_ids")
    i = ids.index(key)
    path = getattr(model, f"{kind}_path")[i]
    if path:
        return "given"
    return f"{getattr(model, f'{kind}_fixed_km')[i]:.0f}"


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor validation and completion)."""
    from powderkeg.scenario.schema import Scenario

    doc = Scenario.model_json_schema(by_alias=True)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "powderkeg scenario"
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
