"""Assemble the report document and render it with Jinja2: one self-contained HTML file."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from cjmgen.analyses import Result
from cjmgen.i18n import translations
from cjmgen.render.formatting import Formatter
from cjmgen.render.markdown import render_markdown
from cjmgen.render.reasons import reason_text
from cjmgen.render.tables import keep_rows_together

if TYPE_CHECKING:
    from cjmgen.render.quality import LineChecks


@dataclass(frozen=True)
class Chapter:
    """One chapter: a computed section (partial `_<name>.html`) or rendered Markdown."""

    id: str
    title: str
    name: str
    result: Result | None = None
    charts: dict[str, Markup] = field(default_factory=dict)
    html: Markup | None = None


@dataclass(frozen=True)
class SourceQuality:
    """Data-quality appendix row for one source."""

    table: str
    file: str
    rows_read: int
    rows_used: int
    quarantined: dict[str, int]
    excluded_after_as_of: int
    date_from: Any
    date_to: Any
    notes: tuple[str, ...]
    nulled: dict[str, int]
    checks: LineChecks | None = None
    """Transactions: what a consultant checks first (render/quality.py computes it)."""
    blank_lines: int = 0
    """Lines without any value, skipped (not in rows_read)."""
    duplicate_rows: int = 0
    """Rows identical to an earlier row in every column."""
    duplicates_dropped: int = 0
    """Of those, dropped (`drop_duplicates: true`); else 0 and they are used."""


@dataclass(frozen=True)
class Methodology:
    """An analysis's methodology template (`methodology/<name>.<locale>.md`) and the params it states."""

    name: str
    params: Any


@dataclass(frozen=True)
class Document:
    """Everything the templates show; they format it and never compute."""

    spec: Any
    chapters: list[Chapter]
    quality: list[SourceQuality]
    methodology: list[tuple[str, Methodology]]
    kpis: dict[str, Any] | None
    logo: str | None = None


def templates_root() -> Path:
    """Built-in templates: inside the installed package, or report_templates/ beside it in a source checkout."""
    packaged = resources.files("cjmgen") / "report_templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "report_templates"


def environment(user_templates: Path | None) -> jinja2.Environment:
    """User templates override built-in partials by name and can extend them as `default:<name>`."""
    builtin = jinja2.FileSystemLoader(templates_root())
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(user_templates)] if user_templates else []
    loaders += [jinja2.PrefixLoader({"default": builtin}, delimiter=":"), builtin]
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=_autoescape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    return env


def _autoescape(name: str | None) -> bool:
    """HTML is escaped; Markdown methodology is not (markdown-it renders it without raw HTML)."""
    return not (name or "").endswith(".md")


def render_html(doc: Document, user_templates: Path | None, base_dir: Path | None = None) -> str:
    """The whole report as one HTML string (CSS and charts inline)."""
    project = doc.spec.project
    env = report_environment(project.locale, project.currency, user_templates, base_dir)
    css = env.get_template("report.css").render(theme=doc.spec.report.theme)
    html = env.get_template("base.html").render(doc=doc, spec=doc.spec, project=project, css=Markup(css))
    return keep_rows_together(html).replace("\u202fг..", "\u202fг.")  # a Russian date ends a sentence: one full stop


def report_environment(locale: str, currency: str, user_templates: Path | None = None,
                       base_dir: Path | None = None) -> jinja2.Environment:
    """The templates with the report's words (gettext), filters (Babel numbers, money, dates) and helpers: what
    every partial, headline and methodology is rendered with (tests of a single template use it too)."""
    env = environment(user_templates)
    env.filters.update(report_filters(Formatter(locale, currency)))
    words = translations(locale)
    env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(template_exists=lambda name: _exists(env, name),
                       methodology=lambda item: _methodology(env, item, locale, base_dir))
    env.filters["names"] = lambda items, limit=8: name_list(items, words, limit)
    env.filters["reason"] = lambda reason: reason_text(reason, words.gettext)
    return env


def report_filters(fmt: Formatter) -> dict[str, Any]:
    """The Jinja filters every template may use: the locale's numbers, money, dates, and row selection."""
    return {"num": fmt.num, "dec": fmt.dec, "pct": fmt.pct, "money": fmt.money, "money_digits": fmt.money_digits,
            "compact": fmt.compact, "date": fmt.date, "month": fmt.month, "weekday": fmt.weekday, "top": top_rows,
            "where": where}


TOP_ROWS = 20
"""Rows a group table shows in the report before it says "the rest are in tables/<name>.csv"."""


def top_rows(frame: Any, limit: int = TOP_ROWS, by: str | None = None) -> Any:
    """The `limit` rows with the largest `by` (original order kept): what fits a page of a 293-store chain."""
    if frame.height <= limit:
        return frame
    if by is None:
        return frame.head(limit)
    keep = frame.with_row_index("__pos").sort([by, "__pos"], descending=[True, False], nulls_last=True).head(limit)
    return keep.sort("__pos").drop("__pos")


def name_list(items: list[Any], words: Any, limit: int = 8) -> str:
    """'a, b, c' — or 'a, b, c and 12 more' past the limit (a sentence must not list 60 store numbers)."""
    shown = ", ".join(str(i) for i in items[:limit])
    rest = len(items) - limit
    if rest <= 0:
        return shown
    return str(words.ngettext("%(shown)s and %(rest)s more", "%(shown)s and %(rest)s more", rest)
               % {"shown": shown, "rest": rest})


def where(frame: Any, column: str, value: Any) -> Any:
    """Rows whose column equals value."""
    import polars as pl

    return frame.filter(pl.col(column) == value)


def _methodology(env: jinja2.Environment, item: Methodology, locale: str, base_dir: Path | None) -> Markup:
    """An analysis's methodology in the report's locale (English when the locale has no text of its own)."""
    name = f"methodology/{item.name}.{locale}.md"
    if not _exists(env, name):
        name = f"methodology/{item.name}.en.md"
    text = env.get_template(name).render(params=item.params, locale=locale)
    root = base_dir or Path.cwd()
    return render_markdown(text, base_dir=root, project_dir=root)


def _exists(env: jinja2.Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True


def data_uri(path: Path, project_dir: Path | None = None) -> str:
    """A file as a data URI (logos). With project_dir, the file must resolve inside it (symlinks followed)."""
    if project_dir is not None:
        from cjmgen.errors import Problem, UserError
        from cjmgen.spec.files import PathProblem, project_path

        try:
            path = project_path(project_dir, path.absolute())
        except PathProblem as exc:
            raise UserError(Problem(str(path), f"not embedded: {exc}")) from None
    kind = "image/svg+xml" if path.suffix.lower() == ".svg" else f"image/{path.suffix.lower().lstrip('.') or 'png'}"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
