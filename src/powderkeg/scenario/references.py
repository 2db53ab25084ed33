"""Cross-reference checks that a schema alone cannot make: every name used must be defined.

Each problem is reported with its place in the file (``links[3].to``) so the user can go
straight to it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from powderkeg.scenario.politics_schema import MECHANISM_DECISIONS, politics_events
from powderkeg.scenario.provenance import citations
from powderkeg.scenario.schema import Scenario

__all__ = ["reference_problems"]

def _dupes(kind: str, path: str, ids: list[str]) -> list[tuple[str, str]]:
    return [(path, f"{kind} id '{i}' is used more than once") for i, n in Counter(ids).items()
            if n > 1]


def _posture_change_problems(s: Scenario, p: str, sec) -> list[tuple[str, str]]:
    """Problems of a sector's ``posture_changes``: sides, order, and days in the window."""
    out, last = [], s.date
    end = s.date + dt.timedelta(days=s.days) if s.days else None
    for j, change in enumerate(sec.posture_changes):
        place = f"{p}.posture_changes[{j}]"
        for side in change.posture:
            if side not in s.sides:
                out.append((f"{place}.posture.{side}", f"unknown side; use {sorted(s.sides)}"))
        if change.from_ <= last:
            out.append((f"{place}.from", f"{change.from_} must be after "
                        + (f"the scenario's date {s.date}: give day 0's posture under posture"
                           if j == 0 else f"the change before it ({last}): list changes in "
                           "date order, one per day")))
        elif end is not None and change.from_ > end:
            out.append((f"{place}.from", f"{change.from_} is after the scenario's last day {end} "
                        f"(date plus days: {s.days}); no run reaches it"))
        last = max(last, change.from_)
    return out


def _link_event_problems(s: Scenario, links: set[str]) -> list[tuple[str, str]]:
    """Problems of ``link_events``: a known link, a day inside the scenario's window."""
    out = _dupes("link event", "link_events", [x.id for x in s.link_events])
    end = s.date + dt.timedelta(days=s.days) if s.days else None
    for j, event in enumerate(s.link_events):
        place = f"link_events[{j}]"
        if event.link not in links:
            out.append((f"{place}.link", f"unknown link '{event.link}'; use one of links"))
        if event.date <= s.date:
            out.append((f"{place}.date", f"{event.date} must be after the scenario's date "
                        f"{s.date}: give the state of day 0 under the link's at_start"))
        elif end is not None and event.date > end:
            out.append((f"{place}.date", f"{event.date} is after the scenario's last day {end} "
                        f"(date plus days: {s.days}); no run reaches it"))
    return out


def _supply_through_problems(s: Scenario, p: str, names: list[str]) -> list[tuple[str, str]]:
    """A bridgehead's supply nodes must be nodes placed in a sector, with a threat distance."""
    placed = {n.id: n.sector for n in s.nodes}
    out = []
    for j, name in enumerate(names):
        if name not in placed:
            out.append((f"{p}[{j}]", f"unknown node '{name}'"))
        elif placed[name] is None:
            out.append((f"{p}[{j}]", f"node '{name}' is a rear node; the threat rule measures "
                        "the enemy's front along a sector's axis, so name a node placed in a "
                        "sector (one with `sector:`)"))
    if names and s.model.withdrawal.threat_km is None:
        out.append((p, "the threat rule needs model.withdrawal.threat_km, the distance from "
                    "the enemy's front at which a line of supply counts as threatened; add it "
                    "or remove supply_through"))
    return out


def reference_problems(s: Scenario) -> list[tuple[str, str]]:
    """All ``(place, problem)`` pairs of names that are used but not defined."""
    out: list[tuple[str, str]] = []
    sides = set(s.sides)
    if len(sides) != 2:
        out.append(("sides", "the two sides must have different names"))
    nodes = {n.id for n in s.nodes}
    sectors = {x.id: x for x in s.sectors}
    links = {x.id for x in s.links}
    demands = {d.id for d in s.supply.demands}
    for kind, path, ids in [
        ("node", "nodes", [n.id for n in s.nodes]), ("link", "links", [x.id for x in s.links]),
        ("sector", "sectors", list(sectors)), ("demand", "supply.demands",
                                               [d.id for d in s.supply.demands]),
        ("outcome", "outcomes", [o.id for o in s.outcomes]),
    ]:
        out += _dupes(kind, path, ids)

    def need(cond: bool, place: str, what: str):
        if not cond:
            out.append((place, what))

    for i, n in enumerate(s.nodes):
        p = f"nodes[{i}]"
        if n.sector is not None:
            need(n.sector in sectors, f"{p}.sector", f"unknown sector '{n.sector}'")
        else:
            need(n.control in sides, f"{p}.control",
                 f"a node outside any sector needs control: one of {sorted(sides)}")
    for i, x in enumerate(s.links):
        for end in ("from_", "to"):
            name = getattr(x, end)
            need(name in nodes, f"links[{i}].{end.rstrip('_')}", f"unknown node '{name}'")
        need(x.from_ != x.to, f"links[{i}]", "a link must join two different nodes")
    for i, sec in enumerate(s.sectors):
        p = f"sectors[{i}]"
        for j, a in enumerate(sec.axis):
            if isinstance(a, str):
                need(a in nodes, f"{p}.axis[{j}]", f"unknown node '{a}'")
        for group in ("objectives", "rivers"):
            for j, m in enumerate(getattr(sec, group)):
                for name in ([m.node] if m.node else []) + list(m.between or ()):
                    need(name in nodes, f"{p}.{group}[{j}]", f"unknown node '{name}'")
        for field in ("forces", "reinforcements_per_day", "fortification", "morale", "posture"):
            for side in getattr(sec, field):
                need(side in sides, f"{p}.{field}.{side}", f"unknown side; use {sorted(sides)}")
        for side in sides:
            need(side in sec.forces, f"{p}.forces", f"missing the forces of '{side}'")
        out += _posture_change_problems(s, p, sec)
        if sec.bridgehead:
            need(sec.bridgehead.side in sides, f"{p}.bridgehead.side", "unknown side")
            need(sec.bridgehead.river in {r.id for r in sec.rivers}, f"{p}.bridgehead.river",
                 f"unknown river '{sec.bridgehead.river}'; declare it under rivers")
            out += _supply_through_problems(s, f"{p}.bridgehead.supply_through",
                                            sec.bridgehead.supply_through)
    for i, src in enumerate(s.supply.sources):
        need(src.side in sides, f"supply.sources[{i}].side", "unknown side")
        need(src.node in nodes, f"supply.sources[{i}].node", f"unknown node '{src.node}'")
    for i, d in enumerate(s.supply.demands):
        need(d.side in sides, f"supply.demands[{i}].side", "unknown side")
        if d.sector is not None:
            need(d.sector in sectors, f"supply.demands[{i}].sector", f"unknown sector '{d.sector}'")
        for tier in d.depots:
            for name in tier:
                need(name in nodes, f"supply.demands[{i}].depots", f"unknown node '{name}'")
    for i, f in enumerate(s.fires):
        need(f.side in sides, f"fires[{i}].side", "unknown side")
        for t in f.exempt_links:
            need(t in links, f"fires[{i}].exempt_links", f"unknown link '{t}'")
        for sec in f.force_sectors:
            need(sec in sectors, f"fires[{i}].force_sectors", f"unknown sector '{sec}'")
    for i, a in enumerate(s.air_defences):
        need(a.side in sides, f"air_defences[{i}].side", "unknown side")
        for sec in a.sectors:
            need(sec in sectors, f"air_defences[{i}].sectors", f"unknown sector '{sec}'")
    for i, d in enumerate(s.deep_strikes):
        need(d.side in sides, f"deep_strikes[{i}].side", "unknown side")
        for t in d.targets:
            need(t in links, f"deep_strikes[{i}].targets", f"unknown link '{t}'")
    for side in s.model.combat.attrition_rate:
        need(side in sides, f"model.combat.attrition_rate.{side}", "unknown side")
    for side in sides:
        need(side in s.model.combat.attrition_rate, "model.combat.attrition_rate",
             f"missing the rate of '{side}'")
    out += _link_event_problems(s, links)
    if s.politics is not None:
        out += _politics_problems(s.politics, sides, sectors, links)
    out += _outcome_problems(s, sides, sectors, links, demands)
    if s.sources:
        for place, key in citations(s):
            if place.endswith(".source"):
                need(key in s.sources, place, f"cites [{key}], which is not in sources; add it "
                     "there with its publication date")
    return out


def _politics_problems(p, sides, sectors, links):
    out = []
    out += _dupes("faction", "politics.factions", [f.id for f in p.factions])
    out += _dupes("rung", "politics.escalation.rungs", [r.id for r in p.escalation.rungs])
    out += _dupes("role", "politics.roles", [r.id for r in p.roles])
    if p.side not in sides:
        out.append(("politics.side", f"unknown side '{p.side}'; use one of {sorted(sides)}"))
    out += _role_problems(p)
    for i, f in enumerate(p.factions):
        for sec in f.commands:
            if sec not in sectors:
                out.append((f"politics.factions[{i}].commands", f"unknown sector '{sec}'"))
        if f.escalation_theory is not None and f.escalation_theory not in p.escalation.theories:
            out.append((f"politics.factions[{i}].escalation_theory",
                        f"unknown theory '{f.escalation_theory}'; declare it in "
                        f"politics.escalation.theories ({', '.join(p.escalation.theories)})"))
    for name in p.initial_blame:
        if name not in {f.id for f in p.factions}:
            out.append((f"politics.initial_blame.{name}", "unknown faction"))
    for name in p.blame.symbolic_links:
        if name not in links:
            out.append(("politics.blame.symbolic_links", f"unknown link '{name}'"))
    esc = p.escalation
    if esc.start_rung not in {r.id for r in esc.rungs}:
        out.append(("politics.escalation.start_rung", f"unknown rung '{esc.start_rung}'"))
    if isinstance(esc.theory_weights, dict):
        for name in esc.theory_weights:
            if name not in esc.theories:
                out.append((f"politics.escalation.theory_weights.{name}",
                            f"unknown theory; the theories are {', '.join(esc.theories)}"))
        if sum(float(w.ppf(0.5)) for w in esc.theory_weights.values()) <= 0:
            out.append(("politics.escalation.theory_weights", "weights must not all be zero"))
    for i, r in enumerate(esc.red_lines):
        for name in r.links:
            if name not in links:
                out.append((f"politics.escalation.red_lines[{i}].links", f"unknown link '{name}'"))
    if p.policy not in p.policies:
        out.append(("politics.policy", f"unknown policy '{p.policy}'; declare it in "
                                       f"politics.policies ({', '.join(p.policies)})"))
    if p.mediation is not None:
        for name in p.mediation.must_accept:
            if name not in sides:
                out.append(("politics.mediation.must_accept",
                            f"unknown side '{name}'; use one of {sorted(sides)}"))
    return out


def _role_problems(p):
    """Roles: declared ones (if any) cover every faction's; the roles the mechanisms act on
    (the blamed command, each personnel move's) are held by a faction."""
    out = []
    held = {f.role for f in p.factions}
    if p.roles:
        declared = {r.id for r in p.roles}
        for i, f in enumerate(p.factions):
            if f.role not in declared:
                out.append((f"politics.factions[{i}].role", f"role '{f.role}' is not in "
                            f"politics.roles ({', '.join(sorted(declared))})"))
    if p.blame.command_role not in held:
        out.append(("politics.factions", f"one faction needs role: {p.blame.command_role} "
                                         "(politics.blame.command_role)"))
    for key, move in p.personnel.items():
        if key in MECHANISM_DECISIONS:
            out.append((f"politics.personnel[{key}]", f"the id '{key}' is the name of a "
                        "mechanism's decision; give the move another id"))
        for field in ("role", "influence_to"):
            role = getattr(move, field)
            if role is not None and role not in held:
                out.append((f"politics.personnel[{key}].{field}",
                            f"no faction has role '{role}'"))
    return out


def _outcome_problems(s, sides, sectors, links, demands):
    out = []
    for i, o in enumerate(s.outcomes):
        p = f"outcomes[{i}]"
        if hasattr(o, "side") and o.side not in sides:
            out.append((f"{p}.side", f"unknown side '{o.side}'"))
        if o.kind == "objective_taken":
            for j, t in enumerate(o.targets):
                sec = sectors.get(t.sector)
                if sec is None:
                    out.append((f"{p}.targets[{j}].sector", f"unknown sector '{t.sector}'"))
                elif t.objective not in {m.id for m in sec.objectives}:
                    out.append((f"{p}.targets[{j}].objective",
                                f"sector '{t.sector}' has no objective '{t.objective}'"))
        elif o.kind == "sector_withdrawn":
            sec = sectors.get(o.sector)
            if sec is None:
                out.append((f"{p}.sector", f"unknown sector '{o.sector}'"))
            elif sec.bridgehead is None or sec.bridgehead.side != o.side:
                out.append((f"{p}.sector", f"sector '{o.sector}' has no bridgehead of '{o.side}'"))
        elif o.kind in ("link_capacity_at_least", "link_struck"):
            for name in o.links:
                if name not in links:
                    out.append((f"{p}.links", f"unknown link '{name}'"))
        elif o.kind in ("rung_reached", "event_happened") and s.politics is None:
            out.append((p, f"a '{o.kind}' outcome needs a politics section"))
        elif o.kind == "event_happened" and o.event not in politics_events(s.politics):
            out.append((f"{p}.event", f"unknown event '{o.event}'; the scenario's politics "
                        f"records {', '.join(politics_events(s.politics))}"))
        elif o.kind == "rung_reached" and o.rung not in {r.id for r in
                                                         s.politics.escalation.rungs}:
            out.append((f"{p}.rung", f"unknown rung '{o.rung}'"))
        elif o.kind == "supply_below":
            for name in o.demands:
                if name not in demands:
                    out.append((f"{p}.demands", f"unknown demand '{name}'"))
    return out
