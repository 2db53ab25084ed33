"""The counter-based generator against SplitMix64's published outputs and basic statistics."""

import numpy as np
from scipy import stats

from powderkeg.model.elementary import ndtri
from powderkeg.model.random import Streams, splitmix64, unit_interval


def test_splitmix64_matches_reference_sequence():
    # S. Vigna's splitmix64.c, seed 1234567 (Rosetta Code task "Pseudo-random numbers/Splitmix64")
    expected = [6457827717110365317, 3203168211198807973, 9817491932198370423,
                4593380528125082431, 16408922859458223821]
    assert [int(v) for v in splitmix64(1234567, np.arange(5))] == expected


def test_splitmix64_reference_histogram():
    # Same task: seed 987654321, 100,000 draws of floor(next_float() * 5)
    x = splitmix64(987654321, np.arange(100_000)).astype(np.float64) / 2.0**64
    counts = np.bincount(np.floor(x * 5).astype(int), minlength=5)
    assert counts.tolist() == [20027, 19892, 20073, 19978, 20030]


def test_uniforms_are_uniform_and_independent_of_batch():
    s = Streams(7)
    u = s.uniform("test", np.arange(20_000), day=3, k=5)
    assert u.shape == (20_000, 5) and 0 < u.min() and u.max() < 1
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    # run 12345 alone gets the same numbers as inside the batch
    assert np.array_equal(s.uniform("test", np.array([12345]), 3, 5)[0], u[12345])
    # neighbouring runs and days are uncorrelated
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < 0.03
    v = s.uniform("test", np.arange(20_000), day=4, k=5)
    assert abs(np.corrcoef(u[:, 0], v[:, 0])[0, 1]) < 0.03


def test_streams_differ_by_name_and_seed():
    runs = np.arange(1000)
    a = Streams(0).uniform("a", runs, 1)
    assert not np.allclose(a, Streams(0).uniform("b", runs, 1))
    assert not np.allclose(a, Streams(1).uniform("a", runs, 1))


def test_unit_interval_stays_inside_zero_and_one_at_both_ends():
    # the largest 53-bit value's midpoint, (2**53 - 0.5) 2**-53, rounds to 1.0 in float64
    ends = unit_interval(np.array([0, 1, 2**53 - 2, 2**53 - 1], dtype=np.uint64))
    assert 0 < ends.min() and ends.max() < 1
    assert np.isfinite(ndtri(ends)).all()
    # below 2**52 the midpoints are exact: (2b + 1) 2**-54
    b = np.array([0, 12345, 2**52 - 1], dtype=np.uint64)
    assert unit_interval(b).tolist() == [(2 * int(v) + 1) * 2.0**-54 for v in b]
