"""Seasonality (METHODS §4): revenue, orders and active customers by month, month-of-year across years, weekday."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.facts import money_sum
from cjmgen.periods import GRACE_DAYS
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
                                    "calendar month has at least this many ratio-to-trend values; that takes "
                                    "12 × (min_years + 1) consecutive complete months (1 → 24).")


COVERED_FROM_DAY = GRACE_DAYS + 1
"""The data covers its first month when the first line falls on or before this day of the month (at most GRACE_DAYS
after the 1st, the drivers chapter's rule for a period): a business closed on the 1st and over a weekend (data from
3 January) keeps January; one that starts mid-month does not."""


def months_needed(params: Params) -> int:
    """Consecutive complete months the seasonal index needs: six either side of each ratio, min_years ratios a month."""
    return 12 * (params.min_years + 1)


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
    facts = {**profile_facts(index), **year_facts(sales, by_year), **_weekday_facts(weekday), "months": monthly.height,
             **coverage_facts(monthly, params)}
    if index.is_empty():  # too few complete months, or a trend that is zero somewhere (a year without revenue)
        facts["index_missing"] = "too_few_months" if facts["complete_months"] < facts["months_needed"] else "no_trend"
    tables = {"seasonality_monthly": monthly, "seasonality_month_of_year": by_year, "seasonality_weekday": weekday,
              "seasonality_index": index}
    return Result(name, tables, facts=facts)


def _month_start(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1mo")


def monthly_table(sales) -> pl.DataFrame:
    """Every calendar month from the first line to as_of, empty months as zeros.

    A month is complete when the data covers it: it ends on or before as_of, and it is not the first month or the
    first line falls on or before its COVERED_FROM_DAY-th day.

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
        ((pl.col("start") >= _covered_from(sales.first_day)) & (month_end <= sales.as_of)).alias("complete"))


def _first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _covered_from(first_day: dt.date) -> dt.date:
    """The first month start the data covers: the first line's month if it starts early enough, else the next one."""
    if first_day.day <= COVERED_FROM_DAY:
        return _first_of(first_day)
    return (_first_of(first_day) + dt.timedelta(days=31)).replace(day=1)


def coverage_facts(monthly: pl.DataFrame, params: Params) -> dict[str, Any]:
    """Complete months found (first and last) against the months the seasonal index needs."""
    complete = monthly.filter("complete")["month"]
    return {"complete_months": complete.len(), "months_needed": months_needed(params), "min_years": params.min_years,
            "covered_from_day": COVERED_FROM_DAY,
            "first_complete_month": complete.first() if complete.len() else None,
            "last_complete_month": complete.last() if complete.len() else None}


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
    are scaled to average 1. Empty unless every calendar month has at least min_years ratios (≥ months_needed months).
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

    t = localized(LABELS, ctx.locale)
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
                                              "сентябрь", "октябрь", "ноябрь", "декабрь"), strict=False)},
    **{m + " (short)": {"en": m[:3], "ru": r} for m, r in zip(MONTHS, (
        "янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"), strict=False)},
    **{w: {"ru": r} for w, r in zip(WEEKDAYS, ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
                                                "воскресенье"), strict=False)},
    "Revenue by month": {"ru": "Выручка по месяцам"}, "Revenue": {"ru": "Выручка"}, "Orders": {"ru": "Заказы"},
    "Active customers": {"ru": "Активные клиенты"},
    "Orders and active customers by month": {"ru": "Заказы и активные клиенты по месяцам"},
    "Revenue by month of year": {"ru": "Выручка по месяцам года"}, "orders": {"ru": "заказы"}, "revenue": {"ru": "выручка"},
    "Share of orders and revenue by weekday": {"ru": "Доля заказов и выручки по дням недели"},
    "Month": {"ru": "Месяц"}, "Weekday": {"ru": "День недели"}, "Average check": {"ru": "Средний чек"},
    "Share of orders": {"ru": "Доля заказов"}, "Share of revenue": {"ru": "Доля выручки"},
    "no seasonal index, peak or trough month.": {
        "ru": "сезонный индекс, пиковый и минимальный месяц не определяются."},
    "Seasonal index": {"ru": "Сезонный индекс"}, "vs trend": {"ru": "к тренду"},
    "active customers": {"ru": "активные клиенты"},
    "The busiest weekday is": {"ru": "Самый загруженный день —"}, "of orders": {"ru": "заказов"},
    "weekends": {"ru": "выходные"}, "partial month": {"ru": "неполный месяц"},
    "Months marked * are partial: the data starts more than 7 days into the month, or the month ends after the "
    "analysis date.": {
        "ru": "Месяцы со * неполные: данные начинаются позже 8-го числа месяца или месяц заканчивается после даты "
              "анализа."},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the seasonality chapter."""
    need, years = months_needed(params), params.min_years
    if locale == "ru":
        return ("Выручка месяца — сумма строк за месяц по дате строки, включая заказы без ID клиента и за вычетом "
                "возвратов (возврат уменьшает выручку дня, когда он случился). Заказы — чеки с хотя бы одной "
                "неотрицательной строкой, по дате заказа, включая заказы без ID клиента. Активные клиенты — "
                "идентифицированные клиенты с заказом в месяце. Средний чек = выручка / заказы. Месяцы без продаж "
                "показаны нулями. Месяц полный, если данные его покрывают: он закончился не позже даты анализа, а для "
                f"первого месяца данных первая строка — не позже {COVERED_FROM_DAY}-го числа, то есть не более чем через "
                f"{GRACE_DAYS} дней после 1-го (если клиника или магазин закрыты 1-го числа и в выходные, месяц не "
                "теряется); остальные месяцы неполные (*). Сезонный индекс — "
                "классическое мультипликативное разложение: выручка полного месяца / центрированное скользящее среднее "
                "2×12 (тренд), среднее этих отношений по каждому календарному месяцу, двенадцать индексов нормированы "
                f"к среднему 1; считается, если на каждый месяц есть не менее {years} отношения, то есть нужно не менее "
                f"12 × ({years} + 1) = {need} полных месяцев подряд (по шесть месяцев до и после каждого отношения). "
                "Пиковый и минимальный месяц — по индексу, поэтому рост сети не выдаётся за сезонность. Рост за год — "
                "последний полный календарный год к предыдущему полному; активные клиенты года — уникальные за год. "
                "Дни недели: понедельник = 1.")
    return ("Monthly revenue = the sum of lines dated in the month, orders without a customer ID included, net of "
            "returns (a return reduces the revenue of the day it happened). Orders = receipts with at least one "
            "non-negative line, by order date, orders without a customer ID included. Active customers = identified "
            "customers with an order in the month. Average check = revenue / orders. Months without sales show zeros. "
            "A month is complete when the data covers it: it ends on or before the analysis date and, for the first "
            f"month of the data, the first line falls at most {GRACE_DAYS} days after the 1st, i.e. on or before the "
            f"{COVERED_FROM_DAY}th (a business closed on the 1st and over a weekend keeps the month); other months are "
            "partial (*). Seasonal index: classical multiplicative decomposition — a complete month's revenue / the centred 2×12 moving average (the trend), "
            "averaged per calendar month, the twelve indices scaled to average 1; computed when every calendar month "
            f"has at least {years} ratio(s), which takes 12 × ({years} + 1) = {need} consecutive complete months (six "
            "months either side of each ratio). Peak and trough months come from the index, so a growing chain's "
            "trend is not mistaken for seasonality. Year-over-year growth: the last complete calendar year vs the "
            "complete year before; a year's active customers are distinct over the year. Weekdays: Monday = 1.")
