"""One ``powderkeg run`` job from checks to results folder: plan, claim, simulate, write.

:func:`plan_job` makes every check before the first run is simulated (seed, number of runs,
output folder, disk and memory) and claims the job's work folder beside the results folder
(``.<name>.work``), which also stops a second job writing the same results. A job of at least
:data:`CHECKPOINT_RUN_DAYS` run-days, or one started with ``resume``, keeps each finished
chunk there. The work folder also holds ``job.json`` (the request) and ``scenario.yaml``, so
``powderkeg resume WORK_DIR`` can finish the job with nothing else. Once the results folder
is in place, the work folder is deleted.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from powderkeg.engine import preflight
from powderkeg.engine import series as series_mod
from powderkeg.engine.checkpoint import MANIFEST, WorkFolder
from powderkeg.engine.worker import model_for, scenario_text
from powderkeg.errors import InputError
from powderkeg.results import check_out_dir, work_dir_for
from powderkeg.scenario.schema import Scenario

__all__ = ["RunRequest", "Planned", "plan_job", "claim_work", "read_job", "target_of",
           "kept", "stopped_message", "CHECKPOINT_RUN_DAYS", "JOB_FILE", "SCENARIO_FILE"]

CHECKPOINT_RUN_DAYS = 1_000_000  # jobs this long (about 2,700 runs of a year) keep checkpoints
JOB_FILE = "job.json"
SCENARIO_FILE = "scenario.yaml"


@dataclass(frozen=True)
class RunRequest:
    """What a ``powderkeg run`` was asked to compute and where to put it."""

    runs: int
    days: int
    seed: int
    out: str
    every: int
    chunk: int
    report: bool = False
    series: str | None = None  # the --series value (None: the default series)


@dataclass(frozen=True)
class Planned:
    """A checked job: its request, its claimed work folder and whether it checkpoints."""

    request: RunRequest
    work: WorkFolder
    checkpoints: bool

    @property
    def target(self) -> Path:
        return Path(self.request.out)


def plan_job(scenario: Scenario, request: RunRequest, resume: bool = False) -> Planned:
    """Check ``request`` and claim its work folder; an :class:`InputError` says what is wrong."""
    preflight.check_seed(request.seed)
    if request.report:
        series_mod.check_report(series_mod.parse(request.series))
    preflight.check_runs(request.runs)
    target = Path(request.out)
    check_out_dir(target)
    checkpoints = resume or request.runs * request.days >= CHECKPOINT_RUN_DAYS
    need = preflight.estimate(model_for(scenario), len(scenario.outcomes), request.runs,
                              request.days, request.every, checkpoints,
                              series_mod.parse(request.series), request.chunk)
    preflight.check_memory(need, request.runs, request.days, request.every)
    preflight.check_output(target, need)
    work = claim_work(work_dir_for(target), str(target), resume)
    work.write_text(SCENARIO_FILE, scenario_text(scenario))
    work.write_text(JOB_FILE, json.dumps(dataclasses.asdict(request), indent=1) + "\n")
    return Planned(request, work, checkpoints)


def claim_work(path: Path, what: str, resume: bool) -> WorkFolder:
    """Claim the work folder of ``what``; without ``resume``, refuse one holding checkpoints."""
    work = WorkFolder(path).claim()
    if not resume and (work.path / MANIFEST).exists():
        work.release()
        raise InputError(f"An interrupted job left checkpoints for {what} in {work.path}. "
                         "Finish it by running this command again with --resume (`powderkeg "
                         "resume` for a run), or delete them with `powderkeg runs --clean` "
                         "first.")
    return work


def target_of(work_dir: Path) -> Path:
    """The results folder a work folder ``.<name>.work`` belongs to."""
    from powderkeg.results import WORK

    work_dir = Path(work_dir)
    name = work_dir.name
    if not (name.startswith(".") and name.endswith(WORK)):
        raise InputError(f"{work_dir} is not a powderkeg work folder (a hidden folder named "
                         f".<results folder>{WORK}); `powderkeg runs` lists them.")
    return work_dir.parent / name[1:-len(WORK)]


def read_job(work_dir: Path) -> tuple[RunRequest, Path]:
    """The request stored in a work folder and the path of its scenario file."""
    target_of(work_dir)
    path = Path(work_dir) / JOB_FILE
    try:
        request = RunRequest(**json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        raise InputError(f"{work_dir} holds no {JOB_FILE}, so there is no job to resume. Is it "
                         "the folder that `powderkeg runs` lists?") from None
    except (OSError, ValueError, TypeError) as e:
        raise InputError(f"{path} cannot be read ({e}); the work folder is damaged. Delete it "
                         "and run the job again.") from None
    return request, Path(work_dir) / SCENARIO_FILE


def kept(planned: Planned) -> str:
    """Release the work folder of a job that did not finish; say what it keeps, if anything.

    A folder with finished chunks stays for ``powderkeg resume``; one without is deleted.
    """
    work = planned.work
    chunks = len(work.done()) if planned.checkpoints else 0
    if not chunks:
        work.remove()
        return ""
    work.release()
    return (f"{chunks} finished chunk(s) of runs are kept in {work.path}: finish the job with "
            f"`powderkeg resume {work.path}`, which computes only the missing chunks.")


def stopped_message(planned: Planned | None, signal_name: str) -> str:
    """What a job stopped by a signal kept and how to finish it."""
    if planned is None:
        return f"Stopped by {signal_name} before simulating; nothing was written."
    what = kept(planned)
    if not what:
        return (f"Stopped by {signal_name}; nothing was written (no chunk of runs had "
                "finished, or the job was too short to keep checkpoints).")
    return f"Stopped by {signal_name}. {what}"
