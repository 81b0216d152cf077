"""Share of wallet (METHODS §9): our spend against competitors' for the customers of a competitor panel, by RFM
segment, cross-shopping per competitor, and the customers whose share fell between two periods (leaking)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.analyses.wallet_core import (
    NOT_OURS,
    by_segment,
    cross_shop,
    leaking,
    overlap,
    spend_per_customer,
    window_before,
    window_to,
)
from cjmgen.scoring import params_in, score_customers
from cjmgen.spec.common import Strict

__all__ = ["MAX_OVERLAP", "NOT_OURS", "Params", "WalletResult", "compute", "name", "needs", "spec_block"]

name = "wallet"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount"),
         "competitor_purchases": ("customer_id", "competitor", "date", "amount")}

MAX_OVERLAP = 4
"""Competitors drawn in the overlap chart (those with the most shared customers); all are in cross_shop.csv."""


class Params(Strict):
    """Share of wallet against a competitor panel, cross-shopping, and the customers leaking to competitors."""

    period: int = Field(12, ge=1, le=60, description="Months of the period measured, ending at as_of; the period "
                                                     "before it (as long) is what leaking is measured against.")
    threshold: float = Field(0.2, gt=0, le=1, description="Leaking: the share of wallet fell by at least this much "
                                                          "(0.2 = 20 percentage points) from the period before.")


@dataclass(frozen=True)
class WalletResult(Result):
    """Per-customer shares, the segment and competitor tables, the overlap of customers and the leaking list."""

    start: dt.date
    """First day of the period measured (it ends at as_of)."""
    end: dt.date
    before_start: dt.date
    before_end: dt.date
    threshold: float
    share: float | None
    """Our spend / all spend of the customers measured (None when nobody spent anything)."""
    our_revenue: float
    competitor_revenue: float
    measured: int
    """Customers measured: in the panel, with spend with us or a competitor in the period."""
    panel_customers: int
    """Customers in the competitor panel (any date)."""
    outside_panel: int
    """Our customers with orders in the period who are not in the panel (their spend elsewhere is unknown)."""
    competitors: int
    charted: list[str]
    """Competitors in the overlap chart (at most MAX_OVERLAP, most shared customers first)."""
    leaking_customers: int
    leaking_revenue: float
    """Our revenue in the period from the leaking customers."""
    leaking_active: int
    """Leaking customers who still spent money with us in the period."""
    not_ours: str
    """The segment of panel customers who never ordered with us (NOT_OURS)."""
    customers: Annotated[pl.DataFrame, Table("wallet_customers")]
    segments: Annotated[pl.DataFrame, Table("wallet_by_segment")]
    cross_shop: Annotated[pl.DataFrame, Table("cross_shop")]
    overlap: pl.DataFrame
    """with_us (bool), competitors (list of names among `charted`), customers: one row per combination seen."""
    leaking: pl.DataFrame
    """customer_id, share_before, share_now, our_revenue_now: the share fell by `threshold` or more."""

    def customer_lists(self) -> dict[str, pl.DataFrame]:
        """segments/leaking.csv: the customers whose share of wallet fell."""
        return {"leaking": self.leaking}


def compute(ctx: Context, params: Params) -> WalletResult:
    """Shares of wallet of the panel's customers over the period, by segment and competitor, and the leaking list."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales, panel = ctx.facts.sales, panel_of(ctx.facts.tables["competitor_purchases"])
    now = window_to(sales.as_of, params.period)
    before = window_before(now, params.period)
    members = panel.select("customer_id").unique()
    scored = score_customers(sales.customers, sales.as_of, params_in(ctx.spec)).select("customer_id", "name")
    customers = spend_per_customer(sales.orders, sales.order_days, panel, members, now).join(
        scored, on="customer_id", how="left").with_columns(pl.col("name").fill_null(NOT_OURS).alias("segment"))
    ours, theirs = float(customers["our_revenue"].sum()), float(customers["competitor_revenue"].sum())
    table = cross_shop(sales.orders, panel, customers, now)
    charted = table.filter(pl.col("customers") > 0).head(MAX_OVERLAP)["competitor"].to_list()
    leaks = leaking(spend_per_customer(sales.orders, sales.order_days, panel, members, before), customers,
                    params.threshold)
    buyers = sales.orders.filter(pl.col("is_order") & now.holds(pl.col("day")) & pl.col("customer_id").is_not_null())
    return WalletResult(
        start=now.start, end=now.end, before_start=before.start, before_end=before.end, threshold=params.threshold,
        share=ours / (ours + theirs) if ours + theirs > 0 else None, our_revenue=ours, competitor_revenue=theirs,
        measured=customers.height, panel_customers=members.height,
        outside_panel=buyers.select("customer_id").unique().join(members, on="customer_id", how="anti").height,
        competitors=table.height, charted=charted, leaking_customers=leaks.height,
        leaking_revenue=float(leaks["our_revenue_now"].sum()), not_ours=NOT_OURS,
        leaking_active=leaks.filter(pl.col("our_revenue_now") > 0).height,
        customers=customers.select("customer_id", "our_revenue", "competitor_revenue", "share", "segment"),
        segments=by_segment(customers), cross_shop=table, overlap=overlap(panel, customers, sales.orders, charted, now),
        leaking=leaks)


def panel_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """The panel's identified purchases: customer_id and competitor as text, day, amount (nulls dropped)."""
    return purchases.select(
        pl.col("customer_id").cast(pl.String), pl.col("competitor").cast(pl.String),
        pl.col("date").cast(pl.Date).alias("day"), pl.col("amount").cast(pl.Float64),
    ).drop_nulls()

