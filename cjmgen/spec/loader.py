"""Read a YAML/TOML spec keeping every node's position, validate it, and report all errors at once."""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from cjmgen.errors import Problem, UserError
from cjmgen.spec.checks import Check, Unreadable, reference_problems
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
        if name == "analyses":
            values[name] = _partial_analyses(field.annotation, raw) if isinstance(raw, dict) else Unreadable()
            continue
        value = _try(TypeAdapter(field.annotation), raw)  # type: ignore[arg-type]  # every field is annotated
        if value is None:
            value = _stand_in(field.annotation)
        if value is not None:
            values[name] = value
    return model.model_construct(**values)


def _stand_in(annotation: Any) -> Any:
    """An invalid block (already reported) stands as present, unvalidated, so no check calls it missing.

    Only a block that is a model (or an optional model) stands in as one; an invalid mapping of blocks (e.g. a list
    where `sources` expects name → source) stands as Unreadable, so no check reads it."""
    kinds = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    for kind in kinds:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind.model_construct()
    if typing.get_origin(annotation) is dict:
        return Unreadable()
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


MAX_SPEC_BYTES = 4 << 20
"""A spec is a hand-written file; anything larger is refused before parsing."""

MAX_ALIASES = 100
"""YAML aliases (`*name`) a spec may use: enough to share a few blocks, too few for an alias bomb."""

MAX_NODES = 100_000
"""Values a spec may expand to (aliases counted at every use): a real spec has a few thousand."""

MAX_DEPTH = 64
"""Nesting depth of YAML collections."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\ufffe\uffff]")
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}


def _decode(raw: bytes, display: str) -> str:
    if len(raw) > MAX_SPEC_BYTES:
        raise UserError(Problem(display, f"the spec is {len(raw):,} bytes; a spec is at most {MAX_SPEC_BYTES:,} bytes",
                                line=1, column=1))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw[: exc.start].count(b"\n") + 1
        column = len(raw[start: exc.start].decode("utf-8", errors="replace")) + 1
        raise UserError(Problem(display, f"the spec is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                                line=line, column=column)) from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise UserError(Problem(display, f"control character {bad.group()!r} in the spec; remove it",
                                line=line, column=column))
    return text


def clip(text: str, limit: int = 120) -> str:
    """One line of at most `limit` characters (quoted values and parser messages in error messages)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _guarded_yaml() -> Any:
    """A round-trip ruamel parser that refuses tags, alias bombs and deep nesting with a located error."""
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.events import AliasEvent

    class GuardedComposer(Composer):  # type: ignore[misc]
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.parser.peek_event()
            if isinstance(event, AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise MarkedYAMLError(problem=f"more than {MAX_ALIASES} aliases (*name); write the values out",
                                          problem_mark=event.start_mark)
            else:
                tag = getattr(event, "tag", None)
                tag = getattr(tag, "value", tag)  # ruamel's Tag object or a plain string
                if tag is not None and str(tag) not in _PLAIN_TAGS:
                    raise MarkedYAMLError(problem=f"YAML tags such as {clip(str(tag), 40)} are not supported; remove it",
                                          problem_mark=event.start_mark)
            return super().compose_node(parent, index)

    yaml = YAML(typ="rt")
    yaml.Composer = GuardedComposer
    yaml.max_depth = MAX_DEPTH
    # Dates stay text until pydantic reads them, so `as_of: 2023-13-01` is a located field error, not a crash.
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", type(yaml.constructor).construct_yaml_str)
    return yaml


def _parse_yaml(text: str, path: Path, display: str) -> Locator:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        root = _guarded_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise UserError(Problem(display, f"invalid YAML: {message}", line=line, column=col)) from None
    except (YAMLError, RecursionError, ValueError, TypeError) as exc:
        line, col = _mark_of(exc)
        raise UserError(Problem(display, f"invalid YAML: {clip(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200)}",
                                line=line, column=col)) from None
    try:
        _expanded_size(root, {})
    except _TooBig as big:
        line, col = big.where
        raise UserError(Problem(display, f"the spec expands to more than {MAX_NODES:,} values "
                                         "(aliases repeating blocks?); write the values out", line=line, column=col)) from None
    keys: dict[Loc, tuple[int, int]] = {}
    values: dict[Loc, tuple[int, int]] = {}
    data = _Plain(keys, values, display).convert(root, ())
    return Locator(path, display, data if data is not None else {}, keys, values, start=(1, 1))


class _TooBig(Exception):
    def __init__(self, where: tuple[int, int]):
        self.where = where


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """How many values the node stands for once every alias is expanded; each shared node is sized once, so an
    alias bomb is caught in microseconds. Raises _TooBig (with the position where the limit was crossed)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(node, (CommentedMap, CommentedSeq)):
        return 1
    if id(node) in memo:
        return memo[id(node)]
    total = 1
    items = [(node[k], node.lc.value(k)) for k in node] if isinstance(node, CommentedMap) else \
        [(item, node.lc.item(i)) for i, item in enumerate(node)]
    for child, position in items:
        total += _expanded_size(child, memo)
        if total > MAX_NODES:
            raise _TooBig(_pos(position, (1, 1)))
    memo[id(node)] = total
    return total


def _yaml_message(exc: Any) -> str:
    """ruamel's message in one short line; a duplicate key is named without quoting its (maybe long) values."""
    problem = str(exc.problem or "")
    duplicate = re.match(r'found duplicate key "(.*?)" with value', problem, flags=re.S)
    if duplicate:
        first = exc.context_mark.line + 1 if exc.context_mark else None
        where = f" in the mapping starting at line {first}" if first else ""
        return f"duplicate key {clip(duplicate[1], 60)!r}{where}; keep one"
    return clip(" ".join(str(m) for m in (exc.context, problem) if m), 200)


def _mark_of(exc: BaseException) -> tuple[int, int]:
    """(line, column) a ruamel error carries without being a MarkedYAMLError (e.g. the reader's), else (1, 1)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    return 1, 1


class _Plain:
    """ruamel's round-trip nodes → plain Python, recording (line, col) of each key and value."""

    def __init__(self, keys: dict[Loc, tuple[int, int]], values: dict[Loc, tuple[int, int]], display: str):
        self.keys, self.values, self.display = keys, values, display

    def convert(self, node: Any, loc: Loc) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if isinstance(node, CommentedMap):
            out = {}
            for k in node:
                child = (*loc, _key(k))
                self.keys[child] = _pos(node.lc.key(k), self._nearest(loc))
                self.values[child] = _pos(node.lc.value(k), self.keys[child])
                out[_key(k)] = self.convert(node[k], child)
            return out
        if isinstance(node, CommentedSeq):
            out_list = []
            for i, item in enumerate(node):
                self.keys[(*loc, i)] = self.values[(*loc, i)] = _pos(node.lc.item(i), self._nearest(loc))
                out_list.append(self.convert(item, (*loc, i)))
            return out_list
        return _scalar(node)

    def _nearest(self, loc: Loc) -> tuple[int, int]:
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return 1, 1


def _key(key: Any) -> str:
    """A mapping key as text (a key may be a number, a date or, after a YAML trick, a whole list)."""
    return clip(str(key), 200) if not isinstance(key, str) else key


def _pos(found: Any, fallback: tuple[int, int]) -> tuple[int, int]:
    """ruamel's 0-based (line, col) as 1-based; nodes ruamel has no position for take their parent's."""
    if isinstance(found, tuple) and len(found) == 2 and all(isinstance(v, int) for v in found):
        return found[0] + 1, found[1] + 1
    return fallback


def _scalar(node: Any) -> Any:
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
