"""Dated link events: a hindcast's known shocks to links, applied on their day as hits.

A scenario's ``link_events`` say that on a date a link's open capacity fell to a share of its
intact capacity (the Kerch bridge on 8 October 2022). In a hindcast such a shock is an input,
like the day an offensive began (``posture_changes``): the model is not asked to produce it by
chance, only what follows from it. The event is applied as a hit on its day, after the day's
fires (:func:`~powderkeg.model.fires.interdiction_day`): the link's open fraction becomes
``min(frac, f)``, with ``f`` the event's ``open_fraction`` drawn per run like any parameter,
and its repair starts from there, with work the larger of what was left and a new draw from
the link's ``repair_days`` by :func:`~powderkeg.model.fires.repair_times` (the stream
``repair/<link>`` at the run and day, as for a hit that day). It counts as a hit of the day,
so the politics see a symbolic hit or a red line crossed and ``link_struck`` outcomes hold, as
for a strike; it is applied in every run, a ceasefire or not, because it is what happened.

A scenario without events runs exactly as before: nothing here is called.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.model.fires import Repair, repair_times

__all__ = ["LinkEvents", "link_events", "apply_link_events"]


@dataclass(frozen=True)
class LinkEvents:
    """A scenario's link events, in file order, as arrays of length ``K``."""

    days: np.ndarray  # (K,) day of each event, counted from the scenario's date
    links: np.ndarray  # (K,) index of the link each damages
    paths: tuple[str, ...]  # parameter path of each event's open fraction


def link_events(scenario, link_ids: tuple[str, ...]) -> LinkEvents:
    """The events of a validated scenario, with days and link indices."""
    events = scenario.link_events
    return LinkEvents(
        days=np.array([(x.date - scenario.date).days for x in events], dtype=int),
        links=np.array([link_ids.index(x.link) for x in events], dtype=int),
        paths=tuple(f"link_events[{x.id}].open_fraction" for x in events))


def apply_link_events(model, world, streams, runs, day, repair: Repair,
                      hits: np.ndarray) -> tuple[Repair, np.ndarray]:
    """Links and hits ``(R, E)`` after the events of ``day``, if any.

    ``world.event_open`` ``(R, K)`` holds each run's open fraction of each event. For the
    links ``e`` struck today a repair starts from ``min(frac, f)`` with work ``max(left, t)``,
    ``t`` the repair time drawn for today's damage, the state a hit leaves
    (:func:`~powderkeg.model.fires.interdiction_day`); the hits gain one.
    """
    today = np.flatnonzero(model.link_events.days == day)
    if not len(today):
        return repair, hits
    open_after = np.ones(repair.base.shape)
    for k in today:
        e = model.link_events.links[k]
        open_after[:, e] = np.minimum(open_after[:, e], world.event_open[:, k])
    struck = np.zeros(repair.base.shape, dtype=bool)
    struck[:, model.link_events.links[today]] = True
    times = repair_times(model, world, streams, runs, day, struck)
    return (Repair(np.where(struck, np.minimum(repair.frac, open_after), repair.base),
                   np.where(struck, np.maximum(repair.left, times), repair.total),
                   np.where(struck, 0, repair.done).astype(repair.done.dtype)),
            hits + struck)
