"""A receipts log with no customer id and no amount (a bakery's till: order, date, item), checked by hand.

Basket depth and width, order counts and the seasonal index on orders are computed independently below (by hand or
with plain Python), the chapters say which measure they use in whole sentences (en and ru), the summary shows no
revenue or customers, and `cjmgen validate` names the column every other analysis needs, at its spec key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import polars as pl
import pytest

from cjmgen import api
from cjmgen.analyses import basket_kpis, seasonality
from cjmgen.analyses.base import Context
from cjmgen.charts import basket_kpis as basket_charts
from cjmgen.charts import seasonality as season_charts
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import build_facts


def log(rows: list[tuple], columns: tuple[str, ...] = ("order_id", "date", "category")) -> pl.DataFrame:
    """Canonical lines from tuples in `columns` order; dates 'YYYY-MM-DD HH:MM'."""
    frame = pl.DataFrame({c: [r[i] for r in rows] for i, c in enumerate(columns)},
                         schema={c: pl.Float64 if c == "quantity" else pl.String for c in columns}, orient="col")
    return frame.with_columns(pl.col("date").str.to_datetime("%Y-%m-%d %H:%M", time_unit="us"))


def ctx(lines: pl.DataFrame, as_of: dt.date | None = None) -> Context:
    return Context(None, build_facts({"transactions": lines}, as_of))  # type: ignore[arg-type]


# ===================================================================== basket KPIs by hand
#
# order  month  lines (category)                 depth  width
# T1     01     Bread, Coffee, Bread                3      2
# T2     01     Tea                                 1      1
# T3     02     Cake, Coffee                        2      2
# T4     02     Bread, Bread, (no category)         3      1
# Jan: 2 orders, depth (3+1)/2 = 2.0, width (2+1)/2 = 1.5; Feb: 2 orders, depth (2+3)/2 = 2.5, width 1.5
# network: 4 orders, depth 9/4 = 2.25, width 6/4 = 1.5, identified 0
BAKERY = log([
    ("T1", "2023-01-05 08:00", "Bread"), ("T1", "2023-01-05 08:00", "Coffee"), ("T1", "2023-01-05 08:00", "Bread"),
    ("T2", "2023-01-05 09:10", "Tea"),
    ("T3", "2023-02-10 10:00", "Cake"), ("T3", "2023-02-10 10:00", "Coffee"),
    ("T4", "2023-02-11 11:00", "Bread"), ("T4", "2023-02-11 11:00", "Bread"), ("T4", "2023-02-11 11:00", None),
])


def test_basket_depth_width_and_orders_by_hand():
    result = basket_kpis.compute(ctx(BAKERY), basket_kpis.Params())
    assert result.by_month.select("month", "orders", "identified_orders", "depth_lines", "width").rows() == [
        ("2023-01", 2, 0, 2.0, 1.5), ("2023-02", 2, 0, 2.5, 1.5)]
    assert result.network == {"orders": 4, "identified_orders": 0, "identified_share": 0.0, "depth_lines": 2.25,
                              "width": 1.5}
    assert not result.has_customer_id and result.width_of == "category" and not result.has_items
    assert result.by_store is None and result.share_first is None


def test_width_counts_skus_when_there_is_no_category():
    result = basket_kpis.compute(ctx(BAKERY.rename({"category": "sku"})), basket_kpis.Params())
    assert result.width_of == "sku" and result.network is not None and result.network["width"] == 1.5


def test_a_negative_quantity_is_a_return_without_amounts():
    # T1: Bread 2, Coffee 1, Bread −1 (returned at the till): 2 purchase lines, 3 items, 2 categories
    # T2: Tea −1 only: a return, not an order
    lines = log([("T1", "2023-01-05 08:00", "Bread", 2.0), ("T1", "2023-01-05 08:00", "Coffee", 1.0),
                 ("T1", "2023-01-05 08:00", "Bread", -1.0), ("T2", "2023-01-06 08:00", "Tea", -1.0)],
                ("order_id", "date", "category", "quantity"))
    result = basket_kpis.compute(ctx(lines), basket_kpis.Params())
    assert result.network == {"orders": 1, "identified_orders": 0, "identified_share": 0.0, "depth_lines": 2.0,
                              "depth_items": 3.0, "width": 2.0}


def _render(template: str, result, locale: str, **extra) -> str:
    from cjmgen.render.html import report_environment

    env = report_environment(locale, "GBP")
    return _text(env.get_template(template).render(result=result, **extra)).strip()


def test_no_share_chart_and_a_whole_sentence_instead():
    result = basket_kpis.compute(ctx(BAKERY), basket_kpis.Params())
    charts = basket_charts.charts(result, Theme("en", "GBP"))
    assert set(charts) == {"depth_by_month"}  # nothing about an identified share that is 0 by construction
    en = _render("_basket_kpis.html", result, "en", charts=charts)
    assert ("Across the network an order has 2.25 lines from 1.50 categories. The log has no customer IDs, so none "
            "of its 4 orders is identified: there is no identified share to track.") in en
    assert "Identified" not in en and "0.0%" not in en
    assert _render("_headline_basket_kpis.html", result, "en") == (
        "An order has 2.2 lines from 1.5 categories on average, over 4 orders without a customer ID.")
    assert _render("_headline_basket_kpis.html", result, "ru") == (
        "В среднем в заказе 2,2 позиции из 1,5 категорий; ни у одного из 4 заказов нет ID клиента.")


def test_orders_need_an_order_id_or_a_customer_id():
    with pytest.raises(UserError, match="basket_kpis needs an order id or a customer id to form orders"):
        basket_kpis.compute(ctx(BAKERY.drop("order_id")), basket_kpis.Params())


# ===================================================================== seasonality on orders
#
# 36 months (2021-01 … 2023-12), one order a day on the first n days of each month: n = 2, but 4 in December and 1
# in February (25 a year). No trend: the centred 2×12 moving average is 25/12 everywhere, so each ratio is
# n / (25/12) and the index (scaled to average 1) is 12·n/25: December 48/25 (+92%), February 12/25 (−52%), else 24/25.
def seasonal_log() -> pl.DataFrame:
    rows = []
    for year in (2021, 2022, 2023):
        for month in range(1, 13):
            for day in range(1, {12: 4, 2: 1}.get(month, 2) + 1):
                rows.append((f"{year}{month:02}{day:02}", f"{year}-{month:02}-{day:02} 10:00", "Bread"))
    return log(rows)


def test_seasonal_index_on_orders_by_hand():
    lines = seasonal_log()
    result = seasonality.compute(ctx(lines, dt.date(2023, 12, 31)), seasonality.Params())
    assert result.measure == "orders" and not result.has_amount and not result.has_customer_id
    index = dict(zip(result.index["month"].to_list(), result.index["index"].to_list(), strict=True))
    assert index == pytest.approx({m: 12 * {12: 4, 2: 1}.get(m, 2) / 25 for m in range(1, 13)})
    assert result.peak is not None and result.trough is not None and (result.peak.month, result.trough.month) == (12, 2)
    assert result.total_orders == 75 and result.total_revenue is None
    assert result.monthly["revenue"].null_count() == 36 and result.monthly["avg_check"].null_count() == 36
    assert result.monthly["active_customers"].null_count() == 36  # unknown without ids, not 0
    assert result.month_of_year.filter(pl.col("month") == 12)["orders"].to_list() == [4, 4, 4]
    assert result.growth is not None and (result.growth.orders, result.growth.revenue) == (0.0, None)
    weekdays = Counter(d.isoweekday() for d in lines["date"].to_list())  # plain Python, one order a line
    assert dict(zip(result.weekday["weekday"], result.weekday["orders"], strict=True)) == {
        d: weekdays.get(d, 0) for d in range(1, 8)}
    assert result.weekday["revenue_share"].null_count() == 7


def test_seasonality_charts_and_sentences_say_orders():
    result = seasonality.compute(ctx(seasonal_log(), dt.date(2023, 12, 31)), seasonality.Params())
    charts = season_charts.charts(result, Theme("en", "GBP"))
    assert set(charts) == {"orders", "month_of_year", "weekday"}  # no revenue, no active customers
    en = _render("_headline_seasonality.html", result, "en")
    assert en.startswith("Orders peak in December (+92.0% vs trend) and are fewest in February (−52.0%); the log has "
                         "no amounts, so seasonality is measured on orders.")
    ru = _render("_headline_seasonality.html", result, "ru")
    assert "сумм в данных нет, поэтому сезонность считается по заказам" in ru
    chapter = _render("_seasonality.html", result, "en", charts=charts)
    assert "The log has no amounts, so seasonality is measured on orders" in chapter
    assert "Revenue" not in chapter and "Average check" not in chapter and "Active customers" not in chapter


# ===================================================================== whole builds
SPEC = """\
project: {{title: Bakery, client: Test bakery, locale: {locale}, currency: GBP}}
sources:
  transactions:
    path: receipts.csv
    columns: {{order_id: Transaction, date: Date, time: Time, category: Item}}
analyses:
{analyses}
report: {{outputs: [html]}}
"""
CSV = "Date,Time,Transaction,Item\n" + "".join(
    f"2023-0{1 + i % 3}-{10 + i % 7},09:{i % 60:02}:00,{i // 2},{'Bread' if i % 3 else 'Coffee'}\n" for i in range(40))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_builds_with_a_summary_without_revenue_or_customers(project, locale):
    spec = project(SPEC.format(locale=locale, analyses="  basket_kpis: {}\n  seasonality: {}"), {"receipts.csv": CSV})
    html = (api.build(spec, spec.parent / "out").out / "report.html").read_text(encoding="utf-8")
    kpis = re.findall(r'kpi-value">([^<]*)</span><span class="kpi-label">', html)
    assert kpis == ["—", "20", "—", "—", "—"]  # revenue, orders, customers, average check, identified share: unknown
    assert "£0" not in html and "0 £" not in html and "0\u00a0£" not in html


def test_validate_names_the_column_each_other_analysis_needs(project):
    blocks = ["rfm", "cohorts", "repeat", "ltv", "drivers", "owner_dynamics"]
    analyses = "\n".join(f"  {b}: {{owner: store}}" if b == "owner_dynamics" else f"  {b}: {{}}" for b in blocks)
    spec = project(SPEC.format(locale="en", analyses=analyses), {"receipts.csv": CSV})
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    messages = [f"{p.path}: {p.message}" for p in caught.value.problems]
    expected = []
    for b in blocks:
        expected += [f"analyses.{b}: {b} needs transactions.customer_id; the spec maps no such column and "
                     f"receipts.csv has none",
                     f"analyses.{b}: {b} needs transactions.amount (or quantity and price); the spec maps no such "
                     f"column and receipts.csv has none"]
    expected.insert(-2, "analyses.owner_dynamics.owner: owner_dynamics needs transactions.store; the spec maps no "
                        "such column and receipts.csv has none")
    assert sorted(messages) == sorted(expected)
    assert all(p.line is not None for p in caught.value.problems)  # located at the analysis's spec key
