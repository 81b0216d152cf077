"""Seasonality (METHODS §4): revenue, orders and active customers by month, month-of-year across years, weekday.

A log without amounts (a bakery's receipts) is measured on orders: the seasonal index, the month-of-year lines and the
year-over-year comparison use order counts, and revenue columns stay empty (null), never 0."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.facts import Sales, money_sum
from cjmgen.periods import GRACE_DAYS, ends_after
from cjmgen.spec.common import Strict

name = "seasonality"
spec_block = None
needs = {"transactions": ("date",)}

Measure = Literal["revenue", "orders"]


class Params(Strict):
    """Revenue, orders and active customers per month and month-of-year, and the weekday profile."""

    min_years: int = Field(
        1, ge=1, le=10, description="Compute the seasonal index (and name the peak and trough month) only when every "
                                    "calendar month has at least this many ratio-to-trend values; that takes "
                                    "12 × (min_years + 1) consecutive complete months (1 → 24).")

    @property
    def months_needed(self) -> int:
        """Consecutive complete months the seasonal index needs (see `months_needed`)."""
        return months_needed(self)

    @property
    def grace_days(self) -> int:
        """GRACE_DAYS, for the methodology text."""
        return GRACE_DAYS

    @property
    def covered_from_day(self) -> int:
        """COVERED_FROM_DAY, for the methodology text."""
        return COVERED_FROM_DAY


COVERED_FROM_DAY = GRACE_DAYS + 1
"""The data covers its first month when the first line falls on or before this day of the month (at most GRACE_DAYS
after the 1st, the drivers chapter's rule for a period): a business closed on the 1st and over a weekend (data from
3 January) keeps January; one that starts mid-month does not."""


def months_needed(params: Params) -> int:
    """Consecutive complete months the seasonal index needs: six either side of each ratio, min_years ratios a month."""
    return 12 * (params.min_years + 1)


@dataclass(frozen=True)
class MonthIndex:
    """A calendar month (1–12; `name` is its English name, as in the CSV) and its seasonal index."""

    month: int
    name: str
    index: float


@dataclass(frozen=True)
class YearGrowth:
    """The last complete calendar year against the complete year before it."""

    year: int
    previous_year: int
    revenue: float | None
    orders: float | None
    customers: float | None


@dataclass(frozen=True)
class BusiestWeekday:
    """The weekday with the most orders (Monday = 1) and the weekend's share of orders."""

    weekday: int
    name: str
    share: float
    weekend_share: float


@dataclass(frozen=True)
class SeasonalityResult(Result):
    """Monthly, month-of-year, weekday and seasonal-index tables, and the facts the chapter quotes."""

    peak: MonthIndex | None
    trough: MonthIndex | None
    index_missing: Literal["too_few_months", "no_trend"] | None
    """Why there is no seasonal index (None: there is one)."""
    measure: Measure
    """What the seasonal index and the month-of-year lines measure: revenue, or orders when the log has no amounts."""
    has_amount: bool
    has_customer_id: bool
    """False: no customer id mapped, active customers are not known (the chapter leaves them out)."""
    last_full_year: int | None
    growth: YearGrowth | None
    busiest: BusiestWeekday | None
    months: int
    complete_months: int
    months_needed: int
    min_years: int
    first_complete_month: str | None
    last_complete_month: str | None
    partial_months: tuple[str, ...]
    """Months the data does not wholly cover (`complete` false): drawn pale, left out of the index and year totals."""
    partial_last_month: str | None
    """The month as_of cuts short (as_of is not its last day), if any."""
    as_of: dt.date
    grace_days: int
    covered_from_day: int
    total_revenue: float | None
    """None when the log has no amounts."""
    total_orders: int
    monthly: Annotated[pl.DataFrame, Table("seasonality_monthly")]
    month_of_year: Annotated[pl.DataFrame, Table("seasonality_month_of_year")]
    weekday: Annotated[pl.DataFrame, Table("seasonality_weekday")]
    index: Annotated[pl.DataFrame, Table("seasonality_index")]


def compute(ctx: Context, params: Params) -> SeasonalityResult:
    """Monthly, month-of-year and weekday tables plus peak/trough and year-over-year facts."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    monthly, weekday = monthly_table(sales), weekday_table(sales)
    measure: Measure = "revenue" if sales.has_amount else "orders"
    by_year = monthly.select(
        pl.col("month").str.slice(0, 4).cast(pl.Int32).alias("year"),
        pl.col("month").str.slice(5, 2).cast(pl.Int32).alias("month"),
        "revenue", "orders", "active_customers", "complete")
    index = seasonal_index(monthly, params, measure)
    complete: list[str] = monthly.filter("complete")["month"].to_list()
    missing: Literal["too_few_months", "no_trend"] | None = None
    if index.is_empty():  # too few complete months, or a trend that is zero somewhere (a year without sales)
        missing = "too_few_months" if len(complete) < months_needed(params) else "no_trend"
    peak, trough = peak_and_trough(index)
    return SeasonalityResult(
        peak=peak, trough=trough, index_missing=missing, measure=measure, has_amount=sales.has_amount,
        has_customer_id=sales.has_customer_id, last_full_year=last_full_year(by_year),
        growth=year_growth(sales, by_year), busiest=busiest_weekday(weekday), months=monthly.height,
        complete_months=len(complete), months_needed=months_needed(params), min_years=params.min_years,
        first_complete_month=complete[0] if complete else None, last_complete_month=complete[-1] if complete else None,
        partial_months=tuple(monthly.filter(~pl.col("complete"))["month"].to_list()),
        partial_last_month=monthly["month"][-1] if ends_after(sales.as_of, "month") else None,
        as_of=sales.as_of, grace_days=GRACE_DAYS, covered_from_day=COVERED_FROM_DAY,
        total_revenue=round(float(monthly["revenue"].sum()), 6) if sales.has_amount else None, total_orders=int(monthly["orders"].sum()),
        monthly=monthly, month_of_year=by_year, weekday=weekday, index=index)


def _month_start(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1mo")


def monthly_table(sales: Sales) -> pl.DataFrame:
    """Every calendar month from the first line to as_of, empty months as zeros.

    A month is complete when the data covers it: it ends on or before as_of, and it is not the first month or the
    first line falls on or before its COVERED_FROM_DAY-th day.

    Revenue (net of returns, unidentified receipts included) by the day each line happened; orders (real orders,
    unidentified included) by order date; active customers = identified customers with a real order that month.
    """
    real = sales.orders.filter(pl.col("is_order")).with_columns(_month_start(pl.col("day")).alias("start"))
    counts = real.group_by("start").agg(
        pl.len().alias("orders"), pl.col("customer_id").drop_nulls().n_unique().alias("active_customers"))
    money = sales.order_days.group_by(_month_start(pl.col("day")).alias("start")).agg(money_sum("revenue"))
    first, last = _first_of(sales.first_day), _first_of(sales.as_of)
    grid = pl.DataFrame({"start": pl.date_range(first, last, "1mo", eager=True)})
    table = grid.join(money, on="start", how="left").join(counts, on="start", how="left").with_columns(
        _no_revenue_as(0.0, sales), pl.col("orders").fill_null(0).cast(pl.Int64),
        pl.col("active_customers").fill_null(0).cast(pl.Int64) if sales.has_customer_id
        else pl.lit(None, pl.Int64).alias("active_customers"))  # no ids: unknown, not 0
    month_end = pl.col("start").dt.offset_by("1mo") - pl.duration(days=1)
    return table.sort("start").select(
        pl.col("start").dt.strftime("%Y-%m").alias("month"), "revenue", "orders", "active_customers",
        pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders")).alias("avg_check"),
        ((pl.col("start") >= _covered_from(sales.first_day)) & (month_end <= sales.as_of)).alias("complete"))


def _no_revenue_as(zero: float, sales: Sales) -> pl.Expr:
    """Revenue of a period without sales is `zero`; in a log without amounts it is unknown (null), never 0."""
    if sales.has_amount:
        return pl.col("revenue").fill_null(zero)
    return pl.lit(None, pl.Float64).alias("revenue")


def _first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _covered_from(first_day: dt.date) -> dt.date:
    """The first month start the data covers: the first line's month if it starts early enough, else the next one."""
    if first_day.day <= COVERED_FROM_DAY:
        return _first_of(first_day)
    return (_first_of(first_day) + dt.timedelta(days=31)).replace(day=1)


def weekday_table(sales: Sales) -> pl.DataFrame:
    """Orders (by order date) and revenue (by line date) per weekday, Monday = 1; shares of the totals."""
    orders = sales.orders.filter(pl.col("is_order")).group_by(pl.col("day").dt.weekday().alias("weekday")).agg(
        pl.len().alias("orders"))
    money = sales.order_days.group_by(pl.col("day").dt.weekday().alias("weekday")).agg(money_sum("revenue"))
    days = pl.date_range(dt.date(2024, 1, 1), dt.date(2024, 1, 7), eager=True)  # a Monday..Sunday
    grid = pl.DataFrame({"weekday": days.dt.weekday(), "name": days.dt.strftime("%A")})  # English names, as in the CSV
    table = grid.join(orders, on="weekday", how="left").join(money, on="weekday", how="left").with_columns(
        pl.col("orders").fill_null(0).cast(pl.Int64), _no_revenue_as(0.0, sales))
    total_orders, total_revenue = int(table["orders"].sum()), round(float(table["revenue"].sum()), 6)
    return table.select(
        pl.col("weekday").cast(pl.Int64), "name", "orders", "revenue",
        (pl.col("orders") / total_orders if total_orders else pl.lit(None, pl.Float64)).alias("orders_share"),
        (pl.col("revenue") / total_revenue if total_revenue > 0 else pl.lit(None, pl.Float64)).alias("revenue_share"))


def seasonal_index(monthly: pl.DataFrame, params: Params, measure: Measure = "revenue") -> pl.DataFrame:
    """Classical multiplicative seasonal index: the measure (revenue, or orders in a log without amounts) / its centred
    2×12 moving average, averaged per calendar month.

    Only complete months enter; a trend (a growing chain) does not masquerade as seasonality. The twelve indices
    are scaled to average 1. Empty unless every calendar month has at least min_years ratios (≥ months_needed months).
    """
    weights = [0.5] + [1.0] * 11 + [0.5]
    series = monthly.filter("complete").sort("month")
    ratios = series.select(
        pl.col("month").str.slice(5, 2).cast(pl.Int64).alias("month"),
        (pl.col(measure).cast(pl.Float64).rolling_sum(window_size=13, weights=weights, center=True) / 12).alias("trend"),
        pl.col(measure).alias("value"),
    ).filter(pl.col("trend") > 0).with_columns((pl.col("value") / pl.col("trend")).alias("ratio"))
    profile = ratios.group_by("month").agg(pl.col("ratio").mean(), pl.len().alias("years")).sort("month")
    empty = pl.DataFrame(schema={"month": pl.Int64, "name": pl.String, "years": pl.Int64, "index": pl.Float64})
    if profile.height < 12 or int(profile["years"].min()) < params.min_years:  # type: ignore[arg-type]
        return empty
    scale = 12 / float(profile["ratio"].sum())
    name = pl.date(2000, pl.col("month"), 1).dt.strftime("%B")  # English names, as in the CSV
    return profile.select("month", name.alias("name"),
                          pl.col("years").cast(pl.Int64), (pl.col("ratio") * scale).alias("index"))


def peak_and_trough(index: pl.DataFrame) -> tuple[MonthIndex | None, MonthIndex | None]:
    """Peak and trough calendar month by seasonal index (index 1.25 = 25% above a trend month)."""
    if index.is_empty():
        return None, None
    ranked = index.sort(["index", "month"], descending=[True, False])
    peak, trough = ranked.row(0, named=True), ranked.row(-1, named=True)
    return (MonthIndex(month=peak["month"], name=peak["name"], index=peak["index"]),
            MonthIndex(month=trough["month"], name=trough["name"], index=trough["index"]))


def _full_years(by_year: pl.DataFrame) -> list[int]:
    """Calendar years whose twelve months are all complete, ascending."""
    full = by_year.group_by("year").agg(pl.col("complete").all() & (pl.len() == 12)).filter("complete")["year"]
    return sorted(full.to_list())


def last_full_year(by_year: pl.DataFrame) -> int | None:
    """The last complete calendar year, if any."""
    years = _full_years(by_year)
    return years[-1] if years else None


def year_growth(sales: Sales, by_year: pl.DataFrame) -> YearGrowth | None:
    """Growth of the last complete calendar year over the year before, when both are complete."""
    years = _full_years(by_year)
    if len(years) < 2 or years[-2] != years[-1] - 1:
        return None
    last, previous = years[-1], years[-2]
    totals = by_year.filter(pl.col("year").is_in([last, previous])).group_by("year").agg(
        money_sum("revenue"), pl.col("orders").sum())
    customers = sales.orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null()).group_by(
        pl.col("day").dt.year().cast(pl.Int32).alias("year")).agg(pl.col("customer_id").n_unique().alias("customers"))
    rows = {r["year"]: r for r in totals.join(customers, on="year", how="left").fill_null(0).iter_rows(named=True)}
    known = {"revenue": sales.has_amount, "orders": True, "customers": sales.has_customer_id}
    growth = {k: (rows[last][k] / rows[previous][k] - 1) if rows[previous][k] and known[k] else None
              for k in ("revenue", "orders", "customers")}
    return YearGrowth(year=last, previous_year=previous, revenue=growth["revenue"], orders=growth["orders"],
                      customers=growth["customers"])


def busiest_weekday(weekday: pl.DataFrame) -> BusiestWeekday | None:
    """The weekday with the most orders (the earlier one on a tie), None without orders."""
    if weekday["orders"].sum() == 0:
        return None
    top = weekday.sort(["orders", "weekday"], descending=[True, False]).row(0, named=True)
    weekend = weekday.filter(pl.col("weekday") >= 6)
    return BusiestWeekday(weekday=top["weekday"], name=top["name"], share=top["orders_share"],
                          weekend_share=float(weekend["orders_share"].sum()))
