"""The speed table: the recorded baseline beside numbers measured now, and the goals.

``make bench`` runs this. Each measurement runs in a fresh Python process:

* the whole default run: ``powderkeg run --runs 10000 --json`` (365 days, no report), its
  wall seconds and CPU seconds, both of the whole process from its start (imports
  included) and its workers;
* the simulation alone: ``simulate`` on the local pool of 2 workers, keeping no series, in
  run-days per second (wall) and per CPU-second;
* the per-run networkx peer (``networkx_peer.py``): one Python object per run,
  ``networkx.maximum_flow_value`` each day on the capacities the engine's flow was solved
  for, logistics only; its values must equal the engine's delivered tons (checked here);
* the ratio of the simulation to the peer, per CPU-second;
* the peak resident memory of the driver and of the largest worker (read from ``/proc``
  while the workers run), for ``powderkeg run`` of 10,000 and of 100,000 runs, and whether
  it stays bounded (``BOUNDED_GROWTH``);
* where the step's time goes: cProfile with a CPU clock over one process's 500 runs x 365
  days, the share of each part of the step (``STEP_PARTS``);
* the fixed costs: ``powderkeg run --runs 2 --days 1 --json``, wall and CPU seconds;
* the Python between the step's compiled calls: plain CPU time of the same 500 runs x 365
  days, and the part of it spent outside the Numba kernels the step calls from Python
  (what a single compiled day loop could save at most);
* the state's bytes per run: every array of the engine's ``State`` after a day, and of
  the sampled world, divided by the runs.

The "recorded" column is ``baseline.json``: the numbers the speed issue recorded on the
two-core machine, with the commit they describe. Usage::

    python benchmarks/bench_goals.py            # 10,000 and 100,000 runs of 365 days
    python benchmarks/bench_goals.py --quick    # 2,000 runs; 100,000 runs of 30 days

Before any of these, a first child compiles the Numba kernels or loads them from the cache
(:func:`powderkeg.model.compiled.warm_up`), so that no measurement pays a compile; its time
is a row of the table (a compile after a model change takes about a minute).

Results are saved as JSON in benchmarks/results/. Performance is measured here, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.json"
RESULTS_DIR = HERE / "results"
SCENARIO = "autumn-2022"
_TAG = "BENCH-RESULT "
GOALS = {"simulation_run_days_per_s": 1_000_000, "whole_run_seconds": 6.0,
         "networkx_ratio": 500.0, "state_bytes_per_run": 2048}
#: "Bounded memory": ten times the runs may raise each peak (driver, largest worker) by at
#: most this factor (chunks are streamed to the results file; the driver still keeps a
#: few numbers per run, such as each outcome's day).
BOUNDED_GROWTH = 1.5


def _peak_mb(who: int) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# ---------------------------------------------------------------------------------------------
# Measurements, each in a child process


class _WorkerPeaks:
    """The largest peak resident memory among this process's descendants (the workers), read
    from ``/proc/<pid>/status`` (``VmHWM``) every ``every`` seconds while they run.

    ``RUSAGE_CHILDREN`` is not used on Linux: it also counts a program this process starts
    (a library running ``uname``) at the size it had when forked, the driver's. A peak
    reached after the last reading of an exiting worker is missed; without ``/proc`` the
    figure is ``RUSAGE_CHILDREN``'s."""

    def __init__(self, every: float = 0.05):
        import threading

        self.peak_kb, self.every = 0, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            for pid in _descendants(os.getpid()):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue  # ended meanwhile
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def mb(self) -> float:
        if not self._thread.ident:
            return _peak_mb(resource.RUSAGE_CHILDREN)
        return self.peak_kb / 2**10


def _descendants(root: int) -> list[int]:
    """Process ids below ``root`` (Linux: each process's parent from ``/proc/<pid>/stat``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parent = int(text[text.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _whole_run(runs: int, days: int) -> dict:
    """``powderkeg run`` in this process: CPU seconds of the whole process (interpreter start
    and imports included, as in its wall time) and of its workers, driver and worker peak
    memory."""
    from powderkeg.cli import main

    with tempfile.TemporaryDirectory() as tmp, _WorkerPeaks() as workers:
        out = Path(tmp) / "results"
        sys.argv = ["powderkeg", "run", "--runs", str(runs), "--days", str(days), "--json",
                    "--quiet", "--out", str(out)]
        try:
            main()
        except SystemExit as e:
            if e.code:
                raise
        cpu = _cpu()  # since this process started: os.times counts from there
        size = sum(p.stat().st_size for p in out.iterdir())
    return {"runs": runs, "days": days, "cpu_seconds": cpu, "folder_mb": size / 2**20,
            "peak_rss_driver_mb": _peak_mb(resource.RUSAGE_SELF),
            "peak_rss_worker_mb": workers.mb()}


def _simulation(runs: int, days: int) -> dict:
    """The engine alone on the local pool (2 workers), keeping no series."""
    from powderkeg.engine.executors import ProcessPool
    from powderkeg.engine.simulate import simulate
    from powderkeg.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    cpu = _cpu()
    with ProcessPool(2) as ex:
        simulate(scenario, 4, 1, executor=ex, chunk_size=2, series=())  # workers started
        wall = time.perf_counter()
        simulate(scenario, runs, days, executor=ex, series=())
        wall = time.perf_counter() - wall
    cpu = _cpu() - cpu  # the workers' CPU counts once they have ended (start-up included)
    return {"runs": runs, "days": days, "seconds": wall, "cpu_seconds": cpu,
            "run_days_per_s": runs * days / wall, "run_days_per_cpu_s": runs * days / cpu}


def _peer(runs: int, days: int) -> dict:
    """The networkx peer on the engine's own capacities, checked against its deliveries."""
    sys.path.insert(0, str(HERE))
    from networkx_peer import engine_days, run_peer

    from powderkeg.scenario import load_scenario

    out = run_peer(engine_days(load_scenario(SCENARIO), runs, days))
    if out["largest_difference_tons"] > 1e-6:
        raise SystemExit(f"the networkx peer's maximum flow differs from the engine's "
                         f"deliveries by {out['largest_difference_tons']} t")
    return out | {"runs": runs, "days": days,
                  "run_days_per_cpu_s": runs * days / out["cpu_seconds"]}


def _nbytes(obj, seen: set) -> int:
    """Bytes of every NumPy array reachable from ``obj`` (fields, tuples, lists, dicts)."""
    import dataclasses

    import numpy as np

    if id(obj) in seen or obj is None or isinstance(obj, str | int | float | bool):
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, tuple | list):
        return sum(_nbytes(x, seen) for x in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(x, seen) for x in obj.values())
    if dataclasses.is_dataclass(obj):
        return sum(_nbytes(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    if hasattr(obj, "__dict__"):
        return sum(_nbytes(x, seen) for x in vars(obj).values())
    return 0


def _state(runs: int) -> dict:
    """Bytes per run of the engine's state after one day, and of the sampled world."""
    import numpy as np

    from powderkeg.model.build import build_model
    from powderkeg.model.random import Streams
    from powderkeg.model.step import init_state, step
    from powderkeg.model.world import sample_world
    from powderkeg.scenario import load_scenario

    model = build_model(load_scenario(SCENARIO))
    ids, streams = np.arange(runs, dtype=np.int64), Streams(0)
    world = sample_world(model, streams, ids)
    state = step(model, world, init_state(model, world, streams, ids), streams, ids)
    return {"runs": runs, "state_bytes_per_run": _nbytes(state, set()) / runs,
            "world_bytes_per_run": _nbytes(world, set()) / runs}


#: The parts of the day's step, each the functions of ``model/step.py`` it is the time of
#: (cProfile's cumulative time; anything else the step does is "other").
STEP_PARTS = {"supply": ("_logistics",), "fires and hits": ("_interdiction", "_fires_on_forces"),
              "combat": ("_combat",), "politics": ("_politics_day",)}


def _kernels() -> dict:
    """Compile the model's kernels or load them from Numba's cache: wall and CPU seconds."""
    from powderkeg.model.compiled import warm_up

    cpu, wall = _cpu(), time.perf_counter()
    warm_up()
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": _cpu() - cpu}


def _outside_kernels(scenario, runs: int, days: int) -> dict:
    """Plain CPU seconds of ``simulate`` and the part spent outside the compiled kernels it
    calls from Python: every Numba dispatcher of ``powderkeg.model`` is wrapped in a CPU
    timer (calls between kernels inside compiled code are not wrapped, and count inside)."""
    import importlib
    import pkgutil

    from numba.core.registry import CPUDispatcher

    import powderkeg.model
    from powderkeg.engine.simulate import simulate

    cpu = time.process_time()
    simulate(scenario, runs, days, series=())
    plain = time.process_time() - cpu
    inside = [0.0]

    def timed(kernel):
        def call(*args, **kwargs):
            start = time.process_time()
            try:
                return kernel(*args, **kwargs)
            finally:
                inside[0] += time.process_time() - start
        return call

    wrappers: dict[int, object] = {}
    for info in pkgutil.iter_modules(powderkeg.model.__path__):
        module = importlib.import_module(f"powderkeg.model.{info.name}")
        for name, value in list(vars(module).items()):
            if isinstance(value, CPUDispatcher):
                setattr(module, name, wrappers.setdefault(id(value), timed(value)))
    cpu = time.process_time()
    simulate(scenario, runs, days, series=())
    timed_total = time.process_time() - cpu
    return {"plain_cpu_seconds": plain, "timed_cpu_seconds": timed_total,
            "outside_kernels_share": 1 - inside[0] / timed_total}


def _parts(runs: int, days: int) -> dict:
    """Where the step's CPU time goes: cProfile with a CPU clock over one process's run."""
    import cProfile
    import pstats

    from powderkeg.engine.simulate import simulate
    from powderkeg.model.compiled import warm_up
    from powderkeg.scenario import load_scenario

    warm_up()
    scenario = load_scenario(SCENARIO)
    simulate(scenario, 10, 5, series=())  # everything imported and compiled before timing
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    simulate(scenario, runs, days, series=())
    profile.disable()
    cumulative = {name: stats[3] for (file, _line, name), stats
                  in pstats.Stats(profile).stats.items()  # type: ignore[attr-defined]
                  if Path(file).as_posix().endswith("powderkeg/model/step.py")}
    missing = [f for names in STEP_PARTS.values() for f in (*names, "step")
               if f not in cumulative]
    if missing:
        raise SystemExit(f"bench_goals.STEP_PARTS names {missing}, which model/step.py no "
                         "longer calls: name the step's parts again")
    parts = {part: sum(cumulative[f] for f in names) for part, names in STEP_PARTS.items()}
    parts["other"] = cumulative["step"] - sum(parts.values())
    return {"runs": runs, "days": days, "step_cpu_seconds": cumulative["step"],
            "parts_cpu_seconds": parts} | _outside_kernels(scenario, runs, days)


_CHILDREN = {"whole": _whole_run, "simulation": _simulation, "peer": _peer, "state": _state,
             "parts": _parts, "kernels": _kernels}


def _spawn(kind: str, *args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *map(str, args)]
    wall = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - wall
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {kind} {args} failed (exit code {proc.returncode})")
    line = next(x for x in proc.stdout.splitlines() if x.startswith(_TAG))
    return json.loads(line[len(_TAG):]) | {"process_seconds": wall,
                                           "load_average_1min_after": os.getloadavg()[0]}


# ---------------------------------------------------------------------------------------------
# The table


def _bounded(small: dict, large: dict) -> bool:
    """Whether the driver's and the largest worker's peak memory of the ``large`` run stay
    within :data:`BOUNDED_GROWTH` times the ``small`` run's."""
    return all(large[k] <= BOUNDED_GROWTH * small[k]
               for k in ("peak_rss_driver_mb", "peak_rss_worker_mb"))


def _rows(m: dict) -> list[tuple[str, str, str, str, str]]:
    """``(what, recorded, now, goal, reached)`` rows from the measurements ``m``."""
    whole, sim, peer, state = m["whole"], m["simulation"], m["peer"], m["state"]
    ratio = sim["run_days_per_cpu_s"] / peer["run_days_per_cpu_s"]
    m["networkx_ratio_per_cpu_s"] = ratio
    base = json.loads(BASELINE.read_text("utf-8"))["rows"]
    scale = 10_000 * 365 / (whole["runs"] * whole["days"])

    def reached(ok: bool | None) -> str:
        return "-" if ok is None else ("reached" if ok else "not reached")

    mem = {r["runs"]: r for r in m["memory"]}
    wall = whole["process_seconds"]
    scaled = "" if scale == 1 else f" (x{scale:g} for 10,000 runs: {wall * scale:.0f} s)"
    rows = [
        (f"whole run, {whole['runs']:,} x {whole['days']}, --json (wall; CPU)",
         base["whole_run"], f"{wall:.1f} s; {whole['cpu_seconds']:.1f} CPU-s{scaled}", "< 6 s",
         reached(wall * scale < GOALS["whole_run_seconds"])),
        (f"simulation alone, {sim['runs']:,} x {sim['days']}, 2 workers", base["simulation"],
         f"{sim['run_days_per_s']:,.0f} run-days/s; "
         f"{sim['run_days_per_cpu_s']:,.0f} per CPU-s", ">= 1M run-days/s",
         reached(sim["run_days_per_s"] >= GOALS["simulation_run_days_per_s"])),
        (f"networkx peer, {peer['runs']} runs x {peer['days']} days (flows = engine's)",
         base["networkx_peer"], f"{peer['run_days_per_cpu_s']:,.0f} run-days per CPU-s "
         f"(largest difference {peer['largest_difference_tons']:.1g} t)", "-", "-"),
        ("simulation / networkx peer, per CPU-s", base["networkx_ratio"], f"{ratio:,.0f}x",
         ">= 500x", reached(ratio >= GOALS["networkx_ratio"])),
    ]
    fewest = min(mem)
    for runs in sorted(mem):
        r = mem[runs]
        rows.append((f"peak RSS, run of {runs:,} x {r['days']} (driver; largest worker)",
                     base["peak_rss"].get(str(runs), "-"),
                     f"{r['peak_rss_driver_mb']:,.0f} MB; {r['peak_rss_worker_mb']:,.0f} MB",
                     "bounded" if runs == fewest else
                     f"<= {BOUNDED_GROWTH:g}x the {fewest:,} runs'",
                     "-" if runs == fewest else reached(_bounded(mem[fewest], r))))
    parts = m["parts"]
    total = parts["step_cpu_seconds"]
    shares = ", ".join(f"{part} {sec / total:.0%}"
                       for part, sec in parts["parts_cpu_seconds"].items())
    rows.append((f"where the step's time goes ({parts['runs']} x {parts['days']}, one "
                 f"process, cProfile CPU clock)", base["step_parts"],
                 f"{total:.1f} CPU-s: {shares}", "-", "-"))
    rows.append((f"the same {parts['runs']} x {parts['days']}, plain CPU (share outside the "
                 "compiled kernels)", "-",
                 f"{parts['plain_cpu_seconds']:.1f} CPU-s: "
                 f"{parts['outside_kernels_share']:.0%}", "-", "-"))
    kernels, fixed = m["kernels"], m["fixed"]
    rows.append(("kernels compiled or loaded from the cache, before the rest (wall; CPU)",
                 "-", f"{kernels['seconds']:.1f} s; {kernels['cpu_seconds']:.1f} CPU-s", "-",
                 "-"))
    rows.append((f"fixed costs: run of {fixed['runs']} x {fixed['days']}, --json (wall; CPU)",
                 base["fixed_costs"], f"{fixed['process_seconds']:.1f} s; "
                 f"{fixed['cpu_seconds']:.1f} CPU-s", "-", "-"))
    rows.append(("state per run (State arrays; sampled world)", base["state"],
                 f"{state['state_bytes_per_run'] / 1e3:.1f} KB; "
                 f"{state['world_bytes_per_run'] / 1e3:.1f} KB", "<= 2 KB",
                 reached(state["state_bytes_per_run"] <= GOALS["state_bytes_per_run"])))
    return rows


def _table(rows) -> str:
    head = ("what", "recorded baseline", "measured now", "goal", "")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(5)]
    def line(r) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *map(line, rows)])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        kind, *nums = argv[1:]
        print(_TAG + json.dumps(_CHILDREN[kind](*map(int, nums))), flush=True)
        return
    p = argparse.ArgumentParser(description="The speed table: recorded baseline, measured "
                                            "now, goals.")
    p.add_argument("--quick", action="store_true", help="2,000 runs for the whole run and the "
                   "simulation; 100,000 runs of 30 days for memory (a few minutes)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="JSON file (default: benchmarks/results/goals[-quick].json)")
    a = p.parse_args(argv)
    whole_runs = 2_000 if a.quick else 10_000
    big_days = 30 if a.quick else 365
    base = json.loads(BASELINE.read_text("utf-8"))
    print(f"powderkeg speed table ({'quick' if a.quick else 'full'}): {SCENARIO}; recorded "
          f"baseline: {base['source']} (commit {base['commit']}, {base['date']})", flush=True)
    m = {}
    steps = [("kernels", "kernels", ()), ("state", "state", (1_000,)), ("peer", "peer", (20, 60)),
             ("fixed", "whole", (2, 1)), ("parts", "parts", (500, 365)),
             ("simulation", "simulation", (whole_runs, 365)),
             ("whole", "whole", (whole_runs, 365))]
    for key, kind, args in steps:
        print(f"  measuring {key} {args} ...", file=sys.stderr, flush=True)
        m[key] = _spawn(kind, *args)
    m["memory"] = [m["whole"]] if whole_runs == 10_000 else [_spawn("whole", 10_000, 30)]
    print(f"  measuring memory at 100,000 runs x {big_days} days ...", file=sys.stderr,
          flush=True)
    m["memory"].append(_spawn("whole", 100_000, big_days))
    rows = _rows(m)
    text = _table(rows)
    print(text)
    doc = {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "quick": a.quick, "cpus": os.cpu_count(), "measurements": m, "table": text,
           "baseline": base}
    path = Path(a.out) if a.out else RESULTS_DIR / f"goals{'-quick' if a.quick else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
