"""Historical and predictive LTV (METHODS §3): value per customer to as_of, BTYD + Gamma-Gamma forecasts.

Historical value = revenue net of returns, or margin (revenue − cost) when the data maps `cost`.
Predictive: BG/NBD (or MBG/NBD when BG/NBD's fit is degenerate) for the number of future purchases and Gamma-Gamma
for their value, fitted by maximum likelihood in cjmgen.analyses.btyd; the models see one purchase per customer per
calendar day, valued net of the customer's returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

import polars as pl

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.analyses.ltv_history import (
    CUSTOMER_FIELDS,
    by_cohort_age,
    dimension_groups,
    distribution_facts,
    histogram,
    purchase_days,
    summary_by,
)
from cjmgen.analyses.ltv_models import Forecast, Holdout
from cjmgen.analyses.ltv_params import RFM, Params

__all__ = ["RFM", "Distribution", "LtvResult", "Params", "compute", "name", "needs", "spec_block"]

name = "ltv"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

_PREDICTIONS = ("p_alive", "expected_orders", "expected_avg_value", "expected_value")


@dataclass(frozen=True)
class Distribution:
    """Value per customer to date: count, total, mean, percentiles (linear) and the top 10%'s share."""

    customers: int
    value_total: float
    mean: float | None
    top10_share: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None


@dataclass(frozen=True)
class LtvResult(Result):
    """Value per customer, its distribution and breakdowns, and the forecast when the models were fitted."""

    customers: Annotated[pl.DataFrame, Table("ltv_customers")]
    """customer_id, first_day, orders, revenue[, margin], frequency, recency, T, avg_repeat_value and predictions."""
    distribution: Annotated[pl.DataFrame, Table("ltv_distribution")]
    by_cohort_age: Annotated[pl.DataFrame, Table("ltv_by_cohort_age")]
    holdout_table: Annotated[pl.DataFrame | None, Table("ltv_holdout")]
    params_table: Annotated[pl.DataFrame | None, Table("ltv_params")]
    p_alive: Annotated[pl.DataFrame | None, Table("ltv_p_alive")]
    by: dict[str, pl.DataFrame] = field(default_factory=dict)
    """Breakdown → table, exported as ltv_by_<breakdown>."""
    measure: str = "revenue"
    """revenue or margin."""
    as_of: dt.date | None = None
    stats: Distribution | None = None
    margin_requested_without_cost: bool = False
    unknown_dimensions: tuple[str, ...] = ()
    """Breakdowns the spec asks for that the data does not have."""
    time_unit: str = "week"
    horizon: float = 52.0
    discount_rate: float = 0.0
    min_repeat_customers: int = 20
    repeat_customers: int = 0
    """Customers with a repeat purchase of positive net value (the Gamma-Gamma sample)."""
    forecast: Forecast | None = None
    forecast_skipped: str | None = None
    """not_requested or too_few_repeat when there is no forecast."""
    holdout: Holdout = Holdout("not_requested")
    top: pl.DataFrame | None = None
    """The customers with the largest expected value."""

    def exported_tables(self) -> dict[str, pl.DataFrame]:
        """The declared tables, then one ltv_by_<breakdown> per breakdown."""
        out = super().exported_tables()
        p_alive = out.pop("ltv_p_alive", None)
        out |= {f"ltv_by_{dimension}": frame for dimension, frame in self.by.items()}
        return out | ({"ltv_p_alive": p_alive} if p_alive is not None else {})

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The breakdowns shown, in the spec's order."""
        return tuple(self.by)


def compute(ctx: Context, params: Params) -> LtvResult:
    """Historical value tables and, when enough customers repeat, per-customer BTYD forecasts."""
    from cjmgen.analyses import ltv_forecast as fc  # numpy and scipy load only when the chapter is computed

    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    measure = "margin" if sales.has_cost and params.value in ("auto", "margin") else "revenue"
    people = sales.customers.select("customer_id", *[c for c in CUSTOMER_FIELDS if c in sales.customers.columns])
    people = people.with_columns(pl.col(measure).alias("value"))
    days = purchase_days(sales.orders, measure)
    inputs = fc.btyd_inputs(days, sales.as_of, params.unit_days)
    repeat = fc.value_eligible(inputs).height
    skipped = ("not_requested" if not params.predictive else
               "too_few_repeat" if repeat < params.min_repeat_customers else None)
    forecast, holdout, holdout_table, params_table, top, p_alive = None, Holdout("not_requested"), None, None, None, None
    if skipped is None:
        forecast, predicted, holdout, holdout_table, params_table = fc.forecast(days, inputs, params, sales.as_of)
        people = people.join(predicted.drop("net_value"), on="customer_id", how="left")
        p_alive = fc.p_alive_histogram(people)
        top = people.filter(pl.col("expected_value").is_not_null()).sort(
            ["expected_value", "customer_id"], descending=[True, False]).head(params.top)
    else:
        people = people.join(inputs.drop("net_value").with_columns(pl.lit(None, pl.Float64).alias(c) for c in _PREDICTIONS),
                             on="customer_id", how="left")
    by, unknown = _breakdowns(ctx, people, params)
    return LtvResult(
        customers=_customer_table(people), distribution=histogram(people["value"], params.histogram_bins),
        by_cohort_age=by_cohort_age(people, sales.as_of, params.cohort_age_bands), holdout_table=holdout_table,
        params_table=params_table, p_alive=p_alive, by=by, measure=measure, as_of=sales.as_of,
        stats=Distribution(**distribution_facts(people["value"])),
        margin_requested_without_cost=params.value == "margin" and not sales.has_cost,
        unknown_dimensions=unknown, time_unit=params.time_unit, horizon=params.horizon_units,
        discount_rate=params.discount_rate, min_repeat_customers=params.min_repeat_customers, repeat_customers=repeat,
        forecast=forecast, forecast_skipped=skipped, holdout=holdout, top=top)


def _breakdowns(ctx: Context, people: pl.DataFrame, params: Params) -> tuple[dict[str, pl.DataFrame], tuple[str, ...]]:
    """ltv_by_<dimension> per breakdown the data has, and the names of those it lacks."""
    tables: dict[str, pl.DataFrame] = {}
    unknown: list[str] = []
    for dimension in params.by:
        groups = dimension_groups(ctx, dimension)
        if groups is None:
            unknown.append(dimension)
            continue
        keyed = people.join(groups, on="customer_id", how="left").with_columns(
            pl.col("group").cast(pl.String).fill_null("—"))
        tables[dimension] = summary_by(keyed, ["group"])
    return tables, tuple(unknown)


def _customer_table(people: pl.DataFrame) -> pl.DataFrame:
    money = ["revenue", "margin"] if "margin" in people.columns else ["revenue"]
    return people.select("customer_id", "first_day", "orders", *money, "frequency", "recency", "T", "avg_repeat_value",
                         *_PREDICTIONS).sort("customer_id")
