"""Charts of the assortment chapter: the roles quadrant (customers share × repeat rate, labels kept off the points,
each other and the threshold lines, as the QFD map places them) and the decision hierarchy's tree."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import polars as pl

from cjmgen.charts.qfd_map import place_labels
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

if TYPE_CHECKING:
    from cjmgen.analyses.assortment import AssortmentResult

title = N_("Assortment roles")

SIZE = (560.0, 360.0)
ROLE_NAMES = {"core": N_("Core"), "hits": N_("Hits"), "retaining": N_("Retaining"), "niche": N_("Niche"),
              "random": N_("Random")}
ROLE_COLOURS = {"core": "#1f4e79", "retaining": "#2e8b57", "hits": "#e08a1e", "niche": "#8e5bb5", "random": "#9aa3ab"}
LEAF_PX = 16


def _alt() -> Any:
    import altair as alt

    return alt


def charts(result: AssortmentResult, theme: Theme) -> dict[str, Any]:
    """quadrant (when there are items); tree (when the decision hierarchy has at least two items)."""
    out: dict[str, Any] = {}
    if result.roles.height:
        out["quadrant"] = quadrant(result, theme)
    if result.tree is not None and len(result.tree.leaves) >= 2:
        out["tree"] = tree(result, theme)
    return out


def quadrant(result: AssortmentResult, theme: Theme) -> Any:
    """Customers share (square-root axis: a few items reach most customers) × repeat rate, coloured by role, split at
    the cuts; the `labels` items with the most orders named."""
    alt, _ = _alt(), theme._
    roles = result.roles.with_columns(pl.col("repeat_rate").fill_null(0.0))
    (x0, x1), (y0, y1) = (_span(roles["customers_share"], result.cuts.customers_share),
                          _span(roles["repeat_rate"], result.cuts.repeat_rate))
    rows = [{**r, "role_label": _(ROLE_NAMES[r["role"]]), "quality": math.sqrt(r["customers_share"]),
             "importance": r["repeat_rate"], "label": str(r["item"])} for r in roles.iter_rows(named=True)]
    domain = ((math.sqrt(x0), math.sqrt(x1)), (y0, y1))
    named = sorted(rows, key=lambda r: (-r["orders"], r["label"]))[:result.labels]
    placed = place_labels(named, domain, SIZE, _lines(result, domain))
    xs = alt.Scale(type="sqrt", domain=[x0, x1], nice=False)
    ys = alt.Scale(domain=[y0, y1], nice=False)
    x = alt.X("customers_share:Q", title=_("Share of customers who bought the item"), scale=xs,
              axis=alt.Axis(format=".0%"))
    y = alt.Y("repeat_rate:Q", title=_("Repeat rate: buyers who bought it in two orders or more"), scale=ys,
              axis=alt.Axis(format=".0%"))
    dashed = {"strokeDash": [4, 3], "color": "#888"}
    cuts = [alt.Chart(alt.Data(values=[{"v": result.cuts.customers_share}])).mark_rule(**dashed).encode(
                x=alt.X("v:Q", scale=xs)),
            alt.Chart(alt.Data(values=[{"v": result.cuts.repeat_rate}])).mark_rule(**dashed).encode(
                y=alt.Y("v:Q", scale=ys))]
    present = [r for r in ROLE_NAMES if result.role_counts.get(r)]
    colour = alt.Color("role_label:N", title=_("Role"), scale=alt.Scale(
        domain=[_(ROLE_NAMES[r]) for r in present], range=[ROLE_COLOURS[r] for r in present]),
        legend=alt.Legend(orient="bottom"))
    points = alt.Chart(alt.Data(values=rows)).mark_point(filled=True, size=55, opacity=0.85).encode(
        x=x, y=y, color=colour, tooltip=["label:N", "role_label:N"])
    return alt.layer(*cuts, points, _labels(placed, x, y)).properties(width=SIZE[0], height=SIZE[1])


def _span(values: pl.Series, cut: float) -> tuple[float, float]:
    """The axis range: from 0 when the values spread over most of it, else from a little below the lowest (the cut
    always inside), to a little above the highest."""
    low, high = min(float(values.min()), cut), max(float(values.max()), cut)  # type: ignore[arg-type]
    top = max(high * 1.06, 1e-9)
    return (0.0 if low < top / 3 else low * 0.9), top


def _lines(result: AssortmentResult, domain: tuple[tuple[float, float], tuple[float, float]]) -> list[
        tuple[float, float, float, float]]:
    """Pixel boxes of the two threshold lines (labels keep off them)."""
    width, height = SIZE
    (x0, x1), (y0, y1) = domain
    px = (math.sqrt(max(result.cuts.customers_share, 0.0)) - x0) / (x1 - x0) * width
    py = height - (result.cuts.repeat_rate - y0) / (y1 - y0) * height
    return [(px - 2, 0.0, px + 2, height), (0.0, py - 2, width, py + 2)]


def _labels(placed: list[dict[str, Any]], x: Any, y: Any) -> Any:
    """One text layer per alignment and offset (offsets cannot be fields of a Vega-Lite mark)."""
    alt = _alt()
    layers = []
    for align, dx, dy in sorted({(p["align"], p["dx"], p["dy"]) for p in placed}):
        rows = [p for p in placed if (p["align"], p["dx"], p["dy"]) == (align, dx, dy)]
        layers.append(alt.Chart(alt.Data(values=rows)).mark_text(
            fontSize=8.5, lineHeight=10, lineBreak="\n", color="#222", align=align, baseline="top", dx=dx,
            dy=dy).encode(x=x, y=y, text="label:N"))
    return alt.layer(*layers) if layers else alt.Chart(alt.Data(values=[])).mark_text()


def tree(result: AssortmentResult, theme: Theme) -> Any:
    """The dendrogram on its side: one row per item, branches joining at the 1 − Q distance of their clusters."""
    alt, _ = _alt(), theme._
    assert result.tree is not None
    leaves = result.tree.leaves
    top = max([max(s[1], s[3]) for s in result.tree.segments] + [1.0]) * 1.02
    rows = [{"y": s[0], "x": s[1], "y2": s[2], "x2": s[3]} for s in result.tree.segments]
    axis = alt.Axis(values=list(range(len(leaves))), labelExpr=f"{json.dumps(leaves, ensure_ascii=False)}[datum.value]",
                    title=None, grid=False, ticks=False, domain=False, labelLimit=220)
    return alt.Chart(alt.Data(values=rows)).mark_rule(color=theme.primary, strokeWidth=1.4).encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=[0, top], nice=False),
                title=_("Distance 1 − Q: 0 bought by the same customers, 2 never together")),
        x2="x2:Q",
        y=alt.Y("y:Q", scale=alt.Scale(domain=[-0.5, len(leaves) - 0.5], nice=False, reverse=True), axis=axis),
        y2="y2:Q").properties(width=SIZE[0] - 160, height=max(LEAF_PX * len(leaves), 80))
