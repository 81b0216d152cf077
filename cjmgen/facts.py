"""Aggregates every analysis shares, computed once: lines up to as_of, orders, customers (METHODS §1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

DIMENSIONS = ("store", "channel", "manager")
"""Order-level dimensions kept on each order (the value of its first line) for breakdowns."""

_FEMALE = ("f", "w", "ж")

MONEY_DECIMALS = 6
"""Money sums are rounded here. Amounts carry at most a few decimals, so this is exact, and it makes every
sum independent of the order polars' threads add partial sums in: same data, identical tables."""


def money_sum(column: str) -> pl.Expr:
    """Sum of a money column, rounded to MONEY_DECIMALS (see there)."""
    return pl.col(column).sum().round(MONEY_DECIMALS)
_MALE = ("m", "м")


@dataclass(frozen=True)
class Sales:
    """Transaction facts up to as_of. Revenue everywhere includes returns (negative lines)."""

    as_of: dt.date
    first_day: dt.date
    lines: pl.DataFrame
    """Canonical lines with `day` (Date) and a filled `order_id`, dated on or before as_of."""
    orders: pl.DataFrame
    """One row per order id: customer_id, day, placed_at, revenue, lines, is_order (False: return-only), dimensions."""
    customers: pl.DataFrame
    """One row per identified customer with ≥1 order: first_day, last_day, orders, revenue, margin, attributes."""
    excluded_after_as_of: int
    has_cost: bool


@dataclass(frozen=True)
class Facts:
    """Everything analyses read: transaction facts (None without a transactions source) and other tables."""

    sales: Sales | None
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)


def build_facts(frames: dict[str, pl.DataFrame], as_of: dt.date | None) -> Facts:
    """Shared facts from canonical, validated source frames."""
    tables = {name: frame for name, frame in frames.items() if name != "transactions"}
    if "transactions" not in frames:
        return Facts(None, tables)
    return Facts(build_sales(frames["transactions"], frames.get("customers"), as_of), tables)


def build_sales(lines: pl.DataFrame, customers: pl.DataFrame | None, as_of: dt.date | None) -> Sales:
    """Lines → orders → customers, ignoring everything after as_of (default: the last transaction day)."""
    lines = lines.with_columns(pl.col("date").dt.date().alias("day"))
    if as_of is None:
        as_of = lines["day"].max()
    kept = lines.filter(pl.col("day") <= as_of)
    kept = _with_order_ids(kept)
    orders = orders_of(kept)
    people = customers_of(orders, kept, customers, as_of)
    first_day = kept["day"].min() if kept.height else as_of
    return Sales(as_of, first_day, kept, orders, people, lines.height - kept.height, "cost" in kept.columns)


def _with_order_ids(lines: pl.DataFrame) -> pl.DataFrame:
    """No order id mapped: one order per (customer, day); an unidentified line is an order of its own."""
    if "order_id" in lines.columns and lines["order_id"].null_count() == 0:
        return lines
    per_day = pl.concat_str([pl.col("customer_id"), pl.col("day").cast(pl.String)], separator="|")
    own = pl.concat_str([pl.lit("line-"), pl.int_range(pl.len()).cast(pl.String)])
    derived = pl.when(pl.col("customer_id").is_not_null()).then(per_day).otherwise(own)
    if "order_id" in lines.columns:
        derived = pl.coalesce(pl.col("order_id"), derived)
    return lines.with_columns(derived.alias("order_id"))


def orders_of(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per order id. An order whose lines are all negative is a return, not an order (is_order False)."""
    # Lines of one order share customer, store, channel and manager; max() ignores nulls and is deterministic.
    dims = [pl.col(d).max().alias(d) for d in DIMENSIONS if d in lines.columns]
    extra = [pl.col("quantity").sum().alias("items")] if "quantity" in lines.columns else []
    extra += [money_sum("cost").alias("cost")] if "cost" in lines.columns else []
    return (
        lines.group_by("order_id")
        .agg(
            pl.col("customer_id").max().alias("customer_id"),
            pl.col("day").min().alias("day"),
            pl.col("date").min().alias("placed_at"),
            money_sum("amount").alias("revenue"),
            pl.len().alias("lines"),
            (pl.col("amount") >= 0).any().alias("is_order"),
            *extra,
            *dims,
        )
        .sort("order_id")  # a total order, so every later float sum adds in the same order: identical outputs
    )


def customers_of(orders: pl.DataFrame, lines: pl.DataFrame, customers: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame:
    """Identified customers with at least one order, their totals, and attributes from the customers table."""
    known = orders.filter(pl.col("customer_id").is_not_null())
    margin = [(pl.col("revenue") - pl.col("cost").fill_null(0)).sum().alias("margin")] if "cost" in orders.columns else []
    totals = known.group_by("customer_id").agg(
        money_sum("revenue").alias("revenue"),
        *margin,
    )
    real = known.filter(pl.col("is_order")).group_by("customer_id").agg(
        pl.col("day").min().alias("first_day"),
        pl.col("day").max().alias("last_day"),
        pl.len().alias("orders"),
    )
    people = real.join(totals, on="customer_id", how="left").sort("customer_id")
    if customers is None:
        return people
    return people.join(attributes(customers, as_of), on="customer_id", how="left", maintain_order="left")


def attributes(customers: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Customer attributes: gender as F/M, age in full years at as_of, other columns as given."""
    frame = customers.unique("customer_id", keep="first", maintain_order=True)
    if "gender" in frame.columns:
        first = pl.col("gender").cast(pl.String).str.strip_chars().str.to_lowercase().str.slice(0, 1)
        frame = frame.with_columns(
            pl.when(first.is_in(_FEMALE)).then(pl.lit("F")).when(first.is_in(_MALE)).then(pl.lit("M")).alias("gender"))
    if "birth_date" in frame.columns:
        born = pl.col("birth_date").dt.date()
        years = pl.lit(as_of.year) - born.dt.year()
        month_day = born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)  # Int8 would overflow
        before_birthday = month_day > (as_of.month * 100 + as_of.day)
        age = (years - before_birthday.cast(pl.Int32)).cast(pl.Float64)
        frame = frame.with_columns((pl.coalesce(pl.col("age"), age) if "age" in frame.columns else age).alias("age"))
    return frame.drop([c for c in ("birth_date",) if c in frame.columns])
