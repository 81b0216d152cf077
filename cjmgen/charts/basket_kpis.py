"""Charts of the basket KPIs chapter: identified share by month and store × month, depth and width by store."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.basket_kpis import BasketResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Basket KPIs")


def charts(result: BasketResult, theme: Theme) -> dict[str, Any]:
    """share_by_month; with stores also share_heatmap, depth, width (with categories) and share_dots. A log without
    customer ids has no identified share to draw (0% by construction, said in a sentence): depth_by_month instead,
    and depth and width per store."""
    _ = theme._
    if not result.has_customer_id:
        return _without_ids(result, theme)
    out: dict[str, Any] = {"share_by_month": _month_line(result.by_month, theme)}
    if result.by_store is None or result.store_month is None or result.network is None:
        return out
    network = result.network
    by_store = result.by_store.sort(["orders", "store"], descending=[True, False]).head(MAX_STORES)  # fits a page
    cells = result.store_month.filter(
        (pl.col("orders") >= result.min_orders) & pl.col("store").is_in(by_store["store"].implode()))
    out["share_heatmap"] = share_heatmap(cells, theme)
    depth = "depth_items" if result.has_items else "depth_lines"
    depth_title = _("Items per order") if result.has_items else _("Lines per order")
    out["depth"] = store_dots(by_store, depth, network[depth], depth_title, theme)
    if result.has_width:
        out["width"] = store_dots(by_store, "width", network["width"], width_title(result, theme), theme)
    out["share_dots"] = store_dots(by_store, "identified_share", network["identified_share"],
                                   _("Share of orders with a customer ID"), theme, fmt=".0%")
    return out


def width_title(result: BasketResult, theme: Theme) -> str:
    """Categories per order, or distinct items (SKUs) per order when the log has no category."""
    return theme._("Categories per order") if result.width_of == "category" else theme._("Distinct items per order")


def _without_ids(result: BasketResult, theme: Theme) -> dict[str, Any]:
    """depth_by_month; with stores also depth and width (with categories) per store."""
    _ = theme._
    out: dict[str, Any] = {"depth_by_month": _depth_lines(result, theme)} if result.by_month.height else {}
    if result.by_store is None or result.network is None:
        return out
    by_store = result.by_store.sort(["orders", "store"], descending=[True, False]).head(MAX_STORES)
    depth = "depth_items" if result.has_items else "depth_lines"
    depth_title = _("Items per order") if result.has_items else _("Lines per order")
    out["depth"] = store_dots(by_store, depth, result.network[depth], depth_title, theme)
    if result.has_width:
        out["width"] = store_dots(by_store, "width", result.network["width"], width_title(result, theme), theme)
    return out


def _depth_lines(result: BasketResult, theme: Theme) -> Any:
    """Mean lines (items) and categories per order by month, one line each."""
    alt = b.altair()
    _ = theme._
    names = {"depth_lines": _("Lines per order")}
    if result.has_items:
        names["depth_items"] = _("Items per order")
    if result.has_width:
        names["width"] = width_title(result, theme)
    frame = result.by_month.select("month", *names).unpivot(index="month", variable_name="measure").with_columns(
        pl.col("measure").replace_strict(names))
    return alt.Chart(alt.Data(values=frame.to_dicts()), title=_("Basket depth and width by month")).mark_line(
        point=True).encode(
        x=alt.X("month:O", title=None, axis=b.period_axis(result.by_month.height)),
        y=alt.Y("value:Q", title=None, axis=b.number_axis(".1f", tick_count=4), scale=alt.Scale(zero=False)),
        color=alt.Color("measure:N", title=None, sort=list(names.values()), legend=alt.Legend(orient="bottom")),
    ).properties(width=600, height=180)


MAX_STORES = 20
"""Charts draw the stores with the most orders, at most this many (a 293-store chain stays readable)."""

LABELLED_MONTHS = 24
"""Up to this many month columns each heatmap cell carries its % label (24 columns still leave 20 px, room for a
7-px "100%"); more, and the labels overlap, so the colour classes and their legend speak alone."""


def share_heatmap(cells: pl.DataFrame, theme: Theme) -> Any:
    """Identified share per store (rows) and month (columns): labelled cells up to LABELLED_MONTHS months, else a
    binned colour scale with a swatch legend (labels of 36 narrow columns overlap)."""
    alt = b.altair()
    months = sorted(cells["month"].unique().to_list())
    stores = sorted(cells["store"].unique().to_list())
    labelled = len(months) <= LABELLED_MONTHS
    column = max(min(34, (500 if labelled else 460) // max(len(months), 1)), 10)
    base = alt.Chart(alt.Data(values=cells.select("store", "month", "identified_share").to_dicts())).encode(
        x=alt.X("month:O", sort=months, title=None, axis=b.period_axis(len(months))),
        y=alt.Y("store:N", sort=stores, title=None))
    shares = cells["identified_share"].drop_nulls()
    height = min(22, 440 // max(len(stores), 1)) * len(stores)
    if labelled:
        colour = alt.Color("identified_share:Q", legend=None, scale=alt.Scale(scheme="blues"))
    else:
        # 5th–95th percentile: one odd early month must not put every other cell into the top class
        low, high = (float(shares.quantile(q, "linear") or 0.0) for q in (0.05, 0.95)) if shares.len() else (0.0, 1.0)
        colour = b.binned_colour("identified_share", low, high, title=None, fmt=".0%" if high - low >= 0.05 else ".1%",
                               legend={"orient": "right"})
    chart = base.mark_rect().encode(color=colour)
    if labelled:
        chart += base.mark_text(fontSize=7 if column < 24 else 9).encode(
            text=alt.Text("identified_share:Q", format=".0%"),
            color=alt.condition("datum.identified_share > 0.6 * " + str(_top(shares)),
                                alt.value("white"), alt.value("#1b1b1b")))
    chart = chart.properties(title=theme._("Share of orders with a customer ID, store × month"), width=column * len(months),
                             height=height)
    # Vega-Lite drops gradient* from a threshold scale's Legend; the chart config reaches Vega (band as tall as rows)
    return chart if labelled else chart.configure_legend(gradientLength=max(height, 80), gradientThickness=12)


def store_dots(frame: pl.DataFrame, value: str, network: float, title: str, theme: Theme, fmt: str = ".2f") -> Any:
    """One dot per store on a scale fitted to the values (differences stay visible), the network as a dashed rule."""
    alt = b.altair()
    order = frame.sort(value, descending=True)["store"].to_list()
    values = [v for v in frame[value].to_list() if v is not None] + [network]
    pad = (max(values) - min(values)) * 0.15 or abs(network) * 0.05 or 0.1
    scale = alt.Scale(domain=[min(values) - pad, max(values) + pad * 2], nice=False, zero=False)
    base = alt.Chart(alt.Data(values=frame.select("store", value).to_dicts()))
    y = alt.Y("store:N", sort=order, title=None)
    dots = base.mark_circle(size=70, opacity=1).encode(
        y=y, x=alt.X(f"{value}:Q", title=None, scale=scale, axis=b.number_axis(fmt, tick_count=4)))
    labels = base.mark_text(align="left", dx=7, fontSize=9).encode(
        y=y, x=f"{value}:Q", text=alt.Text(f"{value}:Q", format=fmt))
    rule_data = alt.Data(values=[{"network": network, "label": theme._("Network")}])
    rule = alt.Chart(rule_data).mark_rule(color="#e07b39", strokeDash=[4, 3], strokeWidth=1.5).encode(x="network:Q")
    note = alt.Chart(rule_data).mark_text(color="#e07b39", align="center", baseline="bottom", fontSize=9, dy=-2).encode(
        x="network:Q", y=alt.value(0), text="label:N")
    return (rule + dots + labels + note).properties(title=title, width=190, height=max(len(order) * 20, 60))


def _month_line(by_month: pl.DataFrame, theme: Theme) -> Any:
    """Share of orders with a customer ID per month."""
    alt = b.altair()
    return alt.Chart(alt.Data(values=by_month.select("month", "identified_share").to_dicts()),
                     title=theme._("Share of orders with a customer ID by month")).mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=b.period_axis(by_month.height)),
        y=alt.Y("identified_share:Q", title=None, axis=b.number_axis(".0%", tick_count=4),
                scale=alt.Scale(zero=False)),
    ).properties(width=600, height=180)


def _top(shares: pl.Series) -> float:
    """The largest share (0 when there is none)."""
    top = shares.max()
    return float(top) if isinstance(top, int | float) else 0.0
