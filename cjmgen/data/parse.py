"""Parse text columns of client files into typed columns, reporting what could not be parsed."""

from __future__ import annotations

import polars as pl

DATE_COLUMNS = frozenset({"date", "birth_date", "signup_date", "start", "end"})
NUMBER_COLUMNS = frozenset({"amount", "quantity", "price", "cost", "age", "score"})

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%Y%m%d",
)
"""Formats tried, in this order, when a source gives no date_format (day-first before month-first)."""


def number_expr(column: str, decimal: str, thousands: str | None) -> pl.Expr:
    """Text → Float64; null where the text is not a number. Numeric columns pass through."""
    # Spaces of any kind are never part of a number: "1 234,50" and "1\u00a0234,50" are 1234.5.
    text = pl.col(column).cast(pl.String).str.replace_all(r"[\s\u00a0\u202f]", "")
    if thousands:
        text = text.str.replace_all(thousands, "", literal=True)
    if decimal == ",":
        text = text.str.replace_all(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False)


def parse_number(frame: pl.DataFrame, column: str, decimal: str, thousands: str | None) -> pl.Series:
    """A numeric version of frame[column]."""
    if frame.schema[column].is_numeric():
        return frame[column].cast(pl.Float64)
    return frame.select(number_expr(column, decimal, thousands)).to_series()


def detect_date_format(values: pl.Series) -> tuple[str | None, float]:
    """The candidate format that parses the largest share of a sample of values (ties: first listed)."""
    sample = values.drop_nulls().head(20_000)
    if sample.is_empty():
        return None, 0.0
    best, best_share = None, 0.0
    for fmt in DATE_FORMATS:
        parsed = sample.str.strip_chars().str.to_datetime(fmt, strict=False)
        share = 1 - parsed.null_count() / len(sample)
        if share > best_share:
            best, best_share = fmt, share
        if share == 1.0:
            break
    return best, best_share


def parse_datetime(values: pl.Series, fmt: str) -> pl.Series:
    """Text → Datetime with a strftime format; null where it does not parse."""
    return values.str.strip_chars().str.to_datetime(fmt, strict=False, time_unit="us")


def as_datetime(values: pl.Series) -> pl.Series | None:
    """Date/Datetime columns as Datetime(us); None when the column is text and needs parsing."""
    if values.dtype == pl.Date:
        return values.cast(pl.Datetime("us"))
    if isinstance(values.dtype, pl.Datetime):
        return values.dt.replace_time_zone(None).cast(pl.Datetime("us"))
    return None


def id_expr(column: str) -> pl.Expr:
    """Ids as trimmed text; '17850.0' (an integer id written by Excel as a float) becomes '17850'; '' → null."""
    text = pl.col(column).cast(pl.String).str.strip_chars().str.replace(r"^(\d+)\.0+$", "${1}")
    return pl.when(text == "").then(None).otherwise(text).alias(column)
