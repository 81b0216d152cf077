"""Customer lifecycle per period (METHODS §9, PostHog's definitions): new, returning, resurrecting and dormant
customers, and the quick ratio (new + resurrecting) / dormant."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.facts import numbered_orders
from cjmgen.periods import ends_after, period_index, period_label, period_number
from cjmgen.spec.common import Strict

__all__ = ["LifecycleResult", "Params", "compute", "lifecycle_table", "name", "needs", "needs_for", "spec_block"]

name = "lifecycle"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

NO_GROUP = "—"
NETWORK = "all"
PARTS = ("new", "returning", "resurrecting", "dormant")
WINDOW = {"month": 12, "quarter": 4, "week": 52}
"""Complete periods the headline compares: the last year's worth."""
RECENT = 13
"""Periods the chapter's table lists (all are in tables/lifecycle.csv)."""


class Params(Strict):
    """New, returning, resurrecting and dormant customers per period."""

    period: Literal["month", "week", "quarter"] = Field("month", description="Period of the lifecycle.")
    by: Literal["store", "channel", "manager"] | None = Field(
        None, description="Break the lifecycle down by an order's store, channel or manager (the transactions "
                          "column): each value is a base of its own, so a customer active in two stores in a period "
                          "counts in both.")

    @property
    def window(self) -> int:
        """Complete periods the headline figures cover at most (the methodology quotes it)."""
        return WINDOW[self.period]


@dataclass(frozen=True)
class LifecycleResult(Result):
    """The lifecycle table (per group when `by` is given), the network's rows and the headline facts."""

    lifecycle: Annotated[pl.DataFrame, Table("lifecycle")]
    """period, new, returning, resurrecting, dormant, quick_ratio, partial (with `by`: the group column first)."""
    network: pl.DataFrame
    """The whole base's rows (as `lifecycle` without a `by` column), drawn and quoted."""
    period: str
    by: str | None
    partial_period: str | None
    """Label of the last period when as_of cuts it (marked, kept out of the headline figures)."""
    window: list[str]
    """The complete periods the headline figures cover (the last year's worth, the data's first period excluded)."""
    dormant_over_new: int
    """Periods of the window with more dormant than new customers."""
    shrinking: int
    """Periods of the window with a quick ratio under 1 (the base shrinks)."""
    median_quick_ratio: float | None
    """Median quick ratio over the window's periods that have dormant customers."""
    new_total: int
    dormant_total: int
    """New and dormant customers summed over the window."""
    recent: pl.DataFrame
    """The network's last RECENT periods (the chapter's table)."""
    last_period: str | None
    last_new: int
    """The network's last period and its new customers (what a headline says when no period can be compared)."""
    groups: pl.DataFrame | None
    """With `by`: per group, new, returning, resurrecting and dormant summed over the window, and their quick ratio
    (largest groups first)."""


def needs_for(params: Params) -> NeedsFor:
    """A breakdown needs its order column, located at `by`."""
    return [(("by",), "transactions", params.by)] if params.by else []


def compute(ctx: Context, params: Params) -> LifecycleResult:
    """Lifecycle counts per period for the whole base (and per group), and the headline figures."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    last = period_number(sales.as_of, params.period)
    partial = last if ends_after(sales.as_of, params.period) else None
    orders = numbered_orders(sales.orders)
    network = lifecycle_table(activity(orders, None, params.period), last, params.period, partial).drop("group")
    window = network.filter(~pl.col("partial")).slice(1).tail(params.window)
    table, groups = network, None
    if params.by:
        table = lifecycle_table(activity(orders, params.by, params.period), last, params.period, partial)
        groups = group_summary(table, window["period"].to_list())
        table = table.rename({"group": params.by})
    ratios = window["quick_ratio"].drop_nulls().to_list()
    return LifecycleResult(
        lifecycle=table, network=network, period=params.period, by=params.by,
        partial_period=network["period"][-1] if partial is not None and network.height else None,
        window=window["period"].to_list(),
        dormant_over_new=int((window["dormant"] > window["new"]).sum()),
        shrinking=int((window["quick_ratio"] < 1).sum()),
        median_quick_ratio=float(statistics.median(ratios)) if ratios else None,
        new_total=int(window["new"].sum()), dormant_total=int(window["dormant"].sum()), groups=groups,
        recent=network.tail(RECENT), last_period=network["period"][-1] if network.height else None,
        last_new=int(network["new"][-1]) if network.height else 0)


def group_summary(table: pl.DataFrame, window: list[str]) -> pl.DataFrame:
    """Per group: the states summed over the window's periods and the quick ratio of those sums."""
    sums = table.filter(pl.col("period").is_in(window)).group_by("group").agg(pl.col(list(PARTS)).sum())
    return sums.with_columns(
        pl.when(pl.col("dormant") > 0).then((pl.col("new") + pl.col("resurrecting")) / pl.col("dormant"))
        .otherwise(None).alias("quick_ratio"),
        (pl.col("new") + pl.col("returning") + pl.col("resurrecting")).alias("active"),
    ).sort(["active", "group"], descending=[True, False])


def activity(orders: pl.DataFrame, by: str | None, period: str) -> pl.DataFrame:
    """group, customer_id, index: each period a customer has a real order in (per group value when `by` is set)."""
    group = pl.col(by).cast(pl.String).fill_null(NO_GROUP) if by else pl.lit(NETWORK)
    return orders.select(group.alias("group"), pl.col("customer_id").cast(pl.String),
                         period_index(pl.col("day"), period).cast(pl.Int64).alias("index")).unique()


def lifecycle_table(active: pl.DataFrame, last: int, period: str, partial: int | None) -> pl.DataFrame:
    """One row per group × period from the first period with an order to the period of as_of (empty periods are
    zeros). new: first period ever (in the group); returning: active in P and P−1; resurrecting: active in P, not
    in P−1, active before; dormant: active in P−1, not in P."""
    keys = ["group", "customer_id"]
    first = active.group_by(keys).agg(pl.col("index").min().alias("first"))
    before = active.select(*keys, (pl.col("index") + 1).alias("index"), pl.lit(True).alias("was"))
    now = active.with_columns(pl.lit(True).alias("is"))
    state = (now.join(first, on=keys).join(before, on=[*keys, "index"], how="left")
             .with_columns(pl.when(pl.col("index") == pl.col("first")).then(pl.lit("new"))
                           .when(pl.col("was").fill_null(False)).then(pl.lit("returning"))
                           .otherwise(pl.lit("resurrecting")).alias("part")))
    gone = (before.filter(pl.col("index") <= last).join(now, on=[*keys, "index"], how="anti")
            .with_columns(pl.lit("dormant").alias("part")))
    cells = pl.concat([state.select("group", "index", "part"), gone.select("group", "index", "part")])
    counts = cells.group_by("group", "index", "part").len().pivot("part", index=["group", "index"], values="len")
    start = int(active["index"].min()) if active.height else last  # type: ignore[arg-type]
    grid = (pl.DataFrame({"group": sorted(active["group"].unique().to_list())}, schema={"group": pl.String})
            .join(pl.DataFrame({"index": list(range(start, last + 1))}, schema={"index": pl.Int64}), how="cross"))
    missing = [pl.lit(0).alias(p) for p in PARTS if p not in counts.columns]
    table = (grid.join(counts.with_columns(*missing), on=["group", "index"], how="left")
             .with_columns(pl.col(list(PARTS)).fill_null(0).cast(pl.Int64)))
    return table.sort("group", "index").select(
        "group", period_label(pl.col("index"), period).alias("period"), *PARTS,
        pl.when(pl.col("dormant") > 0).then((pl.col("new") + pl.col("resurrecting")) / pl.col("dormant"))
        .otherwise(None).alias("quick_ratio"),
        (pl.col("index") == partial if partial is not None else pl.lit(False)).alias("partial"))
