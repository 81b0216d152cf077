"""Charts of the uplift chapter: both groups' weekly metric with the campaign window shaded; a forest plot of the
uplift per segment."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.uplift import Campaign, UpliftResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Campaign effectiveness")


def metric_title(metric: str, theme: Theme) -> str:
    """The metric's axis title, with the currency for money."""
    if metric == "orders":
        return theme._("Orders per member")
    if metric == "avg_check":
        return theme._("Average check, %(currency)s") % {"currency": theme.currency_symbol}
    return theme._("Revenue per member, %(currency)s") % {"currency": theme.currency_symbol}


def charts(result: UpliftResult, theme: Theme) -> dict[str, Any]:
    """weekly_<n> for the n-th campaign (0-based); forest when the uplift is broken down by segment."""
    out = {f"weekly_{i}": weekly(result, c, theme) for i, c in enumerate(result.campaigns)}
    if result.by is not None and not result.segments.is_empty():
        out["forest"] = forest(result, theme)
    return out


def weekly(result: UpliftResult, campaign: Campaign, theme: Theme) -> Any:
    """Weekly metric per member of test and control; the campaign window is the shaded band."""
    alt = b.altair()
    names = {"test": theme._("Test group"),
             "control": theme._("Matched control") if campaign.matched else theme._("Control group")}
    frame = result.weekly.filter(pl.col("campaign") == campaign.campaign).with_columns(
        pl.col("group").replace_strict(names, return_dtype=pl.String).alias("name"),
        pl.col("week").cast(pl.String))
    band = alt.Chart(alt.Data(values=[{"start": str(campaign.start), "end": str(campaign.end)}])).mark_rect(
        color="#e07b39", opacity=0.15).encode(x="start:T", x2="end:T")
    lines = alt.Chart(alt.Data(values=frame.select("week", "name", "value").to_dicts())).mark_line(
        point=True, strokeWidth=1.8).encode(
        x=alt.X("week:T", title=None, axis=alt.Axis(format="%d.%m", labelAngle=0)),
        y=alt.Y("value:Q", title=metric_title(result.metric, theme), axis=b.number_axis(",.1f")),
        color=alt.Color("name:N", sort=list(names.values()), title=None,
                        scale=alt.Scale(range=[theme.primary, "#9aa5b1"]), legend=alt.Legend(orient="bottom")))
    heading = theme._("“%(campaign)s”: weekly metric per member, campaign window shaded") % {
        "campaign": campaign.campaign}
    return (band + lines).properties(title=heading, width=b.WIDTH - 60, height=220)


def forest(result: UpliftResult, theme: Theme) -> Any:
    """Uplift per member and its interval for each segment (and the whole campaign), a rule at zero."""
    alt = b.altair()
    rows = result.table.filter(pl.col("uplift_per_member").is_not_null()).with_columns(
        pl.when(pl.col("segment") == "all").then(pl.lit(theme._("All members"))).otherwise(pl.col("segment"))
        .alias("label"))
    if len(result.campaigns) > 1:
        rows = rows.with_columns(pl.format("{} · {}", "campaign", "label").alias("label"))
    values = rows.select("label", "uplift_per_member", "uplift_low", "uplift_high").to_dicts()
    order = [v["label"] for v in values]
    base = alt.Chart(alt.Data(values=values)).encode(y=alt.Y("label:N", sort=order, title=None))
    bars = base.mark_rule(strokeWidth=2, color="#9aa5b1").encode(x=alt.X("uplift_low:Q", title=metric_title(
        result.metric, theme), axis=b.number_axis(",.1f")), x2="uplift_high:Q")
    dots = base.mark_point(filled=True, size=60, color=theme.primary).encode(x="uplift_per_member:Q")
    zero = alt.Chart(alt.Data(values=[{"x": 0}])).mark_rule(color="#888", strokeDash=[3, 3]).encode(x="x:Q")
    return (zero + bars + dots).properties(title=theme._("Uplift per member by segment, with the interval"),
                                           width=b.WIDTH - 200, height=max(len(values) * 20, 80))
