"""The Kremlin's daily couplings (compiled): arrivals by a hand-checked example and against
the NumPy expressions they replaced (the reference here, and only here), symbolic blows and
red lines by counting, and the bounds that make the compact dtypes exact."""

import numpy as np

from powderkeg.model.kremlin import index_dtype
from powderkeg.model.kremlin_daily import (
    arrivals,
    daily_couplings,
    red_line_crossed,
    symbolic_blows,
)
from powderkeg.model.outcomes import DAY
from powderkeg.model.random import MAX_DAYS
from powderkeg.model.record import RECORD_COUNT
from powderkeg.scenario.schema import Fires


def test_arrivals_spread_by_forces_and_add_the_rate():
    own = np.array([100.0, 300.0])
    arrivals(own, np.arange(2), 40.0)
    assert own.tolist() == [110.0, 330.0]
    empty = np.zeros(3)
    arrivals(empty, np.arange(3), 50.0)  # nobody to join: the floor of 1e-9 adds nothing
    assert empty.tolist() == [0.0, 0.0, 0.0]


def _numpy_day(day, side, forces, mob_from, mob_to, mob_rate, hits, symbolic_links,
               red_line_links, symbolic, crossed):
    """The NumPy code the kernel replaced, kept as its reference."""
    forces = forces.copy()
    arriving = (mob_from <= day) & (day < mob_to)
    if arriving.any():
        own = forces[..., side]
        share = own / np.maximum(own.sum(axis=1, keepdims=True), 1e-9)
        forces[..., side] += np.where(arriving, mob_rate, 0.0)[:, None] * share
    hit = hits > 0
    blows = symbolic + hit[:, symbolic_links].sum(axis=1)
    lines = crossed | ((hit.astype(int) @ red_line_links.T.astype(int)) > 0)
    return forces, blows, lines


def test_daily_couplings_are_the_numpy_expressions_bit_for_bit():
    # lognormal forces over 1 to 20 sectors: from 8 sectors on, NumPy's pairwise sum differs
    # from left-to-right addition in the last bits, so the shares would too
    rng = np.random.default_rng(4)
    for sectors in (1, 3, 6, 8, 9, 20):
        runs, links, lines = 50, 7, 3
        args = (17, 1, rng.lognormal(8.0, 2.0, (runs, sectors, 2)),
                np.where(rng.random(runs) < 0.5, 10.0, np.inf), np.full(runs, 30.0),
                rng.lognormal(3.0, 1.0, runs), rng.poisson(0.3, (runs, links)),
                np.array([0, 2, 2, 5]), rng.random((lines, links)) < 0.3,
                rng.integers(0, 4, runs).astype(float), rng.random((runs, lines)) < 0.2)
        got = daily_couplings(*args)
        want = _numpy_day(*args)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_no_arrival_leaves_the_forces_alone():
    forces = np.arange(12.0).reshape(2, 3, 2)
    out, _, _ = daily_couplings(5, 0, forces, np.full(2, 6.0), np.full(2, 9.0), np.ones(2),
                                np.zeros((2, 1), np.int64), np.zeros(0, np.int64),
                                np.zeros((0, 1), bool), np.zeros(2), np.zeros((2, 0), bool))
    assert out.tobytes() == forces.tobytes() and out is not forces


def test_symbolic_blows_and_red_lines_count_links_hit():
    hits = np.array([0, 3, 1, 0])
    assert symbolic_blows(hits, np.array([0, 1, 1, 2])) == 3  # a link listed twice counts twice
    lines = np.array([[True, False, False, True], [False, False, True, False]])
    assert not red_line_crossed(hits, lines, 0)
    assert red_line_crossed(hits, lines, 1)


def test_compact_dtypes_hold_their_bounds():
    # a system's missions a day are capped by the schema; each hits one link or sector, and a
    # deep strike at most one link a day: the day's counts fit the record's dtype
    most = Fires.model_fields["max_missions_per_day"].metadata
    cap = max(m.le for m in most if hasattr(m, "le"))
    assert cap + 1 <= np.iinfo(RECORD_COUNT).max
    # a run has fewer than MAX_DAYS days (the streams refuse later ones): streaks and days fit
    assert MAX_DAYS <= np.iinfo(DAY).max
    assert [index_dtype(n) for n in (1, 2, 128, 129, 40_000)] == [
        np.int8, np.int8, np.int8, np.int16, np.int32]
    assert np.iinfo(index_dtype(128)).min <= -1 and np.iinfo(index_dtype(128)).max >= 127
