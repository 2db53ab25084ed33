"""The hindcast ``summer-2022``: the war on 29 Aug 2022, run to the cut-off of 12 Oct 2022.

The guards of ``tests/test_builtin.py`` run over it as over every built-in. The tests here
check what makes it a hindcast: its horizon reaches the cut-off; its structural parameters are
autumn-2022's, path for path and value for value, so that a fit on it carries over unchanged;
the citations of sources published inside the window occur only in those inherited
structural priors, each silenced with a note; and its observations file is dated, sourced and
refers to what the scenario has.
"""

import datetime as dt
import json
import re
from importlib import resources

import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.engine.simulate import simulate
from powderkeg.model.build import build_model
from powderkeg.scenario import builtin_ids, load_scenario
from powderkeg.scenario.load import OBSERVATIONS_SUFFIX
from powderkeg.scenario.provenance import CITATION, late_citations
from powderkeg.scenario.schema import Source
from powderkeg.scenario.walk import iter_params
from powderkeg.scenario.yamlfile import parse

SID = "summer-2022"
START, CUTOFF = dt.date(2022, 8, 29), dt.date(2022, 10, 12)

#: The structural parameters (combat, the advance law, the withdrawal rule, fires, damage,
#: repair, personnel, escalation and the other politics weights), by path. Everything else
#: (fronts, forces, links and their state on day 0, launchers, supply, the factions, blame,
#: setbacks, the start rung, the credibility of red lines) is the scenario's state.
STRUCTURAL = re.compile(
    r"^model\."
    r"|^fires\[[^\]]+\]\.(?!launchers$)"
    r"|^deep_strikes\["
    r"|^links\[[^\]]+\]\.repair_days$"
    r"|^politics\.(leader|blame|personnel|regime|responses|mobilization|ceasefire)\."
    r"|^politics\.escalation\.(precision|trend_scale_km|threat_scale|theory_weights|theories)\."
    r"|^politics\.escalation\.rungs\[[^\]]+\]\.(cost|opponent_effectiveness|opponent_losses)$"
    r"|^politics\.escalation\.red_lines\[[^\]]+\]\.loss_when_ignored$")


@pytest.fixture(scope="module")
def summer():
    return load_scenario(SID)


@pytest.fixture(scope="module")
def observations():
    text = resources.files("powderkeg.scenario.builtin").joinpath(
        f"{SID}{OBSERVATIONS_SUFFIX}").read_text("utf-8")
    return parse(text, f"{SID}{OBSERVATIONS_SUFFIX}")


def _structural(s) -> dict[str, dict]:
    """Each structural number's path and its value or distribution, without source or note."""
    return {path: p.model_dump(exclude={"source", "note"}) for path, p in iter_params(s)
            if STRUCTURAL.search(re.sub(r"\.(source|note)$", "", path))}


def test_it_starts_on_29_august_and_its_horizon_reaches_the_cut_off(summer):
    assert summer.date == START and summer.date + dt.timedelta(days=summer.days) == CUTOFF
    assert SID in builtin_ids() and f"{SID}-observations" not in builtin_ids()
    ds = simulate(summer, runs=16, days=summer.days, seed=0)
    assert int(ds.day.values[-1]) == 44


def test_run_stops_at_the_scenario_horizon_unless_told_otherwise(tmp_path):
    """`run` reads the scenario's `days`; --days still wins, and a scenario without `days`
    (autumn-2022) keeps the default of 365 days."""
    docs = []
    for extra in ([], ["--days", "10"]):
        out = tmp_path / f"r{len(extra)}"
        result = CliRunner().invoke(app, ["run", SID, "--runs", "8", "--workers", "1",
                                          "--quiet", "--json", "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        docs.append(json.loads(result.stdout))
    assert [d["days"] for d in docs] == [44, 10]
    assert load_scenario("autumn-2022").days is None


def test_compare_keeps_the_scenario_horizon_too():
    """`compare` (like `story` and `sensitivity`, which share its rule) reads A's `days`."""
    result = CliRunner().invoke(app, ["compare", SID, SID, "--runs", "4", "--workers", "1",
                                      "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["days"] == 44


def test_structural_parameters_are_autumn_2022s_path_for_path_and_value_for_value(
        summer, autumn):
    ours, theirs = _structural(summer), _structural(autumn)
    for path in ("model.combat.advance_km_per_day", "model.combat.advance_threshold",
                 "model.withdrawal.daily_probability", "model.logistics.damage_fraction.bridge",
                 "model.logistics.repair_days.bridge", "fires[himars].hit_probability",
                 "politics.personnel.dismiss_minister.intercept",
                 "politics.escalation.theories.weakness_invites.threat",
                 "politics.escalation.rungs[nuclear_signaling].cost"):
        assert path in theirs
    assert ours == theirs


def test_only_the_states_differ(summer, autumn):
    """The scenarios are not the same file: the state on day 0 differs in many places."""
    ours = {p: v.model_dump(exclude={"source", "note"}) for p, v in iter_params(summer)}
    theirs = {p: v.model_dump(exclude={"source", "note"}) for p, v in iter_params(autumn)}
    changed = {p for p in ours.keys() & theirs.keys() if ours[p] != theirs[p]}
    assert changed and not any(STRUCTURAL.search(p) for p in changed)
    assert {"sectors[kharkiv_oskil].front_km", "links[kerch_bridge_rail].at_start",
            "fires[himars].launchers", "politics.initial_setbacks"} <= changed
    assert summer.politics.escalation.start_rung == "conventional_war"


def test_window_citations_occur_only_in_inherited_structural_priors_each_explained(
        summer, autumn):
    """A citation of a source published after 29 Aug is allowed only in a structural prior
    inherited from autumn-2022 and silenced with a note, and only of a source published by the
    cut-off of 12 Oct 2022, or one that autumn-2022 itself accepts as documenting earlier
    facts and whose silence note says it may be later: the state knows nothing after 29 Aug,
    and nothing enters that autumn-2022's own guard would refuse."""
    late = late_citations(summer)
    assert late
    silenced = {e.place: e.note for e in summer.silence if e.check == "late_citation"}
    for place, key, _ in late:
        assert STRUCTURAL.search(re.sub(r"\.(source|note)$", "", place)), place
        assert place in silenced and "autumn-2022" in silenced[place], place
        if summer.sources[key].after(CUTOFF):
            assert autumn.sources[key].documents_earlier, key
            assert "after the cut-off" in silenced[place], key
    assert set(silenced) == {place for place, _, _ in late}


def _sourced_keys(obs) -> list[str]:
    return CITATION.findall(obs.get("source", ""))


def _uncertain(v) -> bool:
    """``{value, sd}`` with sd > 0, or ``{low, high}`` with low < high."""
    if set(v) == {"value", "sd"}:
        return v["sd"] > 0
    return set(v) == {"low", "high"} and v["low"] < v["high"]


def test_the_observations_file_is_dated_within_the_window_and_cites_dated_sources(
        summer, observations):
    assert observations["scenario"] == SID
    assert dt.date.fromisoformat(observations["cutoff"]) == CUTOFF
    sources = {k: Source.model_validate(v) for k, v in observations["sources"].items()}
    ids = [o["id"] for o in observations["observations"]]
    assert len(ids) == len(set(ids))
    for o in observations["observations"]:
        days = [o[k] for k in ("date", "from", "to") if k in o]
        assert days and all(START <= dt.date.fromisoformat(d) <= CUTOFF for d in days), o["id"]
        assert "from" not in o or o["from"] <= o["to"], o["id"]
        keys = _sourced_keys(o)
        assert keys, o["id"]
        for key in keys:  # the sources of the value: published inside the window
            first = dt.date.fromisoformat((sources[key].published + "-01-01")[:10])
            assert first >= START and not sources[key].after(CUTOFF), (o["id"], key)
        for key in CITATION.findall(o.get("note", "")):  # context in a note: by the cut-off
            assert not sources[key].after(CUTOFF), (o["id"], key)


def test_every_observation_refers_to_what_the_scenario_has_with_an_honest_uncertainty(
        summer, observations):
    m = build_model(summer)
    length = dict(zip(m.sector_ids, m.sector_length, strict=True))
    objectives = {x.id: {o.id for o in x.objectives} for x in summer.sectors}
    outcomes = {o.id for o in summer.outcomes}
    links = {x.id for x in summer.links}
    for o in observations["observations"]:
        kind = o["kind"]
        if kind == "front":
            assert _uncertain(o["km"]), o["id"]
            km = o["km"].get("value", o["km"].get("high"))
            assert 0 <= o["km"].get("low", km) and km <= length[o["sector"]], o["id"]
        elif kind == "held":
            assert o["objective"] in objectives[o["sector"]] and o["side"] in summer.sides
            assert isinstance(o["value"], bool) and 0.5 < o.get("confidence", 0.95) <= 1
        elif kind == "link":
            assert o["link"] in links, o["id"]
            assert ("closed" in o) != ("open_fraction" in o), o["id"]
            assert o.get("closed", True) is True
            if "open_fraction" in o:
                assert _uncertain(o["open_fraction"]), o["id"]
        elif kind == "event":
            assert o["outcome"] in outcomes and isinstance(o["happened"], bool), o["id"]
        else:
            assert kind == "count" and _uncertain(o["value"]), o["id"]
            assert (o["count"], bool(o.get("links")), o.get("side")) in {
                ("strikes", True, None), ("losses", False, "russia"),
                ("losses", False, "ukraine")}, o["id"]
            assert set(o.get("links", [])) <= links, o["id"]


def test_the_observations_cover_what_the_window_is_for(summer, observations):
    """Kharkiv's depth by day, the Kherson advance, Bakhmut, both withdrawal orders (each an
    outcome of cause `ordered`), the three Dnipro crossings, losses, the mobilisation and the
    strikes of 10 October."""
    obs = observations["observations"]
    fronts = {}
    for o in obs:
        if o["kind"] == "front":
            fronts.setdefault(o["sector"], []).append(o["date"])
    assert len(fronts["kharkiv_oskil"]) >= 4 and {"kherson_west", "bakhmut"} <= set(fronts)
    events = {o["outcome"] for o in obs if o["kind"] == "event"}
    kinds = {o.id: o for o in summer.outcomes}
    for oid in ("kharkiv_withdrawal_ordered", "lyman_withdrawal_ordered"):
        assert oid in events and kinds[oid].kind == "sector_withdrawn"
        assert kinds[oid].cause == "ordered"
    assert {"mobilization_announced", "infrastructure_strikes_begun"} <= events
    assert {"antonivskyi_road_bridge", "antonivka_rail_bridge", "kakhovka_dam_crossing"} <= {
        o["link"] for o in obs if o["kind"] == "link"}
    assert {o["count"] for o in obs if o["kind"] == "count"} == {"strikes", "losses"}


def test_the_offensives_begin_on_their_dates_with_sources_of_the_window(summer):
    """Kharkiv and Lyman are quiet on 29 Aug and attacked from their onsets; Kherson attacks
    from day 0. Each onset cites sources published inside the window, none after it."""
    model = build_model(summer)
    sectors = {s.id: s for s in summer.sectors}
    onsets = {"kharkiv_oskil": dt.date(2022, 9, 6), "luhansk": dt.date(2022, 9, 12)}
    from powderkeg.model.theater import posture_on

    for sid, day in onsets.items():
        (change,) = sectors[sid].posture_changes
        assert change.from_ == day and change.posture == {"ukraine": "attack"}
        k, s = (day - START).days, model.sector_ids.index(sid)
        assert not posture_on(model, k - 1)[s].any() and posture_on(model, k)[s, 0]
        for key in CITATION.findall(change.source):
            assert not summer.sources[key].after(CUTOFF), key
    assert posture_on(model, 0)[model.sector_ids.index("kherson_west"), 0]
