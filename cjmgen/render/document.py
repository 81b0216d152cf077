"""Build the report Document from results: chapter order, charts as SVG, Markdown, quality and methodology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup

from cjmgen.analyses import ANALYSES, Context, Result, params_of
from cjmgen.charts import chart_module
from cjmgen.charts.theme import Theme
from cjmgen.facts import Facts
from cjmgen.i18n import N_, translations
from cjmgen.render.html import Chapter, Document, Methodology, SourceQuality, data_uri
from cjmgen.render.markdown import leading_heading, render_markdown
from cjmgen.render.svg import img_tag, to_svg

SUMMARY = "summary"


def section_order(spec: Any, results: dict[str, Result]) -> list[Any]:
    """The spec's sections, or: summary, then every computed analysis in registry order."""
    if spec.report.sections:
        return list(spec.report.sections)
    return [SUMMARY, *results]


def build_document(ctx: Context, base_dir: Path, quality: list[SourceQuality], results: dict[str, Result]) -> Document:
    """Everything the templates need, charts already converted to SVG."""
    spec, t = ctx.spec, translations(ctx.locale).gettext
    chapters = []
    for i, section in enumerate(section_order(spec, results)):
        chapters.append(_chapter(i, section, ctx, base_dir, results, t))
    methodology = [(chapter_title(n, ctx.locale), _methodology(n, ctx, base_dir)) for n in results]
    logo = data_uri(base_dir / spec.report.theme.logo, base_dir) if spec.report.theme.logo else None
    return Document(spec, chapters, quality, methodology, kpis(ctx.facts), logo)


def _chapter(i: int, section: Any, ctx: Context, base_dir: Path, results: dict[str, Result], t) -> Chapter:
    name, given_title = (section, None) if isinstance(section, str) else (section.section, section.title)
    if name == SUMMARY:
        return Chapter(f"ch-{i}-summary", given_title or t(N_("Summary")), SUMMARY, result=None)
    if name is not None:
        result = results[name]
        title = given_title or chapter_title(name, ctx.locale)
        return Chapter(f"ch-{i}-{name}", title, name, result=result, charts=charts_of(name, result, ctx))
    path = base_dir / section.markdown if section.markdown is not None else None
    text = path.read_text(encoding="utf-8-sig") if path else section.text
    heading = None if section.title else leading_heading(text)
    html = render_markdown(text, base_dir=path.parent if path else base_dir, project_dir=base_dir,
                           drop_title=heading is not None)
    title = section.title or heading or (path.stem if path else "")
    return Chapter(f"ch-{i}-text", title, "markdown", html=html)


def chapter_title(name: str, locale: str) -> str:
    """The topic title of an analysis's chapter in the report's locale."""
    return str(translations(locale).gettext(chart_module(name).title))


def _methodology(name: str, ctx: Context, base_dir: Path) -> Methodology:
    return Methodology(name, params_of(ANALYSES[name], ctx.spec))


def theme_of(spec: Any) -> Theme:
    """The chart theme of a spec: locale, currency and primary colour."""
    return Theme(spec.project.locale, spec.project.currency, spec.report.theme.primary)


def charts_of(name: str, result: Result, ctx: Context) -> dict[str, Markup]:
    """An analysis's charts as embedded SVG images."""
    primary = ctx.spec.report.theme.primary
    charts = chart_module(name).charts(result, theme_of(ctx.spec)).items()
    return {key: img_tag(to_svg(chart, primary, ctx.locale, ctx.spec.project.currency), key) for key, chart in charts}


def kpis(facts: Facts | None) -> dict[str, Any] | None:
    """Headline figures of the summary: revenue, orders, customers, average check, identified order share."""
    if facts is None or facts.sales is None:
        return None
    sales = facts.sales
    real = sales.orders.filter(pl.col("is_order"))
    # a log without amounts (or without customer ids) has no revenue (no customers) to show: "—", not 0
    revenue = float(sales.orders["revenue"].sum()) if sales.has_amount else None
    identified = real["customer_id"].is_not_null().sum()
    return {
        "revenue": revenue, "orders": real.height, "customers": sales.customers.height if sales.has_customer_id else None,
        "avg_check": revenue / real.height if real.height and revenue is not None else None,
        "identified_order_share": identified / real.height if real.height and sales.has_customer_id else None,
        "first_day": sales.first_day, "as_of": sales.as_of,
    }
