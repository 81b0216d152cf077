"""Golden tables: RFM (3 bins, named segments) and month cohorts on a committed fixture.

Regenerate the goldens ONLY after an intended change of a definition or of a table's layout:

    CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

then review `git diff tests/golden/` row by row before committing. Never edit tests/golden/*.csv by
hand. The fixture itself comes from tests/fixtures/make_golden_fixture.py (seeded, committed).
Each golden is the table sorted by its key columns, written with polars' write_csv, and compared with
polars.testing.assert_frame_equal (floats to a relative 1e-9).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cjmgen.analyses import cohorts, rfm
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "golden_transactions.csv"
GOLDEN = HERE / "golden"
REGEN = os.environ.get("CJMGEN_REGEN_GOLDEN") == "1"
AS_OF = dt.date(2024, 3, 15)  # inside the fixture's range: later lines are cut

RFM_PARAMS = rfm.Params(bins=3, names=[
    {"name": "Champions", "r": 3, "f": [2, 3], "goal": "keep the best"},
    {"name": "Loyal", "f": [2, 3], "goal": "grow the check"},
    {"name": "At risk", "r": 1, "goal": "wake up the rare"},
], other_name="Other")
COHORT_PARAMS = cohorts.Params(period="month", breakdown="store")

SORT_KEYS = {
    "rfm_customers": ["customer_id"],
    "rfm_segments": ["segment"],
    "rfm_rf_grid": ["r", "f"],
    "rfm_named": ["name"],
    "cohort_retention": ["cohort", "period"],
    "cohort_retention_by_store": ["group", "period"],
}


def transactions() -> pl.DataFrame:
    return pl.read_csv(FIXTURE, schema_overrides={
        "customer_id": pl.String, "order_id": pl.String, "date": pl.String, "amount": pl.Float64, "store": pl.String,
    }).with_columns(pl.col("date").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us"))


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    ctx = Context(None, build_facts({"transactions": transactions()}, AS_OF))
    out = {**rfm.compute(ctx, RFM_PARAMS).tables, **cohorts.compute(ctx, COHORT_PARAMS).tables}
    assert set(out) == set(SORT_KEYS)
    return {name: frame.sort(SORT_KEYS[name]) for name, frame in out.items()}


def read_golden(path: Path, like: pl.DataFrame) -> pl.DataFrame:
    """The golden CSV as text, each column cast to the dtype the computed table has."""
    golden = pl.read_csv(path, infer_schema=False)
    assert golden.columns == like.columns, f"{path.name}: columns changed; regenerate if intended"
    return golden.with_columns(pl.col(name).cast(dtype) for name, dtype in like.schema.items())


def test_fixture_is_what_the_script_describes():
    frame = transactions()
    assert 200 <= frame.height <= 300
    assert frame["customer_id"].null_count() > 0           # unidentified checks
    assert (frame["amount"] < 0).sum() > 0                 # returns
    assert (frame["amount"] == 0).sum() > 0                # zero lines
    assert (frame["date"].dt.date() > AS_OF).sum() > 0     # lines after as_of


@pytest.mark.parametrize("name", sorted(SORT_KEYS))
def test_golden(name: str, tables: dict[str, pl.DataFrame]):
    path = GOLDEN / f"{name}.csv"
    got = tables[name]
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        got.write_csv(path)
    assert path.exists(), f"{path} missing: run CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden.py"
    assert_frame_equal(got, read_golden(path, got), rel_tol=1e-9, abs_tol=1e-9)
