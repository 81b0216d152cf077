"""Revenue drivers, the profit formula (METHODS §5), checked three ways.

1. A hand fixture (two one-month periods, product groups, quantities, a return at the till, a return-only receipt,
   unidentified checks) with every number of the formula, targets and chain substitution written out below.
2. A plain-Python reference (dicts and loops) of the formula per period × product group × buyers, compared with
   the polars output on hypothesis-generated logs, with and without quantity and product_group.
3. Invariants: the drivers multiply back to revenue, contributions telescope exactly to the revenue change for
   any drivers and any order, group revenues add up to all products, identified + unidentified = total, variance
   shares sum to 1, input row order is irrelevant. Plus the default periods and the spec errors.

Readings of METHODS used here (the methodology appendix states them): revenue and items by line date, orders and
customers by order date; items = quantity of purchase lines (amount ≥ 0; a missing quantity counts 1; no quantity
column: 1 per line); returns reduce revenue, never items; a group's orders = orders with a purchase line of it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import polars as pl
import pytest
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from cjmgen.analyses import drivers
from cjmgen.charts.drivers import driver_label
from cjmgen.charts.theme import Theme

D = dt.date
LINE_COLUMNS = (*TX_COLUMNS, "quantity", "product_group")
HAND_PERIODS = {"base": {"start": D(2023, 1, 1), "end": D(2023, 1, 31)},
                "current": {"start": D(2023, 2, 1), "end": D(2023, 2, 28)}}


# ===================================================================== 1. hand fixture
#
# Base (January). Identified: A o1 100 (2 main) + 20 (1 add-on), A o2 50 (1 main), B o3 200 (4 main),
#   B o4 −30 (return-only receipt: no order, revenue −30, no items).
#   customers 2, orders 3, revenue 340, items 8: frequency 1.5, depth 8/3, price 42.5, check 113.33.
#   2 × 1.5 × 8/3 × 42.5 = 340.  Unidentified: u1 40 (1 main): 1 order, 40.
# Current (February). Identified: A o5 120 (3 main) + 30 (2 add-on) − 10 (add-on returned at the till: the order
#   stays, no items), B o6 60 (1 main), C o7 90 (2 main), C o8 40 (1 add-on).
#   customers 3, orders 4, revenue 330, items 9: frequency 4/3, depth 9/4, price 330/9, check 82.5.
#   Unidentified: u2 70 (2 main), u3 30 (1 add-on): 2 orders, 100.
# Totals: base 380 on 4 orders, current 430 on 6 orders.
HAND = tx([
    ("A", "o1", "2023-01-05", 100, 2, "main"), ("A", "o1", "2023-01-05", 20, 1, "add-on"),
    ("A", "o2", "2023-01-20", 50, 1, "main"), ("B", "o3", "2023-01-10", 200, 4, "main"),
    ("B", "o4", "2023-01-25", -30, -1, "main"), (None, "u1", "2023-01-12", 40, 1, "main"),
    ("A", "o5", "2023-02-03", 120, 3, "main"), ("A", "o5", "2023-02-03", 30, 2, "add-on"),
    ("A", "o5", "2023-02-03", -10, -1, "add-on"), ("B", "o6", "2023-02-14", 60, 1, "main"),
    ("C", "o7", "2023-02-20", 90, 2, "main"), ("C", "o8", "2023-02-27", 40, 1, "add-on"),
    (None, "u2", "2023-02-10", 70, 2, "main"), (None, "u3", "2023-02-11", 30, 1, "add-on"),
], LINE_COLUMNS)
HAND_AS_OF = D(2023, 2, 28)
FORMULA_COLUMNS = ["period", "group", "buyers", "customers", "orders", "orders_per_customer", "avg_check", "depth",
                   "price", "revenue", "items"]
HAND_FORMULA = [
    # period, group, buyers, customers, orders, per customer, check, depth, price, revenue, items
    ("base", "all", "identified", 2, 3, 1.5, 340 / 3, 8 / 3, 42.5, 340.0, 8.0),
    ("base", "all", "unidentified", None, 1, None, 40.0, 1.0, 40.0, 40.0, 1.0),
    # add-on: only o1 has an add-on line (A)
    ("base", "add-on", "identified", 1, 1, 1.0, 20.0, 1.0, 20.0, 20.0, 1.0),
    ("base", "add-on", "unidentified", None, 0, None, None, None, None, 0.0, 0.0),
    # main: o1, o2, o3; revenue 100 + 50 + 200 − 30
    ("base", "main", "identified", 2, 3, 1.5, 320 / 3, 7 / 3, 320 / 7, 320.0, 7.0),
    ("base", "main", "unidentified", None, 1, None, 40.0, 1.0, 40.0, 40.0, 1.0),
    ("current", "all", "identified", 3, 4, 4 / 3, 82.5, 2.25, 330 / 9, 330.0, 9.0),
    ("current", "all", "unidentified", None, 2, None, 50.0, 1.5, 100 / 3, 100.0, 3.0),
    # add-on: o5 (A), o8 (C); revenue 30 − 10 + 40, items 2 + 1
    ("current", "add-on", "identified", 2, 2, 1.0, 30.0, 1.5, 20.0, 60.0, 3.0),
    ("current", "add-on", "unidentified", None, 1, None, 30.0, 1.0, 30.0, 30.0, 1.0),
    # main: o5, o6, o7; revenue 120 + 60 + 90, items 3 + 1 + 2
    ("current", "main", "identified", 3, 3, 1.0, 90.0, 2.0, 45.0, 270.0, 6.0),
    ("current", "main", "unidentified", None, 1, None, 70.0, 2.0, 35.0, 70.0, 2.0),
]


def test_hand_formula():
    result = run_analysis(drivers, HAND, HAND_AS_OF, periods=HAND_PERIODS)
    got = result.formula
    assert got.columns == [*FORMULA_COLUMNS, "start", "end"]
    expected = pl.DataFrame(HAND_FORMULA, schema=FORMULA_COLUMNS, orient="row")
    assert_frame_equal(got.select(FORMULA_COLUMNS), expected, check_dtypes=False, rel_tol=1e-12)
    assert result.totals["base"] == {"identified": 340.0, "unidentified": 40.0, "total": 380.0, "orders": 4,
                                              "avg_check": 95.0}
    assert result.totals["current"]["total"] == 430.0 and result.totals["current"]["orders"] == 6
    assert result.revenue_change == pytest.approx(430 / 380 - 1)


def test_hand_chain_substitution():
    # base C 2, F 1.5, D 8/3, P 42.5 (340) → current C 3, F 4/3, D 9/4, P 330/9 (330)
    # customers first: 3 × 1.5 × 8/3 × 42.5 = 510 (+170); frequency: 3 × 4/3 × 8/3 × 42.5 = 453.33 (−56.67);
    # depth: 3 × 4/3 × 9/4 × 42.5 = 382.5 (−70.83); price: 330 (−52.5). Sum −10 = 330 − 340.
    # unidentified 40 → 100: +60. Total change 430 − 380 = 50; shares = contribution / 50.
    factors = run_analysis(drivers, HAND, HAND_AS_OF, periods=HAND_PERIODS).factors
    expected = pl.DataFrame([
        ("customers", 2.0, 3.0, 170.0, 3.4, 0.5),
        ("frequency", 1.5, 4 / 3, -170 / 3, -17 / 15, -1 / 9),
        ("depth", 8 / 3, 2.25, 382.5 - 1360 / 3, (382.5 - 1360 / 3) / 50, -5 / 32),
        ("price", 42.5, 330 / 9, -52.5, -1.05, (330 / 9) / 42.5 - 1),
        ("unidentified", 40.0, 100.0, 60.0, 1.2, 1.5),
    ], schema=["driver", "base", "current", "contribution", "share_of_change", "change"], orient="row")
    assert_frame_equal(factors, expected, rel_tol=1e-12)


def test_hand_order_of_substitution_changes_the_split_not_the_sum():
    # price first: 2 × 1.5 × 8/3 × 330/9 = 293.33 (−46.67); then depth: 2 × 1.5 × 9/4 × 330/9 = 247.5 (−45.83);
    # frequency: 2 × 4/3 × 9/4 × 330/9 = 220 (−27.5); customers: 330 (+110).
    factors = run_analysis(drivers, HAND, HAND_AS_OF, periods=HAND_PERIODS,
                           order=["price", "depth", "frequency", "customers"])
    table = factors.factors
    assert table["driver"].to_list() == ["price", "depth", "frequency", "customers", "unidentified"]
    assert table["contribution"].to_list() == pytest.approx([880 / 3 - 340, 247.5 - 880 / 3, -27.5, 110.0, 60.0])
    assert factors.strongest is not None and factors.strongest.driver == "customers"
    assert factors.strongest.contribution == pytest.approx(110.0)


def test_hand_targets():
    targets = run_analysis(drivers, HAND, HAND_AS_OF, periods=HAND_PERIODS, target_growth=0.2).targets
    everything = targets.filter(pl.col("group") == "all")
    assert everything["driver"].to_list() == ["revenue", "customers", "frequency", "avg_check", "depth", "price"]
    assert everything["current"].to_list() == pytest.approx([330, 3, 4 / 3, 82.5, 2.25, 330 / 9])
    assert everything["increase"].to_list() == pytest.approx([66, 0.6, 4 / 15, 16.5, 0.45, 22 / 3])
    assert everything["target"].to_list() == pytest.approx([396, 3.6, 1.6, 99, 2.7, 44])
    # per group: main revenue 270 → +54; add-on customers 2 → +0.4
    assert targets.filter((pl.col("group") == "main") & (pl.col("driver") == "revenue"))["increase"].item() == pytest.approx(54)
    assert targets.filter((pl.col("group") == "add-on") & (pl.col("driver") == "customers"))["target"].item() == pytest.approx(2.4)
    assert targets["group"].unique(maintain_order=True).to_list() == ["all", "add-on", "main"]


def test_hand_facts_and_short_sensitivity():
    result = run_analysis(drivers, HAND, HAND_AS_OF, periods=HAND_PERIODS)
    lever = result.strongest
    assert lever is not None and lever.driver == "customers"
    assert (lever.contribution, lever.share, lever.change) == pytest.approx((170.0, 3.4, 0.5))
    assert result.one_pct == pytest.approx(3.3)
    assert result.depth_basis == "items" and result.groups == ["add-on", "main"] and result.default_months is None
    assert result.comparison == "spec"
    assert result.sensitive is None  # two months: fewer than MIN_MONTHS
    assert result.sensitivity["variance_share"].null_count() == 4


def test_without_quantity_depth_counts_purchase_lines():
    # o5 has three lines, one a return: 2 purchase lines; without product_group only the "all" rows exist
    lines = HAND.drop("quantity", "product_group")
    result = run_analysis(drivers, lines, HAND_AS_OF, periods=HAND_PERIODS)
    table = result.formula
    assert table["group"].unique().to_list() == ["all"]
    current = table.filter((pl.col("period") == "current") & (pl.col("buyers") == "identified")).row(0, named=True)
    assert current["items"] == 5.0  # o5: 2, o6: 1, o7: 1, o8: 1
    assert current["depth"] == pytest.approx(5 / 4) and current["price"] == pytest.approx(66.0)
    assert result.depth_basis == "lines"
    assert driver_label(Theme("en"), "depth", result.depth_basis) == "Lines per order"


def test_missing_quantity_counts_one_item():
    lines = tx([("A", "1", "2023-02-01", 30, None, "main"), ("A", "1", "2023-02-01", 20, 4, "main")], LINE_COLUMNS)
    table = run_analysis(drivers, lines, D(2023, 2, 1)).formula
    assert table.filter(pl.col("buyers") == "identified")["items"].to_list() == [5.0, 5.0]


def test_revenue_by_line_date_orders_by_order_date():
    # a return under the January receipt, dated in February: January keeps the order, February the −40
    lines = tx([("A", "r1", "2023-01-10", 100, 1, "main"), ("A", "r1", "2023-02-03", -40, -1, "main"),
                ("A", "r2", "2023-02-05", 10, 1, "main")], LINE_COLUMNS)
    table = run_analysis(drivers, lines, HAND_AS_OF, periods=HAND_PERIODS).formula
    known = table.filter((pl.col("buyers") == "identified") & (pl.col("group") == "all"))
    assert known.select("period", "orders", "revenue", "items").rows() == [("base", 1, 100.0, 1.0), ("current", 1, -30.0, 1.0)]


def test_no_factor_table_when_a_period_has_no_customers():
    lines = tx([("A", "1", "2023-02-10", 10, 1, "main"), (None, "2", "2023-01-10", 10, 1, "main")], LINE_COLUMNS)
    result = run_analysis(drivers, lines, HAND_AS_OF, periods=HAND_PERIODS)
    assert result.factors is None and result.strongest is None
    assert "drivers_factors" not in result.exported_tables()
    assert result.totals["base"]["total"] == 10.0


# ===================================================================== default periods and spec errors

@pytest.mark.parametrize(("as_of", "first_day", "expected", "months", "comparison"), [
    (D(2023, 12, 31), D(2022, 1, 1), ((D(2022, 1, 1), D(2022, 12, 31)), (D(2023, 1, 1), D(2023, 12, 31))), 12,
     "year_over_year"),
    (D(2023, 12, 31), D(2022, 1, 8), ((D(2022, 1, 1), D(2022, 12, 31)), (D(2023, 1, 1), D(2023, 12, 31))), 12,
     "year_over_year"),
    # one day past the grace: 11 months each, the same months a year apart (not 11 consecutive months: seasons)
    (D(2023, 12, 31), D(2022, 1, 9), ((D(2022, 2, 1), D(2022, 12, 31)), (D(2023, 2, 1), D(2023, 12, 31))), 11,
     "year_over_year"),
    (D(2024, 2, 29), D(2021, 5, 1), ((D(2022, 3, 1), D(2023, 2, 28)), (D(2023, 3, 1), D(2024, 2, 29))), 12,
     "year_over_year"),
    # 16 months of data: the last 4 months vs the same 4 months a year before
    (D(2023, 12, 31), D(2022, 9, 1), ((D(2022, 9, 1), D(2022, 12, 31)), (D(2023, 9, 1), D(2023, 12, 31))), 4,
     "year_over_year"),
    (D(2023, 12, 31), D(2022, 10, 1), ((D(2022, 10, 1), D(2022, 12, 31)), (D(2023, 10, 1), D(2023, 12, 31))), 3,
     "year_over_year"),
    # 14 months: fewer than 3 months a year apart, so the two halves of the last year, flagged as seasonal
    (D(2023, 12, 31), D(2022, 11, 1), ((D(2023, 1, 1), D(2023, 6, 30)), (D(2023, 7, 1), D(2023, 12, 31))), 6,
     "halves"),
    (D(2024, 3, 15), D(2023, 6, 1), ((D(2023, 7, 16), D(2023, 11, 15)), (D(2023, 11, 16), D(2024, 3, 15))), 4,
     "halves"),
])
def test_default_periods(as_of, first_day, expected, months, comparison):
    windows, got, kind = drivers.resolve_periods(as_of, first_day, None)
    assert (windows["base"], windows["current"]) == expected and got == months and kind == comparison


def test_one_year_of_data_compares_halves_and_says_so():
    """Defect: a single year was split into two halves silently; the result records it and the words say it."""
    lines = tx([(c, f"{c}{m}", f"2023-{m:02d}-05", 10 * m, 1, "main") for m in range(1, 13) for c in "AB"],
               LINE_COLUMNS)
    result = run_analysis(drivers, lines, D(2023, 12, 31))
    assert result.comparison == "halves" and result.default_months == 6
    assert result.periods["base"] == (D(2023, 1, 1), D(2023, 6, 30))
    html = _headline(result, "en")
    assert "Two halves of one year are compared, so seasonality affects the result" in html
    assert "Две половины одного года" in _headline(result, "ru")
    chapter = _chapter(result, "en")
    assert "two halves of one year. Seasonality affects this comparison" in chapter


def test_two_years_of_data_compare_the_same_months():
    lines = tx([(c, f"{c}{y}{m}", f"{y}-{m:02d}-05", 10 * m, 1, "main") for y in (2022, 2023) for m in range(1, 13)
                for c in "AB"], LINE_COLUMNS)
    result = run_analysis(drivers, lines, D(2023, 12, 31))
    assert result.comparison == "year_over_year" and result.default_months == 12
    assert "seasonality" not in _headline(result, "en")


def _env(locale: str):
    from cjmgen.render.html import report_environment

    env = report_environment(locale, "EUR")
    return env


def _headline(result, locale: str) -> str:
    return " ".join(_env(locale).get_template("_headline_drivers.html").render(result=result).split())


def _chapter(result, locale: str) -> str:
    text = _env(locale).get_template("_drivers.html").render(result=result, charts={"waterfall": "", "changes": ""})
    return " ".join(text.split())


def test_data_shorter_than_two_months_gives_the_current_period_only():
    windows, months, kind = drivers.resolve_periods(D(2023, 3, 10), D(2023, 2, 20), None)
    assert windows == {"current": (D(2023, 2, 20), D(2023, 3, 10))} and months == 0 and kind == "current_only"
    lines = tx([("A", "1", "2023-02-20", 10, 1, "main"), ("A", "2", "2023-03-10", 30, 2, "main")], LINE_COLUMNS)
    result = run_analysis(drivers, lines, None)
    assert result.formula["period"].unique().to_list() == ["current"]
    assert result.factors is None and result.has_base is False and result.comparison == "current_only"


def test_small_product_groups_are_flagged_and_never_named_extremes():
    """Defect: a group with 11 orders could be named the fastest grower; below min_orders it stays in the tables."""
    rows = []
    for period, month in (("base", 1), ("current", 2)):
        for i in range(40):  # main: 40 orders a month, revenue 10 → 11 per order (+10%)
            rows.append((f"c{i}", f"m{period}{i}", f"2023-{month:02d}-05", 10 if period == "base" else 11, 1, "main"))
        for i in range(35):  # gift: 35 orders, 10 → 9 (−10%)
            rows.append((f"c{i}", f"g{period}{i}", f"2023-{month:02d}-06", 10 if period == "base" else 9, 1, "gift"))
        for i in range(11):  # tiny: 11 orders, 10 → 30 (+200%)
            rows.append((f"c{i}", f"t{period}{i}", f"2023-{month:02d}-07", 10 if period == "base" else 30, 1, "tiny"))
    result = run_analysis(drivers, tx(rows, LINE_COLUMNS), HAND_AS_OF, periods=HAND_PERIODS)
    assert result.min_orders == 30 and result.small_groups == ["tiny"]
    assert result.fastest_group is not None and result.slowest_group is not None
    assert (result.fastest_group.group, result.slowest_group.group) == ("main", "gift")
    assert result.fastest_group.change == pytest.approx(0.1)
    assert "tiny" in result.formula["group"].to_list()  # stays in the tables
    chapter = _chapter(result, "en")
    assert "main grew fastest (+10.0%) and gift slowest (−10.0%)" in chapter and "tiny&nbsp;†" in chapter
    loose = run_analysis(drivers, tx(rows, LINE_COLUMNS), HAND_AS_OF, periods=HAND_PERIODS, min_orders=5)
    assert loose.small_groups == [] and loose.fastest_group.group == "tiny"


def test_periods_past_the_data_are_flagged():
    periods = {"base": {"start": D(2022, 12, 1), "end": D(2023, 1, 31)}, "current": {"start": D(2023, 2, 1), "end": D(2023, 3, 31)}}
    f = run_analysis(drivers, HAND, HAND_AS_OF, periods=periods)
    assert f.current_after_as_of is True and f.base_before_data is True


@pytest.mark.parametrize(("params", "message"), [
    ({"order": ["customers", "frequency", "depth"]},
     "expected each of customers, frequency, depth, price exactly once, got ['customers', 'frequency', 'depth']"),
    ({"order": ["customers", "customers", "depth", "price"]},
     "expected each of customers, frequency, depth, price exactly once, got ['customers', 'customers', 'depth', 'price']"),
    ({"periods": {"base": {"start": D(2023, 2, 1), "end": D(2023, 1, 1)}, "current": HAND_PERIODS["current"]}},
     "expected start on or before end, got start 2023-02-01 and end 2023-01-01"),
    ({"periods": {"base": HAND_PERIODS["current"], "current": HAND_PERIODS["base"]}},
     "expected the base period to end before the current one starts, got base end 2023-02-28 and current start 2023-01-01"),
])
def test_spec_errors(params, message):
    with pytest.raises(ValidationError) as caught:
        drivers.Params(**params)
    assert message in str(caught.value)


def test_spec_rejects_bad_values():
    for bad in ({"target_growth": 0}, {"order": ["customers", "frequency", "depth", "margin"]}, {"periods": {"base": {}}},
                {"unknown": 1}):
        with pytest.raises(ValidationError):
            drivers.Params(**bad)


# ===================================================================== 2. plain-Python reference

def ref_formula(lines: list[dict], as_of, windows, has_quantity: bool, has_group: bool) -> dict:
    """{(period, group, buyers): (customers, orders, revenue, items)} by METHODS §1 and the readings above."""
    kept = [dict(line, day=line["date"].date()) for line in lines if line["date"].date() <= as_of]
    orders: dict = {}
    for line in kept:
        o = orders.setdefault(line["order_id"], {"customer": line["customer_id"], "day": line["day"], "real": False,
                                                 "groups": set()})
        o["day"] = min(o["day"], line["day"])
        if line["amount"] >= 0:
            o["real"] = True
            o["groups"].add(line["product_group"] or "—")

    def units(line):
        if line["amount"] < 0:
            return 0.0
        return 1.0 if not has_quantity or line["quantity"] is None else line["quantity"]

    groups = ["all", *sorted({line["product_group"] or "—" for line in kept})] if has_group else ["all"]
    out = {}
    for period, (start, end) in windows.items():
        for group in groups:
            for buyers in ("identified", "unidentified"):
                known = buyers == "identified"
                mine = [o for o in orders.values() if o["real"] and start <= o["day"] <= end
                        and (o["customer"] is not None) == known and (group == "all" or group in o["groups"])]
                part = [line for line in kept if start <= line["day"] <= end and (line["customer_id"] is not None) == known
                        and (group == "all" or (line["product_group"] or "—") == group)]
                out[(period, group, buyers)] = (
                    len({o["customer"] for o in mine}) if known else None, len(mine),
                    sum(line["amount"] for line in part), sum(units(line) for line in part))
    return out


CUSTOMERS = ["c0", "c1", "c2", "c3", None]
GROUPS = ["main", "add-on", None]
AMOUNTS = [-40.0, -5.0, 0.0, 5.0, 10.0, 25.0, 60.0, 150.0]  # whole numbers: sums are exact
BASE = dt.datetime(2023, 1, 1, 10)


@st.composite
def logs(draw, max_orders: int = 14, span: int = 120):
    """(lines, as_of). Each order has one customer and one day; lines pick a group, an amount and a quantity."""
    lines = []
    for number in range(draw(st.integers(1, max_orders))):
        customer, offset = draw(st.sampled_from(CUSTOMERS)), draw(st.integers(0, span))
        for _ in range(draw(st.integers(1, 3))):
            amount = draw(st.sampled_from(AMOUNTS))
            quantity = draw(st.one_of(st.none(), st.integers(1, 4).map(float)))
            lines.append({"customer_id": customer, "order_id": f"o{number}", "date": BASE + dt.timedelta(days=offset),
                          "amount": amount, "quantity": -quantity if amount < 0 and quantity else quantity,
                          "product_group": draw(st.sampled_from(GROUPS))})
    return lines, (BASE + dt.timedelta(days=draw(st.integers(span // 2, span + 5)))).date()


FAST = settings(max_examples=60, deadline=None)
WINDOWS = {"base": {"start": D(2023, 1, 1), "end": D(2023, 2, 15)}, "current": {"start": D(2023, 2, 16), "end": D(2023, 4, 30)}}


@FAST
@given(data=st.data(), has_quantity=st.booleans(), has_group=st.booleans())
def test_matches_reference(data, has_quantity, has_group):
    lines, as_of = data.draw(logs())
    frame = tx(lines, LINE_COLUMNS)
    frame = frame if has_quantity else frame.drop("quantity")
    frame = frame if has_group else frame.drop("product_group")
    result = run_analysis(drivers, frame, as_of, periods=WINDOWS)
    windows = {k: (v["start"], v["end"]) for k, v in WINDOWS.items()}
    expected = ref_formula(lines, as_of, windows, has_quantity, has_group)
    got = {(r["period"], r["group"], r["buyers"]): r for r in result.formula.to_dicts()}
    assert set(got) == set(expected)
    for key, (customers, orders, revenue, items) in expected.items():
        row = got[key]
        assert (row["customers"], row["orders"]) == (customers, orders), key
        assert row["revenue"] == pytest.approx(revenue) and row["items"] == pytest.approx(items), key
        assert row["avg_check"] == (pytest.approx(revenue / orders) if orders else None), key
        assert row["price"] == (pytest.approx(revenue / items) if items else None), key


# ===================================================================== 3. invariants

@FAST
@given(data=st.data())
def test_formula_invariants(data):
    lines, as_of = data.draw(logs())
    result = run_analysis(drivers, tx(lines, LINE_COLUMNS), as_of, periods=WINDOWS)
    table = result.formula
    for row in table.filter(pl.col("buyers") == "identified").to_dicts():
        if row["price"] is not None and row["orders_per_customer"] is not None:
            product = row["customers"] * row["orders_per_customer"] * row["depth"] * row["price"]
            assert product == pytest.approx(row["revenue"], abs=1e-9)
            assert row["depth"] * row["price"] == pytest.approx(row["avg_check"])
    for _key, rows in table.group_by("period", "buyers"):
        everything = rows.filter(pl.col("group") == "all")["revenue"].item()
        assert rows.filter(pl.col("group") != "all")["revenue"].sum() == pytest.approx(everything)
    for totals in result.totals.values():
        assert totals["identified"] + totals["unidentified"] == pytest.approx(totals["total"])
    if result.factors is not None:
        factors = result.factors
        change = result.totals["current"]["total"] - result.totals["base"]["total"]
        assert factors["contribution"].sum() == pytest.approx(change, abs=1e-6)
        identified = result.totals["current"]["identified"] - result.totals["base"]["identified"]
        assert factors.filter(pl.col("driver") != "unidentified")["contribution"].sum() == pytest.approx(identified, abs=1e-6)


positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
driver_values = st.fixed_dictionaries({d: positive for d in drivers.DRIVERS})


@settings(max_examples=100, deadline=None)
@given(base=driver_values, current=driver_values, order=st.permutations(list(drivers.DRIVERS)))
def test_contributions_sum_exactly_to_the_change(base, current, order):
    contributions = drivers.chain_substitution(base, current, order)
    assert [d for d, _ in contributions] == order
    change = math.prod(current.values()) - math.prod(base.values())
    # each contribution is one float subtraction of two revenues met along the chain: the sum is exact up to
    # rounding relative to the largest of them
    values, largest = dict(base), abs(math.prod(base.values()))
    for driver in order:
        values[driver] = current[driver]
        largest = max(largest, abs(math.prod(values.values())))
    assert math.fsum(c for _, c in contributions) == pytest.approx(change, rel=0, abs=1e-14 * largest * 8)


def test_a_driver_that_does_not_change_contributes_nothing_in_any_order():
    base = {"customers": 100, "frequency": 2.0, "depth": 3.0, "price": 50.0}
    current = dict(base, customers=120, price=55.0)
    for order in itertools.permutations(drivers.DRIVERS):
        contributions = dict(drivers.chain_substitution(base, current, list(order)))
        assert contributions["frequency"] == 0 and contributions["depth"] == 0
        assert contributions["customers"] + contributions["price"] == pytest.approx(120 * 2 * 3 * 55 - 100 * 2 * 3 * 50)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.floats(0.5, 50)] * 4), min_size=6, max_size=24))
def test_variance_shares_sum_to_one(months):
    values = {d: [m[i] for m in months] for i, d in enumerate(drivers.DRIVERS)}
    revenue = [math.prod(m) for m in months]
    shares = drivers.variance_shares(values, revenue)
    if shares:
        assert math.fsum(shares.values()) == pytest.approx(1.0)


def test_variance_share_of_the_only_moving_driver_is_one():
    months = 8
    values = {"customers": [float(10 + i) for i in range(months)], "frequency": [1.5] * months,
              "depth": [2.0] * months, "price": [40.0] * months}
    revenue = [c * 1.5 * 2 * 40 for c in values["customers"]]
    assert drivers.variance_shares(values, revenue) == pytest.approx({"customers": 1.0, "frequency": 0.0, "depth": 0.0,
                                                                      "price": 0.0})


@FAST
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_row_order_does_not_matter(data, seed):
    lines, as_of = data.draw(logs())
    frame = tx(lines, LINE_COLUMNS)
    a = run_analysis(drivers, frame, as_of, periods=WINDOWS)
    b = run_analysis(drivers, frame.sample(fraction=1.0, shuffle=True, seed=seed), as_of, periods=WINDOWS)
    tables_a, tables_b = a.exported_tables(), b.exported_tables()
    assert tables_a.keys() == tables_b.keys()
    for key in tables_a:
        assert_frame_equal(tables_a[key], tables_b[key], rel_tol=1e-9, abs_tol=1e-9)


def test_charts_build_on_the_hand_fixture():
    from cjmgen.charts import drivers as drivers_charts

    result = run_analysis(drivers, HAND, HAND_AS_OF, periods=HAND_PERIODS)
    charts = drivers_charts.charts(result, Theme("en"))
    assert set(charts) == {"waterfall", "changes"}
    waterfall = charts["waterfall"].to_dict()
    steps = waterfall["layer"][0]["data"]["values"] if "data" in waterfall["layer"][0] else waterfall["data"]["values"]
    assert [s["step"] for s in steps] == ["Base period", "Customers", "Orders per customer", "Items per order",
                                          "Price per item", "Orders without a customer ID", "Current period"]
    assert steps[-2]["hi"] == pytest.approx(430.0) and steps[0]["hi"] == 380.0


def _walk(base: float, moves: list[float]) -> dict:
    from cjmgen.charts import drivers as drivers_charts

    factors = pl.DataFrame({"driver": ["customers", "frequency", "depth", "price", "unidentified"][:len(moves)],
                            "contribution": moves})
    names = {k: k for k in ("customers", "frequency", "depth", "price", "unidentified")}
    return drivers_charts.waterfall(factors, base, base + sum(moves), names, Theme("en")).to_dict()


def test_waterfall_axis_starts_at_zero_or_shows_the_break():
    """Defect: the revenue axis was cut near the lowest level with nothing to say so, which exaggerated the moves."""
    big = _walk(100.0, [170.0, -60.0, -40.0, -20.0])  # moves large against revenue: a zero-based axis
    scale = big["layer"][0]["encoding"]["y"]["scale"]
    assert scale["domain"][0] == 0 and scale["zero"] is True and len(big["layer"]) == 3
    small = _walk(1_000_000.0, [12_000.0, -5_000.0, 3_000.0])  # small moves: a cut axis, marked and said
    scale = small["layer"][0]["encoding"]["y"]["scale"]
    assert 0 < scale["domain"][0] < 1_000_000 - 5_000 and len(small["layer"]) == 4
    assert small["layer"][3]["mark"]["color"] == "white"  # the gap across the total bars
    assert small["title"]["subtitle"] == "The revenue axis does not start at zero."


def test_waterfall_labels_wrap_by_width_and_small_moves_stay_visible():
    chart = _walk(1_000_000.0, [12_000.0, -50.0])
    steps = chart["layer"][0]["data"]["values"] if "data" in chart["layer"][0] else chart["data"]["values"]
    x_axis = chart["layer"][0]["encoding"]["x"]["axis"]
    assert x_axis["labelAngle"] == 0 and "\\n" in x_axis["labelExpr"]
    names = {"Base period": "Base period", "Current period": "Current period"}
    for s in steps:
        assert all(len(line) <= 14 for line in s["label"].split("\n")) or " " not in s["step"]
        assert s["label"].replace("\n", " ") == names.get(s["step"], s["step"])
    mark = chart["layer"][0]["mark"]
    assert mark["strokeWidth"] >= 2 and "stroke" in chart["layer"][0]["encoding"]  # −50 of 1M is a bar, not a line
    y_axis = chart["layer"][0]["encoding"]["y"]["axis"]
    assert y_axis["labelOverlap"] == "greedy" and y_axis["tickCount"] <= 6


def untranslated(templates: list[str], modules: list[str], locale: str = "ru") -> list[str]:
    """msgids of these templates and modules that the locale's catalog lacks (the chapter must read whole in it)."""
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1]
    with (root / "locale" / locale / "LC_MESSAGES" / "cjmgen.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found = [m for t in templates for m in extract_from_file(
        "jinja2", root / "report_templates" / t, keywords=keywords,
        options={"extensions": "jinja2.ext.i18n", "trimmed": "true"})]
    found += [m for f in modules for m in extract_from_file("python", root / f, keywords=keywords)]
    out = []
    for _line, message, *_ in found:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            out.append(key)
    return out


def test_every_sentence_of_the_chapter_is_translated():
    assert untranslated(["_drivers.html", "_headline_drivers.html", "_drivers_labels.html"],
                        ["cjmgen/charts/drivers.py"]) == []
