"""Engine benchmark: speed and peak memory of ``simulate`` on the built-in scenario.

Measures, for ``autumn-2022``:

* the engine, ``powderkeg.engine.simulate.simulate(scenario, runs, days, seed, executor=E)``
  on the local process pool or (``--executor dask``) a Dask ``LocalCluster`` of W workers:
  run-days per second and the peak resident memory (RSS high-water mark) of the driver
  process (``RUSAGE_SELF``) and of the largest worker process (``RUSAGE_CHILDREN``), for
  1,000 / 10,000 / 100,000 runs of 365 days; the executor's start-up is timed apart;
* optionally (``--overhead``) the cost of one task on the executor: many chunks of one run
  and one day, wall time x workers / tasks, minus the same chunk's time in this process;
* one day's supply solve per run, on the scenario's supply graph with day-0 capacities and
  with every link at half capacity: the former solver (every run's graph as one disjoint-union
  graph for scipy's Dinic), the compiled per-run Dinic of ``powderkeg.model.maxflow``, and the
  compiled Dinic with the shortage rule (``powderkeg.model.logistics.solve_max_flow``);
* optionally (``--resolve-rule``) the effect of the re-solve rule of
  ``powderkeg.model.logistics.needs_resolve``: the share of runs whose maximum flow is solved
  again each day, and the time with the rule and without it (every run solved every day).

Every measurement runs in a fresh Python subprocess, so one size's memory peak never carries
over into the next. Usage::

    python benchmarks/bench_engine.py                  # 1,000 / 10,000 / 100,000 runs (minutes)
    python benchmarks/bench_engine.py --quick          # 1,000 and 10,000 runs only
    python benchmarks/bench_engine.py --sizes 5000 --workers 1 --out one-worker.json
    python benchmarks/bench_engine.py --resolve-rule --sizes 0    # kernel and re-solve rule only
    python benchmarks/bench_engine.py --quick --executor dask --workers 1 --overhead

``make bench`` runs the first line. Performance is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

SCENARIO = "autumn-2022"
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
KERNEL_SIZES = (1_000, 10_000)
RESULTS_DIR = Path(__file__).resolve().parent / "results"
_TAG = "BENCH-RESULT "  # prefix of the one line a child process reports on standard output


# ---------------------------------------------------------------------------------------------
# Measurements (each runs inside a child process)


def _peak_mb(who: int) -> float:
    """High-water mark of resident memory in MB (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


EXECUTORS = ("pool", "dask")


def _executor(kind: int, workers: int):
    from powderkeg.engine.executors import DaskExecutor, ProcessPool

    return DaskExecutor(workers) if EXECUTORS[kind] == "dask" else ProcessPool(workers)


def _engine(runs: int, days: int, workers: int, seed: int, kind: int = 0) -> dict:
    from powderkeg.engine.simulate import record_interval, simulate
    from powderkeg.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    baseline = _peak_mb(resource.RUSAGE_SELF)
    t = time.perf_counter()
    executor = _executor(kind, workers)
    startup = time.perf_counter() - t
    total = runs * days
    state = {"done": 0, "next": 0.1}
    start = time.perf_counter()
    cpu0 = os.times()

    def progress(n: int) -> None:
        state["done"] += n
        frac = state["done"] / total
        if runs >= 10_000 and frac >= state["next"] - 1e-12:
            elapsed = time.perf_counter() - start
            eta = elapsed * (1 - frac) / frac
            _log(f"    {runs:>9,} runs: {frac:4.0%} after {elapsed:6.1f} s "
                 f"({state['done'] / elapsed:,.0f} run-days/s, about {eta:,.0f} s to go)")
            while state["next"] <= frac + 1e-12:
                state["next"] += 0.1

    ds = simulate(scenario, runs, days, seed, executor=executor, progress=progress)
    wall = time.perf_counter() - start
    executor.close()  # its worker processes end, so RUSAGE_CHILDREN counts them
    cpu1 = os.times()
    cpu = sum(getattr(cpu1, k) - getattr(cpu0, k)
              for k in ("user", "system", "children_user", "children_system"))
    return {
        "cpu_seconds": cpu, "run_days_per_cpu_s": runs * days / cpu,
        "runs": runs, "days": days, "workers": workers, "seed": seed,
        "executor": EXECUTORS[kind], "startup_seconds": startup,
        "seconds": wall, "run_days_per_s": runs * days / wall,
        "peak_rss_self_mb": _peak_mb(resource.RUSAGE_SELF),
        "peak_rss_children_mb": _peak_mb(resource.RUSAGE_CHILDREN),
        "rss_before_simulate_mb": baseline,
        "dataset_mb": ds.nbytes / 2**20,
        "record_every_days": record_interval(runs, days),
    }


def _overhead(workers: int, kind: int, tasks: int) -> dict:
    """Seconds one task costs on the executor beyond its computing (1 run x 1 day each)."""
    from powderkeg.engine.executors import InProcess
    from powderkeg.engine.simulate import simulate
    from powderkeg.scenario import load_scenario

    scenario = load_scenario(SCENARIO)

    def per_task(executor) -> float:
        simulate(scenario, 2 * workers, 1, 0, chunk_size=1, every=1, executor=executor)  # warm
        t = time.perf_counter()
        simulate(scenario, tasks, 1, 0, chunk_size=1, every=1, executor=executor)
        return (time.perf_counter() - t) / tasks

    local = per_task(InProcess())
    executor = _executor(kind, workers)
    remote = per_task(executor) * workers
    executor.close()
    return {"executor": EXECUTORS[kind], "workers": workers, "tasks": tasks,
            "in_process_seconds_per_task": local, "seconds_per_task": remote,
            "overhead_ms_per_task": (remote - local) * 1e3}


def _kernel_inputs(runs: int, seed: int):
    """The scenario's Russian supply graph and every run's day-0 arc capacities (the engine's)."""
    import numpy as np

    from powderkeg.model.build import build_model
    from powderkeg.model.random import Streams
    from powderkeg.model.step import init_state
    from powderkeg.model.world import sample_world
    from powderkeg.scenario import load_scenario

    model = build_model(load_scenario(SCENARIO))
    side = next(i for i, g in enumerate(model.flow_graphs) if g is not None)
    ids, streams = np.arange(runs), Streams(seed)
    state = init_state(model, sample_world(model, streams, ids), streams, ids)
    return model.flow_graphs[side], state.arc_cap[side].astype(np.int64)


def _scipy_batch(g, cap):
    """The former solver: every run's graph as one disjoint-union graph for scipy's Dinic."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import maximum_flow

    from powderkeg.model.logistics import INF_CAPACITY, per_pair

    runs, nn = cap.shape[0], g.n_nodes
    pair_cap = per_pair(g, cap.astype(float)).astype(np.int64)
    offset = (np.arange(runs, dtype=np.int64) * nn)[:, None]
    total = runs * nn + 2
    rows = np.concatenate([(g.pair_tail[None, :] + offset).ravel(), np.full(runs, total - 2),
                           (offset + g.sink).ravel()])
    cols = np.concatenate([(g.pair_head[None, :] + offset).ravel(), (offset + g.source).ravel(),
                           np.full(runs, total - 1)])
    data = np.concatenate([pair_cap.ravel(), np.full(2 * runs, INF_CAPACITY, dtype=np.int64)])
    graph = sp.csr_matrix((data.astype(np.int32), (rows, cols)), shape=(total, total))
    return maximum_flow(graph, total - 2, total - 1, method="dinic").flow_value


def _kernel(runs: int, seed: int, repeats: int = 5) -> dict:
    """Time per run of one day's supply solve: the former scipy batch graph, the compiled
    Dinic, and the compiled Dinic with the shortage rule; at day-0 capacities and with every
    link at half capacity (a shortage in most runs)."""
    import numpy as np

    from powderkeg.model.logistics import solve_max_flow

    g, cap = _kernel_inputs(runs, seed)
    short = cap.copy()
    short[:, g.link_arcs] //= 2
    solvers = {"scipy_batch": _scipy_batch,
               "compiled": lambda g, c: solve_max_flow(g, c, shared=False),
               "compiled_shared": solve_max_flow}
    out = {"runs": runs, "graph_nodes": int(g.n_nodes), "graph_arcs": int(g.n_arcs),
           "graph_node_pairs": int(len(g.pair_tail)), "repeats": repeats}
    for case, c in (("day0", cap), ("half_links", short)):
        plain = solve_max_flow(g, c, shared=False)
        out[f"{case}_short_share"] = float(np.mean(
            plain[:, g.sink_arcs].sum(1) < c[:, g.sink_arcs].sum(1) - 1e-6))
        for name, solve in solvers.items():
            solve(g, c[: min(runs, 100)])  # warm-up (and compilation, if not cached)
            times = []
            for _ in range(repeats):
                t = time.process_time()
                solve(g, c)
                times.append(time.process_time() - t)
            out[f"{case}_{name}_us_per_run"] = min(times) / runs * 1e6
    return out


def _resolve_rule(runs: int, days: int, seed: int, always: bool) -> dict:
    """Simulate in-process, counting the runs re-solved each day; ``always`` disables the rule."""
    import numpy as np

    import powderkeg.model.step as step_module
    from powderkeg.analysis.outcomes import outcome_summary
    from powderkeg.engine.simulate import simulate
    from powderkeg.model.logistics import needs_resolve as rule
    from powderkeg.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    supply_day = step_module.supply_day
    resolved, solve_time = [], [0.0]

    def counted_supply_day(g, side, links, control, open_cap, source_tons, depot_ok, sink,
                           road_km_factor, fleet, plan, flow):
        forgot = lambda old: (None, None, old[2]) if always else old  # noqa: E731
        t = time.perf_counter()  # without the rule, yesterday's flows forgotten, cuts kept
        today_plan, today_flow, delivered = supply_day(
            g, side, links, control, open_cap, source_tons, depot_ok, sink, road_km_factor,
            fleet, forgot(plan), forgot(flow))
        solve_time[0] += time.perf_counter() - t
        # runs the rule sends to the solver: the plan's, and the flow's with the runs whose
        # plan was the flow (the trucks sufficed) included
        redo, n = 0, 0
        for old, new in ((plan, today_plan), (flow, today_flow)):
            if old[1] is not None and new[1] is not old[1]:
                runs_redone = (np.ones(len(control), dtype=bool) if always else
                               rule(g, old[0], new[0], old[1]))
                redo, n = redo + int(runs_redone.sum()), n + len(runs_redone)
        if n:
            resolved.append((redo, n))
        return today_plan, today_flow, delivered

    step_module.supply_day = counted_supply_day
    start = time.perf_counter()
    ds = simulate(scenario, runs, days, seed, workers=1)
    wall = time.perf_counter() - start
    sides = sum(g is not None for g in _flow_graphs(scenario))
    per_day = np.zeros(days)
    for i, (k, n) in enumerate(resolved):  # chunks run in order; each calls once per side a day
        per_day[(i // sides) % days] += k / n
    per_day /= len(resolved) / (sides * days)
    summary = outcome_summary(ds)
    return {
        "runs": runs, "days": days, "seed": seed, "rule": "off" if always else "on",
        "seconds": wall, "max_flow_seconds": solve_time[0],
        "resolved_share_mean": float(per_day.mean()),
        "resolved_share_by_day": {str(d): float(per_day[d - 1])
                                  for d in (1, 2, 7, 30, 90, 180, days) if d <= days},
        "probabilities": {k: v["probability"] for k, v in summary.items()},
        "event_day_sha256": _digest(ds.event_day.values),
    }


def _flow_graphs(scenario):
    from powderkeg.model.build import build_model

    return build_model(scenario).flow_graphs


def _digest(a) -> str:
    import hashlib

    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _child(argv: list[str]) -> None:
    kind, *nums = argv
    n = [int(x) for x in nums]
    if kind == "engine":
        out = _engine(*n)
    elif kind == "overhead":
        out = _overhead(*n)
    elif kind == "kernel":
        out = _kernel(*n)
    elif kind == "resolve":
        out = _resolve_rule(n[0], n[1], n[2], always=bool(n[3]))
    else:
        raise SystemExit(f"unknown child measurement {kind!r}")
    print(_TAG + json.dumps(out), flush=True)


# ---------------------------------------------------------------------------------------------
# Driver


def _spawn(*args) -> dict:
    """Run one measurement in a fresh interpreter; its progress goes straight to stderr."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *map(str, args)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed with exit code {proc.returncode}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith(_TAG))
    out = json.loads(line[len(_TAG):])
    out["load_average_1min_after"] = _load()
    return out


def _load() -> float | None:
    """The 1-minute load average; other programs competing for the CPUs show up here."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _environment() -> dict:
    import numpy
    import scipy

    import powderkeg

    return {
        "scenario": SCENARIO, "powderkeg": powderkeg.__version__,
        "python": platform.python_version(), "numpy": numpy.__version__,
        "scipy": scipy.__version__, "platform": platform.platform(),
        "cpus": os.cpu_count(), "load_average_1min_start": _load(),
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _engine_table(rows: list[dict]) -> str:
    head = (f"{'executor':>8} {'start s':>7} "
            f"{'runs':>9} {'days':>5} {'workers':>7} {'seconds':>9} {'run-days/s':>11} "
            f"{'CPU s':>8} {'per CPU s':>10} "
            f"{'peak MB driver':>14} {'peak MB worker':>14} {'dataset MB':>10} {'load':>5}")
    lines = [head, "-" * len(head)]
    for r in rows:
        child, load = r["peak_rss_children_mb"], r.get("load_average_1min_after")
        lines.append(f"{r['executor']:>8} {r['startup_seconds']:>7.1f} "
                     f"{r['runs']:>9,} {r['days']:>5} {r['workers']:>7} {r['seconds']:>9.1f} "
                     f"{r['run_days_per_s']:>11,.0f} {r['cpu_seconds']:>8.1f} "
                     f"{r['run_days_per_cpu_s']:>10,.0f} {r['peak_rss_self_mb']:>14,.0f} "
                     f"{(f'{child:,.0f}' if child else '-'):>14} {r['dataset_mb']:>10,.1f} "
                     f"{(f'{load:.1f}' if load is not None else '-'):>5}")
    return "\n".join(lines)


def _kernel_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    g = rows[0]
    lines = [f"supply solve, CPU microseconds per run (best of {g['repeats']}; one copy of the "
             f"graph has {g['graph_nodes']} nodes, {g['graph_node_pairs']} node pairs, "
             f"{g['graph_arcs']} arcs):",
             f"  {'runs':>7} {'capacities':>11} {'short':>6} {'scipy batch':>12} "
             f"{'compiled':>9} {'+ shortage rule':>16}"]
    for r in rows:
        for case in ("day0", "half_links"):
            lines.append(f"  {r['runs']:>7,} {case:>11} {r[f'{case}_short_share']:>6.0%} "
                         f"{r[f'{case}_scipy_batch_us_per_run']:>12.1f} "
                         f"{r[f'{case}_compiled_us_per_run']:>9.1f} "
                         f"{r[f'{case}_compiled_shared_us_per_run']:>16.1f}")
    return "\n".join(lines)


def _resolve_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    on, off = rows
    same = on["event_day_sha256"] == off["event_day_sha256"]
    diff = max(abs(on["probabilities"][k] - off["probabilities"][k]) for k in on["probabilities"])
    by_day = ", ".join(f"day {d}: {v:.1%}" for d, v in on["resolved_share_by_day"].items())
    return "\n".join([
        f"re-solve rule ({on['runs']:,} runs x {on['days']} days, one worker):",
        f"  runs re-solved per day: {on['resolved_share_mean']:.1%} on average ({by_day})",
        f"  with the rule:    {on['seconds']:7.1f} s in all, {on['max_flow_seconds']:6.1f} s in "
        "max flow",
        f"  without (always): {off['seconds']:7.1f} s in all, {off['max_flow_seconds']:6.1f} s in "
        "max flow",
        f"  event days identical: {'yes' if same else 'no'}; largest difference in an outcome "
        f"probability: {diff:.2%}",
    ])


def _write_json(doc: dict, name: str) -> Path:
    path = Path(name)
    if path.parent == Path("."):
        path = RESULTS_DIR / path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    os.replace(tmp, path)
    return path


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated run counts, got {text!r}") from None
    if any(s < 0 for s in sizes):
        raise argparse.ArgumentTypeError("run counts must be positive (0 skips the engine)")
    return [s for s in sizes if s > 0]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    p = argparse.ArgumentParser(
        description=f"Benchmark the powderkeg engine on the built-in scenario {SCENARIO}: "
                    "run-days per second and peak memory, each size in a fresh process.")
    p.add_argument("--sizes", type=_sizes, default=None,
                   help="comma-separated run counts (default 1000,10000,100000; 0: none)")
    p.add_argument("--days", type=int, default=365, help="horizon in days (default 365)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--executor", choices=EXECUTORS, default="pool",
                   help="pool: local processes (default); dask: a Dask LocalCluster")
    p.add_argument("--overhead", type=int, nargs="?", const=400, default=0, metavar="TASKS",
                   help="also time the cost per task on the executor (TASKS tasks of 1 run x "
                        "1 day, default 400)")
    p.add_argument("--quick", action="store_true",
                   help="sizes 1000 and 10000 only (a minute or so)")
    p.add_argument("--no-kernel", action="store_true", help="skip the max-flow kernel timing")
    p.add_argument("--resolve-rule", action="store_true",
                   help="also measure the re-solve rule: runs re-solved per day and the time "
                        "with and without it (2,000 runs, one worker; about a minute)")
    p.add_argument("--resolve-runs", type=int, default=2_000, help=argparse.SUPPRESS)
    p.add_argument("--out", metavar="FILE",
                   help="also write the results as JSON; a bare file name goes into "
                        "benchmarks/results/")
    a = p.parse_args(argv)
    if a.days < 1 or a.workers < 1:
        p.error("--days and --workers must be at least 1")
    sizes = a.sizes if a.sizes is not None else list(QUICK_SIZES if a.quick else SIZES)
    kind = EXECUTORS.index(a.executor)

    env = _environment()
    print(f"powderkeg {env['powderkeg']} engine benchmark: {SCENARIO}, {a.days} days, "
          f"{a.executor}, {a.workers} worker(s), seed {a.seed}; Python {env['python']}, "
          f"numpy {env['numpy']}, scipy {env['scipy']}, {env['cpus']} CPUs, load average "
          f"{env['load_average_1min_start']}", flush=True)
    engine = []
    for runs in sizes:
        _log(f"  simulating {runs:,} runs x {a.days} days in a fresh process ...")
        engine.append(_spawn("engine", runs, a.days, a.workers, a.seed, kind))
        r = engine[-1]
        _log(f"  {runs:,} runs: {r['seconds']:.1f} s, {r['run_days_per_s']:,.0f} run-days/s")
    overhead = [_spawn("overhead", a.workers, kind, a.overhead)] if a.overhead else []
    kernel = [] if a.no_kernel else [_spawn("kernel", n, a.seed) for n in KERNEL_SIZES]
    resolve = []
    if a.resolve_rule:
        for always in (0, 1):
            _log(f"  re-solve rule {'off' if always else 'on'}: {a.resolve_runs:,} runs x "
                 f"{a.days} days ...")
            resolve.append(_spawn("resolve", a.resolve_runs, a.days, a.seed, always))

    print()
    if engine:
        print(_engine_table(engine))
        print("peak MB: RSS high-water mark of the driver process (RUSAGE_SELF) and of the "
              "largest\nworker process (RUSAGE_CHILDREN); dataset MB: size of the returned "
              "xarray.Dataset;\nload: 1-minute load average at the end (the benchmark itself "
              f"accounts for about {a.workers}; more\nmeans other programs were competing for "
              f"the {env['cpus']} CPUs and the times are pessimistic).")
    for o in overhead:
        print(f"\ntask overhead ({o['executor']}, {o['workers']} worker(s), {o['tasks']} tasks of "
              f"1 run x 1 day): {o['overhead_ms_per_task']:.1f} ms per task beyond its "
              f"{o['in_process_seconds_per_task'] * 1e3:.1f} ms of computing")
    for block in (_kernel_table(kernel), _resolve_table(resolve)):
        if block:
            print()
            print(block)
    if a.out:
        doc = {"environment": env, "engine": engine, "task_overhead": overhead,
               "max_flow_kernel": kernel,
               "resolve_rule": resolve}
        path = _write_json(doc, a.out)
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            pass
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
