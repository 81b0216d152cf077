"""The shared test builders do what the tests that use them assume."""

from __future__ import annotations

import datetime as dt

from conftest import run_analysis, tx

from cjmgen.analyses import rfm


def test_tx_types_each_column():
    lines = tx([("A", "1", "2024-01-31", 10, 2.0, "cat"), ("B", None, "2024-02-01 08:30", -5, None, None)],
               ("customer_id", "order_id", "date", "amount", "quantity", "category"))
    assert lines.schema["date"].time_unit == "us"
    assert lines.rows() == [("A", "1", dt.datetime(2024, 1, 31, 12), 10.0, 2.0, "cat"),
                            ("B", None, dt.datetime(2024, 2, 1, 8, 30), -5.0, None, None)]


def test_tx_takes_datetimes_dicts_and_drops_order_ids():
    rows = [{"customer_id": "A", "order_id": "1", "date": dt.datetime(2024, 1, 31, 7), "amount": 10, "store": None}]
    lines = tx(rows, ("customer_id", "order_id", "date", "amount", "store"), order_ids=False)
    assert lines.columns == ["customer_id", "date", "amount", "store"]
    assert lines.rows() == [("A", dt.datetime(2024, 1, 31, 7), 10.0, None)]


def test_run_analysis_computes_with_params():
    lines = tx([("A", "1", "2024-01-31", 10), ("B", "2", "2024-01-01", 30)])
    result = run_analysis(rfm, lines, dt.date(2024, 1, 31), bins=2)
    assert result.customers.select("customer_id", "recency_days", "r").rows() == [("A", 0, 2), ("B", 30, 1)]
