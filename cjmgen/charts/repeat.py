"""Charts of the repeat-purchase chapter: the funnel, the gap bubble chart and survival curves per group."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from cjmgen.analyses.repeat import RepeatResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Repeat purchases")
MAX_GROUPS = 10
"""Survival curves drawn per breakdown group: the largest groups (the CSV has them all)."""


def charts(result: RepeatResult, theme: Theme) -> dict[str, Any]:
    """funnel, bubbles and, with a breakdown, by_group."""
    _ = theme._
    out = {"funnel": funnel(result.survival, theme), "bubbles": bubbles(result.gaps, result.survival, theme,
                                                                       result.max_order)}
    if result.by_group is not None:
        frame = result.by_group
        top = frame.filter(pl.col("order_number") == 1).sort("customers", descending=True).head(MAX_GROUPS)["group"]
        out["by_group"] = b.curves(
            frame.filter(pl.col("group").is_in(top.implode())), x="order_number", y="share_of_customers",
            series="group", x_title=_("Order number"), y_title=_("Share of the group's customers"),
            title=_("Customers reaching each order, by group"), y_format=".0%", sequential=False)
    return out


def funnel(survival: pl.DataFrame, theme: Theme) -> Any:
    """Customers reaching each order number, with the share of all customers as a label."""
    import altair as alt

    _ = theme._
    data = alt.Data(values=survival.select("order_number", "customers", "share_of_customers").to_dicts())
    base = alt.Chart(data, title=_("Repeat-purchase funnel")).encode(
        y=alt.Y("order_number:O", title=_("Order number"), sort="ascending"),
        x=alt.X("customers:Q", title=_("Customers"), axis=alt.Axis(format=",.0f")))
    labels = base.mark_text(align="left", dx=4, fontSize=10, color="#1b1b1b").encode(
        text=alt.Text("share_of_customers:Q", format=".1%"))
    return (base.mark_bar() + labels).properties(width=b.WIDTH - 140, height=max(22 * survival.height, 120))


def bubbles(gaps: pl.DataFrame, survival: pl.DataFrame, theme: Theme, max_order: int) -> Any:
    """Order number (y) against days since the previous order (x): bubble = customers, colour = average check."""
    import altair as alt

    _ = theme._
    y = alt.Y("order_number:Q", title=_("Order number"), scale=alt.Scale(domain=[1.5, max(max_order, 2) + 0.5], nice=False),
              axis=alt.Axis(tickMinStep=1, format="d", values=list(range(2, max_order + 1))))
    heading = alt.TitleParams(_("Gaps between orders"), subtitle=_("Bubble: customers; colour: average check; red tick: P80 gap"))
    colour = b.binned_colour("avg_check", *typical_range(gaps), title=_("Average check"), fmt=",.0f", scheme="viridis")
    most = gaps["customers"].max()
    sizes = alt.Legend(values=size_legend_values(int(most) if isinstance(most, int | float) else 1), format=",.0f")
    circles = alt.Chart(alt.Data(values=gaps.to_dicts()), title=heading).mark_circle(
        opacity=0.85, stroke="#555", strokeWidth=0.3).encode(
        x=alt.X("days_from:Q", title=_("Days since the previous order (bin start; the last bin is open)")),
        y=y, size=alt.Size("customers:Q", title=_("Customers"), scale=alt.Scale(range=[8, 500]), legend=sizes),
        color=colour)
    p80 = survival.filter(pl.col("p80_days_to_next").is_not_null()).select(
        (pl.col("order_number") + 1).alias("order_number"), "p80_days_to_next").filter(pl.col("order_number") <= max_order)
    ticks = alt.Chart(alt.Data(values=p80.to_dicts())).mark_tick(color="#c0392b", thickness=2, size=16).encode(
        x="p80_days_to_next:Q", y=y)
    chart = (circles + ticks).properties(width=b.WIDTH - 180, height=max(26 * (max_order - 1), 160))
    return chart.configure_legend(gradientLength=120, gradientThickness=12)  # the colour band; not settable per legend


def size_legend_values(largest: int) -> list[int]:
    """Up to three bubble sizes for the legend — the largest bubble, a quarter and a sixteenth of it, each rounded
    down to one significant digit (never above the largest) — so the legend shows no empty "0" bubble and covers
    the small ones."""
    values = set()
    for part in (largest, largest / 4, largest / 16):
        if part >= 1:
            digits = 10 ** math.floor(math.log10(part))
            values.add(int(part // digits * digits))
    return sorted(values) or [1]


def typical_range(gaps: pl.DataFrame) -> list[float]:
    """5th–95th percentile of the average check weighted by customers: one odd bubble must not wash out the colours."""
    ordered = gaps.filter(pl.col("avg_check").is_not_null()).sort("avg_check")
    if ordered.is_empty():
        return [0.0, 1.0]
    share = ordered["customers"].cum_sum() / ordered["customers"].sum()
    low = ordered.filter(share >= 0.05)["avg_check"][0]
    high = ordered.filter(share >= 0.95)["avg_check"][0]
    return [float(low), float(high if high > low else low + 1)]
