"""Run i depends only on (seed, i): alone, in a batch of 1,000, and in any chunking."""

import numpy as np

from powderkeg.engine.simulate import simulate

VARS = ["event_day", "parameter_value", "front_km", "forces", "supply_ratio", "link_capacity",
        "losses"]


def _same(a, b):
    for v in VARS:
        assert np.array_equal(a[v].values, b[v].values, equal_nan=True), v


def test_run_alone_equals_run_in_batch_and_chunks(autumn):
    days = 40
    batch = simulate(autumn, 1000, days, seed=11, chunk_size=1000, every=1)
    chunked = simulate(autumn, 1000, days, seed=11, chunk_size=137, every=1)
    _same(batch, chunked)
    for i in (0, 421, 999):
        alone = simulate(autumn, 1, days, seed=11, run_offset=i, every=1)
        _same(alone, batch.isel(run=[i]))


def test_workers_do_not_change_results(autumn):
    one = simulate(autumn, 300, 20, seed=3, chunk_size=100, every=1)
    for workers in (2, 3):  # three workers on two cores: chunks finish out of order
        _same(one, simulate(autumn, 300, 20, seed=3, chunk_size=100, every=1,
                            workers=workers))


def test_seed_changes_results(autumn):
    a = simulate(autumn, 200, 20, seed=1)
    b = simulate(autumn, 200, 20, seed=2)
    assert not np.array_equal(a.parameter_value.values, b.parameter_value.values)
