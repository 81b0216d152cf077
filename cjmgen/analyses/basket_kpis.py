"""Basket KPIs (METHODS §7): depth (lines and items per order), width (distinct categories per order) and the share
of identified orders, per store and per month, against the network (all stores pooled)."""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.periods import period_index, period_label, purchase_units
from cjmgen.spec.common import Strict

name = "basket_kpis"
title = {"en": "Basket KPIs", "ru": "Показатели чека"}
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

NO_STORE = "—"


class Params(Strict):
    """Depth, width and identified share of orders per store and month. Store and category are optional columns."""

    min_orders: int = Field(
        1, ge=1, description="Store × month cells with fewer orders are left out of the heatmap (too few to read).")


def compute(ctx: Context, params: Params) -> Result:
    """Per-order basket measures, then their means per store, per month and per store × month, and the network."""
    sales = ctx.facts.sales
    baskets = order_baskets(sales.orders, sales.lines)
    measures = [c for c in ("depth_items", "width") if c in baskets.columns]
    tables = {"basket_by_month": kpis(baskets, ["month"]).sort("month")}
    facts: dict[str, Any] = {"network": kpis(baskets, []).row(0, named=True) if baskets.height else None,
                             "has_items": "depth_items" in measures, "has_width": "width" in measures,
                             "has_store": "store" in baskets.columns}
    if facts["has_store"]:
        tables["basket_by_store"] = kpis(baskets, ["store"]).sort("store")
        cells = kpis(baskets, ["store", "month"]).sort("store", "month")
        tables["basket_store_month"] = cells
        facts |= _store_facts(tables["basket_by_store"])
    facts |= _trend(tables["basket_by_month"])
    facts["min_orders"] = params.min_orders
    return Result(name, {k: tables[k] for k in ("basket_by_store", "basket_by_month", "basket_store_month") if k in tables},
                  facts=facts)


def order_baskets(orders: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """One row per real order: month, store, identified, lines, items and categories of its purchase lines
    (amount ≥ 0: a returned item is not part of the basket, as a return-only receipt is not an order)."""
    bought = lines.lazy().filter(pl.col("amount") >= 0)  # lazily: only the columns used are filtered
    per_order = [pl.len().alias("depth_lines")]
    if "quantity" in lines.columns:
        per_order.append(purchase_units(lines.columns).sum().alias("depth_items"))
    if "category" in lines.columns:
        # as a categorical: distinct counts on small integer codes take half the memory and time of text
        per_order.append(pl.col("category").cast(pl.Categorical).drop_nulls().n_unique().alias("width"))
    measures = bought.group_by("order_id").agg(*per_order).collect(engine="streaming")
    store = [pl.col("store").cast(pl.String).fill_null(NO_STORE)] if "store" in orders.columns else []
    real = orders.filter(pl.col("is_order")).select(
        "order_id", period_label(period_index(pl.col("day"), "month"), "month").alias("month"), *store,
        pl.col("customer_id").is_not_null().alias("identified"))
    return real.join(measures, on="order_id", how="left").with_columns(pl.col("depth_lines").fill_null(0))


def kpis(baskets: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Orders, identified orders and share, mean depth and width per key (pooled over orders, not over stores)."""
    measures = [pl.col(c).mean().alias(c) for c in ("depth_lines", "depth_items", "width") if c in baskets.columns]
    aggregates = [pl.len().cast(pl.Int64).alias("orders"),
                  pl.col("identified").sum().cast(pl.Int64).alias("identified_orders"),
                  pl.col("identified").mean().alias("identified_share"), *measures]
    grouped = baskets.group_by(keys).agg(*aggregates) if keys else baskets.select(*aggregates)
    return grouped.select(*keys, "orders", "identified_orders", "identified_share",
                          *[m.meta.output_name() for m in measures])


def _store_facts(by_store: pl.DataFrame) -> dict[str, Any]:
    """Stores with the highest and lowest identified share."""
    if not by_store.height:
        return {"stores": 0}
    ranked = by_store.sort(["identified_share", "store"], descending=[True, False])
    return {"stores": by_store.height, "best_store": ranked.row(0, named=True), "worst_store": ranked.row(-1, named=True)}


def _trend(by_month: pl.DataFrame) -> dict[str, Any]:
    """Identified share of the first and the last three months pooled (orders-weighted), when there are six."""
    if by_month.height < 6:
        return {"months": by_month.height}
    share = lambda part: float(part["identified_orders"].sum() / part["orders"].sum())  # noqa: E731
    return {"months": by_month.height, "first_months": by_month.head(3)["month"].to_list(),
            "last_months": by_month.tail(3)["month"].to_list(),
            "share_first": share(by_month.head(3)), "share_last": share(by_month.tail(3))}


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """Identified share heatmap store × month; depth and width by store against the network (a dashed rule)."""
    t = localized(LABELS, ctx.locale)
    facts = result.facts
    out: dict[str, Any] = {"share_by_month": _month_line(result.tables["basket_by_month"], t)}
    if not facts["has_store"]:
        return out
    by_store, network = result.tables["basket_by_store"], facts["network"]
    by_store = by_store.sort(["orders", "store"], descending=[True, False]).head(MAX_STORES)  # readable on a page
    cells = result.tables["basket_store_month"].filter(
        (pl.col("orders") >= facts["min_orders"]) & pl.col("store").is_in(by_store["store"].implode()))
    out["share_heatmap"] = share_heatmap(cells, t)
    depth = "depth_items" if facts["has_items"] else "depth_lines"
    depth_title = t["Items per order" if facts["has_items"] else "Lines per order"]
    out["depth"] = store_dots(by_store, depth, network[depth], depth_title, t)
    if facts["has_width"]:
        out["width"] = store_dots(by_store, "width", network["width"], t["Categories per order"], t)
    out["share_dots"] = store_dots(by_store, "identified_share", network["identified_share"],
                                   t["Share of orders with a customer ID"], t, fmt=".0%")
    return out


MAX_STORES = 20
"""Charts draw the stores with the most orders, at most this many (a 293-store chain stays readable)."""

LABELLED_MONTHS = 24
"""Up to this many month columns each heatmap cell carries its % label (24 columns still leave 20 px, room for a
7-px "100%"); more, and the labels overlap, so the colour classes and their legend speak alone."""


def share_heatmap(cells: pl.DataFrame, t: dict[str, str]) -> Any:
    """Identified share per store (rows) and month (columns): labelled cells up to LABELLED_MONTHS months, else a
    binned colour scale with a swatch legend (labels of 36 narrow columns overlap)."""
    import altair as alt

    from cjmgen.charts.builders import binned_colour

    months = sorted(cells["month"].unique().to_list())
    stores = sorted(cells["store"].unique().to_list())
    labelled = len(months) <= LABELLED_MONTHS
    column = max(min(34, (500 if labelled else 460) // max(len(months), 1)), 10)
    base = alt.Chart(alt.Data(values=cells.select("store", "month", "identified_share").to_dicts())).encode(
        x=alt.X("month:O", sort=months, title=None, axis=alt.Axis(labelAngle=-90, labelFontSize=8)),
        y=alt.Y("store:N", sort=stores, title=None))
    shares = cells["identified_share"].drop_nulls()
    height = min(22, 440 // max(len(stores), 1)) * len(stores)
    if labelled:
        colour = alt.Color("identified_share:Q", legend=None, scale=alt.Scale(scheme="blues"))
    else:
        # 5th–95th percentile: one odd early month must not put every other cell into the top class
        low, high = (float(shares.quantile(q, "linear")) for q in (0.05, 0.95)) if shares.len() else (0.0, 1.0)
        colour = binned_colour("identified_share", low, high, title=None, fmt=".0%" if high - low >= 0.05 else ".1%",
                               legend={"orient": "right"})
    chart = base.mark_rect().encode(color=colour)
    if labelled:
        chart += base.mark_text(fontSize=7 if column < 24 else 9).encode(
            text=alt.Text("identified_share:Q", format=".0%"),
            color=alt.condition("datum.identified_share > 0.6 * " + str(float(shares.max() or 0)),
                                alt.value("white"), alt.value("#1b1b1b")))
    chart = chart.properties(title=t["Share of orders with a customer ID, store × month"], width=column * len(months),
                             height=height)
    # Vega-Lite drops gradient* from a threshold scale's Legend; the chart config reaches Vega (band as tall as rows)
    return chart if labelled else chart.configure_legend(gradientLength=max(height, 80), gradientThickness=12)


def store_dots(frame: pl.DataFrame, value: str, network: float, title: str, t: dict[str, str], fmt: str = ".2f") -> Any:
    """One dot per store on a scale fitted to the values (differences stay visible), the network as a dashed rule."""
    import altair as alt

    order = frame.sort(value, descending=True)["store"].to_list()
    values = [v for v in frame[value].to_list() if v is not None] + [network]
    pad = (max(values) - min(values)) * 0.15 or abs(network) * 0.05 or 0.1
    scale = alt.Scale(domain=[min(values) - pad, max(values) + pad * 2], nice=False, zero=False)
    base = alt.Chart(alt.Data(values=frame.select("store", value).to_dicts()))
    y = alt.Y("store:N", sort=order, title=None)
    dots = base.mark_circle(size=70, opacity=1).encode(
        y=y, x=alt.X(f"{value}:Q", title=None, scale=scale, axis=alt.Axis(format=fmt, tickCount=4)))
    labels = base.mark_text(align="left", dx=7, fontSize=9).encode(
        y=y, x=f"{value}:Q", text=alt.Text(f"{value}:Q", format=fmt))
    rule_data = alt.Data(values=[{"network": network, "label": f"{t['Network']}"}])
    rule = alt.Chart(rule_data).mark_rule(color="#e07b39", strokeDash=[4, 3], strokeWidth=1.5).encode(x="network:Q")
    note = alt.Chart(rule_data).mark_text(color="#e07b39", align="center", baseline="bottom", fontSize=9, dy=-2).encode(
        x="network:Q", y=alt.value(0), text="label:N")
    return (rule + dots + labels + note).properties(title=title, width=190, height=max(len(order) * 20, 60))


def _month_line(by_month: pl.DataFrame, t: dict[str, str]) -> Any:
    """Share of orders with a customer ID per month."""
    import altair as alt

    return alt.Chart(alt.Data(values=by_month.select("month", "identified_share").to_dicts()),
                     title=t["Share of orders with a customer ID by month"]).mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-90)),
        y=alt.Y("identified_share:Q", title=None, axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False)),
    ).properties(width=600, height=180)


LABELS: dict[str, dict[str, str]] = {
    "The 20 stores with the most orders are drawn and listed; all": {
        "ru": "На графиках и в таблице — 20 магазинов с наибольшим числом заказов; все"},
    "are in": {"ru": "— в файле"},
    "Month": {"ru": "Месяц"},
    "Share of orders with a customer ID, store × month": {"ru": "Доля заказов с ID клиента: магазин × месяц"},
    "Items per order": {"ru": "Товаров в чеке"}, "Lines per order": {"ru": "Позиций в чеке"},
    "Categories per order": {"ru": "Категорий в чеке"},
    "Share of orders with a customer ID": {"ru": "Доля заказов с ID клиента"},
    "Network": {"ru": "Сеть"},
    "Share of orders with a customer ID by month": {"ru": "Доля заказов с ID клиента по месяцам"},
    "Store": {"ru": "Магазин"}, "Orders": {"ru": "Заказы"}, "Identified": {"ru": "С ID клиента"},
    "Network (all stores pooled)": {"ru": "Сеть (все магазины вместе)"},
    "Across the network an order has": {"ru": "В среднем по сети в заказе"}, "lines": {"ru": "позиций"},
    "items": {"ru": "товаров"}, "categories": {"ru": "категорий"},
    "of orders carry a customer ID": {"ru": "заказов — с ID клиента"},
    "Highest identified share": {"ru": "Самая высокая доля заказов с ID клиента"}, "lowest": {"ru": "самая низкая"},
    "The identified share went from": {"ru": "Доля заказов с ID клиента изменилась с"},
    "in the first three months to": {"ru": "в первые три месяца до"},
    "in the last three.": {"ru": "в последние три."}, "Basket by store": {"ru": "Чек по магазинам"},
    "Basket by month": {"ru": "Чек по месяцам"},
    "The network row pools every order of every store; it is not the mean of the store rows.": {
        "ru": "Строка «Сеть» считается по всем заказам всех магазинов, а не как среднее по магазинам."},
    "Identified share": {"ru": "Доля с ID клиента"}, "Orders with a customer ID": {"ru": "Заказы с ID клиента"},
    "highest": {"ru": "самая высокая"}, "an order has": {"ru": "в заказе"},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the basket KPIs chapter."""
    if locale == "ru":
        return ("Заказ — чек хотя бы с одной строкой продажи (сумма ≥ 0); чек только из возвратов заказом не "
                "считается. **Глубина** — среднее число строк продажи в заказе и, если есть количество, среднее "
                "число товаров (сумма количества по строкам продажи; строка без количества — один товар); "
                "возвращённые позиции в глубину не входят. **Ширина** — среднее число разных категорий в заказе (нужна колонка category). "
                "**Доля заказов с ID клиента** — заказы с идентификатором клиента / все заказы. Магазин заказа — магазин его "
                "строк, месяц — месяц даты заказа. **Сеть** — все заказы всех магазинов вместе (взвешено по заказам), "
                "а не среднее значений магазинов.")
    return ("An order is a receipt with at least one purchase line (amount ≥ 0); a return-only receipt is not an "
            "order. **Depth** = mean purchase lines per order and, when quantity is mapped, mean items per order (the "
            "sum of quantity over purchase lines; a line without quantity counts one item); returned items are not "
            "part of the basket. **Width** = mean distinct categories per order (needs the category column). "
            "**Identified share** = orders with a customer id / all orders. An order's store is the store of its "
            "lines; its month is the month of the order date. The **network** pools every order of every store "
            "(weighted by orders); it is not the mean of the stores' values.")
