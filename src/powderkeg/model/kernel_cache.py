"""Numba's cache of the model's kernels, kept in step with the model's sources.

Numba checks a cached kernel against its own file only (its modification time and size), not
against the files of the kernels it calls: after an edit or an upgrade that changes
``maxflow.py`` alone, ``daily_flow.daily_flows``, which calls into it, would load its old
machine code from the cache. So the cache directories of this package carry a stamp, the
SHA-256 of every module's source here; when it differs from the sources, the cached kernels
are deleted before any is loaded, and the next call compiles them again (about a minute,
shown by ``powderkeg run`` as its compile phase).

It covers the cache beside the sources (``__pycache__``, Numba's default) and the directory
``NUMBA_CACHE_DIR`` names; a cache Numba keeps in the user's home, used only when neither is
writable, is not covered.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["STAMP", "clear_stale_kernels", "sources_digest", "kernels_cached"]

#: The file in a cache directory that holds the digest of the sources it was compiled from.
STAMP = "powderkeg-sources.sha256"


def sources_digest(package: Path) -> str:
    """SHA-256 over the names and bytes of the ``*.py`` files of ``package``, in name order."""
    h = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _cache_dirs(package: Path) -> list[Path]:
    """Where Numba caches the kernels of ``package`` (its in-tree and user-given locators)."""
    dirs = [package / "__pycache__"]
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        here = os.path.abspath(package)
        dirs.append(Path(given) / f"{os.path.basename(here)}_"
                    f"{hashlib.sha1(here.encode()).hexdigest()}")
    return dirs


def clear_stale_kernels(package: Path = Path(__file__).parent) -> None:
    """Delete the cached kernels of ``package`` compiled from other sources; stamp the rest.

    A directory that cannot be written is left as it is (Numba does not use it either).
    """
    digest = sources_digest(package)
    for d in _cache_dirs(package):
        stamp = d / STAMP
        try:
            if stamp.read_text("ascii") == digest:
                continue
        except OSError:
            pass
        try:
            d.mkdir(parents=True, exist_ok=True)
            for old in [*d.glob("*.nbi"), *d.glob("*.nbc")]:
                old.unlink(missing_ok=True)
            part = d / f"{STAMP}.{os.getpid()}"
            part.write_text(digest, "ascii")
            part.replace(stamp)
        except OSError:
            continue


def kernels_cached(package: Path = Path(__file__).parent) -> bool:
    """Whether Numba's cache holds kernels of ``package`` (after :func:`clear_stale_kernels`,
    only kernels of these sources): if not, the next warm-up compiles them all. Numba may
    still compile a kernel whose cache entry is for another Numba or CPU."""
    return any(next(d.glob("*.nbi"), None) is not None for d in _cache_dirs(package)
               if d.is_dir())
