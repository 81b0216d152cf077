"""RFM scores of customers (METHODS §2), shared by the RFM chapter and every breakdown by RFM segment.

The RFM analysis owns the chapter; LTV and repeat purchases break their figures down by the same segments, so the
scoring and its spec block live here, below the analyses, and none of them imports another.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BeforeValidator, Field, model_validator

from cjmgen.spec.common import IntList, Strict

DIMENSIONS = ("r", "f", "m")


class Bins(Strict):
    """Number of scores per dimension (2–10)."""

    r: int = Field(3, ge=2, le=10, description="Recency scores.")
    f: int = Field(3, ge=2, le=10, description="Frequency scores.")
    m: int = Field(3, ge=2, le=10, description="Monetary scores.")


class Thresholds(Strict):
    """Ascending cut points per dimension. F, M score = 1 + cut points ≤ value; R score = 1 + cut points ≥ days."""

    r: list[float] = Field(description="Days since the last order, e.g. [30, 90]: ≤30 → 3, ≤90 → 2, else 1.")
    f: list[float] = Field(description="Orders, e.g. [2, 4]: 1 → 1, 2–3 → 2, ≥4 → 3.")
    m: list[float] = Field(description="Money (revenue or average check), e.g. [100, 500].")


class SegmentName(Strict):
    """A named group of score patterns with its trigger action. Omitted dimensions match any score."""

    name: str = Field(description="Segment name shown in the report, e.g. 'Champions' or «Люблю».")
    r: IntList | None = Field(None, description="R scores (an int or a list) this name covers.")
    f: IntList | None = Field(None, description="F scores this name covers.")
    m: IntList | None = Field(None, description="M scores this name covers.")
    goal: str | None = Field(None, description="Trigger goal, e.g. 'keep the best'.")
    message: str | None = Field(None, description="What to tell these customers.")
    channel: str | None = Field(None, description="Where to tell them: SMS, e-mail, app push, call…")
    timing: str | None = Field(None, description="When: e.g. 'day 25 after the last order'.")


def _bins_from_int(value: Any) -> Any:
    return {"r": value, "f": value, "m": value} if isinstance(value, int) and not isinstance(value, bool) else value


class Params(Strict):
    """RFM segmentation: recency, frequency and monetary scores, segment codes like R3F3M2, names and triggers."""

    bins: Annotated[Bins, BeforeValidator(_bins_from_int)] = Field(
        default_factory=Bins, description="Scores per dimension: an int (all three) or {r, f, m}, each 2–10.")
    method: Literal["quantile", "thresholds"] = Field(
        "quantile", description="quantile: equal-count bins on customers (ties kept together); thresholds: cut points below.")
    thresholds: Thresholds | None = Field(None, description="Cut points per dimension when method is thresholds.")
    monetary: Literal["total", "avg_check"] = Field("total", description="M = total revenue or average check.")
    names: list[SegmentName] = Field(
        default_factory=list, description="Named segments with trigger actions; the first matching name wins.")
    other_name: str = Field("Other", description="Name of customers no `names` entry matches.")

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        if self.method == "thresholds" and self.thresholds is None:
            raise ValueError("method 'thresholds' needs thresholds: {r: [...], f: [...], m: [...]}")
        for dim in DIMENSIONS if self.thresholds else ():
            cuts = getattr(self.thresholds, dim)
            if cuts != sorted(set(cuts)) or not 1 <= len(cuts) <= 9:
                raise ValueError(f"thresholds.{dim}: expected 1–9 strictly ascending cut points, got {cuts}")
        for entry in self.names:
            for dim in DIMENSIONS:
                top = self.levels(dim)
                wrong = [s for s in getattr(entry, dim) or [] if not 1 <= s <= top]
                if wrong:
                    raise ValueError(f"names '{entry.name}': {dim} scores run 1–{top}, got {wrong}")
        return self

    def levels(self, dim: str) -> int:
        """Number of scores of a dimension."""
        if self.method == "thresholds" and self.thresholds:
            return len(getattr(self.thresholds, dim)) + 1
        return int(getattr(self.bins, dim))


def score_customers(people: pl.DataFrame, as_of: dt.date, params: Params) -> pl.DataFrame:
    """Per customer: recency_days, frequency, monetary, the three scores, segment code and name."""
    money = pl.col("revenue") / pl.col("orders") if params.monetary == "avg_check" else pl.col("revenue")
    base = people.with_columns(
        (pl.lit(as_of) - pl.col("last_day")).dt.total_days().alias("recency_days"),
        pl.col("orders").alias("frequency"),
        money.alias("monetary"),
    )
    scored = base.with_columns(
        _score("recency_days", params, "r", lower_is_better=True).alias("r"),
        _score("frequency", params, "f").alias("f"),
        _score("monetary", params, "m").alias("m"),
    )
    code = pl.format("R{}F{}M{}", "r", "f", "m")
    return scored.with_columns(code.alias("segment"), _name_expr(params).alias("name"))


def _score(column: str, params: Params, dim: str, lower_is_better: bool = False) -> pl.Expr:
    value = pl.col(column).cast(pl.Float64)
    if params.method == "thresholds":
        cuts = getattr(params.thresholds, dim)
        hits = [(value <= c) if lower_is_better else (value >= c) for c in cuts]
        return (1 + pl.sum_horizontal([h.cast(pl.Int32) for h in hits])).cast(pl.Int32)
    n = params.levels(dim)
    below = (-value if lower_is_better else value).rank("min") - 1
    return ((below * n) // pl.len() + 1).cast(pl.Int32)


def _name_expr(params: Params) -> pl.Expr:
    expr = pl.lit(params.other_name)
    for entry in reversed(params.names):
        conditions = [pl.col(d).is_in(getattr(entry, d)) for d in DIMENSIONS if getattr(entry, d)]
        expr = pl.when(pl.all_horizontal(conditions) if conditions else pl.lit(True)).then(pl.lit(entry.name)).otherwise(expr)
    return expr


def params_in(spec: Any) -> Params:
    """The spec's RFM settings (`analyses.rfm`), or the defaults when the spec has none: breakdowns by RFM segment
    use the same segments the RFM chapter shows."""
    configured = getattr(getattr(spec, "analyses", None), "rfm", None) if spec is not None else None
    return configured if isinstance(configured, Params) else Params()
