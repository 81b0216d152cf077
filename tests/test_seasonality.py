"""Seasonality (METHODS §4), checked three ways.

1. A hand fixture (an empty month, partial first and last months, a return booked later on the sale's receipt,
   a return-only receipt, an unidentified receipt, a line after as_of) with every cell written out; a synthetic
   three-year series with a known seasonal pattern the index must recover exactly, and year-over-year growth.
2. A plain-Python reference of the monthly and weekday tables on hypothesis-generated logs.
3. Invariants: monthly revenue sums to total revenue, orders to the real orders, weekday shares sum to 1.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from chapter_render import methodology, render_partial
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cjmgen import api
from cjmgen.analyses import seasonality
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

D = dt.date
SCHEMA = {"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "amount": pl.Float64}


def tx(rows: list[tuple]) -> pl.DataFrame:
    """Canonical transactions from (customer_id, order_id, 'YYYY-MM-DD HH:MM', amount) rows."""
    return pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_id": [r[1] for r in rows],
         "date": [dt.datetime.fromisoformat(r[2]) for r in rows], "amount": [float(r[3]) for r in rows]},
        schema=SCHEMA)


def run(lines: pl.DataFrame, as_of: dt.date | None, **params):
    return seasonality.compute(Context(None, build_facts({"transactions": lines}, as_of)), seasonality.Params(**params))


# ===================================================================== 1. hand fixture
#
# as_of Sat 2024-02-10. First line Sun 2023-10-15: October is partial, November has no sales, February is partial.
# X o0 Sun 2023-10-15 25 | A o1 Wed 2023-12-20 100 | unidentified o2 Sat 2023-12-30 50
# A o3 Mon 2024-01-01 40, and a return −10 under o3 on Mon 2024-02-05 (February revenue, Monday)
# B o4 Mon 2024-01-01 60 | B o5 Sat 2024-01-13 return-only −20: revenue, not an order
# C o6 Sat 2024-02-10 30 | C o7 Sun 2024-02-11 500: after as_of, ignored
HAND_AS_OF = D(2024, 2, 10)
HAND = tx([
    ("X", "o0", "2023-10-15 10:00", 25), ("A", "o1", "2023-12-20 10:00", 100), (None, "o2", "2023-12-30 10:00", 50),
    ("A", "o3", "2024-01-01 10:00", 40), ("A", "o3", "2024-02-05 10:00", -10), ("B", "o4", "2024-01-01 12:00", 60),
    ("B", "o5", "2024-01-13 10:00", -20), ("C", "o6", "2024-02-10 10:00", 30), ("C", "o7", "2024-02-11 10:00", 500),
])
MONTHLY = ["month", "revenue", "orders", "active_customers", "avg_check", "complete"]
HAND_MONTHLY = [
    ("2023-10", 25.0, 1, 1, 25.0, False),      # starts on the 15th: partial
    ("2023-11", 0.0, 0, 0, None, True),        # no sales: zeros, no average check
    ("2023-12", 150.0, 2, 1, 75.0, True),      # o1 + unidentified o2; only A is a customer
    ("2024-01", 80.0, 2, 2, 40.0, True),       # 40 + 60 − 20 (return-only receipt); orders o3, o4
    ("2024-02", 20.0, 1, 1, 20.0, False),      # 30 − 10 (o3's return, dated in February); ends on the 10th
]


def test_hand_monthly():
    got = run(HAND, HAND_AS_OF).monthly
    assert_frame_equal(got, pl.DataFrame(HAND_MONTHLY, schema=MONTHLY, orient="row"), check_dtypes=False)


def test_hand_month_of_year():
    got = run(HAND, HAND_AS_OF).month_of_year
    assert got.columns == ["year", "month", "revenue", "orders", "active_customers", "complete"]
    assert got.select("year", "month", "revenue", "orders", "active_customers").rows() == [
        (2023, 10, 25.0, 1, 1), (2023, 11, 0.0, 0, 0), (2023, 12, 150.0, 2, 1), (2024, 1, 80.0, 2, 2),
        (2024, 2, 20.0, 1, 1)]


def test_hand_weekday():
    got = run(HAND, HAND_AS_OF).weekday
    # orders by order date: Mon o3 o4, Wed o1, Sat o2 o6, Sun o0 → 6
    # revenue by line date: Mon 40 + 60 − 10 = 90, Wed 100, Sat 50 − 20 + 30 = 60, Sun 25 → 275
    assert got.select("weekday", "name", "orders", "revenue").rows() == [
        (1, "Monday", 2, 90.0), (2, "Tuesday", 0, 0.0), (3, "Wednesday", 1, 100.0), (4, "Thursday", 0, 0.0),
        (5, "Friday", 0, 0.0), (6, "Saturday", 2, 60.0), (7, "Sunday", 1, 25.0)]
    assert got["orders_share"].to_list() == pytest.approx([2 / 6, 0, 1 / 6, 0, 0, 2 / 6, 1 / 6])
    assert got["revenue_share"].to_list() == pytest.approx([90 / 275, 0, 100 / 275, 0, 0, 60 / 275, 25 / 275])


def test_hand_facts():
    f = run(HAND, HAND_AS_OF)
    # Monday and Saturday tie on 2 orders: the earlier weekday wins
    assert f.busiest == seasonality.BusiestWeekday(weekday=1, name="Monday", share=2 / 6, weekend_share=0.5)
    assert f.peak is None and f.growth is None and f.last_full_year is None  # < 24 months
    assert (f.total_revenue, f.total_orders) == (275.0, 6)  # the monthly table's total row
    assert run(HAND, HAND_AS_OF).index.is_empty()


# A flat level of 100 a month times a known pattern (averaging 1). With no trend the centred 2×12 moving average
# is exactly 100, so every ratio is the pattern and the index recovers it. 2021-01-01 .. 2023-12-31: 36 complete
# months → ratios for 2021-07 .. 2023-06: two per calendar month.
PATTERN = [0.75, 0.9, 1.0, 1.0, 1.0, 1.1, 1.2, 1.0, 1.0, 0.9, 0.9, 1.25]


def three_years() -> pl.DataFrame:
    rows = []
    for year in (2021, 2022, 2023):
        for month in range(1, 13):
            # 2021–2022: customer A every month; 2023: A in odd months, B in even ones (2 customers vs 1)
            who = "A" if year < 2023 or month % 2 else "B"
            rows.append((who, f"{year}-{month}", f"{year}-{month:02d}-01 10:00", 100 * PATTERN[month - 1]))
    rows.append((None, "last", "2023-12-31 10:00", 0))  # as_of defaults to the last day; a zero line is an order
    return tx(rows)


def test_seasonal_index_recovers_a_known_pattern():
    result = run(three_years(), None)
    index = result.index
    assert index["month"].to_list() == list(range(1, 13))
    assert index["years"].to_list() == [2] * 12
    assert index["index"].to_list() == pytest.approx(PATTERN, rel=1e-12)
    assert (result.peak.month, result.peak.name, result.trough.month, result.trough.name) == (12, "December", 1, "January")
    assert (result.peak.index, result.trough.index) == (pytest.approx(1.25), pytest.approx(0.75))
    assert result.index["name"].to_list()[:3] == ["January", "February", "March"]
    assert run(three_years(), None, min_years=3).index.is_empty()


def test_year_over_year_growth_of_the_last_complete_year():
    f = run(three_years(), None)
    assert (f.last_full_year, f.growth.year, f.growth.previous_year) == (2023, 2023, 2022)
    # same revenue; orders 12 vs 13 (the zero-amount receipt on 12-31 is an order); customers {A, B} vs {A}
    assert f.growth.revenue == pytest.approx(0.0)
    assert f.growth.orders == pytest.approx(13 / 12 - 1)
    assert f.growth.customers == pytest.approx(1.0)


def test_no_growth_when_the_last_year_is_partial():
    f = run(three_years(), D(2023, 12, 30))
    assert (f.last_full_year, f.growth.revenue) == (2022, pytest.approx(0.0))
    f = run(three_years().filter(pl.col("date") >= dt.datetime(2022, 1, 1)), D(2023, 12, 30))
    assert (f.last_full_year, f.growth) == (2022, None)  # 2021 absent: nothing to compare


def shifted_start(day: int) -> pl.DataFrame:
    """three_years() with the first line (January 2021) moved from the 1st to the given day of the month."""
    return three_years().with_columns(
        pl.when(pl.col("order_id") == "2021-1").then(pl.datetime(2021, 1, day, 10)).otherwise(pl.col("date")).alias("date"))


def test_a_month_is_complete_when_the_data_starts_in_its_first_week():
    # Closed on the 1st, the 2nd a Sunday: data from 3 January still covers January; so does the 8th (7 days after
    # the 1st, the drivers chapter's grace); the 9th does not.
    for day, january in ((3, True), (8, True), (9, False)):
        monthly = run(shifted_start(day), None).monthly
        assert monthly["complete"].to_list() == [january] + [True] * 35, day
    assert seasonality.COVERED_FROM_DAY == 8  # the chapter's footnote says "more than 7 days into the month"


def test_min_years_needs_twelve_times_min_years_plus_one_complete_months():
    # min_years 2 → 12 × 3 = 36 months: all 36 when January 2021 counts (data from the 3rd), 35 when it does not.
    covered = run(shifted_start(3), None, min_years=2)
    assert covered.index["years"].to_list() == [2] * 12
    assert covered.index["index"].to_list() == pytest.approx(PATTERN, rel=1e-12)
    assert (covered.complete_months, covered.months_needed) == (36, 36)
    assert covered.index_missing is None
    short = run(shifted_start(9), None, min_years=2)
    assert short.index.is_empty() and short.peak is None
    assert {k: getattr(short, k) for k in ("complete_months", "months_needed", "first_complete_month",
                                           "last_complete_month", "index_missing")} == {
        "complete_months": 35, "months_needed": 36, "first_complete_month": "2021-02",
        "last_complete_month": "2023-12", "index_missing": "too_few_months"}


def test_hand_coverage_facts():
    f = run(HAND, HAND_AS_OF)
    # complete: 2023-11, 2023-12, 2024-01 (October starts on the 15th, February ends after as_of)
    assert (f.complete_months, f.first_complete_month, f.last_complete_month) == (3, "2023-11", "2024-01")
    assert (f.months_needed, f.min_years, f.index_missing) == (24, 1, "too_few_months")
    assert (f.partial_months, f.partial_last_month) == (("2023-10", "2024-02"), "2024-02")
    assert run(HAND, HAND_AS_OF, min_years=3).months_needed == 48
    assert run(HAND, D(2024, 1, 31)).partial_last_month is None  # January ends on as_of: complete


def test_a_year_without_revenue_is_named_as_the_reason():
    # 36 complete months, but every line is zero: the moving average is never positive
    zero = three_years().with_columns(pl.lit(0.0).alias("amount"))
    f = run(zero, None)
    assert (f.complete_months, f.index_missing) == (36, "no_trend")


def _chapter_text(project, lines: pl.DataFrame, locale: str, block: str = "{}") -> str:
    csv = lines.with_columns(pl.col("date").dt.strftime("%Y-%m-%d %H:%M:%S")).write_csv()
    spec = project(f"""
        project: {{title: "Seasons", client: "Test", locale: {locale}, currency: EUR}}
        sources:
          transactions: {{path: tx.csv, date_format: "%Y-%m-%d %H:%M:%S"}}
        analyses:
          seasonality: {block}
        report: {{outputs: [html], sections: [seasonality]}}
        """, {"tx.csv": csv})
    html = (api.build(spec, spec.parent / "out").out / "report.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_chapter_quotes_the_months_found_and_needed(project):
    text = _chapter_text(project, shifted_start(9), "en", "{min_years: 2}")
    assert ("The seasonal index needs 36 consecutive complete months (12 × (2 + 1)); the data has 35 "
            "(2021-02 – 2023-12): no seasonal index, peak or trough month.") in text
    text = _chapter_text(project, shifted_start(9), "ru", "{min_years: 2}")
    assert ("Для сезонного индекса нужно полных месяцев подряд: 36 (12 × (2 + 1)); в данных: 35 (2021-02 – 2023-12) — "
            "сезонный индекс, пиковый и минимальный месяц не определяются.") in text


def test_partial_months_are_drawn_pale_and_dashed_not_as_a_collapse():
    # as_of 10 February: February's 20 (ten days of it) next to January's 80 must not read as a collapse. The bar is
    # pale, the line pieces that touch it are dashed, and the chart says so.
    from cjmgen.charts import seasonality as seasonality_charts
    from cjmgen.charts.theme import Theme
    from cjmgen.render.svg import chart_spec

    charts = seasonality_charts.charts(run(HAND, HAND_AS_OF), Theme("en"))
    bars = chart_spec(charts["revenue"], "#1f4e79", "en")
    pale = {r["month"] for r in bars["data"]["values"] if r["partial"]}
    assert pale == {"2023-10", "2024-02"}
    assert bars["encoding"]["opacity"]["condition"]["test"] == "datum.partial"
    assert "partial months" in bars["title"]["subtitle"]
    for key in ("counts", "month_of_year"):
        spec = chart_spec(charts[key], "#1f4e79", "en")
        solid, dashed = spec["layer"]
        assert "strokeDash" not in solid["mark"] and dashed["mark"]["strokeDash"] == [4, 3], key
        months = {r["month"] for r in solid["data"]["values"]}
        assert not months & {"2023-10", "2024-02", 10, 2}, key  # the solid line never reaches a partial month


@pytest.mark.parametrize("locale, peak, day", [("en", "Sales peak in December (+25.0% vs trend) and are lowest in "
                                                     "January (−25.0%)", "Monday"),
                                                ("ru", "Пик продаж — декабрь (+25,0 % к тренду), минимум — январь "
                                                       "(−25,0 %)", "понедельник")])
def test_month_and_weekday_names_come_from_babel(locale, peak, day):
    result = run(three_years(), None)
    assert render_partial("_headline_seasonality.html", result, locale).startswith(peak)
    chapter = render_partial("_seasonality.html", result, locale, charts={k: "" for k in (
        "revenue", "counts", "month_of_year", "weekday")})
    assert day in chapter


def test_methodology_states_the_coverage_rule():
    text = methodology("seasonality", seasonality.Params(min_years=2))
    assert "at most 7 days after the 1st, i.e. on or before the 8th" in text and "= 36 consecutive" in text
    assert "не позже 8-го числа" in methodology("seasonality", seasonality.Params(), "ru")


def test_every_param_is_documented():
    assert all(field.description for field in seasonality.Params.model_fields.values())


# ===================================================================== 2. plain-Python reference

def ref_tables(lines: list[dict], as_of: dt.date | None):
    """Monthly {YYYY-MM: [revenue, orders, customers]} over every month first..as_of, and weekday {1..7: [orders, revenue]}."""
    as_of = as_of or max(line["date"].date() for line in lines)
    kept = [line for line in lines if line["date"].date() <= as_of]
    first = min((line["date"].date() for line in kept), default=as_of)  # nothing kept: facts start at as_of
    months, y, m = {}, first.year, first.month
    while (y, m) <= (as_of.year, as_of.month):
        months[f"{y}-{m:02d}"] = [0.0, 0, set()]
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    weekdays = {d: [0, 0.0] for d in range(1, 8)}
    orders: dict = {}
    for line in kept:
        day = line["date"].date()
        months[day.strftime("%Y-%m")][0] += line["amount"]
        weekdays[day.isoweekday()][1] += line["amount"]
        o = orders.setdefault(line["order_id"], {"day": day, "customer": line["customer_id"], "real": False})
        o["day"] = min(o["day"], day)
        o["real"] = o["real"] or line["amount"] >= 0
    for o in orders.values():
        if o["real"]:
            months[o["day"].strftime("%Y-%m")][1] += 1
            weekdays[o["day"].isoweekday()][0] += 1
            if o["customer"] is not None:
                months[o["day"].strftime("%Y-%m")][2].add(o["customer"])
    return months, weekdays, sum(line["amount"] for line in kept)


BASE = dt.datetime(2023, 11, 20)
AMOUNTS = [-30.0, -5.0, 0.0, 5.0, 10.0, 20.0, 50.0, 120.0]


@st.composite
def logs(draw, max_lines: int = 30, span_days: int = 150):
    """(lines, as_of or None); a receipt id may span days (a later return under the sale's id)."""
    lines = []
    for _ in range(draw(st.integers(1, max_lines))):
        customer = draw(st.sampled_from(["c0", "c1", "c2", "c3", None]))
        offset = draw(st.integers(0, span_days))
        lines.append({"customer_id": customer, "order_id": f"{customer or 'u'}-{draw(st.integers(0, 6))}",
                      "date": BASE + dt.timedelta(days=offset, hours=draw(st.integers(0, 23))),
                      "amount": draw(st.sampled_from(AMOUNTS))})
    as_of = draw(st.one_of(st.none(), st.integers(0, span_days + 10).map(lambda d: (BASE + dt.timedelta(days=d)).date())))
    return lines, as_of


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(data=logs())
def test_matches_reference_and_invariants(data):
    lines, as_of = data
    frame = pl.DataFrame(lines, schema=SCHEMA)
    # one receipt id = one customer: the generator reuses ids only within a customer
    result = run(frame, as_of)
    months, weekdays, total = ref_tables(lines, as_of)
    monthly = result.monthly
    assert monthly["month"].to_list() == list(months)
    for row in monthly.iter_rows(named=True):
        revenue, orders, customers = months[row["month"]]
        assert (row["revenue"], row["orders"], row["active_customers"]) == (pytest.approx(revenue), orders, len(customers))
    weekday = result.weekday
    assert weekday["weekday"].to_list() == list(range(1, 8))
    for row in weekday.iter_rows(named=True):
        assert (row["orders"], row["revenue"]) == (weekdays[row["weekday"]][0], pytest.approx(weekdays[row["weekday"]][1]))
    # invariants: monthly revenue sums to total revenue, orders to the real orders, shares sum to 1
    assert monthly["revenue"].sum() == pytest.approx(total)
    assert monthly["orders"].sum() == weekday["orders"].sum()
    if weekday["orders"].sum():
        assert weekday["orders_share"].sum() == pytest.approx(1.0)
    if round(total, 6) > 0:
        assert weekday["revenue_share"].sum() == pytest.approx(1.0)
    else:
        assert weekday["revenue_share"].null_count() == 7
    by_year = result.month_of_year
    assert by_year.select(pl.format("{}-{}", "year", pl.col("month").cast(pl.String).str.zfill(2))).to_series().to_list() \
        == monthly["month"].to_list()
    assert monthly["complete"].to_list()[1:-1] == [True] * max(monthly.height - 2, 0)
