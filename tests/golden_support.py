"""What every golden-table test shares: the committed fixtures, reading a golden CSV back, and the comparison.

Goldens are regenerated ONLY after an intended change of a definition or of a table's layout —
`CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden*.py` — then `git diff tests/golden/` is reviewed row by
row before committing. Never edit tests/golden/*.csv by hand. Each golden is the table sorted by its key
columns, written with polars' write_csv, and compared with assert_frame_equal (floats to a relative 1e-9).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
FIXTURE = HERE / "fixtures" / "golden_transactions.csv"
RICH_FIXTURE = HERE / "fixtures" / "drivers" / "transactions.csv"
REGEN = os.environ.get("CJMGEN_REGEN_GOLDEN") == "1"
AS_OF = dt.date(2024, 3, 15)
"""Analysis date of the shared fixture: inside its range, so later lines are cut."""

_TEXT = {"customer_id": pl.String, "order_id": pl.String, "date": pl.String, "amount": pl.Float64, "store": pl.String}


def _read(path: Path, extra: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    frame = pl.read_csv(path, schema_overrides={**_TEXT, **(extra or {})})
    return frame.with_columns(pl.col("date").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us"))


def transactions() -> pl.DataFrame:
    """The shared fixture (tests/fixtures/make_golden_fixture.py): customer_id, order_id, date, amount, store."""
    return _read(FIXTURE)


def rich_transactions() -> pl.DataFrame:
    """The drivers fixture (tests/fixtures/drivers/make_fixture.py), with quantity, category, product_group, manager."""
    return _read(RICH_FIXTURE, {"quantity": pl.Float64, "category": pl.String, "product_group": pl.String,
                                "manager": pl.String})


def read_golden(path: Path, like: pl.DataFrame) -> pl.DataFrame:
    """The golden CSV as text, each column cast to the dtype the computed table has."""
    golden = pl.read_csv(path, infer_schema=False)
    assert golden.columns == like.columns, f"{path.name}: columns changed; regenerate if intended"

    def cast(name: str, dtype: pl.DataType) -> pl.Expr:
        if dtype == pl.Boolean:
            return pl.col(name).replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
        if dtype == pl.Date:
            return pl.col(name).str.to_date("%Y-%m-%d")
        return pl.col(name).cast(dtype)

    return golden.with_columns(cast(name, dtype) for name, dtype in like.schema.items())


def check_golden(name: str, got: pl.DataFrame) -> None:
    """Compare a computed table with tests/golden/<name>.csv (or rewrite it under CJMGEN_REGEN_GOLDEN=1)."""
    path = GOLDEN / f"{name}.csv"
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        got.write_csv(path)
    assert path.exists(), f"{path} missing: run CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden*.py"
    assert_frame_equal(got, read_golden(path, got), rel_tol=1e-9, abs_tol=1e-9)
