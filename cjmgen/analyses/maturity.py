"""Digital maturity (METHODS §11): scores per dimension against target and benchmark, drawn as a radar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import polars as pl

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.spec.journey import Maturity

__all__ = ["MaturityResult", "Params", "compute", "name", "needs", "spec_block"]

name = "maturity"
Params = None
spec_block = "maturity"
needs: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class MaturityResult(Result):
    """Per dimension: score, target, gap, benchmark, gap to benchmark; the facts the chapter quotes."""

    scale_min: float
    scale_max: float
    mean_score: float
    weakest: str
    weakest_score: float
    strongest: str
    strongest_score: float
    largest_gap: str | None
    largest_gap_value: float | None
    has_target: bool
    has_benchmark: bool
    mean_target: float | None
    benchmark_name: str | None
    """The benchmark's name from the spec (the chapter says "Benchmark" when none is given)."""
    note: str | None
    dimensions: Annotated[pl.DataFrame, Table("maturity")]
    """dimension, name, score, target, benchmark, comment, gap, benchmark_gap — in radar order."""


def compute(ctx: Context, params: Maturity) -> MaturityResult:
    """Per dimension: score, target, gap to target, benchmark, gap to benchmark; facts for the lead sentence."""
    frame = pl.DataFrame(
        [{"dimension": d.id, "name": d.name, "score": d.score, "target": d.target, "benchmark": d.benchmark,
          "comment": d.comment} for d in params.dimensions],
        schema={"dimension": pl.String, "name": pl.String, "score": pl.Float64, "target": pl.Float64,
                "benchmark": pl.Float64, "comment": pl.String},
    ).with_columns((pl.col("target") - pl.col("score")).alias("gap"),
                   (pl.col("benchmark") - pl.col("score")).alias("benchmark_gap"))
    ordered = frame.with_row_index("order")
    weakest = ordered.sort(["score", "order"]).row(0, named=True)
    strongest = ordered.sort(["score", "order"], descending=[True, False]).row(0, named=True)
    gaps = ordered.filter(pl.col("gap").is_not_null()).sort(["gap", "order"], descending=[True, False])
    has_target = bool(frame["target"].is_not_null().any())
    return MaturityResult(
        dimensions=frame, scale_min=params.scale.min, scale_max=params.scale.max,
        mean_score=float(frame["score"].mean()),  # type: ignore[arg-type]
        weakest=weakest["name"], weakest_score=weakest["score"],
        strongest=strongest["name"], strongest_score=strongest["score"],
        largest_gap=gaps["name"][0] if gaps.height else None,
        largest_gap_value=float(gaps["gap"][0]) if gaps.height else None,
        has_target=has_target, has_benchmark=bool(frame["benchmark"].is_not_null().any()),
        mean_target=float(frame["target"].mean()) if has_target else None,  # type: ignore[arg-type]
        benchmark_name=params.benchmark_name, note=params.note,
    )
