"""Shared facts (METHODS §1): orders, returns, the as_of cut, unidentified checks, customer attributes.

Every expected number below is worked out by hand from the fixture written next to it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import tx

from cjmgen.facts import build_facts

D = dt.date


def order(sales, order_id: str) -> dict:
    rows = sales.orders.filter(pl.col("order_id") == order_id).to_dicts()
    assert len(rows) == 1, f"expected exactly one row for order {order_id}, got {rows}"
    return rows[0]


def customer(sales, customer_id: str) -> dict:
    rows = sales.customers.filter(pl.col("customer_id") == customer_id).to_dicts()
    assert len(rows) == 1, f"expected exactly one row for customer {customer_id}, got {rows}"
    return rows[0]


# ---------------------------------------------------------------- returns and zero lines

RETURNS = tx([
    ("a", "o1", "2024-01-10 10:00", 100),   # a: real order, 100
    ("a", "o2", "2024-01-20 12:00", -30),   # a: return-only receipt: not an order, revenue −30
    ("a", "o2", "2024-01-20 12:01", -5),    #    (both lines negative)
    ("b", "o3", "2024-01-11 09:00", 80),    # b: mixed receipt 80 − 20 = 60 is an order
    ("b", "o3", "2024-01-11 09:00", -20),
    ("c", "o4", "2024-01-12 09:00", 0),     # c: a zero-amount line makes an order (free sample)
    ("c", "o5", "2024-01-13 09:00", 0),     # c: zero + negative is still an order (the zero line)
    ("c", "o5", "2024-01-13 09:00", -10),
    ("d", "o6", "2024-01-14 09:00", -40),   # d: only a return: not an order, so d is no customer
])


def test_return_only_receipt_is_not_an_order_but_reduces_revenue():
    sales = build_facts({"transactions": RETURNS}, D(2024, 1, 31)).sales
    assert order(sales, "o2")["is_order"] is False
    assert order(sales, "o2")["revenue"] == -35.0
    a = customer(sales, "a")
    assert a["orders"] == 1
    assert a["revenue"] == 65.0  # 100 − 30 − 5
    assert a["first_day"] == D(2024, 1, 10)
    assert a["last_day"] == D(2024, 1, 10)  # the return on the 20th is not the last order


def test_mixed_receipt_is_one_order_with_net_revenue():
    sales = build_facts({"transactions": RETURNS}, D(2024, 1, 31)).sales
    o3 = order(sales, "o3")
    assert (o3["is_order"], o3["revenue"], o3["lines"]) == (True, 60.0, 2)
    assert (customer(sales, "b")["orders"], customer(sales, "b")["revenue"]) == (1, 60.0)


def test_zero_amount_line_makes_an_order():
    sales = build_facts({"transactions": RETURNS}, D(2024, 1, 31)).sales
    assert order(sales, "o4")["is_order"] is True
    assert order(sales, "o5")["is_order"] is True
    c = customer(sales, "c")
    assert (c["orders"], c["revenue"], c["first_day"], c["last_day"]) == (2, -10.0, D(2024, 1, 12), D(2024, 1, 13))


def test_customer_with_only_returns_is_not_a_customer():
    sales = build_facts({"transactions": RETURNS}, D(2024, 1, 31)).sales
    assert sorted(sales.customers["customer_id"].to_list()) == ["a", "b", "c"]
    assert order(sales, "o6")["customer_id"] == "d"  # the receipt itself is still kept (revenue totals)
    assert sales.orders["revenue"].sum() == 100 - 35 + 60 + 0 - 10 - 40
    assert int(sales.orders["is_order"].sum()) == 4  # o1, o3, o4, o5


# ---------------------------------------------------------------- no order id: customer-day orders

NO_ORDER_ID = tx([
    ("a", None, "2024-02-01 09:00", 10),
    ("a", None, "2024-02-01 21:30", 15),    # same calendar day as above → same order
    ("a", None, "2024-02-02 00:05", 20),    # next day → second order
    ("b", None, "2024-02-01 09:00", 7),     # other customer, same day → own order
    (None, None, "2024-02-01 09:00", 3),    # unidentified lines: each is an order of its own
    (None, None, "2024-02-01 09:00", 4),
    ("b", None, "2024-02-03 10:00", -7),    # b's return day: not an order
], order_ids=False)


def test_without_order_id_each_customer_day_is_one_order():
    sales = build_facts({"transactions": NO_ORDER_ID}, None).sales
    a = customer(sales, "a")
    assert (a["orders"], a["revenue"]) == (2, 45.0)
    b = customer(sales, "b")
    assert (b["orders"], b["revenue"], b["last_day"]) == (1, 0.0, D(2024, 2, 1))
    # a: 2 orders, b: 1 order + 1 return receipt, unidentified: 2 separate one-line orders
    assert sales.orders.height == 6
    assert int(sales.orders["is_order"].sum()) == 5
    unidentified = sales.orders.filter(pl.col("customer_id").is_null())
    assert sorted(unidentified["revenue"].to_list()) == [3.0, 4.0]
    assert unidentified["lines"].to_list() == [1, 1]


def test_without_order_id_the_order_ids_are_filled_on_lines():
    sales = build_facts({"transactions": NO_ORDER_ID}, None).sales
    assert sales.lines["order_id"].null_count() == 0
    a_ids = sales.lines.filter(pl.col("customer_id") == "a")["order_id"].to_list()
    assert a_ids[0] == a_ids[1] != a_ids[2]


# ---------------------------------------------------------------- as_of cut

AS_OF_LINES = tx([
    ("a", "o1", "2024-03-01 10:00", 10),
    ("a", "o2", "2024-03-10 23:59", 20),    # on the as_of day, late evening: kept
    ("a", "o3", "2024-03-11 00:00", 40),    # the next day: excluded
    ("b", "o4", "2024-03-12 08:00", 50),    # b only after as_of: no customer
    (None, "o5", "2024-03-15 08:00", 5),    # excluded unidentified line
    ("a", "o1", "2024-03-20 10:00", -10),   # a late return of o1: excluded too
])


def test_lines_after_as_of_are_ignored_and_counted():
    sales = build_facts({"transactions": AS_OF_LINES}, D(2024, 3, 10)).sales
    assert sales.as_of == D(2024, 3, 10)
    assert sales.excluded_after_as_of == 4
    assert sales.lines.height == 2
    assert sales.lines["day"].max() == D(2024, 3, 10)
    assert sorted(sales.orders["order_id"].to_list()) == ["o1", "o2"]
    assert order(sales, "o1")["revenue"] == 10.0  # the later return does not count yet
    assert sales.customers["customer_id"].to_list() == ["a"]
    a = customer(sales, "a")
    assert (a["orders"], a["revenue"], a["last_day"]) == (2, 30.0, D(2024, 3, 10))


def test_default_as_of_is_the_last_transaction_day():
    sales = build_facts({"transactions": AS_OF_LINES}, None).sales
    assert sales.as_of == D(2024, 3, 20)
    assert sales.first_day == D(2024, 3, 1)
    assert sales.excluded_after_as_of == 0
    assert sales.lines.height == 6


# ---------------------------------------------------------------- unidentified checks

UNIDENTIFIED = tx([
    ("a", "o1", "2024-04-01 10:00", 100),
    (None, "o2", "2024-04-01 11:00", 30),
    (None, "o2", "2024-04-01 11:00", 20),   # one unidentified receipt of two lines: 50
    (None, "o3", "2024-04-02 11:00", 25),
    (None, "o4", "2024-04-03 11:00", -5),   # unidentified return
    ("b", "o5", "2024-04-03 12:00", 60),
])


def test_unidentified_lines_count_in_totals_not_in_customers():
    sales = build_facts({"transactions": UNIDENTIFIED}, None).sales
    assert sales.orders["revenue"].sum() == 230.0  # 100 + 50 + 25 − 5 + 60
    assert int(sales.orders["is_order"].sum()) == 4  # o1, o2, o3, o5
    assert sales.customers["customer_id"].to_list() == ["a", "b"]
    assert sales.customers["customer_id"].null_count() == 0
    assert sales.customers["revenue"].sum() == 160.0
    assert int(sales.customers["orders"].sum()) == 2
    unidentified = sales.orders.filter(pl.col("customer_id").is_null()).sort("order_id")
    assert unidentified.select("order_id", "revenue", "lines", "is_order").rows() == [
        ("o2", 50.0, 2, True), ("o3", 25.0, 1, True), ("o4", -5.0, 1, False)]


# ---------------------------------------------------------------- customer attributes

def test_customer_attributes_gender_and_age_at_as_of():
    lines = tx([("a", "o1", "2024-03-31 10:00", 1), ("b", "o2", "2024-03-31 10:00", 1),
                ("c", "o3", "2024-03-31 10:00", 1), ("d", "o4", "2024-03-31 10:00", 1)])
    people = pl.DataFrame(
        {"customer_id": ["a", "b", "c", "d", "z"],
         "gender": ["F", "m", "Ж", "unknown", "F"],
         "birth_date": [dt.datetime(1990, 4, 1), dt.datetime(1984, 3, 31), dt.datetime(2000, 1, 1), None,
                        dt.datetime(1950, 1, 1)]},
        schema={"customer_id": pl.String, "gender": pl.String, "birth_date": pl.Datetime("us")})
    sales = build_facts({"transactions": lines, "customers": people}, D(2024, 3, 31)).sales
    got = {r["customer_id"]: (r["gender"], r["age"]) for r in sales.customers.to_dicts()}
    assert got == {
        "a": ("F", 33.0),   # birthday tomorrow: still 33
        "b": ("M", 40.0),   # birthday on as_of: 40
        "c": ("F", 24.0),   # Cyrillic Ж → F
        "d": (None, None),  # unknown gender text, no birth date
    }  # z has no orders: not a customer


@pytest.mark.parametrize(("born", "age"), [
    (D(1990, 6, 15), 34.0),   # birthday on as_of
    (D(1990, 6, 16), 33.0),   # tomorrow
    (D(1990, 6, 14), 34.0),   # yesterday
    (D(1990, 1, 1), 34.0),
    (D(1990, 7, 1), 33.0),
    (D(1990, 12, 31), 33.0),
    (D(1990, 5, 31), 34.0),
])
def test_age_in_full_years_at_as_of(born, age):
    lines = tx([("a", "o1", "2024-06-15 10:00", 1)])
    people = pl.DataFrame({"customer_id": ["a"], "birth_date": [dt.datetime.combine(born, dt.time())]},
                          schema={"customer_id": pl.String, "birth_date": pl.Datetime("us")})
    sales = build_facts({"transactions": lines, "customers": people}, D(2024, 6, 15)).sales
    assert customer(sales, "a")["age"] == age


@pytest.mark.parametrize("as_of", [D(2024, 3, 31), None])
def test_no_transactions_source_gives_no_sales(as_of):
    facts = build_facts({"customers": pl.DataFrame({"customer_id": ["a"]})}, as_of)
    assert facts.sales is None
    assert list(facts.tables) == ["customers"]


# ---------------------------------------------------------------- logs without customers or amounts

def _bakery(**extra: list) -> pl.DataFrame:
    """Receipts as a bakery logs them: order id, date, item; no customer, no amount."""
    return pl.DataFrame(
        {"order_id": ["1", "2", "2", "3"],
         "date": [dt.datetime(2016, 10, 30, 9, 58), dt.datetime(2016, 10, 30, 10, 5), dt.datetime(2016, 10, 30, 10, 5),
                  dt.datetime(2016, 10, 31, 8, 0)],
         "sku": ["Bread", "Scandinavian", "Coffee", "Bread"], **extra},
        schema_overrides={"date": pl.Datetime("us")})


def test_receipts_without_customer_or_amount_make_unidentified_orders():
    sales = build_facts({"transactions": _bakery()}, None).sales
    assert (sales.has_amount, sales.has_customer_id) == (False, False)
    assert sales.as_of == D(2016, 10, 31) and sales.first_day == D(2016, 10, 30)
    assert "amount" not in sales.lines.columns and sales.lines["customer_id"].null_count() == 4
    assert sales.orders.select("order_id", "day", "lines", "is_order").rows() == [
        ("1", D(2016, 10, 30), 1, True), ("2", D(2016, 10, 30), 2, True), ("3", D(2016, 10, 31), 1, True)]
    assert sales.orders["customer_id"].null_count() == 3 and sales.orders["revenue"].null_count() == 3
    assert sales.orders.schema["revenue"] == pl.Float64
    assert sales.order_days["revenue"].null_count() == 3
    assert sales.customers.is_empty() and "revenue" in sales.customers.columns


def test_receipts_without_amount_negative_quantity_is_a_return():
    lines = _bakery(quantity=[1.0, 2.0, -2.0, -1.0], customer_id=["a", "a", "a", "b"])
    sales = build_facts({"transactions": lines}, None).sales
    assert (sales.has_amount, sales.has_customer_id) == (False, True)
    assert sales.orders.select("order_id", "is_order", "items").rows() == [("1", True, 1.0), ("2", True, 0.0), ("3", False, -1.0)]
    a = customer(sales, "a")
    assert (a["orders"], a["revenue"]) == (2, None)  # revenue unknown, not 0
    assert sales.customers["customer_id"].to_list() == ["a"]  # b only returned


def test_receipts_without_customer_keep_their_amounts():
    lines = _bakery(amount=[2.5, 4.0, 3.0, -2.5])
    sales = build_facts({"transactions": lines}, None).sales
    assert (sales.has_amount, sales.has_customer_id) == (True, False)
    assert sales.orders.select("order_id", "revenue", "is_order").rows() == [("1", 2.5, True), ("2", 7.0, True), ("3", -2.5, False)]
    assert sales.customers.is_empty()


def test_no_order_id_and_no_customer_each_line_is_an_order():
    sales = build_facts({"transactions": _bakery().drop("order_id")}, None).sales
    assert sales.orders.height == 4 and sales.orders["is_order"].all()
