"""Golden tables of the repeat-purchase and seasonality analyses on the committed fixture of tests/test_golden.py.

Regenerate ONLY after an intended change of a definition or of a table's layout:

    CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden_repeat.py

then review `git diff tests/golden/` row by row before committing. Never edit tests/golden/*.csv by hand.
Each golden is the table sorted by its key columns, written with polars' write_csv, and compared with
polars.testing.assert_frame_equal (floats to a relative 1e-9).
"""

from __future__ import annotations

import polars as pl
import pytest
from golden_support import AS_OF, check_golden, transactions

from cjmgen.analyses import repeat, seasonality
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

REPEAT_PARAMS = repeat.Params(max_order=6, breakdown="store", min_customers=3, gap_bin_days=15, max_gap_days=90)
SEASONALITY_PARAMS = seasonality.Params()

SORT_KEYS = {
    "repeat_survival": ["order_number"],
    "repeat_gaps": ["order_number", "days_from"],
    "repeat_thresholds": ["order_number"],
    "repeat_survival_by_store": ["group", "order_number"],
    "seasonality_monthly": ["month"],
    "seasonality_month_of_year": ["year", "month"],
    "seasonality_weekday": ["weekday"],
    "seasonality_index": ["month"],
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    ctx = Context(None, build_facts({"transactions": transactions()}, AS_OF))
    out = {**repeat.compute(ctx, REPEAT_PARAMS).exported_tables(),
           **seasonality.compute(ctx, SEASONALITY_PARAMS).exported_tables()}
    assert set(out) == set(SORT_KEYS)
    return {name: frame.sort(SORT_KEYS[name]) for name, frame in out.items()}


@pytest.mark.parametrize("name", sorted(SORT_KEYS))
def test_golden(name: str, tables: dict[str, pl.DataFrame]):
    check_golden(name, tables[name])


def test_repeat_survival_contract(tables: dict[str, pl.DataFrame]):
    assert tables["repeat_survival"].columns[:8] == list(repeat.SURVIVAL_COLUMNS) == [
        "order_number", "customers", "share_of_customers", "conversion_to_next", "churn_after",
        "median_days_to_next", "p80_days_to_next", "avg_check"]


def test_goldens_agree_with_each_other(tables: dict[str, pl.DataFrame]):
    survival, by_store = tables["repeat_survival"], tables["repeat_survival_by_store"]
    firsts = by_store.filter(pl.col("order_number") == 1)
    assert firsts["customers"].sum() == survival["customers"][0]
    monthly, weekday = tables["seasonality_monthly"], tables["seasonality_weekday"]
    assert monthly["revenue"].sum() == pytest.approx(weekday["revenue"].sum())
    assert monthly["orders"].sum() == weekday["orders"].sum()
