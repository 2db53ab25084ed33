"""Malformed scenario files are always rejected with an error a user can act on.

Property-based tests: hypothesis takes the built-in scenario (``autumn-2022``, resolved to a
plain YAML document), breaks it in one place (a number turned into a string, a bool or an
unknown distribution, a required key deleted, an unknown key added, a link pointed at an
unknown node, an impossible distribution, a probability above one, a negative size) and
checks that

* :func:`powderkeg.scenario.load.load_scenario` raises :class:`powderkeg.errors.InputError`
  whose message names the file and the place of the mistake (``links[3] (id).capacity``
  or ``links[3].to``), and
* ``powderkeg validate FILE`` exits with code 2 and prints that message as one paragraph on
  standard error, with no traceback.

Known bugs of the loader are pinned by the ``xfail(strict=True)`` tests at the end.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.errors import InputError
from powderkeg.scenario import schema as S
from powderkeg.scenario.load import load_scenario, resolve_document

BASE, _ = resolve_document("autumn-2022")
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Few examples each and a fixed seed: the whole file runs in well under a minute and fails
# the same way every time.
LOADER = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
CLI = settings(max_examples=30, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# Where things are in the built-in document
# ---------------------------------------------------------------------------------------------

Path_ = tuple  # a path into the document: keys and list indices


def _walk(node: Any, path: Path_ = ()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


def _get(doc: Any, path: Path_) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_param(v: Any) -> bool:
    return isinstance(v, dict) and ("dist" in v or "value" in v)


def _param_of(path: Path_) -> Path_:
    """The path of the number (Param) a leaf belongs to, or the leaf itself."""
    parent = _get(BASE, path[:-1]) if path else None
    return path[:-1] if _is_param(parent) else path


# The sections of the theater model (a later section, e.g. politics, has its own tests).
SECTIONS = ("nodes", "links", "sectors", "supply", "fires", "deep_strikes", "model", "outcomes")


def _in_scope(path: Path_) -> bool:
    return not path or path[0] in SECTIONS


NUMBER_LEAVES = [p for p, v in _walk(BASE) if _is_number(v) and _in_scope(p)]
PARAMS = [p for p, v in _walk(BASE) if _is_param(v) and _in_scope(p)]
MAPPINGS = [p for p, v in _walk(BASE) if isinstance(v, dict) and _in_scope(p)]

# Numbers that may legitimately be negative: coordinates, and the per-mode defaults of
# damage and repair (plain, unbounded Params in the schema; see test_bymode_... below).
_MAY_BE_NEGATIVE = ("lat", "lon")
_UNBOUNDED = (("model", "logistics", "damage_fraction"), ("model", "logistics", "repair_days"))
NONNEGATIVE_LEAVES = [
    p for p in NUMBER_LEAVES
    if p[-1] not in _MAY_BE_NEGATIVE and not any(p[:len(u)] == u for u in _UNBOUNDED)
]

PROBABILITIES = (
    [("links", i, "at_start") for i in range(len(BASE["links"]))]
    + [("fires", i, k) for i in range(len(BASE["fires"]))
       for k in ("interdiction_share", "hit_probability", "interception_probability")]
    + [("deep_strikes", i, "success_probability") for i in range(len(BASE["deep_strikes"]))]
    + [("model", "combat", k) for k in ("weiss_exponent", "static_intensity",
                                         "river_advance_factor")]
    + [("model", "logistics", "supply_floor")]
    + [("model", "withdrawal", k) for k in ("supply_ratio_below", "daily_probability",
                                             "loss_fraction")]
    + [("outcomes", i, "fraction") for i, o in enumerate(BASE["outcomes"]) if "fraction" in o]
)

# The schema class behind each mapping of the document (None: a list index).
_MODELS: dict[Path_, type] = {
    (): S.Scenario, ("nodes", None): S.Node, ("links", None): S.Link,
    ("sectors", None): S.Sector, ("sectors", None, "objectives", None): S.Marker,
    ("sectors", None, "rivers", None): S.Marker, ("sectors", None, "bridgehead"): S.Bridgehead,
    ("supply",): S.Supply, ("supply", "sources", None): S.SupplySource,
    ("supply", "demands", None): S.Demand, ("fires", None): S.Fires,
    ("deep_strikes", None): S.DeepStrike, ("model",): S.ModelParams,
    ("model", "combat"): S.Combat, ("model", "logistics"): S.Logistics,
    ("model", "logistics", "damage_fraction"): S.DamageByMode,
    ("model", "logistics", "repair_days"): S.RepairByMode, ("model", "withdrawal"): S.Withdrawal,
    ("outcomes", None, "targets", None): S.ObjectiveRef,
}
_OUTCOMES = {"objective_taken": S.ObjectiveTaken, "sector_withdrawn": S.SectorWithdrawn,
             "link_capacity_at_least": S.LinkCapacityAtLeast, "link_struck": S.LinkStruck,
             "supply_below": S.SupplyBelow}
_DISTS = {"uniform": "Uniform", "normal": "Normal", "lognormal": "LogNormal", "beta": "Beta",
          "triangular": "Triangular", "choice": "Choice"}


def _model_at(path: Path_, value: dict) -> type | None:
    from powderkeg.scenario import params as P

    if _is_param(value):
        return P.Fixed if "value" in value else getattr(P, _DISTS[value["dist"]])
    if len(path) == 2 and path[0] == "outcomes":
        return _OUTCOMES.get(value.get("kind"))
    return _MODELS.get(tuple(None if isinstance(k, int) else k for k in path))


def _required(cls: type) -> list[str]:
    return [f.alias or name for name, f in cls.model_fields.items() if f.is_required()]


REQUIRED_KEYS = [
    (*p, key) for p, v in _walk(BASE)
    if isinstance(v, dict) and _in_scope(p) and (m := _model_at(p, v))
    for key in _required(m) if key in v
]

# ---------------------------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------------------------

_DELETE = object()


@dataclass(frozen=True)
class Mutation:
    """One change to the built-in document, and the place its error must be reported at."""

    what: str
    path: Path_
    value: Any = field(default=_DELETE, repr=False)
    place: Path_ = ()  # the error is reported here or below it
    words: tuple[str, ...] = ()  # must also appear in the message

    def __repr__(self):
        v = "<delete>" if self.value is _DELETE else repr(self.value)
        return f"Mutation({self.what}: {_fmt(self.path)} = {v}; error at {_fmt(self.place)})"

    def apply(self) -> dict:
        doc = copy.deepcopy(BASE)
        parent = _get(doc, self.path[:-1])
        if self.value is _DELETE:
            del parent[self.path[-1]]
        else:
            parent[self.path[-1]] = copy.deepcopy(self.value)
        return doc


def _fmt(path: Path_) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


_WORDS = ["lots", "many", "unknown", "plenty", "ten", "tbd", "several", "a few", "n/a", "?"]
_KNOWN_DISTS = {"fixed", *_DISTS}
unknown_dist_names = st.from_regex(r"\A[a-z][a-z_]{2,11}\Z").filter(
    lambda s: s not in _KNOWN_DISTS)
unknown_keys = st.from_regex(r"\A[a-z][a-z0-9_]{0,9}\Z").map(lambda s: f"zz_{s}")
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
notes = st.sampled_from([{}, {"note": "assumption"}, {"source": "[S01]"}])


@st.composite
def number_as_string(draw):
    path = draw(st.sampled_from(NUMBER_LEAVES))
    return Mutation("number written as text", path, draw(st.sampled_from(_WORDS)), path)


@st.composite
def param_as_bool(draw):
    path = draw(st.sampled_from(PARAMS))
    return Mutation("number written as true/false", path, draw(st.booleans()), path,
                    ("true/false",))


@st.composite
def unknown_distribution(draw):
    name = draw(unknown_dist_names)
    value = {"dist": name, "shape": draw(positive), **draw(notes)}
    if draw(st.booleans()):
        path = draw(st.sampled_from(PARAMS))
        return Mutation("unknown distribution", path, value, path, (f"unknown kind '{name}'",))
    path = draw(st.sampled_from(NUMBER_LEAVES))  # a mapping where a plain number belongs
    return Mutation("unknown distribution", path, value, path)


@st.composite
def missing_required_key(draw):
    path = draw(st.sampled_from(REQUIRED_KEYS))
    parent = _get(BASE, path[:-1])
    # A Param without 'value' and an outcome without 'kind' are reported at the item itself.
    place = path[:-1] if _is_param(parent) or path[-1] == "kind" else path
    return Mutation("required key deleted", path, _DELETE, place)


@st.composite
def unknown_key(draw):
    where = draw(st.sampled_from(MAPPINGS))
    key = draw(unknown_keys.filter(lambda k: k not in _get(BASE, where)))
    value = draw(st.sampled_from([1, 2.5, [1, 2]]))
    return Mutation("unknown key", (*where, key), value, (*where, key))


@st.composite
def unknown_link_node(draw):
    i = draw(st.integers(0, len(BASE["links"]) - 1))
    end = draw(st.sampled_from(["from", "to"]))
    name = draw(st.from_regex(r"\A[a-z][a-z0-9_]{0,9}\Z").map(lambda s: f"nowhere_{s}"))
    return Mutation("link to an unknown node", ("links", i, end), name, ("links", i, end),
                    (f"unknown node '{name}'",))


@st.composite
def impossible_distribution(draw):
    path = draw(st.sampled_from(PARAMS))
    x, d = draw(positive), draw(st.floats(0, 1e4, allow_nan=False))
    bad = st.sampled_from([
        {"dist": "uniform", "low": x + d, "high": x},                   # low >= high
        {"dist": "lognormal", "median": x, "sigma": -d},                # sigma <= 0
        {"dist": "lognormal", "median": -d, "sigma": 0.5},              # median <= 0
        {"dist": "beta", "a": -d, "b": 2.0},                            # a <= 0
        {"dist": "beta", "a": 2.0, "b": -d},                            # b <= 0
        {"dist": "triangular", "low": 0.0, "mode": 1.0 + x, "high": 1.0},   # mode > high
        {"dist": "triangular", "low": x, "mode": x - 1.0 - d, "high": x + 1},  # mode < low
        {"dist": "normal", "mean": x, "sd": -d},                        # sd <= 0
        {"dist": "choice", "values": []},                               # no values
        {"dist": "choice", "values": [1.0, 2.0], "weights": [1.0]},     # weights mismatch
        {"dist": "choice", "values": [1.0, 2.0], "weights": [-x, 0.0]},  # negative weights
    ])
    return Mutation("impossible distribution", path, {**draw(bad), **draw(notes)}, path)


@st.composite
def probability_above_one(draw):
    path = draw(st.sampled_from(PROBABILITIES))
    p = draw(st.floats(1.0, 100.0, exclude_min=True, allow_nan=False))
    if path[0] == "outcomes":
        return Mutation("probability above one", path, p, path)
    value = draw(st.sampled_from([p, {"value": p}, {"dist": "uniform", "low": 0.5, "high": p}]))
    return Mutation("probability above one", path, value, path)


@st.composite
def negative_size(draw):
    path = draw(st.sampled_from(NONNEGATIVE_LEAVES))
    return Mutation("negative number", path, -draw(positive), _param_of(path))


MUTATIONS = st.one_of(number_as_string(), param_as_bool(), unknown_distribution(),
                      missing_required_key(), unknown_key(), unknown_link_node(),
                      impossible_distribution(), probability_above_one(), negative_size())

# ---------------------------------------------------------------------------------------------
# Checking the message
# ---------------------------------------------------------------------------------------------


def place_regex(doc: dict, path: Path_) -> str:
    """A regex for the place as the loader writes it: ``links[3] (kerch_ferry).capacity``.

    The ``(id)`` label after a list index is optional (cross-reference problems omit it), and
    the error may sit deeper than ``path`` (``...capacity.sigma``).
    """
    out, node = [], doc
    for k in path:
        if isinstance(k, int):
            node = node[k] if isinstance(node, list) and k < len(node) else None
            label = node.get("id") if isinstance(node, dict) else None
            opt = f"(?: {re.escape(f'({label})')})?" if isinstance(label, str) else ""
            out.append(re.escape(f"[{k}]") + opt)
        else:
            out.append((r"\." if out else "") + re.escape(str(k)))
            node = node.get(k) if isinstance(node, dict) else None
    deeper = r"(?:\.[A-Za-z0-9_]+|\[\d+\](?: \([^)]*\))?)*"
    return r"(?:is not valid: |; )" + "".join(out) + deeper + ": "


def assert_names_file_and_place(message: str, file: Path, m: Mutation, doc: dict):
    assert str(file) in message, message
    assert re.search(place_regex(doc, m.place), message), (
        f"{m!r}: expected the place {_fmt(m.place)} in: {message}")
    for w in m.words:
        assert w in message, message


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("malformed")


def write(doc: dict, folder: Path, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True),
                    "utf-8")
    return path


def assert_rejected(m: Mutation, folder: Path):
    doc = m.apply()
    path = write(doc, folder)
    with pytest.raises(InputError) as info:
        load_scenario(str(path))
    assert_names_file_and_place(str(info.value), path, m, doc)


# ---------------------------------------------------------------------------------------------
# The tables above are what they claim to be
# ---------------------------------------------------------------------------------------------


def test_builtin_document_is_valid_and_the_mutation_tables_are_not_empty(workdir):
    load_scenario(str(write(BASE, workdir, "unchanged.yaml")))
    for table in (NUMBER_LEAVES, PARAMS, MAPPINGS, NONNEGATIVE_LEAVES, PROBABILITIES,
                  REQUIRED_KEYS):
        assert len(table) > 5
    assert ("links", 3, "to") in REQUIRED_KEYS and ("model", "combat") in REQUIRED_KEYS
    assert ("links", 0, "capacity", "value") in NUMBER_LEAVES


# ---------------------------------------------------------------------------------------------
# Loader: one property per kind of mistake
# ---------------------------------------------------------------------------------------------


@LOADER
@given(number_as_string())
@example(Mutation("number written as text", ("links", 4, "capacity", "value"), "lots",
                  ("links", 4, "capacity", "value")))
def test_loader_rejects_text_where_a_number_belongs_naming_its_place(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(param_as_bool())
def test_loader_rejects_true_false_as_a_number_naming_its_place(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(unknown_distribution())
def test_loader_rejects_an_unknown_distribution_naming_it_and_its_place(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(missing_required_key())
@example(Mutation("required key deleted", ("links", 3, "to"), _DELETE, ("links", 3, "to")))
@example(Mutation("required key deleted", ("model",), _DELETE, ("model",)))
def test_loader_rejects_a_missing_required_key_naming_its_place(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(unknown_key())
@example(Mutation("unknown key", ("outcome",), [], ("outcome",)))
def test_loader_rejects_an_unknown_key_naming_it(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(unknown_link_node())
@example(Mutation("link to an unknown node", ("links", 3, "to"), "nowhere", ("links", 3, "to"),
                  ("unknown node 'nowhere'",)))
def test_loader_rejects_a_link_to_an_unknown_node_naming_the_link_end(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(impossible_distribution())
def test_loader_rejects_impossible_distribution_parameters_naming_the_number(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(probability_above_one())
def test_loader_rejects_a_probability_above_one_naming_the_number(workdir, m):
    assert_rejected(m, workdir)


@LOADER
@given(negative_size())
def test_loader_rejects_a_negative_count_size_or_rate_naming_the_number(workdir, m):
    assert_rejected(m, workdir)


# ---------------------------------------------------------------------------------------------
# Command line: the same mistakes through `powderkeg validate`
# ---------------------------------------------------------------------------------------------


def assert_one_paragraph_error(result, file: Path, m: Mutation | None = None, doc=None):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    text = result.stderr.strip()
    assert text.startswith("error:") and "\n" not in text, result.stderr
    if m is not None:
        assert_names_file_and_place(text, file, m, doc)


@CLI
@given(MUTATIONS)
def test_validate_command_exits_2_with_one_paragraph_naming_file_and_place(workdir, m):
    doc = m.apply()
    path = write(doc, workdir, "cli.yaml")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert_one_paragraph_error(result, path, m, doc)


# ---------------------------------------------------------------------------------------------
# Known bugs, pinned: each turns into an XPASS (a failure) once it is fixed
# ---------------------------------------------------------------------------------------------


def _variant(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text("extends: autumn-2022\n" + text, "utf-8")
    return path


def _mutated(folder: Path, path: Path_, value: Any) -> Path:
    return write(Mutation("reproducer", path, value).apply(), folder, "reproducer.yaml")


@pytest.mark.parametrize("path, value", [
    (("links", 4, "capacity"), math.nan),
    (("links", 4, "at_start"), {"value": math.nan, "note": "x"}),
    (("links", 4, "capacity"), {"dist": "choice", "values": [1, 2], "weights": [math.nan, 1]}),
])
def test_loader_rejects_nan_numbers(workdir, path, value):
    with pytest.raises(InputError, match=re.escape("links[4] (rostov_taman_rail)")):
        load_scenario(str(_mutated(workdir, path, value)))


@pytest.mark.parametrize("path, value", [
    (("links", 4, "capacity"), {"value": True, "note": "x"}),
    (("nodes", 0, "lat"), True),
])
def test_loader_rejects_true_false_inside_a_number_mapping(workdir, path, value):
    with pytest.raises(InputError):
        load_scenario(str(_mutated(workdir, path, value)))


@pytest.mark.parametrize("path, value", [
    (("model", "logistics", "damage_fraction", "rail"), {"value": 1.5, "note": "x"}),
    (("model", "logistics", "repair_days", "rail"), {"value": -5, "note": "x"}),
])
def test_bymode_damage_fraction_and_repair_days_are_bounded(workdir, path, value):
    with pytest.raises(InputError, match=re.escape(_fmt(path))):
        load_scenario(str(_mutated(workdir, path, value)))


def test_unhashable_id_in_an_extends_override_is_an_input_error(workdir):
    path = _variant(workdir, "unhashable.yaml",
                    "links:\n  - {id: [a, b], from: kerch, to: dzhankoi, mode: rail, "
                    "capacity: 5}\n")
    with pytest.raises(InputError):
        load_scenario(str(path))


def test_extends_can_replace_a_distribution_by_a_fixed_value_with_a_note(workdir):
    path = _variant(workdir, "fixed_over_dist.yaml",
                    "links:\n  - id: kerch_bridge_rail\n"
                    "    repair_days: {value: 400, note: 'what-if: never repaired'}\n")
    s = load_scenario(str(path))
    assert s.links[0].repair_days.value == 400


def test_missing_parent_error_names_the_file_that_extends_it(workdir):
    path = _variant(workdir, "orphan.yaml", "")
    path.write_text("extends: autumn-2099\n", "utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(str(path))
    assert "autumn-2099" in str(info.value)
    assert str(path) in str(info.value)


def test_unknown_key_named_like_a_distribution_is_named_in_the_message(workdir):
    doc = copy.deepcopy(BASE)
    doc["uniform"] = 1
    path = write(doc, workdir, "tagkey.yaml")
    with pytest.raises(InputError) as info:
        load_scenario(str(path))
    assert "uniform: unknown key" in str(info.value)
