"""The second built-in scenario, ``october-1973``: the Suez Canal and the Golan on 15 Oct 1973.

The guards of ``tests/test_builtin.py`` (every number sourced or noted, no late citation,
every source dated or saying why not, found by its file name, valid without warnings, a small
run completes) run over every built-in, this one included. The tests here check what is
particular to it: it keeps its cut-off, and each of its declared outcomes can both happen and
fail to happen.
"""

import datetime as dt

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


def test_it_has_no_politics_section(october):
    """The politics schema's two fixed escalation theories and fixed faction roles model the
    Kremlin of 2022; the 1973 war's superpower-brokered ceasefire cannot be written in it,
    so the scenario leaves politics out (see the README section)."""
    assert october.politics is None


def test_each_outcome_can_happen_and_can_fail_to(october):
    """Over 500 runs of the full default horizon (365 days) every declared outcome happens
    in some runs and not in others: none is certain or impossible by construction."""
    ds = simulate(october, runs=500, days=365, seed=0)
    p = ds.event_day.notnull().mean("run").to_series()
    assert ((p > 0) & (p < 1)).all(), p[(p == 0) | (p == 1)].to_dict()
