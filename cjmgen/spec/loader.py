"""Read a YAML/TOML spec keeping every node's position, validate it, and report all errors at once."""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from cjmgen.errors import Problem, UserError
from cjmgen.spec.checks import Check, reference_problems
from cjmgen.spec.locator import Loc, Locator
from cjmgen.spec.messages import describe
from cjmgen.spec.models import SpecBase, Strict


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with its file, folder, hash and locator (for errors found later, e.g. in data)."""

    spec: SpecBase
    path: Path
    locator: Locator
    sha256: str

    @property
    def base_dir(self) -> Path:
        return self.path.parent


@functools.cache
def spec_model(params: tuple[tuple[str, type[BaseModel]], ...]) -> type[SpecBase]:
    """The Spec model with an `analyses` block holding one optional field per registered analysis."""
    fields: dict[str, Any] = {
        name: (model | None, Field(None, description=(model.__doc__ or name).strip().splitlines()[0]))
        for name, model in params
    }
    analyses = create_model("Analyses", __base__=Strict, __doc__="Analyses to run, each with its parameters.", **fields)
    return create_model(
        "Spec", __base__=SpecBase, __doc__=SpecBase.__doc__,
        analyses=(analyses, Field(default_factory=analyses, description="Analyses to run: rfm, cohorts, …")),
    )


def load_spec(path: Path, params: Mapping[str, type[BaseModel]], checks: tuple[Check, ...] = ()) -> LoadedSpec:
    """Parse and validate the spec at path; raise UserError listing every problem with its position.

    Cross-reference checks (built-in plus `checks`) run even when some blocks are invalid, on the blocks
    that are valid, so one run reports every problem.
    """
    path = Path(path)
    display = str(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise UserError(Problem(display, f"cannot read the spec: {exc.strerror or exc}")) from None
    text = _decode(raw_bytes, display)
    locator = _parse_toml(text, path, display) if path.suffix.lower() == ".toml" else _parse_yaml(text, path, display)
    if not isinstance(locator.data, dict):
        raise UserError(Problem(display, "expected a mapping with project, sources, analyses, report", line=1, column=1))
    model = spec_model(tuple(params.items()))
    try:
        spec, problems = model.model_validate(locator.data), []
    except ValidationError as exc:
        spec, problems = _partial(model, locator.data), _problems(exc, locator, model)
    findings = reference_problems(spec, path.parent, checks, partial=bool(problems))
    problems += [locator.problem(loc, msg, key=key) for loc, msg, key in findings]
    if problems:
        raise UserError(problems)
    return LoadedSpec(spec, path, locator, hashlib.sha256(raw_bytes).hexdigest())


def _partial(model: type[SpecBase], data: dict[str, Any]) -> SpecBase:
    """The valid part of an invalid spec (invalid blocks and sources left out), for cross-reference checks."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name not in data:
            continue
        raw = data[name]
        if name == "sources" and isinstance(raw, dict):
            item: TypeAdapter[Any] = TypeAdapter(field.annotation.__args__[1])  # type: ignore[union-attr]
            values[name] = {k: v for k, v in ((k, _try(item, v)) for k, v in raw.items()) if v is not None}
            continue
        if name == "analyses" and isinstance(raw, dict):
            values[name] = _partial_analyses(field.annotation, raw)
            continue
        value = _try(TypeAdapter(field.annotation), raw)  # type: ignore[arg-type]  # every field is annotated
        if value is None:
            value = _stand_in(field.annotation)
        if value is not None:
            values[name] = value
    return model.model_construct(**values)


def _stand_in(annotation: Any) -> Any:
    """An invalid block (already reported) stands as present, unvalidated, so no check calls it missing."""
    for kind in getattr(annotation, "__args__", (annotation,)):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind.model_construct()
    return None


def _partial_analyses(block: Any, raw: dict[str, Any]) -> Any:
    """Valid analyses as given; an invalid one (already reported) stands as configured with its defaults, so no
    later check says "not configured" about a block the user did write."""
    values: dict[str, Any] = {}
    for name, field in block.model_fields.items():
        if name in raw:
            params = field.annotation.__args__[0]  # `Params | None`
            values[name] = _try(TypeAdapter(params), raw[name] or {}) or params.model_construct()
    return block.model_construct(**values)


def _try(adapter: TypeAdapter[Any], raw: Any) -> Any:
    try:
        return adapter.validate_python(raw)
    except ValidationError:
        return None


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(Problem(display, "the spec is not UTF-8 text", line=line)) from None


def _parse_yaml(text: str, path: Path, display: str) -> Locator:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    yaml = YAML(typ="rt")
    # Dates stay text until pydantic reads them, so `as_of: 2023-13-01` is a located field error, not a crash.
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", type(yaml.constructor).construct_yaml_str)
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(m) for m in (exc.context, exc.problem) if m)
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise UserError(Problem(display, f"invalid YAML: {message}", line=line, column=col)) from None
    keys: dict[Loc, tuple[int, int]] = {}
    values: dict[Loc, tuple[int, int]] = {}
    data = _plain(root, (), keys, values)
    return Locator(path, display, data if data is not None else {}, keys, values)


def _plain(node: Any, loc: Loc, keys: dict[Loc, tuple[int, int]], values: dict[Loc, tuple[int, int]]) -> Any:
    """ruamel's round-trip nodes → plain Python, recording (line, col) of each key and value."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out = {}
        for k in node:
            child = (*loc, str(k))
            key_line, key_col = node.lc.key(k)
            keys[child] = (key_line + 1, key_col + 1)
            val_line, val_col = node.lc.value(k)
            values[child] = (val_line + 1, val_col + 1)
            out[str(k)] = _plain(node[k], child, keys, values)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, item in enumerate(node):
            line, col = node.lc.item(i)
            keys[(*loc, i)] = values[(*loc, i)] = (line + 1, col + 1)
            out_list.append(_plain(item, (*loc, i), keys, values))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    for kind in (str, int, float):
        if isinstance(node, kind):
            return kind(node)
    return node


def _parse_toml(text: str, path: Path, display: str) -> Locator:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line, col = (int(found[1]), int(found[2])) if found else (None, None)
        raise UserError(Problem(display, f"invalid TOML: {message}", line=line, column=col)) from None
    return Locator(path, display, data)


def _problems(exc: ValidationError, locator: Locator, model: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = locator.resolve(error["loc"])
        problem = locator.problem(loc, describe(dict(error), model, loc), key=error["type"] == "extra_forbidden")
        if problem not in problems:
            problems.append(problem)
    return problems
