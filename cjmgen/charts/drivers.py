"""Charts of the drivers chapter: the waterfall of the revenue change and the drivers' change per product group."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from cjmgen.analyses.drivers import ALL, UNIDENTIFIED, DriversResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Revenue drivers")

MOVE_STROKE = 3
"""px: a driver's bar is outlined in its own colour, so a move of 0.1% of revenue is still a visible bar."""
BROKEN_BELOW = 0.6
"""Start the revenue axis at zero unless the lowest level of the walk is above this share of the highest; then
the axis starts near the lowest level and the total bars carry a broken-axis gap."""


def driver_label(theme: Theme, key: str, depth_basis: str) -> str:
    """A driver's display name; without quantity, depth and price are per line."""
    _ = theme._
    per_line = depth_basis == "lines"
    names = {"customers": _("Customers"), "frequency": _("Orders per customer"),
             "depth": _("Lines per order") if per_line else _("Items per order"),
             "price": _("Revenue per line") if per_line else _("Price per item"), "avg_check": _("Average check"),
             "revenue": _("Revenue"), UNIDENTIFIED: _("Orders without a customer ID")}
    return names[key]


def charts(result: DriversResult, theme: Theme) -> dict[str, Any]:
    """waterfall and changes, when there is a factor analysis."""
    if result.factors is None:
        return {}
    names = {key: driver_label(theme, key, result.depth_basis)
             for key in ("customers", "frequency", "depth", "price", "avg_check", "revenue", UNIDENTIFIED)}
    return {"waterfall": waterfall(result.factors, result.totals["base"]["total"], result.totals["current"]["total"],
                                   names, theme),
            "changes": change_bars(result.formula, names, theme)}


def walk(factors: pl.DataFrame, start: float, end: float, names: dict[str, str], theme: Theme) -> list[dict[str, Any]]:
    """The waterfall's steps: base revenue, each contribution from the level the previous one left, current revenue."""
    steps: list[dict[str, Any]] = [{"step": theme._("Base period"), "lo": 0.0, "hi": start, "value": start, "kind": "total"}]
    level = start
    for driver, contribution in factors.select("driver", "contribution").rows():
        steps.append({"step": names[driver], "lo": level, "hi": level + contribution, "value": contribution,
                      "kind": "up" if contribution >= 0 else "down"})
        level += contribution
    steps.append({"step": theme._("Current period"), "lo": 0.0, "hi": end, "value": end, "kind": "total"})
    for s in steps:
        s["top"], s["label"] = max(s["lo"], s["hi"]), b.wrap_label(s["step"], 14)
    return steps


def axis_floor(steps: list[dict[str, Any]]) -> float:
    """0, or a round value under the lowest level of the walk when starting at zero would flatten every move."""
    levels = [v for s in steps for v in (s["lo"], s["hi"]) if s["kind"] != "total"] + [steps[0]["hi"], steps[-1]["hi"]]
    low, high = min(levels), max(levels)
    if low <= 0 or low < BROKEN_BELOW * high:
        return 0.0
    step = 10 ** math.floor(math.log10(max(high - low, high * 0.01)))
    return float(math.floor((low - (high - low) * 0.5) / step) * step)


def waterfall(factors: pl.DataFrame, start: float, end: float, names: dict[str, str], theme: Theme) -> Any:
    """Base revenue, each driver's contribution and the unidentified checks' change, current revenue.

    The axis starts at zero, or (when the moves are small against revenue) near the lowest level with a white
    gap across the total bars and a note under the title, so the cut axis cannot pass for a whole one.
    """
    alt = b.altair()
    steps = walk(factors, start, end, names, theme)
    floor = axis_floor(steps)
    top = max(s["top"] for s in steps)
    order = [s["label"] for s in steps]
    base = alt.Chart(alt.Data(values=steps)).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '\\n')",
                                                                 labelLimit=0)))
    colour = alt.Color("kind:N", legend=None, scale=alt.Scale(domain=["total", "up", "down"],
                                                             range=["#1f4e79", "#5a9e6f", "#c0504d"]))
    scale = alt.Scale(domain=[floor, top * 1.12], nice=False, zero=floor == 0)
    bars = base.mark_bar(clip=True, size=44, strokeWidth=MOVE_STROKE).encode(
        y=alt.Y("lo:Q", title=None, scale=scale, axis=b.number_axis(",.0f")), y2="hi:Q", color=colour,
        stroke=colour)
    text = base.mark_text(dy=-7, fontSize=10)
    totals = text.transform_filter("datum.kind == 'total'").encode(y="top:Q", text=alt.Text("value:Q", format=",.0f"))
    moves = text.transform_filter("datum.kind != 'total'").encode(y="top:Q", text=alt.Text("value:Q", format="+,.0f"))
    layers = [bars, totals, moves]
    chart_title: Any = theme._("What changed revenue")
    if floor > 0:
        layers.append(b.axis_break([s for s in steps if s["kind"] == "total"], "label", order, floor, top))
        chart_title = alt.Title(chart_title, subtitle=theme._("The revenue axis does not start at zero."))
    return alt.layer(*layers).properties(title=chart_title, width=600, height=300)


def change_bars(formula: pl.DataFrame, names: dict[str, str], theme: Theme) -> Any:
    """Relative change of each driver, current vs base, per product group (identified customers)."""
    alt = b.altair()
    measures = {"customers": "customers", "frequency": "orders_per_customer", "depth": "depth", "price": "price",
                "avg_check": "avg_check", "revenue": "revenue"}
    known = formula.filter(pl.col("buyers") == "identified")
    rows = []
    for group in known["group"].unique(maintain_order=True).to_list():
        base, current = (known.filter((pl.col("group") == group) & (pl.col("period") == p)) for p in ("base", "current"))
        for measure, column in measures.items():
            before, after = base[column][0], current[column][0]
            if before and after is not None:
                rows.append({"driver": names[measure], "group": theme._("All products") if group == ALL else group,
                             "change": after / before - 1})
    order = [names[m] for m in measures]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    chart = alt.Chart(alt.Data(values=rows), title=theme._("Change of each driver, current vs base period")).mark_bar(
    ).encode(
        y=alt.Y("driver:N", sort=order, title=None),
        x=alt.X("change:Q", title=None, axis=b.number_axis("+.0%")),
        color=alt.Color("group:N", sort=groups, title=None,
                        legend=alt.Legend(orient="bottom") if len(groups) > 1 else None))
    if len(groups) > 1:
        chart = chart.encode(yOffset=alt.YOffset("group:N", sort=groups))
    return chart.properties(width=480, height=len(order) * (14 * len(groups) + 10))
