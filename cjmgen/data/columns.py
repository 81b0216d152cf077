"""A source file's columns mapped onto canonical names: the spec's mapping, names the file already has, and the
columns no table can do without. Shared by the header check (`cjmgen validate`) and the reader."""

from __future__ import annotations

from cjmgen.errors import UserError
from cjmgen.spec.locator import Locator
from cjmgen.spec.models import CANONICAL_COLUMNS, OPEN_TABLES, Source

REQUIRED: dict[str, tuple[str, ...]] = {
    "transactions": ("date",),
    "customers": ("customer_id",),
    "survey": ("respondent_id",),
    "competitor_purchases": ("customer_id", "competitor", "date", "amount"),
    "campaign_members": ("customer_id", "campaign", "group"),
    "touchpoint_audits": ("touchpoint", "score"),
}
"""Columns a table cannot do without. A transaction log may lack customer ids (a bakery's receipts: every line an
unidentified check) and amounts (amount = quantity × price when both are mapped, else no revenue at all): the
analyses that need them say so through their `needs`."""


SHOWN_COLUMNS = 12
"""A message lists at most this many of a file's column names, each cut to 40 printable characters: a header is
the user's file, and a message must never become a dump of it (a spec pointed at /proc/self/environ, say)."""


def shown_columns(columns: list[str]) -> str:
    """'a, b, c' — at most SHOWN_COLUMNS names, each printable and short, then 'and N more'."""
    def clean(name: str) -> str:
        text = "".join(ch if ch.isprintable() else "?" for ch in str(name))
        return text if len(text) <= 40 else text[:39] + "…"

    shown = ", ".join(clean(c) for c in columns[:SHOWN_COLUMNS])
    rest = len(columns) - SHOWN_COLUMNS
    return f"{shown} and {rest} more" if rest > 0 else shown


def map_columns(table: str, source: Source, file_columns: list[str], locator: Locator) -> dict[str, str]:
    """Canonical name → file column: the spec's mapping, plus canonical names the file already has."""
    problems = []
    for canonical, column in source.columns.items():
        if column not in file_columns:
            problems.append(locator.problem(
                ("sources", table, "columns", canonical),
                f"column {column!r} not found in {source.path}; the file has: {shown_columns(file_columns)}"))
    if problems:
        raise UserError(problems)
    mapping = dict(source.columns)
    taken = set(mapping.values())
    for name in file_columns:
        known = name in CANONICAL_COLUMNS[table] or table in OPEN_TABLES
        if known and name not in mapping and name not in taken:
            mapping[name] = name
    missing = [c for c in REQUIRED[table] if c not in mapping]
    if missing:
        raise UserError(locator.problem(
            ("sources", table, "columns"),
            f"{table} needs {', '.join(missing)}: map it under columns (canonical: file column); "
            f"the file has: {shown_columns(file_columns)}"))
    return mapping
