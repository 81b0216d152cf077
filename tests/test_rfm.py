"""RFM segmentation (METHODS §2), checked three ways.

1. A hand fixture (8 customers, 19 lines) with every expected number worked out by hand below.
2. A plain-Python reference (dicts and loops, no polars) compared with the polars output on
   hypothesis-generated transaction logs with ties, returns, zero lines, unidentified lines and
   an as_of inside the range.
3. Invariants: segments partition the customers, shares sum to 1, input row order is irrelevant,
   scores stay in 1..n, R×F grid is complete.

Reading of METHODS used by the reference where the text leaves a choice:
- quantile score = floor(below × n / N) + 1, below = customers with a strictly worse value
  (R: strictly more days; F, M: strictly less), N = customers;
- the Pareto "top 20%" is the ceil(0.2 × N) customers with the highest revenue, and
  customers_for_80 = (smallest k whose top-k revenue reaches 80% of the total) / N.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import polars as pl
import pytest
from conftest import run_analysis, tx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cjmgen.analyses import rfm

D = dt.date
AS_OF = D(2024, 3, 31)


# ===================================================================== 1. hand fixture
#
# as_of 2024-03-31, bins 3. first_day = 2023-12-15 (G), so years observed = 108 / 365.25.
#
# cust  orders (day: revenue)                           R (days)  F   M
# A     02-01: 100, 03-01: 200, 03-31: 100 (+04-02 cut)   0       3   400
# B     01-10: 50, 03-25: 50                              6       2   100
# C     03-25: 300                                        6       1   300
# D     01-05: 60, 02-15: 80, 03-20: return −40 (no order) 45      2   100
# E     01-31: 20                                         60      1    20
# F     01-01: 500, 01-20: 0 (zero line = an order)       71      2   500
# G     2023-12-15: 40                                    107     1    40
# H     03-10: 60 − 10 (one receipt), 03-10: 40           21      2    90
# unidentified: 03-15: 70, 01-02: 25 — in no customer metric.
#
# Quantile scores, N = 8, n = 3: score = floor(below·3/8)+1 → below 0–2 → 1, 3–5 → 2, 6–7 → 3.
# R below (more days): G0 F1 E2 D3 H4 B5 C5 A7 → G1 F1 E1 D2 H2 B2 C2 A3
# F below (fewer):      F=1: 0 → 1 (C E G); F=2: 3 → 2 (B D F H); F=3: 7 → 3 (A)
# M below (less):       E0 G1 H2 B3 D3 C5 A6 F7 → E1 G1 H1 B2 D2 C2 A3 F3
HAND = tx([
    ("A", "a1", "2024-02-01 10:00", 100), ("A", "a2", "2024-03-01 10:00", 200),
    ("A", "a3", "2024-03-31 18:45", 100), ("A", "a4", "2024-04-02 10:00", 999),
    ("B", "b1", "2024-01-10 10:00", 50), ("B", "b2", "2024-03-25 10:00", 50),
    ("C", "c1", "2024-03-25 11:00", 300),
    ("D", "d1", "2024-01-05 10:00", 60), ("D", "d2", "2024-02-15 10:00", 80), ("D", "d3", "2024-03-20 10:00", -40),
    ("E", "e1", "2024-01-31 10:00", 20),
    ("F", "f1", "2024-01-01 10:00", 500), ("F", "f2", "2024-01-20 10:00", 0),
    ("G", "g1", "2023-12-15 10:00", 40),
    ("H", "h1", "2024-03-10 10:00", 60), ("H", "h1", "2024-03-10 10:00", -10), ("H", "h2", "2024-03-10 16:00", 40),
    (None, "u1", "2024-03-15 10:00", 70), (None, "u2", "2024-01-02 10:00", 25),
])
PEOPLE = pl.DataFrame({
    "customer_id": ["A", "B", "C", "D", "E", "F", "G", "H", "Z"],
    "gender": ["F", "F", "M", "M", "M", "F", "M", "F", "F"],
    "age": [30.0, 33.0, 50.0, 40.0, 22.0, 25.0, 60.0, 45.0, 99.0],
})
NAMES = [
    {"name": "Champions", "r": 3, "f": [2, 3], "goal": "keep the best"},
    {"name": "Loyal", "f": [2, 3], "goal": "grow the check"},
    {"name": "At risk", "r": 1, "goal": "wake up"},
]
YEARS = 108 / 365.25
TOTAL = 1550.0

HAND_CUSTOMERS = [
    # id, R, F, M, r, f, m, segment, name
    ("A", 0, 3, 400.0, 3, 3, 3, "R3F3M3", "Champions"),
    ("B", 6, 2, 100.0, 2, 2, 2, "R2F2M2", "Loyal"),
    ("C", 6, 1, 300.0, 2, 1, 2, "R2F1M2", "Other"),
    ("D", 45, 2, 100.0, 2, 2, 2, "R2F2M2", "Loyal"),
    ("E", 60, 1, 20.0, 1, 1, 1, "R1F1M1", "At risk"),
    ("F", 71, 2, 500.0, 1, 2, 3, "R1F2M3", "Loyal"),      # also matches "At risk": first match wins
    ("G", 107, 1, 40.0, 1, 1, 1, "R1F1M1", "At risk"),
    ("H", 21, 2, 90.0, 2, 2, 1, "R2F2M1", "Loyal"),
]

SEGMENT_COLUMNS = ["segment", "name", "customers", "customers_share", "revenue", "revenue_share", "orders",
                   "orders_per_customer", "orders_per_customer_per_year", "avg_days_since_last", "avg_check", "ltv",
                   "women_share", "men_share", "avg_age", "avg_age_women", "avg_age_men"]
HAND_SEGMENTS = [  # sorted by revenue, descending
    ("R1F2M3", "Loyal", 1, 1 / 8, 500.0, 500 / TOTAL, 2, 2.0, 2 / YEARS, 71.0, 250.0, 500.0, 1.0, 0.0, 25.0, 25.0, None),
    ("R3F3M3", "Champions", 1, 1 / 8, 400.0, 400 / TOTAL, 3, 3.0, 3 / YEARS, 0.0, 400 / 3, 400.0, 1.0, 0.0, 30.0, 30.0, None),
    ("R2F1M2", "Other", 1, 1 / 8, 300.0, 300 / TOTAL, 1, 1.0, 1 / YEARS, 6.0, 300.0, 300.0, 0.0, 1.0, 50.0, None, 50.0),
    ("R2F2M2", "Loyal", 2, 2 / 8, 200.0, 200 / TOTAL, 4, 2.0, 2 / YEARS, 25.5, 50.0, 100.0, 0.5, 0.5, 36.5, 33.0, 40.0),
    ("R2F2M1", "Loyal", 1, 1 / 8, 90.0, 90 / TOTAL, 2, 2.0, 2 / YEARS, 21.0, 45.0, 90.0, 1.0, 0.0, 45.0, 45.0, None),
    ("R1F1M1", "At risk", 2, 2 / 8, 60.0, 60 / TOTAL, 2, 1.0, 1 / YEARS, 83.5, 30.0, 30.0, 0.0, 1.0, 41.0, None, 41.0),
]


@pytest.fixture(scope="module")
def hand():
    return run_analysis(rfm, HAND, AS_OF, PEOPLE, bins=3, names=NAMES)


def test_hand_customers_r_f_m_scores_codes_names(hand):
    got = hand.customers
    assert got.columns == ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment", "name"]
    assert got.rows() == HAND_CUSTOMERS


def test_hand_segment_table(hand):
    got = hand.segments
    assert sorted(got.columns) == sorted(SEGMENT_COLUMNS)  # column order is presentation, not a metric
    got = got.select(SEGMENT_COLUMNS)
    expected = pl.DataFrame(HAND_SEGMENTS, schema=SEGMENT_COLUMNS, orient="row")
    assert_frame_equal(got, expected, check_dtypes=False, rel_tol=1e-12, abs_tol=1e-12)


def test_hand_totals_row(hand):
    totals = hand.totals
    expected = {
        "customers": 8, "customers_share": 1.0, "revenue": TOTAL, "revenue_share": 1.0, "orders": 14,
        "orders_per_customer": 14 / 8, "orders_per_customer_per_year": 14 / 8 / YEARS,
        "avg_days_since_last": 316 / 8,  # 0+6+6+45+60+71+107+21
        "avg_check": TOTAL / 14, "ltv": TOTAL / 8,
        "women_share": 0.5, "men_share": 0.5,  # A B F H / C D E G
        "avg_age": 305 / 8, "avg_age_women": 133 / 4, "avg_age_men": 172 / 4,
    }
    assert set(totals) == set(expected)
    for key, value in expected.items():
        assert totals[key] == pytest.approx(value, rel=1e-12), key


def test_hand_pareto(hand):
    # revenue, descending: 500 400 300 100 100 90 40 20 (sum 1550; unidentified 95 not included)
    assert hand.customers_count == 8
    assert hand.revenue == TOTAL
    assert hand.top20_revenue_share == pytest.approx(900 / TOTAL)  # ceil(0.2·8) = 2 customers
    assert hand.customers_for_80 == 0.5  # 500+400+300 = 1200 < 1240 ≤ 1300: 4 of 8
    assert hand.observed_years == pytest.approx(YEARS)


def test_hand_rf_grid(hand):
    got = hand.rf_grid
    cells = {(1, 1): (2, 60.0), (1, 2): (1, 500.0), (2, 1): (1, 300.0), (2, 2): (3, 290.0), (3, 3): (1, 400.0)}
    expected = [(r, f, *cells.get((r, f), (0, 0.0))) for r in (1, 2, 3) for f in (1, 2, 3)]
    assert got.select("r", "f", "customers", "revenue").rows() == expected
    assert got["customers_share"].to_list() == pytest.approx([c / 8 for _, _, c, _ in expected])
    assert got["revenue_share"].to_list() == pytest.approx([v / TOTAL for *_, v in expected])


def test_hand_named_table(hand):
    got = hand.named
    assert got.select("name", "customers", "revenue", "goal").rows() == [
        ("Champions", 1, 400.0, "keep the best"),
        ("Loyal", 4, 790.0, "grow the check"),   # B D H F
        ("At risk", 2, 60.0, "wake up"),          # E G
        ("Other", 1, 300.0, None),                # C
    ]
    assert got["customers_share"].to_list() == pytest.approx([1 / 8, 4 / 8, 2 / 8, 1 / 8])
    assert got["revenue_share"].to_list() == pytest.approx([400 / TOTAL, 790 / TOTAL, 60 / TOTAL, 300 / TOTAL])


def test_hand_customer_lists(hand):
    lists = hand.customer_lists()
    assert {key: members["customer_id"].to_list() for key, members in lists.items()} == {
        "rfm_R3F3M3": ["A"], "rfm_R2F2M2": ["B", "D"], "rfm_R2F1M2": ["C"], "rfm_R1F1M1": ["E", "G"],
        "rfm_R1F2M3": ["F"], "rfm_R2F2M1": ["H"],
        "Champions": ["A"], "Loyal": ["B", "D", "F", "H"], "At risk": ["E", "G"], "Other": ["C"]}
    assert lists["Loyal"].columns == ["customer_id", "r", "f", "m", "recency_days", "frequency", "monetary"]
    assert lists["Loyal"].row(0) == hand.customers.filter(pl.col("customer_id") == "B").select(
        lists["Loyal"].columns).row(0)


def test_names_first_match_wins_in_spec_order():
    reordered = [NAMES[2], NAMES[0], NAMES[1]]  # "At risk" (r=1) now precedes "Loyal"
    got = dict(run_analysis(rfm, HAND, AS_OF, names=reordered, other_name="Rest").customers
               .select("customer_id", "name").rows())
    assert got == {"A": "Champions", "B": "Loyal", "C": "Rest", "D": "Loyal", "E": "At risk",
                   "F": "At risk", "G": "At risk", "H": "Loyal"}


def test_monetary_avg_check_hand():
    # M = revenue / orders: A 400/3, B 50, C 300, D 50, E 20, F 250, G 40, H 45
    # sorted E20 G40 H45 B50 D50 A133.3 F250 C300; below E0 G1 H2 B3 D3 A5 F6 C7
    got = run_analysis(rfm, HAND, AS_OF, bins=3, monetary="avg_check").customers
    assert got["monetary"].to_list() == pytest.approx([400 / 3, 50, 300, 50, 20, 250, 40, 45])
    assert got["m"].to_list() == [2, 2, 3, 2, 1, 3, 1, 1]
    assert got["segment"].to_list() == ["R3F3M2", "R2F2M2", "R2F1M3", "R2F2M2", "R1F1M1", "R1F2M3", "R1F1M1", "R2F2M1"]


def test_thresholds_hand():
    # R: [30, 90] → ≤30 → 3, ≤90 → 2, else 1; F: [2, 3]; M: [100, 300]
    got = run_analysis(rfm, HAND, AS_OF, method="thresholds", thresholds={"r": [30, 90], "f": [2, 3], "m": [100, 300]})
    rows = got.customers.select("customer_id", "r", "f", "m", "segment").rows()
    assert rows == [
        ("A", 3, 3, 3, "R3F3M3"),   # R0  F3 M400
        ("B", 3, 2, 2, "R3F2M2"),   # R6  F2 M100 (= cut: counts)
        ("C", 3, 1, 3, "R3F1M3"),   # R6  F1 M300
        ("D", 2, 2, 2, "R2F2M2"),   # R45 F2 M100
        ("E", 2, 1, 1, "R2F1M1"),   # R60 F1 M20
        ("F", 2, 2, 3, "R2F2M3"),   # R71 F2 M500
        ("G", 1, 1, 1, "R1F1M1"),   # R107 F1 M40
        ("H", 3, 2, 1, "R3F2M1"),   # R21 F2 M90
    ]


def test_thresholds_boundaries():
    # as_of 2024-03-31: last orders 30, 31, 90, 91 days before; M 100, 99, 300, 301
    lines = tx([("p", "1", "2024-03-01 09:00", 100), ("q", "2", "2024-02-29 09:00", 99),
                ("r", "3", "2024-01-01 09:00", 300), ("s", "4", "2023-12-31 09:00", 301),
                ("s", "5", "2023-12-30 09:00", 0), ("s", "6", "2023-12-29 09:00", 0)])
    got = run_analysis(rfm, lines, AS_OF, method="thresholds", thresholds={"r": [30, 90], "f": [2, 3], "m": [100, 300]})
    rows = got.customers.select("customer_id", "recency_days", "frequency", "r", "f", "m").rows()
    assert rows == [("p", 30, 1, 3, 1, 2), ("q", 31, 1, 2, 1, 1), ("r", 90, 1, 2, 1, 3), ("s", 91, 3, 1, 3, 3)]
    grid = got.rf_grid
    assert grid.height == 9 and grid["customers"].sum() == 4


def test_quantile_ties_share_a_score():
    # five customers with the same F and M, different R: all F and M scores are 1 (below = 0)
    lines = tx([(c, c, f"2024-03-{d:02d} 09:00", 10) for c, d in zip("abcde", (1, 5, 5, 20, 31), strict=False)])
    got = run_analysis(rfm, lines, AS_OF, bins=5).customers
    assert got["f"].to_list() == [1] * 5 and got["m"].to_list() == [1] * 5
    # R days 30, 26, 26, 11, 0; below 0, 1, 1, 3, 4 → floor(below·5/5)+1
    assert got["r"].to_list() == [1, 2, 2, 4, 5]


# ===================================================================== 2. plain-Python reference

def ref_sales(lines: list[dict], as_of: dt.date | None, with_order_id: bool):
    """METHODS §1 in loops: (as_of, first_day, customers{id: {orders, revenue, last}})."""
    days = [line["date"].date() for line in lines]
    as_of = as_of or max(days)
    kept = [(line, day) for line, day in zip(lines, days, strict=False) if day <= as_of]
    orders: dict = {}
    for i, (line, day) in enumerate(kept):
        if with_order_id:
            key = line["order_id"]
        else:
            key = ("line", i) if line["customer_id"] is None else (line["customer_id"], day)
        o = orders.setdefault(key, {"customer": line["customer_id"], "day": day, "revenue": 0, "is_order": False})
        o["day"] = min(o["day"], day)
        o["revenue"] += line["amount"]
        o["is_order"] = o["is_order"] or line["amount"] >= 0
    people: dict = {}
    for o in orders.values():
        if o["customer"] is None:
            continue
        p = people.setdefault(o["customer"], {"orders": 0, "revenue": 0, "last": None})
        p["revenue"] += o["revenue"]
        if o["is_order"]:
            p["orders"] += 1
            p["last"] = o["day"] if p["last"] is None else max(p["last"], o["day"])
    first_day = min(day for _, day in kept) if kept else as_of
    return as_of, first_day, {c: p for c, p in people.items() if p["orders"] > 0}


def ref_quantile(values: dict, n: int, lower_is_better: bool) -> dict:
    total = len(values)
    out = {}
    for key, v in values.items():
        below = sum(1 for w in values.values() if (w > v if lower_is_better else w < v))
        out[key] = below * n // total + 1
    return out


def ref_threshold(value, cuts, lower_is_better: bool) -> int:
    return 1 + sum(1 for c in cuts if (c >= value if lower_is_better else c <= value))


def ref_rfm(lines, as_of, with_order_id, bins, method="quantile", thresholds=None, monetary="total", names=(),
            other="Other"):
    as_of, first_day, people = ref_sales(lines, as_of, with_order_id)
    rec = {c: (as_of - p["last"]).days for c, p in people.items()}
    freq = {c: p["orders"] for c, p in people.items()}
    money = {c: (p["revenue"] / p["orders"] if monetary == "avg_check" else p["revenue"]) for c, p in people.items()}
    if method == "quantile":
        r, f, m = ref_quantile(rec, bins[0], True), ref_quantile(freq, bins[1], False), ref_quantile(money, bins[2], False)
    else:
        r = {c: ref_threshold(v, thresholds["r"], True) for c, v in rec.items()}
        f = {c: ref_threshold(v, thresholds["f"], False) for c, v in freq.items()}
        m = {c: ref_threshold(v, thresholds["m"], False) for c, v in money.items()}
    customers = {}
    for c in people:
        name = other
        for entry in names:
            if all(_covers(entry.get(d), s) for d, s in (("r", r[c]), ("f", f[c]), ("m", m[c]))):
                name = entry["name"]
                break
        customers[c] = {"recency_days": rec[c], "frequency": freq[c], "monetary": money[c], "r": r[c], "f": f[c],
                        "m": m[c], "segment": f"R{r[c]}F{f[c]}M{m[c]}", "name": name,
                        "revenue": people[c]["revenue"]}
    years = max((as_of - first_day).days + 1, 1) / 365.25
    return customers, ref_segments(customers, years)


def _covers(pattern, score: int) -> bool:
    """A names entry's dimension: omitted matches any score; an int or a list of scores."""
    if pattern is None:
        return True
    return score in ([pattern] if isinstance(pattern, int) else pattern)


def ref_segments(customers: dict, years: float) -> list[dict]:
    groups: dict = {}
    for c in customers.values():
        groups.setdefault(c["segment"], []).append(c)
    n = len(customers)
    total = sum(c["revenue"] for c in customers.values())
    rows = []
    for seg, members in groups.items():
        revenue = sum(c["revenue"] for c in members)
        orders = sum(c["frequency"] for c in members)
        rows.append({
            "segment": seg, "name": members[0]["name"], "customers": len(members), "customers_share": len(members) / n,
            "revenue": revenue, "revenue_share": revenue / total if total else None, "orders": orders,
            "orders_per_customer": orders / len(members), "orders_per_customer_per_year": orders / len(members) / years,
            "avg_days_since_last": sum(c["recency_days"] for c in members) / len(members),
            "avg_check": revenue / orders, "ltv": revenue / len(members)})
    return sorted(rows, key=lambda row: (-row["revenue"], row["segment"]))


def ref_pareto(customers: dict) -> tuple[float, float]:
    revenue = sorted((c["revenue"] for c in customers.values()), reverse=True)
    total = sum(revenue)
    top = math.ceil(Fraction(len(revenue)) / 5)
    running, reach = 0, len(revenue)
    for k, value in enumerate(revenue, start=1):
        running += value
        if Fraction(running) >= Fraction(4, 5) * Fraction(total):
            reach = k
            break
    return sum(revenue[:top]) / total, reach / len(revenue)


CUSTOMER_POOL = ["c0", "c1", "c2", "c3", "c4", "c5", None]
AMOUNTS = [-30.0, -5.0, 0.0, 5.0, 10.0, 20.0, 50.0, 120.0]  # whole numbers: sums exact, ties exact
BASE = dt.datetime(2024, 1, 25)


@st.composite
def logs(draw, max_lines: int = 25):
    """(lines as dicts, as_of or None, with_order_id). Order ids belong to one customer."""
    n = draw(st.integers(1, max_lines))
    lines = []
    for _ in range(n):
        customer = draw(st.sampled_from(CUSTOMER_POOL))
        when = BASE + dt.timedelta(days=draw(st.integers(0, 40)), hours=draw(st.integers(0, 23)))
        lines.append({"customer_id": customer, "order_id": f"{customer or 'u'}-{draw(st.integers(0, 3))}",
                      "date": when, "amount": draw(st.sampled_from(AMOUNTS))})
    as_of = draw(st.one_of(st.none(), st.integers(0, 45).map(lambda d: (BASE + dt.timedelta(days=d)).date())))
    return lines, as_of, draw(st.booleans())


def has_customers(lines, as_of, with_order_id) -> bool:
    return bool(ref_sales(lines, as_of, with_order_id)[2])


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
bins_st = st.tuples(st.integers(2, 5), st.integers(2, 5), st.integers(2, 5))


def check_against_reference(result, expected_customers, expected_segments):
    got = {row["customer_id"]: row for row in result.customers.to_dicts()}
    assert set(got) == set(expected_customers)
    for cid, exp in expected_customers.items():
        row = got[cid]
        for key in ("recency_days", "frequency", "r", "f", "m", "segment", "name"):
            assert row[key] == exp[key], (cid, key, row[key], exp[key])
        assert row["monetary"] == pytest.approx(exp["monetary"]), (cid, "monetary")
    seg = result.segments.drop([c for c in result.segments.columns
                                              if c not in expected_segments[0]])
    assert seg["segment"].to_list() == [row["segment"] for row in expected_segments]  # also the sort order
    for got_row, exp_row in zip(seg.to_dicts(), expected_segments, strict=False):
        for key, value in exp_row.items():
            if isinstance(value, float):
                assert got_row[key] == pytest.approx(value, rel=1e-9), (exp_row["segment"], key)
            else:
                assert got_row[key] == value, (exp_row["segment"], key)


@FAST
@given(log=logs(), bins=bins_st, monetary=st.sampled_from(["total", "avg_check"]))
def test_quantile_matches_reference(log, bins, monetary):
    lines, as_of, with_order_id = log
    if not has_customers(*log):
        return
    names = [{"name": "Top", "r": [bins[0]], "f": list(range(2, bins[1] + 1))}, {"name": "Lost", "r": 1}]
    customers, segments = ref_rfm(lines, as_of, with_order_id, bins, monetary=monetary, names=names, other="Else")
    result = run_analysis(rfm, tx(lines, order_ids=with_order_id), as_of,
                          bins={"r": bins[0], "f": bins[1], "m": bins[2]}, monetary=monetary, names=names,
                          other_name="Else")
    check_against_reference(result, customers, segments)
    if sum(c["revenue"] for c in customers.values()) > 0:
        top20, for80 = ref_pareto(customers)
        assert result.top20_revenue_share == pytest.approx(top20)
        assert result.customers_for_80 == pytest.approx(for80)


cuts_st = st.lists(st.integers(-40, 200), min_size=1, max_size=4, unique=True).map(sorted)


@FAST
@given(log=logs(), r=cuts_st, f=cuts_st, m=cuts_st)
def test_thresholds_match_reference(log, r, f, m):
    lines, as_of, with_order_id = log
    if not has_customers(*log):
        return
    thresholds = {"r": r, "f": f, "m": m}
    customers, segments = ref_rfm(lines, as_of, with_order_id, None, method="thresholds", thresholds=thresholds)
    result = run_analysis(rfm, tx(lines, order_ids=with_order_id), as_of, method="thresholds", thresholds=thresholds)
    check_against_reference(result, customers, segments)


# ===================================================================== 3. invariants

@FAST
@given(log=logs(), bins=bins_st)
def test_segments_partition_customers_and_shares_sum_to_one(log, bins):
    lines, as_of, with_order_id = log
    if not has_customers(*log):
        return
    result = run_analysis(rfm, tx(lines, order_ids=with_order_id), as_of,
                          bins={"r": bins[0], "f": bins[1], "m": bins[2]})
    people = result.customers
    segments = result.segments
    n = people.height
    assert people["customer_id"].n_unique() == n
    assert segments["segment"].n_unique() == segments.height
    assert int(segments["customers"].sum()) == n
    listed = [cid for members in result.customer_lists().values() for cid in members["customer_id"]]
    assert sorted(listed) == sorted(people["customer_id"].to_list())  # each customer exactly once
    assert segments["customers_share"].sum() == pytest.approx(1.0)
    assert segments["revenue"].sum() == pytest.approx(people["monetary"].sum())
    if segments["revenue"].sum() != 0:
        assert segments["revenue_share"].sum() == pytest.approx(1.0)
    for dim in ("r", "f", "m"):
        assert people[dim].min() >= 1
        assert people[dim].max() <= bins["rfm".index(dim)]
    grid = result.rf_grid
    assert grid.select("r", "f").rows() == [(r, f) for r in range(1, bins[0] + 1) for f in range(1, bins[1] + 1)]
    assert int(grid["customers"].sum()) == n
    assert grid["customers_share"].sum() == pytest.approx(1.0)


@FAST
@given(log=logs(), seed=st.integers(0, 2**16))
def test_row_order_does_not_change_any_output(log, seed):
    lines, as_of, with_order_id = log
    if not has_customers(*log):
        return
    frame = tx(lines, order_ids=with_order_id)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    kwargs = {"bins": 3, "names": NAMES}
    a, b = run_analysis(rfm, frame, as_of, **kwargs), run_analysis(rfm, shuffled, as_of, **kwargs)
    assert a.exported_tables().keys() == b.exported_tables().keys()
    for key in a.exported_tables():
        assert_frame_equal(a.exported_tables()[key], b.exported_tables()[key], rel_tol=1e-9, abs_tol=1e-9)
    lists_a, lists_b = a.customer_lists(), b.customer_lists()
    assert lists_a.keys() == lists_b.keys()
    for key in lists_a:
        assert_frame_equal(lists_a[key], lists_b[key], rel_tol=1e-9, abs_tol=1e-9)
    facts = ("totals", "customers_count", "revenue", "top20_revenue_share", "customers_for_80", "observed_years")
    assert_facts_equal({f: getattr(a, f) for f in facts}, {f: getattr(b, f) for f in facts})


def assert_facts_equal(x: dict, y: dict) -> None:
    assert x.keys() == y.keys()
    for key in x:
        if isinstance(x[key], dict):
            assert_facts_equal(x[key], y[key])
        elif isinstance(x[key], float):
            assert x[key] == pytest.approx(y[key]), key
        else:
            assert x[key] == y[key], key


def test_rf_grid_zero_cells_for_five_bins():
    grid = run_analysis(rfm, HAND, AS_OF, bins={"r": 5, "f": 4, "m": 2}).rf_grid
    assert grid.height == 20
    assert grid.select("r", "f").rows() == [(r, f) for r in range(1, 6) for f in range(1, 5)]
    assert grid["customers"].sum() == 8
    assert grid.filter(pl.col("customers") == 0)["revenue"].to_list() == [0.0] * grid.filter(
        pl.col("customers") == 0).height
