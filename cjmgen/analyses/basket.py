"""Basket and product analytics (METHODS §7): association rules within baskets, sequence rules across a customer's
orders, repurchase cycles, RFM-P (lapse per customer × product) and next best product.

Rules need only orders and an item column (a receipt log without customers or amounts gives them); the rest needs
customer ids and is left out (None) without them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import Field, model_validator

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.analyses.basket_customers import MIN_REPEAT_BUYERS, cycles, next_best, rfmp, sequence_rules, substituted
from cjmgen.analyses.basket_rules import basket_items, itemsets, pair_rules, rules
from cjmgen.facts import basket_lines
from cjmgen.spec.common import Strict

__all__ = ["BasketRulesResult", "LAPSED_LISTS", "Params", "Sequence", "compute", "name", "needs", "needs_for",
           "spec_block"]

name = "basket"
spec_block = None
needs = {"transactions": ("date", "order_id")}

LAPSED_LISTS = 5
"""segments/lapsed_<item>.csv is written for this many items: those with a cycle and the most buyers."""


class Sequence(Strict):
    """Sequence rules across a customer's orders."""

    within_days: int = Field(90, ge=1, description="\"After A, B within this many days\": the window after a "
                                                   "customer's first purchase of A.")


class Params(Strict):
    """What sells together, in which order, how often it is rebought, who lapsed on it and what to offer next."""

    level: Literal["sku", "category", "product_group"] = Field(
        "sku", description="The item of a basket: the transactions column sku, category or product_group.")
    min_support: float = Field(0.01, gt=0, le=1, description="Minimum share of baskets with all the items of a rule "
                                                             "(of customers, for sequence rules).")
    min_confidence: float = Field(0.2, ge=0, le=1, description="Minimum confidence of a rule: baskets with antecedent "
                                                               "and consequent / baskets with the antecedent.")
    min_lift: float = Field(1.0, ge=0, description="Minimum lift: confidence / support of the consequent (1 = as often "
                                                   "as by chance).")
    max_len: int = Field(2, ge=2, le=3, description="Items in a rule, antecedent and consequent together (2 or 3).")
    top: int = Field(15, ge=1, description="Rules shown in the report (every rule is in tables/basket_rules.csv).")
    sequence: Sequence = Field(default_factory=Sequence, description="Sequence rules: `{within_days: 90}`.")
    substitutes: dict[str, list[str]] = Field(
        default_factory=dict, description="Group name → items that replace one another; a group counts as one item "
                                          "for repurchase cycles and lapse.")
    n: int = Field(3, ge=1, description="Next best products per customer.")

    @property
    def min_repeat_buyers(self) -> int:
        """Repeat buyers an item needs to have a cycle (stated in the methodology)."""
        return MIN_REPEAT_BUYERS

    @property
    def lapsed_lists(self) -> int:
        """Items whose lapsed customers are listed in segments/."""
        return LAPSED_LISTS

    @model_validator(mode="after")
    def _one_group_per_item(self) -> Params:
        seen: dict[str, str] = {}
        for group, items in self.substitutes.items():
            for item in items:
                if item in seen and seen[item] != group:
                    raise ValueError(f"item {item!r} is in two substitute groups: {seen[item]!r} and {group!r}")
                seen[item] = group
        return self


def needs_for(params: Params) -> NeedsFor:
    """The item column of `level`."""
    return [(("level",), "transactions", params.level)]


@dataclass(frozen=True)
class BasketRulesResult(Result):
    """Rules and the customer-side tables (None without customer ids), with the facts sentences quote."""

    level: str
    baskets: int
    """Orders with at least one purchase line."""
    items: int
    """Distinct items in baskets."""
    frequent_items: int
    """Items whose support reaches min_support."""
    rules_count: int
    top_rule: dict[str, Any] | None
    """The rule with the highest lift (antecedent, consequent, orders, support, confidence, lift)."""
    shown: pl.DataFrame
    """The top rules the report shows."""
    best_lift: float | None
    """The highest lift between two frequent items, whatever its confidence (None: no frequent pair)."""
    has_customers: bool
    within_days: int
    min_support: float
    min_confidence: float
    min_lift: float
    max_len: int
    rules: Annotated[pl.DataFrame, Table("basket_rules")]
    sequence: Annotated[pl.DataFrame | None, Table("sequence_rules")]
    cycles: Annotated[pl.DataFrame | None, Table("repurchase_cycles")]
    rfmp: Annotated[pl.DataFrame | None, Table("rfmp")]
    next_best: Annotated[pl.DataFrame | None, Table("next_best_product")]
    status: pl.DataFrame | None
    """Per listed item (the LAPSED_LISTS with a cycle and the most buyers): item, cycle_days, active, due, lapsed."""
    lapsed_total: int
    """Customer × item pairs lapsed, over every item with a cycle."""
    customers_with_offer: int
    sequence_count: int
    sequence_shown: pl.DataFrame | None
    """The first `top` sequence rules (by confidence)."""
    top_cycle: dict[str, Any] | None
    """The item with a cycle and the most buyers: item, buyers, repeat_buyers, median_days, p80_days."""
    offered: pl.DataFrame | None
    """The items offered first (rank 1) to the most customers: item, customers (at most `top`)."""

    def customer_lists(self) -> dict[str, pl.DataFrame]:
        """segments/lapsed_<item>.csv: customers lapsed on each listed item."""
        if self.rfmp is None or self.status is None:
            return {}
        lapsed = self.rfmp.filter(pl.col("status") == "lapsed")
        return {f"lapsed_{_slug(item)}": lapsed.filter(pl.col("item") == item).select(
                    "customer_id", "purchases", "last_date", "days_since", "cycle_days").sort("customer_id")
                for item in self.status["item"].to_list()}


def compute(ctx: Context, params: Params) -> BasketRulesResult:
    """Rules from the baskets; with customer ids also sequence rules, cycles, RFM-P and next best product."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    orders_items, baskets = basket_items(sales.lines, params.level)
    sets = itemsets(orders_items, baskets, params.min_support, params.max_len)
    co_purchase = pair_rules(sets, baskets)
    found = rules(sets, baskets, params.min_confidence, params.min_lift).select(
        "antecedent", "consequent", "orders", "support", "confidence", "lift")
    parts = _customer_parts(sales, sets, co_purchase, found, params) if sales.has_customer_id else _NO_CUSTOMERS
    sequence = parts["sequence"]
    return BasketRulesResult(
        level=params.level, baskets=baskets, items=orders_items["item"].n_unique(), frequent_items=sets.items.height,
        rules_count=found.height, top_rule=found.row(0, named=True) if found.height else None,
        shown=found.head(params.top), best_lift=co_purchase["lift"].max() if co_purchase.height else None,  # type: ignore[arg-type]
        has_customers=sales.has_customer_id, within_days=params.sequence.within_days,
        min_support=params.min_support, min_confidence=params.min_confidence, min_lift=params.min_lift,
        max_len=params.max_len, rules=found, sequence=sequence, cycles=parts["cycles"], rfmp=parts["rfmp"],
        next_best=parts["offers"], status=parts["status"], lapsed_total=parts["lapsed_total"],
        customers_with_offer=parts["with_offer"], sequence_count=sequence.height if sequence is not None else 0,
        sequence_shown=sequence.head(params.top) if sequence is not None else None, top_cycle=parts["top_cycle"],
        offered=parts["offered"])


_NO_CUSTOMERS: dict[str, Any] = {"sequence": None, "cycles": None, "rfmp": None, "offers": None, "status": None,
                                 "offered": None, "top_cycle": None, "lapsed_total": 0, "with_offer": 0}
"""What a receipt log without customer ids gives for the customer parts: nothing (the chapter says why)."""


def _customer_parts(sales: Any, sets: Any, co_purchase: pl.DataFrame, found: pl.DataFrame,
                    params: Params) -> dict[str, Any]:
    """Sequence rules, repurchase cycles, RFM-P and next best product: the parts that need customer ids."""
    found_lines = (basket_lines(sales.lines, params.level).filter(pl.col("customer_id").is_not_null())
                   .drop_nulls("item").select("customer_id", "order_id", "day", "item").collect())
    # customers as integers while computing (joins, sorts and groups on text ids are several times slower)
    ids = found_lines["customer_id"].unique().sort()
    people = pl.DataFrame({"customer_id": ids}).with_row_index("_who")
    purchases = found_lines.with_columns(  # numbered in the order of the ids (an Enum cast, no join)
        pl.col("customer_id").cast(pl.Enum(ids)).to_physical().cast(pl.UInt32))
    sequence = sequence_rules(purchases, sets.items["item"], sales.as_of, params.sequence.within_days,
                              params.min_support, params.min_confidence)
    grouped = substituted(purchases, params.substitutes)
    cycle_table = cycles(grouped)
    product = _named(rfmp(grouped, cycle_table, sales.as_of), people)
    offers = _named(next_best(purchases, co_purchase, found, params.n), people)
    offered = (offers.filter(pl.col("rank") == 1).group_by("item").agg(pl.len().cast(pl.Int64).alias("customers"))
               .sort(["customers", "item"], descending=[True, False]).head(params.top))
    known = cycle_table.filter((pl.col("repeat_buyers") >= MIN_REPEAT_BUYERS) & pl.col("median_days").is_not_null())
    return {"sequence": sequence, "cycles": cycle_table, "rfmp": product, "offers": offers,
            "status": _status(product, cycle_table), "offered": offered,
            "top_cycle": known.row(0, named=True) if known.height else None,
            "lapsed_total": int((product["status"] == "lapsed").sum()), "with_offer": offers["customer_id"].n_unique()}


def _status(product: pl.DataFrame, cycle_table: pl.DataFrame) -> pl.DataFrame:
    """Customers active, due and lapsed on the LAPSED_LISTS items with a cycle and the most buyers."""
    listed = (cycle_table.filter((pl.col("repeat_buyers") >= MIN_REPEAT_BUYERS) & pl.col("median_days").is_not_null())
              .head(LAPSED_LISTS).select("item", "buyers", pl.col("median_days").alias("cycle_days"), "p80_days"))
    counts = product.group_by("item").agg(*[(pl.col("status") == s).sum().cast(pl.Int64).alias(s)
                                            for s in ("active", "due", "lapsed")])
    return listed.join(counts, on="item", how="left", maintain_order="left").with_columns(
        pl.col("active", "due", "lapsed").fill_null(0))


def _named(frame: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Customer numbers back to their ids (the frame's order and columns kept)."""
    ids = people.select(pl.col("_who").alias("customer_id"), pl.col("customer_id").alias("_id"))
    return (frame.join(ids, on="customer_id", how="left", maintain_order="left")
            .with_columns(pl.col("_id").alias("customer_id")).select(frame.columns))


def _slug(item: str) -> str:
    """An item as a file-name part: letters, digits and _ (other characters become _)."""
    return re.sub(r"\W+", "_", str(item).strip().lower()).strip("_") or "item"
