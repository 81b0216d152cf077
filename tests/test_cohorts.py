"""Cohorts, retention and cumulative LTV (METHODS §3), checked three ways.

1. A hand fixture (month cohorts across a year boundary, a return, as_of mid-month) with every
   cell written out by hand; the same fixture by quarter; ISO week labels at year boundaries.
2. A plain-Python reference (dicts and loops, no polars) compared with the polars output on
   hypothesis-generated logs, for month, week and quarter, with and without breakdown by store.
3. Invariants: retention at offset 0 is 1, no cell beyond as_of, max_periods caps offsets,
   cumulative revenue is the running sum, input row order is irrelevant.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cjmgen.analyses import cohorts
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

D = dt.date
SCHEMA = {"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "amount": pl.Float64,
          "store": pl.String}
COLUMNS = ["cohort", "period", "cohort_size", "active_customers", "retention", "revenue", "orders",
           "cumulative_revenue_per_customer"]


def tx(rows: list[tuple]) -> pl.DataFrame:
    """Canonical transactions from (customer_id, order_id, 'YYYY-MM-DD HH:MM', amount, store) rows."""
    return pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_id": [r[1] for r in rows],
         "date": [dt.datetime.fromisoformat(r[2]) for r in rows], "amount": [float(r[3]) for r in rows],
         "store": [r[4] for r in rows]},
        schema=SCHEMA)


def run(lines: pl.DataFrame, as_of: dt.date | None, people: pl.DataFrame | None = None, **params):
    frames = {"transactions": lines} | ({"customers": people} if people is not None else {})
    return cohorts.compute(Context(None, build_facts(frames, as_of)), cohorts.Params(**params))


# ===================================================================== 1. hand fixture
#
# as_of 2024-02-15: the 2024-02 period is partial but present.
# A: 2023-11-05 100 (S1), 2023-12-20 50 (S2), 2024-01-15 return −20 (no order), 2024-02-10 30
# B: 2023-11-20 200 (S2), 2024-02-20 500 (after as_of: ignored)
# C: 2023-12-01 80, 2023-12-15 40, 2024-01-03 60 (S1)
# D: 2023-12-31 23:30 10, 2024-01-01 00:10 10 (S2) — across the year boundary
# E: 2024-02-14 70 (S1) — the newest cohort: only offset 0 exists
# F: 2024-01-20 one receipt 25 − 5 (S2)
# G: 2023-12-10 return −15 only: no cohort.  Unidentified 2023-11-10 999: no cohort.
HAND_AS_OF = D(2024, 2, 15)
HAND = tx([
    ("A", "a1", "2023-11-05 10:00", 100, "S1"), ("A", "a2", "2023-12-20 10:00", 50, "S2"),
    ("A", "a3", "2024-01-15 10:00", -20, "S1"), ("A", "a4", "2024-02-10 10:00", 30, "S1"),
    ("B", "b1", "2023-11-20 10:00", 200, "S2"), ("B", "b2", "2024-02-20 10:00", 500, "S2"),
    ("C", "c1", "2023-12-01 10:00", 80, "S1"), ("C", "c2", "2023-12-15 10:00", 40, "S1"),
    ("C", "c3", "2024-01-03 10:00", 60, "S1"),
    ("D", "d1", "2023-12-31 23:30", 10, "S2"), ("D", "d2", "2024-01-01 00:10", 10, "S2"),
    ("E", "e1", "2024-02-14 10:00", 70, "S1"),
    ("F", "f1", "2024-01-20 10:00", 25, "S2"), ("F", "f1", "2024-01-20 10:00", -5, "S2"),
    ("G", "g1", "2023-12-10 10:00", -15, "S1"),
    (None, "u1", "2023-11-10 10:00", 999, "S1"),
])

HAND_MONTHS = [
    # cohort, period, size, active, retention, revenue, orders, cumulative revenue per customer
    ("2023-11", 0, 2, 2, 1.0, 300.0, 2, 150.0),     # A 100, B 200
    ("2023-11", 1, 2, 1, 0.5, 50.0, 1, 175.0),      # A 50
    ("2023-11", 2, 2, 0, 0.0, -20.0, 0, 165.0),     # A's return only: revenue, no activity
    ("2023-11", 3, 2, 1, 0.5, 30.0, 1, 180.0),      # A 30; B's 500 is after as_of
    ("2023-12", 0, 2, 2, 1.0, 130.0, 3, 65.0),      # C 80 + 40, D 10
    ("2023-12", 1, 2, 2, 1.0, 70.0, 2, 100.0),      # C 60, D 10 (Jan 1st)
    ("2023-12", 2, 2, 0, 0.0, 0.0, 0, 100.0),       # observable, empty: zeros
    ("2024-01", 0, 1, 1, 1.0, 20.0, 1, 20.0),       # F 25 − 5
    ("2024-01", 1, 1, 0, 0.0, 0.0, 0, 20.0),
    ("2024-02", 0, 1, 1, 1.0, 70.0, 1, 70.0),       # E; offsets ≥ 1 not observable: absent
]


def frame_of_rows(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def test_hand_month_cohorts():
    got = run(HAND, HAND_AS_OF, period="month").tables["cohort_retention"]
    assert got.columns == COLUMNS
    assert_frame_equal(got, frame_of_rows(HAND_MONTHS), check_dtypes=False, rel_tol=1e-12)


def test_hand_month_cohorts_capped():
    got = run(HAND, HAND_AS_OF, period="month", max_periods=1).tables["cohort_retention"]
    expected = [row for row in HAND_MONTHS if row[1] <= 1]
    assert_frame_equal(got, frame_of_rows(expected), check_dtypes=False, rel_tol=1e-12)


def test_hand_quarter_cohorts():
    got = run(HAND, HAND_AS_OF, period="quarter").tables["cohort_retention"]
    expected = [
        # 2023-Q4: A B C D. Q4 revenue A 150 + B 200 + C 120 + D 10 = 480, orders 2+1+2+1
        ("2023-Q4", 0, 4, 4, 1.0, 480.0, 6, 120.0),
        # 2024-Q1 (partial): A −20 + 30, C 60, D 10 → 80; active A C D; orders 3
        ("2023-Q4", 1, 4, 3, 0.75, 80.0, 3, 140.0),
        ("2024-Q1", 0, 2, 2, 1.0, 90.0, 2, 45.0),   # E 70, F 20
    ]
    assert_frame_equal(got, frame_of_rows(expected), check_dtypes=False, rel_tol=1e-12)


def test_hand_breakdown_by_store_pools_observable_cohorts():
    # group = store of the first order: S1 {A (Nov), C (Dec), E (Feb)}, S2 {B (Nov), D (Dec), F (Jan)}
    got = run(HAND, HAND_AS_OF, period="month", breakdown="store").tables["cohort_retention_by_store"]
    s1 = got.filter(pl.col("group") == "S1").sort("period")
    assert s1.select("period", "customers", "active_customers").rows() == [
        (0, 3, 3),  # Nov, Dec, Feb cohorts
        (1, 2, 2),  # Nov (A in Dec), Dec (C in Jan); Feb cohort not observable at offset 1
        (2, 2, 0),  # A only returned in Jan; C nothing in Feb
        (3, 1, 1),  # Nov only: A in Feb
    ]
    assert s1["retention"].to_list() == pytest.approx([1.0, 1.0, 0.0, 1.0])
    # cumulative revenue of the observable cohorts' customers / their number:
    # k0: A 100 + C 120 + E 70; k1: A 150 + C 180; k2: A 130 + C 180; k3: A 160
    assert s1["cumulative_revenue_per_customer"].to_list() == pytest.approx([290 / 3, 165.0, 155.0, 160.0])
    s2 = got.filter(pl.col("group") == "S2").sort("period")
    assert s2.select("period", "customers", "active_customers").rows() == [(0, 3, 3), (1, 3, 1), (2, 2, 0), (3, 1, 0)]
    assert s2["cumulative_revenue_per_customer"].to_list() == pytest.approx([230 / 3, 80.0, 110.0, 200.0])
    assert set(got["group"].to_list()) == {"S1", "S2"}


def test_breakdown_group_is_the_store_of_the_chronologically_first_order():
    # Two receipts on the first day; store receipt numbers do not follow time across stores.
    lines = tx([
        ("A", "S2-0001", "2024-03-01 09:00", 10, "S2"),   # the first order: S2
        ("A", "S1-0950", "2024-03-01 18:00", 10, "S1"),
        ("B", "S1-0951", "2024-03-01 12:00", 10, "S1"),
    ])
    got = run(lines, D(2024, 3, 1), breakdown="store").tables["cohort_retention_by_store"]
    assert got.select("group", "customers").rows() == [("S1", 1), ("S2", 1)]


def test_a_return_booked_on_the_original_receipt_reduces_the_month_it_is_dated_in():
    # Many tills book a return under the original receipt id. METHODS §1: a return reduces the revenue
    # "of the month" — the month of the return line, so monthly revenue reconciles with the log.
    lines = tx([("A", "r1", "2024-01-10 10:00", 100, None), ("A", "r1", "2024-02-05 10:00", -30, None)])
    got = run(lines, D(2024, 2, 28)).tables["cohort_retention"]
    assert got.select("cohort", "period", "active_customers", "revenue", "cumulative_revenue_per_customer").rows() == [
        ("2024-01", 0, 1, 100.0, 100.0),
        ("2024-01", 1, 0, -30.0, 70.0),
    ]


def test_breakdown_by_customer_attribute():
    people = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E", "F"], "gender": ["F", "M", "F", None, "M", "F"]})
    got = run(HAND, HAND_AS_OF, people, breakdown="gender").tables["cohort_retention_by_gender"]
    # F: A (Nov), C (Dec), F (Jan); period 0 all three; period 1: A yes, C yes, F no
    women = got.filter(pl.col("group") == "F").sort("period")
    assert women.select("period", "customers", "active_customers").rows() == [(0, 3, 3), (1, 3, 2), (2, 2, 0), (3, 1, 1)]
    assert sorted(set(got["group"].to_list())) == ["F", "M", "—"]  # D has no gender


@pytest.mark.parametrize(("day", "period", "label"), [
    (D(2024, 12, 29), "week", "2024-W52"),   # Sunday
    (D(2024, 12, 30), "week", "2025-W01"),   # Monday: ISO year 2025
    (D(2020, 12, 31), "week", "2020-W53"),   # a 53-week year
    (D(2021, 1, 3), "week", "2020-W53"),
    (D(2021, 1, 4), "week", "2021-W01"),
    (D(2019, 12, 30), "week", "2020-W01"),
    (D(2023, 12, 31), "quarter", "2023-Q4"),
    (D(2024, 4, 1), "quarter", "2024-Q2"),
    (D(2024, 3, 31), "quarter", "2024-Q1"),
    (D(2024, 1, 31), "month", "2024-01"),
    (D(1999, 12, 1), "month", "1999-12"),
])
def test_period_labels(day, period, label):
    lines = tx([("A", "1", f"{day.isoformat()} 12:00", 10, None)])
    got = run(lines, day, period=period).tables["cohort_retention"]
    assert got.select("cohort", "period").rows() == [(label, 0)]


def test_hand_weeks_across_the_year_boundary():
    # as_of Wed 2025-01-08 (2025-W02). X: Sun 2024-12-29 (2024-W52), Mon 2024-12-30 (2025-W01)
    lines = tx([("X", "1", "2024-12-29 20:00", 10, None), ("X", "2", "2024-12-30 08:00", 5, None),
                ("Y", "3", "2025-01-06 08:00", 7, None), ("Y", "4", "2025-01-09 08:00", 7, None)])
    got = run(lines, D(2025, 1, 8), period="week").tables["cohort_retention"]
    assert_frame_equal(got, frame_of_rows([
        ("2024-W52", 0, 1, 1, 1.0, 10.0, 1, 10.0),
        ("2024-W52", 1, 1, 1, 1.0, 5.0, 1, 15.0),
        ("2024-W52", 2, 1, 0, 0.0, 0.0, 0, 15.0),
        ("2025-W02", 0, 1, 1, 1.0, 7.0, 1, 7.0),   # Y's 01-09 order is after as_of
    ]), check_dtypes=False)


# ----------------------------------------------------------- the newest cohorts: material gaps only
#
# Two-proportion z with the pooled share p: z = (r − e) / √(p(1 − p)(1/n_r + 1/n_e)), worked out by hand below.

@pytest.mark.parametrize("recent, earlier, z, trend", [
    # the clinic's case: 1.9 points, z = −0.019 / √(0.5965 · 0.4035 · 0.002) = −0.866 → about as often
    ((587, 1000), (606, 1000), -0.8660, "same"),
    # 5 points on 20 customers: p = 71/120, z = −0.05 / √(0.59167 · 0.40833 · 0.06) = −0.4153 → noise
    ((11, 20), (60, 100), -0.4153, "same"),
    # 5 points on 1000 each: p = 0.575, z = −0.05 / √(0.575 · 0.425 · 0.002) = −2.2617 → lower
    ((550, 1000), (600, 1000), -2.2617, "lower"),
    # 2 points on 10,000 each: significant (z = −0.02 / √(0.6 · 0.4 · 0.0002) = −2.8868) but under 3 points
    ((5900, 10000), (6100, 10000), -2.8868, "same"),
    # exactly 3 points, z = −0.03 / √(0.585 · 0.415 · 0.0002) = −4.3053 → lower; the mirror image
    # (p = 0.615: z = 0.03 / √(0.615 · 0.385 · 0.0002) = 4.3595) → higher
    ((5700, 10000), (6000, 10000), -4.3053, "lower"),
    ((6300, 10000), (6000, 10000), 4.3595, "higher"),
    # everyone returns in both groups: no variance, no difference
    ((30, 30), (90, 90), 0.0, "same"),
])
def test_newest_cohorts_trend_needs_three_points_and_significance(recent, earlier, z, trend):
    got = cohorts.retention_trend(*recent, *earlier)
    assert got["retention_1_recent"] == recent[0] / recent[1] and got["retention_1_earlier"] == earlier[0] / earlier[1]
    assert got["retention_1_gap"] == pytest.approx(recent[0] / recent[1] - earlier[0] / earlier[1])
    assert got["retention_1_z"] == pytest.approx(z, abs=1e-4)
    assert (got["retention_1_trend"], got["recent_customers"], got["earlier_customers"]) == (trend, recent[1], earlier[1])


def monthly_cohorts(as_of: dt.date) -> dict:
    """One customer per cohort, January..August 2023, each back on the 2nd of the next month (the July cohort on
    20 August)."""
    rows = []
    for month in range(1, 9):
        rows.append((f"c{month}", f"{month}a", f"2023-{month:02d}-01 10:00", 10, "S1"))
        if month < 8:
            back = "2023-08-20 10:00" if month == 7 else f"2023-{month + 1:02d}-02 10:00"
            rows.append((f"c{month}", f"{month}b", back, 10, "S1"))
    return run(tx(rows), as_of).facts


def test_the_trend_leaves_out_a_next_period_still_running_at_as_of():
    # as_of 15 August: the July cohort's August is half over (its customer comes back on the 20th) → left out;
    # newest three = April..June (all returned), earlier = January..March
    running = monthly_cohorts(D(2023, 8, 15))
    assert (running["recent_customers"], running["earlier_customers"]) == (3, 3)
    assert (running["retention_1_recent"], running["retention_1_trend"]) == (1.0, "same")
    assert running["retention_1"] == 6 / 7  # the pooled figure keeps every observable cell, July's 0 of 1 included
    # as_of 31 August: August is complete → May..July (July back on the 20th) vs January..April
    ended = monthly_cohorts(D(2023, 8, 31))
    assert (ended["recent_customers"], ended["earlier_customers"]) == (3, 4)
    assert (ended["retention_1_recent"], ended["retention_1"]) == (1.0, 1.0)


def _render(partial: str, facts: dict, locale: str = "en") -> str:
    from types import SimpleNamespace

    from cjmgen.render.formatting import Formatter
    from cjmgen.render.html import environment
    from cjmgen.render.labels import translator

    env = environment(None)
    fmt = Formatter(locale, "EUR")
    env.filters.update(num=fmt.num, dec=fmt.dec, pct=fmt.pct, money=fmt.money, date=fmt.date)
    env.globals.update(t=translator(locale))
    charts = {k: "" for k in ("retention", "ltv_curves", "ltv_heatmap")}
    html = env.get_template(partial).render(result=SimpleNamespace(facts=facts), charts=charts)
    return " ".join(html.split())


TREND_FACTS = {"cohorts": 12, "retention_1": 0.6, "retention_3": None, "retention_12": None,
               "retention_1_recent": 0.587, "retention_1_earlier": 0.606}


@pytest.mark.parametrize("trend, chapter, summary", [
    ("same", "The three newest cohorts return about as often as earlier ones (58.7% vs 60.6%).", "next period.</li>"),
    ("lower", '<span class="warn">The three newest cohorts return less often (58.7% vs 60.6%).</span>',
     "next period; the three newest cohorts return less often (58.7% vs 60.6%).</li>"),
    ("higher", "The three newest cohorts return more often (58.7% vs 60.6%).",
     "next period; the three newest cohorts return more often (58.7% vs 60.6%).</li>"),
])
def test_chapter_and_summary_follow_the_verdict(trend, chapter, summary):
    facts = TREND_FACTS | {"retention_1_trend": trend}
    html = _render("_cohorts.html", facts)
    assert chapter in html and (("warn" in html) == (trend == "lower"))
    assert summary in _render("_summary_cohorts.html", facts)


def test_chapter_in_russian_says_about_as_often():
    facts = TREND_FACTS | {"retention_1_trend": "same"}
    assert "Три последние когорты возвращаются примерно так же часто, как прежние (58,7 % против 60,6 %)." in _render(
        "_cohorts.html", facts, "ru")


def test_methodology_states_the_materiality_rule():
    assert "at least 3 percentage points and a two-sided two-proportion z-test" in cohorts.methodology(
        cohorts.Params(), "en")
    assert "не меньше 3 п. п." in cohorts.methodology(cohorts.Params(), "ru")


# ===================================================================== 2. plain-Python reference

def period_of(day: dt.date, period: str) -> tuple[int, str]:
    """(running number, label) of the period containing day."""
    if period == "month":
        return day.year * 12 + day.month - 1, f"{day.year}-{day.month:02d}"
    if period == "quarter":
        q = (day.month - 1) // 3 + 1
        return day.year * 4 + q - 1, f"{day.year}-Q{q}"
    monday = day - dt.timedelta(days=day.weekday())
    iso_year, iso_week, _ = monday.isocalendar()
    return monday.toordinal() // 7, f"{iso_year}-W{iso_week:02d}"


def ref_orders(lines: list[dict], as_of: dt.date | None, with_order_id: bool):
    """METHODS §1 in loops: (as_of, identified orders [{customer, day, revenue, is_order, store}])."""
    days = [line["date"].date() for line in lines]
    as_of = as_of or max(days)
    orders: dict = {}
    for i, (line, day) in enumerate(zip(lines, days, strict=False)):
        if day > as_of:
            continue
        if with_order_id:
            key = line["order_id"]
        else:
            key = ("line", i) if line["customer_id"] is None else (line["customer_id"], day)
        o = orders.setdefault(key, {"customer": line["customer_id"], "day": day, "revenue": 0, "is_order": False,
                                    "store": line["store"]})
        o["day"] = min(o["day"], day)
        o["revenue"] += line["amount"]
        o["is_order"] = o["is_order"] or line["amount"] >= 0
    return as_of, [o for o in orders.values() if o["customer"] is not None]


def ref_cohort_cells(lines, as_of, with_order_id, period, max_periods=None):
    """{(cohort label, offset): cell}, and {customer: (cohort number, store of first order)}."""
    as_of, orders = ref_orders(lines, as_of, with_order_id)
    first: dict = {}
    for o in sorted(orders, key=lambda o: o["day"]):
        if o["is_order"] and o["customer"] not in first:
            first[o["customer"]] = (period_of(o["day"], period)[0], o["store"] or "—")
    last = period_of(as_of, period)[0]
    labels = {period_of(o["day"], period)[0]: period_of(o["day"], period)[1] for o in orders}
    cells: dict = {}
    for c in sorted({c for c, _ in first.values()}):
        members = {cust for cust, (cc, _) in first.items() if cc == c}
        running = 0
        for k in range(0, last - c + 1):
            if max_periods is not None and k > max_periods:
                break
            mine = [o for o in orders if o["customer"] in members and period_of(o["day"], period)[0] == c + k]
            active = {o["customer"] for o in mine if o["is_order"]}
            revenue = sum(o["revenue"] for o in mine)
            running += revenue
            cells[(labels[c], k)] = {
                "cohort_size": len(members), "active_customers": len(active), "retention": len(active) / len(members),
                "revenue": revenue, "orders": sum(1 for o in mine if o["is_order"]),
                "cumulative_revenue_per_customer": running / len(members), "_cohort": c}
    return cells, first


def ref_by_group(lines, as_of, with_order_id, period, max_periods=None) -> dict:
    """{(group, offset): (customers, active, retention, cumulative per customer)}, pooled over the cohorts
    observable at that offset; group = store of the customer's first order ("—" when it has none)."""
    _, orders = ref_orders(lines, as_of, with_order_id)
    cells, first = ref_cohort_cells(lines, as_of, with_order_id, period, max_periods)
    pooled: dict = {}
    for (_, k), cell in cells.items():
        c = cell["_cohort"]
        for g in {gg for cc, gg in first.values() if cc == c}:
            members = {cust for cust, (cc, gg) in first.items() if cc == c and gg == g}
            mine = [o for o in orders if o["customer"] in members]
            active = {o["customer"] for o in mine if o["is_order"] and period_of(o["day"], period)[0] == c + k}
            revenue = sum(o["revenue"] for o in mine if c <= period_of(o["day"], period)[0] <= c + k)
            acc = pooled.setdefault((g, k), [0, 0, 0])
            acc[0] += len(members)
            acc[1] += len(active)
            acc[2] += revenue
    return {key: (n, a, a / n, rev / n) for key, (n, a, rev) in pooled.items()}


CUSTOMER_POOL = ["c0", "c1", "c2", "c3", "c4", "c5", None]
STORES = ["S1", "S2", None]
AMOUNTS = [-30.0, -5.0, 0.0, 5.0, 10.0, 20.0, 50.0, 120.0]  # whole numbers: sums exact
BASE = dt.datetime(2023, 11, 20)


@st.composite
def logs(draw, max_lines: int = 25, span_days: int = 150):
    """(lines, as_of or None, with_order_id). An order never spans days; one store per customer-day."""
    n = draw(st.integers(1, max_lines))
    lines = []
    for _ in range(n):
        customer = draw(st.sampled_from(CUSTOMER_POOL))
        offset = draw(st.integers(0, span_days))
        when = BASE + dt.timedelta(days=offset, hours=draw(st.integers(0, 23)))
        store = STORES[(CUSTOMER_POOL.index(customer) + offset) % 3]
        lines.append({"customer_id": customer, "order_id": f"{customer or 'u'}-{offset}-{draw(st.integers(0, 1))}",
                      "date": when, "amount": draw(st.sampled_from(AMOUNTS)), "store": store})
    as_of = draw(st.one_of(st.none(), st.integers(0, span_days + 10).map(lambda d: (BASE + dt.timedelta(days=d)).date())))
    return lines, as_of, draw(st.booleans())


def frame_of(lines: list[dict], with_order_id: bool) -> pl.DataFrame:
    frame = pl.DataFrame(lines, schema=SCHEMA)
    return frame if with_order_id else frame.drop("order_id")


FAST = settings(max_examples=50, deadline=None)
SPANS = {"week": 40, "month": 150, "quarter": 400}


@FAST
@given(data=st.data(), period=st.sampled_from(["month", "week", "quarter"]),
       max_periods=st.one_of(st.none(), st.integers(1, 4)))
def test_matches_reference(data, period, max_periods):
    lines, as_of, with_order_id = data.draw(logs(span_days=SPANS[period]))
    cells, _ = ref_cohort_cells(lines, as_of, with_order_id, period, max_periods)
    result = run(frame_of(lines, with_order_id), as_of, period=period, max_periods=max_periods, breakdown="store")
    got = result.tables["cohort_retention"]
    assert got.columns == COLUMNS
    rows = {(r["cohort"], r["period"]): r for r in got.to_dicts()}
    assert set(rows) == set(cells)  # no missing and no unobservable cells
    for key, cell in cells.items():
        for column in COLUMNS[2:]:
            assert rows[key][column] == pytest.approx(cell[column]), (key, column)
    assert got.select("cohort", "period").rows() == sorted(cells)  # sorted by cohort, then offset

    pooled = ref_by_group(lines, as_of, with_order_id, period, max_periods)
    by_store = result.tables["cohort_retention_by_store"]
    got_pooled = {(r["group"], r["period"]): r for r in by_store.to_dicts()}
    assert set(got_pooled) == set(pooled)
    for key, (n, active, retention, cumulative) in pooled.items():
        row = got_pooled[key]
        assert (row["customers"], row["active_customers"]) == (n, active), key
        assert row["retention"] == pytest.approx(retention), key
        assert row["cumulative_revenue_per_customer"] == pytest.approx(cumulative), key


# ===================================================================== 3. invariants

@FAST
@given(data=st.data(), period=st.sampled_from(["month", "week", "quarter"]))
def test_invariants(data, period):
    lines, as_of, with_order_id = data.draw(logs(span_days=SPANS[period]))
    frame = frame_of(lines, with_order_id)
    facts = build_facts({"transactions": frame}, as_of)
    table = cohorts.compute(Context(None, facts), cohorts.Params(period=period)).tables["cohort_retention"]
    # retention at offset 0 is exactly 1, and the period-0 sizes add up to all customers
    start = table.filter(pl.col("period") == 0)
    assert start["retention"].to_list() == [1.0] * start.height
    assert start["cohort"].to_list() == sorted(table["cohort"].unique().to_list())
    assert int(start["cohort_size"].sum()) == facts.sales.customers.height
    # each cohort's offsets run 0..L with no gap, and cohort + L is the period of as_of
    as_of_index = period_of(facts.sales.as_of, period)[0]
    first_index = {label: index for index, label in
                   (period_of(d, period) for d in facts.sales.customers["first_day"].to_list())}
    for (label,), group in table.group_by("cohort"):
        offsets = group["period"].sort().to_list()
        assert offsets == list(range(len(offsets)))
        assert first_index[label] + offsets[-1] == as_of_index, (label, offsets)
        # cumulative revenue per customer is the running sum of revenue over the cohort size
        ordered = group.sort("period")
        running = 0.0
        for revenue, size, cumulative in ordered.select("revenue", "cohort_size", "cumulative_revenue_per_customer").rows():
            running += revenue
            assert cumulative == pytest.approx(running / size)
        assert ordered["active_customers"].max() <= ordered["cohort_size"][0]
    # max_periods caps offsets and changes nothing else
    for cap in (1, 2):
        capped = cohorts.compute(Context(None, facts), cohorts.Params(period=period, max_periods=cap))
        assert_frame_equal(capped.tables["cohort_retention"], table.filter(pl.col("period") <= cap))


@FAST
@given(data=st.data(), period=st.sampled_from(["month", "week", "quarter"]), seed=st.integers(0, 2**16))
def test_row_order_does_not_matter(data, period, seed):
    lines, as_of, with_order_id = data.draw(logs(span_days=SPANS[period]))
    frame = frame_of(lines, with_order_id)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    a = run(frame, as_of, period=period, breakdown="store")
    b = run(shuffled, as_of, period=period, breakdown="store")
    assert a.tables.keys() == b.tables.keys()
    for key in a.tables:
        assert_frame_equal(a.tables[key], b.tables[key], rel_tol=1e-9, abs_tol=1e-9)
    assert a.facts == b.facts


def test_row_order_does_not_matter_when_a_customer_day_spans_two_stores():
    # No order id: a customer's day is one order, here with lines from two stores.
    lines = tx([("A", None, "2024-03-01 09:00", 10, "S1"), ("A", None, "2024-03-01 18:00", 10, "S2"),
                ("B", None, "2024-03-01 12:00", 10, "S1")]).drop("order_id")
    forward = run(lines, None, breakdown="store").tables["cohort_retention_by_store"]
    backward = run(lines.reverse(), None, breakdown="store").tables["cohort_retention_by_store"]
    assert_frame_equal(forward, backward)
