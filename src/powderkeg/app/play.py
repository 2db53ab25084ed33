"""Playing one side on the dashboard: a run stepped period by period, the model's own choice
shown with its chances, the player's choice taken, and at the end the player's sequence
replayed on every run of the baseline (common random numbers) against the model's policy.

Pure functions and one small class over :class:`~powderkeg.engine.replay.Playthrough`; no
Dash. The choices offered are read from the decision day's record as the model alone would
play it (:meth:`Playthrough.preview`), never re-derived.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from powderkeg.engine.replay import Playthrough
from powderkeg.errors import InputError
from powderkeg.model.build import Model
from powderkeg.scenario.decisions import OPPONENT_DECISIONS, fixed_scenario

__all__ = ["SIDES", "Play", "offered_choices", "parse_choices", "chances_text", "period_events",
           "MODEL_CHOICE"]

SIDES = ("leader", "opponent")
MODEL_CHOICE = "model"  # the value of a choice left to the model


def _side_of(name: str) -> str:
    return "opponent" if name in OPPONENT_DECISIONS else "leader"


def offered_choices(record, side: str) -> list[dict]:
    """The decisions of ``side`` open on a decision day, from the day's period record: each
    ``name``, ``options``, the model's ``chances`` of them and its own ``pick``."""
    out = []
    for name, c in record.choices.items():
        if _side_of(name) != side or not c.open[0]:
            continue
        out.append({"name": name, "options": list(c.options),
                    "chances": [float(p) for p in c.probabilities[0]],
                    "pick": c.options[int(c.model[0])]})
    return out


def parse_choices(values, ids, offered: list[dict]) -> dict[str, int]:
    """The player's choices from the page (``ids`` ``{"name": ...}``, values an option or
    :data:`MODEL_CHOICE`) as decision -> option index; anything not offered is refused.

    >>> offered = [{"name": "rung", "options": ["down", "hold", "up"]}]
    >>> parse_choices(["up"], [{"name": "rung"}], offered)
    {'rung': 2}
    >>> parse_choices(["model"], [{"name": "rung"}], offered)
    {}
    """
    options = {c["name"]: c["options"] for c in offered}
    out = {}
    for value, i in zip(values, ids, strict=True):
        name = i.get("name") if isinstance(i, dict) else None
        if value in (None, MODEL_CHOICE):
            continue
        if name not in options or value not in options[name]:
            raise InputError(f"'{value}' is not a choice of '{name}' on this decision day.")
        out[name] = options[name].index(value)
    return out


@dataclass
class Play:
    """One player's game: the scenario's label, the side played and the run."""

    label: str
    side: str
    playthrough: Playthrough
    seconds: list[float]  # time each decide() took (the period's step), for the page

    @classmethod
    def start(cls, label: str, model: Model, run, side: str, seed: int, days: int) -> Play:
        if side not in SIDES:
            raise InputError(f"Play the leader or the opponent, not '{side}'.")
        if run is None or (isinstance(run, float) and not run.is_integer()):
            raise InputError("Give the run to play as a whole number, 0 or more.")
        return cls(label, side, Playthrough(model, int(run), seed, days), [])

    def offered(self) -> list[dict]:
        pt = self.playthrough
        if pt.decision_day is None:
            return []
        return offered_choices(pt.preview().record.politics, self.side)

    def decide(self, fixed: dict[str, int]) -> None:
        t0 = time.monotonic()
        self.playthrough.decide(fixed)
        self.seconds.append(time.monotonic() - t0)

    def decisions_document(self) -> dict:
        """The player's choices as a decisions file (``--decisions FILE``)."""
        return {"decisions": [d.model_dump(exclude_none=True)
                              for d in self.playthrough.decisions()]}

    def scenario(self):
        """The scenario playing the player's choices (the model the rest)."""
        pt = self.playthrough
        return fixed_scenario(pt.model.scenario, pt.decisions(), "this game")

    def status(self) -> str:
        pt = self.playthrough
        step = (f" The last period took {self.seconds[-1]:.2f} s to simulate."
                if self.seconds else "")
        mine = sum(len(f) for f in pt.fixed.values())
        if pt.decision_day is None:
            return (f"Run {pt.run} is over (day {pt.day}); you fixed {mine} choices. Replay "
                    f"them on every run to compare with the model's policy.{step}")
        return (f"Run {pt.run}, day {pt.day}: you play the {self.side}; the next decision is "
                f"taken on day {pt.decision_day}.{step}")


def chances_text(choice: dict) -> str:
    """``down 10.0%, hold 70.0%, up 20.0%``."""
    return ", ".join(f"{o} {p:.1%}" for o, p in zip(choice["options"], choice["chances"],
                                                     strict=True))


def period_events(events: list[dict], after: int, upto: int) -> list[dict]:
    """The events of days ``after < day <= upto``."""
    return [e for e in events if after < e["day"] <= upto]

