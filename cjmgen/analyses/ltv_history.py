"""The LTV chapter's history: purchase days, the value distribution, value by cohort age and by any breakdown."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

from cjmgen import scoring
from cjmgen.analyses.base import Context
from cjmgen.analyses.ltv_params import RFM
from cjmgen.facts import DIMENSIONS, first_order_values, money_sum

CUSTOMER_FIELDS = ("first_day", "last_day", "orders", "revenue", "margin")
"""Columns of the shared customers table that LTV keeps (a customers column of these names is no breakdown)."""


def purchase_days(orders: pl.DataFrame, measure: str) -> pl.DataFrame:
    """One row per customer and calendar day with ≥1 real order or a return: value and whether it is a purchase.

    Rows with `purchase` false are days of return-only receipts: no BTYD purchase, but their (negative) value
    reduces the customer's purchases when the BTYD inputs are built (see `ltv_forecast.btyd_inputs`).
    """
    value = pl.col("revenue") - pl.col("cost").fill_null(0) if measure == "margin" else pl.col("revenue")
    known = orders.filter(pl.col("customer_id").is_not_null()).with_columns(value.alias("value"))
    return known.group_by("customer_id", "day").agg(money_sum("value"), pl.col("is_order").any().alias("purchase")
                                                     ).sort("customer_id", "day")


def distribution_facts(values: pl.Series) -> dict[str, Any]:
    """Mean, P25/P50/P75/P90 (linear interpolation) and the top 10% of customers' share of the total."""
    n, total = values.len(), round(float(values.sum()), 6)
    ranked = values.sort(descending=True)
    top = math.ceil(0.1 * n)
    out = {"customers": n, "value_total": total, "mean": total / n if n else None,
           "top10_share": float(ranked.head(top).sum()) / total if n and total > 0 else None}
    out |= {f"p{int(q * 100)}": values.quantile(q, "linear") for q in (0.25, 0.5, 0.75, 0.9)}
    return out


def _float(value: object) -> float:
    return float(value)  # type: ignore[arg-type]  # a polars scalar of a numeric column


def histogram(values: pl.Series, bins: int) -> pl.DataFrame:
    """Bars of a 'nice' equal width from 0 to the 95th percentile, an open last bar above, one bar for values < 0."""
    frame = pl.DataFrame({"value": values}, schema={"value": pl.Float64})
    top = _float(values.quantile(0.95, "linear")) if values.len() else 0.0
    high = _float(values.max()) if values.len() else 0.0
    step = _nice(top / bins if top > 0 else max(high, 1.0) / bins)
    count = max(math.ceil(top / step - 1e-9), 1)
    negative = bool(values.len()) and _float(values.min()) < 0
    bounds: list[tuple[float, float | None]] = [(_float(values.min()), 0.0)] if negative else []
    bounds += [(i * step, (i + 1) * step) for i in range(count)]
    if high >= count * step:
        bounds.append((count * step, None))
    index = (pl.col("value") / step).floor().cast(pl.Int64).clip(upper_bound=count) + int(negative)
    index = pl.when(pl.col("value") < 0).then(pl.lit(0, pl.Int64)).otherwise(index)
    counts = frame.group_by(index.alias("bin")).agg(pl.len().alias("customers"), money_sum("value"))
    table = pl.DataFrame({"bin": range(len(bounds)), "lower": [b[0] for b in bounds], "upper": [b[1] for b in bounds]},
                         schema={"bin": pl.Int64, "lower": pl.Float64, "upper": pl.Float64})
    total = round(float(values.sum()), 6)
    return table.join(counts, on="bin", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64), pl.col("value").fill_null(0.0)).with_columns(
        (pl.col("customers") / max(values.len(), 1)).alias("customers_share"),
        (pl.col("value") / total if total else pl.lit(None, pl.Float64)).alias("value_share"),
    ).select("bin", "lower", "upper", "customers", "customers_share", "value", "value_share").sort("bin")


def _nice(raw: float) -> float:
    """The 1, 2, 2.5 or 5 × 10^k nearest to raw (on a log scale), so the bar count stays close to the one asked for."""
    power = 10.0 ** math.floor(math.log10(raw))
    return min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda step: abs(math.log(step / raw)))


def summary_by(people: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Customers, value and value per customer per group; forecast columns when the models were fitted."""
    n, total = people.height, round(float(people["value"].sum()), 6)
    aggs = [pl.len().alias("customers"), money_sum("value").alias("value"),
            pl.col("value").median().alias("ltv_median"), pl.col("orders").sum().alias("orders")]
    forecast = "expected_value" in people.columns and people["expected_value"].null_count() < n
    if forecast:  # one-time buyers are alive by BG/NBD's construction: P(alive) is averaged over repeat customers
        repeat = pl.col("frequency") > 0
        aggs += [repeat.sum().cast(pl.Int64).alias("repeat_customers"),
                 pl.col("p_alive").filter(repeat).sum().round(9).alias("p_alive_sum"),
                 money_sum("expected_value").alias("expected_value")]
    table = people.group_by(keys).agg(*aggs).with_columns(
        (pl.col("customers") / max(n, 1)).alias("customers_share"),
        (pl.col("value") / total if total else pl.lit(None, pl.Float64)).alias("value_share"),
        (pl.col("value") / pl.col("customers")).alias("ltv_mean"),
        (pl.col("orders") / pl.col("customers")).alias("orders_per_customer"))
    columns = [*keys, "customers", "customers_share", "value", "value_share", "ltv_mean", "ltv_median",
               "orders_per_customer"]
    if forecast:
        table = table.with_columns(
            pl.when(pl.col("repeat_customers") > 0).then(pl.col("p_alive_sum") / pl.col("repeat_customers"))
            .alias("p_alive_repeat_mean"),
            (pl.col("expected_value") / pl.col("customers")).alias("expected_value_per_customer"))
        columns += ["repeat_customers", "p_alive_repeat_mean", "expected_value", "expected_value_per_customer"]
    return table.select(columns).sort(keys)


def cohort_age_months(first_day: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Full calendar months from the first order to as_of (who started on 15 Jan is 1 month old on 15 Feb)."""
    started = first_day.dt.year().cast(pl.Int64) * 12 + first_day.dt.month().cast(pl.Int64)
    months = (as_of.year * 12 + as_of.month) - started
    return months - (first_day.dt.day().cast(pl.Int64) > as_of.day).cast(pl.Int64)


def by_cohort_age(people: pl.DataFrame, as_of: dt.date, cuts: list[int]) -> pl.DataFrame:
    """summary_by over bands of cohort age; every band is listed, empty ones with zero customers."""
    lows, highs = [0, *cuts], [*[c - 1 for c in cuts], None]
    bands = pl.DataFrame({"band": range(len(lows)), "months_from": lows, "months_to": highs},
                         schema={"band": pl.Int64, "months_from": pl.Int64, "months_to": pl.Int64})
    age = cohort_age_months(pl.col("first_day"), as_of)
    band = pl.sum_horizontal([(age >= c).cast(pl.Int64) for c in cuts])
    table = summary_by(people.with_columns(band.alias("band")), ["band"])
    out = bands.join(table, on="band", how="left").with_columns(
        pl.col("customers").fill_null(0), pl.col("value").fill_null(0.0), pl.col("customers_share").fill_null(0.0),
        pl.when(pl.col("months_to").is_null()).then(pl.format("{}+", "months_from"))
        .otherwise(pl.format("{}–{}", "months_from", "months_to")).alias("group"))
    return out.select("group", "months_from", "months_to", *table.columns[1:]).sort("months_from")


def dimension_groups(ctx: Context, dimension: str) -> pl.DataFrame | None:
    """customer_id → group: first-order dimension, customers column or RFM segment; None when the data has none."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    if dimension in DIMENSIONS and dimension in sales.orders.columns:
        return first_order_values(sales.orders, dimension)
    if dimension == RFM:
        rfm_params = scoring.params_in(ctx.spec)
        scored = scoring.score_customers(sales.customers, sales.as_of, rfm_params)
        return scored.select("customer_id", pl.col("name" if rfm_params.names else "segment").alias("group"))
    if dimension in sales.customers.columns and dimension not in (*CUSTOMER_FIELDS, "customer_id"):
        column = pl.col(dimension)
        if dimension == "age" and sales.customers.schema["age"].is_numeric():
            column = age_band(column)
        return sales.customers.select("customer_id", column.alias("group"))
    return None


AGE_BANDS = (25, 35, 45, 55, 65)
"""Age groups of the `age` breakdown: under 25, 25–34, …, 65 and over."""


def age_band(age: pl.Expr) -> pl.Expr:
    """'<25', '25–34', …, '65+' (null stays null)."""
    expr: Any = pl.when(age < AGE_BANDS[0]).then(pl.lit(f"<{AGE_BANDS[0]}"))
    for low, high in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        expr = expr.when(age < high).then(pl.lit(f"{low}–{high - 1}"))
    banded: pl.Expr = expr.when(age >= AGE_BANDS[-1]).then(pl.lit(f"{AGE_BANDS[-1]}+"))
    return banded
