"""Checkpoints: each finished chunk in its own file, so an interrupted job resumes.

A work folder holds ``manifest.json``, which pins what the chunks are chunks of (scenario
hash, seed, runs, days, recording interval, policy, chunk size, run numbers, designed
parameter draws and powderkeg version), and one ``chunk-NNNNNN.npz`` per finished chunk.
Each chunk file is written under a temporary name, flushed to disk and renamed into place,
so a file with the final name is always complete. Resuming loads the chunks that are there
and computes only the missing ones; a manifest that differs from the job is refused with
the fields that differ, so chunks of two different jobs are never mixed.

A ``lock`` file holds the process id of the driver working in the folder: a second driver
is refused while that process lives, and may take over once it is gone.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import numpy as np

from powderkeg.errors import InputError
from powderkeg.results import write_failure

__all__ = ["WorkFolder", "MANIFEST", "LOCK", "pid_alive"]

MANIFEST = "manifest.json"
LOCK = "lock"
_CHUNK = "chunk-{:06d}.npz"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkFolder:
    """The hidden folder of one job's checkpoints, claimed by this process.

    Parameters
    ----------
    path : Path
        The work folder; created if missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.computed: list[int] = []  # chunk indices computed (not loaded) by this process

    def claim(self) -> WorkFolder:
        """Create the folder if needed and lock it for this process (refused if in use)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"Cannot create the work folder {self.path}: {e.strerror or e}. "
                             "Choose a writable place with --out.") from None
        lock = self.path / LOCK
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _read_pid(lock)
                if owner is not None and owner != os.getpid() and pid_alive(owner):
                    raise InputError(f"Another powderkeg process (pid {owner}) is working in "
                                     f"{self.path}, on the same results. Wait for it to end, "
                                     "or choose another folder with --out.") from None
                lock.unlink(missing_ok=True)  # its owner is gone: take over
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()}\n")
            return self
        raise InputError(f"Cannot lock the work folder {self.path}; remove its file {LOCK} "
                         "if no powderkeg process is running.")

    def release(self) -> None:
        """Unlock the folder (keeping its chunks)."""
        if _read_pid(self.path / LOCK) == os.getpid():
            (self.path / LOCK).unlink(missing_ok=True)

    def remove(self) -> None:
        """Delete the folder and its chunks (after the results are safely written)."""
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)

    # -- manifest --------------------------------------------------------------------------

    def manifest(self) -> dict | None:
        """The stored manifest, or ``None`` if the folder has none yet."""
        path = self.path / MANIFEST
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"The checkpoint manifest {path} cannot be read ({e}); the folder "
                             "is damaged. Delete it (`powderkeg runs --clean`) and start "
                             "again.") from None

    def pin(self, manifest: dict) -> None:
        """Store ``manifest``, or check that it equals the stored one (refused otherwise)."""
        stored = self.manifest()
        if stored is None:
            self._write(self.path / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())
            return
        differ = sorted(k for k in set(stored) | set(manifest) if stored.get(k) != manifest.get(k))
        if differ:
            shown = "; ".join(f"{k}: checkpoint {_short(stored.get(k))}, now "
                              f"{_short(manifest.get(k))}" for k in differ)
            raise InputError(f"The checkpoints in {self.path} belong to another job ({shown}), "
                             "so they cannot be resumed by this command. Resume them with the "
                             f"command that started them (`powderkeg resume {self.path}`), or "
                             "delete the folder and start again.")

    # -- chunks ----------------------------------------------------------------------------

    def done(self) -> list[int]:
        """Indices of the chunks whose files are complete."""
        out = []
        for p in self.path.glob("chunk-*.npz"):
            try:
                out.append(int(p.stem.split("-")[1]))
            except (IndexError, ValueError):
                continue
        return sorted(out)

    def load(self, index: int) -> dict | None:
        """The arrays of chunk ``index``, or ``None`` if its file is unreadable (recompute it)."""
        try:
            with np.load(self.path / _CHUNK.format(index), allow_pickle=False) as z:
                flat = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError):
            return None
        return _unflatten(flat)

    def save(self, index: int, part: dict) -> None:
        """Write chunk ``index`` atomically (temporary name, fsync, rename)."""
        import io

        buffer = io.BytesIO()
        np.savez(buffer, **_flatten(part))
        self._write(self.path / _CHUNK.format(index), buffer.getbuffer())
        self.computed.append(index)

    def write_text(self, name: str, text: str) -> None:
        """Write a small file of the job (its request, its scenario) atomically."""
        self._write(self.path / name, text.encode())

    def _write(self, path: Path, data) -> None:
        tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(3)}")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise write_failure(path, e) from None


def _read_pid(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _flatten(part: dict) -> dict[str, np.ndarray]:
    flat = {k: np.asarray(v) for k, v in part.items() if k != "series"}
    flat["param_names"] = np.asarray(part["param_names"], dtype=str)
    flat.update({f"series.{k}": v for k, v in part["series"].items()})
    return flat


def _unflatten(flat: dict[str, np.ndarray]) -> dict:
    part = {k: v for k, v in flat.items() if not k.startswith("series.")}
    part["param_names"] = [str(x) for x in part["param_names"]]
    part["series"] = {k[len("series."):]: v for k, v in flat.items() if k.startswith("series.")}
    return part
