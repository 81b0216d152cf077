"""The share-of-wallet tables (the wallet analysis's helpers, not an analysis): periods, per-customer spend with us
and with competitors, the segment and cross-shopping tables, the overlap of customers and the leaking list."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import polars as pl

from cjmgen.facts import MONEY_DECIMALS, money_sum

NOT_OURS = "no orders with us"
"""Segment of a panel customer who never bought with us (no RFM segment)."""

TOLERANCE = 1e-9
"""Share drops equal to the threshold up to float noise count as leaking."""


@dataclass(frozen=True)
class Window:
    """A period of whole days, both ends included."""

    start: dt.date
    end: dt.date

    def holds(self, day: pl.Expr) -> pl.Expr:
        """Whether a date column falls inside the period."""
        return day.is_between(pl.lit(self.start), pl.lit(self.end))


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window_to(end: dt.date, months: int) -> Window:
    """The `months` months ending at `end`: from the same date `months` before the day after it (so a window
    ending on June 30th starts on a January 1st, one ending on December 31st on a January 1st)."""
    return Window(months_back(end + dt.timedelta(days=1), months), end)


def window_before(window: Window, months: int) -> Window:
    """The `months` months just before a window."""
    return window_to(window.start - dt.timedelta(days=1), months)


def spend_per_customer(orders: pl.DataFrame, order_days: pl.DataFrame, panel: pl.DataFrame, members: pl.DataFrame,
                       window: Window) -> pl.DataFrame:
    """Per panel customer with spend in the window: our_revenue (revenue on the days in it, returns included),
    competitor_revenue, each floored at 0, and share = ours / both; customers with no spend at all left out."""
    ours = (order_days.filter(pl.col("customer_id").is_not_null() & window.holds(pl.col("day")))
            .group_by("customer_id").agg(money_sum("revenue").alias("our_revenue"))
            .join(members, on="customer_id", how="semi"))
    theirs = (panel.filter(window.holds(pl.col("day"))).group_by("customer_id")
              .agg(money_sum("amount").alias("competitor_revenue")))
    both = ours.join(theirs, on="customer_id", how="full", coalesce=True).with_columns(
        pl.col("our_revenue", "competitor_revenue").fill_null(0.0).clip(lower_bound=0.0))
    total = pl.col("our_revenue") + pl.col("competitor_revenue")
    return (both.filter(total > 0).with_columns((pl.col("our_revenue") / total).alias("share"))
            .sort("customer_id").select("customer_id", "our_revenue", "competitor_revenue", "share"))


def our_orders(orders: pl.DataFrame, window: Window) -> pl.DataFrame:
    """Per identified customer with a real order in the window: orders and their revenue."""
    return (orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null() & window.holds(pl.col("day")))
            .group_by("customer_id").agg(pl.len().alias("orders_us"), money_sum("revenue").alias("revenue_us")))


def their_orders(panel: pl.DataFrame, window: Window) -> pl.DataFrame:
    """Per customer and competitor with a purchase in the window: purchase days (days with a positive amount: a
    return alone is no purchase) as orders, and spend net of returns."""
    days = pl.col("day").filter(pl.col("amount") > 0).n_unique()
    return (panel.filter(window.holds(pl.col("day"))).group_by("customer_id", "competitor")
            .agg(days.alias("orders_them"), money_sum("amount").alias("revenue_them"))
            .filter(pl.col("orders_them") > 0))


def cross_shop(orders: pl.DataFrame, panel: pl.DataFrame, customers: pl.DataFrame, window: Window) -> pl.DataFrame:
    """Per competitor: the panel customers who ordered with us and bought from it in the window, their share of the
    panel customers who ordered with us, orders per customer and average check with us and with the competitor."""
    us = our_orders(orders, window).join(customers.select("customer_id"), on="customer_id", how="semi")
    them = their_orders(panel, window)
    shared = them.join(us, on="customer_id", how="inner")
    ratio = [(pl.col(a).sum() / pl.col(b).sum()).alias(name) for name, a, b in (
        ("orders_per_customer_us", "orders_us", "customers"), ("orders_per_customer_them", "orders_them", "customers"),
        ("avg_check_us", "revenue_us", "orders_us"), ("avg_check_them", "revenue_them", "orders_them"))]
    per = shared.with_columns(pl.lit(1).alias("customers")).group_by("competitor").agg(
        pl.len().alias("customers"), *ratio)
    everyone = them.select("competitor").unique()
    table = everyone.join(per, on="competitor", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64),
        (pl.col("customers").fill_null(0) / max(us.height, 1)).alias("customers_share"),
        *[pl.col(c).round(MONEY_DECIMALS) for c in ("avg_check_us", "avg_check_them")])
    return table.sort(["customers", "competitor"], descending=[True, False]).select(
        "competitor", "customers", "customers_share", "orders_per_customer_us", "orders_per_customer_them",
        "avg_check_us", "avg_check_them")


def overlap(panel: pl.DataFrame, customers: pl.DataFrame, orders: pl.DataFrame, charted: list[str],
            window: Window) -> pl.DataFrame:
    """Customers per combination of buying with us (a real order) and with each charted competitor in the window;
    customers in none of them left out. Competitors within a combination in `charted` order."""
    rank = {name: i for i, name in enumerate(charted)}
    bought = (their_orders(panel, window).filter(pl.col("competitor").is_in(charted))
              .with_columns(pl.col("competitor").replace_strict(rank, return_dtype=pl.Int64).alias("rank"))
              .sort("customer_id", "rank").group_by("customer_id", maintain_order=True)
              .agg(pl.col("competitor").alias("competitors")))
    us = our_orders(orders, window).select("customer_id", pl.lit(True).alias("with_us"))
    each = (customers.select("customer_id").join(bought, on="customer_id", how="left")
            .join(us, on="customer_id", how="left")
            .with_columns(pl.col("with_us").fill_null(False),
                          pl.col("competitors").fill_null(pl.lit([], pl.List(pl.String)))))
    each = each.filter(pl.col("with_us") | (pl.col("competitors").list.len() > 0))
    return (each.group_by("with_us", "competitors").agg(pl.len().alias("customers"))
            .with_columns(pl.col("competitors").list.join("|").alias("key"))
            .sort(["customers", "with_us", "key"], descending=[True, True, False]).drop("key"))


def by_segment(customers: pl.DataFrame) -> pl.DataFrame:
    """Per segment: customers, their spend with us and with competitors, and the pooled share."""
    grouped = customers.group_by("segment").agg(
        pl.len().alias("customers"), money_sum("our_revenue"), money_sum("competitor_revenue"))
    share = pl.col("our_revenue") / (pl.col("our_revenue") + pl.col("competitor_revenue"))
    return grouped.with_columns(share.alias("share")).sort(["customers", "segment"], descending=[True, False])


def leaking(before: pl.DataFrame, now: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Customers measured in both periods whose share fell by at least `threshold`, the largest drop first."""
    joined = before.select("customer_id", pl.col("share").alias("share_before")).join(
        now.select("customer_id", pl.col("share").alias("share_now"), pl.col("our_revenue").alias("our_revenue_now")),
        on="customer_id", how="inner")
    drop = pl.col("share_before") - pl.col("share_now")
    return (joined.filter(drop >= threshold - TOLERANCE).sort([drop, pl.col("customer_id")], descending=[True, False])
            .select("customer_id", "share_before", "share_now", "our_revenue_now"))
