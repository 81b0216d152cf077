"""Customer clusters (METHODS §6): k-means on standardized per-customer features, a profile per cluster with its
job to be done, and the clusters against RFM segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import polars as pl
from pydantic import Field, model_validator

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.analyses.clusters_features import Feature, cx_features, top_categories, tx_features
from cjmgen.analyses.clusters_fit import design_matrix, fit
from cjmgen.errors import Problem, UserError
from cjmgen.facts import MONEY_DECIMALS, Sales
from cjmgen.scoring import params_in, score_customers
from cjmgen.spec.common import Strict

__all__ = ["ClusterLabel", "ClusterName", "ClustersResult", "Feature", "KRange", "Params", "compute", "name", "needs",
           "needs_for", "spec_block"]

name = "clusters"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}


class KRange(Strict):
    """A range of k to try; the k with the highest mean silhouette is kept."""

    min: int = Field(ge=2, le=20, description="Smallest number of clusters tried (2–20).")
    max: int = Field(ge=2, le=20, description="Largest number of clusters tried (2–20).")

    @model_validator(mode="after")
    def _ordered(self) -> KRange:
        if self.min > self.max:
            raise ValueError(f"expected min ≤ max, got min {self.min} and max {self.max}")
        return self


class ClusterName(Strict):
    """A name and job to be done for the cluster with the highest (or lowest) mean of a feature in the profile.
    Features: orders, revenue, avg_check, avg_days_between, recency_days, lines_per_order, share_<category>, or a
    survey rating column."""

    highest: str | None = Field(None, description="Feature whose highest cluster mean picks the cluster, e.g. avg_check.")
    lowest: str | None = Field(None, description="Feature whose lowest cluster mean picks the cluster, e.g. recency_days.")
    name: str = Field(description="Cluster name shown in the report and in segments/cluster_<name>.csv.")
    job: str | None = Field(None, description="The cluster's job to be done, e.g. 'stock up for the family monthly'.")

    @model_validator(mode="after")
    def _one_feature(self) -> ClusterName:
        if (self.highest is None) == (self.lowest is None):
            raise ValueError("expected exactly one of highest or lowest")
        return self

    @property
    def feature(self) -> str:
        """The feature the entry ranks clusters by."""
        return str(self.highest if self.highest is not None else self.lowest)


class Params(Strict):
    """Customer clusters (k-means on standardized features) with a profile and job to be done per cluster."""

    features: Literal["tx", "cx", "both"] = Field(
        "tx", description="tx: from transactions (orders, revenue, average check, days between orders, recency, lines "
                          "per order, category shares); cx: the survey's ratings joined on customer_id; both.")
    k: Annotated[int, Field(ge=2, le=20)] | KRange = Field(
        4, description="Number of clusters (2–20), or {min, max}: the k with the highest silhouette is kept.")
    seed: int = Field(0, description="Random seed of k-means: the same data and seed give the same clusters.")
    names: list[ClusterName] = Field(
        default_factory=list, description="Names and jobs to be done, matched in order to the clusters by their profile; "
                                          "other clusters are 'Cluster 1', 'Cluster 2', …")
    log_scale: bool = Field(True, description="log1p of money and counts (orders, revenue, average check, lines per "
                                              "order) before standardizing, so a few big spenders do not make a cluster each.")

    @property
    def k_range(self) -> int | tuple[int, int]:
        """k, or (min, max)."""
        return self.k if isinstance(self.k, int) else (self.k.min, self.k.max)


def needs_for(params: Params) -> NeedsFor:
    """Survey features need a survey source with customer ids."""
    return [(("features",), "survey", "customer_id")] if params.features in ("cx", "both") else []


@dataclass(frozen=True)
class ClusterLabel:
    """A cluster's number (1 = the largest), name (from the spec, else 'Cluster n'), job and cross-table column."""

    cluster: int
    name: str
    given: bool
    """True when a `names` entry named it (templates show 'Cluster n' in the report's language otherwise)."""
    job: str | None
    column: str
    """Its column in the cluster × RFM table: cluster_<n>."""


@dataclass(frozen=True)
class ClustersResult(Result):
    """Cluster per customer, the profile, the cluster × RFM segment table, standardized means and silhouettes."""

    customers: Annotated[pl.DataFrame, Table("clusters_customers")]
    """customer_id, cluster, name, then every feature (raw values; days between orders null for one order)."""
    profile: Annotated[pl.DataFrame, Table("clusters_profile")]
    """cluster, name, job, customers, customers_share, revenue_share, mean of each feature, top_categories."""
    rfm: Annotated[pl.DataFrame, Table("clusters_rfm")]
    """segment, customers, then cluster_<n>: share of the cluster's customers in that RFM segment."""
    silhouette: Annotated[pl.DataFrame | None, Table("clusters_silhouette")]
    """k, silhouette, chosen — when k is chosen from a range."""
    snake: pl.DataFrame
    """cluster, feature, z: the cluster's mean of the standardized feature (the snake plot)."""
    features: list[Feature]
    clusters: list[ClusterLabel]
    k: int
    k_chosen: bool
    k_tried: tuple[int, int] | None
    """The smallest and largest k tried when k is chosen by silhouette."""
    best_silhouette: float | None
    has_categories: bool
    """True when category shares are features (and the profile lists top categories)."""
    feature_set: str
    customers_count: int
    rfm_named: bool
    """True when the RFM segments are the spec's names, False when they are codes like R3F3M2."""
    top: ClusterLabel
    """The cluster with the largest share of revenue."""
    top_customers_share: float
    top_revenue_share: float | None

    def customer_lists(self) -> dict[str, pl.DataFrame]:
        """cluster_<name> for named clusters, cluster_<n> for the others: customer_id, cluster and the features."""
        lists = {}
        for label in self.clusters:
            key = f"cluster_{label.name}" if label.given else f"cluster_{label.cluster}"
            lists[key] = self.customers.filter(pl.col("cluster") == label.cluster).drop("name")
        return lists


def compute(ctx: Context, params: Params) -> ClustersResult:
    """Features, k-means (k given or chosen by silhouette), names, profile and the cluster × RFM table."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    frame, features = _features(ctx, sales, params)
    keys = [f.key for f in features]
    k = _checked_k(params, frame.height, _where(ctx))
    result = fit(design_matrix(frame, keys, {f.key for f in features if f.log}), k, params.seed)
    assigned = frame.with_columns(pl.Series("cluster", result.labels, dtype=pl.Int64))
    profile = profile_table(assigned, features, sales)
    labels = name_clusters(profile, keys, params, _where(ctx))
    names = pl.DataFrame({"cluster": [c.cluster for c in labels], "name": [c.name for c in labels],
                          "job": [c.job for c in labels]}, schema={"cluster": pl.Int64, "name": pl.String, "job": pl.String})
    profile = profile.join(names, on="cluster").select("cluster", "name", "job", *[c for c in profile.columns if c != "cluster"])
    customers = assigned.join(names.drop("job"), on="cluster").select("customer_id", "cluster", "name", *keys)
    rfm, rfm_named = rfm_table(customers, sales, ctx, labels)
    top = profile.sort(["revenue_share", "cluster"], descending=[True, False], nulls_last=True).row(0, named=True)
    return ClustersResult(
        customers=customers, profile=profile.drop("_revenue"), rfm=rfm,
        silhouette=pl.DataFrame([(kk, s, kk == result.k) for kk, s in result.silhouette], orient="row",
                                schema={"k": pl.Int64, "silhouette": pl.Float64, "chosen": pl.Boolean})
        if result.silhouette else None,
        has_categories=any(f.kind == "category" for f in features),
        snake=snake_table(result.standardized, result.labels, keys), features=features, clusters=labels,
        k=result.k, k_chosen=bool(result.silhouette), feature_set=params.features,
        k_tried=(result.silhouette[0][0], result.silhouette[-1][0]) if result.silhouette else None,
        best_silhouette=dict(result.silhouette).get(result.k) if result.silhouette else None,
        customers_count=frame.height, rfm_named=rfm_named, top=labels[int(top["cluster"]) - 1],
        top_customers_share=float(top["customers_share"]), top_revenue_share=top["revenue_share"])


def _where(ctx: Context) -> str:
    return str(ctx.spec.sources["transactions"].path) if ctx.spec is not None else "transactions"


def _features(ctx: Context, sales: Sales, params: Params) -> tuple[pl.DataFrame, list[Feature]]:
    """The customers clustered with their features, sorted by customer_id (row order of the input is irrelevant)."""
    tx, tx_list = tx_features(sales, params.log_scale)
    if params.features == "tx":
        return tx, tx_list
    assert ctx.facts is not None
    survey = ctx.facts.tables.get("survey")
    if survey is None or "customer_id" not in survey.columns:
        raise UserError(Problem(_where(ctx), "cx features need a survey source with customer_id", "analyses.clusters.features"))
    cx, cx_list = cx_features(survey, ctx.spec, set(tx.columns))
    if not cx_list:
        raise UserError(Problem(str(ctx.spec.sources["survey"].path) if ctx.spec is not None else "survey",
                                "the survey has no numeric rating column to cluster on", "analyses.clusters.features"))
    if params.features == "cx":
        return tx.select("customer_id").join(cx, on="customer_id").sort("customer_id"), cx_list
    return tx.join(cx, on="customer_id").sort("customer_id"), tx_list + cx_list


def _checked_k(params: Params, n: int, where: str) -> int | tuple[int, int]:
    k = params.k_range
    if isinstance(k, int):
        if k > n:
            raise UserError(Problem(where, f"expected at most {n} clusters for {n} customers, got k {k}", "analyses.clusters.k"))
        return k
    top = min(k[1], n - 1)  # silhouette needs fewer clusters than customers
    if k[0] > top:
        raise UserError(Problem(where, f"expected k.min below the {n} customers clustered, got {k[0]}", "analyses.clusters.k.min"))
    return k[0], top


def profile_table(assigned: pl.DataFrame, features: list[Feature], sales: Sales) -> pl.DataFrame:
    """Per cluster: customers, shares of customers and revenue, the mean of each raw feature (nulls left out) and,
    with categories, the top categories. `_revenue` is dropped by the caller."""
    revenue = sales.customers.select("customer_id", pl.col("revenue").cast(pl.Float64).alias("_rev"))
    frame = assigned.join(revenue, on="customer_id", how="left")
    total = round(float(frame["_rev"].sum()), MONEY_DECIMALS)
    table = frame.group_by("cluster").agg(
        pl.len().alias("customers"), pl.col("_rev").sum().round(MONEY_DECIMALS).alias("_revenue"),
        *[pl.col(f.key).mean().alias(f.key) for f in features]).sort("cluster")
    table = table.with_columns(
        (pl.col("customers") / frame.height).alias("customers_share"),
        (pl.col("_revenue") / total if total > 0 else pl.lit(None, pl.Float64)).alias("revenue_share"),
    ).select("cluster", "customers", "customers_share", "revenue_share", *[f.key for f in features], "_revenue")
    if "category" in sales.lines.columns:
        table = table.join(top_categories(sales, assigned), on="cluster", how="left")
    else:
        table = table.with_columns(pl.lit(None, pl.String).alias("top_categories"))
    return table.with_columns(pl.col("customers").cast(pl.Int64))


def name_clusters(profile: pl.DataFrame, keys: list[str], params: Params, where: str) -> list[ClusterLabel]:
    """Each `names` entry, in spec order, names the not yet named cluster with the highest (lowest) profile mean of its
    feature (the smaller cluster number on a tie); the rest are 'Cluster n'."""
    given: dict[int, tuple[str, str | None]] = {}
    for i, entry in enumerate(params.names):
        if entry.feature not in keys:
            key = "highest" if entry.highest is not None else "lowest"
            raise UserError(Problem(where, f"no feature {entry.feature!r}; features: {', '.join(keys)}",
                                    f"analyses.clusters.names.{i}.{key}"))
        left = profile.filter(~pl.col("cluster").is_in(list(given)) & pl.col(entry.feature).is_not_null())
        if left.is_empty():
            continue
        ranked = left.sort([entry.feature, "cluster"], descending=[entry.highest is not None, False])
        given[int(ranked["cluster"][0])] = (entry.name, entry.job)
    return [ClusterLabel(c, given[c][0] if c in given else f"Cluster {c}", c in given,
                         given[c][1] if c in given else None, f"cluster_{c}") for c in profile["cluster"].to_list()]


def snake_table(standardized: np.ndarray, labels: list[int], keys: list[str]) -> pl.DataFrame:
    """cluster, feature, z: the mean standardized value of each feature per cluster, features in spec order."""
    z = pl.DataFrame({key: standardized[:, i] for i, key in enumerate(keys)}).with_columns(
        pl.Series("cluster", labels, dtype=pl.Int64))
    means = z.group_by("cluster").agg(pl.col(keys).mean()).sort("cluster")
    order = {key: i for i, key in enumerate(keys)}
    return (means.unpivot(index="cluster", variable_name="feature", value_name="z")
            .with_columns(pl.col("feature").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
            .sort("cluster", "_order").drop("_order"))


def rfm_table(customers: pl.DataFrame, sales: Sales, ctx: Context,
              labels: list[ClusterLabel]) -> tuple[pl.DataFrame, bool]:
    """RFM segment (the spec's names, else codes) × cluster: the share of each cluster's customers in each segment."""
    rfm_params = params_in(ctx.spec)
    scored = score_customers(sales.customers, sales.as_of, rfm_params)
    column = "name" if rfm_params.names else "segment"
    joined = customers.select("customer_id", "cluster").join(
        scored.select("customer_id", pl.col(column).alias("segment")), on="customer_id")
    counts = joined.group_by("segment", "cluster").agg(pl.len().alias("n"))
    sizes = joined.group_by("cluster").agg(pl.len().alias("size"))
    shares = counts.join(sizes, on="cluster").with_columns((pl.col("n") / pl.col("size")).alias("share"))
    table = joined.group_by("segment").agg(pl.len().cast(pl.Int64).alias("customers"))
    for label in labels:
        one = shares.filter(pl.col("cluster") == label.cluster).select("segment", pl.col("share").alias(label.column))
        table = table.join(one, on="segment", how="left").with_columns(pl.col(label.column).fill_null(0.0))
    return table.sort(["customers", "segment"], descending=[True, False]), bool(rfm_params.names)
