"""The second built-in scenario, ``october-1973``: the Suez Canal and the Golan on 15 Oct 1973.

The guards of ``tests/test_builtin.py`` (every number sourced or noted, no late citation,
every source dated or saying why not, found by its file name, valid without warnings, a small
run completes) run over every built-in, this one included. The tests here check what is
particular to it: it keeps its cut-off, its politics rests on Egypt's own cases dated before
it, a mediated ceasefire freezes the fronts, and each of its declared outcomes can both happen
and fail to happen.
"""

import datetime as dt
import re

import numpy as np
import pytest

from powderkeg.engine.simulate import simulate
from powderkeg.scenario import builtin_ids, load_scenario
from powderkeg.scenario.provenance import late_citations

SID = "october-1973"


@pytest.fixture(scope="module")
def october():
    return load_scenario(SID)


def test_it_is_a_builtin_dated_on_its_cut_off(october):
    assert SID in builtin_ids()
    assert october.date == dt.date(1973, 10, 15)


def test_every_dated_source_it_cites_was_published_by_the_cut_off(october):
    """Later compilations may be cited only as documenting earlier facts, with a note."""
    assert late_citations(october) == []
    for key, src in october.sources.items():
        if src.after(october.date):
            assert src.documents_earlier and src.note, key


def test_its_politics_is_egypts_with_its_own_cases_before_its_date(october):
    """The politics half is Egypt's leadership under two theories of its war aims, with the
    Security Council and the superpowers as a mediator; its case base is Egypt's own, every
    case dated before the scenario and citing sources published by its date (or later
    reprints of earlier reports, marked so)."""
    p = october.politics
    assert p.side == "arab" and list(p.escalation.theories) == ["limited_aims", "honour_first"]
    assert list(p.policies) == ["us_resupply", "us_restraint"] and p.mediation is not None
    cases = p.case_base.cases
    assert p.case_base.file.endswith("egypt-1973-cases.yaml") and len(cases) >= 5
    assert all(c.date < october.date for c in cases)
    for c in cases:
        for key in re.findall(r"\[([A-Z]+\d+)\]", c.source):
            src = p.case_base.sources[key]
            assert not src.after(october.date) or src.documents_earlier, (c.id, key)


def test_a_mediated_ceasefire_freezes_the_fronts(october):
    """In the runs where the mediator's offer is taken, no front moves after that day."""
    ds = simulate(october, runs=60, days=120, seed=1, every=1)
    day = ds.event_day.sel(outcome="ceasefire").values
    held = np.isfinite(day)
    assert held.any() and (~held).any()
    for r in np.flatnonzero(held)[:10]:
        d = int(day[r])
        front = ds.front_km.isel(run=r).sel(day=slice(d, d + 3)).values
        assert np.allclose(front, front[0]), (r, d)


def test_each_outcome_can_happen_and_can_fail_to(october):
    """Over 500 runs of the full default horizon (365 days) every declared outcome happens
    in some runs and not in others: none is certain or impossible by construction."""
    ds = simulate(october, runs=500, days=365, seed=0)
    p = ds.event_day.notnull().mean("run").to_series()
    assert ((p > 0) & (p < 1)).all(), p[(p == 0) | (p == 1)].to_dict()
