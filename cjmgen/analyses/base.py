"""The analysis contract: every analysis is one module satisfying `Analysis`, registered once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl
from pydantic import BaseModel

if TYPE_CHECKING:
    import altair as alt

    from cjmgen.facts import Facts
    from cjmgen.spec.models import SpecBase


@dataclass(frozen=True)
class Context:
    """What compute receives: the validated spec and the shared facts (None when the spec has no sources)."""

    spec: "SpecBase"
    facts: "Facts | None"

    @property
    def locale(self) -> str:
        return self.spec.project.locale


@dataclass(frozen=True)
class Result:
    """Named tables (each exported as tables/<key>.csv), scalar facts quoted by the template, customer lists."""

    name: str
    tables: dict[str, pl.DataFrame]
    facts: dict[str, Any] = field(default_factory=dict)
    segments: dict[str, list[str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class Analysis(Protocol):
    """One analysis: a module with these attributes (see cjmgen/analyses/rfm.py for the model)."""

    name: str
    """Key in the spec (`analyses.<name>`, or the top-level block named by `spec_block`) and section name."""
    title: dict[str, str]
    """Chapter title per locale (en, ru)."""
    Params: type[BaseModel] | None
    """The spec block's model for `analyses.<name>`; None when the analysis reads a top-level block."""
    spec_block: str | None
    """Top-level spec attribute that configures it (e.g. "qfd"), or None for `analyses.<name>`."""
    needs: dict[str, tuple[str, ...]]
    """Canonical table → columns it requires; checked against the spec before any compute."""

    def compute(self, ctx: Context, params: Any) -> Result: ...

    # Optional: `needs_for(params) -> list[(spec sub-path, table, column)]` — columns its parameters imply
    # (e.g. a breakdown by store needs transactions.store), checked and located before any compute.

    def charts(self, result: Result, ctx: Context) -> "dict[str, alt.Chart | alt.LayerChart]": ...

    def methodology(self, params: Any, locale: str) -> str:
        """Markdown stating the definitions used, rendered in the methodology appendix."""
        ...


class Labels(dict):
    """A module's LABELS in one locale: `t["F score"]` or `t("F score")`; text without a translation stays as given."""

    def __missing__(self, key: str) -> str:
        return key

    def __call__(self, text: str) -> str:
        return self[text]


def localized(labels: dict[str, dict[str, str]], locale: str) -> Labels:
    """The UI strings of an analysis (English key → {locale: text}) in the report's locale."""
    return Labels({english: texts.get(locale, english) for english, texts in labels.items()})


def params_of(analysis: Analysis, spec: "SpecBase") -> Any | None:
    """The analysis's configuration from the spec, or None when the spec does not ask for it."""
    if analysis.spec_block is not None:
        return getattr(spec, analysis.spec_block, None)
    return getattr(spec.analyses, analysis.name, None)  # type: ignore[attr-defined]
