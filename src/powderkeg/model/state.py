"""The state of a batch of runs on one day: a frozen dataclass of arrays with a run axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.model.fires import Repair
from powderkeg.model.logistics import per_link
from powderkeg.model.outcomes import OutcomeTracker

__all__ = ["State", "in_slots"]


@dataclass(frozen=True)
class State:
    day: int
    front: np.ndarray  # (R, S) km along each axis
    forces: np.ndarray  # (R, S, 2) personnel
    losses: np.ndarray  # (R, S, 2) cumulative
    repair: Repair  # each link's open fraction of intact capacity and its repair
    hits: np.ndarray  # (R, E) hits today, all causes
    deep_hits: np.ndarray  # (R, E) of which by deep strikes
    cap_slots: tuple  # per side: (R, S) int32 capacities the current flow was solved for, a
    # link's arcs in one slot (FlowGraph.arc_slot), or None; arc_cap spreads them on the arcs
    arc_flow: tuple  # per side: (R, A) flow on each arc, or None
    plan_slots: tuple  # per side: (R, S) int32 capacities of the day's plan (roads at
    # capacity) in slots, or None; plan_cap spreads them
    plan_flow: tuple  # per side: (R, A) the plan's flow, which sends the trucks
    plan_cuts: tuple  # per side: (R, D, B) uint8 the plan's stored cuts (maxflow.shared_flow)
    flow_cuts: tuple  # per side: (R, D, B) uint8 the flow's stored cuts
    flow_graphs: tuple  # per side: the model's FlowGraph, or None (static, shared by all runs)
    delivered: np.ndarray  # (R, D) tons delivered today
    need: np.ndarray  # (R, D) tons needed today
    stock: np.ndarray  # (R, D) days of supply
    untenable: np.ndarray  # (R, S) days in a row a bridgehead has been untenable
    withdrawal: np.ndarray  # (R, S) int8: 0 bridgehead held, 1 withdrawal ordered, 2 pushed
    pressure: np.ndarray  # (R, S, 2) days in a row each side's attack ratio broke the defence's
    exploitation: np.ndarray  # (R, S, 2) days of exploitation left to each side, 0 if none
    outcomes: OutcomeTracker
    politics: object = None  # PoliticsState when the scenario has a politics section
    record: object = None  # DayRecord: what today's step decided (None on day 0)

    @property
    def link_frac(self) -> np.ndarray:
        """Open fraction of each link's intact capacity, ``(R, E)``."""
        return self.repair.frac

    @property
    def arc_cap(self) -> tuple:
        """Per side, the ``(R, A)`` int32 capacities the current flow was solved for, or
        ``None``: the stored slots on the arcs (the same integers)."""
        return _on_arcs(self.flow_graphs, self.cap_slots)

    @property
    def plan_cap(self) -> tuple:
        """Per side, the ``(R, A)`` int32 capacities of the day's plan, or ``None``."""
        return _on_arcs(self.flow_graphs, self.plan_slots)

    @property
    def link_flow(self) -> np.ndarray:
        """Tons carried today on each link by both sides, ``(R, E)``: each side's arc flows
        added per link (:func:`~powderkeg.model.logistics.per_link`), side by side from zero,
        derived when read rather than stored."""
        out = np.zeros(self.hits.shape)
        for g, flow in zip(self.flow_graphs, self.arc_flow, strict=True):
            if flow is not None:
                out += per_link(g, flow)
        return out

    @property
    def repair_left(self) -> np.ndarray:
        """Days of repair work left on each link, 0 if none, ``(R, E)``."""
        return self.repair.left

    @property
    def withdrawn(self) -> np.ndarray:
        """Bridgeheads given up, ``(R, S)`` bool."""
        return self.withdrawal > 0


def _on_arcs(graphs, slots):
    """Each side's capacities per slot ``(R, S)`` spread on its graph's arcs ``(R, A)``."""
    return tuple(None if c is None else np.take(c, g.arc_slot, axis=1)  # C order, as warmed up
                 for g, c in zip(graphs, slots, strict=True))


def in_slots(g, cap):
    """Arc capacities ``(R, A)`` of graph ``g`` in its slots ``(R, S)``, ``None`` for none
    (exact: the arcs of a slot carry the same integers,
    :func:`~powderkeg.model.logistics.capacity_slots`)."""
    return None if cap is None else np.take(cap, g.slot_arc, axis=1)
