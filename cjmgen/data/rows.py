"""The rows of a file before any column is typed: blank lines, exact copies, and where a CSV stops being a table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from cjmgen.spec.models import Source

ROW_KEY = "__row"


def blank_rows(raw: pl.DataFrame) -> pl.Series | None:
    """Where no column has a value (an empty line, or spaces or separators only); None when no row is blank.
    Only rows whose first column is empty can be blank: the other columns are looked at only when there are such."""
    def empty(column: str) -> pl.Expr:
        return pl.col(column).is_null() | (pl.col(column).cast(pl.String).str.strip_chars() == "")

    columns = [c for c in raw.columns if c != ROW_KEY]
    if not raw.select(empty(columns[0]).any()).item():
        return None
    blank = raw.select(pl.all_horizontal([empty(c) for c in columns])).to_series()
    return blank if blank.any() else None


def copies(raw: pl.DataFrame) -> pl.Series | None:
    """Where a row equals an earlier row in every column; None when none does. Rows are hashed first and compared
    exactly only where hashes repeat (a hash collision is never counted as a copy)."""
    values = raw.drop(ROW_KEY)
    repeated = values.hash_rows().is_duplicated()
    if not repeated.any():
        return None
    at = repeated.arg_true()
    later = at.filter(~values.filter(repeated).select(pl.struct(pl.all()).is_first_distinct()).to_series())
    if later.is_empty():
        return None
    return pl.Series("copies", [False] * raw.height, pl.Boolean).scatter(later, True)


def csv_problem(path: Path, source: Source) -> tuple[int, str] | None:
    """The first line where the file stops being a table polars can read: a row with more fields than the header,
    or a quote that opens a value and never closes. None when Python's csv module finds nothing wrong."""
    try:
        text = path.read_bytes().decode(source.encoding, errors="replace").lstrip("\ufeff")
    except OSError:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=source.separator, strict=True)
    start = 1
    try:
        header = next(reader, [])
        start = reader.line_num + 1
        for row in reader:
            if len(row) > len(header):
                return start, (f"this row has {len(row)} fields but the header has {len(header)}: a separator "
                               f"{source.separator!r} inside a value that is not quoted, or a wrong separator")
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            return start, 'a quoted value opens on this line and its closing quote (") never comes'
        return reader.line_num, f"a misplaced quote (\"): {exc}"
    return None
