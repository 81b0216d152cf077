"""Weekly metric of a campaign's test and control groups, for the chart with the campaign window shaded."""

from __future__ import annotations

import datetime as dt

import polars as pl

from cjmgen.analyses.uplift_members import Window
from cjmgen.facts import Sales


def weekly(sales: Sales, window: Window, test: pl.Series, control: pl.Series, metric: str) -> pl.DataFrame:
    """campaign, week, group, value from the before window's start to the chart's end. Weeks are counted from the
    campaign's start (so the window's edges fall between weeks); revenue and orders are per member and scaled to 7
    days in a week the range cuts short; the average check is the group's revenue / orders."""
    frames = [_one(sales, window, ids, group, metric) for group, ids in (("test", test), ("control", control))]
    return pl.concat(frames).select("campaign", "week", "group", "value").sort("week", "group")


def _one(sales: Sales, window: Window, ids: pl.Series, group: str, metric: str) -> pl.DataFrame:
    members = pl.DataFrame({"customer_id": ids})  # a matched control keeps its repeats
    first = -((window.start - window.before_start).days // -7)  # weeks before the start, the first one maybe partial
    last = (window.chart_end - window.start).days // 7
    weeks = pl.DataFrame({"k": list(range(-first, last + 1))}, schema={"k": pl.Int64})
    offset = (pl.col("day") - pl.lit(window.start)).dt.total_days() // 7
    in_range = pl.col("day").is_between(window.before_start, window.chart_end)
    money = (members.join(sales.order_days, on="customer_id").filter(in_range)
             .group_by(offset.alias("k")).agg(pl.col("revenue").sum().cast(pl.Float64).alias("revenue")))
    orders = (members.join(sales.orders.filter(pl.col("is_order")), on="customer_id").filter(in_range)
              .group_by(offset.alias("k")).agg(pl.len().cast(pl.Float64).alias("orders")))
    table = weeks.join(money, on="k", how="left").join(orders, on="k", how="left").fill_null(0.0)
    days = [_days_in(window, k) for k in table["k"].to_list()]
    table = table.with_columns(pl.Series("days", days, dtype=pl.Float64))
    value: pl.Expr = pl.col(metric) / ids.len() * 7 / pl.col("days")
    if metric == "avg_check":
        value = pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders")).otherwise(None)
    return table.filter(pl.col("days") > 0).select(
        pl.lit(window.campaign).alias("campaign"),
        (pl.lit(window.start) + pl.duration(days=pl.col("k") * 7)).cast(pl.Date).alias("week"),
        pl.lit(group).alias("group"), value.cast(pl.Float64).alias("value"))


def _days_in(window: Window, k: int) -> int:
    """Days of week k (counted from the start) inside [before_start, chart_end]."""
    first = window.start + dt.timedelta(days=7 * k)
    low, high = max(first, window.before_start), min(first + dt.timedelta(days=6), window.chart_end)
    return max(0, (high - low).days + 1)
