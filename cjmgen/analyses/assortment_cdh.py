"""Customer decision hierarchy for the assortment analysis (not an analysis itself).

On the customer × item incidence of the period (did the customer buy the item in a basket of the period?), every pair
of kept items gets a = customers with both, b = with A only, c = with B only, d = with neither (of the period's
customers), and Yule's Q = (ad − bc) / (ad + bc) (null when ad + bc = 0). Strongly negative Q between items of the
same parent marks substitutes. The items are clustered by average linkage on the distance 1 − Q (null Q: 1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from cjmgen.facts import basket_lines

__all__ = ["CDH_COLUMNS", "CdhTree", "decision_hierarchy", "yules_q"]

CDH_COLUMNS = ("item_a", "item_b", "q", "customers_a", "customers_b", "customers_both", "substitutes")


@dataclass(frozen=True)
class CdhTree:
    """The dendrogram: leaves in drawing order and its links as (x0, y0, x1, y1) segments (x in leaf units 0 … n−1,
    y the 1 − Q distance at which branches join)."""

    leaves: list[str]
    segments: list[tuple[float, float, float, float]]
    customers: int
    """Customers of the period (the d of every pair counts among them)."""


def yules_q(both: pl.Expr, only_a: pl.Expr, only_b: pl.Expr, neither: pl.Expr) -> pl.Expr:
    """(ad − bc) / (ad + bc), null when the denominator is 0."""
    ad = both.cast(pl.Float64) * neither.cast(pl.Float64)
    bc = only_a.cast(pl.Float64) * only_b.cast(pl.Float64)
    return pl.when(ad + bc > 0).then((ad - bc) / (ad + bc)).otherwise(None)


def decision_hierarchy(lines: pl.DataFrame, level: str, parent: str | None, start: dt.date | None, min_buyers: int,
                       max_items: int, substitute_q: float) -> tuple[pl.DataFrame, CdhTree]:
    """Every pair of the kept items (at least min_buyers buyers in the period, the max_items most bought) with Q and
    the substitute flag, and the tree."""
    bl = basket_lines(lines, level).filter(pl.col("customer_id").is_not_null())
    if start is not None:
        bl = bl.filter(pl.col("day") > start)
    frame = bl.select("customer_id", "item", *([parent] if parent else [])).collect()
    total = frame["customer_id"].n_unique()
    pairs = frame.drop_nulls("item").select("customer_id", "item").unique()
    kept = (pairs.group_by("item").agg(pl.len().cast(pl.Int64).alias("buyers"))
            .filter(pl.col("buyers") >= min_buyers).sort(["buyers", "item"], descending=[True, False]).head(max_items))
    table = _pairs(pairs.join(kept.select("item"), on="item"), kept, total)
    table = table.with_columns(_substitutes(table, frame, parent, substitute_q).alias("substitutes"))
    ordered = table.select(CDH_COLUMNS).sort(["q", "item_a", "item_b"], nulls_last=True)
    return ordered, _tree(sorted(kept["item"].to_list()), ordered, total)


def _pairs(incidence: pl.DataFrame, kept: pl.DataFrame, total: int) -> pl.DataFrame:
    """item_a < item_b for every two kept items, with their buyers, common buyers and Q."""
    both = (incidence.join(incidence, on="customer_id", suffix="_b").filter(pl.col("item") < pl.col("item_b"))
            .group_by("item", "item_b").agg(pl.len().cast(pl.Int64).alias("customers_both"))
            .rename({"item": "item_a"}))
    left = kept.select(pl.col("item").alias("item_a"), pl.col("buyers").alias("customers_a"))
    right = kept.select(pl.col("item").alias("item_b"), pl.col("buyers").alias("customers_b"))
    grid = left.join(right, how="cross").filter(pl.col("item_a") < pl.col("item_b"))
    table = grid.join(both, on=["item_a", "item_b"], how="left").with_columns(pl.col("customers_both").fill_null(0))
    a, ca, cb = pl.col("customers_both"), pl.col("customers_a"), pl.col("customers_b")
    return table.with_columns(yules_q(a, ca - a, cb - a, pl.lit(total) - ca - cb + a).alias("q"))


def _substitutes(table: pl.DataFrame, frame: pl.DataFrame, parent: str | None, cut: float) -> pl.Series:
    """Q at or below the cut and, when a parent column is mapped, the same parent (an item's most frequent one)."""
    low = table["q"].le(cut).fill_null(False)
    if parent is None or not table.height:
        return low
    owner = (frame.drop_nulls(["item", parent]).group_by("item", parent).agg(pl.len().alias("n"))
             .sort(["item", "n", parent], descending=[False, True, False]).group_by("item", maintain_order=True)
             .agg(pl.col(parent).first().cast(pl.String).alias("p")))
    parents = (table.select("item_a", "item_b")
               .join(owner.rename({"item": "item_a", "p": "pa"}), on="item_a", how="left", maintain_order="left")
               .join(owner.rename({"item": "item_b", "p": "pb"}), on="item_b", how="left", maintain_order="left"))
    return low & (parents["pa"] == parents["pb"]).fill_null(False)


def _tree(items: list[str], table: pl.DataFrame, total: int) -> CdhTree:
    """Average linkage on 1 − Q (null Q counts as 1: no evidence either way); the dendrogram's segments."""
    if len(items) < 2:
        return CdhTree(items, [], total)
    import numpy as np
    from scipy.cluster.hierarchy import dendrogram, linkage
    from scipy.spatial.distance import squareform

    index = {item: i for i, item in enumerate(items)}
    distance = np.ones((len(items), len(items)))
    np.fill_diagonal(distance, 0.0)
    for a, b, q in table.select("item_a", "item_b", "q").iter_rows():
        value = 1.0 - q if q is not None else 1.0
        distance[index[a], index[b]] = distance[index[b], index[a]] = value
    drawn = dendrogram(linkage(squareform(distance, checks=False), method="average"), labels=items, no_plot=True)
    segments: list[tuple[float, float, float, float]] = []
    for xs, ys in zip(drawn["icoord"], drawn["dcoord"], strict=True):
        points = [((x - 5.0) / 10.0, float(y)) for x, y in zip(xs, ys, strict=True)]
        segments += [(p[0], p[1], q[0], q[1]) for p, q in zip(points, points[1:], strict=False)]
    return CdhTree([str(leaf) for leaf in drawn["ivl"]], segments, total)
