"""What a source file offers, from its header alone: the check `cjmgen validate` runs before any row is read."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from cjmgen.data.columns import map_columns
from cjmgen.errors import Problem, UserError
from cjmgen.spec.locator import Locator
from cjmgen.spec.models import Source

_HEAD_BYTES = 1 << 16
"""A CSV header is read from the file's first 64 KiB (decoded in the source's encoding)."""


def file_columns(path: Path, source: Source) -> list[str]:
    """The column names of a source file, reading its header only (or the Parquet schema)."""
    fmt = source.resolved_format()
    if fmt == "parquet":
        return list(pl.read_parquet_schema(path))
    if fmt == "xlsx":
        import fastexcel

        reader = fastexcel.read_excel(path)
        sheet = reader.load_sheet(source.sheet if source.sheet is not None else 0, n_rows=0)
        return [str(c) for c in sheet.to_polars().columns]
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    text = first.decode(source.encoding).lstrip("\ufeff")
    return pl.read_csv(io.StringIO(text + "\n"), separator=source.separator, n_rows=0, infer_schema=False).columns


def canonical_columns(table: str, source: Source, base_dir: Path, locator: Locator) -> tuple[set[str], list[Problem]]:
    """Canonical columns a source will have (mapped, named canonically in the file, or derived), and the problems
    its header shows: a missing or unreadable file, mapped columns the file lacks, required columns not mapped."""
    where = ("sources", table, "path")
    path = base_dir / source.path
    if not path.is_file():
        return set(), [locator.problem(where, f"file not found: {path}")]
    try:
        columns = file_columns(path, source)
    except UnicodeDecodeError:
        message = (f"{path}:1: the header is not {source.encoding} text; "
                   f"set sources.{table}.encoding, e.g. cp1251 or latin-1")
        return set(), [locator.problem(("sources", table, "encoding"), message)]
    except Exception as exc:  # noqa: BLE001 — any reader failure is a problem with the user's file; say which
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return set(), [locator.problem(where, f"cannot read the header of {path}: {first}")]
    try:
        mapping = map_columns(table, source, columns, locator)
    except UserError as exc:
        return set(source.columns), list(exc.problems)  # a mapped column the file lacks is reported once, here
    found = set(mapping)
    if table == "transactions" and "amount" not in found and {"quantity", "price"} <= found:
        found.add("amount")
    return found, []
