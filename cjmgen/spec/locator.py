"""Where each node of a spec file sits (line, column), so every error can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cjmgen.errors import Problem

Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """`('journey', 'stages', 2, 'id')` → `journey.stages[2].id`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_path(text: str) -> Loc:
    """`journey.stages[2].id` → `('journey', 'stages', 2, 'id')` (the inverse of format_path)."""
    loc: list[str | int] = []
    for part in text.split("."):
        name, *indexes = part.replace("]", "").split("[")
        loc += [name, *(int(i) for i in indexes)] if name else [int(i) for i in indexes]
    return tuple(loc)


@dataclass(frozen=True)
class Locator:
    """Positions (1-based line, column) of keys and values of one spec file; TOML files have none."""

    file: Path
    display: str
    data: Any
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    start: tuple[int, int] | None = None
    """Where a problem with no located node points (YAML: the document's start); TOML files have no positions."""

    def resolve(self, loc: tuple[Any, ...]) -> Loc:
        """The part of a pydantic `loc` that names real nodes: drops union/tag names, keeps one missing key."""
        node, kept = self.data, []
        for part in loc:
            if isinstance(node, dict):
                kept.append(part)
                if part not in node:
                    break
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int):
                kept.append(part)
                if not 0 <= part < len(node):
                    break
                node = node[part]
            # anything else is a tag pydantic adds for union members: not part of the user's path
        return tuple(kept)

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int] | None:
        """Position of the node at loc, else of its nearest located parent."""
        loc = tuple(loc)
        while loc:
            table = self.keys if key else self.values
            if loc in table:
                return table[loc]
            if loc in self.keys:
                return self.keys[loc]
            loc = loc[:-1]
        return self.start

    def problem(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        """A Problem at loc: `file:line:col: dotted.path: message`."""
        pos = self.position(loc, key=key)
        line, column = pos if pos else (None, None)
        return Problem(self.display, message, format_path(loc), line, column)

