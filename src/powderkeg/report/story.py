"""The story of one run: a dated event log read off consecutive daily states.

Every event is found by comparing the state of a day with the state of the day before (both
batches of one run, as :func:`powderkeg.engine.replay.replay` yields them) and names the
rule of the model that produced it:

* a link hit by long-range fires or a deep strike, damaged by one of the scenario's dated
  link events, and a link repaired;
* the enemy's forces in a sector hit by fires (with the air-defence multiplier of the hits);
* a defence broken (the breakthrough rule), with the ratio and the exploitation that follows;
* the front passing an objective (who took it);
* a bridgehead given up, with the supply and force ratios behind it, or the threat to its
  lines of supply;
* supply to a demand falling below half its need, and recovering;
* politics: a step on the escalation ladder and the opponent's answer, personnel moves,
  blame passed to a faction at a decision period, a mutiny or coup attempt, a purge, a new
  leader, forces pulled home and back, a ceasefire;
* a choice a player fixed (``politics.decisions``), with the model's own choice and chances.

Events are plain dicts (``day``, ``date``, ``actor1``, ``actor2``, ``event_type``,
``location``, ``latitude``, ``longitude``, ``notes`` and a short ``summary``) so that they
convert to CSV in the conventions of ACLED event data (one row per event, ISO dates,
decimal degrees; events without a place have location ``national`` and no coordinates) or
to a Markdown story. These are pure functions of the model, the run's world and its states.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from powderkeg.errors import InputError
from powderkeg.model.geo import point_at_km
from powderkeg.model.network import link_usable, node_control
from powderkeg.model.step import supply_ratio
from powderkeg.scenario.decisions import OPPONENT_DECISIONS

__all__ = ["CSV_COLUMNS", "NATIONAL", "SUPPLY_THRESHOLD", "BLAME_STEP", "day_events",
           "initial_events", "story_events", "write_csv", "events_csv",
           "story_markdown", "write_story"]

CSV_COLUMNS = ("event_date", "actor1", "actor2", "event_type", "location", "latitude",
               "longitude", "notes")
NATIONAL = "national"
SUPPLY_THRESHOLD = 0.5  # share of need below which a supply shortfall is an event
BLAME_STEP = 0.1  # rise of a faction's unanswered blame in a period that is an event


# --------------------------------------------------------------------------- helpers


def _title(identifier: str) -> str:
    return " ".join(w.capitalize() for w in identifier.replace("-", "_").split("_"))


def _side(model, side: int) -> str:
    return _title(model.sides[side])


def _node_name(model, i: int) -> str:
    return model.scenario.nodes[i].name or model.node_ids[i]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _one_run(state) -> None:
    if state.front.shape[0] != 1:
        raise ValueError("story functions take the states of one run (a run axis of length 1); "
                         "use powderkeg.engine.replay.replay")


class _Ctx:
    """What every detector needs: the model, the world, and shorthand for the scenario."""

    def __init__(self, model, world):
        self.model, self.world, self.s = model, world, model.scenario

    def event(self, day, actor1, actor2, event_type, location, lat, lon, summary, notes):
        date = self.s.date + dt.timedelta(days=int(day))
        return {
            "day": int(day), "date": date.isoformat(), "actor1": actor1, "actor2": actor2 or "",
            "event_type": event_type, "location": location,
            "latitude": None if lat is None else round(float(lat), 4),
            "longitude": None if lon is None else round(float(lon), 4),
            "summary": summary, "notes": notes,
        }

    def national(self, day, actor1, actor2, event_type, summary, notes):
        return self.event(day, actor1, actor2, event_type, NATIONAL, None, None, summary, notes)

    def sector_name(self, s: int) -> str:
        return self.s.sectors[s].name or self.model.sector_ids[s]

    def faction_name(self, k: int) -> str:
        return self.s.politics.factions[k].name

    def leader(self, ps) -> str:
        f = int(ps.leader_faction[0])
        if f < 0:
            return self.s.politics.leader.name
        return f"the new leader ({self.faction_name(f)})"

    def theory(self, politics_state=None) -> str | None:
        """The escalation theory the leader follows (in ``politics_state``, else on day 0)."""
        if self.world.politics is None:
            return None
        held = self.world.politics if politics_state is None else politics_state
        return self.model.politics.theory_ids[int(held.theory[0])]


# --------------------------------------------------------------------------- links


def _link_place(ctx, e):
    m = ctx.model
    a, b = m.link_from[e], m.link_to[e]
    lat = (m.node_lat[a] + m.node_lat[b]) / 2
    lon = (m.node_lon[a] + m.node_lon[b]) / 2
    return f"{_node_name(m, a)} - {_node_name(m, b)}", lat, lon


def _link_tags(ctx, e) -> str:
    """Red lines a hit on link ``e`` crosses and whether it is a symbolic target."""
    pm = ctx.model.politics
    if pm is None:
        return ""
    tags = []
    if e in set(pm.symbolic_links.tolist()):
        tags.append("a symbolic target")
    lines = ctx.s.politics.escalation.red_lines
    for i in np.flatnonzero(pm.red_line_links[:, e]):
        tags.append(f"crossing the red line '{lines[i].name}'")
    return "".join(f"; {x}" for x in tags)


def _repaired_today(prev, cur) -> np.ndarray:
    return (prev.repair_left[0] > 0) & (cur.repair_left[0] == 0) & (cur.hits[0] == 0)


def _link_events(ctx, prev, cur) -> list[dict]:
    m, s = ctx.model, ctx.s
    out = []
    repaired = _repaired_today(prev, cur)
    control = node_control(m, prev.front)
    usable = (link_usable(m, control, 0)[0], link_usable(m, control, 1)[0])
    for e in np.flatnonzero(repaired):
        place, lat, lon = _link_place(ctx, e)
        owner = 0 if usable[0][e] else 1 if usable[1][e] else int(control[0, m.link_from[e]])
        before = prev.link_frac[0, e]
        out.append(ctx.event(
            cur.day, _side(m, owner), "", "link_repaired", place, lat, lon,
            f"repaired {m.link_ids[e]} ({place})",
            f"repair rule: the last day of repair work on {m.link_ids[e]} is done; "
            f"open capacity {_pct(before)} -> 100%"))
    hits = cur.hits[0]
    for e in np.flatnonzero(hits > 0):
        place, lat, lon = _link_place(ctx, e)
        before = prev.link_frac[0, e]
        after = cur.link_frac[0, e]
        work = cur.repair_left[0, e]
        effect = (f"open capacity {_pct(before)} -> {_pct(after)}"
                  + (f", {int(np.ceil(work))} days of repair work left" if work > 0 else ""))
        tags = _link_tags(ctx, e)
        by_system = cur.record.strikes[0, :, e]  # the step's record: hits by each system
        n_fires = len(s.fires)
        for f in np.flatnonzero(by_system[:n_fires]):
            side, name = int(m.fire_side[f]), s.fires[f].id
            cover = cur.record.air_cover
            out.append(ctx.event(
                cur.day, _side(m, side), _side(m, 1 - side), "long_range_fires", place, lat,
                lon, f"long-range fires ({name}) hit {m.link_ids[e]} ({place}{tags})",
                f"fires rule: long-range fires ({name}) hit {m.link_ids[e]} "
                f"{_times(int(by_system[f]))} within reach of the front"
                f"{_under_cover(ctx, side, None if cover is None else cover[0][0, f, e])}; "
                f"{effect}"))
        for g in np.flatnonzero(by_system[n_fires:]):
            side, name = int(m.deep_side[g]), s.deep_strikes[g].id
            out.append(ctx.event(
                cur.day, _side(m, side), _side(m, 1 - side), "deep_strike", place, lat, lon,
                f"a deep strike ({name}) hit {m.link_ids[e]} ({place}{tags})",
                f"deep-strike rule: a strike beyond rocket range ({name}) hit {m.link_ids[e]}; "
                f"{effect}"))
    return out + _scenario_link_events(ctx, prev, cur)


def _scenario_link_events(ctx, prev, cur) -> list[dict]:
    """The scenario's dated link events of the day (:mod:`powderkeg.model.events`): inputs,
    not the model's doing, so they name no actor; the day's effect includes its fires."""
    m = ctx.model
    out = []
    for k in np.flatnonzero(m.link_events.days == cur.day):
        given, e = ctx.s.link_events[k], int(m.link_events.links[k])
        place, lat, lon = _link_place(ctx, e)
        work = cur.repair_left[0, e]
        source = f", source {given.source}" if given.source else ""
        out.append(ctx.event(
            cur.day, "", "", "link_event", place, lat, lon,
            f"{m.link_ids[e]} ({place}{_link_tags(ctx, e)}) is damaged: the scenario's dated "
            f"event {given.id}",
            f"link-event rule: a known shock given as an input ({given.id}{source}) leaves at "
            f"most {_pct(ctx.world.event_open[0, k])} of {m.link_ids[e]} open and counts as a "
            f"hit; open capacity {_pct(prev.link_frac[0, e])} -> {_pct(cur.link_frac[0, e])}"
            + (f", {int(np.ceil(work))} days of repair work left" if work > 0 else "")))
    return out


def _under_cover(ctx, side: int, factor) -> str:
    """The air-defence multiplier the step recorded for a strike, if it had one."""
    if factor is None or factor >= 1.0:
        return ""
    return (f", under {_side(ctx.model, 1 - side)}'s air defence (air-defence rule: its "
            f"chance to hit x{factor:.2f})")


def _force_events(ctx, prev, cur) -> list[dict]:
    """Hits on the enemy's forces in each sector by each fire system, from the day's record."""
    m, s, w = ctx.model, ctx.s, ctx.world
    rec = cur.record
    out = []
    if rec is None:
        return out
    for f, sec in zip(*np.nonzero(rec.force_hits[0]), strict=True):
        side, name, n = int(m.fire_side[f]), s.fires[f].id, int(rec.force_hits[0, f, sec])
        lat, lon = point_at_km(m.sector_axes[sec], prev.front[0, sec])
        cover = None if rec.air_cover is None else rec.air_cover[1][0, f, sec]
        support = ("" if rec.fire_support is None or rec.fire_support[0, sec, 1 - side] >= 1
                   else f"; counter-battery rule: {_side(m, 1 - side)}'s combat effectiveness "
                   f"there x{rec.fire_support[0, sec, 1 - side]:.2f} today")
        out.append(ctx.event(
            cur.day, _side(m, side), _side(m, 1 - side), "fires_on_forces",
            ctx.sector_name(sec), lat, lon,
            f"fires ({name}) hit {_side(m, 1 - side)}'s forces in {ctx.sector_name(sec)}",
            f"fires rule: missions of {name} against the enemy's forces hit "
            f"{_times(n)}{_under_cover(ctx, side, cover)}; {w.fire_kills[0, f]:.0f} out of "
            f"action a hit{support}"))
    return out


# --------------------------------------------------------------------------- supply


def _supply_event(ctx, day, d, ratio, need, delivered, stock, below, since=None):
    m, s = ctx.model, ctx.s
    dem = s.supply.demands[d]
    node = m.node_ids.index(dem.depots[0][0])
    side = int(m.demand_side[d])
    where = _node_name(m, node)
    flow = (f"supply rule: the day's maximum flow delivered {delivered:,.0f} of the "
            f"{need:,.0f} t {dem.id} needs ({_pct(ratio)})")
    if below:
        return ctx.event(
            day, _side(m, side), "", "supply_below_half", where, m.node_lat[node],
            m.node_lon[node], f"supply to {dem.id} fell to {_pct(ratio)} of need at {where}",
            f"{flow}, below {_pct(SUPPLY_THRESHOLD)}; stocks {stock:.1f} days")
    return ctx.event(
        day, _side(m, side), "", "supply_recovered", where, m.node_lat[node], m.node_lon[node],
        f"supply to {dem.id} recovered to {_pct(ratio)} of need at {where}",
        f"{flow}, back above {_pct(SUPPLY_THRESHOLD)}"
        + (f" after {_count(since, 'day')} below" if since else "")
        + f"; stocks {stock:.1f} days")


def _supply_events(ctx, prev, cur, below_since=None) -> list[dict]:
    w = ctx.world
    r0, r1 = supply_ratio(w, prev)[0], supply_ratio(w, cur)[0]
    out = []
    for d in range(len(r1)):
        was, now = r0[d] < SUPPLY_THRESHOLD, r1[d] < SUPPLY_THRESHOLD
        if was == now:
            continue
        since = None
        if below_since is not None:
            if now:
                below_since[d] = cur.day
            elif d in below_since:
                since = cur.day - below_since.pop(d)
        out.append(_supply_event(ctx, cur.day, d, r1[d], cur.need[0, d],
                                 cur.delivered[0, d], cur.stock[0, d], now, since))
    return out


# --------------------------------------------------------------------------- theater


def _objective_place(ctx, o, km):
    m, s = ctx.model, ctx.s
    sec_id, obj_id = m.objective_ids[o]
    sec = s.sectors[int(m.objective_sector[o])]
    marker = next(x for x in sec.objectives if x.id == obj_id)
    name = marker.name or obj_id
    if marker.node:
        i = m.node_ids.index(marker.node)
        return name, m.node_lat[i], m.node_lon[i]
    lat, lon = point_at_km(m.sector_axes[int(m.objective_sector[o])], km)
    return name, lat, lon


def _objective_events(ctx, prev, cur) -> list[dict]:
    m, w = ctx.model, ctx.world
    out = []
    for o, (sec_id, obj_id) in enumerate(m.objective_ids):
        s = int(m.objective_sector[o])
        km = w.objective_km[0, o]
        x0, x1 = prev.front[0, s], cur.front[0, s]
        if x0 <= km < x1:
            side = 0
        elif x1 < km <= x0:
            side = 1
        else:
            continue
        name, lat, lon = _objective_place(ctx, o, km)
        out.append(ctx.event(
            cur.day, _side(m, side), _side(m, 1 - side), "objective_taken", name, lat, lon,
            f"took {name} (objective {obj_id}, sector {sec_id})",
            f"front rule: the front passed {obj_id} at km {km:.1f} on the "
            f"{ctx.sector_name(s)} axis ({x0:.1f} -> {x1:.1f} km)"))
    return out


def _threat_figures(ctx, prev, sec) -> str:
    """How near the enemy's fronts stood the day before to a bridgehead's lines of supply."""
    m = ctx.model
    nodes = m.supply_through[sec][m.supply_through[sec] >= 0]
    near = ", ".join(
        f"{_node_name(m, j)} at km {m.node_km[j]:.1f} of the {ctx.sector_name(m.node_sector[j])}"
        f" axis (front at km {prev.front[0, m.node_sector[j]]:.1f} the day before)"
        for j in nodes)
    return (f"threat of encirclement: the enemy's front within "
            f"{ctx.world.threat_km[0]:.1f} km of every line of supply ({near})")


def _breakthrough_events(ctx, prev, cur) -> list[dict]:
    m, w = ctx.model, ctx.world
    out = []
    for sec, side in zip(*np.nonzero(cur.record.defence_broken[0]), strict=True):
        ratio = cur.record.attack_ratios[0, sec, side]
        lat, lon = point_at_km(m.sector_axes[sec], cur.front[0, sec])
        out.append(ctx.event(
            cur.day, _side(m, side), _side(m, 1 - side), "defence_broken",
            ctx.sector_name(sec), lat, lon,
            f"broke the defence on the {ctx.sector_name(sec)} axis",
            f"breakthrough rule: attack ratio {ratio:.2f} above {w.break_ratio[0]:.2f} for "
            f"{_count(int(prev.pressure[0, sec, side]) + 1, 'day')} in a row; exploitation "
            f"at {w.exploit_km[0]:.1f} km a day for {w.exploit_days[0]:.1f} days"))
    return out


def _withdrawal_events(ctx, prev, cur) -> list[dict]:
    m, w, s = ctx.model, ctx.world, ctx.s
    out = []
    flipped = np.flatnonzero(cur.withdrawn[0] & ~prev.withdrawn[0])
    if not len(flipped):
        return out
    rec = cur.record  # the ratios and counts the withdrawal rule used today
    ratios = (rec.attack_ratios[0, :, 0], rec.attack_ratios[0, :, 1])
    supply = rec.supply_ratio[0]
    for sec in flipped:
        side = int(m.bridgehead_side[sec])
        v = int(m.bridgehead_river[sec])
        river = s.sectors[sec].rivers[[r.id for r in s.sectors[sec].rivers].index(
            m.river_ids[v][1])]
        rkm = w.river_km[0, v]
        lat, lon = point_at_km(m.sector_axes[sec], rkm)
        against = ratios[1 - side][sec]
        sup = supply[sec, side]
        days = int(rec.untenable_days[0, sec])
        figures = (f"supply {_pct(sup)} of need (threshold {_pct(w.withdraw_supply[0])}), "
                   f"enemy attack ratio {against:.2f} (threshold "
                   f"{w.withdraw_force[0]:.2f})")
        if rec.supply_threatened[0, sec]:
            figures = _threat_figures(ctx, prev, sec) + "; " + figures
        if rec.withdrawal_ordered[0, sec]:
            notes = (f"withdrawal rule: command ordered the {m.sector_ids[sec]} bridgehead "
                     f"given up after {_count(days, 'day')} untenable: {figures}")
            summary = f"withdrew from the {ctx.sector_name(sec)} bridgehead across the " \
                      f"{river.name or river.id}"
        else:
            attack = ratios[1 - side][sec]
            notes = (f"front rule: {_side(m, 1 - side)}'s attack (attack ratio {attack:.2f}, "
                     f"{w.advance_threshold[0]:.2f} needed to advance) drove the front back to "
                     f"the river line at km {rkm:.1f}, leaving no {m.sector_ids[sec]} ground "
                     f"across it; supply "
                     f"{_pct(sup)} of need")
            summary = f"lost the {ctx.sector_name(sec)} bridgehead across the " \
                      f"{river.name or river.id}"
        out.append(ctx.event(cur.day, _side(m, side), _side(m, 1 - side),
                             "bridgehead_withdrawn", f"{river.name or river.id} "
                             f"({ctx.sector_name(sec)})", lat, lon, summary, notes))
    return out


# --------------------------------------------------------------------------- politics


def _rung_events(ctx, prev, cur) -> list[dict]:
    m, w = ctx.model, ctx.world
    pm, pw, p0, p1 = m.politics, w.politics, prev.politics, cur.politics
    r0, r1 = int(p0.rung[0]), int(p1.rung[0])
    if r0 == r1:
        return []
    rungs = ctx.s.politics.escalation.rungs
    up = r1 > r0
    me, them = _side(m, pm.side), _side(m, 1 - pm.side)
    verb = "step up" if up else "step down"
    done = "stepped up" if up else "stepped down"
    down, hold, step_up = cur.record.politics.rung_probabilities[0]
    notes = (f"escalation rule: the {ctx.theory(p0)} theory's logit choice was to {verb} to "
             f"{pm.rung_ids[r1]} ({rungs[r1].name}); chances down {_pct(down)}, hold "
             f"{_pct(hold)}, up {_pct(step_up)}")
    out = [ctx.national(cur.day, me, them, "escalation",
                        f"{done} to {rungs[r1].name} ({pm.rung_ids[r1]})", notes)]
    if up:
        periods = float(pw.offramp_periods[0])
        gain0, gain1 = p0.opponent_gain[0], p1.opponent_gain[0]
        if not cur.record.politics.strong_response[0]:
            out.append(ctx.national(
                cur.day, them, me, "offramp_offered", "offered an off-ramp",
                f"response rule ({ctx.s.politics.policy}): no strong answer; an off-ramp is "
                f"open for {_count(int(periods), 'period')}"))
        else:
            out.append(ctx.national(
                cur.day, them, me, "strong_response", "answered with strength",
                f"response rule ({ctx.s.politics.policy}): a strong answer (more Western "
                f"weapons); {them}'s effectiveness multiplier x{gain0:.2f} -> x{gain1:.2f}"))
    return out


def _blame_causes(ctx, rec, k) -> list[str]:
    """What faction ``k`` was blamed for in the period, from the period's record."""
    m = ctx.model
    pm = m.politics
    mine = pm.sector_faction == k
    lost = rec.km_lost[0]
    causes = []
    ground = [f"{m.sector_ids[s]} {lost[s]:.0f} km" for s in np.flatnonzero(mine & (lost >= 0.5))]
    if ground:
        causes.append(f"ground lost ({', '.join(ground)})")
    gone = np.flatnonzero(rec.objectives_lost[0] & mine[m.objective_sector])
    if len(gone):
        causes.append(f"objectives lost ({', '.join(m.objective_ids[o][1] for o in gone)})")
    if k == pm.military:
        if rec.loss_share[0] > 0:
            causes.append(f"losses ({rec.loss_share[0]:.1%} of the force)")
        if rec.symbolic_hits[0]:
            causes.append(f"symbolic blows ({rec.symbolic_hits[0]:.0f})")
    return causes


def _blame_events(ctx, prev, cur) -> list[dict]:
    m = ctx.model
    pm, p0, p1 = m.politics, prev.politics, cur.politics
    rec = cur.record.politics if cur.record is not None else None
    if rec is None:  # blame is passed at the period's decision
        return []
    out = []
    me = _side(m, pm.side)
    for k in np.flatnonzero(rec.blame_score[0] > BLAME_STEP):
        causes = _blame_causes(ctx, rec, k) or ["the period's setbacks"]
        heads = _and([c.split(" (")[0] for c in causes])
        out.append(ctx.national(
            cur.day, me, ctx.faction_name(k), "blame_passed",
            f"blame for {heads} passed to {ctx.faction_name(k)}",
            f"blame rule: {'; '.join(causes)} in the period; unanswered blame "
            f"{p0.blame[0, k]:.2f} -> {p1.blame[0, k]:.2f}"))
    return out


def _personnel_event(ctx, day, leader, j, p0, p1) -> dict:
    """A personnel move the leader made, told from the scenario's declaration of it."""
    pm = ctx.model.politics
    move = ctx.s.politics.personnel[pm.move_ids[j]]
    target = ctx.faction_name(int(pm.move_faction[j]))
    kept = pm.move_blame_kept[j]
    effect = ("that blame is wiped" if kept == 0 else "that blame is left" if kept == 1
              else f"{_pct(kept)} of that blame is left")
    gainers = np.flatnonzero(pm.move_gainers[j])
    if len(gainers):
        sh0, sh1 = p0.influence[0, gainers].sum(), p1.influence[0, gainers].sum()
        effect += (f"; influence moved from {target} to "
                   f"{'; '.join(ctx.faction_name(k) for k in gainers)}, their share "
                   f"{_pct(sh0)} -> {_pct(sh1)} over the period")
    return ctx.national(day, leader, target, pm.move_events[j],
                        move.name or pm.move_events[j].replace("_", " "),
                        f"personnel rule ({pm.move_ids[j]}): the leader answered the blame on "
                        f"{target}; {effect}")


def _political_events(ctx, prev, cur) -> list[dict]:
    """The day's political events: the Kremlin's decisions on a decision day, told from the
    period's record (every personnel move, attempt and call-up, not only the first), and the
    purges and redeployments the state shows."""
    rec = cur.record.politics if cur.record is not None else None
    out = _decision_events(ctx, prev, cur, rec) if rec is not None else []
    return out + _purge_and_redeployment_events(ctx, prev, cur, rec)


_FIXED_RUNG = {"down": "step down", "hold": "hold", "up": "step up"}


def _fixed_events(ctx, day, rec) -> list[dict]:
    """The period's choices a player fixed, each with what the model would have chosen."""
    pm = ctx.model.politics
    out = []
    for name, c in rec.choices.items():
        if not c.fixed[0]:
            continue
        taken, own = c.options[int(c.taken[0])], c.options[int(c.model[0])]
        what = _FIXED_RUNG[taken] if name == "rung" else f"{name.replace('_', ' ')}: {taken}"
        chances = ", ".join(f"{o} {_pct(p)}" for o, p in
                            zip(c.options, c.probabilities[0], strict=True))
        side = 1 - pm.side if name in OPPONENT_DECISIONS else pm.side
        out.append(ctx.national(day, _side(ctx.model, side), "", "decision_fixed",
                                f"fixed by the player: {what}",
                                f"decisions rule: the model's own choice was {own} (chances "
                                f"{chances}); the player's choice replaced it"))
    return out


def _decision_events(ctx, prev, cur, rec) -> list[dict]:
    m, s = ctx.model, ctx.s
    pm, p0, p1 = m.politics, prev.politics, cur.politics
    me, them = _side(m, pm.side), _side(m, 1 - pm.side)
    day = cur.day
    mil = ctx.faction_name(pm.military)
    out = _fixed_events(ctx, day, rec)
    leader_before = ctx.leader(p0)
    for j, move in enumerate(pm.move_ids):
        if rec.moves[move][0]:
            out.append(_personnel_event(ctx, day, leader_before, j, p0, p1))
    if rec.coup_attempt[0]:
        plotter = ctx.faction_name(int(rec.plotter[0]))
        out.append(ctx.national(
            day, plotter, leader_before, "coup_attempt", "an armed mutiny or coup attempt",
            f"regime rule: the period's mutiny-or-coup hazard ({_pct(rec.coup_hazard[0])}) "
            f"fired; the plotters: {plotter}"))
    if rec.coup_success[0]:
        out.append(ctx.national(
            day, ctx.faction_name(int(rec.successor[0])), leader_before, "leader_change",
            f"took power, replacing {leader_before}",
            "regime rule: the attempt succeeded; the successor is "
            + ("the plotters' leader" if rec.successor[0] == rec.plotter[0]
               else "drawn from the factions by influence")
            + f"; leader hawkishness {p0.leader_hawkishness[0]:.2f} -> "
            f"{p1.leader_hawkishness[0]:.2f}; escalation theory "
            f"{ctx.theory(p0)} -> {ctx.theory(p1)}; blame and setbacks reset"))
    if rec.mobilized[0]:
        size = p1.mob_rate[0] * (p1.mob_to[0] - p1.mob_from[0])
        out.append(ctx.national(
            day, leader_before, "", "mobilization", f"ordered a call-up of {size:,.0f}",
            f"mobilisation rule: the period's call-up chance "
            f"({_pct(rec.mobilization_probability[0])}) fired; arrivals days "
            f"{p1.mob_from[0]:.0f}-{p1.mob_to[0]:.0f}; blame on {mil} for it"))
    if rec.ceasefire_broke_down[0]:
        out.append(ctx.national(
            day, me, them, "ceasefire_broke_down", "the ceasefire broke down",
            "ceasefire rule: the period's breakdown hazard fired; the fighting resumes"))
    mediator = s.politics.mediation.mediator if s.politics.mediation is not None else ""
    if rec.mediated_ceasefire[0]:
        out.append(ctx.national(
            day, me, them, "ceasefire", f"accepted an offer of {mediator}: a ceasefire",
            f"mediation rule: {mediator} offered a ceasefire (its hazard fired) and every side "
            "it needs accepted; the fronts freeze and fires stop"))
    elif rec.offer_open[0] and rec.leader_accepts[0] and rec.opponent_accepts[0]:
        out.append(ctx.national(
            day, me, them, "ceasefire", "accepted the off-ramp, and so did the opponent: a "
            "ceasefire",
            f"escalation rule: the {ctx.theory(p1)} theory's acceptance chance fired on an "
            "open offer and the opponent accepted; the fronts freeze and fires stop"))
    elif rec.mediation_offered[0]:
        out.append(ctx.national(
            day, mediator, me, "mediation_offered", "offered a ceasefire, refused",
            "mediation rule: the offer's hazard fired, but a side it needs did not accept"))
    return out


def _purge_and_redeployment_events(ctx, prev, cur, rec) -> list[dict]:
    m, s = ctx.model, ctx.s
    pm, p0, p1 = m.politics, prev.politics, cur.politics
    me, day = _side(m, pm.side), cur.day
    failed = rec is not None and rec.coup_attempt[0] and not rec.coup_success[0]
    out = []
    for k in np.flatnonzero(p0.alive[0] & ~p1.alive[0]):
        fac = s.politics.factions[k]
        out.append(ctx.national(
            day, ctx.leader(p1), fac.name, "faction_leader_purged",
            f"purged the leadership of {fac.name} ({fac.leader})",
            "regime rule: "
            + ("a purge after the failed attempt" if failed else "a purge of a disloyal faction")
            + f"; its influence {_pct(p0.influence[0, k])} passed to the others"))
    pulled = p1.redeployed[0].sum() - p0.redeployed[0].sum()
    if pulled > 0:
        out.append(ctx.national(
            day, me, "", "forces_redeployed", f"pulled {pulled:,.0f} troops home",
            f"regime rule: the crisis pulled {pulled:,.0f} personnel from the theater until "
            f"day {int(np.ceil(p1.redeploy_until[0]))}"))
    elif pulled < 0 and p1.redeployed[0].sum() == 0:
        out.append(ctx.national(
            day, me, "", "forces_returned", f"{-pulled:,.0f} troops returned to the theater",
            "regime rule: forces pulled home in the crisis came back when their time was up"))
    return out


# --------------------------------------------------------------------------- assembly


def initial_events(model, world, state) -> list[dict]:
    """Events already true on day 0: demands supplied below half their need."""
    _one_run(state)
    ctx = _Ctx(model, world)
    ratio = supply_ratio(world, state)[0]
    return [_supply_event(ctx, state.day, d, ratio[d], state.need[0, d],
                          state.delivered[0, d], state.stock[0, d], True)
            for d in np.flatnonzero(ratio < SUPPLY_THRESHOLD)]


def day_events(model, world, prev, cur, *, _below_since=None) -> list[dict]:
    """The events of day ``cur.day``, found by comparing it with the day before.

    Both states are of one run; in the order the day's step runs: repairs and hits, supply,
    the front, bridgeheads, politics.
    """
    _one_run(prev)
    _one_run(cur)
    ctx = _Ctx(model, world)
    out = _link_events(ctx, prev, cur)
    out += _force_events(ctx, prev, cur)
    out += _supply_events(ctx, prev, cur, _below_since)
    out += _breakthrough_events(ctx, prev, cur)
    out += _objective_events(ctx, prev, cur)
    out += _withdrawal_events(ctx, prev, cur)
    if cur.politics is not None and prev.politics is not None:
        out += _political_events(ctx, prev, cur)
        out += _blame_events(ctx, prev, cur)
        out += _rung_events(ctx, prev, cur)
    return out


def story_events(model, world, states: Iterable) -> list[dict]:
    """All events of a run from its consecutive daily states (day 0 first)."""
    events: list[dict] = []
    below_since: dict[int, int] = {}  # demand -> first day of the current shortfall
    prev = None
    for cur in states:
        if prev is None:
            events += initial_events(model, world, cur)
            ratio = supply_ratio(world, cur)[0]
            below_since.update({int(d): cur.day for d in
                                np.flatnonzero(ratio < SUPPLY_THRESHOLD)})
        else:
            events += day_events(model, world, prev, cur, _below_since=below_since)
        prev = cur
    return events


def _csv_row(ev: dict) -> dict:
    row = {c: ev.get(c) for c in CSV_COLUMNS}
    row["event_date"] = ev["date"]
    for c in ("latitude", "longitude"):
        row[c] = "" if ev[c] is None else f"{ev[c]:.4f}"
    return row


def write_csv(events: Iterable[dict], fh) -> None:
    """Write events as CSV with the columns :data:`CSV_COLUMNS` to the text file ``fh``."""
    writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for ev in events:
        writer.writerow(_csv_row(ev))


def events_csv(events: Iterable[dict]) -> str:
    """The events as CSV text (see :func:`write_csv`)."""
    buf = io.StringIO()
    write_csv(events, buf)
    return buf.getvalue()


def _parameters(model, world, state0) -> list[str]:
    s, w = model.scenario, world
    lines = []
    for i, sec in enumerate(s.sectors):
        f = w.forces0[0, i]
        lines.append(f"{sec.name or sec.id}: front at km {w.front0[0, i]:.1f} of "
                     f"{model.sector_length[i]:.0f}; {_side(model, 0)} {f[0]:,.0f}, "
                     f"{_side(model, 1)} {f[1]:,.0f} personnel")
    for e in np.flatnonzero(w.at_start[0] < 1):
        work = state0.repair_left[0, e]
        lines.append(f"{model.link_ids[e]} open {_pct(w.at_start[0, e])} at the start"
                     + (f", {int(np.ceil(work))} days of repair work to full capacity"
                        if work > 0 else ""))
    for f, fire in enumerate(s.fires):
        halve = (f", {w.fire_halving[0, f]:.1f} hits halve the enemy's fire support there "
                 "for the day" if np.isfinite(w.fire_halving[0, f]) else "")
        on_forces = (f", {w.fire_force_missions[0, f]:.2f} on forces "
                     f"({w.fire_kills[0, f]:.0f} out of action a hit{halve})"
                     if w.fire_force_missions[0, f] > 0 else "")
        lines.append(f"fires {fire.id} ({_side(model, model.fire_side[f])}): "
                     f"{w.fire_missions[0, f]:.2f} strikes on links a day{on_forces}, at most "
                     f"{fire.max_missions_per_day} of each a day; reach "
                     f"{w.fire_reach[0, f]:.0f} km from the front, "
                     f"{_pct(w.fire_success[0, f])} hit")
    for a, umbrella in enumerate(s.air_defences):
        lines.append(f"air defence {umbrella.id} ({_side(model, model.air_defence_side[a])}) "
                     f"over {_and(list(umbrella.sectors))}: the other side's air-delivered "
                     f"fires hit x{w.air_defence_factor[0, a]:.2f} there and on links within "
                     f"{w.air_defence_depth[0, a]:.0f} km of the front")
    for g, deep in enumerate(s.deep_strikes):
        lines.append(f"deep strikes {deep.id} ({_side(model, model.deep_side[g])}): "
                     f"{w.deep_rate[0, g]:.4f} a day, {_pct(w.deep_success[0, g])} succeed")
    if w.politics is not None:
        pw = w.politics
        lines.append(f"leader hawkishness {pw.leader_hawkishness[0]:.2f}; coup hazard weight "
                     f"on setbacks {pw.regime.setbacks[0]:.2f}; chance of a strong response "
                     f"{_pct(pw.strong_probability[0])}")
    return lines


def story_markdown(model, world, events: list[dict], *, run: int, seed: int, days: int,
                   final=None, state0=None) -> str:
    """The run's story as Markdown: title, its theory and key parameters, a dated event list
    and the outcomes it reached (from ``final``, the last state, when given)."""
    s = model.scenario
    end = s.date + dt.timedelta(days=int(days))
    lines = [f"# Run {run}: {s.title}", "",
             f"Scenario `{s.id}`, seed {seed}, run {run}: {s.date.isoformat()} (day 0) to "
             f"{end.isoformat()} (day {days}). Replaying this run gives the same story as "
             f"run {run} of any `powderkeg run --seed {seed}`.", ""]
    ctx = _Ctx(model, world)
    if world.politics is not None:
        th = ctx.theory()
        theory = s.politics.escalation.theories[th]
        note = theory.note or theory.description or theory.name
        lines += [f"**Escalation theory drawn:** {th}" + (f" ({note})" if note else "")
                  + f". **Response policy:** {s.politics.policy}.", ""]
    if state0 is not None:
        lines += ["## Key parameters of this run", ""]
        lines += [f"- {x}" for x in _parameters(model, world, state0)] + [""]
    lines += [f"## Events ({len(events)})", ""]
    if not events:
        lines.append("Nothing the story tracks happened.")
    for ev in events:
        actor = f"{ev['actor1']}: " if ev["actor1"] else ""  # a scenario's input has none
        lines.append(f"- {ev['date']} (day {ev['day']}) — {actor}{ev['summary']}. "
                     f"{ev['notes'][:1].upper()}{ev['notes'][1:]}.")
    if final is not None and s.outcomes:
        first = final.outcomes.first_day[0]
        lines += ["", f"## Outcomes by day {days}", ""]
        done = [(int(first[i]), o) for i, o in enumerate(s.outcomes) if first[i] >= 0]
        for d, o in sorted(done, key=lambda x: x[0]):
            lines.append(f"- {(s.date + dt.timedelta(days=d)).isoformat()} (day {d}): "
                         f"{o.id}" + (f" — {o.description}" if o.description else ""))
        missed = [o.id for i, o in enumerate(s.outcomes) if first[i] < 0]
        if missed:
            lines.append(f"- not by day {days}: {', '.join(missed)}")
    return "\n".join(lines) + "\n"


def write_story(text: str, path) -> Path:
    """Write ``text`` to ``path`` atomically: a reader never sees a half-written file."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"'{path}' is a folder; give a file name for the story.")
    if not path.parent.exists():
        raise InputError(f"The folder '{path.parent}' does not exist; create it or write the "
                         "story elsewhere.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
