"""Cross-reference checks that need the whole spec: unknown tables and columns, missing files, journey ids.

Each check yields (loc, message, points_at_key) and goes through the same locator as schema errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path

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
        if not (base_dir / source.path).is_file():
            yield ("sources", name, "path"), f"file not found: {base_dir / source.path}", False


def _report_files(spec: SpecBase, base_dir: Path) -> Iterable[Finding]:
    theme = spec.report.theme
    if theme.logo and not (base_dir / theme.logo).is_file():
        yield ("report", "theme", "logo"), f"file not found: {base_dir / theme.logo}", False
    if spec.report.templates and not (base_dir / spec.report.templates).is_dir():
        yield ("report", "templates"), f"folder not found: {base_dir / spec.report.templates}", False
    for i, section in enumerate(spec.report.sections or []):
        if section.markdown and not (base_dir / section.markdown).is_file():
            yield ("report", "sections", i, "markdown"), f"file not found: {base_dir / section.markdown}", False


Check = Callable[[SpecBase, Path], Iterable[Finding]]

CHECKS: list[Check] = [_sources, _report_files, journey_findings]
"""Every built-in cross-reference check, run in order after schema validation."""


def reference_problems(spec: SpecBase, base_dir: Path, extra: tuple[Check, ...] = (), partial: bool = False) -> list[Finding]:
    """All cross-reference findings. On a partial spec (some blocks invalid) a check that needs a missing block is skipped."""
    found: list[Finding] = []
    for check in (*CHECKS, *extra):
        try:
            found.extend(check(spec, base_dir))
        except AttributeError:
            if not partial:
                raise
    return found
