"""Numbers, money, shares and dates in the report's locale (Babel). The only place numbers become text."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from babel import Locale
from babel.dates import format_date, get_day_names, get_month_names
from babel.numbers import format_compact_decimal, format_decimal, get_currency_symbol, parse_pattern

from cjmgen.i18n import currency_symbol


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def _wide(method: Callable[..., str]) -> Callable[..., str]:
    """Babel rounds in a Decimal context of 28 digits: a float up to 1.8e308 needs 309 (a line of 1e300 is
    reported, not refused, so the report must print it)."""

    @wraps(method)
    def formatted(*args: Any, **kwargs: Any) -> str:
        with decimal.localcontext() as context:
            context.prec = 400
            return method(*args, **kwargs)

    return formatted


def _minus(text: str) -> str:
    """A real minus sign (−19,6 %), not a hyphen: a hyphen before a number reads as a dash in a sentence."""
    return "\u2212" + text[1:] if text.startswith("-") else text


class Formatter:
    """Locale-bound formatting filters used by every template."""

    def __init__(self, locale: str, currency: str):
        self.locale, self.currency = locale, currency
        self._symbol = currency_symbol(currency, locale)
        self._money = parse_pattern(Locale.parse(locale).currency_formats["standard"].pattern)

    @_wide
    def num(self, value: Any, digits: int = 0) -> str:
        """Grouped number: 19 360 (ru) / 19,360 (en)."""
        if _missing(value):
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return _minus(format_decimal(value, format=pattern, locale=self.locale))

    @_wide
    def compact(self, value: Any, digits: int = 1) -> str:
        """Short number in the locale's words: 32 млн (ru) / 32M (en)."""
        if _missing(value):
            return "—"
        return format_compact_decimal(value, locale=self.locale, fraction_digits=digits)

    def dec(self, value: Any, digits: int = 2) -> str:
        """Number with fixed decimals."""
        return self.num(value, digits)

    @_wide
    def pct(self, value: Any, digits: int = 1) -> str:
        """Share 0.226 → 22.6% (en) / 22,6 % style per locale."""
        if _missing(value):
            return "—"
        text = format_decimal(value * 100, format="#,##0." + "0" * digits if digits else "#,##0", locale=self.locale)
        return _minus(text) + ("\u00a0%" if self.locale == "ru" else "%")

    @_wide
    def money(self, value: Any, digits: int | None = None) -> str:
        """Money: whole units from 100 up (19 360 ₽ / ₽19,360), cents below (a $0.63 price per item is not $1) unless
        the amount is whole (€85, not €85.00). A table column passes one `digits` for all its cells (`money_digits`)."""
        if _missing(value):
            return "—"
        if digits is None:
            digits = 0 if abs(value) >= 100 or float(value).is_integer() else 2
        self._money.frac_prec = (digits, digits)
        text = self._money.apply(value, self.locale, currency=self.currency, currency_digits=False)
        return _minus(text.replace(get_currency_symbol(self.currency, self.locale), self._symbol))

    def money_digits(self, values: Any, column: str | None = None) -> int:
        """One precision for a column of amounts (`frame | money_digits("revenue")`, or a list of values): cents when
        every amount is below 100 or one rounds to less than a unit (a price of 0.63), whole units otherwise — never
        €75.09 next to €194 in one column."""
        if column is not None:
            values = values[column] if column in getattr(values, "columns", values) else []
        amounts = [abs(v) for v in values if not _missing(v) and v]
        return money_column_digits(amounts)

    def date(self, value: dt.date | None, style: str = "long") -> str:
        """Date in the locale: 31 December 2023 / 31 декабря 2023 г."""
        return "—" if value is None else format_date(value, format=style, locale=self.locale)

    def month(self, number: int | None, width: str = "wide") -> str:
        """Calendar month 1–12 by name, as it stands alone: January / январь (width "abbreviated": Jan / янв.)."""
        return "—" if number is None else str(get_month_names(width, "stand-alone", self.locale)[number])  # type: ignore[arg-type]

    def weekday(self, number: int | None, width: str = "wide") -> str:
        """ISO weekday 1–7 (Monday = 1) by name, as it stands alone: Monday / понедельник."""
        return "—" if number is None else str(get_day_names(width, "stand-alone", self.locale)[number - 1])  # type: ignore[arg-type]


def money_column_digits(amounts: Iterable[float]) -> int:
    """Decimals for a column of non-zero absolute amounts: 2 when all are below 100 or one is below 1, else 0."""
    values = list(amounts)
    if not values:
        return 0
    return 2 if max(values) < 100 or min(values) < 1 else 0
