"""Client-base dynamics per owner (METHODS §9): per period, each owner's active customers split into new and repeat
by order-number band, and who grows a repeat base ("farmer") vs who mostly brings new customers ("hunter")."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import polars as pl
from pydantic import Field, field_validator

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.facts import numbered_orders as numbered
from cjmgen.periods import GRACE_DAYS, period_index, period_label
from cjmgen.spec.common import IntList, Strict

name = "owner_dynamics"
title = {"en": "Client-base dynamics by owner", "ru": "Динамика клиентской базы по владельцам"}
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

NO_OWNER = "—"
NETWORK = "network"
ALL_OWNERS = "all owners"
MAX_CHARTED = 8
"""Owners drawn in the small multiples; more are summarised in the tables."""


class Params(Strict):
    """New and repeat customers per owner and period, repeat customers banded by order number."""

    owner: Literal["manager", "store", "channel"] = Field(
        "store", description="Who owns an order: the order's manager, store or channel (the transactions column).")
    period: Literal["month", "quarter"] = Field("quarter", description="Period of the dynamics.")
    bands: IntList = Field(
        default_factory=lambda: [2, 3, 5],
        description="Lower bounds of the repeat bands by order number, starting at 2: [2, 3, 5] = orders 2, 3–4, 5+.")
    margin: float = Field(
        0.05, ge=0, le=1, description="How far (0.05 = 5 percentage points) an owner's repeat-base growth or new share "
                                      "must exceed all owners pooled to be called a farmer or a hunter.")

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[int]) -> list[int]:
        if not bands or bands[0] != 2 or any(x >= y for x, y in zip(bands, bands[1:], strict=False)) or len(bands) > 8:
            raise ValueError(f"expected 1–8 strictly ascending order numbers starting at 2, e.g. [2, 3, 5], got {bands}")
        return bands

    def band_names(self) -> list[tuple[int, str, str]]:
        """(lower bound, label, column) per band: (3, '3–4', 'repeat_3_4'), (5, '5+', 'repeat_5_plus')."""
        out = []
        for i, low in enumerate(self.bands):
            high = self.bands[i + 1] - 1 if i + 1 < len(self.bands) else None
            if high is None:
                out.append((low, f"{low}+", f"repeat_{low}_plus"))
            elif high == low:
                out.append((low, str(low), f"repeat_{low}"))
            else:
                out.append((low, f"{low}–{high}", f"repeat_{low}_{high}"))
        return out


def needs_for(params: Params) -> list[tuple[tuple[str, ...], str, str]]:
    """The owner column: checked against the data and located at `owner` before any compute."""
    return [(("owner",), "transactions", params.owner)]


def compute(ctx: Context, params: Params) -> Result:
    """The owner × period table, each owner's summary with its type, and the network's figures."""
    sales = ctx.facts.sales
    numbered = numbered_orders(sales.orders, params.owner)
    last = pl.select(period_index(pl.lit(sales.as_of), params.period)).item()
    dynamics = owner_table(numbered, params, last)
    network = owner_table(numbered.with_columns(pl.lit(NETWORK).alias("owner")), params, last)
    first, last_period = comparison(complete_periods(dynamics, sales.first_day, sales.as_of, params.period), params.period)
    reference = summarise(pooled(dynamics), first, last_period).row(0, named=True)
    summary = classify(summarise(dynamics, first, last_period), reference, params.margin)
    facts = {"owner": params.owner, "period": params.period, "reference": reference,
             "network": summarise(network, first, last_period).row(0, named=True), "margin": params.margin,
             "bands": [label for _, label, _ in params.band_names()], "band_columns": [c for *_, c in params.band_names()],
             "owners": summary.height, "charted": summary.head(MAX_CHARTED)["owner"].to_list(),
             "types": {k: summary.filter(pl.col("type") == k)["owner"].to_list() for k in ("farmer", "hunter", "mixed")},
             "network_periods": network.drop("owner").to_dicts()}
    return Result(name, {"owner_dynamics": dynamics, "owner_summary": summary}, facts=facts)


def numbered_orders(orders: pl.DataFrame, owner: str) -> pl.DataFrame:
    """Real orders of identified customers with the customer's order number (all owners, by time, then order id)
    and the order's owner ("—" when empty)."""
    return numbered(orders).select(
        "customer_id", "day", pl.col(owner).cast(pl.String).fill_null(NO_OWNER).alias("owner"), "order_number")


def owner_table(numbered: pl.DataFrame, params: Params, last: int) -> pl.DataFrame:
    """One row per owner × period from the first period with an order to the period of as_of (empty periods are
    zeros): each active customer counted once, by the order number of their first order with the owner there."""
    keyed = numbered.with_columns(period_index(pl.col("day"), params.period).alias("index"))
    first = keyed.group_by("owner", "index", "customer_id").agg(pl.col("order_number").min())
    bands = params.band_names()
    counts = [(pl.col("order_number") == 1).sum().alias("new_customers"),
              (pl.col("order_number") > 1).sum().alias("repeat_customers")]
    for i, (low, _, column) in enumerate(bands):
        upper = bands[i + 1][0] if i + 1 < len(bands) else None
        inside = (pl.col("order_number") >= low) & (pl.col("order_number") < upper if upper else pl.lit(True))
        counts.append(inside.sum().alias(column))
    cells = first.group_by("owner", "index").agg(*counts, pl.len().alias("active_customers"))
    start = int(keyed["index"].min()) if keyed.height else last
    grid = (pl.DataFrame({"owner": sorted(keyed["owner"].unique().to_list())}, schema={"owner": pl.String})
            .join(pl.DataFrame({"index": list(range(start, last + 1))}, schema={"index": pl.Int64}), how="cross"))
    columns = ["new_customers", "repeat_customers", *[c for *_, c in bands], "active_customers"]
    table = grid.join(cells, on=["owner", "index"], how="left").with_columns(pl.col(columns).fill_null(0).cast(pl.Int64))
    return table.sort("owner", "index").select(
        "owner", period_label(pl.col("index"), params.period).alias("period"), *columns,
        pl.when(pl.col("active_customers") > 0).then(pl.col("repeat_customers") / pl.col("active_customers"))
        .otherwise(None).alias("repeat_share"))


def period_bounds(label: str, period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a YYYY-MM or YYYY-Qn period."""
    year = int(label[:4])
    month = int(label[5:]) if period == "month" else (int(label[6]) - 1) * 3 + 1
    span = 1 if period == "month" else 3
    after = dt.date(year + (month + span - 1) // 12, (month + span - 1) % 12 + 1, 1)
    return dt.date(year, month, 1), after - dt.timedelta(days=1)


def complete_periods(dynamics: pl.DataFrame, first_day: dt.date, as_of: dt.date, period: str) -> list[str]:
    """Periods wholly observed (the data starts at most GRACE_DAYS after the period starts; the period ends by
    as_of); all periods when none is."""
    labels = sorted(dynamics["period"].unique().to_list())
    grace = dt.timedelta(days=GRACE_DAYS)
    whole = [p for p in labels if period_bounds(p, period)[0] + grace >= first_day and period_bounds(p, period)[1] <= as_of]
    return whole or labels


def comparison(window: list[str], period: str) -> tuple[str, str]:
    """(first, last): the last complete period and the same period a year before when the window has it (same
    season), else the window's first period."""
    last = window[-1]
    year_ago = f"{int(last[:4]) - 1}{last[4:]}"
    return (year_ago if year_ago in window else window[0]), last


def summarise(dynamics: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    """Per owner: repeat customers in the first and last comparison periods and their growth; new customers as a
    share of active customers summed over the periods from first to last."""
    span = dynamics.filter(pl.col("period").is_between(pl.lit(first), pl.lit(last)))
    at = lambda label, column: span.filter(pl.col("period") == label).select(  # noqa: E731
        "owner", pl.col("repeat_customers").alias(column))
    totals = span.group_by("owner").agg(pl.col("new_customers").sum(), pl.col("active_customers").sum())
    return (totals.join(at(first, "repeat_first"), on="owner", how="left")
            .join(at(last, "repeat_last"), on="owner", how="left")
            .with_columns(
                pl.lit(first).alias("first_period"), pl.lit(last).alias("last_period"),
                pl.when(pl.col("repeat_first") > 0).then(pl.col("repeat_last") / pl.col("repeat_first") - 1)
                .otherwise(None).alias("repeat_growth"),
                pl.when(pl.col("active_customers") > 0).then(pl.col("new_customers") / pl.col("active_customers"))
                .otherwise(None).alias("new_share"))
            .sort(["active_customers", "owner"], descending=[True, False])
            .select("owner", "first_period", "last_period", "repeat_first", "repeat_last", "repeat_growth",
                    "new_customers", "active_customers", "new_share"))


def pooled(dynamics: pl.DataFrame) -> pl.DataFrame:
    """All owners summed per period (a customer buying from two owners counts at each): the reference owners are
    compared with, counted the same way they are."""
    columns = [c for c in dynamics.columns if c.endswith("_customers") or c.startswith("repeat_") and c != "repeat_share"]
    return dynamics.group_by("period").agg(pl.col(columns).sum()).with_columns(pl.lit(ALL_OWNERS).alias("owner"))


def classify(summary: pl.DataFrame, reference: dict[str, Any], margin: float) -> pl.DataFrame:
    """farmer: a growing repeat base, its growth at least `margin` above all owners pooled, the new share not;
    hunter: a new share at least `margin` above theirs, the repeat growth not; mixed: both, neither, or no comparison."""
    growth, new = reference["repeat_growth"], reference["new_share"]
    if growth is None or new is None:
        return summary.with_columns(pl.lit("mixed").alias("type"))
    farms = ((pl.col("repeat_growth") > 0) & (pl.col("repeat_growth") >= growth + margin)).fill_null(False)
    hunts = (pl.col("new_share") >= new + margin).fill_null(False)
    kind = (pl.when(farms & ~hunts).then(pl.lit("farmer")).when(hunts & ~farms).then(pl.lit("hunter"))
            .otherwise(pl.lit("mixed")))
    return summary.with_columns(kind.alias("type"))


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """Stacked bars of new and banded repeat customers per period, one small chart per owner (top owners)."""
    import altair as alt

    t = localized(LABELS, ctx.locale)
    facts = result.facts
    parts = {"new_customers": t["New"], **{c: t["Order"] + " " + label
                                           for c, label in zip(facts["band_columns"], facts["bands"], strict=False)}}
    table = result.tables["owner_dynamics"].filter(pl.col("owner").is_in(facts["charted"]))
    long = table.select("owner", "period", *parts).unpivot(index=["owner", "period"], variable_name="part",
                                                           value_name="customers")
    long = long.with_columns(pl.col("part").replace_strict(parts), pl.col("part").replace_strict(
        {k: i for i, k in enumerate(parts)}).alias("stack"))
    periods = table["period"].unique().sort().to_list()
    colours = ["#e07b39", "#c6dbef", "#6baed6", "#2171b5", "#08519c", "#08306b", "#041f45", "#02122a", "#000a17"]
    columns = 2 if len(facts["charted"]) > 1 else 1
    width = 270 if columns == 2 else 560
    chart = alt.Chart(alt.Data(values=long.to_dicts())).mark_bar().encode(
        x=alt.X("period:O", sort=periods, title=None,
                axis=alt.Axis(labelAngle=-90, labelFontSize=7 if len(periods) > 12 else 9)),
        y=alt.Y("customers:Q", title=None, axis=alt.Axis(tickCount=4)),
        color=alt.Color("part:N", sort=list(parts.values()), title=None,
                        scale=alt.Scale(domain=list(parts.values()), range=colours[:len(parts)]),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("stack:Q", sort="ascending"),
    ).properties(width=width, height=110)
    return {"by_owner": chart.facet(
        facet=alt.Facet("owner:N", sort=facts["charted"], title=None,
                        header=alt.Header(labelFontSize=10, labelFontWeight="bold")),
        columns=columns, title=t["Active customers per period: new and repeat by order number"])}


LABELS: dict[str, dict[str, str]] = {
    "The tables show the 20 owners with the largest repeat base; all": {
        "ru": "В таблицах — 20 владельцев с наибольшей повторной базой; все"},
    "are in the files": {"ru": "— в файлах"},
    "New": {"ru": "Новые"}, "Order": {"ru": "Заказ"},
    "Active customers per period: new and repeat by order number": {
        "ru": "Активные клиенты по периодам: новые и повторные по номеру заказа"},
    "farmer": {"ru": "фермер"}, "hunter": {"ru": "охотник"}, "mixed": {"ru": "смешанный"},
    "Farmers (growing repeat base)": {"ru": "Фермеры (растёт повторная база)"},
    "hunters (mostly new customers)": {"ru": "охотники (в основном новые клиенты)"},
    "Hunters (mostly new customers)": {"ru": "Охотники (в основном новые клиенты)"},
    "repeat customers across the network": {"ru": "повторных клиентов по сети"}, "manager": {"ru": "менеджер"},
    "store": {"ru": "магазин"}, "channel": {"ru": "канал"}, "Owner": {"ru": "Владелец"}, "Type": {"ru": "Тип"},
    "Repeat customers": {"ru": "Повторные клиенты"}, "Growth of the repeat base": {"ru": "Рост повторной базы"},
    "New customers, share of active": {"ru": "Доля новых среди активных"}, "in": {"ru": "в"}, "with": {"ru": "с"},
    "vs": {"ru": "против"}, "new customers are": {"ru": "новые клиенты —"},
    "of active customers per period": {"ru": "активных клиентов за период"}, "none": {"ru": "нет"},
    "Owners by type": {"ru": "Владельцы по типам"}, "All owners pooled": {"ru": "Все владельцы вместе"},
    "Farmers (repeat base grows faster than all owners pooled)": {
        "ru": "Фермеры (повторная база растёт быстрее, чем у всех владельцев вместе)"},
    "Hunters (a larger share of new customers than all owners pooled)": {
        "ru": "Охотники (доля новых клиентов выше, чем у всех владельцев вместе)"},
    "Last period": {"ru": "Последний период"}, "Active": {"ru": "Активные"}, "Repeat share": {"ru": "Доля повторных"},
    "Only the": {"ru": "Показаны"},
    "owners with the most active customers are drawn; all": {
        "ru": "владельцев с наибольшим числом активных клиентов; все"},
    "are in the tables.": {"ru": "— в таблицах."}, "Growth compares": {"ru": "Рост: сравнение"},
    "the new share sums the periods between them.": {"ru": "доля новых — по периодам между ними."},
    "Margin": {"ru": "Порог"},
    "percentage points. A farmer's repeat base grows at least that much faster than all owners pooled; a hunter's "
    "new share is at least that much above theirs; an owner who is both, or neither, is mixed.": {
        "ru": "п. п. Повторная база фермера растёт быстрее, чем у всех владельцев вместе, не меньше чем на порог; "
              "доля новых у охотника выше их доли не меньше чем на порог; владелец, у которого и то и другое или ни "
              "того ни другого, — смешанный."},
    "A customer who buys from two owners in a period counts at each, so all owners pooled differ from the network.": {
        "ru": "Клиент, купивший у двух владельцев за период, учитывается у каждого, поэтому «все владельцы вместе» "
              "отличаются от сети."},
    "Repeat customers across the network": {"ru": "Повторных клиентов по сети"},
    "The first periods of the data look newer than they are: orders before the data starts are unknown, so "
    "every customer's first order in the data counts as their first. Types compare each owner with all owners "
    "pooled, which have the same bias.": {
        "ru": "Первые периоды данных выглядят «новее», чем на деле: заказы до начала данных неизвестны, и первый "
              "заказ клиента в данных считается первым. Типы сравнивают владельца со всеми владельцами вместе, у "
              "которых тот же сдвиг."},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the owner dynamics chapter."""
    bands = ", ".join(label for _, label, _ in params.band_names())
    owner = {"manager": ("manager", "менеджер"), "store": ("store", "магазин"),
             "channel": ("channel", "канал")}[params.owner]
    unit = {"month": ("month", "месяц"), "quarter": ("quarter", "квартал")}[params.period]
    pp = f"{params.margin * 100:g}"
    if locale == "ru":
        return (
            f"Владелец заказа — его {owner[1]}. Номер заказа клиента считается по всем владельцам по времени (чек "
            f"только из возвратов заказом не считается). Для владельца и периода ({unit[1]}) активные клиенты — "
            "клиенты хотя бы с одним заказом у него в периоде; каждый учитывается один раз по номеру своего "
            f"первого заказа у этого владельца в периоде: 1 — новый, иначе повторный в полосе {bands}. Новые + "
            "повторные = активные. Итог по владельцу: повторные клиенты в последнем полном периоде (данные "
            f"начинаются не позже {GRACE_DAYS} дней от его начала, он кончается до даты анализа) и в том же периоде "
            "годом раньше (если данных нет — в первом полном), их рост; доля новых = сумма новых / сумма активных "
            "за периоды между ними. Сравнение — со всеми владельцами вместе (суммы по владельцам, посчитанные так "
            f"же). **Фермер**: повторная база растёт, и её рост выше не меньше чем на {pp} п. п., а доля новых — "
            f"нет; **охотник**: доля новых выше не меньше чем на {pp} п. п., а рост повторной базы — нет; иначе — "
            "смешанный тип. Сеть — все заказы как один владелец (клиент считается один раз).")
    return (
        f"The owner of an order is its {owner[0]}. A customer's order number counts their orders across all owners by "
        f"time (a return-only receipt is not an order). For an owner and a period ({unit[0]}), active customers have "
        "at least one order with that owner in the period; each is counted once, by the number of their first order "
        f"with that owner in the period: 1 → new, otherwise repeat in the band {bands}. New + repeat = active. Owner "
        f"summary: repeat customers in the last complete period (the data starts at most {GRACE_DAYS} days after it "
        "starts; it ends by the analysis date) and in the same period a year earlier (else the first complete one), "
        "their growth, and the new share = new / active customers summed over the periods between them. Owners are "
        "compared with all owners pooled (the owners' sums, counted the same way). **Farmer**: a growing repeat "
        f"base, its growth at least {pp} percentage points above, the new share not; **hunter**: the new share at "
        f"least {pp} points above, repeat growth not; otherwise mixed. The network takes every order as one owner "
        "(each customer counted once).")
