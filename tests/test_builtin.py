"""The built-in scenarios keep the project's rule: every number says where it comes from."""

import pytest

from powderkeg.scenario import builtin_ids, load_scenario
from powderkeg.scenario.provenance import late_citations, provenance


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_number_has_a_source_or_a_note(sid):
    s = load_scenario(sid)
    bare = [path for path, p, _ in provenance(s) if not (p.source or p.note)]
    assert bare == []
    assert all(n.source or n.note for n in s.nodes)


@pytest.mark.parametrize("sid", builtin_ids())
def test_numbers_do_not_cite_sources_published_after_the_cut_off(sid):
    """Every source, or note, of every number cites only sources published on or before the
    scenario date, unless marked as a later compilation of an earlier fact."""
    s = load_scenario(sid)
    assert late_citations(s) == []


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_source_of_a_builtin_scenario_is_dated_or_says_why_not(sid):
    """A built-in source carries its publication date; one with no date anywhere (an undated
    mirror or database) must be marked as documenting earlier facts and say so in a note."""
    s = load_scenario(sid)
    for key, src in s.sources.items():
        assert src.published is not None or (src.documents_earlier and src.note), key
        if src.documents_earlier:
            assert src.note, f"{key}: say which earlier facts it documents"
