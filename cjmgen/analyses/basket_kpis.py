"""Basket KPIs (METHODS §7): depth (lines and items per order), width (distinct categories per order) and the share
of identified orders, per store and per month, against the network (all stores pooled)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.errors import Problem, UserError
from cjmgen.periods import period_index, period_label, purchase_units
from cjmgen.spec.common import Strict

__all__ = ["BasketResult", "Params", "compute", "kpis", "name", "needs", "order_baskets", "spec_block"]

name = "basket_kpis"
spec_block = None
needs = {"transactions": ("date",)}
"""Orders need an order id or a customer id too (orders are then a customer's day); with neither, compute says so."""

NO_STORE = "—"


class Params(Strict):
    """Depth, width and identified share of orders per store and month. Store and category are optional columns."""

    min_orders: int = Field(
        1, ge=1, description="Store × month cells with fewer orders are left out of the heatmap (too few to read).")
    min_store_orders: int = Field(
        30, ge=1, description="A store with fewer orders is too small to be named as the highest or lowest identified "
                              "share in the text; it stays in the tables, flagged.")


@dataclass(frozen=True)
class BasketResult(Result):
    """Basket measures per store, per month and per store × month, the network's, and the facts sentences quote."""

    network: dict[str, Any] | None
    """orders, identified_orders, identified_share, depth_lines[, depth_items][, width] over all orders."""
    has_items: bool
    has_width: bool
    width_of: Literal["category", "sku"] | None
    """What width counts: distinct categories, or distinct SKUs when the log maps sku but no category."""
    has_store: bool
    has_customer_id: bool
    """False when the log maps no customer id: every order is unidentified, the identified share is 0 by construction
    (the chapter says so in a sentence instead of drawing it)."""
    stores: int
    best_store: dict[str, Any] | None
    """The store row with the highest identified share among stores with at least min_store_orders orders."""
    worst_store: dict[str, Any] | None
    small_stores: list[str]
    """Stores with fewer than min_store_orders orders: in the tables, never named in sentences."""
    months: int
    first_months: list[str]
    """The three months the trend starts from (empty under six months)."""
    last_months: list[str]
    share_first: float | None
    """Identified share of the first three months pooled, when there are six months or more."""
    share_last: float | None
    min_orders: int
    min_store_orders: int
    by_store: Annotated[pl.DataFrame | None, Table("basket_by_store")]
    by_month: Annotated[pl.DataFrame, Table("basket_by_month")]
    store_month: Annotated[pl.DataFrame | None, Table("basket_store_month")]


def compute(ctx: Context, params: Params) -> BasketResult:
    """Per-order basket measures, then their means per store, per month and per store × month, and the network."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    if not sales.has_customer_id and _line_orders(sales.lines):
        sources = getattr(ctx.spec, "sources", {})
        where = str(sources["transactions"].path) if "transactions" in sources else "transactions"
        raise UserError(Problem(
            where, "basket_kpis needs an order id or a customer id to form orders: map transactions.order_id or "
                   "transactions.customer_id (with neither, every line would be an order of its own)",
            "sources.transactions.columns"))
    baskets = order_baskets(sales.orders, sales.lines)
    by_month = kpis(baskets, ["month"]).sort("month")
    has_store = "store" in baskets.columns
    by_store = kpis(baskets, ["store"]).sort("store") if has_store else None
    best, worst, small = store_extremes(by_store, params.min_store_orders)
    first, last = _trend(by_month)
    return BasketResult(
        network=kpis(baskets, []).row(0, named=True) if baskets.height else None,
        has_items="depth_items" in baskets.columns, has_width="width" in baskets.columns,
        width_of=width_column(sales.lines.columns), has_store=has_store,
        has_customer_id=sales.has_customer_id, stores=by_store.height if by_store is not None else 0, best_store=best, worst_store=worst, small_stores=small,
        months=by_month.height, first_months=by_month.head(3)["month"].to_list() if first is not None else [],
        last_months=by_month.tail(3)["month"].to_list() if first is not None else [], share_first=first, share_last=last, min_orders=params.min_orders,
        min_store_orders=params.min_store_orders, by_store=by_store, by_month=by_month,
        store_month=kpis(baskets, ["store", "month"]).sort("store", "month") if has_store else None)


def order_baskets(orders: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """One row per real order: month, store, identified, lines, items and categories of its purchase lines
    (amount ≥ 0: a returned item is not part of the basket, as a return-only receipt is not an order). A log
    without amounts tells a return by a negative quantity; without quantity either, every line is a purchase."""
    bought = lines.lazy().filter(purchase_line(lines.columns))  # lazily: only the columns used are filtered
    per_order = [pl.len().alias("depth_lines")]
    if "quantity" in lines.columns:
        # purchase lines only here: without amounts, each counts its quantity (a missing quantity counts 1)
        units = purchase_units(lines.columns) if "amount" in lines.columns else \
            pl.col("quantity").cast(pl.Float64).fill_null(1.0)
        per_order.append(units.sum().alias("depth_items"))
    width = width_column(lines.columns)
    if width is not None:
        # as a categorical: distinct counts on small integer codes take half the memory and time of text
        per_order.append(pl.col(width).cast(pl.String).cast(pl.Categorical).drop_nulls().n_unique().alias("width"))
    measures = bought.group_by("order_id").agg(*per_order).collect(engine="streaming")
    store = [pl.col("store").cast(pl.String).fill_null(NO_STORE)] if "store" in orders.columns else []
    real = orders.filter(pl.col("is_order")).select(
        "order_id", period_label(period_index(pl.col("day"), "month"), "month").alias("month"), *store,
        pl.col("customer_id").is_not_null().alias("identified"))
    return real.join(measures, on="order_id", how="left").with_columns(pl.col("depth_lines").fill_null(0))


def width_column(columns: list[str]) -> Literal["category", "sku"] | None:
    """Width counts distinct categories; without a category column, distinct SKUs (a bakery's items); else none."""
    return "category" if "category" in columns else "sku" if "sku" in columns else None


def purchase_line(columns: list[str]) -> pl.Expr:
    """A purchase (not a return) line: amount ≥ 0; with no amount, quantity not negative (a line without quantity
    is a purchase, as in the facts' order rule); with neither, every line."""
    if "amount" in columns:
        return pl.col("amount") >= 0
    if "quantity" in columns:
        return (pl.col("quantity") >= 0).fill_null(True)
    return pl.lit(True)


def _line_orders(lines: pl.DataFrame) -> bool:
    """True when the order ids were made up one per line (cjmgen.facts: no order id and no customer id mapped)."""
    return lines.height > 0 and bool(lines["order_id"].str.starts_with("line-").all())


def kpis(baskets: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Orders, identified orders and share, mean depth and width per key (pooled over orders, not over stores)."""
    measures = [pl.col(c).mean().alias(c) for c in ("depth_lines", "depth_items", "width") if c in baskets.columns]
    aggregates = [pl.len().cast(pl.Int64).alias("orders"),
                  pl.col("identified").sum().cast(pl.Int64).alias("identified_orders"),
                  pl.col("identified").mean().alias("identified_share"), *measures]
    grouped = baskets.group_by(keys).agg(*aggregates) if keys else baskets.select(*aggregates)
    return grouped.select(*keys, "orders", "identified_orders", "identified_share",
                          *[m.meta.output_name() for m in measures])


def store_extremes(by_store: pl.DataFrame | None,
                   min_orders: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[str]]:
    """(highest, lowest identified share among stores with at least min_orders orders, the smaller stores).

    A store with 11 orders reaches 100% or 0% on a few receipts; it is not named as an extreme. No extremes
    unless two stores have enough orders.
    """
    if by_store is None:
        return None, None, []
    small = by_store.filter(pl.col("orders") < min_orders)["store"].to_list()
    ranked = by_store.filter(pl.col("orders") >= min_orders).sort(["identified_share", "store"],
                                                                  descending=[True, False])
    if ranked.height < 2:
        return None, None, small
    return ranked.row(0, named=True), ranked.row(-1, named=True), small


def _trend(by_month: pl.DataFrame) -> tuple[float | None, float | None]:
    """Identified share of the first and the last three months pooled (orders-weighted), when there are six."""
    if by_month.height < 6:
        return None, None
    def share(part: pl.DataFrame) -> float:
        return int(part["identified_orders"].sum()) / int(part["orders"].sum())

    return share(by_month.head(3)), share(by_month.tail(3))
