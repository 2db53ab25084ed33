"""The ``powderkeg`` command line: run, validate, show, list and describe scenarios.

Every user mistake ends with one paragraph on standard error and exit code 2; results go to
standard output (a table, or one JSON document with ``--json``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import sys
import warnings
from collections import Counter
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from powderkeg.engine.signals import Stopped, stop_on_signals
from powderkeg.errors import InputError, ResultWarning

app = typer.Typer(
    help="powderkeg: run, test and stress a strategic argument about a war. "
         "Start with `powderkeg run` (the built-in autumn-2022 scenario).",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
#: The largest seed: results record it as an unsigned 64-bit integer.
MAX_SEED = 2**64 - 1


def _print_version(value: bool) -> None:
    if value:
        from powderkeg import __version__

        out.print(f"powderkeg {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print powderkeg's version and exit.")] = False,
) -> None:
    """powderkeg: run, test and stress a strategic argument about a war."""


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings about results as a paragraph on standard error; others as Python shows them."""
    if issubclass(category, ResultWarning):
        err.print(Text.assemble(("warning: ", "bold yellow"), str(message)), soft_wrap=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _user_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings(), stop_on_signals():
                warnings.showwarning = _show_warning
                return fn(*args, **kwargs)
        except InputError as e:
            err.print(Text.assemble(("error: ", "bold red"), str(e)), soft_wrap=True)
            raise typer.Exit(2) from None
        except Stopped as e:
            err.print(f"Stopped by {e}; nothing was written.")
            raise typer.Exit(e.exit_code) from None
    return wrapper


PolicyOpt = Annotated[Optional[str], typer.Option(
    help="The opponent's response policy to each escalation, an id of the scenario's "
         "politics.policies (default: the scenario's politics.policy); autumn-2022 has "
         "match_strength, offer_offramp and mixed.")]
ScenarioArg = Annotated[str, typer.Argument(
    help="A built-in scenario id (see `powderkeg scenarios`) or a path to a YAML file.")]


WorkersOpt = Annotated[int, typer.Option(
    min=1, help="Worker processes (of the local pool, or of --cluster local); results do not "
                "depend on it.")]
ClusterOpt = Annotated[Optional[str], typer.Option(
    "--cluster", metavar="local", help="Run on a Dask LocalCluster on this machine (--workers "
    "processes, one thread each). Needs the optional extra \"dask\" (see the README).")]
SchedulerOpt = Annotated[Optional[str], typer.Option(
    "--scheduler", metavar="ADDRESS", help="Run on a running Dask cluster, e.g. "
    "tcp://10.0.0.5:8786. Needs the optional extra \"dask\" (see the README).")]
ChunkOpt = Annotated[Optional[int], typer.Option(
    "--chunk", min=1, help="Runs per task (default: about 1/16 of the job, 250 to 500); "
                           "results do not depend on it.")]
HorizonOpt = Annotated[Optional[int], typer.Option(
    "--days", min=1, max=3650, help="Horizon in days after the scenario date (default: the "
    "scenario's `days`, else 365).", show_default=False)]


def _horizon(days: int | None, s) -> int:
    """The horizon asked for, else the scenario's own ``days``, else a year."""
    return days or s.days or 365


SeriesOpt = Annotated[Optional[str], typer.Option(
    "--series", metavar="all|none|NAME[,NAME...]", help="Daily series to keep in results.nc "
    "(default: front_km, supply_ratio, link_capacity and, with politics, escalation_rung and "
    "influence: what the report and the dashboard draw). Names: front_km, forces, "
    "supply_ratio, stock_days, link_capacity, strikes_to_date, losses_to_date, "
    "escalation_rung, influence. Event days, losses and parameters are always kept.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", help="No progress on standard error (errors only); for logs.")]
PosteriorOpt = Annotated[Optional[Path], typer.Option(
    "--posterior", metavar="FIT_DIR", help="Draw the fitted structural parameters from the "
    "posterior of this fit folder (written by `powderkeg fit`); run i's draw depends only on "
    "(seed, i).")]
DecisionsOpt = Annotated[Optional[Path], typer.Option(
    "--decisions", metavar="FILE", help="Fix the leader's or the opponent's choices on given "
    "decision days: a YAML file with a list `decisions` of {day or period, decision, value} "
    "(see the README); the model plays the rest.")]
SeedOpt = Annotated[int, typer.Option(
    min=0, max=MAX_SEED, help="Seed, 0 to 2**64 - 1; run i depends only on (seed, i).")]


@app.command()
@_user_errors
def run(
    scenario: Annotated[str, typer.Argument(
        help="A built-in scenario id (see `powderkeg scenarios`) or a YAML file.")] = "autumn-2022",
    runs: Annotated[int, typer.Option(min=1, help="Number of simulated futures.")] = 10_000,
    days: HorizonOpt = None,
    seed: SeedOpt = 0,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Folder for the results (must be new or empty; default: a new folder "
                      "under runs/).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document on standard output instead of the table.")] = False,
    workers: WorkersOpt = 2,
    cluster: ClusterOpt = None,
    scheduler: SchedulerOpt = None,
    chunk: ChunkOpt = None,
    record_every: Annotated[Optional[int], typer.Option(
        "--record-every", min=1, metavar="DAYS", help="Keep the daily series every DAYS days "
        "(default: often enough for about 600,000 run-days); event days are always exact.")]
    = None,
    series: SeriesOpt = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Finish an interrupted job with the same --out: reuse its finished "
                         "chunks, compute only the missing ones.")] = False,
    quiet: QuietOpt = False,
    policy: PolicyOpt = None,
    with_report: Annotated[bool, typer.Option(
        "--report", help="Also write the HTML report (and its figures) into the results "
                         "folder.")] = False,
    posterior: PosteriorOpt = None,
) -> None:
    """Simulate a scenario and report how likely each outcome is by the horizon.

    Jobs of a million run-days or more checkpoint their chunks: see `powderkeg resume`.
    """
    from powderkeg.engine.job import RunRequest
    from powderkeg.engine.simulate import default_chunk, record_interval
    from powderkeg.results import default_out_dir
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.load import with_policy
    from powderkeg.scenario.posterior import with_posterior

    if resume and out_dir is None:
        raise InputError("--resume needs the --out folder of the job to finish (or use "
                         "`powderkeg resume WORK_DIR` with a folder that `powderkeg runs` "
                         "lists).")
    s = with_posterior(with_policy(load_scenario(scenario), policy), posterior)
    days = _horizon(days, s)
    target = out_dir or default_out_dir(s.id, seed)
    request = RunRequest(runs, days, seed, str(target), record_every or record_interval(runs, days),
                         chunk or default_chunk(runs), with_report, series)
    _run_job(s, request, resume, (workers, cluster, scheduler), as_json, quiet)


def _run_job(s, request, resume: bool, execution: tuple, as_json: bool, quiet: bool) -> None:
    """Plan, simulate, write and print one run job (for `run` and `resume`)."""
    from powderkeg.analysis.outcomes import summarise_outcomes
    from powderkeg.engine import series
    from powderkeg.engine.executors import make_executor
    from powderkeg.engine.job import kept, plan_job, stopped_message
    from powderkeg.engine.progress import JobProgress
    from powderkeg.engine.simulate import simulate_to_file
    from powderkeg.engine.worker import scenario_text
    from powderkeg.results import RESULTS_FILE, PerRunFile, stream_results

    r, planned, written = request, None, None
    try:
        planned = plan_job(s, r, resume)
        if not quiet:
            _note_stale(planned.target.parent)
        with JobProgress(err.file, quiet) as bar, make_executor(*execution) as ex:
            _load_kernels(bar, s)
            chunks = -(-r.runs // r.chunk)
            bar.phase(f"simulating {r.runs:,} runs x {r.days} days ({ex.describe(chunks)})",
                      r.runs * r.days)

            def fill(path: Path) -> None:  # each chunk goes into results.nc as it finishes
                simulate_to_file(path, s, r.runs, r.days, r.seed, executor=ex, progress=bar,
                                 chunk_size=r.chunk, every=r.every,
                                 series=series.parse(r.series),
                                 work_dir=planned.work.path if planned.checkpoints else None)
                bar.phase(f"writing results to {planned.target}")

            written = stream_results(fill, scenario_text(s), planned.target,
                                     ["powderkeg", *sys.argv[1:]])
            planned.work.remove()
            report_path = _write_report(written, progress=bar) if r.report else None
    except Stopped as e:
        text = (f"Stopped by {e} while writing the report; the results are in {written}."
                if written is not None else stopped_message(planned, str(e)))
        err.print(text, markup=False, soft_wrap=True)
        raise typer.Exit(e.exit_code) from None
    except InputError as e:
        if planned is None or written is not None:
            raise
        raise InputError(f"{e} {kept(planned)}".strip()) from None
    with PerRunFile(written / RESULTS_FILE) as f:  # without xarray (design note 034)
        rows = f.rows(names=("event_day",))  # not the parameters: 1.3 KB a run
        summary = summarise_outcomes(rows["event_day"], f.outcome, f.outcome_description,
                                     int(f.attrs["days"]), rows.get("theory"))
    if as_json:
        doc = {"scenario": s.id, "date": s.date.isoformat(), "runs": r.runs, "days": r.days,
               "seed": r.seed, "results_dir": str(written),
               "outcomes": {k: {f: v[f] for f in ("probability", "ci95", "median_day",
                                                  "cumulative", "by_theory") if f in v}
                            for k, v in summary.items()}}
        if s.politics is not None:
            doc["policy"] = s.politics.policy
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    out.print(_outcome_table(s, summary, r.runs, r.days))
    if any("by_theory" in v for v in summary.values()):
        out.print(_theory_table(s, summary, r.runs))
    out.print(f"Results written to {written}")
    if report_path is not None:
        out.print(f"Report: {report_path}")


def _load_kernels(bar, *scenarios) -> None:
    """The model's compiled kernels as a progress phase of their own, before a command
    simulates ``scenarios``: the first run after an install compiles them (about a minute of
    CPU), later runs load Numba's cache (:func:`powderkeg.model.compiled.warm_up`, then
    ``warm_up_model`` for each scenario's dtypes). Without this phase a first compile would
    be paid inside the simulation's phase and spoil its time left."""
    from powderkeg.engine.worker import model_for
    from powderkeg.model.compiled import warm_up, warm_up_model
    from powderkeg.model.kernel_cache import kernels_cached

    bar.phase("loading the model's compiled kernels" if kernels_cached() else
              "compiling the model's kernels (once after an install or an update: about a "
              "minute)")
    warm_up()
    for s in scenarios:
        warm_up_model(model_for(s))


def _note_stale(root: Path) -> None:
    from powderkeg.results import partial_folders

    stale = [p for p, is_stale in partial_folders(root) if is_stale]
    if stale:
        err.print(f"note: {len(stale)} folder(s) under {root} were left by interrupted runs; "
                  "`powderkeg runs` lists them and `powderkeg runs --clean` removes them.",
                  markup=False, soft_wrap=True)


@app.command("resume")
@_user_errors
def resume_command(
    work_dir: Annotated[Path, typer.Argument(
        help="The work folder of an interrupted job (`powderkeg runs` lists them).")],
    workers: WorkersOpt = 2,
    cluster: ClusterOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document on standard output instead of the table.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Finish an interrupted `powderkeg run`: compute only its missing chunks, then write it."""
    from powderkeg.engine.job import read_job, target_of
    from powderkeg.scenario import load_scenario

    if not work_dir.is_dir():
        raise InputError(f"{work_dir} is not a folder. Give a work folder that `powderkeg runs` "
                         "lists.")
    request, scenario_file = read_job(work_dir)
    if Path(request.out).resolve() != target_of(work_dir).resolve():
        request = replace(request, out=str(target_of(work_dir)))  # the folders were moved
    _run_job(load_scenario(str(scenario_file)), request, True, (workers, cluster, scheduler),
             as_json, quiet)


@app.command("runs")
@_user_errors
def runs_command(
    root: Annotated[Path, typer.Argument(help="The folder holding results folders.")]
    = Path("runs"),
    clean: Annotated[bool, typer.Option(
        "--clean", help="Delete what interrupted runs left behind: half-written results "
                        "folders and the checkpoints of jobs nobody is running.")] = False,
) -> None:
    """List results folders, and the folders that interrupted or running jobs left.

    One line per folder: its path, a tab, and what it is.
    """
    import shutil

    from powderkeg.results import PARTIAL, RESULTS_FILE, partial_folders

    done = sorted(p for p in root.glob("*") if (p / RESULTS_FILE).exists()) \
        if root.is_dir() else []
    for p in done:
        sys.stdout.write(f"{p}\tresults\n")
    for p, stale in partial_folders(root):
        kind = "half-written results" if PARTIAL in p.name else "checkpoints"
        if stale and clean:
            shutil.rmtree(p, ignore_errors=True)
            sys.stdout.write(f"{p}\tdeleted ({kind} of an interrupted run)\n")
        elif stale:
            hint = ("" if PARTIAL in p.name else f"; finish with `powderkeg resume {p}`")
            sys.stdout.write(f"{p}\t{kind} of an interrupted run{hint}\n")
        else:
            sys.stdout.write(f"{p}\t{kind} of a job running now\n")


def _outcome_table(s, summary, runs, days) -> Table:
    horizon = s.date + dt.timedelta(days=days)
    policy = f", policy {s.politics.policy}" if s.politics else ""
    table = Table(title=f"{s.title}\n{runs:,} runs from {s.date} to {horizon} (day {days})"
                        f"{policy}", title_justify="left")
    table.add_column("outcome", no_wrap=True)
    table.add_column("probability", justify="right")
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("median day", justify="right", no_wrap=True)
    for oid, v in summary.items():
        lo, hi = v["ci95"]
        med = v["median_day"]
        day = None if med is None else math.floor(med + 0.5)
        when = "-" if day is None else f"{day} ({s.date + dt.timedelta(days=day)})"
        table.add_row(oid, f"{v['probability']:.1%}", f"{lo:.1%}-{hi:.1%}", when)
    return table


def _theory_table(s, summary, runs) -> Table:
    order = tuple(s.politics.escalation.theories)
    first = next(v for v in summary.values() if "by_theory" in v)["by_theory"]
    names = [t for t in order if t in first] + [t for t in first if t not in order]
    table = Table(title="By escalation theory: probability (95% interval)", title_justify="left")
    table.add_column("outcome", no_wrap=True)
    for t in names:
        table.add_column(f"{t}\n{first[t]['runs']:,} runs ({first[t]['runs'] / runs:.0%})",
                         justify="right", no_wrap=True)
    for oid, v in summary.items():
        cells = []
        for t in names:
            p = v["by_theory"].get(t)
            cells.append("-" if p is None else
                         f"{p['probability']:.1%} ({p['ci95'][0]:.1%}-{p['ci95'][1]:.1%})")
        table.add_row(oid, *cells)
    return table


def _write_report(results: Path, html: Path | None = None, borders: Path | None = None,
                  progress=None, posterior: Path | None = None) -> Path:
    from powderkeg.engine.progress import JobProgress
    from powderkeg.report import build_report

    if progress is None:
        with JobProgress(err.file) as bar:
            return _write_report(results, html, borders, bar, posterior)
    progress.phase("report")
    return build_report(results, html, progress=progress.step, borders=borders,
                        posterior=posterior)


@app.command()
@_user_errors
def report(
    results: Annotated[Path, typer.Argument(help="A results folder written by `powderkeg run`.")],
    html: Annotated[Optional[Path], typer.Option(
        "--out", help="Where to write the HTML file (default: RESULTS/report.html); figures go "
                      "into a figures/ folder beside it.")] = None,
    borders: Annotated[Optional[Path], typer.Option(
        help="A GeoJSON file of country or region polygons to draw under the map (default: "
             "the shipped Natural Earth borders).")] = None,
    posterior: Annotated[Optional[Path], typer.Option(
        "--posterior", metavar="FIT_DIR", help="Show this fit's prior and posterior parameters "
        "(default: the fit the results drew from, if any).")] = None,
) -> None:
    """Write a self-contained HTML report (and each figure as PNG and SVG) for a results folder."""
    out.print(f"Report written to {_write_report(results, html, borders, posterior=posterior)}")


@app.command()
@_user_errors
def validate(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file to check.")],
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit with code 2 if any sense-check warning is printed.")] = False,
    observations: Annotated[Optional[Path], typer.Option(
        "--observations", metavar="FILE", help="Also check this observations file (default: "
        "the one the scenario names, if any).")] = None,
) -> None:
    """Check a scenario file; print a one-line summary or say what is wrong and where.

    Sense checks (docs/design/008-sense-checks.md) refuse what the scenario cannot mean and
    warn, on standard error, of what it may not mean; a `silence` entry hides a warning.
    """
    from powderkeg.model.build import build_model
    from powderkeg.model.sense import SenseError, apply_silence, sense_warnings
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.provenance import provenance

    s = load_scenario(str(file))
    try:
        model = build_model(s)
    except SenseError as e:
        raise SenseError(e.findings, str(file)) from None
    shown = apply_silence(s, sense_warnings(model))
    for finding in shown:
        err.print(Text.assemble(("warning: ", "bold yellow"), finding.line(str(file))),
                  soft_wrap=True)
    if strict and shown:
        raise InputError(f"{file}: {len(shown)} sense-check warning(s) above, and --strict "
                         "makes them errors. Fix each place, or add a `silence` entry with a "
                         "note for a warning the scenario means.")
    numbers = provenance(s)
    assumed = sum(a for _, _, a in numbers)
    out.print(f"{file}: valid scenario '{s.id}' ({s.date}): {len(s.sectors)} sectors, "
              f"{len(s.nodes)} nodes, {len(s.links)} links, {len(s.outcomes)} outcomes; "
              f"{len(numbers) - assumed} numbers sourced, {assumed} assumptions.",
              markup=False, soft_wrap=True)
    if observations is not None or s.observations is not None:
        from powderkeg.scenario.observations import observations_of

        obs = observations_of(s, observations)
        kinds = ", ".join(f"{n} {k}" for k, n in Counter(o.kind for o in obs.observations).items())
        out.print(f"{observations or s.observations}: {len(obs.observations)} valid "
                  f"observations up to {obs.cutoff} ({kinds}), {len(obs.sources)} sources.",
                  markup=False, soft_wrap=True)


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
        "--assumptions", help="Also list every number that is an assumption: those citing a "
                               "source for context, then the bare ones.")] = False,
) -> None:
    """Summarise a scenario: sectors, supply network, fires, outcomes and sources."""
    from powderkeg.model.build import build_model
    from powderkeg.scenario import load_scenario

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
    for a in s.air_defences:
        out.print(f"Air defence {a.id} ({a.side}) over {', '.join(a.sectors)}: factor "
                  f"{a.factor.describe()} on air-delivered hits, {a.depth_km.describe()} km deep")
    for g in s.deep_strikes:
        out.print(f"Deep strikes {g.id} ({g.side}) on {', '.join(g.targets)}: "
                  f"{g.rate_per_day.describe()} per day")
    if s.politics is not None:
        p = s.politics
        out.print(f"Politics of {p.side}: leader {p.leader.name}; factions "
                  f"{', '.join(f.id for f in p.factions)}; decisions every "
                  f"{p.decision_period_days} days; response policy {p.policy}", markup=False)
        out.print(f"Escalation ladder: {' > '.join(r.id for r in p.escalation.rungs)} (start: "
                  f"{p.escalation.start_rung}); theories weighted "
                  f"{_weights(p.escalation.theory_weights)}", markup=False)
        _print_politics_data(s)
    out.print(f"Outcomes ({len(s.outcomes)}): {', '.join(o.id for o in s.outcomes)}")
    _print_provenance(s, assumptions)


def _print_provenance(s, listing: bool) -> None:
    """The three counts of numbers (sourced, assumptions citing a source, bare assumptions),
    the sources' dates and, with ``listing``, every assumption with its note."""
    from powderkeg.scenario.provenance import BARE, CONTEXT, SOURCED, kind, late_citations
    from powderkeg.scenario.walk import iter_params

    numbers = [(path, v, kind(v)) for path, v in iter_params(s)]
    n = Counter(k for _, _, k in numbers)
    random = sum(v.is_random for _, v, _ in numbers)
    out.print(f"Numbers: {len(numbers)} in all: {n[SOURCED]} sourced (a source supports the "
              f"value), {n[CONTEXT]} assumptions citing a source for context, {n[BARE]} bare "
              f"assumptions; {random} uncertain (sampled per run).", markup=False)
    if s.sources:
        dated = sum(x.published is not None for x in s.sources.values())
        earlier = sum(x.documents_earlier for x in s.sources.values())
        late = late_citations(s)
        out.print(f"Sources: {len(s.sources)}, {dated} dated, {len(s.sources) - dated} undated; "
                  f"{earlier} marked as documenting facts earlier than their publication; "
                  f"{len(late)} citations of a source that may postdate {s.date}"
                  + (f" ({', '.join(f'{p} [{k}] {d}' for p, k, d in late)})" if late else "")
                  + ".", markup=False)
    if listing:
        for label, which in (("Assumptions citing a source for context", CONTEXT),
                             ("Bare assumptions", BARE)):
            rows = [(p, v) for p, v, k in numbers if k == which]
            out.print(f"{label} ({len(rows)}):", markup=False)
            for path, v in rows:
                cite = f"  {escape(v.source)}" if v.source else ""
                out.print(f"  {escape(path)} = {escape(v.describe())}{cite}  "
                          f"[dim]{escape(v.note or 'no source, no note')}[/]")


def _print_politics_data(s) -> None:
    """What the scenario declares of its politics: policies, personnel moves and the events
    they record, a mediator, and the case base with how many cases predate the scenario."""
    from powderkeg.scenario.cases import scenario_case_base

    p = s.politics
    base = scenario_case_base(s)
    known = sum(c.date <= s.date for c in base.cases)
    moves = ", ".join(f"{k} ({m.event})" for k, m in p.personnel.items()) or "none"
    mediation = (f"; mediation by {p.mediation.mediator}, offers "
                 f"{p.mediation.offer_per_period.describe()} a period"
                 if p.mediation is not None else "")
    out.print(f"Policies: {', '.join(p.policies)}; personnel moves (event): {moves}"
              f"{mediation}; case base {base.file or 'shipped'}: {len(base.cases)} cases, "
              f"{known} dated on or before {s.date}", markup=False)


def _weights(w) -> str:
    if w == "calibrated":
        return "by calibration on the case base"
    return ", ".join(f"{k} {v.describe()}" for k, v in w.items())


def _km(model, kind, key) -> str:
    ids = getattr(model, f"{kind}_ids")
    i = ids.index(key)
    path = getattr(model, f"{kind}_path")[i]
    if path:
        return "given"
    return f"{getattr(model, f'{kind}_fixed_km')[i]:.0f}"


@app.command()
@_user_errors
def calibrate(
    scenario: Annotated[str, typer.Argument(
        help="A built-in scenario id or a YAML file with a politics section.")] = "autumn-2022",
    cases: Annotated[Optional[Path], typer.Option(
        help="A case file of the same format as the shipped case base (default: the "
             "scenario's politics.case_base, else the shipped one).")]
    = None,
    draws: Annotated[int, typer.Option(
        min=2, max=1 << 20, help="Prior draws for the Monte Carlo marginal likelihoods "
                                 "(default 32,768, what `theory_weights: calibrated` uses).")]
    = 1 << 15,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the prior draws.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Weigh the scenario's escalation theories against its historical case base (Bayes
    factor); only cases dated on or before the scenario's date count."""
    import numpy as np

    from powderkeg.model.calibration import calibrate_scenario
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.cases import load_cases, scenario_case_base

    s = load_scenario(scenario)
    if s.politics is None:
        raise InputError(f"Scenario '{s.id}' has no politics section: there are no escalation "
                         "theories to calibrate. Use a scenario with politics (autumn-2022).")
    case_list = load_cases(str(cases)) if cases else tuple(scenario_case_base(s).cases)
    c = calibrate_scenario(s, case_list if cases else None, draws=draws, seed=seed)
    by_id = {case.id: case for case in case_list}
    if as_json:
        sys.stdout.write(json.dumps(_calibration_doc(s, c, by_id)) + "\n")
        return
    out.print(_calibration_table(s, c, by_id))
    out.print(_loo_table(c))
    if c.later:
        out.print(f"Left out ({len(c.later)}): {', '.join(c.later)}: dated after the scenario "
                  f"({s.date}), so not known on its date.", markup=False)
    if c.excluded:
        out.print(f"Left out ({len(c.excluded)}): {', '.join(c.excluded)}: their response is "
                  f"impossible from the starting rung {s.politics.escalation.start_rung}, so "
                  "they cannot tell the theories apart.", markup=False)
    out.print(f"Marginal log likelihood over the priors of the weights, precision and rung "
              f"costs ({c.draws:,} draws, seed {c.seed}; ± Monte Carlo standard error): "
              + ", ".join(f"{t} {c.log_marginal[k]:.2f} ± {c.log_marginal_se[k]:.2g}"
                          for k, t in enumerate(c.theory_ids)), markup=False)
    if len(c.theory_ids) > 1:
        out.print(f"Log Bayes factor ({c.theory_ids[0]} over {c.theory_ids[1]}): "
                  f"{c.log_bayes_factor:.2f} ± {c.log_bayes_factor_se:.2g} (Bayes factor "
                  f"{np.exp(c.log_bayes_factor):.3g})", markup=False)
    se = np.unique(np.round(c.posterior_se, 12))
    out.print(f"Posterior weights from prior {'/'.join(f'{x:.2f}' for x in c.prior)}: "
              + ", ".join(f"{t} {c.posterior[k]:.3f}" for k, t in enumerate(c.theory_ids))
              + (f" (± {se[0]:.2g})" if len(se) == 1 else
                 " (± " + ", ".join(f"{x:.2g}" for x in c.posterior_se) + ")"), markup=False)
    flips = [cid for cid, f in zip(c.case_ids, c.loo_flips, strict=True) if f]
    verdict, verb = (("the sign of the log Bayes factor", "flips") if len(c.theory_ids) == 2
                     else ("the theory with the largest marginal likelihood", "changes"))
    out.print(f"Dropping one case {verb} {verdict}: {', '.join(flips)}." if flips else
              f"Dropping any one case leaves {verdict} unchanged.", markup=False)
    out.print("Use the posterior in a scenario with `theory_weights: calibrated`.")


def _calibration_doc(s, c, by_id) -> dict:
    import numpy as np

    def per_theory(values):
        return dict(zip(c.theory_ids, map(float, values), strict=True))

    return {
        "scenario": s.id, "start_rung": s.politics.escalation.start_rung, "draws": c.draws,
        "seed": c.seed,
        "cases": [{"id": cid, "response": by_id[cid].response,
                   "probability": per_theory(c.probabilities[i])}
                  for i, cid in enumerate(c.case_ids)],
        "excluded": list(c.excluded), "after_scenario_date": list(c.later),
        "log_marginal_likelihood": per_theory(c.log_marginal),
        "log_marginal_likelihood_se": per_theory(c.log_marginal_se),
        "log_bayes_factor": c.log_bayes_factor, "log_bayes_factor_se": c.log_bayes_factor_se,
        "prior": per_theory(c.prior), "posterior": per_theory(c.posterior),
        "posterior_se": float(np.max(c.posterior_se)),
        "posterior_se_by_theory": per_theory(c.posterior_se),
        "case_base": s.politics.case_base.file if s.politics.case_base else "shipped",
        "leave_one_out": [{"case": cid, "log_bayes_factor": float(c.loo_log_bayes_factor[i]),
                           "se": float(c.loo_se[i]), "flips_sign": bool(c.loo_flips[i])}
                          for i, cid in enumerate(c.case_ids)],
    }


def _calibration_table(s, c, by_id) -> Table:
    side = s.politics.side.replace("_", " ").title()
    table = Table(title=f"Probability each theory gives {side}'s observed response, over the "
                        f"prior of its weights ({len(c.case_ids)} cases)", title_justify="left")
    for col in ("case", "date", "opponent", "threat", "response",
                *(t.replace("_", " ") for t in c.theory_ids)):
        table.add_column(col, justify="left" if col in ("case", "response") else "right")
    for i, cid in enumerate(c.case_ids):
        case = by_id[cid]
        table.add_row(cid, str(case.date), f"{case.opponent_strength:g}",
                      f"{case.regime_threat:g}", case.response,
                      *(f"{p:.3f}" for p in c.probabilities[i]))
    return table


def _loo_table(c) -> Table:
    table = Table(title=f"Leave one out: the log Bayes factor without each case (with all: "
                        f"{c.log_bayes_factor:.2f})", title_justify="left")
    verdict = "sign flips" if len(c.theory_ids) == 2 else "best theory changes"
    for col in ("case without", "log BF", "± MC error", "change", verdict):
        table.add_column(col, justify="left" if col == "case without" else "right")
    for i, cid in enumerate(c.case_ids):
        flip = bool(c.loo_flips[i])
        table.add_row(cid, f"{c.loo_log_bayes_factor[i]:.2f}", f"{c.loo_se[i]:.3f}",
                      f"{c.loo_log_bayes_factor[i] - c.log_bayes_factor:+.2f}",
                      "yes" if flip else "", style="bold" if flip else "")
    return table


class StoryFormat(str, Enum):
    md = "md"
    csv = "csv"


@app.command()
@_user_errors
def story(
    scenario: ScenarioArg = "autumn-2022",
    run: Annotated[Optional[int], typer.Option(
        "--run", metavar="I", help="The run to tell: run I of any `powderkeg run` with the same "
                                   "seed.")] = None,
    find: Annotated[Optional[str], typer.Option(
        "--find", metavar="OUTCOME", help="Tell the first run in which this outcome happens "
                                          "(an outcome id, see `powderkeg show`).")] = None,
    seed: SeedOpt = 0,
    days: HorizonOpt = None,
    fmt: Annotated[StoryFormat, typer.Option(
        "--format", help="md: a dated story in Markdown; csv: one row per event with the "
                         "columns event_date, actor1, actor2, event_type, location, latitude, "
                         "longitude, notes.")] = StoryFormat.md,
    policy: PolicyOpt = None,
    max_runs: Annotated[int, typer.Option(
        min=1, help="With --find: how many runs (0, 1, ...) to search.")] = 10_000,
    out_file: Annotated[Optional[Path], typer.Option(
        "--out", help="Write the story to this file instead of standard output.")] = None,
    posterior: PosteriorOpt = None,
    decisions: DecisionsOpt = None,
) -> None:
    """Tell one run's story: a dated log of the events of the run, each naming its rule."""

    from powderkeg.engine.replay import check_run, find_run, trace
    from powderkeg.report.story import events_csv, story_events, story_markdown, write_story
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.load import with_policy

    if (run is None) == (find is None):
        raise InputError("Give exactly one of --run I (tell run I) or --find OUTCOME (tell the "
                         "first run in which that outcome happens).")
    if run is not None:
        check_run(run)
    from powderkeg.scenario.decisions import with_decisions
    from powderkeg.scenario.posterior import with_posterior

    s = with_decisions(with_posterior(with_policy(load_scenario(scenario), policy), posterior),
                       decisions)
    days = _horizon(days, s)
    if find is not None:
        from powderkeg.engine.progress import JobProgress

        with JobProgress(err.file) as bar:
            _load_kernels(bar, s)
            bar.phase(f"looking for {find}", max_runs * days)
            run = find_run(s, find, seed, days, max_runs=max_runs, progress=bar)
        err.print(f"Run {run} is the first in which {find} happens (seed {seed}).",
                  markup=False)
    tr = trace(s, run, seed, days)
    events = story_events(tr.model, tr.world, tr.states)
    if fmt is StoryFormat.csv:
        text = events_csv(events)
    else:
        text = story_markdown(tr.model, tr.world, events, run=run, seed=seed, days=days,
                              final=tr.final, state0=tr.states[0])
    if out_file is None:
        sys.stdout.write(text)
    else:
        out.print(f"Story of run {run} written to {write_story(text, out_file)}", markup=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor validation and completion)."""
    from powderkeg.scenario.schema import Scenario

    full = Scenario.model_json_schema(by_alias=True)
    defs = full.pop("$defs")
    defs["Scenario"] = full
    variant = {"type": "object", "required": ["extends"], "properties": {"extends": {
        "type": "string", "description": "A built-in scenario id or a path: this file then "
        "overrides a few of its values (mappings key by key, lists of items by id)."}}}
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "title": "powderkeg scenario", "$defs": defs,
           "anyOf": [{"$ref": "#/$defs/Scenario"}, variant]}
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


@app.command("compare")
@_user_errors
def compare_command(
    a: Annotated[str, typer.Argument(
        help="Baseline: SCENARIO or SCENARIO:POLICY, e.g. autumn-2022:match_strength "
             "(a built-in id or a YAML file; POLICY is one of the scenario's "
             "politics.policies, for autumn-2022 match_strength, offer_offramp or mixed).")],
    b: Annotated[Optional[str], typer.Argument(
        help="The variant, written like A (default with --decisions: A itself).")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Runs of each; run i of A and run i of B "
                                      "share their random numbers.")] = 2_000,
    days: HorizonOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    cluster: ClusterOpt = None,
    scheduler: SchedulerOpt = None,
    chunk: ChunkOpt = None,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document on standard output instead of the table.")] = False,
    posterior: Annotated[Optional[Path], typer.Option(
        "--posterior", metavar="FIT_DIR", help="Both A and B draw the fitted parameters from "
        "this fit's posterior (run i of each the same draw).")] = None,
    decisions: Annotated[Optional[Path], typer.Option(
        "--decisions", metavar="FILE", help="B plays these fixed choices (a decisions file, "
        "as for `story`), the model the rest: a player's sequence against the model's "
        "policy.")] = None,
) -> None:
    """Compare two scenarios or policies on the same runs: B - A for every outcome."""
    import numpy as np

    from powderkeg.analysis.compare import compare, parse_spec
    from powderkeg.engine.executors import make_executor
    from powderkeg.engine.preflight import check_runs
    from powderkeg.engine.progress import JobProgress
    from powderkeg.engine.simulate import simulate
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.decisions import with_decisions
    from powderkeg.scenario.load import with_policy

    check_runs(runs)
    if b is None and decisions is None:
        raise InputError("Give the variant B to compare with A, or --decisions FILE to compare "
                         "a sequence of fixed choices with the model's own policy.")
    b = a if b is None else b
    specs = [parse_spec(x) for x in (a, b)]
    from powderkeg.scenario.posterior import with_posterior

    scenarios = [with_posterior(with_policy(load_scenario(ref), policy), posterior)
                 for ref, policy in specs]
    scenarios[1] = with_decisions(scenarios[1], decisions)
    days = _horizon(days, scenarios[0])
    with JobProgress(err.file, quiet) as bar, make_executor(workers, cluster, scheduler) as ex:
        _load_kernels(bar, *scenarios)
        bar.phase(f"simulating {a} vs {b}: 2 x {runs:,} runs x {days} days ({ex.describe()})",
                  2 * runs * days)
        a_ds, b_ds = [simulate(s, runs, days, seed, executor=ex, chunk_size=chunk,
                               progress=bar, series=()) for s in scenarios]
    rows = compare(a_ds, b_ds)
    if not rows:
        raise InputError(f"'{a}' and '{b}' have no outcome id in common, so there is nothing "
                         "to compare. Compare variants of one scenario (see `extends:`).")
    labels = [f"{s.id}" + (f":{s.politics.policy}" if s.politics else "") for s in scenarios]
    labels[1] += "+decisions" if decisions is not None else ""
    if as_json:
        doc = {"a": labels[0], "b": labels[1], "runs": runs, "days": days, "seed": seed,
               "outcomes": rows}
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    widths = [(r["ci95_unpaired"][1] - r["ci95_unpaired"][0]) / (r["ci95"][1] - r["ci95"][0])
              for r in rows if max(r["probability_a"], r["probability_b"]) > 0]
    gain = (f"; sharing random numbers made them {np.median(widths):.1f}x narrower (median) "
            "than independent runs would") if widths else ""
    table = Table(title=f"B - A on the same {runs:,} runs (seed {seed}), by day {days}\n"
                        f"A = {labels[0]}   B = {labels[1]}", title_justify="left",
                  caption=f"Paired 95% intervals (Newcombe 1998, method 10), bold when they "
                          f"exclude 0{gain}.",
                  caption_justify="left")
    table.add_column("outcome", overflow="fold")
    for col in ("A", "B", "B - A", "95% interval"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows:
        lo, hi = r["ci95"]
        table.add_row(r["id"], f"{r['probability_a']:.1%}", f"{r['probability_b']:.1%}",
                      f"{r['difference']:+.1%}", f"{lo:+.1%} to {hi:+.1%}",
                      style="bold" if lo > 0 or hi < 0 else "")
    out.print(table)


@app.command()
@_user_errors
def ask(
    results: Annotated[Path, typer.Argument(help="A results folder written by `powderkeg run`.")],
    given: Annotated[str, typer.Option(help="The outcome id the question is conditioned on.")],
    then: Annotated[str, typer.Option(help="The outcome id whose chance is asked.")],
    within: Annotated[int | None, typer.Option(
        min=0, help="THEN must follow GIVEN within this many days.")] = None,
    by: Annotated[int | None, typer.Option(
        min=0, help="Last day counted (default: the horizon of the results).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document on standard output instead of the table.")] = False,
) -> None:
    """P(THEN | GIVEN) and P(THEN | not GIVEN) in the simulated futures, with intervals."""
    from powderkeg.analysis.ask import conditional
    from powderkeg.results import load_results

    ds = load_results(results)
    known = [str(o) for o in ds.outcome.values]
    for option, oid in (("--given", given), ("--then", then)):
        if oid not in known:
            raise InputError(f"{option} {oid}: the results in {results} have no such outcome. "
                             f"Use one of: {', '.join(known)}.")
    doc = conditional(ds, given, then, within, by)
    variant = (f"powderkeg compare {results / 'scenario.yaml'} VARIANT.yaml --runs "
               f"{ds.sizes['run']} --days {ds.attrs.get('days')} --seed {ds.attrs.get('seed')}")
    doc["interventional"] = variant
    if as_json:
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    follow = f" within {within} days" if within is not None else ""
    table = Table(title=f"P({then}{follow} | {given}), by day {doc['by']}", title_justify="left")
    table.add_column("runs where")
    for col in ("runs", f"{then}", "95% interval"):
        table.add_column(col, justify="right", no_wrap=True)

    def rows(answer):
        for key, name in (("given", f"{given} happened"), ("not_given", f"{given} did not")):
            g = answer[key]
            p = "-" if g["probability"] is None else f"{g['probability']:.1%}"
            ci = "-" if g["ci95"] is None else f"{g['ci95'][0]:.1%}-{g['ci95'][1]:.1%}"
            table.add_row(name, f"{g['runs']:,}", p, ci)
        if answer["difference"] is not None:
            lo, hi = answer["ci95"]
            table.add_row("difference", "", f"{answer['difference']:+.1%}",
                          f"{lo:+.1%} to {hi:+.1%}", end_section=True)

    rows(doc)
    for name, answer in doc.get("by_theory", {}).items():
        table.add_row(f"under {name}:", style="italic")
        rows(answer)
    out.print(table)
    if within is not None:
        out.print(f"Runs without {given} are counted from day "
                  f"{doc['window_start_not_given']:.0f} (the median day {given} happened), "
                  f"for {within} days; in both groups, runs where {then} had already happened "
                  "are left out.", markup=False, soft_wrap=True)
    if doc["few_runs"] or any(a["few_runs"] for a in doc.get("by_theory", {}).values()):
        err.print("warning: some groups have fewer than 30 runs, so their shares are rough; "
                  "run more futures.", markup=False, soft_wrap=True)
    out.print("This is association among the model's futures, not what making "
              f"{given} happen would do. For that, write a variant in which it happens and "
              f"run: {variant}", markup=False, soft_wrap=True)


class Method(str, Enum):
    sobol = "sobol"
    morris = "morris"


@app.command("sensitivity")
@_user_errors
def sensitivity_command(
    scenario: ScenarioArg = "autumn-2022",
    method: Annotated[Method, typer.Option(
        help="sobol: total-order Sobol' indices (N (D + 2) runs for D parameters); morris: "
             "Morris screening, cheaper (N (D + 1) runs).")] = Method.sobol,
    outcome: Annotated[Optional[list[str]], typer.Option(
        help="Outcome id to analyse; repeat for several (default: every outcome).")] = None,
    samples: Annotated[Optional[int], typer.Option(
        min=2, help="Sobol' base samples N (a power of 2; default 64) or Morris trajectories "
                    "(default 20).")] = None,
    days: HorizonOpt = None,
    seed: SeedOpt = 0,
    param: Annotated[Optional[list[str]], typer.Option(
        help="Only parameters whose path contains this text; repeat for several "
             "(default: every uncertain parameter).")] = None,
    top: Annotated[int, typer.Option(min=1, help="Parameters shown per outcome.")] = 10,
    independent: Annotated[bool, typer.Option(
        "--independent-chance", help="Give every design row its own chance events (one "
        "engine call, faster per run, but noisier: a dummy factor shows the noise floor).")]
    = False,
    workers: WorkersOpt = 2,
    cluster: ClusterOpt = None,
    scheduler: SchedulerOpt = None,
    chunk: ChunkOpt = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Finish an interrupted analysis with the same options: reuse its "
                         "finished chunks (kept in runs/), compute only the missing ones.")]
    = False,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document on standard output instead of tables.")] = False,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Folder for a tornado chart per outcome (PNG and SVG) and "
                      "sensitivity.json.")] = None,
    posterior: Annotated[Optional[Path], typer.Option(
        "--posterior", metavar="FIT_DIR", help="Fitted parameters range over this fit's "
        "posterior marginals instead of their priors.")] = None,
) -> None:
    """Rank the uncertain parameters by their influence on each outcome (SALib)."""
    from powderkeg.analysis.sensitivity import DUMMY, plan, sensitivity
    from powderkeg.engine.executors import make_executor
    from powderkeg.engine.job import claim_work
    from powderkeg.engine.progress import JobProgress
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.posterior import with_posterior

    s = with_posterior(load_scenario(scenario), posterior)
    days = _horizon(days, s)
    n = samples or {"sobol": 64, "morris": 20}[method.value]
    cost = plan(s, outcome, method.value, n, param, common_chance=not independent)
    total = cost["runs"]
    err.print(f"{s.id}: {method.value} over {len(cost['factors'])} factors, {n} samples: "
              f"{total:,} runs x {days} days in {cost['engine_calls']} engine call(s)",
              soft_wrap=True)
    work = claim_work(Path("runs") / f".sensitivity-{s.id}-{method.value}-seed{seed}-n{n}.work",
                      f"this {method.value} analysis", resume)
    try:
        with JobProgress(err.file, quiet) as bar, \
                make_executor(workers, cluster, scheduler) as ex:
            _load_kernels(bar, s)
            bar.phase(f"simulating {s.id}: {method.value} sensitivity ({ex.describe()})",
                      total * days)
            result = sensitivity(s, outcome, method=method.value, samples=n, days=days,
                                 seed=seed, params=param, progress=bar,
                                 common_chance=not independent, executor=ex,
                                 chunk_size=chunk, work_dir=work.path)
    except Stopped as e:
        err.print(f"Stopped by {e}. {len(work.done())} finished chunk(s) of runs are kept in "
                  f"{work.path}; run the same command with --resume to finish the analysis.",
                  markup=False, soft_wrap=True)
        work.release()
        raise typer.Exit(e.exit_code) from None
    work.remove()
    doc = {"scenario": s.id, "method": method.value, "samples": n, "runs": total,
           "days": days, "seed": seed, "common_chance": not independent, "outcomes": result}
    if out_dir is not None:
        _write_sensitivity(doc, out_dir)
    if as_json:
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    index = {"sobol": "ST", "morris": "mu*"}[method.value]
    for oid, rows in result.items():
        if not rows:
            out.print(f"{oid}: happened in no run or in every run; nothing to rank.")
            continue
        table = Table(title=f"{oid}: drivers by {index} ({method.value}, {total:,} runs)",
                      title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("parameter", overflow="fold")
        table.add_column(index, justify="right", no_wrap=True)
        table.add_column("95% interval", justify="right", no_wrap=True)
        table.add_column("S1" if method.value == "sobol" else "mu", justify="right",
                         no_wrap=True)
        shown = [r for r in rows if not r["dummy"]][:top] + [r for r in rows if r["dummy"]]
        for rank, r in enumerate(shown, 1):
            extra = r["S1"] if method.value == "sobol" else r["mu"]
            table.add_row("-" if r["dummy"] else str(rank), escape(r["path"]),
                          f"{r['index']:.3f}", f"{r['ci95_low']:.3f} to {r['ci95_high']:.3f}",
                          f"{extra:+.3f}", style="dim" if r["path"] == DUMMY else "")
        out.print(table)
    if out_dir is not None:
        out.print(f"Charts and sensitivity.json written to {out_dir}")


def _write_sensitivity(doc: dict, folder: Path) -> None:
    from powderkeg.report.tornado import tornado_chart

    folder.mkdir(parents=True, exist_ok=True)
    for oid, rows in doc["outcomes"].items():
        tornado_chart(rows, folder / f"tornado-{oid}",
                      title=f"{oid}: drivers ({doc['method']}, {doc['runs']:,} runs)")
    tmp = folder / ".sensitivity.json.partial"
    tmp.write_text(json.dumps(doc, indent=1), "utf-8")
    tmp.replace(folder / "sensitivity.json")


@app.command("backtest")
@_user_errors
def backtest_command(
    questions: Annotated[str, typer.Argument(
        help="A built-in question file id (autumn-2022) or a question YAML file.")],
    results: Annotated[Optional[Path], typer.Option(
        "--results", help="Score this results folder of `powderkeg run` instead of running.")]
    = None,
    scenario: Annotated[Optional[str], typer.Option(
        help="Scenario to run (default: the one the question file names).")] = None,
    runs: Annotated[Optional[int], typer.Option(
        min=1, help="Number of simulated futures (default 2,000).")] = None,
    days: Annotated[Optional[int], typer.Option(
        min=1, max=3650, help="Horizon in days after the scenario date (default 365).")] = None,
    seed: Annotated[Optional[int], typer.Option(
        min=0, max=MAX_SEED, help="Seed, 0 to 2**64 - 1 (default 0).")] = None,
    policy: PolicyOpt = None,
    workers: WorkersOpt = 2,
    cluster: ClusterOpt = None,
    scheduler: SchedulerOpt = None,
    chunk: ChunkOpt = None,
    quiet: QuietOpt = False,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Folder for ledger.csv, backtest.json and the reliability diagram "
                      "(must be new or empty; default: a new folder under runs/).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON summary on standard output instead of tables.")] = False,
) -> None:
    """Score a run's probabilities on resolved questions: Brier and log scores, a ledger."""
    from powderkeg.analysis.backtest import backtest
    from powderkeg.report.backtest import write_backtest
    from powderkeg.results import default_out_dir
    from powderkeg.scenario.questions import check_against, load_questions

    qs = load_questions(questions)
    if results is not None:
        given = [f"--{k}" for k, v in (("scenario", scenario), ("runs", runs), ("days", days),
                                       ("seed", seed), ("policy", policy)) if v is not None]
        if given:
            raise InputError(f"--results scores runs that were already made, so {', '.join(given)} "
                             "cannot change them. Leave out --results to run anew, or leave "
                             "out those options.")
        from powderkeg.results import load_results

        ds = load_results(results)
        date = dt.date.fromisoformat(str(ds.attrs["date"]))
        check_against(qs, questions, str(ds.attrs["scenario"]),
                      [str(o) for o in ds.outcome.values], date, int(ds.attrs["days"]))
    else:
        from powderkeg.scenario import load_scenario
        from powderkeg.scenario.load import with_policy

        s = with_policy(load_scenario(scenario or qs.scenario), policy)
        date = s.date
        check_against(qs, questions, s.id, [o.id for o in s.outcomes], date, days or 365)
        ds = _backtest_runs(s, runs or 2_000, days or 365, seed or 0,
                            (workers, cluster, scheduler, chunk), quiet)
    doc = {"questions": questions, "command": ["powderkeg", *sys.argv[1:]],
           **backtest(ds, qs, date)}
    target = write_backtest(doc, out_dir or default_out_dir(f"backtest-{ds.attrs['scenario']}",
                                                            doc["seed"]))
    if as_json:
        summary = {k: v for k, v in doc.items() if k != "reliability"}
        sys.stdout.write(json.dumps({**summary, "out": str(target)}) + "\n")
        return
    _print_backtest(doc, target)


def _backtest_runs(s, runs, days, seed, execution, quiet):
    from powderkeg.engine.executors import make_executor
    from powderkeg.engine.preflight import check_runs
    from powderkeg.engine.progress import JobProgress
    from powderkeg.engine.simulate import simulate

    check_runs(runs)
    workers, cluster, scheduler, chunk = execution
    with JobProgress(err.file, quiet) as bar, make_executor(workers, cluster, scheduler) as ex:
        _load_kernels(bar, s)
        bar.phase(f"simulating {s.id}: {runs:,} runs x {days} days ({ex.describe()})",
                  runs * days)
        return simulate(s, runs, days, seed, executor=ex, chunk_size=chunk, progress=bar,
                        series=())


def _print_backtest(doc: dict, target: Path) -> None:
    table = Table(title=f"{doc['scenario']}: {len(doc['ledger'])} questions scored on "
                        f"{doc['runs']:,} runs (seed {doc['seed']})", title_justify="left")
    table.add_column("question", overflow="fold", min_width=14)
    for col in ("deadline", "model", "95% interval", "happened", "Brier", "log", "crowd"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in doc["ledger"]:
        crowd = r["crowd"]
        table.add_row(r["id"], r["deadline"], f"{r['probability']:.1%}",
                      f"{r['ci95'][0]:.1%}-{r['ci95'][1]:.1%}",
                      f"yes {r['resolved_on']}" if r["resolution"] else "no",
                      f"{r['brier']:.3f}", f"{r['log']:.3f}",
                      f"{crowd['probability']:.0%} ({crowd['brier']:.3f})" if crowd else "-")
    out.print(table)
    scores = Table(title="Mean scores (lower is better); 95% bootstrap intervals over the "
                         "questions asked and over the runs", title_justify="left")
    scores.add_column("forecaster", overflow="fold", min_width=14)
    for col in ("questions", "Brier", "over questions", "over runs", "log", "over questions"):
        scores.add_column(col, justify="right", no_wrap=True)

    def row(name, n, s):
        runs_ci = s.get("brier_ci95_runs")
        scores.add_row(name, str(n), f"{s['brier']:.3f}", _span(s["brier_ci95_questions"]),
                       _span(runs_ci) if runs_ci else "", f"{s['log']:.3f}",
                       _span(s["log_ci95_questions"]))

    row("model", doc["scores"]["all"]["questions"], doc["scores"]["all"]["model"])
    crowd = doc["scores"]["with_crowd"]
    if crowd:
        row("model, same questions", crowd["questions"], crowd["model"])
        row("crowd", crowd["questions"], crowd["crowd"])
        d = crowd["difference"]
        scores.add_row("model - crowd (paired)", str(crowd["questions"]), f"{d['brier']:+.3f}",
                       _span(d["brier_ci95"], "+"), "", f"{d['log']:+.3f}",
                       _span(d["log_ci95"], "+"))
    for name, s in doc["scores"].get("by_theory", {}).items():
        scores.add_row(f"model, {name} runs", str(len(doc["ledger"])),
                       f"{s['brier']:.3f}", "", "", f"{s['log']:.3f}", "")
    scores.add_row("always 50%", str(len(doc["ledger"])), "0.250", "", "",
                   f"{doc['uninformed']['log']:.3f}", "")
    out.print(scores)
    out.print(f"Log score: -ln of the probability given to what happened, clipped to "
              f"[{doc['log_floor']:g}, {1 - doc['log_floor']:g}]. Ledger, scores and the "
              f"reliability diagram written to {target}", markup=False, soft_wrap=True)


def _span(ci, sign: str = "") -> str:
    return f"{ci[0]:{sign}.3f} to {ci[1]:{sign}.3f}"


@app.command("fit")
@_user_errors
def fit_command(
    scenario: ScenarioArg,
    observations: Annotated[Optional[Path], typer.Option(
        "--observations", metavar="FILE", help="Observations file (default: the one the "
                                               "scenario names).")] = None,
    waves: Annotated[int, typer.Option(min=1, max=20, help="History-matching waves.")] = 12,
    points: Annotated[int, typer.Option(min=8, help="Design points per wave.")] = 256,
    runs_per_point: Annotated[int, typer.Option(
        "--runs-per-point", min=2, help="Replicate runs per design point.")] = 8,
    max_runs_per_point: Annotated[int, typer.Option(
        "--max-runs-per-point", help="Replicate runs of a point near the cut-off or not "
        "ruled out, before the cut is applied (equal to --runs-per-point: no extra runs).")]
    = 32,
    fit_state: Annotated[bool, typer.Option(
        "--fit-state/--no-fit-state", help="Fit the scenario's uncertain state (fronts, "
        "forces, stocks, links) jointly as design dimensions; the posterior carries only the "
        "structural parameters over.")] = True,
    weights: Annotated[str, typer.Option(
        "--weights", metavar="nroy|likelihood", help="What the posterior samples: the prior "
        "within the space not ruled out (nroy), or that times the synthetic likelihood.")]
    = "nroy",
    param: Annotated[Optional[list[str]], typer.Option(
        "--params", help="Fit only structural parameters whose path contains this text; "
                         "repeat for several (default: every uncertain structural one).")]
    = None,
    holdout_after: Annotated[Optional[dt.datetime], typer.Option(
        "--holdout-after", formats=["%Y-%m-%d"], metavar="DATE", help="Fit only the "
        "observations dated up to DATE; predict the later ones and report their coverage.")]
    = None,
    discrepancy: Annotated[float, typer.Option(
        min=0.0, help="Model discrepancy sd as a multiple of each observation's sd.")] = 0.5,
    case_base: Annotated[bool, typer.Option(
        "--case-base", help="Also weigh each point by how likely it makes the escalation case "
                            "base (the episodes `powderkeg calibrate` scores).")] = False,
    seed: SeedOpt = 0,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Fit folder (must be new or empty; default: a new folder under "
                      "runs/).")] = None,
    workers: WorkersOpt = 2,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the fit's summary as one JSON document instead of tables.")]
    = False,
) -> None:
    """Fit the uncertain structural parameters to observations by history matching in waves,
    then sample their posterior (docs/design/012-history-matching.md)."""
    from powderkeg.analysis.fit import FitSettings, fit
    from powderkeg.engine.executors import make_executor
    from powderkeg.engine.progress import JobProgress
    from powderkeg.report.fit import write_fit
    from powderkeg.results import check_out_dir, default_out_dir
    from powderkeg.scenario import load_scenario
    from powderkeg.scenario.observations import observations_of

    s = load_scenario(scenario)
    obs = observations_of(s, observations)
    target = out_dir or default_out_dir(f"fit-{s.id}", seed)
    check_out_dir(target)
    settings = FitSettings(waves, points, runs_per_point, discrepancy, seed=seed,
                           holdout_after=holdout_after.date() if holdout_after else None,
                           case_base=case_base, max_runs_per_point=max_runs_per_point,
                           fit_state=fit_state, target=weights)
    with JobProgress(err.file, quiet) as bar, make_executor(workers) as ex:
        _load_kernels(bar, s)
        job = fit(s, obs, settings, param, {"executor": ex}, bar)
        bar.phase(f"writing the fit to {target}")
        folder, doc = write_fit(job, target, ["powderkeg", *sys.argv[1:]])
    if as_json:
        sys.stdout.write(json.dumps({**doc, "fit_dir": str(folder)}) + "\n")
        return
    _print_fit(doc, folder, scenario)


def _print_hardest(doc: dict) -> None:
    from powderkeg.analysis.fit import hardest_observations

    hard = hardest_observations(doc["observations"])
    if not hard:
        return
    table = Table(title=f"Observations that rule points out (implausibility above "
                        f"{doc['settings']['cutoff']:g})", title_justify="left")
    for col in ("observation", "median I, wave 1", "smallest", "points ruled out"):
        table.add_column(col, justify="left" if col == "observation" else "right")
    for r in hard:
        i = r["implausibility"]
        table.add_row(r["id"], f"{i['median_wave1']:.2f}", f"{i['smallest_wave1']:.2f}",
                      f"{i['share_above_cutoff']:.0%}")
    out.print(table)


def _print_parameters(title: str, rows: list[dict]) -> None:
    table = Table(title=title, title_justify="left")
    for col, just in (("parameter", "left"), ("prior", "right"), ("posterior", "right"),
                      ("", "left")):
        table.add_column(col, justify=just, overflow="fold")
    for r in rows:
        cell = [f"{q[1]:.3g} ({q[0]:.3g}-{q[2]:.3g})" for q in (r["prior"], r["posterior"])]
        table.add_row(escape(r["path"]), *cell,
                      {True: "learnt", False: "", None: "?"}[r["learnt"]])
    out.print(table)


def _print_fit(doc: dict, folder: Path, scenario: str) -> None:
    waves = Table(title=f"{doc['scenario']}: history matching on {doc['observations_fitted']} "
                        f"observations, {doc['parameters_fitted']} parameters, "
                        f"{doc['runs']:,} runs", title_justify="left")
    for col in ("wave", "points", "more runs", "not ruled out", "moves accepted",
                "smallest I", "median I"):
        waves.add_column(col, justify="right")
    for w in doc["waves"]:
        waves.add_row(str(w["wave"]), str(w["points"]), str(w["points_with_more_runs"]),
                      f"{w['not_ruled_out']} ({w['share_not_ruled_out']:.0%})",
                      "" if w["accepted"] is None else str(w["accepted"]),
                      f"{w['smallest_implausibility']:.2f}", f"{w['median_implausibility']:.2f}")
    out.print(waves)
    _print_parameters(f"Prior vs posterior (median and 90% interval; effective sample "
                      f"{doc['effective_sample_size']:.0f} from {doc['ancestors']} wave-1 "
                      "points)", doc["parameters"])
    learnt_state = [r for r in doc["state"] if r["learnt"] is not False]
    if doc["state"]:
        _print_parameters(f"State at {doc['date']}, fitted as nuisance and not carried over: "
                          f"{len(learnt_state)} of {len(doc['state'])} learnt or unknown "
                          "(all in parameters.csv)", learnt_state)
    if any(r["learnt"] is None for r in doc["parameters"]):
        out.print("?: too few effective points to say whether the fit learnt it.",
                  markup=False)
    obs = Table(title="Observations: observed vs posterior predictive (90% interval)",
                title_justify="left")
    for col in ("observation", "date", "observed", "posterior", "covered", ""):
        obs.add_column(col, justify="left" if col in ("observation", "") else "right")
    for r in doc["observations"]:
        p = r["posterior"]
        pred = (f"P(true) {p['predicted']:.0%}" if r["binary"] else
                f"{p['predicted']:.3g} ({p['ci90'][0]:.3g}-{p['ci90'][1]:.3g})")
        obs.add_row(r["id"], r["date"], f"{r['observed']:.3g}", pred,
                    "yes" if p["covered"] else "no", "" if r["fitted"] else "held out")
    out.print(obs)
    _print_hardest(doc)
    held = doc["coverage"]["held_out"]
    if held["observations"]:
        out.print(f"Held-out coverage: {held['covered']} of {held['observations']} observations "
                  f"after {doc['holdout_after']} inside their 90% intervals.", markup=False)
    out.print(f"Fit written to {folder}; use it with `powderkeg run {scenario} "
              f"--posterior {folder}`.", markup=False, soft_wrap=True)


@app.command()
@_user_errors
def serve(
    target: Annotated[Optional[str], typer.Argument(
        metavar="[SCENARIO | RESULTS_DIR]", help="A built-in scenario id, a scenario file or a "
        "results folder written by `powderkeg run` (default: autumn-2022).")] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8050,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but 127.0.0.1 "
                                      "lets other machines in.")] = "127.0.0.1",
    runs: Annotated[int, typer.Option(min=2, help="Runs of each baseline simulated here.")]
    = 400,
    quick: Annotated[int, typer.Option(min=2, help="Runs of a first answer, before the "
                                       "refinement to --runs.")] = 50,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Horizon in days after the "
                                      "scenario date.")] = 365,
    seed: SeedOpt = 0,
) -> None:
    """Start a local dashboard: move levers and see the futures change (optional extra: app)."""
    from powderkeg.app import require_dash

    require_dash()
    from powderkeg.app.server import LOCAL_HOSTS, check_port
    from powderkeg.app.server import serve as run_server
    from powderkeg.app.session import Session

    check_port(host, port)
    session = Session(target, runs, days, seed, quick)
    if host not in LOCAL_HOSTS:
        err.print(f"warning: listening on {host}: anyone who can reach this machine can use "
                  "the dashboard and make it simulate; it has no login.", markup=False,
                  soft_wrap=True)
    shown = f"[{host}]" if ":" in host else host
    out.print(f"powderkeg dashboard on http://{shown}:{port}/ (Ctrl-C stops it)", markup=False)
    run_server(session, host, port)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
