"""Provenance: which numbers are sourced, which are assumptions, and which sources are late."""

import datetime as dt

import pytest
from conftest import tiny_document
from pydantic import ValidationError

from powderkeg.scenario.params import Fixed
from powderkeg.scenario.provenance import (
    BARE,
    CONTEXT,
    SOURCED,
    citations,
    kind,
    late_citations,
    provenance_counts,
)
from powderkeg.scenario.references import reference_problems
from powderkeg.scenario.schema import Scenario, Source


@pytest.mark.parametrize(("source", "note", "expected"), [
    ("[S03]", None, SOURCED),
    ("[S03]", "13 Mt/yr design freight / 365", SOURCED),
    ("[S09]", "Aksyonov: ~1 month of fuel, ~2 months of food", SOURCED),
    ("[S31]", "capacity assumption", CONTEXT),
    ("[S31]", "capacity assumption: single track", CONTEXT),
    ("[S32]", "capacity assumption; the main route once the bridge was hit", CONTEXT),
    ("[S42]", "routing via Ilovaisk and capacity are assumptions", CONTEXT),
    ("[S13]", "assumption scaled on the 2015 peak", CONTEXT),
    ("[S13]", "Assumption: like the first wave", CONTEXT),
    ("[S62]", "~20,000 on the west bank (an assumption for the split)", SOURCED),
    (None, "assumption", BARE),
    (None, "chosen by hand", BARE),
])
def test_a_number_is_sourced_only_when_its_note_does_not_call_it_an_assumption(
        source, note, expected):
    assert kind(Fixed(value=1.0, source=source, note=note)) == expected


def _doc(sources, **link_fields):
    doc = tiny_document()
    doc["sources"] = sources
    doc["links"][0] = {**doc["links"][0], **link_fields}
    return doc


def test_a_plain_string_source_is_an_undated_source():
    s = Scenario.model_validate(_doc({"A": "Some outlet, 2021"}))
    assert s.sources["A"] == Source(text="Some outlet, 2021")
    assert s.sources["A"].published is None and s.sources["A"].after(s.date)


@pytest.mark.parametrize(("published", "latest"), [
    ("2022-10-09", dt.date(2022, 10, 9)), (dt.date(2022, 10, 9), dt.date(2022, 10, 9)),
    ("2022-10", dt.date(2022, 10, 31)), ("2022-02", dt.date(2022, 2, 28)),
    (2018, dt.date(2018, 12, 31)),
])
def test_a_partial_date_counts_as_published_at_the_end_of_its_period(published, latest):
    src = Source(text="x", published=published)
    assert src.latest == latest
    assert src.after(latest - dt.timedelta(days=1)) and not src.after(latest)


@pytest.mark.parametrize("bad", ["2022-13", "2022-02-30", "Oct 2022", "22-10-09", "unknown"])
def test_an_impossible_publication_date_is_refused(bad):
    with pytest.raises(ValidationError):
        Source(text="x", published=bad)


def _late(sources, **link):
    s = Scenario.model_validate(_doc(sources, **link))
    assert reference_problems(s) == []
    return late_citations(s)


def test_citing_a_source_published_after_the_scenario_date_is_caught():
    capacity = {"value": 1000, "source": "[L]"}
    assert _late({"L": {"text": "x", "published": "2022-10-13"}}, capacity=capacity) == [
        ("links[bridge].capacity.source", "L", "2022-10-13")]
    # the scenario's own date is allowed; a month straddling it is not
    assert _late({"L": {"text": "x", "published": "2022-10-12"}}, capacity=capacity) == []
    assert len(_late({"L": {"text": "x", "published": "2022-10"}}, capacity=capacity)) == 1
    assert len(_late({"L": "undated outlet"}, capacity=capacity)) == 1
    # a later compilation of an earlier fact may be cited
    assert _late({"L": {"text": "x", "published": "2023-06", "documents_earlier": True}},
                 capacity=capacity) == []


def test_a_note_citing_a_late_source_is_caught_too():
    cap = {"value": 1000, "source": "[E]", "note": "assumption, after [L]"}
    late = _late({"E": {"text": "e", "published": "2020"},
                  "L": {"text": "l", "published": "2023"}}, capacity=cap)
    assert late == [("links[bridge].capacity.note", "L", "2023")]


def test_citations_cover_nodes_and_numbers_but_not_the_sources_table():
    doc = _doc({"A": {"text": "a [B]", "published": "2020"}, "B": "b"},
               capacity={"value": 1000, "source": "[A]"})
    doc["nodes"][0]["source"] = "[B]"
    places = sorted(citations(Scenario.model_validate(doc)))
    assert places == [("links[bridge].capacity.source", "A"), ("nodes[a].source", "B")]


def test_an_undefined_source_key_in_a_node_is_a_reference_problem():
    doc = _doc({"A": "a"})
    doc["nodes"][0]["source"] = "[Z]"
    problems = reference_problems(Scenario.model_validate(doc))
    assert [p for p, _ in problems] == ["nodes[a].source"]


def test_counts_add_up_to_every_number(autumn):
    n = provenance_counts(autumn)
    assert set(n) == {SOURCED, CONTEXT, BARE}
    from powderkeg.scenario.walk import iter_params

    assert sum(n.values()) == len(list(iter_params(autumn)))


def test_the_case_base_cites_no_source_published_after_the_builtin_date(autumn):
    from powderkeg.scenario.cases import late_case_citations, load_case_base

    base = load_case_base()
    assert base.sources and late_case_citations(base, autumn.date) == []
    for key, src in base.sources.items():
        assert src.published is not None or (src.documents_earlier and src.note), key


def test_a_case_file_citing_an_undefined_or_late_source_is_caught(tmp_path):
    from powderkeg.errors import InputError
    from powderkeg.scenario.cases import late_case_citations, load_case_base

    case = ("  - {id: one, title: One, date: 2020-01-01, opponent_strength: 1, regime_threat: 0, "
            "red_line_crossed: false, offramp: false, response: held, source: \"[A]\"}\n")
    path = tmp_path / "cases.yaml"
    path.write_text("sources:\n  A: {text: a, published: 2023-01}\ncases:\n" + case, "utf-8")
    base = load_case_base(str(path))
    assert late_case_citations(base, dt.date(2022, 10, 12)) == [("one", "A")]
    assert late_case_citations(base, dt.date(2023, 1, 31)) == []
    path.write_text("sources:\n  B: b\ncases:\n" + case, "utf-8")
    with pytest.raises(InputError, match=r"cites \[A\]"):
        load_case_base(str(path))
    path.write_text("sources:\n  A: {text: a, published: \"2023-02-30\"}\ncases:\n" + case,
                    "utf-8")
    with pytest.raises(InputError, match="sources.A.published"):
        load_case_base(str(path))
    path.write_text("sources:\n  A: {text: a, published: 2023-02-30}\ncases:\n" + case, "utf-8")
    with pytest.raises(InputError, match="sources.A.published"):
        load_case_base(str(path))
