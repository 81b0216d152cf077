"""The spec reference in Markdown, generated from the models' descriptions (the schema is the documentation)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from cjmgen.spec.messages import _args, _model_in

PIPE = "\\|"


def reference_markdown(model: type[BaseModel]) -> str:
    """One table per spec block: key, type, default, description."""
    out: list[str] = []
    _block(model, "", out, seen=set())
    return "\n".join(out).rstrip() + "\n"


def _block(model: type[BaseModel], path: str, out: list[str], seen: set[str]) -> None:
    if path in seen:
        return
    seen.add(path)
    title = f"`{path}`" if path else "top level"
    doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
    out += [f"#### {title}", "", doc, "", "| key | type | default | meaning |", "|---|---|---|---|"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        default = _default(field)
        meaning = (field.description or "").replace("|", PIPE)
        out.append(f"| `{name}` | {_type(field.annotation)} | {default} | {meaning} |")
        inner = _model_in(_unwrap(field.annotation))
        if inner is not None:
            nested.append((_child(path, name, field.annotation), inner))
    out.append("")
    for child, inner in nested:
        _block(inner, child, out, seen)


def _unwrap(annotation: Any) -> Any:
    for arg in _args(annotation):
        origin = typing.get_origin(arg)
        if origin in (list, dict):
            return typing.get_args(arg)[-1]
    return annotation


def _child(path: str, name: str, annotation: Any) -> str:
    base = f"{path}.{name}" if path else name
    for arg in _args(annotation):
        origin = typing.get_origin(arg)
        if origin is list:
            return f"{base}[]"
        if origin is dict:
            return f"{base}.<name>"
    return base


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        return "—" if isinstance(value, BaseModel) else f"`{value}`".replace("|", "\\|")
    if field.default is None or field.default is PydanticUndefined:
        return "—"
    return f"`{field.default}`"


def _type(annotation: Any) -> str:
    names = []
    for arg in _args(annotation):
        origin = typing.get_origin(arg)
        if arg is type(None):
            continue
        if origin is typing.Literal:
            names.append(" \\| ".join(str(v) for v in typing.get_args(arg)))
        elif origin is list:
            names.append(f"list of {_type(typing.get_args(arg)[0])}")
        elif origin is dict:
            names.append(f"map of {_type(typing.get_args(arg)[1])}")
        else:
            names.append(getattr(arg, "__name__", str(arg)).replace("Path", "path").lower())
    return " or ".join(names) or "any"
