"""Render one chapter partial, headline or methodology template the way the report does (gettext, Babel filters,
StrictUndefined), for tests that check a template's sentences."""

from __future__ import annotations

from typing import Any

from cjmgen.render.html import Methodology, _methodology, report_environment


def _env(locale: str) -> Any:
    return report_environment(locale, "EUR")


def render_partial(name: str, result: Any, locale: str = "en", **context: Any) -> str:
    """The template's text with whitespace collapsed."""
    html = _env(locale).get_template(name).render(result=result, **context)
    return " ".join(html.split())


def methodology(name: str, params: Any, locale: str = "en") -> str:
    """The analysis's methodology appendix text (Markdown rendered to HTML), whitespace collapsed."""
    return " ".join(str(_methodology(_env(locale), Methodology(name, params), locale, None)).split())
