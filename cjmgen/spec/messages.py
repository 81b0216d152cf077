"""Turn pydantic's error records into messages that say what was expected and what was found."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel

from cjmgen.spec.locator import Loc


def shown(value: Any, limit: int = 80) -> str:
    """A value the user wrote, quoted for a message: one line, at most `limit` characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


PLAIN_WORDS = {
    "path_type": "expected a file path (text)",
    "dict_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}
"""Pydantic's wording for type errors (`input is not a valid path for <class 'pathlib.Path'>`) in plain words."""


def describe(error: dict[str, Any], model: type[BaseModel], loc: Loc) -> str:
    """One message for one pydantic error: expected …, got …."""
    kind, found = error["type"], shown(error.get("input"))
    if kind in PLAIN_WORDS:
        return f"{PLAIN_WORDS[kind]}, got {found}"
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of: {', '.join(allowed)}" if allowed else "")
        return f"unknown key {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"expected {error['ctx']['expected']}, got {found}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{error['msg'].lower()}, got {found}"
    if kind.startswith(("date_", "datetime_")):
        return f"expected a date like 2023-12-31, got {found}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "string_pattern_mismatch" and "#" in str(error.get("ctx", {}).get("pattern", "")):
        return f"expected a colour like '#1f4e79', got {found}"
    message = " ".join(str(error["msg"]).split())
    message = message[0].lower() + message[1:] if message else message
    if kind.endswith(("_type", "_parsing")) or kind.startswith("date"):
        return f"{message}, got {found}"
    return message


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model accepts at loc (walking fields, lists and dicts)."""
    target: Any = model
    for part in loc:
        target = _inner(target, part)
        if target is None:
            return []
    target = _model_in(target)
    return list(target.model_fields) if target else []


def _inner(annotation: Any, part: str | int) -> Any:
    model = _model_in(annotation)
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    for arg in _args(annotation):
        origin = typing.get_origin(arg)
        if origin is list and isinstance(part, int):
            return typing.get_args(arg)[0]
        if origin is dict:
            return typing.get_args(arg)[1]
    return None


def _args(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _args(arg)]
    if origin is typing.Annotated:
        return _args(typing.get_args(annotation)[0])
    return [annotation]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for arg in _args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
