"""The built-in scenarios keep the project's rule: every number says where it comes from.

These guards run over every built-in; the tests of each scenario's particulars are in
``tests/test_second_scenario.py`` (october-1973) and ``tests/test_hindcast_scenario.py``
(summer-2022).
"""

import numpy as np
import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.scenario import builtin_ids, load_scenario
from powderkeg.scenario.provenance import late_citations, provenance
from powderkeg.scenario.references import reference_problems


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_number_has_a_source_or_a_note(sid):
    s = load_scenario(sid)
    bare = [path for path, p, _ in provenance(s) if not (p.source or p.note)]
    assert bare == []
    assert all(n.source or n.note for n in s.nodes)


@pytest.mark.parametrize("sid", builtin_ids())
def test_numbers_do_not_cite_sources_published_after_the_cut_off(sid):
    """Every source, or note, of every number cites only sources published on or before the
    scenario date, unless marked as a later compilation of an earlier fact, or unless the
    scenario silences that place's late_citation warning with a note saying why (a hindcast's
    structural priors, inherited from a later scenario: see tests/test_hindcast_scenario.py)."""
    s = load_scenario(sid)
    explained = {e.place for e in s.silence if e.check == "late_citation"}
    assert [c for c in late_citations(s) if c[0] not in explained] == []


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_source_of_a_builtin_scenario_is_dated_or_says_why_not(sid):
    """A built-in source carries its publication date; one with no date anywhere (an undated
    mirror or database) must be marked as documenting earlier facts and say so in a note."""
    s = load_scenario(sid)
    for key, src in s.sources.items():
        assert src.published is not None or (src.documents_earlier and src.note), key
        if src.documents_earlier:
            assert src.note, f"{key}: say which earlier facts it documents"


@pytest.mark.parametrize("sid", builtin_ids())
def test_it_is_found_by_its_file_name_and_validates_without_warnings(sid):
    """`validate` accepts it and prints no sense-check warning: the ones it means are silenced,
    each with a note, and a silence entry that hides nothing would itself be a warning."""
    s = load_scenario(sid)
    assert s.id == sid and reference_problems(s) == []
    result = CliRunner().invoke(app, ["validate", sid])
    assert result.exit_code == 0, result.output
    assert f"valid scenario '{sid}' ({s.date})" in result.output
    assert "warning" not in result.output


@pytest.mark.parametrize("sid", builtin_ids())
def test_a_small_run_completes(sid):
    s = load_scenario(sid)
    ds = simulate(s, runs=20, days=10, seed=0)
    assert ds.sizes["run"] == 20 and ds.sizes["day"] == 11
    assert set(ds.outcome.values) == {o.id for o in s.outcomes}
    assert np.isfinite(ds.front_km.values).all()
