"""Parse text columns of client files into typed columns, reporting what could not be parsed."""

from __future__ import annotations

import re

import polars as pl

DATE_COLUMNS = frozenset({"date", "birth_date", "signup_date", "start", "end"})
NUMBER_COLUMNS = frozenset({"amount", "quantity", "price", "cost", "age", "score"})

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%Y%m%d",
)
"""Formats tried, in this order, when a source gives no date_format (day-first before month-first).

They are strftime formats, as users write them in `date_format` and as notes report them; `polars_format` turns
one into what polars parses with. Whole seconds come before fractions, so fractions win only when the data has them."""

_WORDS = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS", "%f": "ffffff"}


def polars_format(strftime: str) -> str:
    """A strftime format as polars (chrono) parses it: `.%f` (fractions of a second, 1–6 digits in strftime) is
    chrono's `%.f`; chrono would read `.%f` as a count of nanoseconds and get `.5` wrong."""
    return strftime.replace(".%f", "%.f")


def format_in_words(strftime: str) -> str:
    """A strftime format in the letters people read dates by: '%d.%m.%Y %H:%M' → 'DD.MM.YYYY HH:MM'."""
    return re.sub(r"%[a-zA-Z]", lambda m: _WORDS.get(m.group(0), m.group(0)), strftime)


def number_expr(column: str, decimal: str, thousands: str | None) -> pl.Expr:
    """Text → Float64; null where the text is not a number. Numeric columns pass through."""
    # Spaces of any kind are never part of a number: "1 234,50" and "1\u00a0234,50" are 1234.5.
    text = pl.col(column).cast(pl.String).str.replace_all(r"[\s\u00a0\u202f]", "")
    if thousands:
        text = text.str.replace_all(thousands, "", literal=True)
    if decimal == ",":
        text = text.str.replace_all(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False)


def detect_date_format(values: pl.Series) -> tuple[str | None, float]:
    """The candidate format that parses the largest share of a sample of values (ties: first listed)."""
    sample = values.drop_nulls().head(20_000)
    if sample.is_empty():
        return None, 0.0
    best, best_share = None, 0.0
    for fmt in DATE_FORMATS:
        parsed = sample.str.strip_chars().str.to_datetime(polars_format(fmt), strict=False)
        share = 1 - parsed.null_count() / len(sample)
        if share > best_share:
            best, best_share = fmt, share
        if share == 1.0:
            break
    return best, best_share


def text_datetime_expr(column: str, fmt: str) -> pl.Expr:
    """Text → Datetime(us) with a strftime format; null where it does not parse."""
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_datetime(polars_format(fmt), strict=False, time_unit="us")


def datetime_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    """Date/Datetime columns as naive Datetime(us)."""
    if dtype == pl.Date:
        return pl.col(column).cast(pl.Datetime("us"))
    return pl.col(column).dt.replace_time_zone(None).cast(pl.Datetime("us"))


def id_expr(column: str, dtype: pl.DataType, excel_floats: bool = True) -> pl.Expr:
    """Ids and labels as trimmed text, '' → null; with excel_floats '17850.0' (an id Excel wrote as a float) → '17850'."""
    if dtype.is_float():
        whole = pl.col(column).round(0) == pl.col(column)
        return pl.when(whole).then(pl.col(column).cast(pl.Int64).cast(pl.String)).otherwise(pl.col(column).cast(pl.String))
    if dtype.is_integer():
        return pl.col(column).cast(pl.String)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    if excel_floats:
        text = text.str.replace(r"^(\d+)\.0+$", "${1}")
    return pl.when(text == "").then(None).otherwise(text)
