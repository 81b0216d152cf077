"""The analysis contract: every analysis is one module satisfying `Analysis`, registered once.

A module declares `name`, `Params`, `spec_block`, `needs` and a pure `compute(ctx, params)` returning a frozen
dataclass derived from `Result`. Its charts live in `cjmgen/charts/<name>.py`, its words in
`report_templates/_<name>.html`, `report_templates/methodology/<name>.<locale>.md` and the gettext catalogs.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl
from pydantic import BaseModel

if TYPE_CHECKING:
    from cjmgen.facts import Facts
    from cjmgen.spec.models import SpecBase

NeedsFor = list[tuple[tuple[str | int, ...], str, str]]
"""(spec sub-path under the analysis block, table, column) triples a parameter implies."""


@dataclass(frozen=True)
class Context:
    """What compute receives: the validated spec and the shared facts (None when the spec has no sources)."""

    spec: SpecBase
    facts: Facts | None

    @property
    def locale(self) -> str:
        """The report's locale (analyses never use it for words; charts and templates do)."""
        return str(self.spec.project.locale)


@dataclass(frozen=True)
class Table:
    """Marks a result field as a table exported to `tables/<file_name>.csv`:
    `customers: Annotated[pl.DataFrame, Table("rfm_customers")]` (a None value: not part of this build)."""

    file_name: str


@dataclass(frozen=True)
class Result:
    """Base of every analysis result: typed fields, the tables among them annotated with `Table(...)`."""

    def exported_tables(self) -> dict[str, pl.DataFrame]:
        """File name → table for every table field that is set, in field order."""
        hints = typing.get_type_hints(type(self), include_extras=True)
        found: dict[str, pl.DataFrame] = {}
        for item in dataclasses.fields(self):
            marks = [m for m in getattr(hints[item.name], "__metadata__", ()) if isinstance(m, Table)]
            value = getattr(self, item.name)
            if marks and value is not None:
                found[marks[0].file_name] = value
        return found

    def customer_lists(self) -> dict[str, pl.DataFrame]:
        """Segment name → customer list (customer_id first) written to `segments/<name>.csv`."""
        return {}


class Analysis(Protocol):
    """One analysis: a module with these attributes (see cjmgen/analyses/rfm.py for the model)."""

    name: str
    """Key in the spec (`analyses.<name>`, or the top-level block named by `spec_block`) and section name."""
    Params: type[BaseModel] | None
    """The spec block's model for `analyses.<name>`; None when the analysis reads a top-level block."""
    spec_block: str | None
    """Top-level spec attribute that configures it (e.g. "qfd"), or None for `analyses.<name>`."""
    needs: dict[str, tuple[str, ...]]
    """Canonical table → columns it requires; checked against the files' headers before any compute."""

    def compute(self, ctx: Context, params: Any) -> Result: ...

    # Optional: `needs_for(params) -> NeedsFor` — columns its parameters imply (e.g. a breakdown by store
    # needs transactions.store), checked and located at their spec keys before any compute.


def params_of(analysis: Analysis, spec: SpecBase) -> Any | None:
    """The analysis's configuration from the spec, or None when the spec does not ask for it."""
    if analysis.spec_block is not None:
        return getattr(spec, analysis.spec_block, None)
    return getattr(getattr(spec, "analyses", None), analysis.name, None)
