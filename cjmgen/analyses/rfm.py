"""RFM segmentation (METHODS §2): recency, frequency, monetary scores, segments, names and triggers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import polars as pl

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.facts import MONEY_DECIMALS, money_sum
from cjmgen.scoring import DIMENSIONS, Params, score_customers

__all__ = ["DIMENSIONS", "Params", "RfmResult", "compute", "name", "needs", "score_customers", "spec_block"]

name = "rfm"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

@dataclass(frozen=True)
class RfmResult(Result):
    """Scores per customer, the segment table, the R×F grid, the trigger matrix and the Pareto facts."""

    customers: Annotated[pl.DataFrame, Table("rfm_customers")]
    """customer_id, recency_days, frequency, monetary, r, f, m, segment, name."""
    segments: Annotated[pl.DataFrame, Table("rfm_segments")]
    """One row per segment code, sorted by revenue (columns in `segment_table`)."""
    rf_grid: Annotated[pl.DataFrame, Table("rfm_rf_grid")]
    """r, f, customers, revenue, customers_share, revenue_share for every cell."""
    named: Annotated[pl.DataFrame | None, Table("rfm_named")]
    """The trigger matrix when the spec names segments."""
    totals: dict[str, float | None]
    """The segment table's totals row, over all customers."""
    customers_count: int
    revenue: float
    top20_revenue_share: float
    """Revenue share of the top 20% of customers."""
    customers_for_80: float
    """Share of customers (largest first) that brings 80% of revenue."""
    observed_years: float

    def customer_lists(self) -> dict[str, pl.DataFrame]:
        """One list per segment code (`rfm_R3F3M2`) and, when names are given, per named segment (`<name>`)."""
        columns = ["customer_id", "r", "f", "m", "recency_days", "frequency", "monetary"]
        people = self.customers.sort("customer_id")
        lists = {f"rfm_{code}": frame.select(columns)
                 for (code,), frame in people.partition_by("segment", as_dict=True, maintain_order=True).items()}
        if self.named is not None:
            for (label,), frame in people.partition_by("name", as_dict=True, maintain_order=True).items():
                lists[str(label)] = frame.select(columns)
        return lists


def compute(ctx: Context, params: Params) -> RfmResult:
    """Scores, segments, named segments, R×F grid and Pareto facts."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    customers = score_customers(sales.customers, sales.as_of, params)
    years = max((sales.as_of - sales.first_day).days + 1, 1) / 365.25
    top = pareto(customers)
    return RfmResult(
        customers=customers.select("customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment",
                                   "name").sort("customer_id"),
        segments=segment_table(customers, years),
        rf_grid=rf_grid(customers, params),
        named=named_table(customers, params) if params.names else None,
        totals=totals(customers, years),
        customers_count=int(top["customers"]), revenue=float(top["revenue"]),
        top20_revenue_share=top["top20_revenue_share"], customers_for_80=top["customers_for_80"],
        observed_years=years,
    )


def totals(customers: pl.DataFrame, years: float) -> dict[str, float | None]:
    """The totals row of the segment table, computed over all customers (not averaged over segments)."""
    row = segment_table(customers.with_columns(pl.lit("all").alias("segment")), years).row(0, named=True)
    return {k: v for k, v in row.items() if k not in ("segment", "name")}


def segment_table(customers: pl.DataFrame, years: float) -> pl.DataFrame:
    """One row per segment code, sorted by revenue (the report adds the totals row)."""
    n, revenue = customers.height, _total(customers)
    extra = _demographics(customers)
    table = customers.group_by("segment").agg(
        pl.col("name").mode().sort().first().alias("name"),
        pl.len().alias("customers"),
        money_sum("revenue").alias("revenue"),
        pl.col("orders").sum().alias("orders"),
        pl.col("recency_days").mean().alias("avg_days_since_last"),
        *extra,
    )
    return table.with_columns(
        (pl.col("customers") / n).alias("customers_share"),
        (pl.col("revenue") / revenue if revenue else pl.lit(None, pl.Float64)).alias("revenue_share"),
        (pl.col("orders") / pl.col("customers")).alias("orders_per_customer"),
        (pl.col("orders") / pl.col("customers") / years).alias("orders_per_customer_per_year"),
        (pl.col("revenue") / pl.col("orders")).alias("avg_check"),
        (pl.col("revenue") / pl.col("customers")).alias("ltv"),
    ).select(
        "segment", "name", "customers", "customers_share", "revenue", "revenue_share", "orders",
        "orders_per_customer", "avg_days_since_last", "avg_check", "ltv", "orders_per_customer_per_year",
        *[e.meta.output_name() for e in extra],
    ).sort(["revenue", "segment"], descending=[True, False])


def _demographics(customers: pl.DataFrame) -> list[pl.Expr]:
    out: list[pl.Expr] = []
    if "gender" in customers.columns:
        out += [(pl.col("gender") == "F").mean().alias("women_share"), (pl.col("gender") == "M").mean().alias("men_share")]
    if "age" in customers.columns and customers.schema["age"].is_numeric():  # bands like "65+" have no mean
        out.append(pl.col("age").mean().alias("avg_age"))
        if "gender" in customers.columns:
            out += [pl.col("age").filter(pl.col("gender") == g).mean().alias(f"avg_age_{label}")
                    for g, label in (("F", "women"), ("M", "men"))]
    return out


def rf_grid(customers: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Customers and revenue for every R×F cell, empty cells included as zeros."""
    grid = pl.DataFrame({"r": list(range(1, params.levels("r") + 1))}, schema={"r": pl.Int32}).join(
        pl.DataFrame({"f": list(range(1, params.levels("f") + 1))}, schema={"f": pl.Int32}), how="cross")
    cells = customers.group_by("r", "f").agg(pl.len().alias("customers"), money_sum("revenue").alias("revenue"))
    total = _total(customers) or 1.0
    return (grid.join(cells, on=["r", "f"], how="left")
            .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64), pl.col("revenue").fill_null(0.0))
            .with_columns((pl.col("customers") / max(customers.height, 1)).alias("customers_share"),
                          (pl.col("revenue") / total).alias("revenue_share"))
            .sort(["r", "f"]))


def named_table(customers: pl.DataFrame, params: Params) -> pl.DataFrame:
    """The trigger matrix: each name with its customers, revenue share and actions, in spec order."""
    counts = customers.group_by("name").agg(pl.len().alias("customers"), money_sum("revenue").alias("revenue"))
    rows = [{"name": e.name, "goal": e.goal, "message": e.message, "channel": e.channel, "timing": e.timing,
             "order": i} for i, e in enumerate(params.names)]
    rows.append({"name": params.other_name, "goal": None, "message": None, "channel": None, "timing": None, "order": len(rows)})
    spec_rows = pl.DataFrame(rows, schema={"name": pl.String, "goal": pl.String, "message": pl.String,
                                           "channel": pl.String, "timing": pl.String, "order": pl.Int64})
    total, n = _total(customers) or 1.0, max(customers.height, 1)
    return (spec_rows.unique("name", keep="first").join(counts, on="name", how="left")
            .with_columns(pl.col("customers").fill_null(0), pl.col("revenue").fill_null(0.0))
            .with_columns((pl.col("customers") / n).alias("customers_share"), (pl.col("revenue") / total).alias("revenue_share"))
            .filter((pl.col("customers") > 0) | (pl.col("name") != params.other_name))
            .sort("order").drop("order")
            .select("name", "customers", "customers_share", "revenue", "revenue_share", "goal", "message", "channel", "timing"))


def _total(customers: pl.DataFrame) -> float:
    """Revenue of all customers, rounded like every money sum."""
    return round(float(customers["revenue"].sum()), MONEY_DECIMALS)


def pareto(customers: pl.DataFrame) -> dict[str, float]:
    """Top 20% of customers' revenue share, and the share of customers that brings 80% of revenue."""
    revenue = customers["revenue"].sort(descending=True)
    n, total = len(revenue), float(revenue.sum())
    if not n or total <= 0:
        return {"customers": n, "revenue": total or 0.0, "top20_revenue_share": 0.0, "customers_for_80": 0.0}
    top = math.ceil(0.2 * n)
    # compared in money, with a hair of tolerance: 300 / 375 computes as 0.7999999 and would count one customer more
    reach = int((revenue.cum_sum() < 0.8 * total - 1e-9 * total).sum()) + 1
    return {"customers": n, "revenue": float(total), "top20_revenue_share": float(revenue.head(top).sum()) / total,
            "customers_for_80": min(reach, n) / n}
