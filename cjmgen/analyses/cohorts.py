"""Cohorts, retention and cumulative LTV (METHODS §3)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.facts import first_order_values, money_sum
from cjmgen.periods import period_index, period_label
from cjmgen.spec.common import Strict

name = "cohorts"
title = {"en": "Cohorts, retention and LTV", "ru": "Когорты, удержание и LTV"}
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

class Params(Strict):
    """Cohort retention and cumulative revenue per customer by period of first order."""

    period: Literal["month", "week", "quarter"] = Field("month", description="Cohort and activity period.")
    max_periods: int | None = Field(
        None, ge=1, le=520, description="Show period offsets 0..max_periods only. Default: all up to as_of.")
    breakdown: str | None = Field(
        None, description="Optional dimension for retention curves per group: store, channel, manager (of the first "
                          "order) or any customers column (gender, region, …).")


ORDER_DIMENSIONS = ("store", "channel", "manager")
MAX_GROUPS = 10
"""Retention curves drawn per breakdown group: the largest groups, at most this many (the CSV has them all)."""


def needs_for(params: Params) -> list[tuple[tuple[str, ...], str, str]]:
    """A breakdown needs its column: an order dimension in transactions, anything else in customers."""
    if not params.breakdown:
        return []
    table = "transactions" if params.breakdown in ORDER_DIMENSIONS else "customers"
    return [(("breakdown",), table, params.breakdown)]


def compute(ctx: Context, params: Params) -> Result:
    """Retention and cumulative revenue per cohort customer for every observable (cohort, offset) cell."""
    sales = ctx.facts.sales
    cohort_of = first_periods(sales.orders.filter(pl.col("customer_id").is_not_null()), params.period)
    last = pl.select(period_index(pl.lit(sales.as_of), params.period)).item()
    table = retention_table(sales, cohort_of, last, params)
    tables = {"cohort_retention": table}
    if params.breakdown:
        groups = _groups(ctx, sales.orders, params.breakdown)
        tables[f"cohort_retention_by_{params.breakdown}"] = retention_by_group(sales, cohort_of, groups, last, params)
    running = pl.select(period_index(pl.lit(sales.as_of + dt.timedelta(days=1)), params.period)).item() == last
    still_running = pl.select(period_label(pl.lit(last - 1), params.period)).item() if running else None
    return Result(name, tables, facts=_facts(table, still_running))


def first_periods(orders: pl.DataFrame, period: str) -> pl.DataFrame:
    """customer_id → cohort period number (the period of the first real order)."""
    return (orders.filter(pl.col("is_order")).group_by("customer_id")
            .agg(period_index(pl.col("day").min(), period).alias("cohort_index"))
            .with_row_index("cid"))


def retention_table(sales, cohort_of: pl.DataFrame, last: int, params: Params) -> pl.DataFrame:
    """Tidy cohort × period table; cells past as_of are absent, observable empty cells are zeros."""
    activity = _activity(sales, cohort_of, params.period, ["cohort_index"])
    sizes = cohort_of.group_by("cohort_index").agg(pl.len().alias("cohort_size"))
    grid = _grid(sizes, last, params.max_periods)
    cells = (grid.join(activity, on=["cohort_index", "period"], how="left")
             .with_columns(pl.col("active_customers").fill_null(0), pl.col("revenue").fill_null(0.0),
                           pl.col("orders").fill_null(0))
             .sort(["cohort_index", "period"]))
    return cells.with_columns(
        period_label(pl.col("cohort_index"), params.period).alias("cohort"),
        (pl.col("active_customers") / pl.col("cohort_size")).alias("retention"),
        (pl.col("revenue").cum_sum().round(6).over("cohort_index") / pl.col("cohort_size")).alias("cumulative_revenue_per_customer"),
    ).select("cohort", "period", "cohort_size", "active_customers", "retention", "revenue", "orders",
             "cumulative_revenue_per_customer")


def _activity(sales, cohort_of: pl.DataFrame, period: str, keys: list[str]) -> pl.DataFrame:
    """Active customers (≥1 real order) and orders by order date; revenue (returns included) by line date."""
    offset = (period_index(pl.col("day"), period) - pl.col("cohort_index")).alias("period")
    real = sales.orders.filter(pl.col("is_order")).join(cohort_of, on="customer_id", maintain_order="left").with_columns(offset)
    # distinct customers per cell, counted on a small integer key: n_unique on text ids is the slow part
    counts = real.group_by([*keys, "period"]).agg(pl.col("cid").n_unique().alias("active_customers"), pl.len().alias("orders"))
    days = sales.order_days.select("customer_id", "day", "revenue").join(
        cohort_of.drop("cid"), on="customer_id", maintain_order="left")
    money = days.with_columns(offset).filter(pl.col("period") >= 0).group_by([*keys, "period"]).agg(money_sum("revenue"))
    return counts.join(money, on=[*keys, "period"], how="full", coalesce=True)


def _grid(sizes: pl.DataFrame, last: int, max_periods: int | None) -> pl.DataFrame:
    """Every (cohort, offset) observable by as_of, capped at max_periods."""
    span = pl.int_ranges(0, pl.lit(last) - pl.col("cohort_index") + 1)
    grid = sizes.with_columns(span.alias("period")).explode("period").with_columns(pl.col("period").cast(pl.Int64))
    return grid.filter(pl.col("period") <= max_periods) if max_periods is not None else grid


def _groups(ctx: Context, orders: pl.DataFrame, dimension: str) -> pl.DataFrame:
    """customer_id → group: an order dimension of the first order, or a customers column."""
    if dimension in orders.columns:
        return first_order_values(orders, dimension)
    people = ctx.facts.sales.customers
    return people.select("customer_id", pl.col(dimension).alias("group"))


def retention_by_group(sales, cohort_of, groups, last: int, params: Params) -> pl.DataFrame:
    """Retention and cumulative revenue per customer by group × offset, pooled over the cohorts observable there."""
    keyed = cohort_of.join(groups, on="customer_id", how="left").with_columns(pl.col("group").cast(pl.String).fill_null("—"))
    sizes = keyed.group_by("group", "cohort_index").agg(pl.len().alias("cohort_size"))
    grid = _grid(sizes, last, params.max_periods)
    activity = _activity(sales, keyed.select("customer_id", "cid", "cohort_index", "group"), params.period,
                         ["group", "cohort_index"])
    cells = grid.join(activity, on=["group", "cohort_index", "period"], how="left").fill_null(0)
    cells = cells.sort(["group", "cohort_index", "period"]).with_columns(
        pl.col("revenue").cum_sum().round(6).over("group", "cohort_index").alias("cumulative_revenue"))
    pooled = cells.group_by("group", "period").agg(
        pl.col("cohort_size").sum().alias("customers"), pl.col("active_customers").sum(),
        pl.col("cumulative_revenue").sum())
    return pooled.with_columns(
        (pl.col("active_customers") / pl.col("customers")).alias("retention"),
        (pl.col("cumulative_revenue") / pl.col("customers")).alias("cumulative_revenue_per_customer"),
    ).drop("cumulative_revenue").sort(["group", "period"])


MATERIAL_GAP = 0.03
"""The newest cohorts' early retention is called lower or higher only when it differs from the earlier cohorts' by at
least this much (3 percentage points) and a two-proportion z-test rejects equality at 95% (|z| ≥ Z_95)."""
Z_95 = 1.959964


def _facts(table: pl.DataFrame, still_running: str | None = None) -> dict[str, Any]:
    """Pooled retention at offsets 1, 3, 6, 12 and the early-retention trend of the three newest cohorts.

    The trend leaves out the cohort whose next period is still running at as_of (still_running): its retention is
    only partly observed and would read as a drop.
    """
    facts: dict[str, Any] = {"cohorts": table["cohort"].n_unique()}
    for k in (1, 3, 6, 12):
        cell = table.filter(pl.col("period") == k)
        facts[f"retention_{k}"] = cell["active_customers"].sum() / cell["cohort_size"].sum() if cell.height else None
    at1 = table.filter((pl.col("period") == 1) & (pl.col("cohort") != (still_running or ""))).sort("cohort")
    if at1.height >= 6:
        recent, earlier = at1.tail(3), at1.head(at1.height - 3)
        facts |= retention_trend(int(recent["active_customers"].sum()), int(recent["cohort_size"].sum()),
                                 int(earlier["active_customers"].sum()), int(earlier["cohort_size"].sum()))
    return facts


def retention_trend(recent_active: int, recent_size: int, earlier_active: int, earlier_size: int) -> dict[str, Any]:
    """Retention at offset 1 of the newest cohorts vs the earlier ones, the gap, its two-proportion z statistic
    (pooled standard error) and the verdict: "lower" or "higher" when the gap is material, else "same"."""
    recent, earlier = recent_active / recent_size, earlier_active / earlier_size
    pooled = (recent_active + earlier_active) / (recent_size + earlier_size)
    error = math.sqrt(pooled * (1 - pooled) * (1 / recent_size + 1 / earlier_size))
    z = (recent - earlier) / error if error > 0 else 0.0
    material = abs(recent - earlier) >= MATERIAL_GAP - 1e-12 and abs(z) >= Z_95
    trend = ("lower" if recent < earlier else "higher") if material else "same"
    return {"retention_1_recent": recent, "retention_1_earlier": earlier, "retention_1_gap": recent - earlier,
            "retention_1_z": z, "retention_1_trend": trend, "recent_customers": recent_size,
            "earlier_customers": earlier_size}


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """Retention and cumulative-LTV heatmaps, LTV curves per cohort, retention curves per group."""
    from cjmgen.charts import builders as b

    table = result.tables["cohort_retention"]
    t = localized(LABELS, ctx.locale)
    out = {
        "retention": b.heatmap(table.filter(pl.col("period") > 0), x="period", y="cohort", value="retention",
                               x_title=t["Period since first order"], y_title=t["Cohort"], title=t["Retention"], fmt=".0%",
                               ordinal_x=True),
        "ltv_heatmap": b.heatmap(table, x="period", y="cohort", value="cumulative_revenue_per_customer",
                                 x_title=t["Period since first order"], y_title=t["Cohort"],
                                 title=t["Cumulative revenue per customer"], fmt=",.0f", ordinal_x=True),
        "ltv_curves": b.curves(table, x="period", y="cumulative_revenue_per_customer", series="cohort",
                               x_title=t["Period since first order"], y_title=t["Cumulative revenue per customer"],
                               title=t["LTV curves by cohort"]),
    }
    for key, frame in result.tables.items():
        if key.startswith("cohort_retention_by_"):
            largest = frame.filter(pl.col("period") == 0).sort(["customers", "group"], descending=[True, False])
            shown = frame.filter(pl.col("group").is_in(largest["group"].head(MAX_GROUPS).implode()))
            out["by_group"] = b.curves(shown.filter(pl.col("period") > 0), x="period", y="retention", series="group",
                                       x_title=t["Period since first order"], y_title=t["Retention"],
                                       title=t["Retention by group"], y_format=".0%", sequential=False)
    return out


LABELS: dict[str, dict[str, str]] = {
    "Period since first order": {"ru": "Период с первого заказа"}, "Cohort": {"ru": "Когорта"},
    "Retention": {"ru": "Удержание"}, "Cumulative revenue per customer": {"ru": "Накопленная выручка на клиента"},
    "LTV curves by cohort": {"ru": "Кривые LTV по когортам"}, "Retention by group": {"ru": "Удержание по группам"},
    "cohorts": {"ru": "когорт"}, "On average": {"ru": "В среднем"},
    "of new customers buy again in the next period": {"ru": "новых клиентов покупают снова в следующем периоде"},
    "in the third": {"ru": "в третьем"}, "in the twelfth": {"ru": "в двенадцатом"}, "vs": {"ru": "против"},
    "The three newest cohorts return less often": {"ru": "Три последние когорты возвращаются реже"},
    "the three newest cohorts return less often": {"ru": "три последние когорты возвращаются реже"},
    "The three newest cohorts return more often": {"ru": "Три последние когорты возвращаются чаще"},
    "the three newest cohorts return more often": {"ru": "три последние когорты возвращаются чаще"},
    "The three newest cohorts return about as often as earlier ones": {
        "ru": "Три последние когорты возвращаются примерно так же часто, как прежние"},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the cohorts chapter."""
    unit = {"month": ("month", "месяц"), "week": ("ISO week (Monday start)", "неделя ISO (с понедельника)"),
            "quarter": ("quarter", "квартал")}[params.period]
    trend_ru = (f"Удержание в следующем периоде трёх последних когорт, у которых этот период уже закончился к дате "
                f"анализа, сравнивается с более ранними когортами вместе; «реже» или «чаще» пишется, только если разница не меньше "
                f"{MATERIAL_GAP * 100:g} п. п. и двусторонний z-тест для двух долей (объединённая дисперсия) значим на "
                f"уровне 95 % (|z| ≥ 1,96); иначе — «примерно так же часто».")
    trend_en = (f"Next-period retention of the three newest cohorts whose next period has ended by the analysis date "
                f"is compared with the earlier cohorts pooled; it is called lower or higher only when the gap is at least "
                f"{MATERIAL_GAP * 100:g} percentage points and a two-sided two-proportion z-test (pooled variance) is "
                f"significant at 95% (|z| ≥ 1.96); otherwise \"about as often\".")
    if locale == "ru":
        return (f"Когорта — {unit[1]} первого заказа клиента. Для когорты c и смещения k = 0, 1, … до периода, "
                f"содержащего дату анализа: активные клиенты (≥1 заказа в периоде c+k), удержание = активные / размер "
                f"когорты, выручка когорты в периоде (с учётом возвратов) и накопленная выручка на клиента когорты "
                f"(кривая LTV). Ещё не наблюдаемые ячейки пусты, а не нулевые. LTV здесь — историческая выручка. "
                + trend_ru)
    return (f"Cohort = the {unit[0]} of a customer's first order. For cohort c and offset k = 0, 1, … up to the period "
            f"containing the analysis date: active customers (≥1 order in period c+k), retention = active / cohort "
            f"size, the cohort's revenue in the period (net of returns) and cumulative revenue per cohort customer "
            f"(the LTV curve). Cells not yet observable are absent, never zero. LTV here is historical revenue. "
            + trend_en)
