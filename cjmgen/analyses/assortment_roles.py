"""Measures and roles per item for the assortment analysis (not an analysis itself).

Everything is counted on basket lines (METHODS §7: lines of positive quantity, or positive amount without quantity):
orders_share = baskets with the item / all baskets; customers_share = identified buyers / identified customers with
a basket; repeat_rate = buyers with the item in ≥ 2 baskets / buyers; buyer_retention = among customers with a
basket on or before as_of − window_days who bought the item by then, the share with a basket after that day;
non_buyer_retention = the same share among the other customers of that time, matched to the buyers' frequency
(see _retention)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from cjmgen.facts import basket_lines

__all__ = ["ROLES", "ROLE_COLUMNS", "Cuts", "assign_roles", "item_measures", "orders_with"]

ROLES = ("core", "hits", "retaining", "niche", "random")
"""Every role, in the order the report lists them."""

FREQUENCY_CAP = 5
"""Frequency bands for matching non-buyers to buyers: 1, 2, 3, 4 and 5 or more baskets before the cutoff."""

ROLE_COLUMNS = ("item", "orders_share", "customers_share", "repeat_rate", "buyer_retention", "role",
                "non_buyer_retention", "orders", "buyers", "repeat_buyers")


def item_measures(lines: pl.DataFrame, level: str, as_of: dt.date, window_days: int) -> tuple[pl.DataFrame, int, int]:
    """(per item: item, orders, buyers, repeat_buyers, shares, repeat rate, retentions; baskets; customers)."""
    bl = basket_lines(lines, level).select("customer_id", "order_id", "day", "item").collect()
    baskets = bl["order_id"].n_unique()
    people = bl.filter(pl.col("customer_id").is_not_null())
    customers = people["customer_id"].n_unique()
    items = bl.drop_nulls("item")
    per_buyer = (items.filter(pl.col("customer_id").is_not_null()).group_by("item", "customer_id")
                 .agg(pl.col("order_id").n_unique().alias("n")))
    buyers = per_buyer.group_by("item").agg(pl.len().cast(pl.Int64).alias("buyers"),
                                            (pl.col("n") >= 2).sum().cast(pl.Int64).alias("repeat_buyers"))
    measures = (items.group_by("item").agg(pl.col("order_id").n_unique().cast(pl.Int64).alias("orders"))
                .join(buyers, on="item", how="left").with_columns(pl.col("buyers", "repeat_buyers").fill_null(0))
                .join(_retention(people, as_of - dt.timedelta(days=window_days)), on="item", how="left"))
    return measures.with_columns(
        (pl.col("orders") / max(baskets, 1)).alias("orders_share"),
        (pl.col("buyers") / max(customers, 1)).alias("customers_share"),
        pl.when(pl.col("buyers") > 0).then(pl.col("repeat_buyers") / pl.col("buyers")).alias("repeat_rate"),
    ), baskets, customers


def _retention(people: pl.DataFrame, cutoff: dt.date) -> pl.DataFrame:
    """item → buyer_retention, non_buyer_retention at the cutoff day (null where a group is empty).

    Non-buyers are matched to the buyers' frequency: customers with more baskets buy more items and stay active more
    often, so the non-buyers' retention is taken per band of baskets before the cutoff (1, 2, …, FREQUENCY_CAP or
    more) and weighted by the item's buyers in each band (bands without a non-buyer left out)."""
    before = people.filter(pl.col("day") <= cutoff)
    active = people.filter(pl.col("day") > cutoff).select("customer_id").unique().with_columns(
        pl.lit(True).alias("active"))
    base = (before.group_by("customer_id").agg(pl.col("order_id").n_unique().clip(upper_bound=FREQUENCY_CAP)
                                               .cast(pl.Int64).alias("band"))
            .join(active, on="customer_id", how="left").with_columns(pl.col("active").fill_null(False)))
    bands = base.group_by("band").agg(pl.len().cast(pl.Int64).alias("_n"),
                                      pl.col("active").sum().cast(pl.Int64).alias("_a"))
    bought = (before.drop_nulls("item").select("item", "customer_id").unique()
              .join(base, on="customer_id").group_by("item", "band")
              .agg(pl.len().cast(pl.Int64).alias("_b"), pl.col("active").sum().cast(pl.Int64).alias("_ba"))
              .join(bands, on="band").sort("item", "band"))  # a fixed order: float sums identical run to run
    rest = pl.col("_n") - pl.col("_b")
    matched = pl.col("_b").filter(rest > 0)
    return bought.group_by("item", maintain_order=True).agg(
        (pl.col("_ba").sum() / pl.col("_b").sum()).alias("buyer_retention"),
        pl.when(matched.sum() > 0).then(
            (matched * ((pl.col("_a") - pl.col("_ba")) / rest).filter(rest > 0)).sum() / matched.sum())
        .otherwise(None).alias("non_buyer_retention"))


@dataclass(frozen=True)
class Cuts:
    """The thresholds roles are read at (given in the spec or the medians over items)."""

    orders_share: float
    customers_share: float
    repeat_rate: float
    retention_margin: float
    from_medians: tuple[str, ...]
    """The cuts taken as medians (not given in the spec)."""

    @classmethod
    def of(cls, measures: pl.DataFrame, orders_share: float | None, customers_share: float | None,
           repeat_rate: float | None, margin: float) -> Cuts:
        """Given cuts, the rest as medians over items (0 when there is no item)."""
        given = {"orders_share": orders_share, "customers_share": customers_share, "repeat_rate": repeat_rate}
        values = {key: value if value is not None else _median(measures, key) for key, value in given.items()}
        return cls(values["orders_share"], values["customers_share"], values["repeat_rate"], margin,
                   tuple(key for key, value in given.items() if value is None))


def _median(measures: pl.DataFrame, column: str) -> float:
    value = measures[column].drop_nulls().median() if measures.height else None
    return float(value) if value is not None else 0.0  # type: ignore[arg-type]


def assign_roles(measures: pl.DataFrame, cuts: Cuts) -> pl.DataFrame:
    """One role per item, the first that fits: core (orders and customers shares high), retaining (repeat high and
    buyers retain better than non-buyers by more than the margin), niche (repeat high, customers low), hits
    (customers high), random (the rest: customers and repeat low)."""
    many = pl.col("customers_share") >= cuts.customers_share
    repeat = pl.col("repeat_rate").fill_null(0.0) >= cuts.repeat_rate
    gap = pl.col("buyer_retention") - pl.col("non_buyer_retention")
    role = (pl.when((pl.col("orders_share") >= cuts.orders_share) & many).then(pl.lit("core"))
            .when(repeat & (gap > cuts.retention_margin).fill_null(False)).then(pl.lit("retaining"))
            .when(repeat & ~many).then(pl.lit("niche"))
            .when(many).then(pl.lit("hits"))
            .otherwise(pl.lit("random")))
    return (measures.with_columns(role.alias("role")).select(ROLE_COLUMNS)
            .sort(["orders", "item"], descending=[True, False]))


def orders_with(lines: pl.DataFrame, level: str, items: list[str]) -> int:
    """Baskets holding at least one of the items."""
    kept = basket_lines(lines, level).filter(pl.col("item").is_in(items)).select(pl.col("order_id").n_unique())
    return int(kept.collect().item())
