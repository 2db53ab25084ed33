"""Run stories: a replayed run is run i of any batch, and its events match the recorded outcomes."""

import csv
import datetime as dt
import io

import numpy as np
import pytest
from conftest import autumn_variant, frozen_politics, tiny_scenario

from powderkeg.engine.replay import find_run, replay, replay_world, trace
from powderkeg.engine.simulate import simulate
from powderkeg.errors import InputError
from powderkeg.model.build import build_model
from powderkeg.model.step import supply_ratio
from powderkeg.report.story import (
    CSV_COLUMNS,
    NATIONAL,
    events_csv,
    story_events,
    story_markdown,
)

SEED = 7


def test_replay_equals_run_of_a_batch(autumn):
    days, run = 60, 37
    ds = simulate(autumn, 50, days, SEED, every=1).isel(run=run)
    states = list(replay(autumn, run, SEED, days))
    assert [st.day for st in states] == list(range(days + 1))
    world = replay_world(build_model(autumn), run, SEED)
    f32 = lambda x: np.asarray(x, dtype=np.float32)  # noqa: E731  the dataset stores float32
    for st in states:
        d = st.day
        assert np.array_equal(f32(st.front[0]), ds.front_km.sel(day=d).values)
        assert np.array_equal(f32(st.forces[0]), ds.forces.sel(day=d).values)
        assert np.array_equal(f32(st.link_frac[0]), ds.link_capacity.sel(day=d).values)
        assert np.array_equal(f32(supply_ratio(world, st)[0]), ds.supply_ratio.sel(day=d).values)
        assert st.politics.rung[0] == ds.escalation_rung.sel(day=d).values
        assert np.array_equal(f32(st.politics.influence[0]), ds.influence.sel(day=d).values)
    first = states[-1].outcomes.first_day[0].astype(np.float32)
    first[first < 0] = np.nan
    assert np.array_equal(first, ds.event_day.values, equal_nan=True)
    assert np.array_equal(f32(states[-1].losses[0]), ds.losses.values)


def _matches(ev, o, model, day) -> bool:
    """Whether story event ``ev`` is the one that makes outcome ``o`` happen on ``day``.

    An outcome that must hold for some days is told on the day it starts to hold; one that
    has held since day 0 has no event to tell."""
    from powderkeg.model.outcomes import required_days

    start = day - (required_days(o) - 1)
    if start == 0 or o.kind in ("link_capacity_at_least", "supply_below"):
        return True  # held since day 0, or an outcome with no single event
    if ev["day"] != start:
        return False
    t, summary = ev["event_type"], ev["summary"]
    if o.kind == "objective_taken":
        side = o.side.replace("_", " ").title()
        return t == "objective_taken" and ev["actor1"] == side and any(
            f"objective {x.objective}, sector {x.sector})" in summary for x in o.targets)
    if o.kind == "sector_withdrawn":
        name = model.scenario.sectors[model.sector_ids.index(o.sector)].name
        return t == "bridgehead_withdrawn" and name in summary
    if o.kind == "link_struck":
        return t in ("long_range_fires", "deep_strike") and any(
            f"hit {x} (" in summary for x in o.links)
    if o.kind == "rung_reached":
        return t == "escalation" and summary.startswith("stepped up") and \
            model.politics.rung_ids.index(summary.rsplit("(", 1)[1].rstrip(")")) >= \
            model.politics.rung_ids.index(o.rung)
    return t == o.event  # event_happened


def _check_outcomes_in_story(scenario, run, days, seed=SEED):
    ds = simulate(scenario, 1, days, seed, run_offset=run, every=days)
    tr = trace(scenario, run, seed, days)
    events = story_events(tr.model, tr.world, tr.states)
    checked = 0
    for o, day in zip(scenario.outcomes, ds.event_day.values[0], strict=False):
        if np.isnan(day) or day == 0:
            continue
        assert any(_matches(ev, o, tr.model, int(day)) for ev in events), (o.id, day)
        checked += 1
    return tr, events, checked


def test_story_shows_the_outcome_on_its_day(autumn):
    days = 100
    run = find_run(autumn, "kherson_city_liberated", SEED, days, max_runs=500)
    tr, events, checked = _check_outcomes_in_story(autumn, run, days)
    day = int(tr.final.outcomes.first_day[0, [o.id for o in autumn.outcomes].index(
        "kherson_city_liberated")])
    hits = [ev for ev in events if ev["event_type"] == "objective_taken"
            and "objective kherson_city," in ev["summary"]]
    assert hits and hits[0]["day"] == day and hits[0]["actor1"] == "Ukraine"
    assert hits[0]["location"] == "Kherson"
    assert (hits[0]["latitude"], hits[0]["longitude"]) == (46.66, 32.62)
    assert checked >= 2
    assert all(ev["date"] == (autumn.date + dt.timedelta(days=ev["day"])).isoformat()
               for ev in events)


def test_story_of_a_coup(autumn):
    s, _ = frozen_politics(hazard=0.3)
    days = 60
    run = find_run(s, "armed_mutiny_or_coup_attempt", SEED, days, max_runs=200)
    tr, events, checked = _check_outcomes_in_story(s, run, days)
    assert any(ev["event_type"] == "coup_attempt" for ev in events)
    for ev in events:
        if ev["location"] == NATIONAL:
            assert ev["latitude"] is None and ev["longitude"] is None
    md = story_markdown(tr.model, tr.world, events, run=run, seed=SEED, days=days,
                        final=tr.final, state0=tr.states[0])
    assert md.startswith(f"# Run {run}: ")
    assert "**Escalation theory drawn:**" in md
    coup = next(ev for ev in events if ev["event_type"] == "coup_attempt")
    assert f"- {coup['date']} (day {coup['day']}) — " in md


def _untenable_variant():
    def edit(doc):
        for d in doc["supply"]["demands"]:
            if d["id"] == "kherson_west":
                d["tons_per_day"] = 40000
        doc["model"]["withdrawal"].update(
            {"force_ratio_above": 0.8, "untenable_days": 2, "daily_probability": 0.3})
    return autumn_variant(edit)


def test_withdrawal_reason_is_the_record_of_the_ratios_the_rule_used():
    """The attack and supply ratios the step records (and the story reports) are the ones the
    withdrawal rule used: every day the bridgehead is held, it is counted untenable exactly
    when they say so."""
    s = _untenable_variant()
    ordered = 0
    for run in range(4):
        tr = trace(s, run, SEED, 30)
        m, w = tr.model, tr.world
        sec = int(np.flatnonzero(m.bridgehead_side >= 0)[0])
        side = int(m.bridgehead_side[sec])
        river = w.river_km[0, m.bridgehead_river[sec]]
        for prev, cur in zip(tr.states, tr.states[1:], strict=False):
            if cur.withdrawn[0, sec] and prev.withdrawn[0, sec]:
                break
            against = cur.record.attack_ratios[0, sec, 1 - side]
            sup = cur.record.supply_ratio[0, sec, side]
            bad = (sup < w.withdraw_supply[0]) & (against > w.withdraw_force[0])
            if cur.untenable[0, sec] > 0:
                assert bad, (run, cur.day)
            elif cur.front[0, sec] < river:  # held after combat and not untenable
                assert not bad, (run, cur.day)
        events = story_events(m, w, tr.states)
        ordered += sum("bridgehead given up after" in ev["notes"] for ev in events
                       if ev["event_type"] == "bridgehead_withdrawn")
    assert ordered >= 1


def test_csv_columns_and_dates(autumn):
    tr = trace(autumn, 3, SEED, 40)
    events = story_events(tr.model, tr.world, tr.states)
    assert events
    rows = list(csv.DictReader(io.StringIO(events_csv(events))))
    assert tuple(csv.DictReader(io.StringIO(events_csv(events))).fieldnames) == CSV_COLUMNS
    assert len(rows) == len(events)
    for row, ev in zip(rows, events, strict=False):
        date = dt.date.fromisoformat(row["event_date"])
        assert date == autumn.date + dt.timedelta(days=ev["day"])
        assert len(row["event_date"]) == 10
        if row["location"] == NATIONAL:
            assert row["latitude"] == row["longitude"] == ""
        else:
            assert 40 < float(row["latitude"]) < 56 and 28 < float(row["longitude"]) < 42
        assert row["actor1"] and row["event_type"] and row["notes"]
    assert events_csv([]).strip() == ",".join(CSV_COLUMNS)


def test_find_run_unknown_outcome_lists_valid_ids(autumn):
    with pytest.raises(InputError) as e:
        find_run(autumn, "kherson_liberated", SEED, 10)
    assert "kherson_liberated" in str(e.value)
    assert "kherson_city_liberated" in str(e.value) and "negotiated_ceasefire" in str(e.value)


def test_find_run_outcome_that_never_happens(autumn):
    with pytest.raises(InputError, match="land_corridor_cut.*200"):
        find_run(autumn, "land_corridor_cut", SEED, 10, max_runs=200)


def test_negative_run_is_a_user_error(autumn):
    with pytest.raises(InputError, match="negative"):
        next(replay(autumn, -1, SEED, 5))


def test_every_outcome_a_run_reaches_is_in_its_story():
    """Over a batch with frequent regime crises, each outcome's first day has its event."""
    s, _ = frozen_politics(hazard=0.3)
    days, runs = 90, 12
    ds = simulate(s, runs, days, SEED, every=days)
    kinds = set()
    for run in range(runs):
        tr = trace(s, run, SEED, days)
        events = story_events(tr.model, tr.world, tr.states)
        for o, day in zip(s.outcomes, ds.event_day.values[run], strict=False):
            if not np.isnan(day) and day > 0:
                assert any(_matches(ev, o, tr.model, int(day)) for ev in events), (run, o.id)
                kinds.add(o.kind if o.kind != "event_happened" else o.event)
    assert {"coup_attempt", "forces_redeployed", "faction_leader_purged", "objective_taken",
            "rung_reached", "link_struck"} <= kinds


def test_story_without_politics():
    s = tiny_scenario()
    tr = trace(s, 2, SEED, 200)
    events = story_events(tr.model, tr.world, tr.states)
    md = story_markdown(tr.model, tr.world, events, run=2, seed=SEED, days=200,
                        final=tr.final, state0=tr.states[0])
    assert "Escalation theory" not in md and "## Events" in md
    assert {ev["actor1"] for ev in events} <= {"Blue", "Red"}
    rows = list(csv.DictReader(io.StringIO(events_csv(events))))
    assert len(rows) == len(events)


def test_story_command_writes_acled_style_csv_and_rejects_bad_runs():
    from typer.testing import CliRunner

    from powderkeg.cli import app
    from powderkeg.report.story import CSV_COLUMNS

    runner = CliRunner()
    result = runner.invoke(app, ["story", "--run", "3", "--days", "20", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split(",") == list(CSV_COLUMNS)
    for args in (["story", "--run", "-1"], ["story"], ["story", "--run", "1", "--find", "x"]):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_the_step_records_what_it_decided(autumn):
    """The day's record adds up to the state it produced: strikes by system to the hits,
    withdrawal orders to the untenable counters, period records on decision days only."""
    tr = trace(autumn, 5, SEED, 60)
    period = autumn.politics.decision_period_days
    for prev, cur in zip(tr.states, tr.states[1:], strict=False):
        rec = cur.record
        assert np.array_equal(rec.strikes.sum(axis=1), cur.hits)
        n_fires = len(autumn.fires)
        assert np.array_equal(rec.strikes[:, n_fires:].sum(axis=1), cur.deep_hits)
        assert np.array_equal(rec.untenable_days, cur.untenable)
        assert (rec.politics is not None) == (cur.day % period == 0)
        if rec.politics is not None:
            p = rec.politics.rung_probabilities
            np.testing.assert_allclose(p.sum(axis=1), 1.0)
            assert np.array_equal(cur.politics.rung - prev.politics.rung, rec.politics.rung_step)


def test_the_story_tells_the_personnel_moves_the_period_records_made():
    """Every move the period's record made is told on its day, under its declared event."""
    def edit(doc):
        for move in doc["politics"]["personnel"]:
            move["intercept"] = 20.0  # each move is made at the first decision
    scenario = autumn_variant(edit)
    tr = trace(scenario, 0, SEED, 30)
    events = {move_id: m.event for move_id, m in scenario.politics.personnel.items()}
    made = sorted((cur.day, events[move]) for cur in tr.states[1:]
                  if cur.record.politics is not None
                  for move, fired in cur.record.politics.moves.items() if fired[0])
    told = sorted((ev["day"], ev["event_type"]) for ev in story_events(tr.model, tr.world,
                                                                        tr.states)
                  if ev["event_type"] in events.values())
    assert len(made) == len(events) and told == made
