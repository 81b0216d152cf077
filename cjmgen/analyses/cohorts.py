"""Cohorts, retention and cumulative LTV (METHODS §3)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.facts import Sales, first_order_values, money_sum
from cjmgen.periods import ends_after, period_index, period_label, period_number
from cjmgen.spec.common import Strict

name = "cohorts"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

ORDER_DIMENSIONS = ("store", "channel", "manager")
MAX_GROUPS = 10
"""Retention curves drawn per breakdown group: the largest groups, at most this many (the CSV has them all)."""
MATERIAL_GAP = 0.03
"""The newest cohorts' early retention is called lower or higher only when it differs from the earlier cohorts' by at
least this much (3 percentage points) and a two-proportion z-test rejects equality at 95% (|z| ≥ Z_95)."""
Z_95 = 1.959964
RECENT_COHORTS = 3
"""How many of the newest cohorts (with a complete next period) the early-retention trend compares."""


class Params(Strict):
    """Cohort retention and cumulative revenue per customer by period of first order."""

    period: Literal["month", "week", "quarter"] = Field("month", description="Cohort and activity period.")
    max_periods: int | None = Field(
        None, ge=1, le=520, description="Show period offsets 0..max_periods only. Default: all up to as_of.")
    breakdown: str | None = Field(
        None, description="Optional dimension for retention curves per group: store, channel, manager (of the first "
                          "order) or any customers column (gender, region, …).")

    @property
    def material_gap(self) -> float:
        """MATERIAL_GAP, for the methodology text."""
        return MATERIAL_GAP

    @property
    def z_95(self) -> float:
        """Z_95, for the methodology text."""
        return Z_95


@dataclass(frozen=True)
class RetentionTrend:
    """Next-period retention of the newest cohorts vs the earlier ones pooled, and the verdict on the gap."""

    recent: float
    earlier: float
    gap: float
    z: float
    """Two-proportion z statistic (pooled standard error)."""
    verdict: Literal["lower", "higher", "same"]
    recent_customers: int
    earlier_customers: int


@dataclass(frozen=True)
class CohortsResult(Result):
    """The cohort × offset table, the optional per-group curves and the pooled retention facts."""

    by_group: pl.DataFrame | None
    """group, period, customers, active_customers, retention, cumulative_revenue_per_customer, partial; exported as
    cohort_retention_by_<breakdown>."""
    breakdown: str | None
    period: Literal["month", "week", "quarter"]
    cohorts: int
    retention_1: float | None
    """Pooled retention at offset 1 over the cells whose period is complete (None: no such cell)."""
    retention_3: float | None
    retention_6: float | None
    retention_12: float | None
    trend: RetentionTrend | None
    """None when fewer than six cohorts have a complete next period."""
    partial_period: str | None
    """Label of the period that contains as_of when as_of is not its last day (its cells are partial)."""
    as_of: dt.date
    retention: Annotated[pl.DataFrame, Table("cohort_retention")]
    """cohort, period, cohort_size, active_customers, retention, revenue, orders, cumulative_revenue_per_customer,
    partial (the cell's calendar period is the one cut at as_of)."""

    def exported_tables(self) -> dict[str, pl.DataFrame]:
        """cohort_retention and, with a breakdown, cohort_retention_by_<breakdown>."""
        found = super().exported_tables()
        if self.by_group is not None and self.breakdown:
            found[f"cohort_retention_by_{self.breakdown}"] = self.by_group
        return found


def needs_for(params: Params) -> NeedsFor:
    """A breakdown needs its column: an order dimension in transactions, anything else in customers."""
    if not params.breakdown:
        return []
    source = "transactions" if params.breakdown in ORDER_DIMENSIONS else "customers"
    return [(("breakdown",), source, params.breakdown)]


def compute(ctx: Context, params: Params) -> CohortsResult:
    """Retention and cumulative revenue per cohort customer for every observable (cohort, offset) cell."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    cohort_of = first_periods(sales.orders.filter(pl.col("customer_id").is_not_null()), params.period)
    last = period_number(sales.as_of, params.period)
    partial = last if ends_after(sales.as_of, params.period) else None
    cells = retention_table(sales, cohort_of, last, partial, params)
    by_group = None
    if params.breakdown:
        groups = _groups(sales, params.breakdown)
        by_group = retention_by_group(sales, cohort_of, groups, (last, partial), params)
    at = {k: pooled_retention(cells, k) for k in (1, 3, 6, 12)}
    return CohortsResult(
        retention=cells, by_group=by_group, breakdown=params.breakdown, period=params.period,
        cohorts=cells["cohort"].n_unique(), retention_1=at[1], retention_3=at[3], retention_6=at[6],
        retention_12=at[12], trend=newest_cohorts_trend(cells),
        partial_period=pl.select(period_label(pl.lit(partial), params.period)).item() if partial is not None else None,
        as_of=sales.as_of)


def first_periods(orders: pl.DataFrame, period: str) -> pl.DataFrame:
    """customer_id → cohort period number (the period of the first real order)."""
    return (orders.filter(pl.col("is_order")).group_by("customer_id")
            .agg(period_index(pl.col("day").min(), period).alias("cohort_index"))
            .with_row_index("cid"))


def _partial(partial: int | None) -> pl.Expr:
    """True for a cell whose calendar period (cohort + offset) is the one cut at as_of."""
    if partial is None:
        return pl.lit(False)
    return (pl.col("cohort_index") + pl.col("period")) == partial


def retention_table(sales: Sales, cohort_of: pl.DataFrame, last: int, partial: int | None,
                    params: Params) -> pl.DataFrame:
    """Tidy cohort × period table; cells past as_of are absent, observable empty cells are zeros."""
    activity = _activity(sales, cohort_of, params.period, ["cohort_index"])
    sizes = cohort_of.group_by("cohort_index").agg(pl.len().alias("cohort_size"))
    grid = _grid(sizes, last, params.max_periods)
    cells = (grid.join(activity, on=["cohort_index", "period"], how="left")
             .with_columns(pl.col("active_customers").fill_null(0), pl.col("revenue").fill_null(0.0),
                           pl.col("orders").fill_null(0))
             .sort(["cohort_index", "period"]))
    cumulative = pl.col("revenue").cum_sum().round(6).over("cohort_index") / pl.col("cohort_size")
    return cells.with_columns(
        period_label(pl.col("cohort_index"), params.period).alias("cohort"),
        (pl.col("active_customers") / pl.col("cohort_size")).alias("retention"),
        cumulative.alias("cumulative_revenue_per_customer"),
        _partial(partial).alias("partial"),
    ).select("cohort", "period", "cohort_size", "active_customers", "retention", "revenue", "orders",
             "cumulative_revenue_per_customer", "partial")


def _activity(sales: Sales, cohort_of: pl.DataFrame, period: str, keys: list[str]) -> pl.DataFrame:
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


def _groups(sales: Sales, dimension: str) -> pl.DataFrame:
    """customer_id → group: an order dimension of the first order, or a customers column."""
    if dimension in sales.orders.columns:
        return first_order_values(sales.orders, dimension)
    return sales.customers.select("customer_id", pl.col(dimension).alias("group"))


def retention_by_group(sales: Sales, cohort_of: pl.DataFrame, groups: pl.DataFrame, periods: tuple[int, int | None],
                       params: Params) -> pl.DataFrame:
    """Retention and cumulative revenue per customer by group × offset, pooled over the cohorts whose period at that
    offset is complete; a row where every such cell is partial pools those and is marked partial."""
    last, partial = periods
    keyed = cohort_of.join(groups, on="customer_id", how="left").with_columns(pl.col("group").cast(pl.String).fill_null("—"))
    sizes = keyed.group_by("group", "cohort_index").agg(pl.len().alias("cohort_size"))
    grid = _grid(sizes, last, params.max_periods)
    activity = _activity(sales, keyed.select("customer_id", "cid", "cohort_index", "group"), params.period,
                         ["group", "cohort_index"])
    cells = grid.join(activity, on=["group", "cohort_index", "period"], how="left").fill_null(0)
    cells = cells.sort(["group", "cohort_index", "period"]).with_columns(
        pl.col("revenue").cum_sum().round(6).over("group", "cohort_index").alias("cumulative_revenue"),
        _partial(partial).alias("partial"))
    kept = cells.filter(~pl.col("partial") | pl.col("partial").all().over("group", "period"))
    pooled = kept.group_by("group", "period").agg(
        pl.col("cohort_size").sum().alias("customers"), pl.col("active_customers").sum(),
        pl.col("cumulative_revenue").sum(), pl.col("partial").all())
    return pooled.with_columns(
        (pl.col("active_customers") / pl.col("customers")).alias("retention"),
        (pl.col("cumulative_revenue") / pl.col("customers")).alias("cumulative_revenue_per_customer"),
    ).select("group", "period", "customers", "active_customers", "retention", "cumulative_revenue_per_customer",
             "partial").sort(["group", "period"])


def pooled_retention(cells: pl.DataFrame, k: int) -> float | None:
    """Retention at offset k: active / size summed over the cohorts whose period at that offset is complete."""
    cell = cells.filter((pl.col("period") == k) & ~pl.col("partial"))
    return int(cell["active_customers"].sum()) / int(cell["cohort_size"].sum()) if cell.height else None


def newest_cohorts_trend(cells: pl.DataFrame) -> RetentionTrend | None:
    """Offset-1 retention of the three newest cohorts vs the earlier ones, over complete next periods only: a next
    period still running at as_of is only partly observed and would read as a drop."""
    at1 = cells.filter((pl.col("period") == 1) & ~pl.col("partial")).sort("cohort")
    if at1.height < 2 * RECENT_COHORTS:
        return None
    recent, earlier = at1.tail(RECENT_COHORTS), at1.head(at1.height - RECENT_COHORTS)
    return retention_trend(int(recent["active_customers"].sum()), int(recent["cohort_size"].sum()),
                           int(earlier["active_customers"].sum()), int(earlier["cohort_size"].sum()))


def retention_trend(recent_active: int, recent_size: int, earlier_active: int, earlier_size: int) -> RetentionTrend:
    """Retention at offset 1 of the newest cohorts vs the earlier ones, the gap, its two-proportion z statistic
    (pooled standard error) and the verdict: "lower" or "higher" when the gap is material, else "same"."""
    recent, earlier = recent_active / recent_size, earlier_active / earlier_size
    pooled = (recent_active + earlier_active) / (recent_size + earlier_size)
    error = math.sqrt(pooled * (1 - pooled) * (1 / recent_size + 1 / earlier_size))
    z = (recent - earlier) / error if error > 0 else 0.0
    material = abs(recent - earlier) >= MATERIAL_GAP - 1e-12 and abs(z) >= Z_95
    verdict: Literal["lower", "higher", "same"] = ("lower" if recent < earlier else "higher") if material else "same"
    return RetentionTrend(recent=recent, earlier=earlier, gap=recent - earlier, z=z, verdict=verdict,
                          recent_customers=recent_size, earlier_customers=earlier_size)
