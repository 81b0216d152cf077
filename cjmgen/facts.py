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
    order_days: pl.DataFrame
    """Like orders, one row per (order id, day): revenue on the day it happened (returns under the sale's id)."""
    customers: pl.DataFrame
    """One row per identified customer with ≥1 order: first_day, last_day, orders, revenue, margin, attributes."""
    excluded_after_as_of: int
    has_cost: bool
    has_amount: bool = True
    """False when the log has no amount (nor quantity and price): `lines` then has no `amount` column, and revenue
    (orders, order_days, customers) is null everywhere; every order is a real one, unless a negative quantity says
    it is a return."""
    has_customer_id: bool = True
    """False when no customer id is mapped: every line is an unidentified check (`customer_id` null) and
    `customers` is empty."""


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
    day = pl.col("date").dt.date()
    if as_of is None:
        as_of = lines.select(day.max()).item()
    has_ids = "order_id" in lines.columns and lines["order_id"].null_count() == 0
    has_customer_id = "customer_id" in lines.columns
    kept = lines.lazy().with_columns(day.alias("day"))
    if not has_customer_id:  # a log without customers: every line is an unidentified check
        kept = kept.with_columns(pl.lit(None, pl.String).alias("customer_id"))
    if lines.select(day.max()).item() > as_of:  # filtering copies every column: only when something is cut
        kept = kept.filter(pl.col("day") <= as_of)
    typed = (kept if has_ids else _with_order_ids(kept, "order_id" in lines.columns)).collect()
    order_days = order_days_of(typed)
    orders = orders_of(order_days)
    people = customers_of(orders, customers, as_of)
    first_day: dt.date = typed["day"].min() if typed.height else as_of  # type: ignore[assignment]
    return Sales(as_of, first_day, typed, orders, order_days, people, lines.height - typed.height, "cost" in typed.columns,
                 "amount" in typed.columns, has_customer_id)


def _with_order_ids(lines: pl.LazyFrame, partial: bool) -> pl.LazyFrame:
    """No order id mapped: one order per (customer, day); an unidentified line is an order of its own."""
    per_day = pl.concat_str([pl.col("customer_id"), pl.col("day").cast(pl.String)], separator="|")
    own = pl.concat_str([pl.lit("line-"), pl.int_range(pl.len()).cast(pl.String)])
    derived = pl.when(pl.col("customer_id").is_not_null()).then(per_day).otherwise(own)
    if partial:
        derived = pl.coalesce(pl.col("order_id"), derived)
    return lines.with_columns(derived.alias("order_id"))


def order_days_of(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per (order id, day): a return booked later under the sale's receipt id stays on its own day."""
    # Lines of one order share customer, store, channel and manager; max() ignores nulls and is deterministic.
    dims = [pl.col(d).max().alias(d) for d in DIMENSIONS if d in lines.columns]
    extra = [pl.col("quantity").sum().alias("items")] if "quantity" in lines.columns else []
    extra += [money_sum("cost").alias("cost")] if "cost" in lines.columns else []
    if "amount" in lines.columns:
        revenue, is_order = money_sum("amount"), (pl.col("amount") >= 0).any()
    else:  # no money in the log: revenue unknown; a line is a sale unless its quantity is negative
        revenue = pl.lit(None, pl.Float64)
        is_order = (pl.col("quantity") >= 0).fill_null(True).any() if "quantity" in lines.columns else pl.lit(True)
    grouped = lines.lazy().group_by("order_id", "day").agg(
        pl.col("customer_id").max().alias("customer_id"),
        pl.col("date").min().alias("placed_at"),
        revenue.alias("revenue"),
        pl.len().alias("lines"),
        is_order.alias("is_order"),
        *extra,
        *dims,
    )
    # the streaming engine halves the time of this, the largest group-by; sorting makes the result order total
    return grouped.collect(engine="streaming").sort("order_id", "day")


def orders_of(order_days: pl.DataFrame) -> pl.DataFrame:
    """One row per order id, dated by its first day. An order whose lines are all negative is a return (is_order False)."""
    if order_days.height == order_days["order_id"].n_unique():
        return order_days
    sums = [_money_total(order_days, c) for c in ("revenue", "cost") if c in order_days.columns]
    sums += [pl.col(c).sum() for c in ("lines", "items") if c in order_days.columns]
    dims = [pl.col(d).max() for d in DIMENSIONS if d in order_days.columns]
    return order_days.group_by("order_id").agg(
        pl.col("customer_id").max(), pl.col("day").min(), pl.col("placed_at").min(), pl.col("is_order").any(),
        *sums, *dims).select(order_days.columns).sort("order_id")


def _money_total(frame: pl.DataFrame, column: str) -> pl.Expr:
    """money_sum of a column, but null (not 0) when the column has no value at all: a log without amounts."""
    if frame[column].null_count() == frame.height and frame.height:
        return pl.lit(None, pl.Float64).alias(column)
    return money_sum(column).alias(column)


def numbered_orders(orders: pl.DataFrame) -> pl.DataFrame:
    """Identified customers' real orders sorted by customer and time (placed_at, then order id), with order_number
    1, 2, … — the one numbering every analysis of order sequences uses."""
    real = orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null()).sort("customer_id", "placed_at", "order_id")
    return real.with_columns(pl.int_range(1, pl.len() + 1).over("customer_id").alias("order_number"))


def first_order_values(orders: pl.DataFrame, dimension: str) -> pl.DataFrame:
    """customer_id → `group`: the dimension (store, channel, manager) on each identified customer's first real order
    (earliest placed_at, then order id), as text — how breakdowns assign a customer to one group."""
    real = orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null()).sort("placed_at", "order_id")
    return real.group_by("customer_id").agg(pl.col(dimension).first().cast(pl.String).alias("group"))


def customers_of(orders: pl.DataFrame, customers: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame:
    """Identified customers with at least one order, their totals, and attributes from the customers table."""
    real = pl.col("is_order")
    margin = [(pl.col("revenue") - pl.col("cost").fill_null(0)).sum().round(MONEY_DECIMALS).alias("margin")] \
        if "cost" in orders.columns else []
    people = (
        orders.lazy().filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("day").filter(real).min().alias("first_day"), pl.col("day").filter(real).max().alias("last_day"),
             real.sum().cast(pl.UInt32).alias("orders"), _money_total(orders, "revenue"), *margin)
        .filter(pl.col("orders") > 0)  # returns only: not a customer (their revenue stays in the totals)
        .sort("customer_id")
        .collect()
    )
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
        if "age" not in frame.columns:
            frame = frame.with_columns(age.alias("age"))
        elif frame.schema["age"].is_numeric():
            frame = frame.with_columns(pl.coalesce(pl.col("age"), age).alias("age"))
    return frame.drop([c for c in ("birth_date",) if c in frame.columns])


def longest_silence(sales: Sales) -> tuple[dt.date, dt.date]:
    """The longest stretch with no transaction line, as (last day before it, next day with a line — or as_of when
    the stretch runs to the end): a date typo (2999 for 2023, 0203 for 2023) or an as_of years after the data
    shows as a silence of centuries that every period chart would draw as thousands of empty periods."""
    days = sales.lines.select(pl.col("day").unique().sort()).to_series()
    if days.is_empty():
        return sales.as_of, sales.as_of
    ends = pl.DataFrame({"before": days, "after": days.shift(-1).fill_null(sales.as_of)})
    widest = ends.with_columns((pl.col("after") - pl.col("before")).alias("gap")).sort("gap", descending=True).row(0)
    return widest[0], widest[1]


def basket_lines(lines: pl.DataFrame, item: str) -> pl.LazyFrame:
    """The lines that make baskets (METHODS §7, shared by basket rules and assortment): positive quantity, or positive amount when there is no quantity (in the log or
    on the line), or every line when there is neither; their item as text (lines without an item are in the basket
    count but add no item)."""
    frame = lines.lazy()
    sold: pl.Expr | None = None
    for column in ("quantity", "amount"):
        if column in lines.columns:
            sold = pl.col(column) > 0 if sold is None else sold.fill_null(pl.col(column) > 0)
    if sold is not None:
        frame = frame.filter(sold.fill_null(True))
    return frame.with_columns(pl.col(item).cast(pl.String).alias("item"))
