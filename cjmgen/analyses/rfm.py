"""RFM segmentation (METHODS §2): recency, frequency, monetary scores, segments, names and triggers."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BeforeValidator, Field, model_validator

from cjmgen.analyses.base import Context, Result, table
from cjmgen.facts import MONEY_DECIMALS, money_sum
from cjmgen.spec.common import IntList, Strict

name = "rfm"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

DIMENSIONS = ("r", "f", "m")


class Bins(Strict):
    """Number of scores per dimension (2–10)."""

    r: int = Field(3, ge=2, le=10, description="Recency scores.")
    f: int = Field(3, ge=2, le=10, description="Frequency scores.")
    m: int = Field(3, ge=2, le=10, description="Monetary scores.")


class Thresholds(Strict):
    """Ascending cut points per dimension. F, M score = 1 + cut points ≤ value; R score = 1 + cut points ≥ days."""

    r: list[float] = Field(description="Days since the last order, e.g. [30, 90]: ≤30 → 3, ≤90 → 2, else 1.")
    f: list[float] = Field(description="Orders, e.g. [2, 4]: 1 → 1, 2–3 → 2, ≥4 → 3.")
    m: list[float] = Field(description="Money (revenue or average check), e.g. [100, 500].")


class SegmentName(Strict):
    """A named group of score patterns with its trigger action. Omitted dimensions match any score."""

    name: str = Field(description="Segment name shown in the report, e.g. 'Champions' or «Люблю».")
    r: IntList | None = Field(None, description="R scores (an int or a list) this name covers.")
    f: IntList | None = Field(None, description="F scores this name covers.")
    m: IntList | None = Field(None, description="M scores this name covers.")
    goal: str | None = Field(None, description="Trigger goal, e.g. 'keep the best'.")
    message: str | None = Field(None, description="What to tell these customers.")
    channel: str | None = Field(None, description="Where to tell them: SMS, e-mail, app push, call…")
    timing: str | None = Field(None, description="When: e.g. 'day 25 after the last order'.")


def _bins_from_int(value: Any) -> Any:
    return {"r": value, "f": value, "m": value} if isinstance(value, int) and not isinstance(value, bool) else value


class Params(Strict):
    """RFM segmentation: recency, frequency and monetary scores, segment codes like R3F3M2, names and triggers."""

    bins: Annotated[Bins, BeforeValidator(_bins_from_int)] = Field(
        default_factory=Bins, description="Scores per dimension: an int (all three) or {r, f, m}, each 2–10.")
    method: Literal["quantile", "thresholds"] = Field(
        "quantile", description="quantile: equal-count bins on customers (ties kept together); thresholds: cut points below.")
    thresholds: Thresholds | None = Field(None, description="Cut points per dimension when method is thresholds.")
    monetary: Literal["total", "avg_check"] = Field("total", description="M = total revenue or average check.")
    names: list[SegmentName] = Field(
        default_factory=list, description="Named segments with trigger actions; the first matching name wins.")
    other_name: str = Field("Other", description="Name of customers no `names` entry matches.")

    @model_validator(mode="after")
    def _consistent(self) -> "Params":
        if self.method == "thresholds" and self.thresholds is None:
            raise ValueError("method 'thresholds' needs thresholds: {r: [...], f: [...], m: [...]}")
        for dim in DIMENSIONS if self.thresholds else ():
            cuts = getattr(self.thresholds, dim)
            if cuts != sorted(set(cuts)) or not 1 <= len(cuts) <= 9:
                raise ValueError(f"thresholds.{dim}: expected 1–9 strictly ascending cut points, got {cuts}")
        for entry in self.names:
            for dim in DIMENSIONS:
                top = self.levels(dim)
                wrong = [s for s in getattr(entry, dim) or [] if not 1 <= s <= top]
                if wrong:
                    raise ValueError(f"names '{entry.name}': {dim} scores run 1–{top}, got {wrong}")
        return self

    def levels(self, dim: str) -> int:
        """Number of scores of a dimension."""
        if self.method == "thresholds" and self.thresholds:
            return len(getattr(self.thresholds, dim)) + 1
        return getattr(self.bins, dim)


@dataclass(frozen=True)
class RfmResult(Result):
    """Scores per customer, the segment table, the R×F grid, the trigger matrix and the Pareto facts."""

    customers: pl.DataFrame = table("rfm_customers")
    """customer_id, recency_days, frequency, monetary, r, f, m, segment, name."""
    segments: pl.DataFrame = table("rfm_segments")
    """One row per segment code, sorted by revenue (columns in `segment_table`)."""
    rf_grid: pl.DataFrame = table("rfm_rf_grid")
    """r, f, customers, revenue, customers_share, revenue_share for every cell."""
    named: pl.DataFrame | None = table("rfm_named")
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


def score_customers(people: pl.DataFrame, as_of: dt.date, params: Params) -> pl.DataFrame:
    """Per customer: recency_days, frequency, monetary, the three scores, segment code and name."""
    money = pl.col("revenue") / pl.col("orders") if params.monetary == "avg_check" else pl.col("revenue")
    base = people.with_columns(
        (pl.lit(as_of) - pl.col("last_day")).dt.total_days().alias("recency_days"),
        pl.col("orders").alias("frequency"),
        money.alias("monetary"),
    )
    scored = base.with_columns(
        _score("recency_days", params, "r", lower_is_better=True).alias("r"),
        _score("frequency", params, "f").alias("f"),
        _score("monetary", params, "m").alias("m"),
    )
    code = pl.format("R{}F{}M{}", "r", "f", "m")
    return scored.with_columns(code.alias("segment"), _name_expr(params).alias("name"))


def _score(column: str, params: Params, dim: str, lower_is_better: bool = False) -> pl.Expr:
    value = pl.col(column).cast(pl.Float64)
    if params.method == "thresholds":
        cuts = getattr(params.thresholds, dim)
        hits = [(value <= c) if lower_is_better else (value >= c) for c in cuts]
        return (1 + pl.sum_horizontal([h.cast(pl.Int32) for h in hits])).cast(pl.Int32)
    n = params.levels(dim)
    below = (-value if lower_is_better else value).rank("min") - 1
    return ((below * n) // pl.len() + 1).cast(pl.Int32)


def _name_expr(params: Params) -> pl.Expr:
    expr = pl.lit(params.other_name)
    for entry in reversed(params.names):
        conditions = [pl.col(d).is_in(getattr(entry, d)) for d in DIMENSIONS if getattr(entry, d)]
        expr = pl.when(pl.all_horizontal(conditions) if conditions else pl.lit(True)).then(pl.lit(entry.name)).otherwise(expr)
    return expr


def segment_table(customers: pl.DataFrame, years: float) -> pl.DataFrame:
    """One row per segment code, sorted by revenue (the report adds the totals row)."""
    n, revenue = customers.height, round(customers["revenue"].sum(), MONEY_DECIMALS)
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
    total = round(customers["revenue"].sum(), MONEY_DECIMALS) or 1.0
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
    total, n = round(customers["revenue"].sum(), MONEY_DECIMALS) or 1.0, max(customers.height, 1)
    return (spec_rows.unique("name", keep="first").join(counts, on="name", how="left")
            .with_columns(pl.col("customers").fill_null(0), pl.col("revenue").fill_null(0.0))
            .with_columns((pl.col("customers") / n).alias("customers_share"), (pl.col("revenue") / total).alias("revenue_share"))
            .filter((pl.col("customers") > 0) | (pl.col("name") != params.other_name))
            .sort("order").drop("order")
            .select("name", "customers", "customers_share", "revenue", "revenue_share", "goal", "message", "channel", "timing"))


def pareto(customers: pl.DataFrame) -> dict[str, float]:
    """Top 20% of customers' revenue share, and the share of customers that brings 80% of revenue."""
    revenue = customers["revenue"].sort(descending=True)
    n, total = len(revenue), revenue.sum()
    if not n or total <= 0:
        return {"customers": n, "revenue": total or 0.0, "top20_revenue_share": 0.0, "customers_for_80": 0.0}
    top = math.ceil(0.2 * n)
    # compared in money, with a hair of tolerance: 300 / 375 computes as 0.7999999 and would count one customer more
    reach = int((revenue.cum_sum() < 0.8 * total - 1e-9 * total).sum()) + 1
    return {"customers": n, "revenue": float(total), "top20_revenue_share": float(revenue.head(top).sum() / total),
            "customers_for_80": min(reach, n) / n}
