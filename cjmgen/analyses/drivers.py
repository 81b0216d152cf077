"""Revenue drivers, the profit formula (METHODS §5): customers × orders per customer × depth × price per item,
target table, chain substitution between two periods, and the observed sensitivity of revenue to each driver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.analyses.drivers_core import (
    ALL,
    DRIVERS,
    MIN_MONTHS,
    UNIDENTIFIED,
    Totals,
    Windows,
    chain_substitution,
    complete,
    drivers_of,
    factor_table,
    full_months,
    monthly_drivers,
    order_groups_of,
    period_totals,
    prepared_lines,
    sensitivity_table,
    shift_months,
    target_table,
    variance_shares,
    window_formula,
)
from cjmgen.periods import GRACE_DAYS
from cjmgen.spec.common import Strict

__all__ = ["ALL", "DRIVERS", "MIN_MONTHS", "MIN_YEAR_OVER_YEAR_MONTHS", "UNIDENTIFIED", "DriversResult", "Params",
           "chain_substitution", "compute", "full_months", "monthly_drivers", "name", "needs", "resolve_periods",
           "shift_months", "spec_block", "variance_shares"]

name = "drivers"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

Driver = Literal["customers", "frequency", "depth", "price"]
Comparison = Literal["spec", "year_over_year", "halves", "current_only"]
"""Which periods the factor analysis compares: the spec's, the same months a year apart, two consecutive halves
of less than two years of data (seasons differ), or none (less than two months of data)."""
MIN_YEAR_OVER_YEAR_MONTHS = 3
"""The default compares the same months a year apart when the data covers at least this many of them a year
before as_of; with less, it compares two consecutive halves of the data."""


class Window(Strict):
    """A date range, both ends included."""

    start: dt.date = Field(description="First day of the period (included).")
    end: dt.date = Field(description="Last day of the period (included).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"expected start on or before end, got start {self.start} and end {self.end}")
        return self


class Periods(Strict):
    """The two periods the factor analysis compares."""

    base: Window = Field(description="The earlier period, e.g. {start: 2022-01-01, end: 2022-12-31}.")
    current: Window = Field(description="The later period, e.g. {start: 2023-01-01, end: 2023-12-31}.")

    @model_validator(mode="after")
    def _base_first(self) -> Periods:
        if self.base.end >= self.current.start:
            raise ValueError(f"expected the base period to end before the current one starts, got base end "
                             f"{self.base.end} and current start {self.current.start}")
        return self


def _default_order() -> list[Driver]:
    return ["customers", "frequency", "depth", "price"]


class Params(Strict):
    """The profit formula, its target table and the factor analysis between two periods."""

    target_growth: float = Field(
        0.2, gt=0, le=10, description="Revenue growth the target table plans for: 0.2 = +20%.")
    periods: Periods | None = Field(
        None, description="Base and current period ({base: {start, end}, current: {start, end}}, dates included). "
                          "Default: the 12 months up to as_of vs the same months a year before (fewer months, still "
                          "a year apart, when the data starts later); with less than 15 months of data, the two "
                          "halves of the last year, which the report flags as affected by seasonality.")
    order: list[Driver] = Field(
        default_factory=_default_order,
        description="Order of substitution: each of customers, frequency, depth, price once.")
    min_orders: int = Field(
        30, ge=1, description="A product group with fewer orders of identified customers in either period is too "
                              "small to be named fastest or slowest growing; it stays in the tables, flagged.")

    @field_validator("order")
    @classmethod
    def _permutation(cls, order: list[str]) -> list[str]:
        if sorted(order) != sorted(DRIVERS):
            raise ValueError(f"expected each of customers, frequency, depth, price exactly once, got {list(order)}")
        return order

    @property
    def grace_days(self) -> int:
        """Days the data may start after a period and still cover it (the methodology quotes it)."""
        return GRACE_DAYS

    @property
    def min_months(self) -> int:
        """Full months the sensitivity needs."""
        return MIN_MONTHS

    @property
    def min_year_over_year_months(self) -> int:
        """Fewest months the default compares a year apart."""
        return MIN_YEAR_OVER_YEAR_MONTHS


@dataclass(frozen=True)
class Lever:
    """The driver with the largest absolute contribution to the revenue change."""

    driver: str
    contribution: float
    share: float | None
    """Share of the total revenue change (None when revenue did not change)."""
    change: float | None
    """Relative change of the driver, current vs base."""


@dataclass(frozen=True)
class Sensitive:
    """The driver monthly revenue moved most with."""

    driver: str
    variance_share: float
    months: int


@dataclass(frozen=True)
class GroupChange:
    """A product group's revenue change (identified customers), current vs base."""

    group: str
    change: float


@dataclass(frozen=True)
class DriversResult(Result):
    """The formula per period × group, the targets, the factor analysis and the sensitivity, with their facts."""

    periods: Windows
    """Period label (base, current) → first and last day."""
    comparison: Comparison
    default_months: int | None
    """Months per period of the default comparison; None when the spec names the periods, 0 when the data is too
    short for two."""
    target_growth: float
    as_of: dt.date
    first_day: dt.date
    current_after_as_of: bool
    base_before_data: bool
    depth_basis: Literal["items", "lines"]
    """items: depth and price per item (quantity mapped); lines: per purchase line."""
    totals: dict[str, Totals]
    """Per period: identified, unidentified and total revenue, orders, average check."""
    revenue_change: float | None
    one_pct: float | None
    """Revenue of identified customers in the current period / 100: what +1% of any driver is worth."""
    sensitive: Sensitive | None
    strongest: Lever | None
    groups: list[str]
    """Product groups (without "all"), sorted."""
    order: list[str]
    """The order of substitution."""
    min_orders: int
    small_groups: list[str]
    """Groups with fewer than min_orders orders of identified customers in a period: not named in sentences."""
    fastest_group: GroupChange | None
    slowest_group: GroupChange | None
    """Among groups with enough orders, when at least two have them."""
    formula: Annotated[pl.DataFrame, Table("drivers_formula")]
    """period, group, buyers, customers, orders, orders_per_customer, avg_check, depth, price, revenue, items,
    start, end."""
    targets: Annotated[pl.DataFrame, Table("drivers_targets")]
    """group, driver, current, increase, target."""
    sensitivity: Annotated[pl.DataFrame, Table("drivers_sensitivity")]
    """driver, variance_share, months."""
    factors: Annotated[pl.DataFrame | None, Table("drivers_factors")]
    """driver, base, current, contribution, share_of_change, change; None without two complete periods."""

    @property
    def has_base(self) -> bool:
        """True when there is a base period to compare with."""
        return "base" in self.periods


def compute(ctx: Context, params: Params) -> DriversResult:
    """Formula rows per period × product group, targets, factor contributions and sensitivity."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    windows, months, comparison = resolve_periods(sales.as_of, sales.first_day, params.periods)
    lines = prepared_lines(sales.lines)
    groups = [ALL, *sorted(lines["group"].unique().to_list())] if "group" in lines.columns else [ALL]
    order_groups = order_groups_of(sales.lines)
    formula = pl.concat([window_formula(sales.orders, lines, label, *span, groups, order_groups)
                         for label, span in windows.items()])
    sensitivity = sensitivity_table(sales.orders, lines, windows, sales.as_of)
    totals, current = period_totals(formula), drivers_of(formula, "current")
    factors = _factors(formula, params.order, totals)
    small, fastest, slowest = group_extremes(formula, groups[1:], params.min_orders)
    return DriversResult(
        formula=formula, targets=target_table(formula, params.target_growth), sensitivity=sensitivity,
        factors=factors, periods=windows, comparison=comparison, default_months=months,
        target_growth=params.target_growth, as_of=sales.as_of, first_day=sales.first_day,
        current_after_as_of=windows["current"][1] > sales.as_of,
        base_before_data="base" in windows and sales.first_day > windows["base"][0] + dt.timedelta(days=GRACE_DAYS),
        depth_basis="items" if "quantity" in sales.lines.columns else "lines", totals=totals,
        revenue_change=_change(totals), one_pct=current["revenue"] / 100 if current else None,
        sensitive=_most_sensitive(sensitivity), strongest=_strongest(factors) if factors is not None else None,
        groups=groups[1:], order=list(params.order), min_orders=params.min_orders, small_groups=small, fastest_group=fastest,
        slowest_group=slowest)


def resolve_periods(as_of: dt.date, first_day: dt.date,
                    periods: Periods | None) -> tuple[Windows, int | None, Comparison]:
    """(period label → (start, end)), the default window length in months and the kind of comparison.

    Default: the longest run of months up to as_of (12 at most, MIN_YEAR_OVER_YEAR_MONTHS at least) whose same
    months a year earlier the data covers; else the two halves of the last year (6 months each, fewer when the data
    is shorter; seasons differ: the report says so);
    else, under two months of data, the current period only (months 0). The data covers a window when it starts at
    most GRACE_DAYS after it.
    """
    if periods is not None:
        return ({"base": (periods.base.start, periods.base.end),
                 "current": (periods.current.start, periods.current.end)}, None, "spec")
    day, grace = dt.timedelta(days=1), dt.timedelta(days=GRACE_DAYS)
    for months in range(12, MIN_YEAR_OVER_YEAR_MONTHS - 1, -1):
        current_start = shift_months(as_of, -months) + day
        base_start, base_end = shift_months(as_of, -12 - months) + day, shift_months(as_of, -12)
        if first_day <= base_start + grace:
            return {"base": (base_start, base_end), "current": (current_start, as_of)}, months, "year_over_year"
    for months in range(6, 0, -1):  # halves of (at most) the last year
        current_start = shift_months(as_of, -months) + day
        base_start = shift_months(as_of, -2 * months) + day
        if first_day <= base_start + grace:
            return {"base": (base_start, current_start - day), "current": (current_start, as_of)}, months, "halves"
    return {"current": (max(first_day, shift_months(as_of, -12) + day), as_of)}, 0, "current_only"


def _factors(formula: pl.DataFrame, order: Sequence[str], totals: dict[str, Totals]) -> pl.DataFrame | None:
    base, current = drivers_of(formula, "base"), drivers_of(formula, "current")
    if not (complete(base) and complete(current)):
        return None
    return factor_table(base, current, list(order), totals["base"], totals["current"])


def _change(totals: dict[str, Totals]) -> float | None:
    if "base" not in totals or not totals["base"]["total"]:
        return None
    return float(totals["current"]["total"] / totals["base"]["total"] - 1)


def group_extremes(formula: pl.DataFrame, groups: list[str],
                   min_orders: int) -> tuple[list[str], GroupChange | None, GroupChange | None]:
    """(groups below min_orders identified orders in a period, fastest and slowest growing of the others).

    A group with 11 orders swings by tens of percent on one customer; it is not named as an extreme.
    """
    known = formula.filter((pl.col("buyers") == "identified") & (pl.col("group") != ALL))
    small = sorted(set(known.filter(pl.col("orders") < min_orders)["group"].to_list()))
    revenue = {(r["group"], r["period"]): r["revenue"] for r in known.iter_rows(named=True)}
    changes = sorted(((revenue[g, "current"] / revenue[g, "base"] - 1, g) for g in groups
                      if g not in small and revenue.get((g, "base"), 0) > 0 and (g, "current") in revenue),
                     key=lambda item: (-item[0], item[1]))
    if len(changes) < 2:
        return small, None, None
    (up, fast), (down, slow) = changes[0], changes[-1]
    return small, GroupChange(fast, up), GroupChange(slow, down)


def _strongest(factors: pl.DataFrame) -> Lever:
    """The driver with the largest absolute contribution (the unidentified checks are not a driver)."""
    drivers = factors.filter(pl.col("driver") != UNIDENTIFIED)
    row = drivers.sort(pl.col("contribution").abs(), descending=True).row(0, named=True)
    return Lever(row["driver"], row["contribution"], row["share_of_change"], row["change"])


def _most_sensitive(sensitivity: pl.DataFrame) -> Sensitive | None:
    """The driver with the largest variance share, or None when the months were too few."""
    known = sensitivity.filter(pl.col("variance_share").is_not_null())
    if not known.height:
        return None
    row = known.sort(["variance_share", "driver"], descending=[True, False]).row(0, named=True)
    return Sensitive(row["driver"], row["variance_share"], row["months"])
