"""Values that parse but cannot be right: non-finite numbers, dates in the future, absurd magnitudes.

The build's own date is read here, in the data layer, and nowhere else: analyses work from as_of alone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

FUTURE_GRACE = dt.timedelta(days=2)
"""A date up to two days after the build's date is not in the future: time zones, a log exported tonight."""

MAX_FUTURE_SHARE = 0.5
"""Future dates are set aside as typos only while they are a minority of the dates; a log mostly in the future
(a test fixture, a wrong clock) is left alone: there is no past 'rest of the data' to compare with."""

ABSURD = 1e15
"""From here on a float no longer holds cents exactly: such a value is always reported."""

LARGE, RATIO = 1e9, 1e6
"""Below ABSURD, a value is reported when it is at least LARGE and at least RATIO times the column's median
absolute value (a line of 10^300, or 10^10 in a log of ten-pound baskets)."""


def today() -> dt.date:
    """The build's own date (tests replace this function)."""
    return dt.date.today()


def non_finite(typed: pl.DataFrame, columns: list[str]) -> dict[str, pl.Series]:
    """For each float column with a NaN or an infinity ('nan', 'inf', '1e999' parse as such): where they are."""
    found = {}
    for column in columns:
        if typed.schema[column].is_float():
            mask = (~typed[column].is_finite()).fill_null(False)
            if mask.any():
                found[column] = mask
    return found


def future(dates: pl.Series) -> pl.Series | None:
    """Where a date lies after the build's date (beyond FUTURE_GRACE), when such dates are a minority: the rest of
    the data is in the past, so these are typos (2999 for 2023). None when there is nothing to set aside."""
    limit = dt.datetime.combine(today() + FUTURE_GRACE, dt.time.max)
    mask = (dates > limit).fill_null(False)
    count = int(mask.sum())
    known = len(dates) - dates.null_count()
    if not count or count > MAX_FUTURE_SHARE * known:
        return None
    return mask


@dataclass(frozen=True)
class Outliers:
    """Values of one column absurdly large in magnitude: how many, the largest, and its line in the file."""

    column: str
    count: int
    largest: float
    line: int


def absurd(typed: pl.DataFrame, lines: pl.Series, columns: list[str]) -> list[Outliers]:
    """Columns holding absurd magnitudes (see ABSURD, LARGE and RATIO), with the largest value's line."""
    found = []
    for column in columns:
        if not typed.schema[column].is_numeric():
            continue
        size = typed[column].cast(pl.Float64).abs()
        median = size.filter(size > 0).median()
        floor = max(LARGE, RATIO * median) if isinstance(median, float) else LARGE
        mask = ((size >= ABSURD) | (size >= floor)).fill_null(False)
        if mask.any():
            at = int(size.arg_max())  # type: ignore[arg-type]
            found.append(Outliers(column, int(mask.sum()), float(typed[column][at]), int(lines[at])))
    return found
