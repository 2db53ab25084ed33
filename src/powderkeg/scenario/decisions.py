"""Decisions fixed by a player: per-period overrides of the politics half's choices.

A decision is ``{day or period, decision, value}``: on that decision day the leader's (or the
opponent's) choice named ``decision`` is ``value``, and the model plays everything else.
They are written in ``politics.decisions`` of a scenario, or in a decisions file (a YAML
mapping with one key, ``decisions``, holding the list) given to ``story``, ``compare`` and
the dashboard. The leader's decisions are the escalation ``rung`` (``down``, ``hold``,
``up``), each personnel move by its id, ``mobilize``, ``accept_offramp`` (take an open
off-ramp) and ``accept_mediation`` (take a mediator's offer); the opponent's are
``response`` (``weak`` or ``strong``, its answer to a step up), ``opponent_accepts`` (the
off-ramp) and ``opponent_accepts_mediation``. The other yes/no decisions take ``true`` or
``false``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from powderkeg.errors import InputError
from powderkeg.scenario.base import Id, Strict

__all__ = ["Decision", "LEADER_DECISIONS", "OPPONENT_DECISIONS",
           "decision_problems", "decision_day", "load_decisions", "with_decisions",
           "fixed_scenario", "compiled_decisions", "decision_of"]

LEADER_DECISIONS = ("rung", "mobilize", "accept_offramp", "accept_mediation")
"""The leader's decisions beside the scenario's personnel moves (named by their ids)."""
OPPONENT_DECISIONS = ("response", "opponent_accepts", "opponent_accepts_mediation")
_NAMED_VALUES = {"rung": ("down", "hold", "up"), "response": ("weak", "strong")}


class Decision(Strict):
    """One fixed choice: on decision day ``day`` (or of decision period ``period``, counted
    from 1, deciding on day ``period * decision_period_days``), ``decision`` is ``value``."""

    day: int | None = Field(None, ge=1, description="A decision day (a multiple of "
                            "politics.decision_period_days).")
    period: int | None = Field(None, ge=1, description="A decision period, from 1.")
    decision: Id = Field(description="rung, mobilize, accept_offramp, accept_mediation, "
                         "response, opponent_accepts, opponent_accepts_mediation, or a "
                         "personnel move's id.")
    value: bool | str = Field(
        description="down/hold/up for rung, weak/strong for response, else true/false.")
    note: str | None = None

    @model_validator(mode="after")
    def _one_time(self):
        if (self.day is None) == (self.period is None):
            raise ValueError("give exactly one of 'day' or 'period'")
        wants = _NAMED_VALUES.get(self.decision)
        if wants is not None and self.value not in wants:
            raise ValueError(f"'{self.decision}' takes one of {', '.join(wants)}, not "
                             f"{self.value!r}")
        if wants is None and not isinstance(self.value, bool):
            raise ValueError(f"'{self.decision}' takes true or false, not {self.value!r}")
        return self


def decision_day(d: Decision, period_days: int) -> int:
    """The day a decision is taken on."""
    return d.day if d.day is not None else d.period * period_days


def decision_problems(politics, decisions: list[Decision]) -> list[str]:
    """What is wrong with ``decisions`` for a scenario's ``politics`` section (empty: nothing):
    an unknown decision, a day that is not a decision day, a decision whose section the
    scenario lacks, a decision fixed twice on one day."""
    moves = tuple(politics.personnel)
    known = LEADER_DECISIONS + OPPONENT_DECISIONS + moves
    needs = {"mobilize": ("mobilization", politics.mobilization),
             "accept_mediation": ("mediation", politics.mediation),
             "opponent_accepts_mediation": ("mediation", politics.mediation)}
    period = politics.decision_period_days
    problems, seen = [], set()
    for i, d in enumerate(decisions):
        where = f"[{i}]"
        if d.decision not in known:
            problems.append(f"{where}: unknown decision '{d.decision}'; give one of "
                            f"{', '.join(known)}")
            continue
        section = needs.get(d.decision)
        if section is not None and section[1] is None:
            problems.append(f"{where}: '{d.decision}' needs a politics.{section[0]} section, "
                            "which this scenario does not have")
        day = decision_day(d, period)
        if day % period:
            near = [d for d in (day - day % period, day - day % period + period) if d > 0]
            problems.append(f"{where}: day {day} is not a decision day; decisions are taken "
                            f"every {period} days (day {' or '.join(map(str, near))})")
        if (day, d.decision) in seen:
            problems.append(f"{where}: '{d.decision}' is fixed twice on day {day}")
        seen.add((day, d.decision))
    return problems


def compiled_decisions(politics) -> dict[int, dict[str, int]]:
    """``politics.decisions`` as day -> decision -> the index of the option fixed, in the
    options of :class:`~powderkeg.model.record.Choice`: ``down, hold, up`` for the rung,
    ``weak, strong`` for the response, ``no, yes`` for the rest."""
    out: dict[int, dict[str, int]] = {}
    for d in politics.decisions:
        named = _NAMED_VALUES.get(d.decision)
        index = named.index(d.value) if named is not None else int(d.value)
        out.setdefault(decision_day(d, politics.decision_period_days), {})[d.decision] = index
    return out


def decision_of(day: int, name: str, index: int) -> Decision:
    """The :class:`Decision` fixing option ``index`` (as :func:`compiled_decisions` numbers
    them) of decision ``name`` on ``day``."""
    named = _NAMED_VALUES.get(name)
    return Decision(day=day, decision=name, value=named[index] if named else bool(index))


class _DecisionFile(Strict):
    decisions: list[Decision] = Field(min_length=1)


def _place(loc: tuple) -> str:
    """``('decisions', 0, 'value')`` as ``decisions[0].value``."""
    text = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".")
    return text or "(top level)"


def load_decisions(path: Path) -> list[Decision]:
    """The decisions of a decisions file, or an :class:`InputError` naming the place."""
    import yaml

    from powderkeg.scenario.messages import error_message

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as e:
        raise InputError(f"Cannot read the decisions file {path}: {e.strerror or e}.") from None
    except yaml.YAMLError as e:
        raise InputError(f"The decisions file {path} is not valid YAML: {e}") from None
    try:
        return _DecisionFile.model_validate(data).decisions
    except ValidationError as e:
        shown = "; ".join(f"{_place(err['loc'])}: {error_message(err)}" for err in e.errors()[:6])
        raise InputError(f"The decisions file {path} is not valid: {shown}. "
                         "Write a mapping with one key, decisions, holding a list of "
                         "{day or period, decision, value}.") from None


def fixed_scenario(scenario, decisions: list[Decision], where: str):
    """The scenario playing ``decisions``; errors name ``where`` they come from."""
    if scenario.politics is None:
        raise InputError(f"Scenario '{scenario.id}' has no politics section, so the decisions "
                         f"of {where} have nothing to fix. Leave them out.")
    problems = decision_problems(scenario.politics, decisions)
    if problems:
        raise InputError(f"The decisions of {where} do not fit scenario '{scenario.id}': "
                         + "; ".join(f"decisions{p}" for p in problems) + ".")
    politics = scenario.politics.model_copy(update={"decisions": list(decisions)})
    return scenario.model_copy(update={"politics": politics})


def with_decisions(scenario, path: Path | None):
    """The scenario with the decisions of file ``path`` fixed (``None``: unchanged)."""
    if path is None:
        return scenario
    return fixed_scenario(scenario, load_decisions(path), f"the file {path}")
