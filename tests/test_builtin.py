"""The built-in scenarios keep the project's rule: every number says where it comes from."""

import pytest

from powderkeg.scenario import builtin_ids, load_scenario
from powderkeg.scenario.provenance import provenance


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_number_has_a_source_or_a_note(sid):
    s = load_scenario(sid)
    bare = [path for path, p, _ in provenance(s) if not (p.source or p.note)]
    assert bare == []
    assert all(n.source or n.note for n in s.nodes)


@pytest.mark.parametrize("sid", builtin_ids())
def test_numbers_do_not_cite_sources_published_after_the_cut_off(sid):
    s = load_scenario(sid)
    # sources published after the cut-off may only document facts that stood before it;
    # these were kept out of the numbers on purpose
    cited = " ".join(p.source or "" for _, p, _ in provenance(s))
    for late in ("[S11]", "[S17]", "[S18]", "[S72]"):
        assert late not in cited
