"""The report's words in each locale: gettext catalogs (Babel) with plural forms, loaded from locale/<lang>/LC_MESSAGES.

English is the source language: msgids are whole English sentences. The catalogs are `.po` files compiled in
memory when first used, so a checkout needs no build step and the wheel ships the same files.
"""

from __future__ import annotations

import functools
import io
from importlib import resources
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_currency_symbol
from babel.support import NullTranslations, Translations

DOMAIN = "cjmgen"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (it is translated where it is shown)."""
    return message


def locale_root() -> Path:
    """Catalogs: inside the installed package, or locale/ beside it in a source checkout."""
    packaged = resources.files("cjmgen") / "locale"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "locale"


def catalog_path(locale: str) -> Path:
    """The .po file of a locale."""
    return locale_root() / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(locale: str) -> NullTranslations:
    """gettext/ngettext of a locale; English (and any locale without a catalog) returns the msgids."""
    path = catalog_path(locale)
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


_SYMBOL_LOCALES = ("ru", "uk", "kk", "be", "pl", "cs", "tr", "ja", "zh", "ko", "hi", "th", "he", "ar")


@functools.cache
def currency_symbol(currency: str, locale: str) -> str:
    """The locale's symbol, or the currency's own sign where the locale only knows the code (₽ in en)."""
    symbol = get_currency_symbol(currency, locale)
    if symbol != currency:
        return symbol
    for other in _SYMBOL_LOCALES:
        candidate = get_currency_symbol(currency, other)
        if candidate != currency and len(candidate) <= 2:
            return candidate
    return currency
