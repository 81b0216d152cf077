"""Altair charts of the drivers chapter: the waterfall of the revenue change and the drivers' change per group.

Imported only from `drivers.charts`, so Altair is loaded only when a report is rendered.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

ALL = "all"


def waterfall(factors: pl.DataFrame, start: float, end: float, names: dict[str, str], t: dict[str, str]) -> Any:
    """Base revenue, each driver's contribution and the unidentified checks' change, current revenue."""
    steps = [{"step": t["Base period"], "lo": 0.0, "hi": start, "value": start, "kind": "total"}]
    level = start
    for driver, contribution in factors.select("driver", "contribution").rows():
        steps.append({"step": names[driver], "lo": level, "hi": level + contribution, "value": contribution,
                      "kind": "up" if contribution >= 0 else "down"})
        level += contribution
    steps.append({"step": t["Current period"], "lo": 0.0, "hi": end, "value": end, "kind": "total"})
    levels = [v for s in steps[1:-1] for v in (s["lo"], s["hi"])] + [start, end]
    pad = (max(levels) - min(levels)) * 0.25 or abs(end) * 0.1 or 1.0
    domain = [min(levels) - pad, max(levels) + pad * 0.6]
    order = [s["step"] for s in steps]
    for s in steps:
        s["top"] = max(s["lo"], s["hi"])
    base = alt.Chart(alt.Data(values=steps)).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')")))
    colour = alt.Color("kind:N", legend=None, scale=alt.Scale(domain=["total", "up", "down"],
                                                             range=["#1f4e79", "#5a9e6f", "#c0504d"]))
    bars = base.mark_bar(clip=True, size=44).encode(
        y=alt.Y("lo:Q", title=None, scale=alt.Scale(domain=domain, nice=False, zero=False),
                axis=alt.Axis(format=".3~s")), y2="hi:Q", color=colour)
    text = base.mark_text(dy=-7, fontSize=10)
    totals = text.transform_filter("datum.kind == 'total'").encode(y="top:Q", text=alt.Text("value:Q", format=",.0f"))
    moves = text.transform_filter("datum.kind != 'total'").encode(y="top:Q", text=alt.Text("value:Q", format="+,.0f"))
    return (bars + totals + moves).properties(title=t["What changed revenue"], width=600, height=300)


def change_bars(formula: pl.DataFrame, names: dict[str, str], t: dict[str, str]) -> Any:
    """Relative change of each driver, current vs base, per product group (identified customers)."""
    measures = {"customers": "customers", "frequency": "orders_per_customer", "depth": "depth", "price": "price",
                "avg_check": "avg_check", "revenue": "revenue"}
    known = formula.filter(pl.col("buyers") == "identified")
    rows = []
    for group in known["group"].unique(maintain_order=True).to_list():
        base, current = (known.filter((pl.col("group") == group) & (pl.col("period") == p)) for p in ("base", "current"))
        for measure, column in measures.items():
            b, c = base[column][0], current[column][0]
            if b and c is not None:
                rows.append({"driver": names[measure], "group": t["All products"] if group == ALL else group,
                             "change": c / b - 1})
    order = [names[m] for m in measures]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    chart = alt.Chart(alt.Data(values=rows), title=t["Change of each driver, current vs base period"]).mark_bar().encode(
        y=alt.Y("driver:N", sort=order, title=None),
        x=alt.X("change:Q", title=None, axis=alt.Axis(format="+.0%")),
        color=alt.Color("group:N", sort=groups, title=None,
                        legend=alt.Legend(orient="bottom") if len(groups) > 1 else None))
    if len(groups) > 1:
        chart = chart.encode(yOffset=alt.YOffset("group:N", sort=groups))
    return chart.properties(width=480, height=len(order) * (14 * len(groups) + 10))
