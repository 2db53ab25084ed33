"""Sense checks: a scenario that passes the schema but cannot mean what it says, or may not.

The schema and the cross-references (:mod:`powderkeg.scenario.references`) check that a file
is well formed. These checks read the compiled model (its axes, their lengths, who holds
each node) and a small day-0 batch of runs, and find what is well formed but wrong:

* **errors**, where no scenario can mean it (a front that starts beyond the end of its axis,
  a depot in a rear the other side holds for good). :func:`raise_for_errors` raises them,
  and :func:`~powderkeg.model.build.build_model` calls it, so neither ``validate`` nor ``run``
  accepts such a file;
* **warnings**, where the author might mean it (an outcome that has already happened on day
  0, a link of 1e300 t/day). ``validate`` prints them; a scenario's ``silence`` entries
  hide the ones it means, each with a note, and an entry that hides nothing is a warning.

Every finding names its place in the file as the loader does (``sectors[2]
(bakhmut).front_km``) and its check id. The checks, their thresholds and why are in
``docs/design/008-sense-checks.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from powderkeg.errors import InputError
from powderkeg.model.build import END_KM, Model
from powderkeg.scenario.params import _Number

__all__ = ["Finding", "SenseError", "ERROR_CHECKS", "WARNING_CHECKS", "MAGNITUDES", "DAY0_RUNS",
           "sense_errors", "sense_warnings", "apply_silence", "raise_for_errors"]

#: Runs in the day-0 batch the warnings are judged on (seed 0, runs 0 to 63).
DAY0_RUNS = 64


@dataclass(frozen=True)
class Finding:
    """One problem: its check id, its place in the file, and what is wrong and what to do."""

    check: str
    place: str
    message: str

    def line(self, name: str) -> str:
        """``NAME: PLACE: message (check ID)``, as ``validate`` prints it after "warning: ".

        >>> Finding("outcome_on_day_0", "outcomes[8] (kerch)", "happens on day 0").line("v.yaml")
        'v.yaml: outcomes[8] (kerch): happens on day 0 (check outcome_on_day_0)'
        """
        return f"{name}: {self.place}: {self.message} (check {self.check})"


class SenseError(InputError):
    """A scenario the model cannot mean: every error finding in one paragraph."""

    def __init__(self, findings: list[Finding], name: str | None = None, scenario_id: str = ""):
        self.findings = findings
        self.scenario_id = scenario_id
        what = f"Scenario file {name}" if name else f"Scenario '{scenario_id}'"
        shown = "; ".join(f"{f.place}: {f.message} (check {f.check})" for f in findings)
        check = name or "FILE"
        super().__init__(f"{what} cannot mean what it says: {shown}. Fix these places and check "
                         f"the file with `powderkeg validate {check}`.")


@dataclass(frozen=True)
class _Day0:
    world: object  # World of the day-0 batch
    state: object  # State on day 0
    control: np.ndarray  # (R, N) side holding each node on day 0


def _at(group: str, i: int, item) -> str:
    return f"{group}[{i}] ({item.id})"


def _km(x: float) -> str:
    return f"{x:,.1f}"


def _share(hits: np.ndarray) -> str:
    return f"in {int(hits.sum())} of {hits.size} runs of a day-0 sample"


#: Plausibility limits: ``(what, unit, limit, why)``; a number whose upper end (its support's,
#: or its 99.9th percentile when unbounded) exceeds the limit is reported.
MAGNITUDES = {
    "capacity": ("link capacity", "t/day", 1e6,
                 "ten times what a double-track main rail line carries"),
    "source": ("supply source", "t/day", 1e6, "more than any theatre's whole supply"),
    "demand": ("supply demand", "t/day", 1e6, "more than any theatre's whole supply"),
    "forces": ("forces", "personnel", 5e6, "more than the largest army on one front"),
    "reinforcements": ("reinforcements", "personnel/day", 1e5,
                       "a mobilisation of three million a month"),
    "advance": ("advance", "km/day", 100.0, "faster than any recorded mechanised advance"),
    "range": ("fire range", "km", 5000.0, "intercontinental, not rocket artillery"),
    "missions": ("missions per launcher", "per day", 24.0, "more than one an hour, all day"),
}


def _magnitude_places(s):
    """``(place, kind, number)`` of every number a :data:`MAGNITUDES` limit applies to."""
    for i, x in enumerate(s.links):
        yield f"{_at('links', i, x)}.capacity", "capacity", x.capacity
    for i, q in enumerate(s.supply.sources):
        yield f"{_at('supply.sources', i, q)}.tons_per_day", "source", q.tons_per_day
    for i, dm in enumerate(s.supply.demands):
        yield f"{_at('supply.demands', i, dm)}.tons_per_day", "demand", dm.tons_per_day
    for i, sec in enumerate(s.sectors):
        for field, kind in (("forces", "forces"), ("reinforcements_per_day", "reinforcements")):
            for side, value in getattr(sec, field).items():
                yield f"{_at('sectors', i, sec)}.{field}.{side}", kind, value
    for field in ("advance_km_per_day", "creep_km_per_day"):
        value = getattr(s.model.combat, field)
        if isinstance(value, _Number):  # not a default left out of the file
            yield f"model.combat.{field}", "advance", value
    for i, f in enumerate(s.fires):
        yield f"{_at('fires', i, f)}.range_km", "range", f.range_km
        yield f"{_at('fires', i, f)}.missions_per_launcher_day", "missions", \
            f.missions_per_launcher_day


def _upper(p) -> float:
    """The number's largest value: its support's upper end, or its 99.9th percentile."""
    hi = p.support()[1]
    return float(hi) if np.isfinite(hi) else float(p.ppf(0.999))


def _value(p) -> str:
    return f"is {_upper(p):g}" if not p.is_random else f"{p.describe()} can reach {_upper(p):.3g}"


# ---------------------------------------------------------------------------------------------
# Errors: the scenario cannot mean it
# ---------------------------------------------------------------------------------------------


def front_beyond_axis(m: Model) -> list[tuple[str, str]]:
    """A ``front_km`` that can lie beyond the end of its sector's axis.

    The front would stand past every objective of the sector, which the model keeps inside
    the axis, so each would count as taken by the first side on day 0 in every run that
    draws such a front.
    """
    out = []
    for i, sec in enumerate(m.scenario.sectors):
        hi, length = sec.front_km.support()[1], m.sector_length[i]
        if hi > length:
            reach = "has no upper end" if np.isinf(hi) else f"can reach km {hi:g}"
            out.append((f"{_at('sectors', i, sec)}.front_km",
                        f"{sec.front_km.describe()} {reach}, beyond the end of the sector's axis "
                        f"(km {_km(length)}), so the front would start past every objective "
                        "of the sector and each would be taken on day 0 in every run that "
                        f"draws such a front; keep front_km within 0 to {_km(length)} km, or "
                        "extend the axis"))
    return out


def _supply_places(m: Model):
    """``(place, what, node index, side index)`` of every source and depot."""
    s, nodes = m.scenario, {n: k for k, n in enumerate(m.node_ids)}
    for i, q in enumerate(s.supply.sources):
        yield (f"{_at('supply.sources', i, q)}.node", f"source '{q.id}'", nodes[q.node],
               s.sides.index(q.side))
    for i, d in enumerate(s.supply.demands):
        for t, tier in enumerate(d.depots):
            for j, name in enumerate(tier):
                yield (f"{_at('supply.demands', i, d)}.depots[{t}][{j}]",
                       f"depot '{name}' of demand '{d.id}'", nodes[name], s.sides.index(d.side))


def supply_on_enemy_rear(m: Model) -> list[tuple[str, str]]:
    """A source or depot on a rear node (fixed control) that the other side holds.

    A side uses a node only while it holds it, and a rear node never changes hands, so such
    a source never delivers and such a depot is never fed.
    """
    out = []
    for place, what, k, side in _supply_places(m):
        if m.node_sector[k] < 0 and m.node_control[k] != side:
            own, other = m.sides[side], m.sides[1 - side]
            out.append((place, f"{what} of '{own}' is at node '{m.node_ids[k]}', a rear node "
                               f"that '{other}' holds for the whole run (its control), so it "
                               f"can never be used; put it on a node '{own}' holds, or change "
                               "the node's control"))
    return out


def beyond_solver_range(m: Model) -> list[tuple[str, str]]:
    """Tons a day above what the max-flow solver can carry (``INF_CAPACITY``, 2**28).

    Supply is solved in whole tons, with ``INF_CAPACITY`` as the 'unlimited' capacity of the
    arcs that join a side's sources and its demands; a link, source or demand above it, or a
    side's sources or demands that add up to it, would be capped there, or overflow, without
    a word.
    """
    from powderkeg.model.logistics import INF_CAPACITY

    s, out = m.scenario, []
    why = (f"at or above the {INF_CAPACITY:,} t/day the supply solver can carry, so its flows "
           "would be wrong; give tons per day (a real rail line carries some 10,000 to 100,000)")
    for place, kind, p in _magnitude_places(s):
        if kind in ("capacity", "source", "demand") and _upper(p) >= INF_CAPACITY:
            out.append((place, f"{MAGNITUDES[kind][0]} {_value(p)} t/day, {why}"))
    if out:
        return out
    for group, items in (("sources", s.supply.sources), ("demands", s.supply.demands)):
        for side in s.sides:
            total = sum(_upper(x.tons_per_day) for x in items if x.side == side)
            if total >= INF_CAPACITY:
                out.append((f"supply.{group}", f"the {group} of '{side}' together can reach "
                                               f"{total:.3g} t/day, {why}"))
    return out


#: Checks whose findings are errors: ``validate`` and ``run`` refuse the scenario.
ERROR_CHECKS = {"front_beyond_axis": front_beyond_axis,
                "supply_on_enemy_rear": supply_on_enemy_rear,
                "beyond_solver_range": beyond_solver_range}


# ---------------------------------------------------------------------------------------------
# Warnings: the scenario might mean it
# ---------------------------------------------------------------------------------------------


def supply_on_enemy_front(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """A source or depot on a sector node that the other side holds on day 0.

    It serves only once its side has taken the node, which a fallback tier or a deliberate
    forward depot may mean, but usually says the node or the front is misplaced.
    """
    out = []
    for place, what, k, side in _supply_places(m):
        held = d.control[:, k] != side
        if m.node_sector[k] >= 0 and held.any():
            sec = m.sector_ids[m.node_sector[k]]
            out.append((place, f"{what} of '{m.sides[side]}' is at node '{m.node_ids[k]}' (km "
                               f"{_km(m.node_km[k])} of sector '{sec}'), which "
                               f"'{m.sides[1 - side]}' holds on day 0 {_share(held)}, so it "
                               "serves only once the front has passed it; check the node's "
                               "km or the sector's front_km"))
    return out


def outcome_on_day_0(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """An outcome that has already happened on day 0, before anything is simulated.

    Judged by the model's own predicates (:func:`~powderkeg.model.outcomes.outcome_holds`) on
    the day-0 state. An outcome that needs its predicate to hold for several days in a row
    is not flagged: counting those days from day 0 is what such an outcome says.
    """
    from powderkeg.model.outcomes import outcome_holds, required_days

    holds = outcome_holds(m, d.world, d.state)
    out = []
    for j, o in enumerate(m.scenario.outcomes):
        if required_days(o) == 1 and holds[:, j].any():
            out.append((_at("outcomes", j, o),
                        f"already happens on day 0 {_share(holds[:, j])}, so its probability "
                        "counts the starting position, not what follows; check its targets and "
                        "thresholds against the day-0 state (front_km, at_start)"))
    return out


def objective_unreachable(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """An ``objective_taken`` target that the outcome's side can never take.

    The second side takes an objective when the front falls back below its km, and the front
    never goes below km 0 (the first side's rear end of the axis); an objective at km 0 is
    beyond its reach. The first side can reach every objective, since the model keeps
    objectives inside the axis and the front can reach its end.
    """
    out = []
    for j, o in enumerate(m.scenario.outcomes):
        if o.kind != "objective_taken" or m.sides.index(o.side) != 1:
            continue
        for t, target in enumerate(o.targets):
            i = m.objective_ids.index((target.sector, target.objective))
            never = d.world.objective_km[:, i] <= 0.0
            if never.any():
                out.append((f"{_at('outcomes', j, o)}.targets[{t}]",
                            f"'{o.side}' can never take objective '{target.objective}' of "
                            f"sector '{target.sector}': it lies at km 0 {_share(never)}, the "
                            f"start of the axis in the rear of '{m.sides[0]}', and the front "
                            "never falls back below km 0; place it further along the axis, or "
                            "drop the target"))
    return out


def _markers_and_nodes(m: Model):
    """``(place, km number or value, sector index)`` of every km given on an axis."""
    s = m.scenario
    sectors = {x.id: i for i, x in enumerate(s.sectors)}
    for i, sec in enumerate(s.sectors):
        for group in ("objectives", "rivers"):
            for j, mk in enumerate(getattr(sec, group)):
                if mk.km is not None:
                    yield f"{_at('sectors', i, sec)}.{group}[{j}] ({mk.id}).km", mk.km, i
    for k, n in enumerate(s.nodes):
        if n.km is not None and n.sector in sectors:
            yield f"{_at('nodes', k, n)}.km", n.km, sectors[n.sector]


def marker_beyond_axis(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """An objective, river or node whose km lies beyond the end of its sector's axis.

    The model moves it to just inside the end (``END_KM`` before it), so it is not where the
    author put it: the km was likely measured along another line, or the axis is too short.
    """
    out = []
    for place, km, i in _markers_and_nodes(m):
        hi = km if isinstance(km, float | int) else km.support()[1]
        if hi > m.sector_length[i]:
            length = m.sector_length[i]
            out.append((place, f"km {hi:g} lies beyond the end of the axis of sector "
                               f"'{m.sector_ids[i]}' (km {_km(length)}); the model "
                               f"moves it to km {_km(length - END_KM)}; measure it along the "
                               "axis, or extend the axis"))
    return out


def implausible_magnitude(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """A number far beyond anything real: likely a wrong unit or exponent.

    Limits are in :data:`MAGNITUDES`; the number's largest value is its support's upper end,
    or its 99.9th percentile when the distribution has none.
    """
    out = []
    for place, kind, p in _magnitude_places(m.scenario):
        what, unit, limit, why = MAGNITUDES[kind]
        if _upper(p) > limit:
            out.append((place, f"{what} {_value(p)} {unit}, above the plausible limit of {limit:g} "
                               f"{unit} ({why}); check the unit and the exponent"))
    return out


def red_line_never_crossed(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """A declared red line that nothing in the scenario can ever cross.

    See :func:`~powderkeg.model.kremlin_params.never_crossed_red_lines`.
    """
    from powderkeg.model.kremlin_params import never_crossed_red_lines

    return never_crossed_red_lines(m.scenario)


def late_citation(m: Model, d: _Day0) -> list[tuple[str, str]]:
    """A value citing a source that may be published after the scenario's date.

    See :func:`~powderkeg.scenario.provenance.late_citations`; a later compilation of an
    earlier fact is marked ``documents_earlier`` and not reported.
    """
    from powderkeg.scenario.provenance import citation_date, late_citations

    s = m.scenario

    def limit(place):
        day = citation_date(s, place)
        return f"last day {day}" if day != s.date else f"date {day}"

    return [(place, f"cites [{key}], published {published}, which may be after the scenario's "
                    f"{limit(place)}; cite a source from before it, or mark [{key}] "
                    "documents_earlier with a note if it records an earlier fact")
            for place, key, published in late_citations(s)]


#: Checks whose findings are warnings; ``silence`` entries may hide them.
WARNING_CHECKS = {
    "supply_on_enemy_front": supply_on_enemy_front,
    "outcome_on_day_0": outcome_on_day_0,
    "objective_unreachable": objective_unreachable,
    "marker_beyond_axis": marker_beyond_axis,
    "implausible_magnitude": implausible_magnitude,
    "red_line_never_crossed": red_line_never_crossed,
    "late_citation": late_citation,
}
STALE = "silence_unused"


# ---------------------------------------------------------------------------------------------
# Running the checks
# ---------------------------------------------------------------------------------------------


def sense_errors(m: Model) -> list[Finding]:
    """Every error finding of the compiled model (cheap: geometry only, no runs)."""
    return [Finding(cid, place, msg) for cid, check in ERROR_CHECKS.items()
            for place, msg in check(m)]


def raise_for_errors(m: Model) -> None:
    """Raise a :class:`SenseError` naming every error finding, if there is one."""
    found = sense_errors(m)
    if found:
        raise SenseError(found, scenario_id=m.scenario.id)


def _day0(m: Model, runs: int) -> _Day0:
    from powderkeg.model.network import node_control
    from powderkeg.model.random import Streams
    from powderkeg.model.step import init_state
    from powderkeg.model.world import sample_world

    streams, index = Streams(0), np.arange(runs)
    world = sample_world(m, streams, index)
    state = init_state(m, world, streams, index)
    return _Day0(world, state, node_control(m, world.front0))


def sense_warnings(m: Model, runs: int = DAY0_RUNS) -> list[Finding]:
    """Every warning finding, judged on a day-0 batch of ``runs`` runs, none silenced."""
    d = _day0(m, runs)
    return [Finding(cid, place, msg) for cid, check in WARNING_CHECKS.items()
            for place, msg in check(m, d)]


def _key(place: str) -> str:
    """A place with ``[3] (id)`` written ``[id]``, so either spelling matches.

    >>> _key("sectors[3] (bakhmut).objectives[0] (kramatorsk).km")
    'sectors[bakhmut].objectives[kramatorsk].km'
    """
    return re.sub(r"\[\d+\] \(([a-z0-9_]+)\)", r"[\1]", place.strip())


def apply_silence(scenario, findings: list[Finding]) -> list[Finding]:
    """The findings no ``silence`` entry hides, then one finding per entry that hides none."""
    wanted = [(e.check, _key(e.place)) for e in scenario.silence]
    used, shown = set(), []
    for f in findings:
        hit = {k for k, w in enumerate(wanted) if w == (f.check, _key(f.place))}
        used |= hit
        if not hit:
            shown.append(f)
    for k, e in enumerate(scenario.silence):
        if k in used:
            continue
        why = (f"'{e.check}' is not a check that warns (those are: "
               f"{', '.join(WARNING_CHECKS)})" if e.check not in WARNING_CHECKS
               else f"no warning of check '{e.check}' names the place '{e.place}'")
        shown.append(Finding(STALE, f"silence[{k}]", f"silences nothing: {why}; remove the "
                                                    "entry, or correct its check or place"))
    return shown
