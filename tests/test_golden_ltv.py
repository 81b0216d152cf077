"""Golden tables of the LTV chapter's historical part on the committed fixture of tests/test_golden.py.

Regenerate ONLY after an intended change of a definition or of a table's layout:

    CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden_ltv.py

then review `git diff tests/golden/ltv_*.csv` row by row. Never edit the CSVs by hand. The forecast is left out
(predictive: false): its numbers come from a numerical optimiser and are checked in tests/test_ltv.py and
tests/test_btyd.py against known parameters instead. The BTYD inputs (frequency, recency, T, average repeat
value) are deterministic and are part of ltv_customers here.
"""

from __future__ import annotations

import polars as pl
import pytest
from golden_support import AS_OF, check_golden, transactions

from cjmgen.analyses import ltv
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

PARAMS = ltv.Params(by=["store"], predictive=False, histogram_bins=10)

SORT_KEYS = {
    "ltv_customers": ["customer_id"],
    "ltv_distribution": ["bin"],
    "ltv_by_cohort_age": ["months_from"],
    "ltv_by_store": ["group"],
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    ctx = Context(None, build_facts({"transactions": transactions()}, AS_OF))
    out = ltv.compute(ctx, PARAMS).exported_tables()
    assert set(out) == set(SORT_KEYS)
    return {name: frame.sort(SORT_KEYS[name]) for name, frame in out.items()}


@pytest.mark.parametrize("name", sorted(SORT_KEYS))
def test_golden(name: str, tables: dict[str, pl.DataFrame]):
    check_golden(name, tables[name])


def test_golden_totals_reconcile(tables: dict[str, pl.DataFrame]):
    people = tables["ltv_customers"]
    assert people.height > 20
    for name in ("ltv_distribution", "ltv_by_cohort_age", "ltv_by_store"):
        assert tables[name]["customers"].sum() == people.height, name
        assert tables[name]["value"].sum() == pytest.approx(people["revenue"].sum(), abs=1e-6), name
