"""Free tables from the spec (METHODS §11): segment × message × channel, trigger matrices, initiative lists."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cjmgen.analyses.base import Context, Result
from cjmgen.spec.journey import Matrix

__all__ = ["MatricesResult", "MatrixTable", "Params", "compute", "name", "needs", "spec_block"]

name = "matrices"
Params = None
spec_block = "matrices"
needs: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class MatrixTable:
    """One matrix: its id, title, note and the rows as text under the spec's headers."""

    id: str
    title: str
    note: str | None
    table: pl.DataFrame


@dataclass(frozen=True)
class MatricesResult(Result):
    """Every matrix in spec order, each exported as tables/matrix_<id>.csv."""

    matrices: list[MatrixTable]

    def exported_tables(self) -> dict[str, pl.DataFrame]:
        """matrix_<id> → table (the ids come from the spec, so the fields cannot be declared one by one)."""
        return {f"matrix_{m.id}": m.table for m in self.matrices}


def compute(ctx: Context, params: list[Matrix]) -> MatricesResult:
    """Each matrix as a table of strings with the spec's headers."""
    return MatricesResult([
        MatrixTable(m.id, m.title, m.note, pl.DataFrame([dict(zip(m.columns, row, strict=False)) for row in m.rows],
                                                        schema={c: pl.String for c in m.columns}))
        for m in params])
