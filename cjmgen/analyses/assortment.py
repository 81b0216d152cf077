"""Assortment roles (METHODS §7): per item, share of orders, share of customers, repeat rate and the retention of its
buyers against non-buyers → core, hits, retaining, niche or random; and the customer decision hierarchy (Yule's Q
between items on the customer × item incidence, clustered into a tree) when `cdh` is set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.assortment_cdh import CdhTree, decision_hierarchy
from cjmgen.analyses.assortment_roles import ROLES, Cuts, assign_roles, item_measures, orders_with
from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.errors import Problem, UserError
from cjmgen.spec.common import Strict

__all__ = ["AssortmentResult", "Cdh", "Params", "compute", "name", "needs", "needs_for", "spec_block"]

name = "assortment"
spec_block = None
needs = {"transactions": ("customer_id", "date", "order_id")}

EXAMPLES = 5
"""Items named per role in the chapter's table."""

PARENT = {"sku": "category", "category": "product_group"}
"""The level whose items must be shared for two items to be substitutes."""


class Cdh(Strict):
    """Customer decision hierarchy: items rarely bought by the same customer, clustered by Yule's Q."""

    min_buyers: int = Field(30, ge=1, description="Items with fewer buyers in the period are left out.")
    max_items: int = Field(40, ge=2, description="At most this many items (the most bought) enter the hierarchy.")
    days: int | None = Field(365, ge=1, description="The period: customers' purchases in the last `days` before "
                                                    "as_of (null: the whole history).")
    substitute_q: float = Field(-0.3, ge=-1, le=0, description="Two items of the same parent (the category of a SKU, "
                                                               "the product group of a category) with Q at or below "
                                                               "this are substitutes.")


class Params(Strict):
    """Product roles from shares of orders and customers, repeat rate and buyer retention."""

    level: Literal["sku", "category", "product_group"] = Field(
        "sku", description="The item: the transactions column sku, category or product_group.")
    window_days: int = Field(90, ge=1, description="Retention: a customer is still active when they ordered in the "
                                                   "last `window_days` before as_of.")
    orders_share: float | None = Field(None, gt=0, le=1, description="High share of orders from this share up "
                                                                     "(null: the median over items).")
    customers_share: float | None = Field(None, gt=0, le=1, description="Many customers from this share up "
                                                                        "(null: the median over items).")
    repeat_rate: float | None = Field(None, ge=0, le=1, description="High repeat from this rate up (null: the median "
                                                                    "over items).")
    retention_margin: float = Field(0.0, ge=0, le=1, description="Retaining: buyers' retention exceeds non-buyers' "
                                                                 "by more than this (in share points / 100).")
    labels: int = Field(15, ge=0, description="Items named on the quadrant chart (the most bought).")
    top: int = Field(20, ge=1, description="Items (and substitute pairs) listed in the chapter; every one is in the "
                                           "tables.")
    cdh: Cdh | None = Field(None, description="Customer decision hierarchy: `{min_buyers: 30}` (off when absent).")


def needs_for(params: Params) -> NeedsFor:
    """The item column of `level`."""
    return [(("level",), "transactions", params.level)]


@dataclass(frozen=True)
class AssortmentResult(Result):
    """Roles per item with the cuts used, and the decision hierarchy when asked for."""

    level: str
    items: int
    orders: int
    """Baskets (orders with a purchase line)."""
    customers: int
    """Identified customers with a basket."""
    window_days: int
    cuts: Cuts
    role_counts: dict[str, int]
    """Role → items, every role present (0 when none)."""
    top: int
    top_retaining: list[str]
    """Up to three retaining items with the largest retention gap."""
    examples: dict[str, list[str]]
    """Role → up to EXAMPLES items with the most orders."""
    core_orders_share: float | None
    """Share of baskets holding at least one core item (None: no core item)."""
    labels: int
    roles: Annotated[pl.DataFrame, Table("assortment_roles")]
    cdh: Annotated[pl.DataFrame | None, Table("cdh")]
    tree: CdhTree | None
    substitutes_shown: pl.DataFrame | None
    """The first `top` substitute pairs (most negative Q first)."""
    parent: str | None
    """The column substitutes must share (None: none mapped, every pair may be substitutes)."""
    substitute_pairs: int
    cdh_days: int | None
    cdh_min_buyers: int
    substitute_q: float


def compute(ctx: Context, params: Params) -> AssortmentResult:
    """Measures per item, roles at the cuts, and the Yule's Q pairs and tree when `cdh` is set."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    if not sales.has_customer_id:
        raise UserError(Problem("transactions", "assortment roles compare buyers: map transactions.customer_id",
                                "sources.transactions.columns"))
    measures, orders, customers = item_measures(sales.lines, params.level, sales.as_of, params.window_days)
    cuts = Cuts.of(measures, params.orders_share, params.customers_share, params.repeat_rate, params.retention_margin)
    roles = assign_roles(measures, cuts)
    counts = roles.group_by("role").agg(pl.len().cast(pl.Int64).alias("n"))
    by_role = dict(zip(counts["role"].to_list(), counts["n"].to_list(), strict=True))
    core = roles.filter(pl.col("role") == "core")["item"].to_list()
    parent = _parent(sales.lines, params.level)
    cdh = tree = None
    if params.cdh is not None:
        start = None if params.cdh.days is None else sales.as_of - dt.timedelta(days=params.cdh.days)
        cdh, tree = decision_hierarchy(sales.lines, params.level, parent, start, params.cdh.min_buyers,
                                       params.cdh.max_items, params.cdh.substitute_q)
    return AssortmentResult(
        level=params.level, items=roles.height, orders=orders, customers=customers, window_days=params.window_days,
        cuts=cuts, role_counts={r: int(by_role.get(r, 0)) for r in ROLES},
        top=params.top,
        top_retaining=roles.filter(pl.col("role") == "retaining").with_columns(
            (pl.col("buyer_retention") - pl.col("non_buyer_retention")).alias("_gap")).sort(
            ["_gap", "item"], descending=[True, False])["item"].head(3).to_list(),
        examples={r: roles.filter(pl.col("role") == r)["item"].head(EXAMPLES).to_list() for r in ROLES},
        core_orders_share=orders_with(sales.lines, params.level, core) / orders if core and orders else None,
        labels=params.labels, roles=roles, cdh=cdh, tree=tree, parent=parent,
        substitutes_shown=cdh.filter(pl.col("substitutes")).head(params.top) if cdh is not None else None,
        substitute_pairs=int(cdh["substitutes"].sum()) if cdh is not None else 0,
        cdh_days=params.cdh.days if params.cdh else None, cdh_min_buyers=params.cdh.min_buyers if params.cdh else 0,
        substitute_q=params.cdh.substitute_q if params.cdh else 0.0)


def _parent(lines: pl.DataFrame, level: str) -> str | None:
    """The parent column of the level when the log has it."""
    column = PARENT.get(level)
    return column if column is not None and column in lines.columns else None
