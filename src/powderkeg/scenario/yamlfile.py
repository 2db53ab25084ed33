"""Reading YAML text the way a scenario author means it.

PyYAML's safe loader follows YAML 1.1, which surprises authors three ways: ``1e5`` is text
(1.1 wants ``1.0e+5``), a date-like value anywhere becomes a date (so ``2022-02-30``, even
inside a note, raises an exception while parsing), and a key written twice silently keeps
the last value. :class:`Loader` reads numbers in every standard notation (YAML 1.2's
``1e5``, ``1.5E+3``, ``-2.5e-3``, ``.5``, and 1.1's ``1_000``), leaves dates as text for the
schema to check, and refuses duplicate keys; :func:`parse` turns every problem into an
:class:`~powderkeg.errors.InputError` naming the file and the line.

Valid documents are read by libyaml (PyYAML's C parser, :class:`_FastLoader`, the same
rules) when PyYAML has it: about 4x less CPU than PyYAML's Python parser, which a command
paid three times over before its first run (design note 034). A document libyaml refuses is
read again by :class:`Loader`, so every error says exactly what the Python parser says.

>>> parse("a: 1e5\\nb: 1_000\\nc: 2022-02-30\\n", "example.yaml")
{'a': 100000.0, 'b': 1000, 'c': '2022-02-30'}
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from powderkeg.errors import InputError

__all__ = ["Loader", "DuplicateKeyError", "parse"]

_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_FLOAT_RE = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                           |[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                           |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
                           |[-+]?\.(?:inf|Inf|INF)
                           |\.(?:nan|NaN|NAN))$""", re.X)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping that names the same key twice."""

    def __init__(self, key: Any, first: yaml.Mark, again: yaml.Mark):
        super().__init__("while reading a mapping", first,
                         f"found duplicate key '{key}'", again)
        self.key, self.first, self.again = key, first, again


class _AuthorRules:
    """Duplicate keys refused; mixed into a safe loader (its ``construct_mapping`` follows)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: the safe loader explains it
                    continue
                if first is not key_node.start_mark:
                    raise DuplicateKeyError(key, first, key_node.start_mark)
        return super().construct_mapping(node, deep)


class Loader(_AuthorRules, yaml.SafeLoader):
    """The safe loader with YAML 1.2 floats, dates left as text and duplicate keys refused."""


class _FastLoader(_AuthorRules, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """:class:`Loader`'s rules on libyaml's parser (PyYAML's own if it was built without)."""


for _loader in (Loader, _FastLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_FLOAT, _TIMESTAMP)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(_FLOAT, _FLOAT_RE, list("-+0123456789."))


def parse(text: str, name: str, what: str = "Scenario file") -> Any:
    """The YAML document in ``text`` read by :class:`Loader`.

    Raises
    ------
    InputError
        Naming ``what``, the file ``name``, the line and column, and the fix: for a syntax
        error, a duplicate key, or a document nested too deeply to read.
    """
    try:
        return yaml.load(text, Loader=_FastLoader)  # safe loaders: they build no Python objects
    except (yaml.YAMLError, RecursionError):
        pass  # read again below, for the Python parser's own message
    try:
        return yaml.load(text, Loader=Loader)
    except DuplicateKeyError as e:
        raise InputError(
            f"{what} {name} gives the key '{e.key}' twice in one mapping, at line "
            f"{e.first.line + 1} and again at line {e.again.line + 1}. Keep only one of them "
            "(YAML would silently use the last).") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"{what} {name} is not valid YAML{where}: {problem}. Fix the syntax "
                         "there (indentation, a missing colon or quote).") from None
    except RecursionError:
        raise InputError(f"{what} {name} is nested too deeply to read (lists or mappings "
                         "inside each other thousands of levels deep). Flatten it.") from None
