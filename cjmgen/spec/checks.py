"""Cross-reference checks that need the whole spec: unknown tables and columns, missing files, journey ids.

Each check yields (loc, message, points_at_key) and goes through the same locator as schema errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cjmgen.spec.files import IMAGE_SUFFIXES, PathProblem, project_path, source_path, templates_outside
from cjmgen.spec.journey import journey_findings
from cjmgen.spec.locator import Loc
from cjmgen.spec.models import CANONICAL_COLUMNS, OPEN_TABLES, TABLES, SpecBase

Finding = tuple[Loc, str, bool]


def _hint(word: str, options: Iterable[str]) -> str:
    """'did you mean …?' for a near miss, else the list of what is allowed."""
    options = list(options)
    close = difflib.get_close_matches(word, options, n=1)
    return f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(options)}"


def _sources(spec: SpecBase, base_dir: Path) -> Iterable[Finding]:
    for name, source in spec.sources.items():
        if name not in TABLES:
            yield ("sources", name), f"unknown table {name!r}; {_hint(name, TABLES)}", True
            continue
        for canonical in source.columns:
            if name not in OPEN_TABLES and canonical not in CANONICAL_COLUMNS[name]:
                yield ("sources", name, "columns", canonical), f"unknown {name} column {canonical!r}; {_hint(canonical, CANONICAL_COLUMNS[name])}", True
        try:
            source_path(base_dir, source.path)
        except PathProblem as exc:
            yield ("sources", name, "path"), str(exc), False


MAX_MARKDOWN_BYTES = 2 << 20
"""A Markdown chapter is prose: at most 2 MiB."""


def _report_files(spec: SpecBase, base_dir: Path) -> Iterable[Finding]:
    """Logo, Markdown chapters and template folders: inside the project folder, of the right kind."""
    theme = spec.report.theme
    if theme.logo:
        try:
            project_path(base_dir, theme.logo)
            if theme.logo.suffix.lower() not in IMAGE_SUFFIXES:
                yield ("report", "theme", "logo"), f"expected an image ({', '.join(IMAGE_SUFFIXES)}), got {theme.logo.name!r}", False
        except PathProblem as exc:
            yield ("report", "theme", "logo"), str(exc), False
    if spec.report.templates:
        try:
            folder = project_path(base_dir, spec.report.templates, folder=True)
            outside = templates_outside(folder, base_dir)
            if outside:
                yield ("report", "templates"), f"{outside} in the templates folder points outside the project folder", False
        except PathProblem as exc:
            yield ("report", "templates"), str(exc), False
    for i, section in enumerate(spec.report.sections or []):
        if section.markdown:
            try:
                message = _markdown_problem(project_path(base_dir, section.markdown), section.markdown)
            except PathProblem as exc:
                message = str(exc)
            if message:
                yield ("report", "sections", i, "markdown"), message, False


def markdown_text(path: Path) -> str:
    """A Markdown chapter's text (UTF-8, a BOM allowed)."""
    return path.read_bytes().decode("utf-8-sig")


def _markdown_problem(path: Path, given: Path) -> str | None:
    if path.stat().st_size > MAX_MARKDOWN_BYTES:
        return f"{given} is larger than {MAX_MARKDOWN_BYTES >> 20} MiB; a Markdown chapter is prose"
    try:
        markdown_text(path)
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = raw[: exc.start].count(b"\n") + 1
        return f"{given} is not UTF-8 text (line {line}); save it as UTF-8"
    except OSError as exc:
        return f"cannot read {given}: {exc.strerror or exc}"
    return None


class UnknownBlock(LookupError):
    """Raised by a stand-in for a block too broken to read (e.g. `analyses: 5`): checks that need it are skipped."""


class Unreadable:
    """Stands for an invalid block (already reported); any use raises UnknownBlock, so no check draws a follow-on
    conclusion from it ("section 'rfm' is not configured")."""

    def __getattr__(self, name: str) -> object:
        raise UnknownBlock(name)

    def _unknown(self, *_: object) -> Any:
        raise UnknownBlock("block")

    __contains__ = __iter__ = __len__ = __getitem__ = __bool__ = _unknown


Check = Callable[[SpecBase, Path], Iterable[Finding]]

CHECKS: list[Check] = [_sources, _report_files, journey_findings]
"""Every built-in cross-reference check, run in order after schema validation."""


def reference_problems(spec: SpecBase, base_dir: Path, extra: tuple[Check, ...] = (), partial: bool = False) -> list[Finding]:
    """All cross-reference findings. On a partial spec (some blocks invalid) a check that needs a missing block is skipped."""
    found: list[Finding] = []
    for check in (*CHECKS, *extra):
        try:
            found.extend(check(spec, base_dir))
        except (AttributeError, UnknownBlock):
            if not partial:
                raise
    return found
