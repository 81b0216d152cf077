"""Golden tables of the LTV chapter's historical part on the committed fixture of tests/test_golden.py.

Regenerate ONLY after an intended change of a definition or of a table's layout:

    CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden_ltv.py

then review `git diff tests/golden/ltv_*.csv` row by row. Never edit the CSVs by hand. The forecast is left out
(predictive: false): its numbers come from a numerical optimiser and are checked in tests/test_ltv.py and
tests/test_btyd.py against known parameters instead. The BTYD inputs (frequency, recency, T, average repeat
value) are deterministic and are part of ltv_customers here.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cjmgen.analyses import ltv
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "golden_transactions.csv"
GOLDEN = HERE / "golden"
REGEN = os.environ.get("CJMGEN_REGEN_GOLDEN") == "1"
AS_OF = dt.date(2024, 3, 15)
PARAMS = ltv.Params(by=["store"], predictive=False, histogram_bins=10)

SORT_KEYS = {
    "ltv_customers": ["customer_id"],
    "ltv_distribution": ["bin"],
    "ltv_by_cohort_age": ["months_from"],
    "ltv_by_store": ["group"],
}


def transactions() -> pl.DataFrame:
    return pl.read_csv(FIXTURE, schema_overrides={
        "customer_id": pl.String, "order_id": pl.String, "date": pl.String, "amount": pl.Float64, "store": pl.String,
    }).with_columns(pl.col("date").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us"))


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    ctx = Context(None, build_facts({"transactions": transactions()}, AS_OF))
    out = ltv.compute(ctx, PARAMS).tables
    assert set(out) == set(SORT_KEYS)
    return {name: frame.sort(SORT_KEYS[name]) for name, frame in out.items()}


def read_golden(path: Path, like: pl.DataFrame) -> pl.DataFrame:
    """The golden CSV as text, each column cast to the dtype the computed table has."""
    golden = pl.read_csv(path, infer_schema=False)
    assert golden.columns == like.columns, f"{path.name}: columns changed; regenerate if intended"
    return golden.with_columns(pl.col(name).str.to_date("%Y-%m-%d") if dtype == pl.Date else pl.col(name).cast(dtype)
                               for name, dtype in like.schema.items())


@pytest.mark.parametrize("name", sorted(SORT_KEYS))
def test_golden(name: str, tables: dict[str, pl.DataFrame]):
    path = GOLDEN / f"{name}.csv"
    got = tables[name]
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        got.write_csv(path)
    assert path.exists(), f"{path} missing: run CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden_ltv.py"
    assert_frame_equal(got, read_golden(path, got), rel_tol=1e-9, abs_tol=1e-9)


def test_golden_totals_reconcile(tables: dict[str, pl.DataFrame]):
    people = tables["ltv_customers"]
    assert people.height > 20
    for name in ("ltv_distribution", "ltv_by_cohort_age", "ltv_by_store"):
        assert tables[name]["customers"].sum() == people.height, name
        assert tables[name]["value"].sum() == pytest.approx(people["revenue"].sum(), abs=1e-6), name
