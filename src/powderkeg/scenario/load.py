"""Loading scenario files: safe YAML, ``extends``, validation, and errors a user can act on.

Every failure raises :class:`~powderkeg.errors.InputError` whose message names the file, the
place inside it (``links[3].capacity``) and what to do.
"""

from __future__ import annotations

import copy
import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from powderkeg.errors import InputError
from powderkeg.scenario.messages import error_message
from powderkeg.scenario.references import reference_problems
from powderkeg.scenario.schema import OUTCOME_KINDS, Scenario
from powderkeg.scenario.yamlfile import parse

__all__ = ["load_scenario", "builtin_ids", "resolve_document", "scenario_to_yaml",
           "extend_document", "validate_document", "with_policy"]

_BUILTIN = "powderkeg.scenario.builtin"
#: The longest chain of ``extends`` a scenario may stand on.
MAX_EXTENDS = 100
#: The longest horizon a run may ask for (``--days``); a scenario's date must leave room for it.
MAX_HORIZON_DAYS = 3650
#: A built-in file ``<scenario>-observations.yaml`` holds that scenario's observations (for
#: ``powderkeg fit``), not a scenario of its own.
OBSERVATIONS_SUFFIX = "-observations.yaml"
_TAGS = {"fixed", "uniform", "normal", "lognormal", "beta", "triangular", "choice",
         *OUTCOME_KINDS, "str", "constrained-str", "Place", "list[str]"}


def builtin_ids() -> list[str]:
    """The ids of the scenarios shipped with powderkeg."""
    return sorted(p.name[:-5] for p in resources.files(_BUILTIN).iterdir()
                  if p.name.endswith(".yaml") and not p.name.endswith(OBSERVATIONS_SUFFIX))


def _read_text(ref: str, base_dir: Path | None) -> tuple[str, str]:
    if ref in builtin_ids():
        return resources.files(_BUILTIN).joinpath(f"{ref}.yaml").read_text("utf-8"), ref
    path = Path(ref)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise InputError(
            f"Scenario '{ref}' is neither a built-in ({', '.join(builtin_ids())}) nor an "
            f"existing file. Check the spelling or the path; `powderkeg scenarios` lists the "
            "built-ins."
        )
    try:
        return path.read_text("utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"Cannot read scenario file {path}: {e}. Check that it is a readable "
                         "UTF-8 text file.") from None


def _parse(text: str, name: str) -> dict[str, Any]:
    doc = parse(text, name)
    if not isinstance(doc, dict):
        raise InputError(f"Scenario file {name} must be a YAML mapping of keys (id, title, date, "
                         f"nodes, ...), but it holds a {type(doc).__name__}.")
    return doc


def _is_number(x: Any) -> bool:
    return isinstance(x, dict) and ("value" in x or "dist" in x)


def _merge(base: Any, over: Any) -> Any:
    """Deep merge: mappings key by key, lists of items with ids item by item (the override
    may also write such a list as a mapping keyed by id), else replace.

    A number written as a mapping (``{value: ...}`` or ``{dist: ...}``) replaces the base's
    number whole, so its old distribution and source do not leak into the new value.
    """
    if _is_number(over):
        return copy.deepcopy(over)
    if _id_items(base) and isinstance(over, dict) and all(isinstance(v, dict)
                                                          for v in over.values()):
        over = [{"id": k, **v} for k, v in over.items()]  # a mapping keyed by id, item by item
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    if (isinstance(base, list) and isinstance(over, list)
            and all(isinstance(x, dict) and isinstance(x.get("id"), str) for x in base + over)):
        out = [dict(x) for x in base]
        index = {x["id"]: i for i, x in enumerate(out)}
        for item in over:
            if item["id"] in index:
                out[index[item["id"]]] = _merge(out[index[item["id"]]], item)
            else:
                out.append(item)
        return out
    return copy.deepcopy(over)


def _id_items(x: Any) -> bool:
    """A non-empty list of mappings, each with a string ``id``."""
    return isinstance(x, list) and bool(x) and all(
        isinstance(i, dict) and isinstance(i.get("id"), str) for i in x)


def _chain(ref: str, base_dir: Path | None) -> list[tuple[dict, str]]:
    """The documents of ``ref`` and of every scenario it extends, the file itself first.

    Walked in a loop, not by recursion, so a long chain is an error that says so.
    """
    chain: list[tuple[dict, str]] = []
    parents: list[str] = []
    seen: set[str] = set()
    while True:
        try:
            text, name = _read_text(ref, base_dir)
        except InputError as e:
            if not chain:
                raise
            raise InputError(f"{_extends_path(chain, parents)}, which failed: {e}") from None
        key = name if name in builtin_ids() else str(Path(name).resolve())
        if key in seen:
            raise InputError(f"{_extends_path(chain, parents)}: 'extends' forms a loop back "
                             f"to {name}. Make one of these files a complete scenario, or "
                             "extend a built-in.")
        seen.add(key)
        doc = _anchor_paths(_parse(text, name), name)
        _anchor_case_base(doc, name)
        chain.append((doc, name))
        parent = doc.pop("extends", None)
        if parent is None:
            return chain
        if not isinstance(parent, str):
            raise InputError(f"Scenario file {name}: 'extends' must name one scenario (a "
                             "built-in id or a file path).")
        parents.append(parent)
        if len(parents) > MAX_EXTENDS:
            raise InputError(f"{_extends_path(chain, parents)}: a chain of more than "
                             f"{MAX_EXTENDS} 'extends'. Extend a scenario closer to the base, "
                             "or write out a complete one.")
        base_dir = Path(name).parent if Path(name).exists() else None
        ref = parent


def _anchor_case_base(doc: dict, name: str) -> None:
    """Make a case file named in ``politics.case_base`` relative to the scenario file that
    names it (a built-in's: relative to the built-in folder)."""
    politics = doc.get("politics")
    if not isinstance(politics, dict) or not isinstance(politics.get("case_base"), str):
        return
    here = (Path(str(resources.files(_BUILTIN).joinpath(f"{name}.yaml"))).parent
            if name in builtin_ids() else Path(name).parent)
    politics["case_base"] = {"path": str((here / politics["case_base"]).resolve()),
                             "file": politics["case_base"], "named_in": name}


def _read_case_base(doc: dict) -> None:
    """Replace a named case file in ``politics.case_base`` by its contents, so the scenario
    carries its evidence (into results, resumed jobs and workers)."""
    from powderkeg.scenario.cases import case_base_document

    politics = doc.get("politics")
    named = politics.get("case_base") if isinstance(politics, dict) else None
    if isinstance(named, dict) and "path" in named:
        try:
            politics["case_base"] = case_base_document(named["path"], named["file"])
        except InputError as e:
            raise InputError(f"Scenario file {named['named_in']}, politics.case_base: {e}") \
                from None


#: Keys naming a file or folder relative to the scenario file that names it.
PATH_KEYS = ("observations", "posterior", "borders")


def _anchor_paths(doc: dict, name: str) -> dict:
    """``doc`` with its relative :data:`PATH_KEYS` made relative to the file ``name`` (a
    built-in's to the built-in folder), so they survive ``extends`` from another folder."""
    for key in PATH_KEYS:
        value = doc.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            base = (Path(str(resources.files(_BUILTIN).joinpath(f"{name}.yaml"))).parent
                    if name in builtin_ids() else Path(name).parent)
            doc[key] = str(base / value)
    return doc


def _extends_path(chain: list[tuple[dict, str]], parents: list[str]) -> str:
    """``Scenario file a.yaml extends 'b.yaml', which extends 'c.yaml'``, shortened if long."""
    steps = [f"'{p}'" for p in parents]
    if len(steps) > 4:
        steps = [*steps[:2], f"... ({len(steps) - 3} more)", steps[-1]]
    return f"Scenario file {chain[0][1]} extends " + ", which extends ".join(steps)


def resolve_document(ref: str, base_dir: Path | None = None) -> tuple[dict, str]:
    """The scenario document with every ``extends`` applied, and the name it was read from."""
    chain = _chain(ref, base_dir)
    doc = chain[-1][0]
    for over, _ in reversed(chain[:-1]):
        doc = _merge(doc, over)
    _read_case_base(doc)
    return doc, chain[0][1]


def _place(loc: tuple, doc: dict) -> str:
    parts: list[str] = []
    node: Any = doc
    for item in loc:
        is_key = isinstance(node, dict) and item in node
        if isinstance(item, str) and not is_key and (item in _TAGS or "[" in item or "(" in item):
            continue
        if isinstance(item, int):
            label = ""
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label = f" ({node['id']})"
            parts.append(f"[{item}]{label}")
        else:
            item = {"from_": "from"}.get(item, item)
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _explain(errors: list[tuple[str, str]], name: str) -> InputError:
    shown = "; ".join(f"{place}: {msg}" for place, msg in errors[:6])
    more = f" (and {len(errors) - 6} more)" if len(errors) > 6 else ""
    return InputError(f"Scenario file {name} is not valid: {shown}{more}. Fix these places in "
                      f"the file and check it with `powderkeg validate {name}`.")


def _date_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """The scenario's date must leave room for the longest horizon a run may ask for."""
    last = dt.date.max - dt.timedelta(days=MAX_HORIZON_DAYS)
    if scenario.date <= last:
        return []
    return [("date", f"{scenario.date} is too late: a run may last up to {MAX_HORIZON_DAYS:,} "
                     f"days and the calendar ends on {dt.date.max}, so the latest date is "
                     f"{last}")]


def load_scenario(ref: str) -> Scenario:
    """Load a built-in id or a YAML file into a validated :class:`Scenario`."""
    return validate_document(*resolve_document(str(ref)))


def extend_document(base: str, over: dict) -> dict:
    """The document of scenario ``base`` (resolved) with ``over`` applied as ``extends`` would."""
    return _merge(resolve_document(base)[0], over)


def validate_document(doc: dict, name: str) -> Scenario:
    """Validate a resolved scenario document; errors name ``name`` as a file's would be named."""
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as e:
        errors = [(_place(err["loc"], doc), error_message(err)) for err in e.errors()]
        raise _explain(errors, name) from None
    problems = _date_problems(scenario) + reference_problems(scenario)
    if problems:
        raise _explain(problems, name)
    return scenario


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as resolved (every ``extends`` applied), as YAML text.

    Written by libyaml when PyYAML has it (the same text as PyYAML's Python emitter, at a
    fifth of its CPU; design note 034).
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True,
                               exclude_defaults=True, warnings=False)
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                     sort_keys=False, allow_unicode=True, width=100)


def with_policy(scenario: Scenario, policy: str | None) -> Scenario:
    """The scenario with the opponent's response policy replaced (``None``: unchanged)."""
    if policy is None:
        return scenario
    if scenario.politics is None:
        raise InputError(f"Scenario '{scenario.id}' has no politics section, so a response "
                         "policy has nothing to act on. Leave out --policy or add politics.")
    if policy not in scenario.politics.policies:
        raise InputError(f"Unknown response policy '{policy}' for scenario '{scenario.id}': its "
                         f"politics.policies are {', '.join(scenario.politics.policies)}. Give "
                         "one of them, or declare the policy in the scenario.")
    politics = scenario.politics.model_copy(update={"policy": policy})
    return scenario.model_copy(update={"politics": politics})
