"""Cohorts, retention and cumulative LTV (METHODS §3), checked three ways.

1. A hand fixture (month cohorts across a year boundary, a return, as_of mid-month) with every
   cell written out by hand; the same fixture by quarter; ISO week labels at year boundaries.
2. A plain-Python reference (dicts and loops, no polars) compared with the polars output on
   hypothesis-generated logs, for month, week and quarter, with and without breakdown by store.
3. Invariants: retention at offset 0 is 1, no cell beyond as_of, max_periods caps offsets,
   cumulative revenue is the running sum, input row order is irrelevant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import polars as pl
import pytest
from chapter_render import methodology, render_partial
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cjmgen.analyses import cohorts
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

D = dt.date
LINE_COLUMNS = (*TX_COLUMNS, "store")
COLUMNS = ["cohort", "period", "cohort_size", "active_customers", "retention", "revenue", "orders",
           "cumulative_revenue_per_customer", "partial"]


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
], LINE_COLUMNS)

HAND_MONTHS = [
    # cohort, period, size, active, retention, revenue, orders, cumulative revenue per customer, partial
    # (partial: the cell's month is February, cut at as_of 2024-02-15)
    ("2023-11", 0, 2, 2, 1.0, 300.0, 2, 150.0, False),     # A 100, B 200
    ("2023-11", 1, 2, 1, 0.5, 50.0, 1, 175.0, False),      # A 50
    ("2023-11", 2, 2, 0, 0.0, -20.0, 0, 165.0, False),     # A's return only: revenue, no activity
    ("2023-11", 3, 2, 1, 0.5, 30.0, 1, 180.0, True),       # A 30; B's 500 is after as_of
    ("2023-12", 0, 2, 2, 1.0, 130.0, 3, 65.0, False),      # C 80 + 40, D 10
    ("2023-12", 1, 2, 2, 1.0, 70.0, 2, 100.0, False),      # C 60, D 10 (Jan 1st)
    ("2023-12", 2, 2, 0, 0.0, 0.0, 0, 100.0, True),        # observable, empty: zeros
    ("2024-01", 0, 1, 1, 1.0, 20.0, 1, 20.0, False),       # F 25 − 5
    ("2024-01", 1, 1, 0, 0.0, 0.0, 0, 20.0, True),
    ("2024-02", 0, 1, 1, 1.0, 70.0, 1, 70.0, True),        # E; offsets ≥ 1 not observable: absent
]


def frame_of_rows(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def test_hand_month_cohorts():
    got = run_analysis(cohorts, HAND, HAND_AS_OF, period="month").retention
    assert got.columns == COLUMNS
    assert_frame_equal(got, frame_of_rows(HAND_MONTHS), check_dtypes=False, rel_tol=1e-12)


def test_hand_month_cohorts_capped():
    got = run_analysis(cohorts, HAND, HAND_AS_OF, period="month", max_periods=1).retention
    expected = [row for row in HAND_MONTHS if row[1] <= 1]
    assert_frame_equal(got, frame_of_rows(expected), check_dtypes=False, rel_tol=1e-12)


def test_hand_quarter_cohorts():
    got = run_analysis(cohorts, HAND, HAND_AS_OF, period="quarter").retention
    expected = [
        # 2023-Q4: A B C D. Q4 revenue A 150 + B 200 + C 120 + D 10 = 480, orders 2+1+2+1
        ("2023-Q4", 0, 4, 4, 1.0, 480.0, 6, 120.0, False),
        # 2024-Q1 (partial): A −20 + 30, C 60, D 10 → 80; active A C D; orders 3
        ("2023-Q4", 1, 4, 3, 0.75, 80.0, 3, 140.0, True),
        ("2024-Q1", 0, 2, 2, 1.0, 90.0, 2, 45.0, True),   # E 70, F 20
    ]
    assert_frame_equal(got, frame_of_rows(expected), check_dtypes=False, rel_tol=1e-12)


def test_hand_breakdown_by_store_pools_cohorts_whose_period_is_complete():
    # group = store of the first order: S1 {A (Nov), C (Dec), E (Feb)}, S2 {B (Nov), D (Dec), F (Jan)}.
    # February is cut at as_of 2024-02-15: a cohort whose period at offset k is February stays out of the pool at k;
    # an offset where every cohort is in February pools those and is marked partial.
    got = run_analysis(cohorts, HAND, HAND_AS_OF, period="month", breakdown="store").by_group
    s1 = got.filter(pl.col("group") == "S1").sort("period")
    assert s1.select("period", "customers", "active_customers", "partial").rows() == [
        (0, 2, 2, False),  # Nov, Dec cohorts (Feb's offset 0 is February)
        (1, 2, 2, False),  # Nov (A in Dec), Dec (C in Jan); Feb cohort not observable at offset 1
        (2, 1, 0, False),  # Nov: A only returned in Jan; Dec's offset 2 is February
        (3, 1, 1, True),   # Nov only, in February: A
    ]
    assert s1["retention"].to_list() == pytest.approx([1.0, 1.0, 0.0, 1.0])
    # cumulative revenue of the pooled cohorts' customers / their number:
    # k0: A 100 + C 120; k1: A 150 + C 180; k2: A 130; k3: A 160
    assert s1["cumulative_revenue_per_customer"].to_list() == pytest.approx([110.0, 165.0, 130.0, 160.0])
    s2 = got.filter(pl.col("group") == "S2").sort("period")
    # k1: B (Nov) not back in Dec, D (Dec) back in Jan; F's offset 1 is February
    assert s2.select("period", "customers", "active_customers", "partial").rows() == [
        (0, 3, 3, False), (1, 2, 1, False), (2, 1, 0, False), (3, 1, 0, True)]
    # k0: B 200 + D 10 + F 20; k1: B 200 + D 20; k2: B 200; k3: B 200
    assert s2["cumulative_revenue_per_customer"].to_list() == pytest.approx([230 / 3, 110.0, 200.0, 200.0])
    assert set(got["group"].to_list()) == {"S1", "S2"}


def test_breakdown_group_is_the_store_of_the_chronologically_first_order():
    # Two receipts on the first day; store receipt numbers do not follow time across stores.
    lines = tx([
        ("A", "S2-0001", "2024-03-01 09:00", 10, "S2"),   # the first order: S2
        ("A", "S1-0950", "2024-03-01 18:00", 10, "S1"),
        ("B", "S1-0951", "2024-03-01 12:00", 10, "S1"),
    ], LINE_COLUMNS)
    got = run_analysis(cohorts, lines, D(2024, 3, 1), breakdown="store").by_group
    assert got.select("group", "customers").rows() == [("S1", 1), ("S2", 1)]


def test_a_return_booked_on_the_original_receipt_reduces_the_month_it_is_dated_in():
    # Many tills book a return under the original receipt id. METHODS §1: a return reduces the revenue
    # "of the month" — the month of the return line, so monthly revenue reconciles with the log.
    lines = tx([("A", "r1", "2024-01-10 10:00", 100, None), ("A", "r1", "2024-02-05 10:00", -30, None)], LINE_COLUMNS)
    got = run_analysis(cohorts, lines, D(2024, 2, 28)).retention
    assert got.select("cohort", "period", "active_customers", "revenue", "cumulative_revenue_per_customer").rows() == [
        ("2024-01", 0, 1, 100.0, 100.0),
        ("2024-01", 1, 0, -30.0, 70.0),
    ]


def test_breakdown_by_customer_attribute():
    people = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E", "F"], "gender": ["F", "M", "F", None, "M", "F"]})
    got = run_analysis(cohorts, HAND, HAND_AS_OF, people, breakdown="gender").by_group
    # F: A (Nov), C (Dec), F (Jan); period 0 all three; period 1: A yes, C yes (F's is February: partial, left out)
    women = got.filter(pl.col("group") == "F").sort("period")
    assert women.select("period", "customers", "active_customers").rows() == [(0, 3, 3), (1, 2, 2), (2, 1, 0), (3, 1, 1)]
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
    lines = tx([("A", "1", f"{day.isoformat()} 12:00", 10, None)], LINE_COLUMNS)
    got = run_analysis(cohorts, lines, day, period=period).retention
    assert got.select("cohort", "period").rows() == [(label, 0)]


def test_hand_weeks_across_the_year_boundary():
    # as_of Wed 2025-01-08 (2025-W02). X: Sun 2024-12-29 (2024-W52), Mon 2024-12-30 (2025-W01)
    lines = tx([("X", "1", "2024-12-29 20:00", 10, None), ("X", "2", "2024-12-30 08:00", 5, None),
                ("Y", "3", "2025-01-06 08:00", 7, None), ("Y", "4", "2025-01-09 08:00", 7, None)], LINE_COLUMNS)
    got = run_analysis(cohorts, lines, D(2025, 1, 8), period="week").retention
    assert_frame_equal(got, frame_of_rows([
        ("2024-W52", 0, 1, 1, 1.0, 10.0, 1, 10.0, False),
        ("2024-W52", 1, 1, 1, 1.0, 5.0, 1, 15.0, False),
        ("2024-W52", 2, 1, 0, 0.0, 0.0, 0, 15.0, True),    # 2025-W02 runs to Sunday 01-12
        ("2025-W02", 0, 1, 1, 1.0, 7.0, 1, 7.0, True),     # Y's 01-09 order is after as_of
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
    assert got.recent == recent[0] / recent[1] and got.earlier == earlier[0] / earlier[1]
    assert got.gap == pytest.approx(recent[0] / recent[1] - earlier[0] / earlier[1])
    assert got.z == pytest.approx(z, abs=1e-4)
    assert (got.verdict, got.recent_customers, got.earlier_customers) == (trend, recent[1], earlier[1])


def monthly_cohorts(as_of: dt.date) -> dict:
    """One customer per cohort, January..August 2023, each back on the 2nd of the next month (the July cohort on
    20 August)."""
    rows = []
    for month in range(1, 9):
        rows.append((f"c{month}", f"{month}a", f"2023-{month:02d}-01 10:00", 10, "S1"))
        if month < 8:
            back = "2023-08-20 10:00" if month == 7 else f"2023-{month + 1:02d}-02 10:00"
            rows.append((f"c{month}", f"{month}b", back, 10, "S1"))
    return run_analysis(cohorts, tx(rows, LINE_COLUMNS), as_of)


def test_the_trend_leaves_out_a_next_period_still_running_at_as_of():
    # as_of 15 August: the July cohort's August is half over (its customer comes back on the 20th) → left out;
    # newest three = April..June (all returned), earlier = January..March
    running = monthly_cohorts(D(2023, 8, 15))
    assert running.trend is not None
    assert (running.trend.recent_customers, running.trend.earlier_customers) == (3, 3)
    assert (running.trend.recent, running.trend.verdict) == (1.0, "same")
    # as_of 31 August: August is complete → May..July (July back on the 20th) vs January..April
    ended = monthly_cohorts(D(2023, 8, 31))
    assert ended.trend is not None
    assert (ended.trend.recent_customers, ended.trend.earlier_customers) == (3, 4)
    assert (ended.trend.recent, ended.retention_1) == (1.0, 1.0)


def test_a_partial_last_period_is_marked_and_kept_out_of_the_averages():
    # as_of 15 August: August is cut at as_of. Every customer came back the next month except July's, who comes back
    # on the 20th: counted as a full month, July's 0 of 1 would pull next-period retention to 6/7.
    running = monthly_cohorts(D(2023, 8, 15))
    assert running.partial_period == "2023-08"
    marked = running.retention.filter("partial").select("cohort", "period").rows()
    assert marked == [(f"2023-{m:02d}", 8 - m) for m in range(1, 9)]  # the August diagonal, and only it
    assert running.retention_1 == 1.0 and running.retention_3 == 0.0  # offset 3 of Jan..Apr (May's is August): nobody
    ended = monthly_cohorts(D(2023, 8, 31))
    assert ended.partial_period is None and not ended.retention["partial"].any()


def _result(**changes):
    base = {"cohorts": 12, "retention_1": 0.6, "retention_3": None, "retention_6": None, "retention_12": None,
            "trend": None, "partial_period": None, "as_of": D(2024, 2, 15), "period": "month"}
    return SimpleNamespace(**(base | changes))


def _trend(verdict: str) -> cohorts.RetentionTrend:
    return cohorts.RetentionTrend(recent=0.587, earlier=0.606, gap=-0.019, z=-0.866, verdict=verdict,
                                  recent_customers=1000, earlier_customers=1000)


@pytest.mark.parametrize("trend, chapter, headline", [
    ("same", "The three newest cohorts return about as often as earlier ones (58.7% vs 60.6%).",
     "On average 60.0% of new customers buy again in the next period."),
    ("lower", '<span class="warn">The three newest cohorts return less often (58.7% vs 60.6%).</span>',
     "On average 60.0% of new customers buy again in the next period; the three newest cohorts return less often "
     "(58.7% vs 60.6%)."),
    ("higher", "The three newest cohorts return more often (58.7% vs 60.6%).",
     "On average 60.0% of new customers buy again in the next period; the three newest cohorts return more often "
     "(58.7% vs 60.6%)."),
])
def test_chapter_and_headline_follow_the_verdict(trend, chapter, headline):
    result = _result(trend=_trend(trend))
    html = render_partial("_cohorts.html", result, charts=CHARTS)
    assert chapter in html and (("warn" in html) == (trend == "lower"))
    assert render_partial("_headline_cohorts.html", result) == headline


CHARTS = {k: "" for k in ("retention", "ltv_curves", "ltv_heatmap")}


def test_chapter_in_russian_says_about_as_often():
    html = render_partial("_cohorts.html", _result(trend=_trend("same")), "ru", charts=CHARTS)
    assert "Три последние когорты возвращаются примерно так же часто, как прежние (58,7 % против 60,6 %)." in html


@pytest.mark.parametrize("locale, cohorts_text", [("en", "12 cohorts."), ("ru", "12 когорт.")])
def test_chapter_counts_cohorts_with_plural_forms(locale, cohorts_text):
    assert cohorts_text in render_partial("_cohorts.html", _result(), locale, charts=CHARTS)


def test_chapter_notes_the_partial_period():
    html = render_partial("_cohorts.html", _result(partial_period="2024-02"), charts=CHARTS)
    assert "2024-02 is only partly observed: the data ends on February 15, 2024." in html
    assert "partly observed" not in render_partial("_cohorts.html", _result(), charts=CHARTS)
    ru = render_partial("_cohorts.html", _result(partial_period="2024-02"), "ru", charts=CHARTS)
    assert "2024-02 наблюдается не полностью: данные заканчиваются 15 февраля 2024 г." in ru


def test_headline_without_a_complete_next_period():
    assert render_partial("_headline_cohorts.html", _result(cohorts=1, retention_1=None)) == (
        "1 cohort so far; none has a complete next period yet.")


def test_methodology_states_the_materiality_rule():
    assert "at least 3 percentage points and a two-sided two-proportion z-test" in methodology("cohorts", cohorts.Params())
    assert "не меньше 3 п. п." in methodology("cohorts", cohorts.Params(), "ru")
    assert "ISO week" in methodology("cohorts", cohorts.Params(period="week"))
    assert "partial" in methodology("cohorts", cohorts.Params())


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
    cut = period_of(as_of + dt.timedelta(days=1), period)[0] == last  # as_of is not the last day of its period
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
                "cumulative_revenue_per_customer": running / len(members), "partial": cut and c + k == last,
                "_cohort": c}
    return cells, first


def ref_by_group(lines, as_of, with_order_id, period, max_periods=None) -> dict:
    """{(group, offset): (customers, active, retention, cumulative per customer, partial)}, pooled over the cohorts
    observable at that offset whose period there is complete — over the partial ones when no other is; group = store
    of the customer's first order ("—" when it has none)."""
    _, orders = ref_orders(lines, as_of, with_order_id)
    cells, first = ref_cohort_cells(lines, as_of, with_order_id, period, max_periods)
    parts: dict = {}
    for (_, k), cell in cells.items():
        c = cell["_cohort"]
        for g in {gg for cc, gg in first.values() if cc == c}:
            members = {cust for cust, (cc, gg) in first.items() if cc == c and gg == g}
            mine = [o for o in orders if o["customer"] in members]
            active = {o["customer"] for o in mine if o["is_order"] and period_of(o["day"], period)[0] == c + k}
            revenue = sum(o["revenue"] for o in mine if c <= period_of(o["day"], period)[0] <= c + k)
            parts.setdefault((g, k), []).append((len(members), len(active), revenue, cell["partial"]))
    pooled = {}
    for key, found in parts.items():
        whole = [p for p in found if not p[3]]
        used = whole or found
        n, a, rev = (sum(p[i] for p in used) for i in range(3))
        pooled[key] = (n, a, a / n, rev / n, not whole)
    return pooled


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


FAST = settings(max_examples=50, deadline=None)
SPANS = {"week": 40, "month": 150, "quarter": 400}


@FAST
@given(data=st.data(), period=st.sampled_from(["month", "week", "quarter"]),
       max_periods=st.one_of(st.none(), st.integers(1, 4)))
def test_matches_reference(data, period, max_periods):
    lines, as_of, with_order_id = data.draw(logs(span_days=SPANS[period]))
    cells, _ = ref_cohort_cells(lines, as_of, with_order_id, period, max_periods)
    frame = tx(lines, LINE_COLUMNS, order_ids=with_order_id)
    result = run_analysis(cohorts, frame, as_of, period=period, max_periods=max_periods, breakdown="store")
    got = result.retention
    assert got.columns == COLUMNS
    rows = {(r["cohort"], r["period"]): r for r in got.to_dicts()}
    assert set(rows) == set(cells)  # no missing and no unobservable cells
    for key, cell in cells.items():
        for column in COLUMNS[2:]:
            assert rows[key][column] == pytest.approx(cell[column]), (key, column)
    assert got.select("cohort", "period").rows() == sorted(cells)  # sorted by cohort, then offset

    pooled = ref_by_group(lines, as_of, with_order_id, period, max_periods)
    by_store = result.by_group
    got_pooled = {(r["group"], r["period"]): r for r in by_store.to_dicts()}
    assert set(got_pooled) == set(pooled)
    for key, (n, active, retention, cumulative, partial) in pooled.items():
        row = got_pooled[key]
        assert (row["customers"], row["active_customers"], row["partial"]) == (n, active, partial), key
        assert row["retention"] == pytest.approx(retention), key
        assert row["cumulative_revenue_per_customer"] == pytest.approx(cumulative), key


# ===================================================================== 3. invariants

@FAST
@given(data=st.data(), period=st.sampled_from(["month", "week", "quarter"]))
def test_invariants(data, period):
    lines, as_of, with_order_id = data.draw(logs(span_days=SPANS[period]))
    frame = tx(lines, LINE_COLUMNS, order_ids=with_order_id)
    facts = build_facts({"transactions": frame}, as_of)
    table = cohorts.compute(Context(None, facts), cohorts.Params(period=period)).retention
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
        assert_frame_equal(capped.retention, table.filter(pl.col("period") <= cap))


@FAST
@given(data=st.data(), period=st.sampled_from(["month", "week", "quarter"]), seed=st.integers(0, 2**16))
def test_row_order_does_not_matter(data, period, seed):
    lines, as_of, with_order_id = data.draw(logs(span_days=SPANS[period]))
    frame = tx(lines, LINE_COLUMNS, order_ids=with_order_id)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    a = run_analysis(cohorts, frame, as_of, period=period, breakdown="store")
    b = run_analysis(cohorts, shuffled, as_of, period=period, breakdown="store")
    assert a.exported_tables().keys() == b.exported_tables().keys()
    for key, table in a.exported_tables().items():
        assert_frame_equal(table, b.exported_tables()[key], rel_tol=1e-9, abs_tol=1e-9)
    assert scalars(a) == scalars(b)


def scalars(result) -> dict:
    """Every field of a result that is not a table."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
            if not isinstance(getattr(result, f.name), pl.DataFrame)}


def test_row_order_does_not_matter_when_a_customer_day_spans_two_stores():
    # No order id: a customer's day is one order, here with lines from two stores.
    lines = tx([("A", None, "2024-03-01 09:00", 10, "S1"), ("A", None, "2024-03-01 18:00", 10, "S2"),
                ("B", None, "2024-03-01 12:00", 10, "S1")], LINE_COLUMNS).drop("order_id")
    forward = run_analysis(cohorts, lines, None, breakdown="store").by_group
    backward = run_analysis(cohorts, lines.reverse(), None, breakdown="store").by_group
    assert_frame_equal(forward, backward)
