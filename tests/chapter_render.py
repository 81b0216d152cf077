"""Render one chapter partial, headline or methodology template the way the report does (gettext, Babel filters,
StrictUndefined), for tests that check a template's sentences."""

from __future__ import annotations

from typing import Any

from cjmgen.i18n import translations
from cjmgen.render.formatting import Formatter
from cjmgen.render.html import Methodology, _methodology, environment, name_list, report_filters


def _env(locale: str) -> Any:
    env = environment(None)
    env.filters.update(report_filters(Formatter(locale, "EUR")))
    env.install_gettext_translations(translations(locale), newstyle=True)
    env.globals.update(t=translations(locale).gettext)
    env.filters["names"] = lambda items, limit=8: name_list(items, translations(locale), limit)  # as render_html
    return env


def render_partial(name: str, result: Any, locale: str = "en", **context: Any) -> str:
    """The template's text with whitespace collapsed."""
    html = _env(locale).get_template(name).render(result=result, **context)
    return " ".join(html.split())


def methodology(name: str, params: Any, locale: str = "en") -> str:
    """The analysis's methodology appendix text (Markdown rendered to HTML), whitespace collapsed."""
    return " ".join(str(_methodology(_env(locale), Methodology(name, params), locale, None)).split())
