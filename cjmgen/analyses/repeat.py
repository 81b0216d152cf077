"""Repeat-purchase structure (METHODS §4): survival by order number, gaps, churn and loyalty thresholds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field, model_validator

from cjmgen import scoring
from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.facts import Sales, first_order_values, money_sum
from cjmgen.facts import numbered_orders as numbered
from cjmgen.spec.common import Strict

name = "repeat"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

SURVIVAL_COLUMNS = ("order_number", "customers", "share_of_customers", "conversion_to_next", "churn_after",
                    "median_days_to_next", "p80_days_to_next", "avg_check")
"""The contract of tables/repeat_survival.csv: these columns first, in this order."""

INTERPOLATION: Literal["linear"] = "linear"
"""Percentiles interpolate linearly between order statistics (numpy's default, Excel PERCENTILE.INC)."""

ORDER_DIMENSIONS = ("store", "channel", "manager")


class Params(Strict):
    """Repeat-purchase funnel: who reaches order k, conversion and churn after it, gaps, loyalty thresholds."""

    max_order: int = Field(12, ge=2, le=100, description="Show order numbers 1..max_order (K).")
    breakdown: Literal["store", "channel", "manager", "segment"] | None = Field(
        None, description="Survival curves per group: store, channel or manager of the customer's first order, or "
                          "segment (the RFM code with default RFM parameters).")
    min_days_observed: int | None = Field(
        None, ge=1, le=3650,
        description="Censoring: conversion and churn after order k count only customers whose k-th order is at least "
                    "this many days before the analysis date. Default: none (churn as observed, flagged in the report).")
    thresholds: int = Field(2, ge=1, le=5, description="How many loyalty thresholds (largest drops of churn) to name.")
    min_customers: int = Field(
        30, ge=1, description="A churn drop counts as a loyalty threshold only when both order numbers have at least "
                              "this many customers in the churn denominator (small groups swing at random).")
    gap_bin_days: int = Field(10, ge=1, le=365, description="Width in days of the gap bins of the bubble chart.")
    max_gap_days: int = Field(
        180, ge=1, le=3650, description="Gaps of this many days or more share one open-ended bin in the bubble chart.")

    @model_validator(mode="after")
    def _bins_fit(self) -> Params:
        if self.max_gap_days < self.gap_bin_days:
            raise ValueError(f"max_gap_days: expected at least gap_bin_days ({self.gap_bin_days}), got {self.max_gap_days}")
        return self


@dataclass(frozen=True)
class LoyaltyThreshold:
    """Order number n after which churn falls: churn after n−1 vs after n, and the gap to manage (P80 to reach n)."""

    order_number: int
    churn_before: float
    churn_after: float
    churn_drop: float
    customers: int
    share_of_customers: float
    p80_days_to_reach: float | None
    median_days_to_reach: float | None


@dataclass(frozen=True)
class RepeatResult(Result):
    """Survival by order number, gap bins, loyalty thresholds, optional survival per group, and headline figures."""

    by_group: pl.DataFrame | None
    """Survival per group (first columns: group, then the survival table's); exported as repeat_survival_by_<breakdown>."""
    breakdown: str | None
    customers: int
    """Identified customers with at least one order."""
    second_order_share: float
    third_order_share: float
    median_days_1_2: float | None
    p80_days_1_2: float | None
    max_order: int
    reached_max: int
    thresholds: tuple[LoyaltyThreshold, ...]
    """The named loyalty thresholds (a positive churn drop), largest drop first."""
    stopped: int
    """Customers counted as lost after some order (observed denominators × churn)."""
    possibly_returning: int
    """Of those, customers whose last order is within the P80 gap of as_of (they may still come back)."""
    possibly_returning_share: float | None
    """possibly_returning / stopped (None when nobody stopped)."""
    censored: bool
    min_days_observed: int | None
    min_customers: int
    survival: Annotated[pl.DataFrame, Table("repeat_survival")]
    gaps: Annotated[pl.DataFrame, Table("repeat_gaps")]
    threshold_candidates: Annotated[pl.DataFrame, Table("repeat_thresholds")]

    def exported_tables(self) -> dict[str, pl.DataFrame]:
        """The survival, gap and threshold tables and, with a breakdown, repeat_survival_by_<breakdown>."""
        found = super().exported_tables()
        if self.by_group is not None and self.breakdown:
            found[f"repeat_survival_by_{self.breakdown}"] = self.by_group
        return found


def compute(ctx: Context, params: Params) -> RepeatResult:
    """Survival table, gap bins, loyalty thresholds and (optionally) survival per group."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    orders = numbered_orders(sales.orders, sales.as_of)
    survival = survival_table(orders, params)
    thresholds = threshold_table(survival, params)
    by_group = None
    if params.breakdown:
        groups = customer_groups(sales, params.breakdown)
        keyed = orders.join(groups, on="customer_id", how="left").with_columns(pl.col("group").fill_null("—"))
        by_group = survival_table(keyed, params, ["group"])
    rows = {r["order_number"]: r for r in survival.iter_rows(named=True)}
    stopped = survival.select((pl.col("observed_customers") * pl.col("churn_after")).sum()).item() or 0
    named = thresholds.filter(pl.col("churn_drop") > 0).head(params.thresholds)
    returning = int(survival["possibly_returning"].sum())
    return RepeatResult(
        by_group=by_group, breakdown=params.breakdown, customers=rows[1]["customers"],
        second_order_share=rows[2]["share_of_customers"] if 2 in rows else 0.0,
        third_order_share=rows[3]["share_of_customers"] if 3 in rows else 0.0,
        median_days_1_2=rows[1]["median_days_to_next"], p80_days_1_2=rows[1]["p80_days_to_next"],
        max_order=params.max_order, reached_max=int(survival["order_number"].max()),  # type: ignore[arg-type]
        thresholds=tuple(LoyaltyThreshold(**row) for row in named.iter_rows(named=True)),
        stopped=round(stopped), possibly_returning=returning,
        possibly_returning_share=returning / round(stopped) if round(stopped) else None,
        censored=params.min_days_observed is not None, min_days_observed=params.min_days_observed,
        min_customers=params.min_customers, survival=survival, gaps=gap_bins(orders, params),
        threshold_candidates=thresholds)


def numbered_orders(orders: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Identified customers' real orders numbered 1, 2, … in date order (ties: placed_at, then order id).

    days_since_previous / days_to_next are calendar days between order dates; days_observed = as_of − order date.
    """
    real = numbered(orders).select("customer_id", "order_id", "day", "placed_at", "revenue", "order_number")
    by = pl.col("day")
    return real.with_columns(
        (by - by.shift(1)).over("customer_id").dt.total_days().alias("days_since_previous"),
        (by.shift(-1) - by).over("customer_id").dt.total_days().alias("days_to_next"),
        (pl.lit(as_of) - by).dt.total_days().alias("days_observed"),
    )


def survival_table(orders: pl.DataFrame, params: Params, keys: list[str] | None = None) -> pl.DataFrame:
    """One row per order number k reached by anyone (per group when keys are given)."""
    keys = keys or []
    gap = pl.col("days_to_next")
    observed = pl.col("days_observed") >= (params.min_days_observed or 0)  # always true without censoring
    p80 = gap.quantile(0.8, INTERPOLATION)
    cells = orders.filter(pl.col("order_number") <= params.max_order).group_by(*keys, "order_number").agg(
        pl.len().alias("customers"),
        observed.sum().alias("observed_customers"),
        (observed & gap.is_not_null()).sum().alias("observed_continued"),
        gap.quantile(0.5, INTERPOLATION).alias("median_days_to_next"),
        p80.alias("p80_days_to_next"),
        money_sum("revenue").alias("revenue"),
        (gap.is_null() & (pl.col("days_observed") < p80)).sum().alias("possibly_returning"),
    )
    conversion = pl.when(pl.col("observed_customers") > 0).then(pl.col("observed_continued") / pl.col("observed_customers"))
    reached_first = pl.col("customers").max().over(keys) if keys else pl.col("customers").max()
    table = cells.sort(*keys, "order_number").with_columns(
        (pl.col("customers") / reached_first).alias("share_of_customers"),
        conversion.alias("conversion_to_next"),
        (1 - conversion).alias("churn_after"),
        (pl.col("revenue") / pl.col("customers")).alias("avg_check"),
    )
    return table.select(*keys, *SURVIVAL_COLUMNS, "observed_customers", "possibly_returning", "revenue").with_columns(
        pl.col("customers", "observed_customers", "possibly_returning").cast(pl.Int64),
        pl.col("order_number").cast(pl.Int64))


def gap_bins(orders: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Bubble data: orders 2..K by order number × bin of days since the previous order; last bin is open-ended."""
    w, top = params.gap_bin_days, params.max_gap_days
    days = pl.col("days_since_previous")
    start = pl.when(days >= top).then(pl.lit(top)).otherwise(days // w * w)
    end = pl.when(pl.col("days_from") >= top).then(None).otherwise(pl.min_horizontal(pl.col("days_from") + w, top) - 1)
    later = orders.filter((pl.col("order_number") >= 2) & (pl.col("order_number") <= params.max_order))
    cells = later.group_by("order_number", start.alias("days_from")).agg(
        pl.len().alias("customers"), money_sum("revenue").alias("revenue"))
    return cells.sort("order_number", "days_from").with_columns(end.alias("days_to")).select(
        pl.col("order_number").cast(pl.Int64), pl.col("days_from").cast(pl.Int64), pl.col("days_to").cast(pl.Int64),
        pl.col("customers").cast(pl.Int64), "revenue", (pl.col("revenue") / pl.col("customers")).alias("avg_check"))


def threshold_table(survival: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Candidate loyalty thresholds n = k+1: churn after k vs after n, ranked by the drop (largest first).

    Only pairs where both churn figures rest on at least min_customers customers are candidates.
    """
    s = survival.sort("order_number")
    pairs = s.select(
        (pl.col("order_number") + 1).alias("order_number"),
        pl.col("churn_after").alias("churn_before"),
        pl.col("churn_after").shift(-1).alias("churn_after"),
        pl.col("customers").shift(-1).alias("customers"),
        pl.col("share_of_customers").shift(-1).alias("share_of_customers"),
        pl.col("p80_days_to_next").alias("p80_days_to_reach"),
        pl.col("median_days_to_next").alias("median_days_to_reach"),
        pl.min_horizontal(pl.col("observed_customers"), pl.col("observed_customers").shift(-1)).alias("_support"),
    ).filter(pl.col("churn_after").is_not_null() & pl.col("churn_before").is_not_null()
             & (pl.col("_support") >= params.min_customers))
    return pairs.with_columns((pl.col("churn_before") - pl.col("churn_after")).alias("churn_drop")).drop("_support").sort(
        ["churn_drop", "order_number"], descending=[True, False]).select(
        "order_number", "churn_before", "churn_after", "churn_drop", "customers", "share_of_customers",
        "p80_days_to_reach", "median_days_to_reach")


def needs_for(params: Params) -> NeedsFor:
    """A breakdown by store, channel or manager needs that transactions column (segment needs nothing more)."""
    if params.breakdown in ORDER_DIMENSIONS:
        return [(("breakdown",), "transactions", params.breakdown)]
    return []


def customer_groups(sales: Sales, breakdown: str) -> pl.DataFrame:
    """customer_id → group: a dimension of the customer's first real order, or the RFM segment code."""
    if breakdown == "segment":
        scored = scoring.score_customers(sales.customers, sales.as_of, scoring.Params())
        return scored.select("customer_id", pl.col("segment").alias("group"))
    return first_order_values(sales.orders, breakdown)
