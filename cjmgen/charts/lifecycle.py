"""Charts of the lifecycle chapter: new, returning and resurrecting customers up, dormant down, the quick ratio over."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.lifecycle import LifecycleResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Customer lifecycle")

COLOURS = {"new": "#2ca02c", "returning": "#1f77b4", "resurrecting": "#9ecae1", "dormant": "#d62728"}


def charts(result: LifecycleResult, theme: Theme) -> dict[str, Any]:
    """lifecycle: stacked bars per period (dormant drawn below zero) with the quick ratio as a line on its own axis."""
    if result.network.height < 2:
        return {}
    return {"lifecycle": lifecycle_chart(result.network, theme)}


def lifecycle_chart(table: pl.DataFrame, theme: Theme) -> Any:
    """Bars of the four states per period, dormant negative; a partial period drawn pale."""
    alt = b.altair()
    _ = theme._
    names = {"new": _("New"), "returning": _("Returning"), "resurrecting": _("Resurrecting"), "dormant": _("Dormant")}
    long = (table.select("period", "partial", *names).unpivot(index=["period", "partial"], variable_name="part",
                                                              value_name="customers")
            .with_columns(pl.when(pl.col("part") == "dormant").then(-pl.col("customers")).otherwise(pl.col("customers")),
                          pl.col("part").replace_strict({k: i for i, k in enumerate(names)}).alias("stack"),
                          pl.col("part").replace_strict(names)))
    periods = table["period"].to_list()
    x = alt.X("period:O", sort=periods, title=None, axis=b.period_axis(len(periods)))
    bars = alt.Chart(alt.Data(values=long.to_dicts())).mark_bar().encode(
        x=x, y=alt.Y("customers:Q", title=_("Customers"), axis=b.number_axis(",d", tick_count=5)),
        color=alt.Color("part:N", sort=list(names.values()), title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=list(names.values()), range=list(COLOURS.values()))),
        order=alt.Order("stack:Q", sort="ascending"),
        opacity=alt.condition("datum.partial", alt.value(b.PARTIAL_OPACITY), alt.value(1.0)))
    ratio = table.select("period", "quick_ratio").drop_nulls()
    line = alt.Chart(alt.Data(values=ratio.to_dicts())).mark_line(point=True, color="#333333", strokeWidth=1.5).encode(
        x=x, y=alt.Y("quick_ratio:Q", title=_("Quick ratio"), axis=b.number_axis(".1f", tick_count=4, orient="right")))
    one = alt.Chart(alt.Data(values=[{"one": 1.0}])).mark_rule(color="#333333", strokeDash=[3, 3]).encode(
        y=alt.Y("one:Q", axis=None))
    subtitle = _("Dormant customers are drawn below zero; the line is the quick ratio (right axis, dashed: 1); "
                 "a pale bar is a period cut at the analysis date.")
    chart = alt.layer(bars, alt.layer(line, one).resolve_scale(y="shared")).resolve_scale(y="independent")
    return chart.properties(width=600, height=260, title=b.titled(_("Customers by lifecycle state per period"),
                                                                   subtitle))
