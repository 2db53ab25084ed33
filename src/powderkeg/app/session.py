"""The dashboard's state: scenarios it may read, their baselines, and the variant asked for.

Simulations run in background threads (:class:`Job`), first on a few runs and then on all
of them; the page polls :meth:`Session.snapshot` and redraws when its ``version`` moves. A
newer request supersedes an older one: the older job stops at its next simulated day. No
error escapes a job: a user's mistake is kept as its message (:class:`InputError`), anything
else as a one-line internal error, and the server goes on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from powderkeg.app.answer import Shown, reweighting
from powderkeg.app.levers import Variant, variant_document, variant_scenario
from powderkeg.engine.executors import InProcess
from powderkeg.engine.series import DRAWN, require
from powderkeg.errors import InputError
from powderkeg.model.build import Model, build_model
from powderkeg.results import load_results
from powderkeg.scenario.load import builtin_ids, load_scenario

__all__ = ["Job", "Session", "Snapshot", "Superseded", "scenario_choices"]


class Superseded(Exception):
    """Raised inside a job's simulation when a newer request replaced it."""


class Job:
    """Simulate ``scenario`` on the first ``n`` of ``run_ids`` for each ``n`` in ``steps``.

    Each finished step is published in :attr:`results` (newest last) with the seconds it took
    since the job started in :attr:`seconds`.
    """

    def __init__(self, scenario, run_ids: np.ndarray, days: int, seed: int,
                 steps: tuple[int, ...], on_publish) -> None:
        self.scenario, self.run_ids, self.days, self.seed = scenario, run_ids, days, seed
        self.steps = tuple(sorted({min(n, len(run_ids)) for n in steps}))
        self.results: list[xr.Dataset] = []
        self.seconds: list[float] = []
        self.error: str | None = None
        self.done = False
        self._cancel = threading.Event()
        self._publish = on_publish
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _check(self, _done: int) -> None:
        if self._cancel.is_set():
            raise Superseded

    def _run(self) -> None:
        from powderkeg.engine.simulate import simulate

        try:
            for n in self.steps:
                ds = simulate(self.scenario, n, self.days, self.seed, chunk_size=n,
                              run_ids=self.run_ids[:n], executor=InProcess(), series=None,
                              progress=self._check)
                self.results.append(ds)
                self.seconds.append(time.monotonic() - self._start)
                self._publish()
        except Superseded:
            pass
        except InputError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - the server must outlive a bug in one job
            self.error = f"internal error ({type(e).__name__}: {e}); please report it"
        finally:
            self.done = True
            self._publish()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def latest(self) -> xr.Dataset | None:
        return self.results[-1] if self.results else None


@dataclass
class _Loaded:
    """A baseline read from a results folder: a job that is already done."""

    results: list
    seconds: list = field(default_factory=lambda: [0.0])
    error: str | None = None
    done: bool = True
    steps: tuple = ()

    @property
    def latest(self):
        return self.results[-1]

    def cancel(self) -> None:
        """Nothing runs."""


@dataclass(frozen=True)
class Snapshot:
    """What the page shows now."""

    version: int
    ref: str
    base: Shown | None
    variant: Shown | None
    status: str
    error: str | None
    document: dict | None  # the variant's extends: document
    busy: bool


def scenario_choices(target: str | None) -> tuple[dict[str, str], str, Path | None]:
    """The scenarios the page may offer (label -> reference), the first shown, a results folder.

    Only the built-ins and the one file or results folder named on the command line: the
    browser picks among these labels and never sends a path.
    """
    choices = {sid: sid for sid in builtin_ids()}
    if target is None:
        return choices, "autumn-2022", None
    path = Path(target)
    if target in choices:
        return choices, target, None
    if path.is_dir():
        if not (path / "scenario.yaml").exists():
            raise InputError(f"{path} is a folder but not a results folder (it has no "
                             "scenario.yaml). Give a folder that `powderkeg run` wrote, or a "
                             "scenario.")
        label = f"results: {path.name}"
        choices[label] = str(path / "scenario.yaml")
        return choices, label, path
    if not path.is_file():
        raise InputError(f"'{target}' is neither a built-in scenario "
                         f"({', '.join(builtin_ids())}), a scenario file nor a results folder. "
                         "Check the spelling or the path.")
    label = f"file: {path.name}"
    choices[label] = str(path.resolve())
    return choices, label, None


class Session:
    """Baselines per scenario and the latest variant, for one local user."""

    def __init__(self, target: str | None, runs: int, days: int, seed: int,
                 quick: int) -> None:
        self.choices, self.start, results = scenario_choices(target)
        self.runs, self.days, self.seed, self.quick = runs, days, seed, min(quick, runs)
        self._lock = threading.Lock()
        self._version = 0
        self._models: dict[str, tuple[Model | None, str | None]] = {}
        self._baselines: dict[str, Job | _Loaded] = {}
        self._request: dict = {}
        self.play = None  # the game being played (:class:`~powderkeg.app.play.Play`)
        self._play_job: Job | None = None
        if results is not None:
            ds = load_results(results)
            require(ds, DRAWN, "The dashboard")
            self.days, self.seed = int(ds.attrs["days"]), int(ds.attrs["seed"])
            self._baselines[self.start] = _Loaded([ds])

    @property
    def version(self) -> int:
        """A counter that moves whenever a result is published or a request is made."""
        with self._lock:
            return self._version

    def _bump(self) -> None:
        with self._lock:
            self._version += 1

    def model(self, label: str) -> Model:
        """The compiled base scenario of a label; a file is read again when it is chosen."""
        if label not in self.choices:
            raise InputError(f"'{label}' is not one of the scenarios this dashboard was started "
                             f"with ({', '.join(self.choices)}).")
        if label not in self._models:
            try:
                self._models[label] = (build_model(load_scenario(self.choices[label])), None)
            except InputError as e:
                self._models[label] = (None, str(e))
        model, error = self._models[label]
        if error is not None:
            raise InputError(error)
        return model

    def select(self, label: str) -> None:
        """Show ``label``: read it again if it is a file, and start its baseline if needed."""
        if self._models.get(label, (None, None))[1] is not None:
            del self._models[label]  # a file that did not validate is read again: it may be fixed
        model = self.model(label)
        if label not in self._baselines:
            ids = np.arange(self.runs, dtype=np.int64)
            self._baselines[label] = Job(model.scenario, ids, self.days, self.seed,
                                         (self.quick, self.runs), self._bump)

    def baseline(self, label: str) -> xr.Dataset | None:
        job = self._baselines.get(label)
        return None if job is None else job.latest

    def baseline_complete(self, label: str) -> bool:
        """Whether a label's baseline has all its runs (no longer refining)."""
        job = self._baselines.get(label)
        return job is not None and job.latest is not None and job.done

    def request(self, label: str, v: Variant) -> None:
        """Ask for variant ``v`` of ``label``; answered at once when reweighting can."""
        old = self._request.get("job")
        if old is not None:
            old.cancel()
        self._request = {"label": label, "variant": v, "error": None, "job": None,
                         "weights": None, "reason": "", "document": None, "t0": time.monotonic()}
        try:
            model = self.model(label)
            self.select(label)
            if v.is_base(model.scenario, model):
                self._bump()
                return
            doc = variant_document(self.choices[label], model.scenario, model, v)
            self._request["document"] = doc
            var_model = build_model(variant_scenario(doc))
        except InputError as e:
            self._request["error"] = str(e)
            self._bump()
            return
        self._request["model"] = var_model
        base = self.baseline(label)
        if base is not None:
            w, reason = reweighting(base, model, v, var_model)
            self._request.update(weights=w, reason=reason, weighted_runs=base.sizes["run"])
            if w is not None:
                self._request["seconds"] = time.monotonic() - self._request["t0"]
                self._bump()
                return
        self._start_rerun(label, var_model)

    def _baseline_ids(self, label: str) -> np.ndarray:
        """The run numbers of a label's baseline, all of them even while it is refining."""
        base_job = self._baselines[label]
        return (base_job.run_ids if hasattr(base_job, "run_ids")
                else base_job.latest.run.values.astype(np.int64))

    def _start_rerun(self, label: str, var_model: Model) -> None:
        ids = self._baseline_ids(label)
        self._request["job"] = Job(var_model.scenario, ids, self.days, self.seed,
                                   (self.quick, len(ids)), self._bump)
        self._bump()

    def replay_play(self) -> None:
        """Replay the player's choices on the baseline's runs, with its seed (common random
        numbers), first on the quick runs and then on all."""
        if self._play_job is not None:
            self._play_job.cancel()
        self.select(self.play.label)
        ids = self._baseline_ids(self.play.label)
        self._play_job = Job(self.play.scenario(), ids, self.days, self.seed,
                             (self.quick, len(ids)), self._bump)
        self._bump()

    def play_comparison(self) -> tuple[Shown, Shown, str] | None:
        """The baseline and the player's sequence on the same runs, and how far it got."""
        job = self._play_job
        base = None if self.play is None else self.baseline(self.play.label)
        if job is None or base is None:
            return None
        if job.error is not None:
            raise InputError(job.error)
        ds = job.latest
        if ds is None:
            return None
        n = min(ds.sizes["run"], base.sizes["run"])
        more = "" if job.done else f" Refining to {job.steps[-1]:,} runs..."
        status = (f"Your choices against the model's policy on the same {n:,} runs (seed "
                  f"{self.seed}, common random numbers), in {job.seconds[-1]:.1f} s.{more}")
        return (Shown(base.isel(run=slice(0, n)), np.ones(n), "model's policy"),
                Shown(ds.isel(run=slice(0, n)), np.ones(n), "your choices"), status)

    def snapshot(self, label: str) -> Snapshot:
        """The baseline and the variant as far as they are computed, and what is going on."""
        with self._lock:
            version = self._version
        try:
            self.model(label)
        except InputError as e:
            return Snapshot(version, label, None, None, "", str(e), None, False)
        job = self._baselines.get(label)
        base_ds = None if job is None else job.latest
        if base_ds is None:
            error = None if job is None else job.error
            return Snapshot(version, label, None, None, "Simulating the baseline on "
                            f"{self.quick:,} runs first...", error, None, job is not None)
        base_status = (f"Baseline: {base_ds.sizes['run']:,} runs x {self.days} days, seed "
                       f"{self.seed}" + ("" if job.done else
                                         f" (refining to {self.runs:,} runs...)"))
        r = self._request
        if r.get("label") != label or r.get("variant") is None:
            return Snapshot(version, label, Shown(base_ds, np.ones(base_ds.sizes["run"]),
                                                  "baseline"), None, base_status,
                            job.error, None, not job.done)
        if r["error"] is not None:
            return Snapshot(version, label, Shown(base_ds, np.ones(base_ds.sizes["run"]),
                                                  "baseline"), None, base_status, r["error"],
                            r["document"], not job.done)
        return self._variant_snapshot(version, label, base_ds, base_status, job)

    def _variant_snapshot(self, version, label, base_ds, base_status, base_job) -> Snapshot:
        r = self._request
        base = Shown(base_ds, np.ones(base_ds.sizes["run"]), "baseline")
        if r.get("model") is None:  # the variant is the base scenario itself
            return Snapshot(version, label, base, None, base_status + ". The levers are at "
                            "the baseline's values.", None, None, not base_job.done)
        if r["weights"] is not None:
            n = r["weighted_runs"]
            base_runs = base_ds.isel(run=slice(0, n))
            how = (f"Answered at once by reweighting the {n:,} stored runs (importance "
                   f"weights; {_n_eff(r['weights']):.0f} effective runs), in "
                   f"{r['seconds']:.2f} s; nothing was simulated.")
            return Snapshot(version, label, Shown(base_runs, np.ones(n), "baseline"),
                            Shown(base_runs, r["weights"], "reweighted"),
                            f"{base_status}. {how}", None, r["document"], not base_job.done)
        job = r["job"]
        why = f" (not reweighted: {r['reason']})" if r["reason"] else ""
        ds = job.latest
        if ds is None:
            status = (f"{base_status}. Rerunning the variant on the baseline's first "
                      f"{job.steps[0]:,} runs with the same seed{why}...")
            return Snapshot(version, label, base, None, status, job.error, r["document"],
                            True)
        n = min(ds.sizes["run"], base_ds.sizes["run"])
        ds = ds.isel(run=slice(0, n))
        done = "" if job.done else f" Refining to {job.steps[-1]:,} runs..."
        status = (f"{base_status}. Rerun on the baseline's first {n:,} runs with the same seed "
                  f"(common random numbers){why}, in {job.seconds[-1]:.1f} s.{done}")
        return Snapshot(version, label, Shown(base_ds.isel(run=slice(0, n)), np.ones(n),
                                              "baseline"),
                        Shown(ds, np.ones(n), "rerun"), status, job.error, r["document"],
                        not job.done)


def _n_eff(w) -> float:
    from powderkeg.analysis.reweight import effective_sample_size

    return effective_sample_size(w)
