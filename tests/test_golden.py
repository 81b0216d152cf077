"""Golden tables: RFM (3 bins, named segments) and month cohorts on a committed fixture.

Regenerate the goldens ONLY after an intended change of a definition or of a table's layout:

    CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

then review `git diff tests/golden/` row by row before committing. Never edit tests/golden/*.csv by
hand. The fixture itself comes from tests/fixtures/make_golden_fixture.py (seeded, committed).
Each golden is the table sorted by its key columns, written with polars' write_csv, and compared with
polars.testing.assert_frame_equal (floats to a relative 1e-9).
"""

from __future__ import annotations

import polars as pl
import pytest
from golden_support import AS_OF, check_golden, transactions

from cjmgen.analyses import cohorts, rfm
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

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


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    ctx = Context(None, build_facts({"transactions": transactions()}, AS_OF))
    out = {**rfm.compute(ctx, RFM_PARAMS).exported_tables(), **cohorts.compute(ctx, COHORT_PARAMS).exported_tables()}
    assert set(out) == set(SORT_KEYS)
    return {name: frame.sort(SORT_KEYS[name]) for name, frame in out.items()}


def test_fixture_is_what_the_script_describes():
    frame = transactions()
    assert 200 <= frame.height <= 300
    assert frame["customer_id"].null_count() > 0           # unidentified checks
    assert (frame["amount"] < 0).sum() > 0                 # returns
    assert (frame["amount"] == 0).sum() > 0                # zero lines
    assert (frame["date"].dt.date() > AS_OF).sum() > 0     # lines after as_of


@pytest.mark.parametrize("name", sorted(SORT_KEYS))
def test_golden(name: str, tables: dict[str, pl.DataFrame]):
    check_golden(name, tables[name])
