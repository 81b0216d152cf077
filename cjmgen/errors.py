"""User-facing errors: every problem says where (file:line:col), which field, and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MESSAGE = 500
"""Characters of one problem's message: enough for a list of allowed keys, never a file's content."""

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """Text safe to print on a terminal: control characters shown escaped, at most `limit` characters."""
    shown = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    file: str
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", printable(self.message))
        object.__setattr__(self, "path", printable(self.path, 200))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class UserError(Exception):
    """Bad spec, bad data or a bad path: the user can fix it. Exit code 1, no traceback."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))
