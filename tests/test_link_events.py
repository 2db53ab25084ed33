"""Dated link events: a hindcast's known shocks to links, applied on their day as hits.

Closed form on the tiny scenario with no strikes: on the event's day the link's open fraction
falls to the event's, then comes back by the repair rule of :mod:`powderkeg.model.fires` in
quarters of its gap over the link's repair time. Paired: the runs equal those without the
event until its day, and differ after it; a scenario without events runs exactly as before.
Bad events are errors named at their place.
"""

import datetime as dt

import numpy as np
import pytest
from conftest import tiny_document, tiny_scenario
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.model.fires import REPAIR_STEPS
from powderkeg.scenario import load_scenario
from powderkeg.scenario.provenance import late_citations
from powderkeg.scenario.references import reference_problems
from powderkeg.scenario.schema import Scenario

K = 5  # the event falls on day 5: 2022-10-17 for the tiny scenario of 2022-10-12
ON = "2022-10-17"
REPAIR = 8  # days of repair work of the bridge, fixed


def _event(**changes):
    return {"id": "blast", "date": ON, "link": "bridge", "open_fraction": 0.2, **changes}


def _scenario(events=None):
    """The tiny scenario for 30 days, without deep strikes, the bridge repaired in 8 days."""
    links = tiny_document()["links"]
    links[0]["repair_days"] = REPAIR
    extra = {} if events is None else {"link_events": list(events)}
    return tiny_scenario(days=30, links=links, deep_strikes=[], **extra)


def _bridge(ds):
    return ds.link_capacity.sel(link="bridge").values


def test_the_link_falls_on_its_day_and_is_repaired_in_quarters_of_its_gap():
    """``frac(K + j) = f + (1 - f) floor(4 j / T) / 4`` for ``j`` days of work of ``T``."""
    ds = simulate(_scenario([_event()]), 3, 20, seed=2, every=1)
    frac = _bridge(ds)
    np.testing.assert_array_equal(frac[:, :K], 1.0)
    j = np.arange(0, 20 - K + 1)
    expected = 0.2 + 0.8 * np.minimum(np.floor(REPAIR_STEPS * j / REPAIR + 1e-9),
                                      REPAIR_STEPS) / REPAIR_STEPS
    np.testing.assert_allclose(frac[:, K:], np.broadcast_to(expected, (3, len(j))), rtol=1e-6)


def test_it_counts_as_a_hit_of_its_day():
    ds = simulate(_scenario([_event()]), 2, 10, seed=0, every=1)
    hits = ds.strikes_to_date.sel(link="bridge").values
    np.testing.assert_array_equal(hits[:, :K], 0)
    np.testing.assert_array_equal(hits[:, K:], 1)
    struck = ds.event_day.sel(outcome="bridge_hit").values
    np.testing.assert_array_equal(struck, K)


def test_runs_equal_those_without_the_event_until_its_day_and_differ_after():
    plain = simulate(_scenario(), 3, 12, seed=5, every=1)
    shocked = simulate(_scenario([_event(open_fraction={"dist": "uniform", "low": 0.0,
                                                        "high": 0.5})]), 3, 12, seed=5,
                       every=1)
    for name in ("link_capacity", "front_km", "forces", "stock_days"):
        np.testing.assert_array_equal(plain[name].values[:, :K], shocked[name].values[:, :K])
    assert not np.array_equal(_bridge(plain)[:, K:], _bridge(shocked)[:, K:])
    assert (_bridge(shocked)[:, K] <= 0.5).all()


def test_a_drawn_fraction_is_the_runs_draw_from_its_distribution():
    """Uniform on [0.1, 0.3]: every run's fraction on the day lies inside, and 200 runs
    spread over it (a Kolmogorov-Smirnov test against the uniform at 1%)."""
    from scipy import stats

    s = _scenario([_event(open_fraction={"dist": "uniform", "low": 0.1, "high": 0.3})])
    frac = _bridge(simulate(s, 200, K, seed=1, every=1))[:, K]
    assert ((frac >= 0.1) & (frac <= 0.3)).all()
    assert stats.kstest(frac, stats.uniform(0.1, 0.2).cdf).pvalue > 0.01


def test_an_event_does_not_mend_a_link_already_more_damaged():
    doc = tiny_document(days=30)
    doc["links"][0].update(at_start=0.1, repair_days=100)
    doc["deep_strikes"] = []
    doc["link_events"] = [_event(open_fraction=0.5)]
    frac = _bridge(simulate(Scenario.model_validate(doc), 2, K, seed=0, every=1))
    np.testing.assert_allclose(frac[:, K], 0.1)


def test_a_scenario_without_events_has_none_and_runs_as_with_an_empty_list():
    assert len(build_model(_scenario()).link_events.days) == 0
    a, b = (simulate(_scenario(events), 2, 8, seed=3, every=1) for events in (None, []))
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)


@pytest.mark.parametrize("event, place, words", [
    (_event(link="tunnel"), "link_events[0].link", "unknown link 'tunnel'"),
    (_event(date="2022-10-12"), "link_events[0].date", "at_start"),
    (_event(date="2022-12-01"), "link_events[0].date", "after the scenario's last day"),
])
def test_bad_events_are_named_at_their_place(event, place, words):
    doc = tiny_document(days=30)
    doc["link_events"] = [event]
    problems = reference_problems(Scenario.model_validate(doc))
    assert any(p == place and words in w for p, w in problems), problems


def test_two_events_may_not_share_an_id():
    doc = tiny_document(days=30)
    doc["link_events"] = [_event(), _event(date="2022-10-20")]
    problems = reference_problems(Scenario.model_validate(doc))
    assert any(p == "link_events" and "more than once" in w for p, w in problems), problems


@pytest.mark.parametrize("fraction", [1.5, -0.1, {"dist": "uniform", "low": 0.5, "high": 1.2}])
def test_a_fraction_outside_0_1_is_refused(fraction):
    doc = tiny_document(days=30)
    doc["link_events"] = [_event(open_fraction=fraction)]
    with pytest.raises(ValueError, match="at most 1|at least 0"):
        Scenario.model_validate(doc)


def test_the_command_line_exits_2_naming_the_place(tmp_path):
    import yaml

    doc = tiny_document(days=30)
    doc["link_events"] = [_event(link="tunnel")]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "link_events[0].link" in result.output and "Traceback" not in result.output


def test_an_event_may_cite_what_was_published_by_the_scenarios_last_day():
    doc = tiny_document(days=30)  # 2022-10-12 to 2022-11-11
    doc["sources"] = {"in": {"text": "a report of the attack", "published": "2022-10-18"},
                      "out": {"text": "a later history", "published": "2022-11-12"}}
    doc["link_events"] = [_event(source="[in] [out]")]
    late = {(p, k) for p, k, _ in late_citations(Scenario.model_validate(doc))}
    assert late == {("link_events[blast].source", "out")}


def test_summer_2022_damages_both_kerch_spans_on_8_october_in_every_run():
    s = load_scenario("summer-2022")
    day = (dt.date(2022, 10, 8) - s.date).days
    ds = simulate(s, 4, day, seed=0, every=1)
    for link, most in (("kerch_bridge_rail", 0.5), ("kerch_bridge_road", 0.2)):
        frac = ds.link_capacity.sel(link=link).values
        assert (frac[:, day] <= most).all() and (frac[:, day - 1] > most).any(), link
        assert (ds.strikes_to_date.sel(link=link).values[:, day] >= 1).all(), link


def test_the_story_tells_the_event_on_its_day_with_its_source_and_no_actor():
    from powderkeg.engine.replay import trace
    from powderkeg.report.story import story_events

    s = _scenario([_event(source="a dated report")])
    tr = trace(s, 1, 0, 10)
    told = [e for e in story_events(tr.model, tr.world, tr.states)
            if e["event_type"] == "link_event"]
    frac = _bridge(simulate(s, 2, 10, seed=0, every=1))[1, K]  # run 1 of a batch of 2
    assert [(e["date"], e["actor1"]) for e in told] == [(ON, "")]
    assert "blast, source a dated report" in told[0]["notes"]
    assert f"-> {frac:.0%}" in told[0]["notes"]
