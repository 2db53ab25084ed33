"""Question files: dated, resolved questions about a scenario's outcomes, read for a backtest.

A question file names its scenario and lists questions, each about one of the scenario's
outcome ids by a deadline, with how it resolved, when, and the public source that says so;
optionally a crowd or expert forecast with its own date and source. It is read like a
scenario: safe YAML, unknown and duplicate keys refused, every mistake one paragraph naming
the file and the place (``questions[3] (bakhmut).deadline``). Whether a question fits the
scenario (its outcome exists, its deadline lies within the horizon) is checked against the
scenario by :func:`check_against`. Built-in question files ship in ``scenario/questions/``.

>>> doc = {"scenario": "autumn-2022", "title": "T", "questions": [{"id": "q",
...     "text": "Will Ukraine retake Kherson?", "outcome": "kherson_city_liberated",
...     "deadline": "2023-10-12", "resolution": True, "resolved_on": "2022-11-11",
...     "source": {"text": "Reuters", "url": "https://www.reuters.com/", "published":
...     "2022-11-11"}}]}
>>> QuestionSet.model_validate(doc).questions[0].deadline
datetime.date(2023, 10, 12)
"""

from __future__ import annotations

import datetime as dt
import warnings
from importlib import resources
from pathlib import Path

from pydantic import Field, StrictBool, ValidationError, model_validator

from powderkeg.errors import InputError, ResultWarning
from powderkeg.scenario.base import Id, Strict
from powderkeg.scenario.load import _place
from powderkeg.scenario.messages import error_message
from powderkeg.scenario.yamlfile import parse

__all__ = ["Citation", "Forecast", "Question", "QuestionSet", "load_questions",
           "builtin_question_ids", "check_against"]

_FOLDER = "questions"  # built-in question files, in the package beside this module
_WHAT = "Question file"
_NEEDS = ("Each question needs id, text, outcome, deadline, resolution (true or false), "
          "resolved_on and source {text, url, published}; crowd {probability, date, source} "
          "is optional.")


class Citation(Strict):
    """A public source: what it is, where it is, and when it was published."""

    text: str = Field(min_length=1, description="Publisher, title, and what it reports.")
    url: str = Field(pattern=r"^https?://\S+$", description="Where to read it (http or https).")
    published: dt.date = Field(description="Its publication date, YYYY-MM-DD.")


class Forecast(Strict):
    """A crowd's or an expert's probability for the question, as published on a date."""

    probability: float = Field(ge=0, le=1, description="The forecast, 0 to 1.")
    date: dt.date = Field(description="When this forecast stood, YYYY-MM-DD.")
    source: Citation


class Question(Strict):
    """Did ``outcome`` happen on or before ``deadline``? Resolved with a dated source."""

    id: Id
    text: str = Field(min_length=1)
    outcome: Id = Field(description="An outcome id of the scenario.")
    deadline: dt.date
    resolution: StrictBool = Field(description="true if the outcome happened by the deadline.")
    resolved_on: dt.date = Field(description="The day it happened (true), or the day the "
                                 "question closed without it (false).")
    source: Citation
    note: str = Field("", description="How the outcome's meaning in the model was matched to "
                      "the record, where that is a judgement.")
    crowd: Forecast | None = None

    @model_validator(mode="after")
    def _dates_agree(self):
        if self.resolution and self.resolved_on > self.deadline:
            raise ValueError(f"resolved_on {self.resolved_on} is after the deadline "
                             f"{self.deadline}, so the question resolves false, not true")
        if not self.resolution and self.resolved_on < self.deadline:
            raise ValueError(f"resolved_on {self.resolved_on} is before the deadline "
                             f"{self.deadline}: a question that resolves false is known only "
                             "at its deadline")
        if self.crowd is not None and self.crowd.date > min(self.deadline, self.resolved_on):
            raise ValueError(f"the crowd forecast of {self.crowd.date} was made after the "
                             "question resolved; only a forecast made before it can be scored")
        return self


class QuestionSet(Strict):
    """A question file: the scenario it asks about, and its questions."""

    scenario: str = Field(min_length=1, description="The scenario id the questions are about.")
    title: str = Field(min_length=1)
    note: str = ""
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self):
        seen: set[str] = set()
        for q in self.questions:
            if q.id in seen:
                raise ValueError(f"the question id '{q.id}' is used twice; give each its own")
            seen.add(q.id)
        return self


def builtin_question_ids() -> list[str]:
    """The ids of the question files shipped with powderkeg (named after their scenario)."""
    folder = resources.files("powderkeg.scenario").joinpath(_FOLDER)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read(ref: str) -> tuple[str, str]:
    if ref in builtin_question_ids():
        folder = resources.files("powderkeg.scenario").joinpath(_FOLDER)
        return folder.joinpath(f"{ref}.yaml").read_text("utf-8"), ref
    path = Path(ref)
    if not path.is_file():
        raise InputError(f"Question file '{ref}' is neither a built-in "
                         f"({', '.join(builtin_question_ids())}) nor an existing file. Check "
                         "the spelling or the path.")
    try:
        return path.read_text("utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"Cannot read question file {path}: {e}. Check that it is a readable "
                         "UTF-8 text file.") from None


def load_questions(ref: str) -> QuestionSet:
    """Read and validate a built-in question file id or a YAML file."""
    text, name = _read(str(ref))
    doc = parse(text, name, _WHAT)
    if not isinstance(doc, dict):
        raise InputError(f"{_WHAT} {name} must be a YAML mapping with scenario, title and "
                         f"questions, but it holds {type(doc).__name__}. {_NEEDS}")
    try:
        return QuestionSet.model_validate(doc)
    except ValidationError as e:
        errors = [f"{_place(err['loc'], doc)}: {error_message(err)}" for err in e.errors()]
        more = f" (and {len(errors) - 4} more)" if len(errors) > 4 else ""
        raise InputError(f"{_WHAT} {name} is not valid: {'; '.join(errors[:4])}{more}. "
                         f"{_NEEDS}") from None


def check_against(questions: QuestionSet, name: str, scenario_id: str, outcome_ids: list[str],
                  date: dt.date, horizon_days: int) -> None:
    """Refuse questions that a scenario's runs cannot answer.

    Each outcome must be one of ``outcome_ids``, and each deadline must lie within the days
    scored: from ``date`` (day 0) to ``date + horizon_days``. Another scenario than the
    file's (a variant) gets a :class:`~powderkeg.errors.ResultWarning`.
    """
    last = date + dt.timedelta(days=horizon_days)
    problems = []
    if questions.scenario != scenario_id:
        warnings.warn(f"{_WHAT} {name} is about '{questions.scenario}', but the runs are of "
                      f"'{scenario_id}'; its questions are scored on them all the same (a "
                      "variant shares its base's outcome ids).", ResultWarning,
                      stacklevel=2)
    for i, q in enumerate(questions.questions):
        place = f"questions[{i}] ({q.id})"
        if q.outcome not in outcome_ids:
            problems.append(f"{place}.outcome: '{q.outcome}' is not an outcome of "
                            f"{scenario_id} (its outcomes: {', '.join(outcome_ids)})")
        if not date <= q.deadline <= last:
            problems.append(f"{place}.deadline: {q.deadline} lies outside the days scored, "
                            f"{date} (day 0) to {last} (day {horizon_days}); move it inside, "
                            "or run with a longer --days")
    if problems:
        more = f" (and {len(problems) - 4} more)" if len(problems) > 4 else ""
        raise InputError(f"{_WHAT} {name} does not fit the scenario: "
                         f"{'; '.join(problems[:4])}{more}.")
