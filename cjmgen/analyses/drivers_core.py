"""The arithmetic of the profit formula (METHODS §5), shared by nothing but the drivers analysis: the formula per
period × product group × buyers, chain substitution, the target table and the sensitivity of monthly revenue.

Not an analysis: `cjmgen.analyses.drivers` is; this module keeps it under the size the house allows.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

from cjmgen.facts import MONEY_DECIMALS, money_sum
from cjmgen.periods import purchase_units

DRIVERS: tuple[str, ...] = ("customers", "frequency", "depth", "price")
"""The chain-substitution drivers: their product is the revenue of identified customers."""
COLUMN = {"customers": "customers", "frequency": "orders_per_customer", "depth": "depth", "price": "price"}
ALL = "all"
"""The `group` value of rows over every product group."""
UNIDENTIFIED = "unidentified"
MIN_MONTHS = 6
"""Sensitivity needs at least this many full months with customers, orders and items."""

Windows = dict[str, tuple[dt.date, dt.date]]
"""Period label (base, current) → first and last day, both included."""
Drivers = dict[str, Any]
"""Driver → value (None when undefined), plus revenue and avg_check."""
Totals = dict[str, Any]
"""identified, unidentified, total revenue, orders and avg_check of one period."""


def shift_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` months away, clamped to the month's end (2024-02-29 − 12 months = 2023-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, _month_end(year, month + 1).day))


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def buyers() -> pl.Expr:
    """identified / unidentified by the customer id."""
    return pl.when(pl.col("customer_id").is_null()).then(pl.lit(UNIDENTIFIED)).otherwise(pl.lit("identified"))


def _group(columns: list[str]) -> list[pl.Expr]:
    return [pl.col("product_group").cast(pl.String).fill_null("—").alias("group")] if "product_group" in columns else []


def prepared_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """Revenue (`amount`) and purchase items (`units`) per day × buyers (× product `group`, "—" when empty).

    Everything the formula needs from lines is summed by day, so a window or a month is a filter on a small frame;
    lazily, so the line log itself is never copied.
    """
    keys = ["day", "buyers", *(["group"] if "product_group" in lines.columns else [])]
    return (lines.lazy()
            .select("day", "amount", purchase_units(lines.columns).alias("units"), buyers().alias("buyers"),
                    *_group(lines.columns))
            .group_by(keys).agg(money_sum("amount").alias("amount"), pl.col("units").sum().round(MONEY_DECIMALS))
            .collect(engine="streaming").sort(keys))


def order_groups_of(lines: pl.DataFrame) -> pl.DataFrame | None:
    """(order_id, group) of every purchase line's product group; None when no product_group is mapped."""
    if "product_group" not in lines.columns:
        return None
    return (lines.lazy().filter(pl.col("amount") >= 0).select("order_id", *_group(lines.columns)).unique()
            .collect(engine="streaming"))


def _ratio(top: str, bottom: str) -> pl.Expr:
    return pl.when(pl.col(bottom) != 0).then(pl.col(top) / pl.col(bottom)).otherwise(None)


def window_formula(orders: pl.DataFrame, lines: pl.DataFrame, label: str, start: dt.date, end: dt.date,
                   groups: list[str], order_groups: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per product group × buyers: customers, orders, orders per customer, average check, depth, price,
    revenue. Revenue and items by line date; orders and customers by order date (real orders only). A group's
    orders are the orders with a purchase line of that group; its revenue is the revenue of its lines."""
    inside = pl.col("day").is_between(start, end)
    part = lines.filter(inside)
    real = orders.filter(pl.col("is_order") & inside).select("order_id", "customer_id", buyers().alias("buyers"))
    money = [money_sum("amount").alias("revenue"), pl.col("units").sum().round(MONEY_DECIMALS).alias("items")]
    counts = [pl.col("customer_id").drop_nulls().n_unique().alias("customers"), pl.len().alias("orders")]
    found = [part.group_by("buyers").agg(*money).join(real.group_by("buyers").agg(*counts), on="buyers", how="full",
                                                       coalesce=True).with_columns(pl.lit(ALL).alias("group"))]
    if len(groups) > 1 and order_groups is not None:
        by_group = real.join(order_groups, on="order_id").group_by("buyers", "group").agg(*counts)
        found.append(part.group_by("buyers", "group").agg(*money).join(by_group, on=["buyers", "group"], how="full",
                                                                        coalesce=True))
    cells = pl.concat(found, how="diagonal_relaxed")
    grid = pl.DataFrame({"group": groups}).join(pl.DataFrame({"buyers": ["identified", UNIDENTIFIED]}), how="cross")
    table = (grid.join(cells, on=["group", "buyers"], how="left", maintain_order="left")
             .with_columns(pl.col("customers", "orders").fill_null(0).cast(pl.Int64),
                           pl.col("revenue", "items").fill_null(0.0).cast(pl.Float64))
             .with_columns(pl.when(pl.col("buyers") == UNIDENTIFIED).then(None).otherwise(pl.col("customers"))
                           .alias("customers")))
    return table.select(
        pl.lit(label).alias("period"), "group", "buyers", "customers", "orders",
        _ratio("orders", "customers").alias("orders_per_customer"), _ratio("revenue", "orders").alias("avg_check"),
        _ratio("items", "orders").alias("depth"), _ratio("revenue", "items").alias("price"), "revenue", "items",
        pl.lit(start).alias("start"), pl.lit(end).alias("end"))


def drivers_of(formula: pl.DataFrame, period: str, group: str = ALL) -> Drivers:
    """The four drivers, revenue and average check of identified customers in one period (empty if absent)."""
    row = formula.filter((pl.col("period") == period) & (pl.col("group") == group) & (pl.col("buyers") == "identified"))
    if not row.height:
        return {}
    values = row.row(0, named=True)
    return {d: values[COLUMN[d]] for d in DRIVERS} | {"revenue": values["revenue"], "avg_check": values["avg_check"]}


def complete(drivers: Drivers) -> bool:
    return bool(drivers) and all(drivers[d] is not None and drivers[d] != 0 for d in DRIVERS)


def chain_substitution(base: Drivers, current: Drivers, order: list[str]) -> list[tuple[str, float]]:
    """(driver, contribution) in substitution order: revenue after replacing the driver's base value by its current
    value (earlier drivers already replaced) minus revenue before. The contributions telescope to the change of
    the product customers × frequency × depth × price."""
    values = {d: base[d] for d in DRIVERS}
    before = math.prod(values.values())
    out = []
    for driver in order:
        values[driver] = current[driver]
        after = math.prod(values.values())
        out.append((driver, after - before))
        before = after
    return out


def factor_table(base: Drivers, current: Drivers, order: list[str], revenue_base: Totals,
                 revenue_current: Totals) -> pl.DataFrame:
    """Each driver's base, current value and contribution, then the unidentified checks' revenue change; shares of
    the total revenue change (all rows sum to it)."""
    rows = [(d, base[d], current[d], c) for d, c in chain_substitution(base, current, order)]
    rows.append((UNIDENTIFIED, revenue_base[UNIDENTIFIED], revenue_current[UNIDENTIFIED],
                 revenue_current[UNIDENTIFIED] - revenue_base[UNIDENTIFIED]))
    change = revenue_current["total"] - revenue_base["total"]
    frame = pl.DataFrame(rows, schema={"driver": pl.String, "base": pl.Float64, "current": pl.Float64,
                                       "contribution": pl.Float64}, orient="row")
    return frame.with_columns(
        (pl.col("contribution") / change if change else pl.lit(None, pl.Float64)).alias("share_of_change"),
        _ratio("current", "base").sub(1).alias("change"))


def target_table(formula: pl.DataFrame, growth: float) -> pl.DataFrame:
    """Per product group, the increase of each driver that alone grows the current revenue of identified customers by
    `growth`: driver × growth for every multiplicative driver (customers, frequency, average check, depth, price)."""
    current = formula.filter((pl.col("period") == "current") & (pl.col("buyers") == "identified"))
    measures = {"revenue": "revenue", "customers": "customers", "frequency": "orders_per_customer",
                "avg_check": "avg_check", "depth": "depth", "price": "price"}
    long = current.select("group", *[pl.col(c).cast(pl.Float64).alias(m) for m, c in measures.items()]).unpivot(
        index="group", variable_name="driver", value_name="current")
    order = {g: i for i, g in enumerate(current["group"].to_list())}
    rank = {m: i for i, m in enumerate(measures)}
    return (long.with_columns((pl.col("current") * growth).alias("increase"),
                              (pl.col("current") * (1 + growth)).alias("target"))
            .sort(pl.col("group").replace_strict(order), pl.col("driver").replace_strict(rank)))


def sensitivity_table(orders: pl.DataFrame, lines: pl.DataFrame, windows: Windows, as_of: dt.date) -> pl.DataFrame:
    """How much of the variation of monthly revenue (identified customers) moves with each driver, over the full
    months of the periods: cov(log driver, log revenue) / var(log revenue). Since log revenue is the sum of the
    four log drivers, the shares sum to 1; a negative share means the driver moved against revenue."""
    months = monthly_drivers(orders, lines, full_months(windows, as_of))
    shares = variance_shares({d: months[COLUMN[d]].to_list() for d in DRIVERS}, months["revenue"].to_list())
    return pl.DataFrame({"driver": list(DRIVERS), "variance_share": [shares.get(d) for d in DRIVERS],
                         "months": [months.height] * len(DRIVERS)},
                        schema={"driver": pl.String, "variance_share": pl.Float64, "months": pl.Int64})


def full_months(windows: Windows, as_of: dt.date) -> list[int]:
    """Running month numbers (year × 12 + month − 1) of calendar months wholly inside a period and up to as_of."""
    out = []
    for start, end in windows.values():
        end = min(end, as_of)
        for index in range(start.year * 12 + start.month - 1, end.year * 12 + end.month):
            first = dt.date(index // 12, index % 12 + 1, 1)
            if first >= start and _month_end(first.year, first.month) <= end:
                out.append(index)
    return sorted(set(out))


def monthly_drivers(orders: pl.DataFrame, lines: pl.DataFrame, months: list[int]) -> pl.DataFrame:
    """Per listed month, the drivers of identified customers; months where one of them is missing or not positive
    are dropped (a logarithm needs positive values)."""
    month = (pl.col("day").dt.year().cast(pl.Int64) * 12 + pl.col("day").dt.month().cast(pl.Int64) - 1).alias("month")
    known = pl.col("customer_id").is_not_null() & month.is_in(months)
    money = lines.filter((pl.col("buyers") == "identified") & month.is_in(months)).group_by(month).agg(money_sum("amount").alias("revenue"),
                                                    pl.col("units").sum().round(MONEY_DECIMALS).alias("items"))
    counts = orders.filter(known & pl.col("is_order")).group_by(month).agg(
        pl.col("customer_id").n_unique().alias("customers"), pl.len().alias("orders"))
    table = counts.join(money, on="month", how="inner").with_columns(
        _ratio("orders", "customers").alias("orders_per_customer"), _ratio("items", "orders").alias("depth"),
        _ratio("revenue", "items").alias("price"))
    positive = pl.all_horizontal(pl.col(c) > 0 for c in ("revenue", *COLUMN.values()))
    return table.filter(positive).sort("month")


def variance_shares(drivers: dict[str, list[float]], revenue: list[float]) -> dict[str, float]:
    """Driver → cov(log driver, log revenue) / var(log revenue); empty with fewer than MIN_MONTHS months or when
    revenue does not vary."""
    if len(revenue) < MIN_MONTHS:
        return {}
    y = [math.log(v) for v in revenue]
    my = sum(y) / len(y)
    syy = sum((b - my) ** 2 for b in y)
    if syy <= 1e-18:
        return {}
    out = {}
    for driver, values in drivers.items():
        x = [math.log(v) for v in values]
        mx = sum(x) / len(x)
        out[driver] = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=False)) / syy
    return out


def period_totals(formula: pl.DataFrame) -> dict[str, Totals]:
    """Per period, over all product groups: identified, unidentified and total revenue, total orders, average check."""
    out = {}
    for period in formula["period"].unique(maintain_order=True).to_list():
        rows = formula.filter((pl.col("period") == period) & (pl.col("group") == ALL))
        split = dict(zip(rows["buyers"].to_list(), rows["revenue"].to_list(), strict=False))
        revenue, orders = round(sum(split.values()), MONEY_DECIMALS), int(rows["orders"].sum())
        out[period] = split | {"total": revenue, "orders": orders, "avg_check": revenue / orders if orders else None}
    return out
