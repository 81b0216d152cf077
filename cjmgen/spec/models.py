"""The spec, as pydantic models: the schema is the documentation (every field has a description)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from cjmgen.spec.journey import Journey, Matrix, Maturity, Qfd

TABLES = ("transactions", "customers", "survey", "competitor_purchases", "campaign_members", "touchpoint_audits")
"""Canonical tables a source can feed (METHODS §1)."""

CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("customer_id", "order_id", "date", "time", "amount", "quantity", "price", "sku", "category",
                     "store", "channel", "manager", "cost", "product_group"),
    "customers": ("customer_id", "gender", "birth_date", "age", "signup_date", "region"),
    "survey": ("respondent_id", "customer_id"),
    "competitor_purchases": ("customer_id", "competitor", "date", "amount", "category"),
    "campaign_members": ("customer_id", "campaign", "group", "start", "end"),
    "touchpoint_audits": ("touchpoint", "score", "store", "competitor", "date"),
}
"""Known canonical columns per table. Tables marked open below also accept any other attribute."""

OPEN_TABLES = frozenset({"customers", "survey"})

EARLIEST_AS_OF, LATEST_AS_OF = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
"""Analysis dates outside this range are typos (9999-12-31 overflows every period calculation)."""


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors and a validated spec never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Project(Strict):
    """Who the report is for and how its numbers read."""

    title: str = Field(description="Report title on the cover and in the running header.")
    client: str = Field(description="Client name, shown on the cover and in every page header.")
    subtitle: str | None = Field(None, description="Optional line under the title on the cover.")
    prepared_by: str | None = Field(None, description="Consultancy or author shown on the cover.")
    locale: Literal["en", "ru"] = Field("en", description="Report language and number/date format: en or ru.")
    currency: str = Field("USD", description="ISO 4217 currency code of all amounts, e.g. RUB, EUR, GBP.")
    as_of: dt.date | None = Field(
        None, description="Analysis date: lines after it are ignored. Default: the last transaction date, never today.")

    @field_validator("as_of")
    @classmethod
    def _plausible_as_of(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST_AS_OF <= value <= LATEST_AS_OF:
            raise ValueError(f"expected an analysis date from {EARLIEST_AS_OF} to {LATEST_AS_OF}, got {value}")
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        if value not in list_currencies():
            raise ValueError(f"expected an ISO 4217 currency code such as RUB, EUR, USD, got {value!r}")
        return value


class Source(Strict):
    """One client file mapped onto a canonical table."""

    path: Path = Field(description="File path, relative to the spec file.")
    format: Literal["csv", "parquet", "xlsx"] | None = Field(
        None, description="File format; inferred from the extension (.csv/.txt, .parquet, .xlsx) when omitted.")
    encoding: str = Field("utf-8", description="Text encoding of a CSV: utf-8, utf-8-sig, cp1251, latin-1, …")
    separator: str = Field(",", min_length=1, max_length=1, description="CSV field separator, e.g. ',' ';' or '\\t'.")
    decimal: Literal[".", ","] = Field(".", description="Decimal mark of numbers in the file: '.' or ','.")
    thousands: Literal[",", ".", "'"] | None = Field(
        None, description="Thousands separator to strip from numbers (',' or '.'); spaces inside numbers are always ignored.")
    date_format: str | None = Field(
        None, description="strftime format of dates, e.g. '%d.%m.%Y %H:%M'. Default: detected from the data and reported.")
    sheet: str | int | None = Field(None, description="Excel sheet name or 0-based index (xlsx only). Default: the first sheet.")
    null_values: list[str] = Field(
        default_factory=lambda: ["", "NULL", "null", "NA", "N/A", "n/a", "#N/A", "-"],
        description="Cell texts that mean 'no value'.")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column name → the file's column name. Canonical columns the file already has by the same name need no entry.")
    max_quarantine_share: float = Field(
        0.05, ge=0, le=1, description="Fail the build when more than this share of rows is quarantined (unparseable date or number).")
    drop_duplicates: bool = Field(
        False, description="Drop rows identical in every column to an earlier row (they are counted either way, in the "
                           "data-quality appendix and build.json). Default: keep them, as two equal lines can be two real purchases.")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}; expected e.g. utf-8, utf-8-sig, cp1251, latin-1") from None
        return value

    @field_validator("columns")
    @classmethod
    def _distinct_targets(cls, value: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for canonical, column in value.items():
            if column in seen:
                raise ValueError(f"file column {column!r} is mapped twice: to {seen[column]!r} and {canonical!r}")
            seen[column] = canonical
        return value

    def resolved_format(self) -> Literal["csv", "parquet", "xlsx"]:
        """The explicit format, or the one the file extension implies."""
        if self.format:
            return self.format
        suffixes = [s.lower() for s in self.path.suffixes]
        if ".parquet" in suffixes or ".pq" in suffixes:
            return "parquet"
        if ".xlsx" in suffixes or ".xlsm" in suffixes:
            return "xlsx"
        return "csv"


class Section(Strict):
    """One chapter of the report: a computed section by name, a Markdown file, or inline Markdown text."""

    section: str | None = Field(None, description="A computed section: summary, an analysis name (rfm, cohorts, …), journey, qfd.")
    markdown: Path | None = Field(None, description="A Markdown file (relative to the spec) rendered as a chapter.")
    text: str | None = Field(None, description="Inline Markdown rendered as a chapter.")
    title: str | None = Field(None, description="Chapter title (Markdown chapters: default the file's first heading).")

    @model_validator(mode="after")
    def _exactly_one(self) -> Section:
        given = [k for k in ("section", "markdown", "text") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a section is a name (e.g. rfm), or {markdown: file.md}, or {text: '…'}: give exactly one")
        return self


def _section_from_name(value: Any) -> Any:
    return {"section": value} if isinstance(value, str) else value


class Theme(Strict):
    """Look of the report."""

    logo: Path | None = Field(None, description="Logo image (SVG or PNG) for the cover and header, relative to the spec.")
    primary: str = Field("#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$", description="Primary colour (#rrggbb): headings, charts.")
    accent: str = Field("#e07b39", pattern=r"^#[0-9a-fA-F]{6}$", description="Accent colour (#rrggbb): highlights.")
    page_size: Literal["A4", "Letter"] = Field("A4", description="Paper size of the PDF.")
    orientation: Literal["portrait", "landscape"] = Field("portrait", description="Page orientation of the PDF.")


class Report(Strict):
    """What the build writes and how the report is laid out."""

    outputs: list[Literal["pdf", "html", "xlsx"]] = Field(
        default_factory=lambda: ["pdf", "html", "xlsx"],  # type: ignore[arg-type]  # literals, typed as list[str]
        description="Files to write besides the CSV tables: pdf, html, xlsx.")
    sections: list[Annotated[Section, BeforeValidator(_section_from_name)]] | None = Field(
        None, description="Chapters in order. Default: summary, then every configured analysis and the journey/QFD chapters.")
    theme: Theme = Field(default_factory=Theme, description="Colours, logo and page setup.")
    templates: Path | None = Field(
        None, description="A folder of Jinja2 templates overriding built-in partials by name (e.g. _rfm.html).")


class SpecBase(Strict):
    """A cjmgen project spec. The `analyses` block is added from the analysis registry."""

    project: Project = Field(description="Title, client, locale, currency and analysis date.")
    sources: dict[str, Source] = Field(
        default_factory=dict, description="Data files by canonical table: transactions, customers, survey, touchpoint_audits, …")
    journey: Journey | None = Field(None, description="Customer journey: stages, lanes, roles and touchpoints.")
    qfd: Qfd | None = Field(None, description="House of quality: choice factors, weights and factor × touchpoint links.")
    maturity: Maturity | None = Field(None, description="Digital-maturity scores per dimension (radar chart).")
    matrices: list[Matrix] = Field(default_factory=list, description="Free tables from the spec, e.g. segment × message × channel.")
    report: Report = Field(default_factory=Report, description="Outputs, chapter order and theme.")
