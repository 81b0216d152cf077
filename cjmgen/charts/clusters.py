"""Charts of the clusters chapter: the snake plot of standardized feature means, the silhouette per k."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.clusters import ClusterLabel, ClustersResult, Feature
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Customer clusters")

FEATURE_LABELS = {
    "orders": N_("Orders"),
    "revenue": N_("Revenue"),
    "avg_check": N_("Average check"),
    "avg_days_between": N_("Days between orders"),
    "recency_days": N_("Days since last order"),
    "lines_per_order": N_("Lines per order"),
}
"""Display names of the transactional features (the templates' _clusters_labels.html says the same)."""


def feature_label(feature: Feature, theme: Theme) -> str:
    """A feature as the report names it: a tx feature's name, 'Share of <category>', or the survey question."""
    if feature.kind == "tx":
        return theme._(FEATURE_LABELS[feature.key])
    if feature.kind == "category":
        return theme._("Share of %(category)s") % {"category": feature.label}
    return feature.label


def cluster_label(cluster: ClusterLabel, theme: Theme) -> str:
    """'n. <the spec's name>' for a named cluster, 'Cluster n' in the report's language for the others."""
    return f"{cluster.cluster}. {cluster.name}" if cluster.given else theme._("Cluster %(n)s") % {"n": cluster.cluster}


def charts(result: ClustersResult, theme: Theme) -> dict[str, Any]:
    """snake; silhouette when k was chosen from a range."""
    out = {"snake": snake(result, theme)}
    if result.silhouette is not None:
        out["silhouette"] = silhouette(result.silhouette, theme)
    return out


def snake(result: ClustersResult, theme: Theme) -> Any:
    """One line per cluster across the features: its mean in standard deviations from the average customer."""
    alt = b.altair()
    features = {f.key: feature_label(f, theme) for f in result.features}
    names = {c.cluster: cluster_label(c, theme) for c in result.clusters}
    frame = result.snake.with_columns(
        pl.col("feature").replace_strict(features, return_dtype=pl.String).alias("label"),
        pl.col("cluster").replace_strict(names, return_dtype=pl.String).alias("name"))
    order = list(features.values())
    line = alt.Chart(alt.Data(values=frame.select("label", "name", "z").to_dicts())).mark_line(point=True, strokeWidth=1.8)
    zero = alt.Chart(alt.Data(values=[{"z": 0}])).mark_rule(color="#888", strokeDash=[3, 3]).encode(y="z:Q")
    encoded = line.encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelAlign="right", labelLimit=160)),
        y=alt.Y("z:Q", title=theme._("Distance from the average customer, σ"), axis=b.number_axis(".1f")),
        color=alt.Color("name:N", sort=list(names.values()), title=None,
                        scale=alt.Scale(scheme="tableau10"), legend=alt.Legend(orient="bottom", columns=3)))
    return (zero + encoded).properties(title=theme._("Cluster profiles: standardized feature means"),
                                       width=b.WIDTH - 40, height=260)


def silhouette(frame: pl.DataFrame, theme: Theme) -> Any:
    """Mean silhouette per k tried; the chosen k is highlighted."""
    alt = b.altair()
    data = alt.Data(values=frame.select("k", "silhouette", "chosen").to_dicts())
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title=theme._("Number of clusters"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("silhouette:Q", title=theme._("Mean silhouette"), axis=b.number_axis(".2f")))
    line = base.mark_line(point=True, strokeWidth=1.5)
    chosen = base.transform_filter("datum.chosen").mark_point(size=160, filled=True, color="#e07b39")
    return (line + chosen).properties(title=theme._("Silhouette by number of clusters"), width=260, height=180)
