"""Loading scenario files: safe YAML, ``extends``, validation, and errors a user can act on.

Every failure raises :class:`~powderkeg.errors.InputError` whose message names the file, the
place inside it (``links[3].capacity``) and what to do.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from powderkeg.errors import InputError
from powderkeg.scenario.references import reference_problems
from powderkeg.scenario.schema import OUTCOME_KINDS, Scenario

__all__ = ["load_scenario", "builtin_ids", "resolve_document", "scenario_to_yaml",
           "with_policy"]

_BUILTIN = "powderkeg.scenario.builtin"
_TAGS = {"fixed", "uniform", "normal", "lognormal", "beta", "triangular", "choice",
         *OUTCOME_KINDS, "str", "Place", "list[str]"}


def builtin_ids() -> list[str]:
    """The ids of the scenarios shipped with powderkeg."""
    return sorted(p.name[:-5] for p in resources.files(_BUILTIN).iterdir()
                  if p.name.endswith(".yaml"))


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
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"Scenario file {name} is not valid YAML{where}: {problem}. Fix the "
                         "syntax there (indentation, a missing colon or quote).") from None
    if not isinstance(doc, dict):
        raise InputError(f"Scenario file {name} must be a YAML mapping of keys (id, title, date, "
                         f"nodes, ...), but it holds a {type(doc).__name__}.")
    return doc


def _is_number(x: Any) -> bool:
    return isinstance(x, dict) and ("value" in x or "dist" in x)


def _merge(base: Any, over: Any) -> Any:
    """Deep merge: mappings key by key, lists of items with ids item by item, else replace.

    A number written as a mapping (``{value: ...}`` or ``{dist: ...}``) replaces the base's
    number whole, so its old distribution and source do not leak into the new value.
    """
    if _is_number(over):
        return copy.deepcopy(over)
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


def resolve_document(ref: str, base_dir: Path | None = None, _seen=()) -> tuple[dict, str]:
    """The scenario document with every ``extends`` applied, and the name it was read from."""
    text, name = _read_text(ref, base_dir)
    doc = _parse(text, name)
    parent = doc.pop("extends", None)
    if parent is None:
        return doc, name
    if not isinstance(parent, str):
        raise InputError(f"Scenario file {name}: 'extends' must name one scenario (a built-in "
                         "id or a file path).")
    if parent in _seen:
        raise InputError(f"Scenario file {name}: 'extends' forms a loop through '{parent}'.")
    here = Path(name).parent if Path(name).exists() else None
    try:
        base, _ = resolve_document(parent, here, (*_seen, ref))
    except InputError as e:
        raise InputError(f"Scenario file {name} extends '{parent}', which failed: {e}") from None
    return _merge(base, doc), name


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


def load_scenario(ref: str) -> Scenario:
    """Load a built-in id or a YAML file into a validated :class:`Scenario`."""
    doc, name = resolve_document(str(ref))
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as e:
        errors = []
        for err in e.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (misspelt, or not part of the format; see `powderkeg schema`)"
            if err["type"] == "union_tag_invalid":
                tag = err.get("ctx", {}).get("tag", "?")
                expected = err.get("ctx", {}).get("expected_tags", "")
                msg = f"unknown kind '{tag}'; expected one of {expected}"
            errors.append((_place(err["loc"], doc), msg))
        raise _explain(errors, name) from None
    problems = reference_problems(scenario)
    if problems:
        raise _explain(problems, name)
    return scenario


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as resolved (every ``extends`` applied), as YAML text."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True,
                               exclude_defaults=True, warnings=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def with_policy(scenario: Scenario, policy: str | None) -> Scenario:
    """The scenario with the opponent's response policy replaced (``None``: unchanged)."""
    if policy is None:
        return scenario
    if scenario.politics is None:
        raise InputError(f"Scenario '{scenario.id}' has no politics section, so a response "
                         "policy has nothing to act on. Leave out --policy or add politics.")
    politics = scenario.politics.model_copy(update={"policy": policy})
    return scenario.model_copy(update={"politics": politics})
