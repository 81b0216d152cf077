"""Shared fixtures: small projects written into tmp folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


def write_project(folder: Path, spec: str, files: dict[str, bytes | str] | None = None) -> Path:
    """Write project.yaml (dedented) and data files into folder; return the spec path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    path = folder / "project.yaml"
    path.write_text(textwrap.dedent(spec), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path):
    """project(spec_text, files) → spec path inside a fresh tmp folder."""
    return lambda spec, files=None: write_project(tmp_path / "proj", spec, files)


TX_COLUMNS = ("customer_id", "order_id", "date", "amount")
_TX_TYPES = {"customer_id": "str", "order_id": "str", "date": "date", "amount": "float", "quantity": "float",
             "price": "float", "cost": "float"}


def tx(rows: list, columns: tuple[str, ...] = TX_COLUMNS, *, order_ids: bool = True):
    """Canonical transaction lines from rows in `columns` order (tuples) or keyed by column (dicts): dates as
    datetimes, 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' (date-only lines fall at noon), amounts and quantities as numbers,
    anything else as text (None stays null). order_ids=False drops the order_id column (receipts without ids)."""
    import datetime as dt

    import polars as pl

    def value(column: str, raw):
        kind = _TX_TYPES.get(column, "str")
        if raw is None:
            return None
        if kind == "date":
            if isinstance(raw, dt.datetime):
                return raw
            return dt.datetime.fromisoformat(raw if " " in raw or "T" in raw else raw + " 12:00")
        return float(raw) if kind == "float" else str(raw)

    def cell(row, i: int, column: str):
        return row[column] if isinstance(row, dict) else row[i]

    schema = {c: {"date": pl.Datetime("us"), "float": pl.Float64}.get(_TX_TYPES.get(c, "str"), pl.String)
              for c in columns}
    frame = pl.DataFrame({c: [value(c, cell(r, i, c)) for r in rows] for i, c in enumerate(columns)}, schema=schema)
    return frame if order_ids else frame.drop("order_id")


def run_analysis(module, lines, as_of=None, people=None, spec=None, **params):
    """compute() of one analysis module on canonical lines (+ customers), params given as keywords."""
    from cjmgen.analyses.base import Context
    from cjmgen.facts import build_facts

    frames = {"transactions": lines} | ({"customers": people} if people is not None else {})
    return module.compute(Context(spec, build_facts(frames, as_of)), module.Params(**params))


def sales_of(spec_path: Path):
    """The shared transaction facts (`Facts.sales`) of a spec's data, as a build computes them."""
    from cjmgen import api
    from cjmgen.facts import build_facts

    loaded = api.validate(spec_path)
    sources = api.read_sources(loaded)
    return build_facts({t: s.frame for t, s in sources.items()}, loaded.spec.project.as_of).sales
