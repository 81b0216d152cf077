"""Repeat-purchase structure (METHODS §4): survival by order number, gaps, churn and loyalty thresholds."""

from __future__ import annotations

import math
from typing import Any, Literal

import polars as pl
from pydantic import Field, model_validator

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.facts import first_order_values, money_sum
from cjmgen.facts import numbered_orders as numbered
from cjmgen.spec.common import Strict

name = "repeat"
title = {"en": "Repeat purchases", "ru": "Повторные покупки"}
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

SURVIVAL_COLUMNS = ("order_number", "customers", "share_of_customers", "conversion_to_next", "churn_after",
                    "median_days_to_next", "p80_days_to_next", "avg_check")
"""The contract of tables/repeat_survival.csv: these columns first, in this order."""

INTERPOLATION = "linear"
"""Percentiles interpolate linearly between order statistics (numpy's default, Excel PERCENTILE.INC)."""

ORDER_DIMENSIONS = ("store", "channel", "manager")


class Params(Strict):
    """Repeat-purchase funnel: who reaches order k, conversion and churn after it, gaps, loyalty thresholds."""

    max_order: int = Field(12, ge=2, le=100, description="Show order numbers 1..max_order (K).")
    breakdown: Literal["store", "channel", "manager", "segment"] | None = Field(
        None, description="Survival curves per group: store, channel or manager of the customer's first order, or "
                          "segment (the RFM code with default RFM parameters).")
    min_days_observed: int | None = Field(
        None, ge=1, le=3650,
        description="Censoring: conversion and churn after order k count only customers whose k-th order is at least "
                    "this many days before the analysis date. Default: none (churn as observed, flagged in the report).")
    thresholds: int = Field(2, ge=1, le=5, description="How many loyalty thresholds (largest drops of churn) to name.")
    min_customers: int = Field(
        30, ge=1, description="A churn drop counts as a loyalty threshold only when both order numbers have at least "
                              "this many customers in the churn denominator (small groups swing at random).")
    gap_bin_days: int = Field(10, ge=1, le=365, description="Width in days of the gap bins of the bubble chart.")
    max_gap_days: int = Field(
        180, ge=1, le=3650, description="Gaps of this many days or more share one open-ended bin in the bubble chart.")

    @model_validator(mode="after")
    def _bins_fit(self) -> Params:
        if self.max_gap_days < self.gap_bin_days:
            raise ValueError(f"max_gap_days: expected at least gap_bin_days ({self.gap_bin_days}), got {self.max_gap_days}")
        return self


def compute(ctx: Context, params: Params) -> Result:
    """Survival table, gap bins, loyalty thresholds and (optionally) survival per group."""
    sales = ctx.facts.sales
    orders = numbered_orders(sales.orders, sales.as_of)
    survival = survival_table(orders, params)
    tables = {
        "repeat_survival": survival,
        "repeat_gaps": gap_bins(orders, params),
        "repeat_thresholds": threshold_table(survival, params),
    }
    if params.breakdown:
        groups = customer_groups(sales, params.breakdown)
        keyed = orders.join(groups, on="customer_id", how="left").with_columns(pl.col("group").fill_null("—"))
        tables[f"repeat_survival_by_{params.breakdown}"] = survival_table(keyed, params, ["group"])
    return Result(name, tables, facts=_facts(survival, tables["repeat_thresholds"], params))


def numbered_orders(orders: pl.DataFrame, as_of) -> pl.DataFrame:
    """Identified customers' real orders numbered 1, 2, … in date order (ties: placed_at, then order id).

    days_since_previous / days_to_next are calendar days between order dates; days_observed = as_of − order date.
    """
    real = numbered(orders).select("customer_id", "order_id", "day", "placed_at", "revenue", "order_number")
    by = pl.col("day")
    return real.with_columns(
        (by - by.shift(1)).over("customer_id").dt.total_days().alias("days_since_previous"),
        (by.shift(-1) - by).over("customer_id").dt.total_days().alias("days_to_next"),
        (pl.lit(as_of) - by).dt.total_days().alias("days_observed"),
    )


def survival_table(orders: pl.DataFrame, params: Params, keys: list[str] | None = None) -> pl.DataFrame:
    """One row per order number k reached by anyone (per group when keys are given)."""
    keys = keys or []
    gap = pl.col("days_to_next")
    observed = pl.col("days_observed") >= (params.min_days_observed or 0)  # always true without censoring
    p80 = gap.quantile(0.8, INTERPOLATION)
    cells = orders.filter(pl.col("order_number") <= params.max_order).group_by(*keys, "order_number").agg(
        pl.len().alias("customers"),
        observed.sum().alias("observed_customers"),
        (observed & gap.is_not_null()).sum().alias("observed_continued"),
        gap.quantile(0.5, INTERPOLATION).alias("median_days_to_next"),
        p80.alias("p80_days_to_next"),
        money_sum("revenue").alias("revenue"),
        (gap.is_null() & (pl.col("days_observed") < p80)).sum().alias("possibly_returning"),
    )
    conversion = pl.when(pl.col("observed_customers") > 0).then(pl.col("observed_continued") / pl.col("observed_customers"))
    reached_first = pl.col("customers").max().over(keys) if keys else pl.col("customers").max()
    table = cells.sort(*keys, "order_number").with_columns(
        (pl.col("customers") / reached_first).alias("share_of_customers"),
        conversion.alias("conversion_to_next"),
        (1 - conversion).alias("churn_after"),
        (pl.col("revenue") / pl.col("customers")).alias("avg_check"),
    )
    return table.select(*keys, *SURVIVAL_COLUMNS, "observed_customers", "possibly_returning", "revenue").with_columns(
        pl.col("customers", "observed_customers", "possibly_returning").cast(pl.Int64),
        pl.col("order_number").cast(pl.Int64))


def gap_bins(orders: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Bubble data: orders 2..K by order number × bin of days since the previous order; last bin is open-ended."""
    w, top = params.gap_bin_days, params.max_gap_days
    days = pl.col("days_since_previous")
    start = pl.when(days >= top).then(pl.lit(top)).otherwise(days // w * w)
    end = pl.when(pl.col("days_from") >= top).then(None).otherwise(pl.min_horizontal(pl.col("days_from") + w, top) - 1)
    later = orders.filter((pl.col("order_number") >= 2) & (pl.col("order_number") <= params.max_order))
    cells = later.group_by("order_number", start.alias("days_from")).agg(
        pl.len().alias("customers"), money_sum("revenue").alias("revenue"))
    return cells.sort("order_number", "days_from").with_columns(end.alias("days_to")).select(
        pl.col("order_number").cast(pl.Int64), pl.col("days_from").cast(pl.Int64), pl.col("days_to").cast(pl.Int64),
        pl.col("customers").cast(pl.Int64), "revenue", (pl.col("revenue") / pl.col("customers")).alias("avg_check"))


def threshold_table(survival: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Candidate loyalty thresholds n = k+1: churn after k vs after n, ranked by the drop (largest first).

    Only pairs where both churn figures rest on at least min_customers customers are candidates.
    """
    s = survival.sort("order_number")
    pairs = s.select(
        (pl.col("order_number") + 1).alias("order_number"),
        pl.col("churn_after").alias("churn_before"),
        pl.col("churn_after").shift(-1).alias("churn_after"),
        pl.col("customers").shift(-1).alias("customers"),
        pl.col("share_of_customers").shift(-1).alias("share_of_customers"),
        pl.col("p80_days_to_next").alias("p80_days_to_reach"),
        pl.col("median_days_to_next").alias("median_days_to_reach"),
        pl.min_horizontal(pl.col("observed_customers"), pl.col("observed_customers").shift(-1)).alias("_support"),
    ).filter(pl.col("churn_after").is_not_null() & pl.col("churn_before").is_not_null()
             & (pl.col("_support") >= params.min_customers))
    return pairs.with_columns((pl.col("churn_before") - pl.col("churn_after")).alias("churn_drop")).drop("_support").sort(
        ["churn_drop", "order_number"], descending=[True, False]).select(
        "order_number", "churn_before", "churn_after", "churn_drop", "customers", "share_of_customers",
        "p80_days_to_reach", "median_days_to_reach")


def needs_for(params: Params) -> list[tuple[tuple[str, ...], str, str]]:
    """A breakdown by store, channel or manager needs that transactions column (segment needs nothing more)."""
    if params.breakdown in ORDER_DIMENSIONS:
        return [(("breakdown",), "transactions", params.breakdown)]
    return []


def customer_groups(sales, breakdown: str) -> pl.DataFrame:
    """customer_id → group: a dimension of the customer's first real order, or the RFM segment code."""
    if breakdown == "segment":
        from cjmgen import scoring as rfm

        scored = rfm.score_customers(sales.customers, sales.as_of, rfm.Params())
        return scored.select("customer_id", pl.col("segment").alias("group"))
    return first_order_values(sales.orders, breakdown)


def _facts(survival: pl.DataFrame, thresholds: pl.DataFrame, params: Params) -> dict[str, Any]:
    """Headline figures the template quotes."""
    rows = {r["order_number"]: r for r in survival.iter_rows(named=True)}
    first = rows[1]
    stopped = survival.select((pl.col("observed_customers") * pl.col("churn_after")).sum()).item() or 0
    named = thresholds.filter(pl.col("churn_drop") > 0).head(params.thresholds)
    return {
        "customers": first["customers"],
        "second_order_share": rows[2]["share_of_customers"] if 2 in rows else 0.0,
        "third_order_share": rows[3]["share_of_customers"] if 3 in rows else 0.0,
        "median_days_1_2": first["median_days_to_next"],
        "p80_days_1_2": first["p80_days_to_next"],
        "max_order": params.max_order,
        "reached_max": survival["order_number"].max(),
        "thresholds": named.to_dicts(),
        "stopped": round(stopped),
        "possibly_returning": int(survival["possibly_returning"].sum()),
        "censored": params.min_days_observed is not None,
        "min_days_observed": params.min_days_observed,
        "min_customers": params.min_customers,
    }


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """The repeat-purchase funnel, the gap bubble chart and, with a breakdown, survival curves per group."""
    from cjmgen.charts import builders as b

    t = localized(LABELS, ctx.locale)
    survival = result.tables["repeat_survival"]
    out = {"funnel": _funnel(survival, t), "bubbles": _bubbles(result.tables["repeat_gaps"], survival, t,
                                                              result.facts["max_order"])}
    for key, frame in result.tables.items():
        if key.startswith("repeat_survival_by_"):
            top = frame.filter(pl.col("order_number") == 1).sort("customers", descending=True).head(10)["group"]
            out["by_group"] = b.curves(
                frame.filter(pl.col("group").is_in(top.implode())), x="order_number", y="share_of_customers",
                series="group", x_title=t["Order number"], y_title=t["Share of the group's customers"],
                title=t["Customers reaching each order, by group"], y_format=".0%", sequential=False)
    return out


def _funnel(survival: pl.DataFrame, t: dict[str, str]) -> Any:
    import altair as alt

    from cjmgen.charts.builders import WIDTH

    data = alt.Data(values=survival.select("order_number", "customers", "share_of_customers").to_dicts())
    base = alt.Chart(data, title=t["Repeat-purchase funnel"]).encode(
        y=alt.Y("order_number:O", title=t["Order number"], sort="ascending"),
        x=alt.X("customers:Q", title=t["Customers"], axis=alt.Axis(format=",.0f")))
    bars = base.mark_bar()
    labels = base.mark_text(align="left", dx=4, fontSize=10, color="#1b1b1b").encode(
        text=alt.Text("share_of_customers:Q", format=".1%"))
    return (bars + labels).properties(width=WIDTH - 140, height=max(22 * survival.height, 120))


def _bubbles(gaps: pl.DataFrame, survival: pl.DataFrame, t: dict[str, str], max_order: int) -> Any:
    import altair as alt

    from cjmgen.charts.builders import WIDTH, binned_colour

    y = alt.Y("order_number:Q", title=t["Order number"], scale=alt.Scale(domain=[1.5, max(max_order, 2) + 0.5], nice=False),
              axis=alt.Axis(tickMinStep=1, format="d", values=list(range(2, max_order + 1))))
    title = alt.TitleParams(t["Gaps between orders"], subtitle=t["Bubble: customers; colour: average check; red tick: P80 gap"])
    colour = binned_colour("avg_check", *_typical_range(gaps), title=t["Average check"], fmt=",.0f", scheme="viridis")
    sizes = alt.Legend(values=size_legend_values(int(gaps["customers"].max() or 1)), format=",.0f")
    bubbles = alt.Chart(alt.Data(values=gaps.to_dicts()), title=title).mark_circle(
        opacity=0.85, stroke="#555", strokeWidth=0.3).encode(
        x=alt.X("days_from:Q", title=t["Days since the previous order (bin start; the last bin is open)"]),
        y=y, size=alt.Size("customers:Q", title=t["Customers"], scale=alt.Scale(range=[8, 500]), legend=sizes),
        color=colour)
    p80 = survival.filter(pl.col("p80_days_to_next").is_not_null()).select(
        (pl.col("order_number") + 1).alias("order_number"), "p80_days_to_next").filter(pl.col("order_number") <= max_order)
    ticks = alt.Chart(alt.Data(values=p80.to_dicts())).mark_tick(color="#c0392b", thickness=2, size=16).encode(
        x="p80_days_to_next:Q", y=y)
    chart = (bubbles + ticks).properties(width=WIDTH - 180, height=max(26 * (max_order - 1), 160))
    return chart.configure_legend(gradientLength=120, gradientThickness=12)  # the colour band; not settable per legend


def size_legend_values(largest: int) -> list[int]:
    """Up to three bubble sizes for the legend — the largest bubble, a quarter and a sixteenth of it, each rounded
    down to one significant digit (never above the largest) — so the legend shows no empty "0" bubble and covers
    the small ones."""
    values = set()
    for part in (largest, largest / 4, largest / 16):
        if part >= 1:
            digits = 10 ** math.floor(math.log10(part))
            values.add(int(part // digits * digits))
    return sorted(values) or [1]


def _typical_range(gaps: pl.DataFrame) -> list[float]:
    """5th–95th percentile of the average check weighted by customers: one odd bubble must not wash out the colours."""
    ordered = gaps.filter(pl.col("avg_check").is_not_null()).sort("avg_check")
    if ordered.is_empty():
        return [0.0, 1.0]
    share = ordered["customers"].cum_sum() / ordered["customers"].sum()
    low = ordered.filter(share >= 0.05)["avg_check"][0]
    high = ordered.filter(share >= 0.95)["avg_check"][0]
    return [float(low), float(high if high > low else low + 1)]


LABELS: dict[str, dict[str, str]] = {
    "Order number": {"ru": "Номер заказа"}, "Customers": {"ru": "Клиенты"},
    "Repeat-purchase funnel": {"ru": "Воронка повторных покупок"},
    "Gaps between orders": {"ru": "Интервалы между заказами"},
    "Bubble: customers; colour: average check; red tick: P80 gap": {
        "ru": "Пузырёк — клиенты; цвет — средний чек; красный штрих — P80 интервала"},
    "Days since the previous order (bin start; the last bin is open)": {
        "ru": "Дней с предыдущего заказа (начало интервала; последний открыт)"},
    "Average check": {"ru": "Средний чек"},
    "Share of the group's customers": {"ru": "Доля клиентов группы"},
    "Customers reaching each order, by group": {"ru": "Доля клиентов, дошедших до заказа, по группам"},
    "Order": {"ru": "Заказ"}, "Reached": {"ru": "Дошли"}, "Share": {"ru": "Доля"},
    "Conversion to next": {"ru": "Конверсия в следующий"}, "Churn after": {"ru": "Отток после"},
    "Median days to next": {"ru": "Медиана дней до следующего"}, "P80 days to next": {"ru": "P80 дней до следующего"},
    "Loyalty thresholds": {"ru": "Пороги лояльности"},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the repeat-purchase chapter."""
    d = params.min_days_observed
    circular = params.breakdown == "segment"
    if locale == "ru":
        censor = (f"Конверсия и отток после заказа k считаются только по клиентам, чей k-й заказ был не менее чем за {d} "
                  f"дн. до даты анализа (цензурирование недавних)." if d else
                  "Отток не цензурируется: клиент, чей последний заказ был недавно, учитывается как ушедший; в отчёте "
                  "указано, сколько таких клиентов купили в пределах P80-интервала до даты анализа (минимальный срок "
                  "наблюдения, если его задать, исключает недавние заказы из знаменателя).")
        return (f"Заказы идентифицированных клиентов (чек только из возвратов — не заказ) нумеруются по дате (при "
                f"равенстве — по времени, затем по номеру чека), k = 1…{params.max_order}. Дошли до k — клиенты с ≥ k "
                f"заказами; доля — от всех клиентов; конверсия k→k+1 = дошли до k+1 / дошли до k; отток = 1 − конверсия. "
                f"Интервал — календарные дни между датами k-го и (k+1)-го заказа у продолживших; медиана и P80 — "
                f"процентили с линейной интерполяцией (как numpy по умолчанию). Средний чек k-го заказа = выручка "
                f"k-х заказов (за вычетом возвратов по этим чекам) / их число. {censor} Порог лояльности n — номер "
                f"заказа, после которого отток падает сильнее всего: отток(n−1) − отток(n), при не менее "
                f"{params.min_customers} клиентах в обоих знаменателях; интервал, которым нужно управлять, — P80 "
                f"интервала между (n−1)-м и n-м заказом у тех, кто его сделал. Пузырьки: интервалы по "
                f"{params.gap_bin_days} дн., от {params.max_gap_days} дн. — один открытый интервал; красные штрихи — P80."
                + (" Кривые по RFM-сегментам отчасти тавтологичны: балл F сам задан числом заказов." if circular else ""))
    censor = (f"Conversion and churn after order k count only customers whose k-th order was at least {d} days before "
              f"the analysis date (recent orders are censored)." if d else
              "Churn is not censored: a customer whose last order was recent counts as lost; the report states how many "
              "such customers bought within the P80 gap before the analysis date (a minimum observation time, when "
              "set, excludes recent orders from the denominator).")
    return (f"Identified customers' orders (a receipt of returns only is not an order) are numbered by date (ties by "
            f"time, then order id), k = 1…{params.max_order}. Reached k = customers with ≥ k orders; share = of all "
            f"customers; conversion k→k+1 = reached k+1 / reached k; churn = 1 − conversion. Gap = calendar days between "
            f"the dates of order k and k+1 for customers who continued; median and P80 are percentiles with linear "
            f"interpolation (numpy's default). Average check at order k = revenue of the k-th orders (net of returns on "
            f"those receipts) / their number. {censor} A loyalty threshold n is an order number after which churn falls "
            f"most: churn(n−1) − churn(n), with at least {params.min_customers} customers in both denominators; the gap "
            f"to manage is the P80 of the gap between order n−1 and n among customers who made order n. Bubbles: gaps "
            f"binned by {params.gap_bin_days} days, {params.max_gap_days}+ days in one open bin; red ticks mark the P80."
            + (" Curves by RFM segment are partly circular: the F score is itself the order count." if circular else ""))
