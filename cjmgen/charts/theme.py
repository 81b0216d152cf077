"""The report's chart theme: fonts and colours that match the PDF's typography."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cjmgen.i18n import currency_symbol, translations

FONT = "DejaVu Sans"

NUMBER_LOCALES = {
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", ""]},
    "ru": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", ""]},
}
"""d3 number formats per report locale, so axis labels read 2,37 and 19 360 in Russian reports."""


def theme_config(primary: str, locale: str = "en") -> dict[str, Any]:
    """Vega-Lite config merged into every chart."""
    return {
        "locale": {"number": NUMBER_LOCALES.get(locale, NUMBER_LOCALES["en"])},
        "font": FONT,
        "background": "white",
        "view": {"stroke": None},
        "title": {"fontSize": 13, "fontWeight": "bold", "anchor": "start", "color": "#1b1b1b", "offset": 10},
        "axis": {"labelFontSize": 10, "titleFontSize": 11, "titleFontWeight": "normal", "gridColor": "#e6e6e6",
                 "domainColor": "#999", "tickColor": "#999", "labelLimit": 180},
        # a safety net under every chart: tick labels that would touch are dropped, never printed run together
        "axisQuantitative": {"labelOverlap": "greedy", "labelSeparation": 4},
        "axisTemporal": {"labelOverlap": "greedy", "labelSeparation": 4},
        "legend": {"labelFontSize": 10, "titleFontSize": 10, "labelLimit": 200},
        "range": {"category": [primary, "#e07b39", "#5a9e6f", "#8064a2", "#c0504d", "#4bacc6", "#9b9b9b", "#f2c14e",
                               "#2e7d7a", "#b565a7"]},
        "bar": {"color": primary},
        "line": {"color": primary},
    }


@dataclass(frozen=True)
class Theme:
    """What every chart module receives: the report's locale, currency, colour and words."""

    locale: str = "en"
    currency: str = "USD"
    primary: str = "#1f4e79"

    def _(self, message: str) -> str:
        """A UI string in the report's locale (msgid: the English sentence)."""
        return translations(self.locale).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The plural form for n (Russian has three)."""
        return translations(self.locale).ngettext(singular, plural, n)

    @property
    def currency_symbol(self) -> str:
        """₽, €, $ … as the report's locale writes it."""
        return currency_symbol(self.currency, self.locale)

    def config(self) -> dict[str, Any]:
        """Vega-Lite config: fonts, colours and d3 number locale with this currency."""
        out = theme_config(self.primary, self.locale)
        number = dict(out["locale"]["number"])
        number["currency"] = ["", "\u00a0" + self.currency_symbol] if self.locale == "ru" else [self.currency_symbol, ""]
        out["locale"] = {"number": number}
        return out
