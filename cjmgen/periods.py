"""Calendar helpers every period-based analysis shares: period numbers and labels, coverage grace, item units."""

from __future__ import annotations

import datetime as dt

import polars as pl

Period = str
"""month | week | quarter"""

_MONDAY = dt.date(1970, 1, 5)

GRACE_DAYS = 7
"""The data covers a period when its first transaction falls at most this many days after the period starts
(a chain closed on January 1st still has a year that starts on January 1st)."""


def period_index(day: pl.Expr, period: str) -> pl.Expr:
    """A running period number: months or quarters since year 0, weeks (Monday start) since 1970-01-05."""
    if period == "month":
        return day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1
    if period == "quarter":
        return day.dt.year().cast(pl.Int64) * 4 + day.dt.quarter().cast(pl.Int64) - 1
    return (day - pl.lit(_MONDAY)).dt.total_days().floordiv(7)


def period_label(index: pl.Expr, period: str) -> pl.Expr:
    """YYYY-MM, YYYY-Qn, or the ISO week YYYY-Www of a period number."""
    if period == "month":
        return pl.format("{}-{}", index.floordiv(12), (index.mod(12) + 1).cast(pl.String).str.zfill(2))
    if period == "quarter":
        return pl.format("{}-Q{}", index.floordiv(4), index.mod(4) + 1)
    monday = pl.lit(_MONDAY) + pl.duration(days=index * 7)
    return monday.dt.strftime("%G-W%V")


def period_number(day: dt.date, period: str) -> int:
    """The running period number of a date (as `period_index`)."""
    return int(pl.select(period_index(pl.lit(day), period)).item())


def ends_after(day: dt.date, period: str) -> bool:
    """The period containing `day` goes on after it: cut at an as_of that is not its last day, it is partial."""
    return period_number(day + dt.timedelta(days=1), period) == period_number(day, period)


def purchase_units(columns: list[str]) -> pl.Expr:
    """Items of a line: a purchase line (amount ≥ 0) counts its quantity (a missing quantity counts 1), or 1 when
    no quantity is mapped; a return line counts 0 — returns reduce revenue, never items (as never orders)."""
    each = pl.col("quantity").cast(pl.Float64).fill_null(1.0) if "quantity" in columns else pl.lit(1.0)
    return pl.when(pl.col("amount") >= 0).then(each).otherwise(0.0)
