"""What a day's step decided, for every run: the record a run's story is told from.

:func:`powderkeg.model.step.step` puts the day's record in ``State.record``; the next day
replaces it, so a batch keeps only today's (a few arrays per run), and a replayed run keeps
one per day. The story (:mod:`powderkeg.report.story`) formats these records and never
re-derives a rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DayRecord", "PeriodRecord", "Choice", "RECORD_COUNT"]

RECORD_COUNT = np.int16
"""Dtype of the day's hit counts (``DayRecord.strikes`` and ``force_hits``). Exact: a fire
system flies at most ``max_missions_per_day`` missions a day (at most 1000, by the scenario
schema), each hitting at most one link or sector, and a deep strike hits at most one link a
day, so no count exceeds 1000 < 2**15 - 1."""


@dataclass(frozen=True)
class Choice:
    """One decision of a period: the model's chances of its options, the option the model's
    own draw picked, and the one taken (a player's fixed choice where one applied).

    Options are ``("down", "hold", "up")`` for the rung, ``("weak", "strong")`` for the
    opponent's response and ``("no", "yes")`` for the rest.
    """

    options: tuple[str, ...]
    probabilities: np.ndarray  # (R, n_options), rows summing to one
    model: np.ndarray  # (R,) index of the option the model's own draw picked
    taken: np.ndarray  # (R,) index of the option taken
    open: np.ndarray  # (R,) bool: the decision was there to take (an offer open, a move left)
    fixed: np.ndarray  # (R,) bool: a player's choice replaced the model's


@dataclass(frozen=True)
class PeriodRecord:
    """The Kremlin's decisions of a decision period, each with a leading run axis ``R``."""

    blame_score: np.ndarray  # (R, K) blame each faction drew in the period just ended
    km_lost: np.ndarray  # (R, S) km each sector lost in it (what its faction is blamed for)
    objectives_lost: np.ndarray  # (R, O) bool: objectives lost in it
    loss_share: np.ndarray  # (R,) own losses in it as a share of the force
    symbolic_hits: np.ndarray  # (R,) symbolic blows in it (hits on symbolic links)
    moves: dict[str, np.ndarray]  # personnel move id -> (R,) bool: made this period
    coup_hazard: np.ndarray  # (R,) probability of an attempt this period
    coup_attempt: np.ndarray  # (R,) bool
    plotter: np.ndarray  # (R,) faction index of the would-be plotters (drawn every period)
    coup_success: np.ndarray  # (R,) bool
    successor: np.ndarray  # (R,) faction index of the new leader, -1 without a change
    mobilization_probability: np.ndarray  # (R,) chance of a call-up this period, 0 if none
    mobilized: np.ndarray  # (R,) bool
    ceasefire_broke_down: np.ndarray  # (R,) bool
    offer_open: np.ndarray  # (R,) bool: an off-ramp was on the table
    leader_accepts: np.ndarray  # (R,) bool (meaningful where an offer was open)
    opponent_accepts: np.ndarray  # (R,) bool
    mediation_offered: np.ndarray  # (R,) bool: a mediator offered a ceasefire
    mediated_ceasefire: np.ndarray  # (R,) bool: the sides it needs accepted it
    rung_probabilities: np.ndarray  # (R, 3) chance of stepping down, holding, up
    rung_step: np.ndarray  # (R,) -1, 0 or +1
    strong_response: np.ndarray  # (R,) bool: the opponent answered a step up strongly
    choices: dict[str, Choice]  # decision (scenario.decisions' names) -> the period's choice


@dataclass(frozen=True)
class DayRecord:
    """The theater's decisions of a day, each with a leading run axis ``R``."""

    strikes: np.ndarray  # (R, F + G, E) RECORD_COUNT: hits by each fire system, then deep strike
    force_hits: np.ndarray  # (R, F, S) RECORD_COUNT: hits on the enemy's forces by each system
    attack_ratios: np.ndarray  # (R, S, 2) today's rho_A, rho_B of every sector's combat
    supply_ratio: np.ndarray  # (R, S, 2) delivered over needed of each side's sector demand
    untenable_days: np.ndarray  # (R, S) days in a row a bridgehead has been untenable, today in
    withdrawal_ordered: np.ndarray  # (R, S) bool
    defence_broken: np.ndarray  # (R, S, 2) bool: the side's attack broke the defence today
    supply_threatened: np.ndarray  # (R, S) bool: the enemy threatens every line of supply
    # today's air-defence multipliers of each fire system's chance to hit, (links (R, F, E),
    # forces (R, F, S)); None in a scenario without air defences or air-delivered fires
    air_cover: tuple[np.ndarray, np.ndarray] | None = None
    # (R, S, 2) multiplier of each side's combat effectiveness today from counter-battery hits
    # on its forces; None on a day no fire system silenced any
    fire_support: np.ndarray | None = None
    politics: PeriodRecord | None = None  # on decision days of a scenario with politics
