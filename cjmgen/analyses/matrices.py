"""Free tables from the spec (METHODS §11): segment × message × channel, trigger matrices, initiative lists."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.base import Context
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.spec.journey import Matrix

name = "matrices"
title = {"en": "Strategy matrices", "ru": "Матрицы стратегии"}
Params = None
spec_block = "matrices"
needs: dict[str, tuple[str, ...]] = {}


def compute(ctx: Context, params: list[Matrix]) -> Result:
    """Each matrix as a table `matrix_<id>` with the spec's headers (exported as CSV)."""
    tables = {f"matrix_{m.id}": pl.DataFrame([dict(zip(m.columns, row, strict=False)) for row in m.rows],
                                             schema={c: pl.String for c in m.columns}) for m in params}
    return Result(name, tables, {"matrices": len(params)})


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """Matrices are tables only."""
    return {}


LABELS: dict[str, dict[str, str]] = {}


def methodology(params: list[Matrix], locale: str) -> str:
    """Matrices are the consultants' own content, shown as written."""
    if locale == "ru":
        return "Матрицы составлены проектной командой и приведены так, как заданы в спецификации; расчётов в них нет."
    return "The matrices are the project team's own content, shown as written in the spec; nothing in them is computed."
