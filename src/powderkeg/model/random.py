"""Counter-based random numbers: run i's draws depend only on (seed, stream, run, day, k).

Each named stream has a 64-bit key derived from the seed and the stream's name. Draw ``k`` of
run ``r`` on day ``d`` is output number ``c = (r << 32) | (d << 16) | k`` of the SplitMix64
sequence started at that key, i.e. ``mix64(key + (c + 1) * GAMMA)``. Because the value is a
function of the counter alone, a run gets the same numbers alone, in a batch of a million,
or in any chunking, and two scenarios that share a seed share every stream (common random
numbers).

Reference: G. L. Steele, D. Lea, C. H. Flood (2014), "Fast splittable pseudorandom number
generators", OOPSLA '14, doi:10.1145/2660193.2660195; the finaliser constants are those of
S. Vigna's ``splitmix64.c``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np
from numba import njit

from powderkeg.model.elementary import ndtri

__all__ = ["Streams", "splitmix64", "unit_interval", "splitmix64_scalar", "unit_interval_scalar",
           "uniform_scalar", "MAX_DAYS", "MAX_DRAWS"]

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
MAX_DAYS = 1 << 16
MAX_DRAWS = 1 << 16
# (2**53 - 1 + 0.5) * 2**-53 rounds to exactly 1.0 (54 significant bits), so the largest of the
# 2**53 values is held just below one; every other value is unchanged.
LARGEST_BELOW_ONE = 1.0 - 2.0**-53
_JIT = {"cache": True, "nogil": True}


@njit(**_JIT)
def splitmix64_scalar(key: np.uint64, counter: np.uint64) -> np.uint64:
    """Output number ``counter`` (0-based) of the SplitMix64 sequence seeded with ``key``:
    ``mix64(key + (counter + 1) * GAMMA)`` in 64-bit wrapping arithmetic."""
    z = np.uint64(key) + (np.uint64(counter) + np.uint64(1)) * GAMMA
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(**_JIT)
def unit_interval_scalar(bits: np.uint64) -> float:
    """A 53-bit integer ``b`` as a uniform in (0, 1): ``min((b + 1/2) 2^-53, 1 - 2^-53)``.

    The cap changes only ``b = 2^53 - 1``, whose midpoint rounds to exactly one.
    """
    return min((float(bits) + 0.5) * 2.0**-53, LARGEST_BELOW_ONE)


@njit(**_JIT)
def uniform_scalar(key: np.uint64, run: int, day: int, k: int) -> float:
    """Draw ``k`` of ``run`` on ``day`` of the stream with ``key``, a uniform in (0, 1).

    The counter is ``c = (run << 32) | (day << 16) | k`` and the value
    :func:`unit_interval_scalar` of the top 53 bits of ``splitmix64(key, c)``.
    Compiled kernels draw with this function; :meth:`Streams.uniform` is the same over arrays.
    """
    c = (np.uint64(run) << np.uint64(32)) | (np.uint64(day) << np.uint64(16)) | np.uint64(k)
    return unit_interval_scalar(splitmix64_scalar(key, c) >> np.uint64(11))


@njit(**_JIT)
def _splitmix64_block(key, counters):
    out = np.empty(counters.size, np.uint64)
    for i in range(counters.size):
        out[i] = splitmix64_scalar(key, counters[i])
    return out


@njit(**_JIT)
def _unit_interval_block(bits):
    out = np.empty(bits.size)
    for i in range(bits.size):
        out[i] = unit_interval_scalar(bits[i])
    return out


@njit(**_JIT)
def _uniform_block(key, runs, day, k):
    out = np.empty((runs.size, k))
    for i in range(runs.size):
        for j in range(k):
            out[i, j] = uniform_scalar(key, runs[i], day, j)
    return out


def splitmix64(key: int, counters: np.ndarray) -> np.ndarray:
    """Outputs number ``counters`` (0-based) of the SplitMix64 sequence seeded with ``key``.

    >>> int(splitmix64(1234567, np.array([0]))[0])
    6457827717110365317
    """
    c = np.asarray(counters, dtype=np.uint64)
    return _splitmix64_block(np.uint64(key), np.ascontiguousarray(c.reshape(-1))).reshape(c.shape)


@functools.lru_cache(maxsize=1 << 14)
def _stream_key(seed: int, name: str) -> int:
    """BLAKE2b of ``"{seed}/{name}"`` as a little-endian 64-bit integer (a pure function,
    cached: the step asks for the same few hundred keys every day)."""
    digest = hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def unit_interval(bits: np.ndarray) -> np.ndarray:
    """53-bit integers ``b`` as uniforms in (0, 1), by :func:`unit_interval_scalar`.

    >>> ends = unit_interval(np.array([0, 2**53 - 1], dtype=np.uint64))
    >>> ends.tolist() == [2.0**-54, 1 - 2.0**-53]
    True
    """
    b = np.asarray(bits, dtype=np.uint64)
    return _unit_interval_block(np.ascontiguousarray(b.reshape(-1))).reshape(b.shape)


@dataclass(frozen=True)
class Streams:
    """Named random streams of one seed. All draws are arrays with a leading run axis."""

    seed: int

    def key(self, name: str) -> int:
        """The 64-bit key of stream ``name``: BLAKE2b of ``"{seed}/{name}"``, 8 bytes."""
        return _stream_key(self.seed, name)

    def uniform(self, name: str, runs: np.ndarray, day: int, k: int = 1) -> np.ndarray:
        """Uniforms in (0, 1), shape ``(len(runs), k)``, for stream ``name`` on ``day``."""
        if not 0 <= day < MAX_DAYS or not 0 < k <= MAX_DRAWS:
            raise ValueError(f"day {day} or draw count {k} out of the generator's range")
        runs = np.ascontiguousarray(runs, dtype=np.int64)
        return _uniform_block(np.uint64(self.key(name)), runs, day, k)

    def normal(self, name: str, runs: np.ndarray, day: int, k: int = 1) -> np.ndarray:
        """Standard normals by inversion, shape ``(len(runs), k)``."""
        return ndtri(self.uniform(name, runs, day, k))
