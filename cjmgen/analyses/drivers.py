"""Revenue drivers, the profit formula (METHODS §5): customers × orders per customer × depth × price per item,
target table, chain substitution between two periods, and the observed sensitivity of revenue to each driver."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.facts import MONEY_DECIMALS, money_sum
from cjmgen.periods import GRACE_DAYS, purchase_units
from cjmgen.spec.common import Strict

name = "drivers"
title = {"en": "Revenue drivers", "ru": "Драйверы выручки"}
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

Driver = Literal["customers", "frequency", "depth", "price"]
DRIVERS: tuple[str, ...] = ("customers", "frequency", "depth", "price")
"""The chain-substitution drivers: their product is the revenue of identified customers."""
COLUMN = {"customers": "customers", "frequency": "orders_per_customer", "depth": "depth", "price": "price"}
ALL = "all"
"""The `group` value of rows over every product group."""
UNIDENTIFIED = "unidentified"
MIN_MONTHS = 6
"""Sensitivity needs at least this many full months with customers, orders and items."""


class Window(Strict):
    """A date range, both ends included."""

    start: dt.date = Field(description="First day of the period (included).")
    end: dt.date = Field(description="Last day of the period (included).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"expected start on or before end, got start {self.start} and end {self.end}")
        return self


class Periods(Strict):
    """The two periods the factor analysis compares."""

    base: Window = Field(description="The earlier period, e.g. {start: 2022-01-01, end: 2022-12-31}.")
    current: Window = Field(description="The later period, e.g. {start: 2023-01-01, end: 2023-12-31}.")

    @model_validator(mode="after")
    def _base_first(self) -> Periods:
        if self.base.end >= self.current.start:
            raise ValueError(f"expected the base period to end before the current one starts, got base end "
                             f"{self.base.end} and current start {self.current.start}")
        return self


class Params(Strict):
    """The profit formula, its target table and the factor analysis between two periods."""

    target_growth: float = Field(
        0.2, gt=0, le=10, description="Revenue growth the target table plans for: 0.2 = +20%.")
    periods: Periods | None = Field(
        None, description="Base and current period ({base: {start, end}, current: {start, end}}, dates included). "
                          "Default: the 12 months up to as_of vs the 12 before (shorter equal halves when the data "
                          "starts later).")
    order: list[Driver] = Field(
        default_factory=lambda: list(DRIVERS),
        description="Order of substitution: each of customers, frequency, depth, price once.")

    @field_validator("order")
    @classmethod
    def _permutation(cls, order: list[str]) -> list[str]:
        if sorted(order) != sorted(DRIVERS):
            raise ValueError(f"expected each of customers, frequency, depth, price exactly once, got {list(order)}")
        return order


def compute(ctx: Context, params: Params) -> Result:
    """Formula rows per period × product group, targets, factor contributions and sensitivity."""
    sales = ctx.facts.sales
    windows, months = resolve_periods(sales.as_of, sales.first_day, params.periods)
    lines = prepared_lines(sales.lines)
    order_groups = order_groups_of(sales.lines)
    groups = [ALL, *sorted(lines["group"].unique().to_list())] if "group" in lines.columns else [ALL]
    formula = pl.concat([window_formula(sales.orders, lines, label, *span, groups, order_groups)
                         for label, span in windows.items()])
    tables = {"drivers_formula": formula, "drivers_targets": target_table(formula, params.target_growth),
              "drivers_sensitivity": sensitivity_table(sales.orders, lines, windows, sales.as_of)}
    facts = _facts(sales, windows, months, params, formula, tables["drivers_sensitivity"]) | {"groups": groups[1:]}
    base, current = drivers_of(formula, "base"), drivers_of(formula, "current")
    if _complete(base) and _complete(current):
        totals = facts["totals"]
        tables["drivers_factors"] = factor_table(base, current, params.order, totals["base"], totals["current"])
        facts["strongest"] = _strongest(tables["drivers_factors"])
    return Result(name, tables, facts=facts)


def resolve_periods(as_of: dt.date, first_day: dt.date, periods: Periods | None):
    """(period label → (start, end)) and the default window length in months (None when the spec names periods;
    0 when the data is too short for two periods: then only `current` exists)."""
    if periods is not None:
        return {"base": (periods.base.start, periods.base.end), "current": (periods.current.start, periods.current.end)}, None
    day = dt.timedelta(days=1)
    for months in range(12, 0, -1):
        current_start = shift_months(as_of, -months) + day
        base_start = shift_months(as_of, -2 * months) + day
        if first_day <= base_start + dt.timedelta(days=GRACE_DAYS):
            return {"base": (base_start, current_start - day), "current": (current_start, as_of)}, months
    return {"current": (max(first_day, shift_months(as_of, -12) + day), as_of)}, 0


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


def drivers_of(formula: pl.DataFrame, period: str, group: str = ALL) -> dict[str, float | None]:
    """The four drivers, revenue and average check of identified customers in one period (empty if absent)."""
    row = formula.filter((pl.col("period") == period) & (pl.col("group") == group) & (pl.col("buyers") == "identified"))
    if not row.height:
        return {}
    values = row.row(0, named=True)
    return {d: values[COLUMN[d]] for d in DRIVERS} | {"revenue": values["revenue"], "avg_check": values["avg_check"]}


def _complete(drivers: dict[str, float | None]) -> bool:
    return bool(drivers) and all(drivers[d] is not None and drivers[d] != 0 for d in DRIVERS)


def chain_substitution(base: dict[str, float], current: dict[str, float], order: list[str]) -> list[tuple[str, float]]:
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


def factor_table(base: dict, current: dict, order: list[str], revenue_base: dict, revenue_current: dict) -> pl.DataFrame:
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


def sensitivity_table(orders, lines, windows, as_of: dt.date) -> pl.DataFrame:
    """How much of the variation of monthly revenue (identified customers) moves with each driver, over the full
    months of the periods: cov(log driver, log revenue) / var(log revenue). Since log revenue is the sum of the
    four log drivers, the shares sum to 1; a negative share means the driver moved against revenue."""
    months = monthly_drivers(orders, lines, full_months(windows, as_of))
    shares = variance_shares({d: months[COLUMN[d]].to_list() for d in DRIVERS}, months["revenue"].to_list())
    return pl.DataFrame({"driver": list(DRIVERS), "variance_share": [shares.get(d) for d in DRIVERS],
                         "months": [months.height] * len(DRIVERS)},
                        schema={"driver": pl.String, "variance_share": pl.Float64, "months": pl.Int64})


def full_months(windows: dict[str, tuple[dt.date, dt.date]], as_of: dt.date) -> list[int]:
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


def period_totals(formula: pl.DataFrame) -> dict[str, dict[str, float | None]]:
    """Per period, over all product groups: identified, unidentified and total revenue, total orders, average check."""
    out = {}
    for period in formula["period"].unique(maintain_order=True).to_list():
        rows = formula.filter((pl.col("period") == period) & (pl.col("group") == ALL))
        split = dict(zip(rows["buyers"].to_list(), rows["revenue"].to_list(), strict=False))
        revenue, orders = round(sum(split.values()), MONEY_DECIMALS), int(rows["orders"].sum())
        out[period] = split | {"total": revenue, "orders": orders, "avg_check": revenue / orders if orders else None}
    return out


def _facts(sales, windows, months, params: Params, formula: pl.DataFrame, sensitivity: pl.DataFrame) -> dict[str, Any]:
    """What the chapter's sentences quote: periods and their caveats, totals, the +1% value, the sensitive driver."""
    basis = "items" if "quantity" in sales.lines.columns else "lines"
    totals, current = period_totals(formula), drivers_of(formula, "current")
    grace = dt.timedelta(days=GRACE_DAYS)
    return {
        "periods": windows, "default_months": months, "target_growth": params.target_growth, "has_base": "base" in windows,
        "as_of": sales.as_of, "first_day": sales.first_day, "current_after_as_of": windows["current"][1] > sales.as_of,
        "base_before_data": "base" in windows and sales.first_day > windows["base"][0] + grace,
        "depth_basis": basis, "labels": driver_labels(basis), "totals": totals,
        "revenue_change": totals["current"]["total"] / totals["base"]["total"] - 1
        if "base" in totals and totals["base"]["total"] else None,
        "one_pct": current["revenue"] / 100 if current else None, "sensitive": _most_sensitive(sensitivity)}


def _strongest(factors: pl.DataFrame) -> dict[str, Any]:
    """The driver with the largest absolute contribution (the unidentified checks are not a driver)."""
    drivers = factors.filter(pl.col("driver") != UNIDENTIFIED)
    row = drivers.sort(pl.col("contribution").abs(), descending=True).row(0, named=True)
    return {"driver": row["driver"], "contribution": row["contribution"], "share": row["share_of_change"],
            "change": row["change"]}


def _most_sensitive(sensitivity: pl.DataFrame) -> dict[str, Any] | None:
    """The driver with the largest variance share, or None when the months were too few."""
    known = sensitivity.filter(pl.col("variance_share").is_not_null())
    if not known.height:
        return None
    row = known.sort(["variance_share", "driver"], descending=[True, False]).row(0, named=True)
    return {"driver": row["driver"], "variance_share": row["variance_share"], "months": row["months"]}


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """The waterfall of the revenue change and the drivers' relative change per product group."""
    from cjmgen.analyses import drivers_charts

    if "drivers_factors" not in result.tables:
        return {}
    t = localized(LABELS, ctx.locale)
    names = {k: t.get(v, v) for k, v in result.facts["labels"].items()}
    totals = result.facts["totals"]
    return {"waterfall": drivers_charts.waterfall(result.tables["drivers_factors"], totals["base"]["total"],
                                                  totals["current"]["total"], names, t),
            "changes": drivers_charts.change_bars(result.tables["drivers_formula"], names, t)}


def driver_labels(depth_basis: str) -> dict[str, str]:
    """English display names of drivers; without quantity, depth and price are per line."""
    per_line = depth_basis == "lines"
    return {"customers": "Customers", "frequency": "Orders per customer",
            "depth": "Lines per order" if per_line else "Items per order",
            "price": "Revenue per line" if per_line else "Price per item", "avg_check": "Average check",
            "revenue": "Revenue", UNIDENTIFIED: "Orders without a customer ID"}


LABELS: dict[str, dict[str, str]] = {
    "Customers": {"ru": "Клиенты"}, "Orders per customer": {"ru": "Заказов на клиента"},
    "Items per order": {"ru": "Товаров в чеке"}, "Lines per order": {"ru": "Позиций в чеке"},
    "Price per item": {"ru": "Цена товара"}, "Revenue per line": {"ru": "Выручка на позицию"},
    "Average check": {"ru": "Средний чек"}, "Revenue": {"ru": "Выручка"},
    "Orders without a customer ID": {"ru": "Заказы без ID клиента"}, "Base period": {"ru": "Базовый период"},
    "Current period": {"ru": "Текущий период"}, "What changed revenue": {"ru": "Что изменило выручку"},
    "All products": {"ru": "Все товары"},
    "Change of each driver, current vs base period": {"ru": "Изменение драйверов: текущий период к базовому"},
    "Revenue from": {"ru": "Выручка с"}, "base period": {"ru": "базовый период"},
    "The strongest lever": {"ru": "Сильнейший рычаг"}, "the strongest lever": {"ru": "сильнейший рычаг"},
    "vs the base period": {"ru": "к базовому периоду"}, "contribution": {"ru": "вклад"},
    "of the revenue change": {"ru": "изменения выручки"},
    "+1% of any driver is worth": {"ru": "+1 % любого драйвера стоит"},
    "revenue moves most with": {"ru": "сильнее всего выручка движется вместе с драйвером"},
    "of the variation of monthly revenue": {"ru": "изменчивости месячной выручки"},
    "The data covers less than two months: no factor analysis; the formula shows the available period.": {
        "ru": "Данные охватывают меньше двух месяцев: факторного анализа нет, формула — за доступный период."},
    "The data starts on": {"ru": "Данные начинаются"}, "the last": {"ru": "последние"},
    "months are compared with the": {"ru": "мес. сравниваются с"},
    "before; seasons may differ.": {"ru": "мес. до них; сезоны могут различаться."},
    "after the base period starts: the base period is incomplete.": {
        "ru": "позже начала базового периода: базовый период неполный."},
    "The current period ends after the analysis date: it counts data up to": {
        "ru": "Текущий период заканчивается после даты анализа: учтены данные по"},
    "Profit formula": {"ru": "Формула выручки"},
    "Revenue = customers × orders per customer × average check; average check = depth × price. The drivers "
    "describe identified customers; orders without a customer ID are a separate line, so the total matches all "
    "revenue.": {
        "ru": "Выручка = клиенты × заказов на клиента × средний чек; средний чек = глубина × цена. Драйверы "
              "описывают идентифицированных клиентов; заказы без ID клиента — отдельная строка, поэтому итог "
              "совпадает со всей выручкой."},
    "Product group": {"ru": "Товарная группа"}, "Orders": {"ru": "Заказы"}, "Total": {"ru": "Итого"},
    "All products, identified customers": {"ru": "Все товары, идентифицированные клиенты"},
    "A product group's orders are the orders with at least one of its items; its revenue is the revenue of its "
    "lines, so group orders overlap and do not add up.": {
        "ru": "Заказы товарной группы — заказы хотя бы с одним её товаром, выручка — выручка её строк; заказы групп "
              "пересекаются и не складываются."},
    "Targets": {"ru": "Цели"}, "revenue of identified customers": {"ru": "выручки идентифицированных клиентов"},
    "Each line alone delivers the target: raise one driver by the amount shown, the others unchanged.": {
        "ru": "Каждая строка сама по себе даёт цель: один драйвер растёт на указанную величину, остальные неизменны."},
    "Driver": {"ru": "Драйвер"}, "Current": {"ru": "Сейчас"}, "Increase needed": {"ru": "Нужный прирост"},
    "Target": {"ru": "Цель"},
    "What changed revenue: factor analysis": {"ru": "Что изменило выручку: факторный анализ"},
    "Change": {"ru": "Изменение"}, "Contribution to revenue": {"ru": "Вклад в выручку"},
    "Share of the change": {"ru": "Доля изменения"}, "Revenue change": {"ru": "Изменение выручки"},
    "Chain substitution in the order": {"ru": "Цепные подстановки в порядке"},
    "Another order moves some revenue between drivers; the total is the same.": {
        "ru": "Другой порядок перераспределяет часть вклада между драйверами; итог тот же."},
    "Sensitivity": {"ru": "Чувствительность"},
    "Share of the variation of monthly revenue (identified customers) that moved with each driver": {
        "ru": "Доля изменчивости месячной выручки (идентифицированные клиенты), которая двигалась вместе с "
              "драйвером"},
    "full months": {"ru": "полных месяцев"}, "Share of revenue variation": {"ru": "Доля изменчивости выручки"},
    "Revenue vs the base period": {"ru": "Выручка к базовому периоду"},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the drivers chapter."""
    order = ", ".join(params.order)
    if locale == "ru":
        return (
            "**Формула выручки** (по идентифицированным клиентам): выручка = клиенты × заказов на клиента × "
            "средний чек; средний чек = глубина (товаров в заказе: сумма количества по строкам продаж, без "
            "количества — число строк) × средняя цена товара. Клиенты — покупатели с хотя бы одним заказом в "
            "периоде; заказы — чеки с хотя бы одной строкой продажи (чек только из возвратов заказом не считается, "
            "но его сумма уменьшает выручку); возвраты уменьшают выручку, но не число товаров, поэтому цена — это "
            "чистая выручка на проданный товар. Выручка и товары — по дате строки, заказы — по дате заказа. Заказы "
            "без ID клиента не входят в драйверы и показаны отдельной строкой, так что итог сходится с общей "
            "выручкой. По товарной группе: заказы группы — заказы со строкой продажи этой группы, выручка группы — "
            "выручка её строк. "
            f"**Целевая таблица**: прирост каждого драйвера, который один даёт +{params.target_growth:.0%} выручки "
            "идентифицированных клиентов текущего периода (драйвер × рост). **Факторный анализ** цепными "
            f"подстановками в порядке: {order}; вклад драйвера = выручка после его подстановки − до неё; вклады в "
            "сумме точно равны изменению выручки идентифицированных клиентов; изменение выручки заказов без ID "
            "клиента — отдельная строка. По умолчанию "
            "сравниваются 12 месяцев до даты анализа и 12 месяцев до них (короче, поровну, если данные начинаются "
            f"позже; данные покрывают период, если начинаются не позже {GRACE_DAYS} дней от его начала). "
            "**Чувствительность**: формула — произведение, поэтому +1 % любого драйвера даёт +1 % выручки "
            "идентифицированных клиентов (сумма приведена в тексте). Чтобы показать, от какого драйвера выручка "
            "зависит на деле, мы "
            "раскладываем изменчивость месячной выручки по полным месяцам обоих периодов (не меньше "
            f"{MIN_MONTHS}): доля драйвера = cov(ln драйвера, ln выручки) / var(ln выручки); доли в сумме дают 1, "
            "отрицательная доля — драйвер двигался против выручки. Самый чувствительный драйвер — с наибольшей "
            "долей. Это совместное движение, а не причинность.")
    return (
        "**Profit formula** (identified customers): revenue = customers × orders per customer × average check; "
        "average check = depth (items per order: the sum of quantity over purchase lines, or the number of lines "
        "when no quantity is mapped) × average price per item. Customers = buyers with at least one order in the "
        "period; orders = receipts with at least one purchase line (a return-only receipt is not an order, but its "
        "amount reduces revenue); returns reduce revenue but never items, so the price is net revenue per item "
        "sold. Revenue and items count by line date, orders by order date. Orders without a customer ID are "
        "outside the drivers and shown as a separate line, so the total reconciles with all revenue. Per product group: the "
        "group's orders are orders with a purchase line of that group; its revenue is the revenue of its lines. "
        f"**Target table**: the increase of each single driver that alone delivers +{params.target_growth:.0%} of "
        "the current period's revenue of identified customers (driver × growth). **Factor analysis** by chain "
        f"substitution in the order {order}: a driver's contribution = revenue after its substitution − before; "
        "the contributions sum exactly to the change of identified customers' revenue; the change of orders "
        "without a customer ID is a separate line. Default periods: the 12 months up to the analysis date vs the 12 before "
        "(shorter equal halves when the data starts later; the data covers a period when it starts at most "
        f"{GRACE_DAYS} days after it). **Sensitivity**: the formula is a product, so +1% of any driver gives +1% "
        "of identified customers' revenue (the amount is quoted in the text). To show which driver revenue "
        "actually depends on, we split the variation of monthly revenue over the full months of both periods (at "
        f"least {MIN_MONTHS}): a driver's share = cov(ln driver, ln revenue) / var(ln revenue); the shares sum "
        "to 1, a negative share means the driver moved against revenue. The most sensitive driver has the largest "
        "share. This is co-movement, not causation.")
