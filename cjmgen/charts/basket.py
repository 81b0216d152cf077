"""Charts of the basket chapter: the top rules by lift, repurchase cycles and lapse on the listed items."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.basket import BasketRulesResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("What sells together")

MAX_CYCLES = 15
"""The cycles chart draws the items with the most buyers, at most this many."""


def charts(result: BasketRulesResult, theme: Theme) -> dict[str, Any]:
    """rules (when there is one); with customers, cycles (items with a cycle) and status (the listed items)."""
    out: dict[str, Any] = {}
    if result.shown.height:
        out["rules"] = rule_bars(result.shown, theme)
    if result.cycles is not None:
        drawn = result.cycles.filter(pl.col("median_days").is_not_null()).head(MAX_CYCLES)
        if drawn.height:
            out["cycles"] = cycle_bars(drawn, theme)
    if result.status is not None and result.status.height:
        out["status"] = status_bars(result.status, theme)
    return out


def rule_bars(rules: pl.DataFrame, theme: Theme) -> Any:
    """One bar per rule "A → B" by lift, its confidence written at the bar's end."""
    alt = b.altair()
    rows = rules.with_columns(
        pl.concat_str([pl.col("antecedent"), pl.lit(" → "), pl.col("consequent")]).alias("rule")).select(
        "rule", "lift", "confidence").to_dicts()
    order = [r["rule"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(y=alt.Y("rule:N", sort=order, title=None,
                                                           axis=alt.Axis(labelLimit=260)))
    bars = base.mark_bar().encode(x=alt.X("lift:Q", title=theme._("Lift"), axis=b.number_axis(".1f", tick_count=4)))
    labels = base.mark_text(align="left", dx=3, fontSize=9).encode(
        x="lift:Q", text=alt.Text("confidence:Q", format=".0%"))
    return (bars + labels).properties(
        title=b.titled(theme._("Top rules by lift"), theme._("At the end of each bar: the rule's confidence")),
        width=300, height=max(len(order) * 18, 60))


def cycle_bars(cycles: pl.DataFrame, theme: Theme) -> Any:
    """Median days between purchases per item, a tick at the 80th percentile."""
    alt = b.altair()
    rows = cycles.select("item", "median_days", "p80_days").to_dicts()
    order = [r["item"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(y=alt.Y("item:N", sort=order, title=None,
                                                           axis=alt.Axis(labelLimit=140)))
    bars = base.mark_bar().encode(x=alt.X("median_days:Q", title=theme._("Days"), axis=b.number_axis("d", 4)))
    ticks = base.mark_tick(color="#e07b39", thickness=2).encode(x="p80_days:Q")
    return (bars + ticks).properties(
        title=b.titled(theme._("Days between purchases of an item"),
                       theme._("Median (bar) and 80th percentile (tick)")),
        width=220, height=max(len(order) * 18, 60))


def status_bars(status: pl.DataFrame, theme: Theme) -> Any:
    """Buyers of each listed item by status: active, due, lapsed (stacked)."""
    alt = b.altair()
    names = {"active": theme._("active"), "due": theme._("due"), "lapsed": theme._("lapsed")}
    long = status.select("item", "active", "due", "lapsed").unpivot(
        index="item", variable_name="status", value_name="customers").with_columns(
        pl.col("status").replace_strict(names).alias("label"),
        pl.col("status").replace_strict({"active": 0, "due": 1, "lapsed": 2}).alias("order"))
    order = status["item"].to_list()
    return alt.Chart(alt.Data(values=long.to_dicts())).mark_bar().encode(
        y=alt.Y("item:N", sort=order, title=None),
        x=alt.X("customers:Q", stack="normalize", title=None, axis=b.number_axis(".0%", 4)),
        color=alt.Color("label:N", title=None, sort=list(names.values()),
                        scale=alt.Scale(domain=list(names.values()), range=["#2e7d32", "#f2b134", "#c62828"]),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
    ).properties(title=theme._("Buyers of an item by status"), width=260, height=max(len(order) * 22, 60))
