"""Per-customer features of the cluster analysis (METHODS §6): transactional (tx) and survey (cx) features.

A helper module of `clusters`, not an analysis: polars only, one row per customer sorted by customer_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from cjmgen.facts import Sales

TX_FEATURES = ("orders", "revenue", "avg_check", "avg_days_between", "recency_days", "lines_per_order")
"""The transactional features, before category shares."""
LOG_FEATURES = frozenset({"orders", "revenue", "avg_check", "lines_per_order"})
"""Money and counts: log1p-transformed before standardizing when `log_scale` is on (heavy right tails)."""
MAX_CATEGORIES = 6
"""Category share features: the categories with the most purchased lines, at most this many."""
TOP_CATEGORIES = 3
"""Categories listed per cluster in the profile."""

FeatureKind = Literal["tx", "category", "cx"]


@dataclass(frozen=True)
class Feature:
    """One clustering feature: its column, what it is, and the text a report shows for it when the data names it."""

    key: str
    """Column in the customer and profile tables (`orders`, `share_<category>`, a survey column)."""
    kind: FeatureKind
    label: str
    """The category (kind category) or the survey question text (kind cx); the key for tx features."""
    log: bool
    """log1p-transformed before standardizing."""


def tx_features(sales: Sales, log_scale: bool) -> tuple[pl.DataFrame, list[Feature]]:
    """Orders, net revenue, average check, average days between orders (null for one-order customers), recency,
    lines per order and, when `category` is mapped, the share of each top category in the customer's purchased lines."""
    real = sales.orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null())
    lines = real.group_by("customer_id").agg(pl.col("lines").sum().alias("_lines"))
    orders = pl.col("orders").cast(pl.Float64)
    frame = (sales.customers.select("customer_id", "first_day", "last_day", "orders", "revenue")
             .join(lines, on="customer_id", how="left")
             .with_columns(
                 orders.alias("orders"),
                 pl.col("revenue").cast(pl.Float64),
                 (pl.col("revenue") / orders).alias("avg_check"),
                 pl.when(pl.col("orders") > 1)
                 .then((pl.col("last_day") - pl.col("first_day")).dt.total_days() / (orders - 1))
                 .otherwise(None).cast(pl.Float64).alias("avg_days_between"),
                 (pl.lit(sales.as_of) - pl.col("last_day")).dt.total_days().cast(pl.Float64).alias("recency_days"),
                 (pl.col("_lines").fill_null(0).cast(pl.Float64) / orders).alias("lines_per_order"))
             .select("customer_id", *TX_FEATURES).sort("customer_id"))
    features = [Feature(key, "tx", key, log_scale and key in LOG_FEATURES) for key in TX_FEATURES]
    if "category" not in sales.lines.columns:
        return frame, features
    shares, categories = category_shares(sales)
    frame = frame.join(shares, on="customer_id", how="left").with_columns(
        pl.col(f"share_{c}").fill_null(0.0) for c in categories)
    return frame, features + [Feature(f"share_{c}", "category", c, False) for c in categories]


def purchased_lines(sales: Sales) -> pl.DataFrame:
    """customer_id, category of identified customers' purchased lines (positive amount), category given."""
    return (sales.lines.lazy()
            .filter(pl.col("customer_id").is_not_null() & pl.col("category").is_not_null() & (pl.col("amount") > 0))
            .select("customer_id", pl.col("category").cast(pl.String)).collect())


def category_shares(sales: Sales) -> tuple[pl.DataFrame, list[str]]:
    """Per customer, the share of each top category in their purchased lines (wide), and those categories."""
    bought = purchased_lines(sales)
    ranked = bought.group_by("category").agg(pl.len().alias("n")).sort(["n", "category"], descending=[True, False])
    categories = ranked["category"].head(MAX_CATEGORIES).to_list()
    per = (bought.group_by("customer_id", "category").agg(pl.len().alias("n"))
           .with_columns((pl.col("n") / pl.col("n").sum().over("customer_id")).alias("share"))
           .filter(pl.col("category").is_in(categories)))
    wide = pl.DataFrame({"customer_id": bought["customer_id"].unique().sort()}, schema={"customer_id": pl.String})
    for c in categories:
        one = per.filter(pl.col("category") == c).select("customer_id", pl.col("share").alias(f"share_{c}"))
        wide = wide.join(one, on="customer_id", how="left")
    return wide, categories


def rating_columns(survey: pl.DataFrame, spec: Any) -> list[str]:
    """The survey analysis's `ratings` when the spec gives them, else every numeric column but the ids."""
    configured = getattr(getattr(getattr(spec, "analyses", None), "survey", None), "ratings", None)
    if configured:
        return list(configured)
    ids = ("respondent_id", "customer_id")
    return [c for c, dtype in survey.schema.items() if c not in ids and dtype.is_numeric()]


def cx_features(survey: pl.DataFrame, spec: Any, taken: set[str]) -> tuple[pl.DataFrame, list[Feature]]:
    """Mean rating per customer for every rating column (several answers of one customer are averaged); a column
    whose name a tx feature already uses is prefixed `survey_`."""
    columns = rating_columns(survey, spec)
    labels = getattr(getattr(getattr(spec, "analyses", None), "survey", None), "labels", None) or {}
    keys = {c: f"survey_{c}" if c in taken else c for c in columns}
    frame = (survey.filter(pl.col("customer_id").is_not_null())
             .group_by(pl.col("customer_id").cast(pl.String))
             .agg(pl.col(c).cast(pl.Float64).mean().alias(keys[c]) for c in columns)
             .sort("customer_id"))
    return frame, [Feature(keys[c], "cx", str(labels.get(c, c)), False) for c in columns]


def top_categories(sales: Sales, assigned: pl.DataFrame) -> pl.DataFrame:
    """cluster → its TOP_CATEGORIES categories with the most purchased lines, joined with ", "."""
    bought = purchased_lines(sales).join(assigned.select("customer_id", "cluster"), on="customer_id")
    counted = bought.group_by("cluster", "category").agg(pl.len().alias("n")).sort(
        ["cluster", "n", "category"], descending=[False, True, False])
    return counted.group_by("cluster", maintain_order=True).agg(
        pl.col("category").head(TOP_CATEGORIES).str.join(", ").alias("top_categories"))
