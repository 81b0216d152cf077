"""Historical and predictive LTV (METHODS §3, cjmgen.analyses.ltv), checked four ways.

1. A hand fixture (5 customers, cost mapped, a return-only receipt, two receipts on one day, a line without
   cost, an unidentified check, a line after as_of) with every expected number worked out below.
2. A plain-Python reference (dicts and loops, no polars) of the historical tables and the BTYD inputs,
   compared with the polars output on hypothesis-generated logs.
3. Invariants: group tables partition the customers and the value; histogram counts every customer once;
   P(alive) in [0, 1]; expected values ≥ 0; input row order is irrelevant.
4. The forecast end to end on a log simulated from a known BG/NBD: the holdout predicts the held-out
   repeat purchases; too few repeat customers skip the forecast with a reason; a fit that does not converge
   is reported in the table and in the chapter, not hidden.

Choices where METHODS is silent (also stated in the chapter's methodology): value = margin when cost is
mapped (a line without cost counts as zero cost); a BTYD purchase = a customer's calendar day with ≥1 real
order; cohort age = full calendar months from the first order to as_of; percentiles interpolate linearly;
the top-10% share takes the ⌈0.1·N⌉ most valuable customers.
"""

from __future__ import annotations

import datetime as dt
import lzma
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from cjmgen import api
from cjmgen.analyses import btyd, ltv, ltv_history, ltv_models, rfm
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts
from cjmgen.render.html import templates_root

D = dt.date
SIM_AS_OF = D(2023, 12, 31)
LINE_COLUMNS = (*TX_COLUMNS, "cost", "store")
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ===================================================================== 1. hand fixture
#
# as_of 2024-03-31 (a Sunday), weeks. Margin = revenue − cost per line (a missing cost counts as 0).
# cust  orders (day: revenue / cost)                                  value (margin)  first day
# A     01-01 100/60 (S1); 01-15 200/120 and 50/30 (two receipts, S2);  310 − 186 = 124   2024-01-01
#       03-11 return-only receipt −40/−24 (no order, lowers the value)
# B     2023-03-10 300/100 (S2); 2023-03-31 100/50 (S2)                  400 − 150 = 250   2023-03-10
# C     03-31 80/50 (S1), the as_of day                                   80 − 50 = 30     2024-03-31
# D     2023-10-05 60/— (S1, 09:00) and 40/10 (S2, 15:00), one day       100 − 10 = 90     2023-10-05
# E     2022-02-15 500/300 (S1); 2022-02-20 100/80; 2024-04-05 999 cut   600 − 380 = 220   2022-02-15
# unidentified 2024-02-01 70/30: in no customer metric.
#
# BTYD inputs (purchase days; weeks = days / 7):
# A: days 01-01, 01-15 → x 1, recency 14 d = 2, T 90 d, repeat value (01-15 margin) 80 + 20 = 100, net of the
#    03-11 return (margin −16, placed on the latest purchase day before it, 01-15): 84
# B: x 1, recency 21 d = 3, T 387 d, repeat value 50
# C: x 0, recency 0, T 0         D: two receipts one day → x 0, T 178 d      E: x 1, recency 5 d, T 775 d, value 20
HAND_AS_OF = D(2024, 3, 31)
HAND = tx([
    ("A", "a1", "2024-01-01 10:00", 100, 60, "S1"), ("A", "a2", "2024-01-15 10:00", 200, 120, "S2"),
    ("A", "a3", "2024-01-15 18:00", 50, 30, "S2"), ("A", "a4", "2024-03-11 10:00", -40, -24, "S1"),
    ("B", "b1", "2023-03-10 10:00", 300, 100, "S2"), ("B", "b2", "2023-03-31 10:00", 100, 50, "S2"),
    ("C", "c1", "2024-03-31 20:00", 80, 50, "S1"),
    ("D", "d1", "2023-10-05 09:00", 60, None, "S1"), ("D", "d2", "2023-10-05 15:00", 40, 10, "S2"),
    ("E", "e1", "2022-02-15 10:00", 500, 300, "S1"), ("E", "e2", "2022-02-20 10:00", 100, 80, "S1"),
    ("E", "e3", "2024-04-05 10:00", 999, 1, "S1"),
    (None, "u1", "2024-02-01 10:00", 70, 30, "S1"),
], LINE_COLUMNS)


def test_hand_customers():
    got = run_analysis(ltv, HAND, HAND_AS_OF, by=["store"]).customers
    expected = pl.DataFrame({
        "customer_id": ["A", "B", "C", "D", "E"],
        "first_day": [D(2024, 1, 1), D(2023, 3, 10), D(2024, 3, 31), D(2023, 10, 5), D(2022, 2, 15)],
        "orders": [3, 2, 1, 2, 2],
        "revenue": [310.0, 400.0, 80.0, 100.0, 600.0],
        "margin": [124.0, 250.0, 30.0, 90.0, 220.0],
        "frequency": [1, 1, 0, 0, 1],
        "recency": [2.0, 3.0, 0.0, 0.0, 5 / 7],
        "T": [90 / 7, 387 / 7, 0.0, 178 / 7, 775 / 7],
        "avg_repeat_value": [84.0, 50.0, None, None, 20.0],
    })
    assert_frame_equal(got.select(expected.columns), expected, check_dtypes=False, rel_tol=1e-12)
    # 3 repeat customers < 20: no forecast, the columns are there and empty
    assert got.select("p_alive", "expected_orders", "expected_avg_value", "expected_value").null_count().row(0) == (5,) * 4


def test_hand_distribution_facts():
    result = run_analysis(ltv, HAND, HAND_AS_OF)
    f = result.stats
    # sorted margins 30, 90, 124, 220, 250; linear percentile at position (N−1)·q
    assert result.measure == "margin"
    assert f.customers == 5 and f.value_total == pytest.approx(714.0)
    assert f.mean == pytest.approx(142.8)
    assert (f.p25, f.p50, f.p75) == pytest.approx((90.0, 124.0, 220.0))
    assert f.p90 == pytest.approx(220 + 0.6 * 30)
    assert f.top10_share == pytest.approx(250 / 714)  # ⌈0.5⌉ = 1 customer


def test_hand_by_cohort_age():
    got = run_analysis(ltv, HAND, HAND_AS_OF).by_cohort_age
    # full months to 2024-03-31: A 2, C 0 → 0–2; D 5 → 3–5; none 6–11; B 12 → 12–23; E 25 → 24+
    expected = pl.DataFrame({
        "group": ["0–2", "3–5", "6–11", "12–23", "24+"], "months_from": [0, 3, 6, 12, 24],
        "months_to": [2, 5, 11, 23, None], "customers": [2, 1, 0, 1, 1],
        "customers_share": [0.4, 0.2, 0.0, 0.2, 0.2], "value": [154.0, 90.0, 0.0, 250.0, 220.0],
        "value_share": [154 / 714, 90 / 714, None, 250 / 714, 220 / 714], "ltv_mean": [77.0, 90.0, None, 250.0, 220.0],
        "ltv_median": [77.0, 90.0, None, 250.0, 220.0], "orders_per_customer": [2.0, 2.0, None, 2.0, 2.0],
    })
    assert_frame_equal(got, expected, check_dtypes=False, rel_tol=1e-12)


def test_hand_by_store_of_the_first_order():
    got = run_analysis(ltv, HAND, HAND_AS_OF, by=["store"]).by["store"]
    # first orders: A a1 S1, B b1 S2, C c1 S1, D d1 (09:00) S1, E e1 S1
    expected = pl.DataFrame({
        "group": ["S1", "S2"], "customers": [4, 1], "customers_share": [0.8, 0.2], "value": [464.0, 250.0],
        "value_share": [464 / 714, 250 / 714], "ltv_mean": [116.0, 250.0], "ltv_median": [107.0, 250.0],
        "orders_per_customer": [2.0, 2.0],
    })
    assert_frame_equal(got, expected, check_dtypes=False, rel_tol=1e-12)


def test_hand_histogram():
    got = run_analysis(ltv, HAND, HAND_AS_OF, histogram_bins=5).distribution
    # P95 = 220 + 0.8·30 = 244; 244 / 5 = 48.8 → the nearest nice width is 50; 5 bars to 250, an open bar from 250
    assert got.select("lower", "upper", "customers").rows() == [
        (0.0, 50.0, 1), (50.0, 100.0, 1), (100.0, 150.0, 1), (150.0, 200.0, 0), (200.0, 250.0, 1), (250.0, None, 1)]
    assert got["value"].to_list() == [30.0, 90.0, 124.0, 0.0, 220.0, 250.0]


def test_hand_revenue_and_missing_cost():
    result = run_analysis(ltv, HAND, HAND_AS_OF, value="revenue")
    assert result.measure == "revenue" and result.stats.value_total == pytest.approx(1490.0)
    no_cost = run_analysis(ltv, HAND.drop("cost"), HAND_AS_OF, value="margin")
    assert no_cost.measure == "revenue" and no_cost.margin_requested_without_cost
    assert "margin" not in no_cost.customers.columns


def test_hand_forecast_skipped_with_a_reason():
    result = run_analysis(ltv, HAND, HAND_AS_OF, holdout_start=D(2024, 1, 1))
    assert result.forecast is None
    assert result.forecast_skipped == "too_few_repeat"
    assert result.repeat_customers == 3
    assert "ltv_params" not in result.exported_tables() and "ltv_holdout" not in result.exported_tables()
    assert run_analysis(ltv, HAND, HAND_AS_OF, predictive=False).forecast_skipped == "not_requested"


def test_hand_by_customer_attributes_and_rfm():
    people = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E"], "gender": ["ж", "M", "f", None, "м"],
                           "age": [22.0, 30.0, 70.0, None, 41.0]})
    facts = build_facts({"transactions": HAND, "customers": people}, HAND_AS_OF)
    result = ltv.compute(Context(None, facts), ltv.Params(by=["gender", "age", "rfm"]))
    by = lambda key: dict(result.by[key].select("group", "value").iter_rows())  # noqa: E731
    assert by("gender") == {"F": 154.0, "M": 470.0, "—": 90.0}  # A + C, B + E, D unknown
    assert by("age") == {"<25": 124.0, "25–34": 250.0, "35–44": 220.0, "65+": 30.0, "—": 90.0}
    segments = rfm.compute(Context(None, facts), rfm.Params()).customers
    expected: dict[str, float] = defaultdict(float)
    margins = {"A": 124.0, "B": 250.0, "C": 30.0, "D": 90.0, "E": 220.0}
    for customer, segment in segments.select("customer_id", "segment").iter_rows():
        expected[segment] += margins[customer]
    assert by("rfm") == dict(expected)


def test_unknown_dimension_is_reported_not_fatal():
    result = run_analysis(ltv, HAND, HAND_AS_OF, by=["store", "region"])
    assert result.dimensions == ("store",) and result.unknown_dimensions == ("region",)
    assert "ltv_by_region" not in result.exported_tables()


@pytest.mark.parametrize("first,as_of,months", [
    (D(2024, 1, 15), D(2024, 2, 15), 1), (D(2024, 1, 16), D(2024, 2, 15), 0),
    (D(2024, 1, 31), D(2024, 2, 29), 0), (D(2023, 12, 31), D(2024, 12, 31), 12), (D(2024, 3, 1), D(2024, 3, 1), 0)])
def test_cohort_age_is_full_calendar_months(first, as_of, months):
    frame = pl.DataFrame({"first_day": [first]})
    assert frame.select(ltv_history.cohort_age_months(pl.col("first_day"), as_of)).item() == months


@pytest.mark.parametrize("params,message", [
    ({"cohort_age_bands": [6, 3]}, "expected 1–12 strictly ascending month counts ≥ 1, got [6, 3]"),
    ({"by": ["store", "store"]}, "by: expected each dimension once, got ['store'] twice"),
    ({"discount_rate": 1.5}, "less than 1"),
    ({"horizon": 0}, "greater than 0"),
    ({"time_unit": "year"}, "'day', 'week' or 'month'"),
])
def test_params_errors(params, message):
    with pytest.raises(ValidationError) as error:
        ltv.Params(**params)
    assert message in str(error.value)


def test_params_defaults():
    params = ltv.Params(by="store")
    assert params.by == ["store"]
    assert (params.time_unit, params.horizon_units) == ("week", 52.0)
    assert ltv.Params(time_unit="month").horizon_units == 12.0


# ===================================================================== 2. plain-Python reference

CUSTOMERS = ["A", "B", "C", "D", "E", "F"]
STORES = ["S1", "S2", "S3"]
START = dt.datetime(2023, 1, 1, 9, 0)


@st.composite
def logs(draw):
    """Receipts (one customer, one moment, one store) with 1–3 lines: returns, zero lines, missing costs."""
    rows = []
    for number in range(draw(st.integers(1, 30))):
        customer = draw(st.sampled_from([*CUSTOMERS, None]))
        when = START + dt.timedelta(days=draw(st.integers(0, 500)), minutes=draw(st.integers(0, 600)))
        store = draw(st.sampled_from(STORES))
        for _ in range(draw(st.integers(1, 3))):
            amount = draw(st.sampled_from([-30, -5, 0, 10, 25, 40, 120]))
            cost = draw(st.sampled_from([None, 0, 5, 20]))
            rows.append((customer, f"o{number:03d}", when.isoformat(" "), amount, cost, store))
    as_of = (START + dt.timedelta(days=draw(st.integers(0, 520)))).date()
    return tx(rows, LINE_COLUMNS), as_of


def reference(lines: pl.DataFrame, as_of: dt.date) -> dict:
    """Per customer: value, orders, first day, store of the first order, BTYD inputs, by plain loops."""
    receipts: dict[str, dict] = {}
    for row in lines.iter_rows(named=True):
        if row["date"].date() > as_of:
            continue
        r = receipts.setdefault(row["order_id"], {"customer": row["customer_id"], "at": row["date"],
                                                  "store": row["store"], "amounts": [], "costs": []})
        r["amounts"].append(row["amount"])
        r["costs"].append(row["cost"] or 0.0)
    people: dict[str, dict] = defaultdict(lambda: {"value": 0.0, "orders": [], "days": defaultdict(float),
                                                   "returns": []})
    for order_id, r in receipts.items():
        if r["customer"] is None:
            continue
        margin = sum(r["amounts"]) - sum(r["costs"])
        person = people[r["customer"]]
        person["value"] += margin
        if any(a >= 0 for a in r["amounts"]):  # a receipt of returns only is not an order
            person["orders"].append((r["at"], order_id, r["store"]))
            person["days"][r["at"].date()] += margin
        else:
            person["returns"].append((r["at"].date(), margin))
    out = {}
    for customer, p in people.items():
        if not p["orders"]:
            continue
        days = sorted(p["days"])
        for day, margin in p["returns"]:  # a return reduces the latest purchase on or before it (else the first)
            p["days"][max((d for d in days if d <= day), default=days[0])] += margin
        first = days[0]
        x = len(days) - 1
        out[customer] = {
            "value": p["value"], "orders": len(p["orders"]), "first_day": first, "store": min(p["orders"])[2],
            "frequency": x, "recency": (days[-1] - first).days / 7, "T": (as_of - first).days / 7,
            "avg_repeat_value": sum(p["days"][d] for d in days[1:]) / x if x else None,
        }
    return out


def _months(first: dt.date, as_of: dt.date) -> int:
    return (as_of.year - first.year) * 12 + as_of.month - first.month - (first.day > as_of.day)


@FAST
@given(logs())
def test_matches_plain_python_reference(case):
    lines, as_of = case
    ref = reference(lines, as_of)
    if not ref:
        return
    result = run_analysis(ltv, lines, as_of, by=["store"], predictive=False)
    got = {row["customer_id"]: row for row in result.customers.iter_rows(named=True)}
    assert set(got) == set(ref)
    for customer, want in ref.items():
        row = got[customer]
        assert row["margin"] == pytest.approx(want["value"], abs=1e-9)
        for key in ("orders", "first_day", "frequency"):
            assert row[key] == want[key], (customer, key)
        assert (row["recency"], row["T"]) == pytest.approx((want["recency"], want["T"]))
        assert row["avg_repeat_value"] == (pytest.approx(want["avg_repeat_value"]) if want["avg_repeat_value"] is not None
                                           else None)
    # by store of the first order and by cohort age band
    for frame, key in ((result.by["store"], lambda w: w["store"]),
                       (result.by_cohort_age, lambda w: _band(_months(w["first_day"], as_of)))):
        groups: dict[str, list[float]] = defaultdict(list)
        for want in ref.values():
            groups[key(want)].append(want["value"])
        rows = {r["group"]: r for r in frame.iter_rows(named=True) if r["customers"]}
        assert set(rows) == set(groups)
        for group, values in groups.items():
            assert rows[group]["customers"] == len(values)
            assert rows[group]["value"] == pytest.approx(sum(values), abs=1e-6)
            assert rows[group]["ltv_median"] == pytest.approx(float(np.median(values)), abs=1e-9)
    values = sorted(w["value"] for w in ref.values())
    assert result.stats.p50 == pytest.approx(float(np.percentile(values, 50)), abs=1e-9)
    assert result.stats.p90 == pytest.approx(float(np.percentile(values, 90)), abs=1e-9)


def _band(months: int) -> str:
    for low, high in ((0, 2), (3, 5), (6, 11), (12, 23)):
        if low <= months <= high:
            return f"{low}–{high}"
    return "24+"


# ===================================================================== 3. invariants


@FAST
@given(logs(), st.integers(5, 30))
def test_tables_partition_customers_and_value(case, bins):
    lines, as_of = case
    result = run_analysis(ltv, lines, as_of, by=["store"], histogram_bins=bins, predictive=False)
    people = result.customers
    total = people["margin"].sum() if people.height else 0.0
    for key in ("ltv_by_store", "ltv_by_cohort_age", "ltv_distribution"):
        table = result.exported_tables()[key]
        assert table["customers"].sum() == people.height, key
        assert table["value"].sum() == pytest.approx(total, abs=1e-6), key
    shuffled = run_analysis(ltv, lines.sample(fraction=1.0, shuffle=True, seed=1), as_of, by=["store"],
                            histogram_bins=bins, predictive=False)
    for key, table in result.exported_tables().items():
        assert_frame_equal(shuffled.exported_tables()[key], table, rel_tol=1e-9, abs_tol=1e-9)


# ===================================================================== 4. the forecast end to end

TRUE = {"r": 0.6, "alpha": 10.0, "a": 0.8, "b": 2.5}  # weeks: on average one purchase every ~17 weeks


def simulated_log(customers: int = 3000, seed: int = 11) -> pl.DataFrame:
    """A receipt log drawn from a known BG/NBD (weeks, rounded to days), first purchases over 40 weeks."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        first = float(rng.uniform(0, 40))
        lam, drop = rng.gamma(TRUE["r"], 1 / TRUE["alpha"]), rng.beta(TRUE["a"], TRUE["b"])
        nu = rng.gamma(4.0, 1 / 60.0)  # Gamma-Gamma spend: each purchase ~ Gamma(6, rate ν), mean 6·60/3 = 120
        times, now = [first], first
        while True:
            now += rng.exponential(1 / lam)
            if now > 104:
                break
            times.append(now)
            if rng.random() < drop:
                break
        for k, week in enumerate(times):
            when = dt.datetime(2022, 1, 3) + dt.timedelta(days=int(week * 7))
            rows.append((f"C{i:04d}", f"C{i:04d}-{k}", when.isoformat(" "), round(float(rng.gamma(6.0, 1 / nu)), 2), None,
                         "S1" if i % 2 else "S2"))
    return tx(rows, LINE_COLUMNS)


@pytest.fixture(scope="module")
def simulated():
    lines = simulated_log()
    as_of = D(2023, 12, 31)  # 104 weeks after 2022-01-03
    return lines, as_of, run_analysis(ltv, lines, as_of, by=["store"], holdout_start=D(2023, 7, 3), discount_rate=0.1)


def test_forecast_predicts_the_holdout(simulated):
    lines, as_of, result = simulated
    h = result.holdout
    assert h.skipped is None and h.converged
    # the actual total is a sum over customers: its sampling SD is at most √n × the SD of one customer's holdout
    # purchases (that SD also holds the spread of the expectations, so the bound is conservative); 3 SD it is
    sales = build_facts({"transactions": lines}, as_of).sales
    per_customer = (ltv_history.purchase_days(sales.orders, "revenue")
                    .filter(pl.col("purchase") & (pl.col("day") >= D(2023, 7, 3)))
                    .group_by("customer_id").len()["len"])
    counts = per_customer.to_list() + [0] * (h.customers - per_customer.len())
    sd = float(np.std(counts)) * math.sqrt(len(counts))
    assert sum(counts) == h.actual_total
    assert abs(h.predicted_total - h.actual_total) < 3 * sd, (h, sd)
    table = result.holdout_table
    assert table["customers"].sum() == h.customers and table["actual"].sum() == h.actual_total
    assert table["bucket"].to_list()[-1] == "7+" or table["frequency"].max() < 7


def test_forecast_recovers_the_generating_process(simulated):
    _, _, result = simulated
    params = result.params_table.filter((pl.col("fit") == "full") & (pl.col("model") == "bgnbd"))
    assert params["converged"].all()
    for row in params.iter_rows(named=True):
        # day rounding merges a few same-day purchases: still within 4 standard errors of the truth
        assert abs(row["estimate"] - TRUE[row["parameter"]]) < 4 * row["std_error"], row
    assert set(result.params_table["fit"].to_list()) == {"full", "calibration"}


def test_forecast_invariants(simulated):
    _, _, result = simulated
    people = result.customers
    assert people["p_alive"].is_between(0, 1).all()
    assert (people.filter(pl.col("frequency") == 0)["p_alive"] == 1.0).all()
    assert (people["expected_orders"] >= 0).all() and (people["expected_value"] >= 0).all()
    # discounted at 10% a year: less than the undiscounted purchases × expected average value
    assert (people["expected_value"] <= people["expected_orders"] * people["expected_avg_value"] * (1 + 1e-12)).all()
    top = result.top.to_dicts()
    assert len(top) == 20 and [r["expected_value"] for r in top] == sorted((r["expected_value"] for r in top), reverse=True)
    by_store = result.by["store"]
    assert by_store["expected_value"].sum() == pytest.approx(people["expected_value"].sum(), rel=1e-9)
    assert result.p_alive["customers"].sum() == people.filter(pl.col("frequency") > 0).height


def test_forecast_ignores_row_order(simulated):
    lines, as_of, result = simulated
    again = run_analysis(ltv, lines.sample(fraction=1.0, shuffle=True, seed=5), as_of, by=["store"],
                         holdout_start=D(2023, 7, 3), discount_rate=0.1)
    for key, table in result.exported_tables().items():
        assert_frame_equal(again.exported_tables()[key], table)


def test_undiscounted_value_is_orders_times_average(simulated):
    lines, as_of, _ = simulated
    people = run_analysis(ltv, lines, as_of).customers
    assert_frame_equal(people.select("expected_value"),
                       people.select((pl.col("expected_orders") * pl.col("expected_avg_value")).alias("expected_value")),
                       rel_tol=1e-12)


def test_holdout_outside_the_data_is_skipped(simulated):
    lines, as_of, _ = simulated
    result = run_analysis(ltv, lines, as_of, holdout_start=D(2030, 1, 1))
    assert result.holdout.skipped == "outside" and "ltv_holdout" not in result.exported_tables()
    assert run_analysis(ltv, lines, as_of).holdout.skipped == "not_requested"


def test_a_fit_that_does_not_converge_is_reported(simulated, monkeypatch):
    lines, as_of, _ = simulated
    fit = btyd.fit_bgnbd
    monkeypatch.setattr(btyd, "fit_bgnbd", lambda *args, **kw: fit(*args, max_iter=1))
    result = run_analysis(ltv, lines, as_of)
    assert result.forecast.converged is False and result.forecast.bgnbd.converged is False
    table = result.params_table.filter(pl.col("model") == "bgnbd")
    assert not table["converged"].any()
    assert result.customers["expected_value"].null_count() == 0  # still forecast, flagged


# ===================================================================== the chapter


def _html(project, lines: pl.DataFrame, block: str, as_of: dt.date = SIM_AS_OF) -> str:
    csv = lines.with_columns(pl.col("date").dt.strftime("%Y-%m-%d %H:%M:%S")).write_csv()
    spec = project(f"""
        project: {{title: "LTV", client: "Test", locale: en, currency: EUR, as_of: {as_of}}}
        sources:
          transactions: {{path: tx.csv, date_format: "%Y-%m-%d %H:%M:%S"}}
        analyses:
          ltv: {block}
        report: {{outputs: [html]}}
        """, {"tx.csv": csv})
    result = api.build(spec, spec.parent / "out")
    return (result.out / "report.html").read_text(encoding="utf-8")


def test_chapter_shows_the_forecast_and_a_failed_convergence(project, simulated, monkeypatch):
    lines, _, _ = simulated
    fit = btyd.fit_bgnbd
    monkeypatch.setattr(btyd, "fit_bgnbd", lambda *args, **kw: fit(*args, max_iter=1))
    html = _html(project, lines.drop("cost"), "{by: [store], holdout_start: 2023-07-03}")
    assert "The maximum-likelihood fit did not converge" in html
    assert "Predictive LTV: BG/NBD and Gamma-Gamma" in html and "Holdout test" in html
    assert "Top customers by expected value" in html
    assert html.count('<td class="num">', html.index("Top customers by expected value")) >= 20 * 7


def test_chapter_says_why_the_forecast_was_skipped(project):
    html = _html(project, HAND.drop("cost"), "{}", HAND_AS_OF)
    assert "The forecast was skipped: only 3 customers made a repeat purchase" in html
    assert "Top customers by expected value" not in html


def test_every_chapter_msgid_has_a_russian_translation():
    from babel.messages.extract import extract_from_file

    from cjmgen.charts import ltv as ltv_charts
    from cjmgen.i18n import translations

    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    found = [m for _, m, _, _ in extract_from_file("python", ltv_charts.__file__, keywords=keywords)]
    for name in ("_ltv.html", "_headline_ltv.html"):
        found += [m for _, m, _, _ in extract_from_file("jinja2", str(templates_root() / name), keywords=keywords,
                                                        options=options)]
    ru = translations("ru")
    missing = sorted(str(m) for m in found
                     if (ru.ngettext(m[0], m[1], 5) == m[1] if isinstance(m, tuple) else ru.gettext(m) == m)
                     and m not in ("MAE",))
    assert len(found) > 60 and missing == []


def _methodology(params: ltv.Params, locale: str) -> str:
    from cjmgen.render.formatting import Formatter
    from cjmgen.render.html import environment

    env = environment(None)
    env.filters.update(date=Formatter(locale, "EUR").date)
    return env.get_template(f"methodology/ltv.{locale}.md").render(params=params, locale=locale)


# ===================================================================== P(alive) in the breakdown tables

def test_p_alive_of_a_group_is_the_mean_over_its_repeat_customers():
    # A: a repeat customer (P(alive) 0.4) and a one-time buyer (1.0 by construction) → 0.4, not 0.7;
    # B: one-time buyers only → no mean (the table shows "—"); C: two repeat customers 0.2 and 0.6 → 0.4
    people = pl.DataFrame({
        "group": ["A", "A", "B", "B", "C", "C"], "value": [100.0, 20.0, 30.0, 10.0, 50.0, 70.0],
        "orders": [3, 1, 1, 1, 2, 4], "frequency": [2, 0, 0, 0, 1, 3], "p_alive": [0.4, 1.0, 1.0, 1.0, 0.2, 0.6],
        "expected_value": [10.0, 5.0, 5.0, 5.0, 2.0, 8.0]})
    table = ltv_history.summary_by(people, ["group"])
    assert table.select("group", "customers", "repeat_customers", "p_alive_repeat_mean").rows() == [
        ("A", 2, 1, pytest.approx(0.4)), ("B", 2, 0, None), ("C", 2, 2, pytest.approx(0.4))]
    assert "p_alive_mean" not in table.columns


def test_repeat_customers_in_the_breakdown_match_the_p_alive_histogram(simulated):
    _, _, result = simulated
    people = result.customers
    by_store = result.by["store"]
    assert by_store["repeat_customers"].sum() == result.p_alive["customers"].sum()
    repeaters = people.filter(pl.col("frequency") > 0)
    pooled = (by_store["p_alive_repeat_mean"] * by_store["repeat_customers"]).sum() / by_store["repeat_customers"].sum()
    assert pooled == pytest.approx(repeaters["p_alive"].mean(), rel=1e-9)


def test_chapter_labels_the_p_alive_column_and_explains_it(project, simulated):
    lines, _, _ = simulated
    html = _html(project, lines.drop("cost"), "{by: [store]}")
    assert "P(alive), repeat customers" in html and "P(alive), mean" not in html
    assert "P(alive) is the mean over the group's customers with a repeat purchase" in html


def test_methodology_speaks_plainly_about_the_holdout_and_one_off_purchases():
    en = re.sub(r"\s+", " ", _methodology(ltv.Params(holdout_start=D(2024, 7, 1)), "en"))
    ru = re.sub(r"\s", " ", _methodology(ltv.Params(holdout_start=D(2024, 7, 1)), "ru"))  # babel: "2024\u202fг."
    assert "the holdout period starting July 1, 2024" in en and "holdout_start" not in en
    assert "начинается 1 июля 2024 г." in ru and "holdout_start" not in ru
    assert "a one-off large purchase" in en and "разовая крупная покупка" in ru
    assert "holdout_start" not in _methodology(ltv.Params(), "en")
    discounted = re.sub(r"\s+", " ", _methodology(ltv.Params(discount_rate=0.15, horizon=26), "en"))
    assert "(26 weeks)" in discounted and "discounted at 15% a year: the horizon is cut into 26 equal steps" in discounted
    assert "с дисконтированием по ставке 12,5 % годовых" in re.sub(r"\s+", " ", _methodology(
        ltv.Params(discount_rate=0.125), "ru"))


# ===================================================================== returns are netted (METHODS §3)


def test_returns_reduce_the_value_of_purchases_and_worthless_customers_expect_nothing(simulated):
    lines, as_of, _ = simulated
    extra = tx([  # R1 returns its repeat purchase three days later; R2 returns everything on the day it bought
        ("R1", "r1", "2023-03-01 10:00", 100, None, "S1"), ("R1", "r2", "2023-05-01 10:00", 50, None, "S1"),
        ("R1", "r3", "2023-05-04 10:00", -50, None, "S1"),
        ("R2", "r4", "2023-06-01 10:00", 80, None, "S1"), ("R2", "r5", "2023-06-01 11:00", -80, None, "S1"),
    ], LINE_COLUMNS).drop("cost")
    result = run_analysis(ltv, pl.concat([lines.drop("cost"), extra]), as_of)
    people = {r["customer_id"]: r for r in result.customers.iter_rows(named=True)}
    assert people["R1"]["avg_repeat_value"] == 0.0 and people["R1"]["frequency"] == 1
    assert people["R2"]["revenue"] == 0.0
    for customer in ("R1", "R2"):
        assert people[customer]["expected_value"] == 0.0 and people[customer]["expected_avg_value"] == 0.0
        assert people[customer]["expected_orders"] > 0  # they may still buy; what they buy is worth nothing net
    assert result.forecast.nonpositive_value_customers == 2
    gg = result.params_table.filter((pl.col("fit") == "full") & (pl.col("model") == "gamma_gamma"))
    eligible = result.customers.filter((pl.col("frequency") > 0) & (pl.col("avg_repeat_value") > 0))
    assert gg["customers"].unique().to_list() == [eligible.height] and "R1" not in eligible["customer_id"]


# ===================================================================== a degenerate fit is said, not hidden


def loyal_log(customers: int = 1500, seed: int = 3) -> pl.DataFrame:
    """Customers who never drop out (Poisson purchases for 104 weeks): BG/NBD's dropout parameter a goes to 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        first, lam = float(rng.uniform(0, 40)), rng.gamma(0.8, 1 / 10.0)
        times, now = [first], first
        while (now := now + rng.exponential(1 / lam)) <= 104:
            times.append(now)
        for k, week in enumerate(times):
            when = dt.datetime(2022, 1, 3) + dt.timedelta(days=int(week * 7))
            rows.append((f"L{i:04d}", f"L{i:04d}-{k}", when.isoformat(" "), 50.0 + 10 * (k % 3), None, "S1"))
    return tx(rows, LINE_COLUMNS)


@pytest.fixture(scope="module")
def loyal():
    lines = loyal_log()
    return lines, run_analysis(ltv, lines, D(2023, 12, 31), holdout_start=D(2023, 7, 3))


def test_a_degenerate_bgnbd_fit_is_diagnosed_and_the_better_model_is_chosen(loyal):
    _, result = loyal
    fc = result.forecast
    bg = fc.bgnbd_diagnosis
    assert bg.model == "bgnbd" and bg.degenerate and fc.bgnbd.params["a"] < 0.05 and "a" in bg.uncertain
    assert [d.model for d in fc.diagnoses] == ["bgnbd", "mbgnbd"]
    assert fc.model_reason == "holdout"
    assert fc.model == min(fc.diagnoses, key=lambda d: d.holdout_error).model
    assert set(result.params_table["model"].to_list()) == {"bgnbd", "mbgnbd", "gamma_gamma"}
    assert not fc.p_alive_meaningful  # MBG/NBD's a goes to 0 as well: no P(alive) is shown


def test_the_chapter_says_the_fit_is_degenerate_and_hides_p_alive(project, loyal):
    from cjmgen.charts import ltv as ltv_charts
    from cjmgen.charts.theme import Theme

    lines, result = loyal
    assert "p_alive" not in ltv_charts.charts(result, Theme())
    html = _html(project, lines.drop("cost"), "{holdout_start: 2023-07-03}")
    assert "The BG/NBD fit is degenerate" in html and "P(alive) is not shown" in html
    assert "Parameters whose standard error exceeds the estimate or cannot be computed: " in html
    assert "P(alive), repeat customers" not in html


def test_a_sound_bgnbd_fit_is_kept_alone(simulated):
    _, _, result = simulated
    assert result.forecast.model == "bgnbd" and result.forecast.model_reason == "sound"
    assert len(result.forecast.diagnoses) == 1 and not result.forecast.bgnbd_diagnosis.degenerate
    assert result.forecast.p_alive_meaningful


@pytest.mark.parametrize("bg,alt,expected", [
    (((), (), 0.05), None, ("bgnbd", "sound")),
    ((("a",), (), 0.30), ((), (), 0.10), ("mbgnbd", "holdout")),
    (((), ("a",), 0.10), ((), (), 0.12), ("bgnbd", "holdout")),
    (((), ("a",), None), ((), (), None), ("mbgnbd", "sound_alternative")),
    (((), ("a",), None), ((), ("b",), None), ("bgnbd", "no_better_model")),
    (((), (), 0.25), ((), (), 0.25), ("bgnbd", "holdout")),  # a tie keeps BG/NBD
])
def test_model_choice(bg, alt, expected):
    diagnoses = (ltv_models.Diagnosis("bgnbd", *bg),) + ((ltv_models.Diagnosis("mbgnbd", *alt),) if alt else ())
    assert ltv_models.choose(diagnoses) == expected


def test_diagnosis_of_a_fit():
    fit = btyd.Fit({"r": 1.0, "alpha": 2.0, "a": 0.003, "b": 5.0}, {"r": 0.1, "alpha": 0.2, "a": 0.01, "b": None},
                   -10.0, True, "", 5, 100, ("b",))
    found = ltv_models.diagnose("bgnbd", fit, 0.21)
    assert found.at_bound == ("b",) and found.uncertain == ("a", "b") and found.holdout_too_far and found.degenerate
    assert not ltv_models.diagnose("bgnbd", btyd.Fit({"r": 1.0}, {"r": 0.5}, 0.0, True, "", 1, 1), 0.2).degenerate


# ===================================================================== UCI Online Retail (when ../shared/data exists)

UCI = next((p for p in (Path(__file__).resolve().parents[k] / "shared" / "data" / "online_retail_uci_2010_2011.csv.xz"
                        for k in (2, 3)) if p.is_file()), None)


@pytest.mark.skipif(UCI is None, reason="../shared/data is not present")
def test_uci_customer_16446_returns_the_order_that_gamma_gamma_used_to_take_gross():
    """16446 bought 80,995 units on 2011-12-09 and cancelled them the same day (net revenue 2.90); the gross order
    made Gamma-Gamma expect 168,469.6 a purchase and 189,334 over a year. Net of the cancellation it expects 0."""
    with lzma.open(UCI) as fh:
        raw = pl.read_csv(fh.read(), infer_schema_length=0)
    lines = raw.select(
        pl.col("CustomerID").str.replace(r"\.0$", "").alias("customer_id"), pl.col("InvoiceNo").alias("order_id"),
        pl.col("InvoiceDate").str.to_datetime("%Y-%m-%d %H:%M:%S").alias("date"),
        (pl.col("Quantity").cast(pl.Float64) * pl.col("UnitPrice").cast(pl.Float64)).alias("amount"))
    result = run_analysis(ltv, lines, None, holdout_start=D(2011, 9, 1))
    row = result.customers.filter(pl.col("customer_id") == "16446").row(0, named=True)
    assert row["revenue"] == pytest.approx(2.90) and row["frequency"] == 1
    assert row["avg_repeat_value"] <= 0 and row["expected_value"] == 0.0
    assert result.forecast.nonpositive_value_customers > 0
    # the dropout parameter runs to 0: BG/NBD is degenerate and its holdout error passes 20%; P(alive) is not shown
    bg = result.forecast.bgnbd_diagnosis
    assert result.forecast.bgnbd.params["a"] < 0.05 and bg.degenerate and bg.holdout_too_far
    assert [d.model for d in result.forecast.diagnoses] == ["bgnbd", "mbgnbd"]
    assert not result.forecast.p_alive_meaningful
