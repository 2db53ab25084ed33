"""Validation errors in the terms of the file: what was written and what belongs there.

pydantic's own messages name the schema's classes ("a valid dictionary or instance of
Supply"); a scenario author never sees those, only what the place needs and what it holds.
"""

from __future__ import annotations

from typing import Any

__all__ = ["error_message"]


def _what(value: Any) -> str:
    """How a wrong value reads in a message: ``the text 'abc'``, ``a list``, ``empty``."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f"the text {value[:60]!r}"
    return {"dict": "a mapping", "list": "a list"}.get(type(value).__name__, "another kind")


def error_message(err: dict) -> str:
    """A validation error in the file's terms, never naming the schema's classes."""
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (misspelt, or not part of the format; see `powderkeg schema`)"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", "?")
        expected = err.get("ctx", {}).get("expected_tags", "")
        return f"unknown kind '{tag}'; expected one of {expected}"
    if kind == "union_tag_not_found":
        key = err.get("ctx", {}).get("discriminator", "'kind'")
        return f"needs the key {key}, which says what kind of item it is (see `powderkeg schema`)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys (key: value), but it is {_what(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list ([a, b], or lines starting with '- '), but it is {_what(value)}"
    if kind.startswith("date_"):
        return (f"must be a date written YYYY-MM-DD that exists on the calendar, but it is "
                f"{_what(value)}")
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
        return f"must be a number, but it is {_what(value)}"
    return err["msg"].removeprefix("Value error, ")
