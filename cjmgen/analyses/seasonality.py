"""Seasonality (METHODS §4): revenue, orders and active customers by month, month-of-year across years, weekday."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, Result
from cjmgen.facts import money_sum
from cjmgen.spec.common import Strict

name = "seasonality"
title = {"en": "Seasonality", "ru": "Сезонность"}
spec_block = None
needs = {"transactions": ("date", "amount")}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Params(Strict):
    """Revenue, orders and active customers per month and month-of-year, and the weekday profile."""

    min_years: int = Field(
        1, ge=1, le=10, description="Compute the seasonal index (and name the peak and trough month) only when every "
                                    "calendar month has at least this many ratio-to-trend values (1 needs 24 complete months).")


def compute(ctx: Context, params: Params) -> Result:
    """Monthly, month-of-year and weekday tables plus peak/trough and year-over-year facts."""
    sales = ctx.facts.sales
    monthly = monthly_table(sales)
    weekday = weekday_table(sales)
    by_year = monthly.select(
        pl.col("month").str.slice(0, 4).cast(pl.Int32).alias("year"),
        pl.col("month").str.slice(5, 2).cast(pl.Int32).alias("month"),
        "revenue", "orders", "active_customers", "complete")
    index = seasonal_index(monthly, params)
    facts = {**profile_facts(index), **year_facts(sales, by_year), **_weekday_facts(weekday), "months": monthly.height}
    tables = {"seasonality_monthly": monthly, "seasonality_month_of_year": by_year, "seasonality_weekday": weekday,
              "seasonality_index": index}
    return Result(name, tables, facts=facts)


def _month_start(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1mo")


def monthly_table(sales) -> pl.DataFrame:
    """Every calendar month from the first line to as_of, empty months as zeros.

    Revenue (net of returns, unidentified receipts included) by the day each line happened; orders (real orders,
    unidentified included) by order date; active customers = identified customers with a real order that month.
    """
    real = sales.orders.filter(pl.col("is_order")).with_columns(_month_start(pl.col("day")).alias("start"))
    counts = real.group_by("start").agg(
        pl.len().alias("orders"), pl.col("customer_id").drop_nulls().n_unique().alias("active_customers"))
    money = sales.order_days.group_by(_month_start(pl.col("day")).alias("start")).agg(money_sum("revenue"))
    first, last = _first_of(sales.first_day), _first_of(sales.as_of)
    grid = pl.DataFrame({"start": pl.date_range(first, last, "1mo", eager=True)})
    table = grid.join(money, on="start", how="left").join(counts, on="start", how="left").with_columns(
        pl.col("revenue").fill_null(0.0), pl.col("orders").fill_null(0).cast(pl.Int64),
        pl.col("active_customers").fill_null(0).cast(pl.Int64))
    month_end = pl.col("start").dt.offset_by("1mo") - pl.duration(days=1)
    return table.sort("start").select(
        pl.col("start").dt.strftime("%Y-%m").alias("month"), "revenue", "orders", "active_customers",
        pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders")).alias("avg_check"),
        ((pl.col("start") >= sales.first_day) & (month_end <= sales.as_of)).alias("complete"))


def _first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def weekday_table(sales) -> pl.DataFrame:
    """Orders (by order date) and revenue (by line date) per weekday, Monday = 1; shares of the totals."""
    orders = sales.orders.filter(pl.col("is_order")).group_by(pl.col("day").dt.weekday().alias("weekday")).agg(
        pl.len().alias("orders"))
    money = sales.order_days.group_by(pl.col("day").dt.weekday().alias("weekday")).agg(money_sum("revenue"))
    grid = pl.DataFrame({"weekday": list(range(1, 8)), "name": list(WEEKDAYS)}, schema={"weekday": pl.Int8, "name": pl.String})
    table = grid.join(orders, on="weekday", how="left").join(money, on="weekday", how="left").with_columns(
        pl.col("orders").fill_null(0).cast(pl.Int64), pl.col("revenue").fill_null(0.0))
    total_orders, total_revenue = table["orders"].sum(), round(table["revenue"].sum(), 6)
    return table.select(
        pl.col("weekday").cast(pl.Int64), "name", "orders", "revenue",
        (pl.col("orders") / total_orders if total_orders else pl.lit(None, pl.Float64)).alias("orders_share"),
        (pl.col("revenue") / total_revenue if total_revenue > 0 else pl.lit(None, pl.Float64)).alias("revenue_share"))


def seasonal_index(monthly: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Classical multiplicative seasonal index: revenue / centred 2×12 moving average, averaged per calendar month.

    Only complete months enter; a trend (a growing chain) does not masquerade as seasonality. The twelve indices
    are scaled to average 1. Empty unless every calendar month has at least min_years ratios (≥ 24 complete months).
    """
    weights = [0.5] + [1.0] * 11 + [0.5]
    series = monthly.filter("complete").sort("month")
    ratios = series.select(
        pl.col("month").str.slice(5, 2).cast(pl.Int64).alias("month"),
        (pl.col("revenue").rolling_sum(window_size=13, weights=weights, center=True) / 12).alias("trend"),
        "revenue",
    ).filter(pl.col("trend") > 0).with_columns((pl.col("revenue") / pl.col("trend")).alias("ratio"))
    profile = ratios.group_by("month").agg(pl.col("ratio").mean(), pl.len().alias("years")).sort("month")
    empty = pl.DataFrame(schema={"month": pl.Int64, "name": pl.String, "years": pl.Int64, "index": pl.Float64})
    if profile.height < 12 or profile["years"].min() < params.min_years:
        return empty
    scale = 12 / profile["ratio"].sum()
    return profile.select("month", pl.col("month").replace_strict(dict(enumerate(MONTHS, 1))).alias("name"),
                          pl.col("years").cast(pl.Int64), (pl.col("ratio") * scale).alias("index"))


def profile_facts(index: pl.DataFrame) -> dict[str, Any]:
    """Peak and trough calendar month by seasonal index (index 1.25 = 25% above a trend month)."""
    if index.is_empty():
        return {"peak_month": None, "trough_month": None}
    ranked = index.sort(["index", "month"], descending=[True, False])
    peak, trough = ranked.row(0, named=True), ranked.row(-1, named=True)
    return {"peak_month": peak["month"], "peak_month_name": peak["name"], "peak_index": peak["index"],
            "trough_month": trough["month"], "trough_month_name": trough["name"], "trough_index": trough["index"]}


def year_facts(sales, by_year: pl.DataFrame) -> dict[str, Any]:
    """Growth of the last complete calendar year over the year before, when both are complete."""
    full = by_year.group_by("year").agg(pl.col("complete").all() & (pl.len() == 12)).filter("complete")["year"]
    years = sorted(full.to_list())
    if len(years) < 2 or years[-2] != years[-1] - 1:
        return {"last_full_year": years[-1] if years else None, "revenue_growth": None}
    last, previous = years[-1], years[-2]
    totals = by_year.filter(pl.col("year").is_in([last, previous])).group_by("year").agg(
        money_sum("revenue"), pl.col("orders").sum())
    customers = sales.orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null()).group_by(
        pl.col("day").dt.year().cast(pl.Int32).alias("year")).agg(pl.col("customer_id").n_unique().alias("customers"))
    rows = {r["year"]: r for r in totals.join(customers, on="year", how="left").fill_null(0).iter_rows(named=True)}
    growth = {k: (rows[last][k] / rows[previous][k] - 1) if rows[previous][k] else None
              for k in ("revenue", "orders", "customers")}
    return {"last_full_year": last, "previous_year": previous, "revenue_growth": growth["revenue"],
            "orders_growth": growth["orders"], "customers_growth": growth["customers"]}


def _weekday_facts(weekday: pl.DataFrame) -> dict[str, Any]:
    if weekday["orders"].sum() == 0:
        return {"busiest_weekday": None}
    top = weekday.sort(["orders", "weekday"], descending=[True, False]).row(0, named=True)
    weekend = weekday.filter(pl.col("weekday") >= 6)
    return {"busiest_weekday": top["name"], "busiest_weekday_share": top["orders_share"],
            "weekend_orders_share": weekend["orders_share"].sum()}


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """Revenue by month, orders and active customers by month, month-of-year lines per year, weekday profile."""
    import altair as alt

    from cjmgen.charts import builders as b

    t = {k: v.get(ctx.locale, k) for k, v in LABELS.items()}
    monthly = result.tables["seasonality_monthly"]
    months = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-90 if monthly.height > 14 else 0))
    revenue = alt.Chart(alt.Data(values=monthly.select("month", "revenue").to_dicts()), title=t["Revenue by month"]).mark_bar(
    ).encode(x=months, y=alt.Y("revenue:Q", title=t["Revenue"], axis=alt.Axis(format=",.0f")))
    long = monthly.select("month", "orders", "active_customers").unpivot(index="month", variable_name="measure").with_columns(
        pl.col("measure").replace_strict({"orders": t["Orders"], "active_customers": t["Active customers"]}))
    counts = alt.Chart(alt.Data(values=long.to_dicts()), title=t["Orders and active customers by month"]).mark_line(
        point=monthly.height <= 36).encode(
        x=months, y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.0f")),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")))
    short = [t[m + " (short)"] for m in MONTHS]
    by_year = result.tables["seasonality_month_of_year"]
    year_lines = alt.Chart(alt.Data(values=by_year.select("year", "month", "revenue").to_dicts()),
                           title=t["Revenue by month of year"]).mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=0, labelExpr=f"{short}[datum.value - 1]")),
        y=alt.Y("revenue:Q", title=t["Revenue"], axis=alt.Axis(format=",.0f")),
        color=alt.Color("year:O", title=None, scale=alt.Scale(scheme="tableau10"), legend=alt.Legend(orient="right")))
    weekday = result.tables["seasonality_weekday"].with_columns(pl.col("name").replace_strict({w: t[w] for w in WEEKDAYS}))
    return {
        "revenue": revenue.properties(width=b.WIDTH - 80, height=220),
        "counts": counts.properties(width=b.WIDTH - 80, height=200),
        "month_of_year": year_lines.properties(width=b.WIDTH - 140, height=240),
        "weekday": b.paired_bars(weekday, category="name", values={t["orders"]: "orders_share", t["revenue"]: "revenue_share"},
                                 title=t["Share of orders and revenue by weekday"]),
    }


LABELS: dict[str, dict[str, str]] = {
    **{m: {"ru": r} for m, r in zip(MONTHS, ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
                                              "сентябрь", "октябрь", "ноябрь", "декабрь"))},
    **{m + " (short)": {"en": m[:3], "ru": r} for m, r in zip(MONTHS, (
        "янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"))},
    **{w: {"ru": r} for w, r in zip(WEEKDAYS, ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
                                                "воскресенье"))},
    "Revenue by month": {"ru": "Выручка по месяцам"}, "Revenue": {"ru": "Выручка"}, "Orders": {"ru": "Заказы"},
    "Active customers": {"ru": "Активные клиенты"},
    "Orders and active customers by month": {"ru": "Заказы и активные клиенты по месяцам"},
    "Revenue by month of year": {"ru": "Выручка по месяцам года"}, "orders": {"ru": "заказы"}, "revenue": {"ru": "выручка"},
    "Share of orders and revenue by weekday": {"ru": "Доля заказов и выручки по дням недели"},
    "Month": {"ru": "Месяц"}, "Weekday": {"ru": "День недели"}, "Average check": {"ru": "Средний чек"},
    "Share of orders": {"ru": "Доля заказов"}, "Share of revenue": {"ru": "Доля выручки"},
    "Fewer than 24 complete months: no seasonal index, peak or trough month.": {
        "ru": "Полных месяцев меньше 24: сезонный индекс, пиковый и минимальный месяц не определяются."},
    "Seasonal index": {"ru": "Сезонный индекс"}, "vs trend": {"ru": "к тренду"},
    "active customers": {"ru": "активные клиенты"},
    "The busiest weekday is": {"ru": "Самый загруженный день —"}, "of orders": {"ru": "заказов"},
    "weekends": {"ru": "выходные"}, "partial month": {"ru": "неполный месяц"},
    "Months marked * are partial (the data starts or ends inside them).": {
        "ru": "Месяцы со * неполные (данные начинаются или заканчиваются внутри месяца)."},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the seasonality chapter."""
    if locale == "ru":
        return ("Выручка месяца — сумма строк за месяц по дате строки, включая чеки без карты и за вычетом возвратов "
                "(возврат уменьшает выручку дня, когда он случился). Заказы — чеки с хотя бы одной неотрицательной "
                "строкой, по дате заказа, включая чеки без карты. Активные клиенты — идентифицированные клиенты с "
                "заказом в месяце. Средний чек = выручка / заказы. Месяцы без продаж показаны нулями; месяцы, внутри "
                "которых начинаются или заканчиваются данные, неполные (*). Сезонный индекс — классическое "
                "мультипликативное разложение: выручка полного месяца / центрированное скользящее среднее 2×12 "
                "(тренд), среднее этих отношений по каждому календарному месяцу, двенадцать индексов нормированы к "
                f"среднему 1; считается, если на каждый месяц есть не менее {params.min_years} отношения (нужно ≥ 24 "
                "полных месяцев). Пиковый и минимальный месяц — по индексу, поэтому рост сети не выдаётся за "
                "сезонность. Рост за год — последний полный календарный год к предыдущему полному; активные клиенты "
                "года — уникальные за год. Дни недели: понедельник = 1.")
    return ("Monthly revenue = the sum of lines dated in the month, unidentified receipts included, net of returns (a "
            "return reduces the revenue of the day it happened). Orders = receipts with at least one non-negative line, "
            "by order date, unidentified included. Active customers = identified customers with an order in the month. "
            "Average check = revenue / orders. Months without sales show zeros; months in which the data starts or "
            "ends are partial (*). Seasonal index: classical multiplicative decomposition — a complete month's revenue "
            "/ the centred 2×12 moving average (the trend), averaged per calendar month, the twelve indices scaled to "
            f"average 1; computed when every calendar month has at least {params.min_years} ratio(s) (≥ 24 complete "
            "months). Peak and trough months come from the index, so a growing chain's trend is not mistaken for "
            "seasonality. Year-over-year growth: the last complete calendar year vs the complete year before; a "
            "year's active customers are distinct over the year. Weekdays: Monday = 1.")
