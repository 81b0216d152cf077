"""Historical and predictive LTV (METHODS §3): value per customer to as_of, BG/NBD + Gamma-Gamma forecasts.

Historical value = revenue net of returns, or margin (revenue − cost) when the data maps `cost`.
Predictive: BG/NBD for the number of future purchases and Gamma-Gamma for their value, fitted by
maximum likelihood in cjmgen.analyses.btyd; the models see one purchase per customer per calendar day.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BeforeValidator, Field, field_validator, model_validator

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.facts import DIMENSIONS, first_order_values, money_sum
from cjmgen.spec.common import Strict

name = "ltv"
title = {"en": "Customer lifetime value", "ru": "Пожизненная ценность клиента (LTV)"}
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

YEAR_IN_UNITS = {"day": 365.0, "week": 52.0, "month": 12.0}
"""The default forecast horizon: one year in each time unit."""
RFM = "rfm"
"""The `by` entry that groups customers by their RFM segment (name when named, else code)."""
_CUSTOMER_FIELDS = ("first_day", "last_day", "orders", "revenue", "margin")
UNIT_WORDS = {"day": "days", "week": "weeks", "month": "months"}
"""The time unit's plural as a LABELS key."""
HEADINGS = {"store": "By store of the first order", "channel": "By channel of the first order",
            "manager": "By manager of the first order", "gender": "By gender", "region": "By region", "age": "By age",
            RFM: "By RFM segment"}
"""Section heading (a LABELS key) per known breakdown; any other customers column reads 'By <column>'."""


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Params(Strict):
    """Historical LTV per customer (by cohort age and dimensions) and a BG/NBD + Gamma-Gamma forecast."""

    value: Literal["auto", "revenue", "margin"] = Field(
        "auto", description="Value per customer: revenue, margin (revenue − cost), or auto (margin when cost is "
                            "mapped).")
    by: Annotated[list[str], BeforeValidator(_listify)] = Field(
        default_factory=list, description="Breakdowns: store, channel, manager (of the first order), any customers "
                                          "column (gender, region, …) or rfm (the RFM segment).")
    cohort_age_bands: list[int] = Field(
        [3, 6, 12, 24], description="Cut points in full months since the first order: [3, 6, 12, 24] gives 0–2, 3–5, "
                                    "6–11, 12–23 and 24+ months.")
    histogram_bins: int = Field(
        20, ge=5, le=60, description="Bars of the LTV histogram up to the 95th percentile (plus one open bar above).")
    predictive: bool = Field(True, description="Fit BG/NBD and Gamma-Gamma and forecast each customer.")
    time_unit: Literal["day", "week", "month"] = Field(
        "week", description="Time unit of the BTYD model (frequency, recency, T, horizon); a month is 365.25/12 days.")
    horizon: float | None = Field(
        None, gt=0, le=3650,
        description="Forecast horizon in time units. Default: one year (52 weeks, 12 months, 365 days).")
    discount_rate: float = Field(
        0.0, ge=0, lt=1, description="Annual discount rate of the expected value, e.g. 0.15; 0 = undiscounted.")
    holdout_start: dt.date | None = Field(
        None, description="First day of the holdout period: the model is also fitted on purchases before it and its "
                          "predicted repeat purchases from this day to as_of are compared with the actual ones.")
    min_repeat_customers: int = Field(
        20, ge=5, description="Fewest customers with a repeat purchase (of positive value) needed to fit the models.")
    top: int = Field(20, ge=1, le=200, description="Customers listed in the report's top of expected value.")

    @field_validator("cohort_age_bands")
    @classmethod
    def _ascending(cls, cuts: list[int]) -> list[int]:
        if not cuts or cuts != sorted(set(cuts)) or cuts[0] < 1 or len(cuts) > 12:
            raise ValueError(f"expected 1–12 strictly ascending month counts ≥ 1, got {cuts}")
        return cuts

    @model_validator(mode="after")
    def _unique_by(self) -> Params:
        doubles = sorted({d for d in self.by if self.by.count(d) > 1})
        if doubles:
            raise ValueError(f"by: expected each dimension once, got {doubles} twice")
        return self

    @property
    def horizon_units(self) -> float:
        """The forecast horizon in time units."""
        return self.horizon if self.horizon is not None else YEAR_IN_UNITS[self.time_unit]


def compute(ctx: Context, params: Params) -> Result:
    """Historical value tables and, when enough customers repeat, per-customer BTYD forecasts."""
    from cjmgen.analyses import ltv_forecast as fc  # numpy and scipy load only when the chapter is computed

    sales = ctx.facts.sales
    measure = "margin" if sales.has_cost and params.value in ("auto", "margin") else "revenue"
    people = sales.customers.select("customer_id", *[c for c in _CUSTOMER_FIELDS if c in sales.customers.columns])
    people = people.with_columns(pl.col(measure).alias("value"))
    purchases = purchase_days(sales.orders, measure)
    inputs = fc.btyd_inputs(purchases, sales.as_of, fc.UNIT_DAYS[params.time_unit])
    facts: dict[str, Any] = {"measure": measure, "as_of": sales.as_of, **distribution_facts(people["value"]),
                             "margin_requested_without_cost": params.value == "margin" and not sales.has_cost}
    tables: dict[str, pl.DataFrame] = {}
    fits: fc.Fits = {}
    forecast = fc.forecast(inputs, params, facts, fits)
    if forecast is not None:
        facts["holdout"] = fc.holdout(purchases, sales.as_of, params, tables, fits)
        tables["ltv_params"] = fc.params_table(fits)
    people = people.join(forecast if forecast is not None else _no_forecast(inputs), on="customer_id", how="left")
    tables["ltv_customers"] = _customer_table(people)
    tables["ltv_distribution"] = histogram(people["value"], params.histogram_bins)
    tables["ltv_by_cohort_age"] = by_cohort_age(people, sales.as_of, params.cohort_age_bands)
    facts |= {"dimensions": [], "unknown_dimensions": [], "dimension_headings": {}}
    for dimension in params.by:
        groups = dimension_groups(ctx, dimension)
        if groups is None:
            facts["unknown_dimensions"].append(dimension)
            continue
        facts["dimensions"].append(dimension)
        facts["dimension_headings"][dimension] = HEADINGS.get(dimension)
        keyed = people.join(groups, on="customer_id", how="left").with_columns(
            pl.col("group").cast(pl.String).fill_null("—"))
        tables[f"ltv_by_{dimension}"] = summary_by(keyed, ["group"])
    if forecast is not None:
        tables["ltv_p_alive"] = fc.p_alive_histogram(people)
        facts["top"] = people.filter(pl.col("expected_value").is_not_null()).sort(
            ["expected_value", "customer_id"], descending=[True, False]).head(params.top).to_dicts()
    return Result(name, tables, facts=facts)


def _no_forecast(inputs: pl.DataFrame) -> pl.DataFrame:
    return inputs.with_columns(pl.lit(None, pl.Float64).alias(c) for c in
                               ("p_alive", "expected_orders", "expected_avg_value", "expected_value"))


# ------------------------------------------------------------------ historical


def purchase_days(orders: pl.DataFrame, measure: str) -> pl.DataFrame:
    """One row per customer and calendar day with ≥1 real order: the BTYD purchase and its value."""
    value = pl.col("revenue") - pl.col("cost").fill_null(0) if measure == "margin" else pl.col("revenue")
    real = orders.filter(pl.col("is_order") & pl.col("customer_id").is_not_null()).with_columns(value.alias("value"))
    return real.group_by("customer_id", "day").agg(money_sum("value")).sort("customer_id", "day")


def distribution_facts(values: pl.Series) -> dict[str, Any]:
    """Mean, P25/P50/P75/P90 (linear interpolation) and the top 10% of customers' share of the total."""
    n, total = values.len(), round(float(values.sum()), 6)
    ranked = values.sort(descending=True)
    top = math.ceil(0.1 * n)
    out = {"customers": n, "value_total": total, "mean": total / n if n else None,
           "top10_share": float(ranked.head(top).sum()) / total if n and total > 0 else None}
    out |= {f"p{int(q * 100)}": values.quantile(q, "linear") for q in (0.25, 0.5, 0.75, 0.9)}
    return out


def histogram(values: pl.Series, bins: int) -> pl.DataFrame:
    """Bars of a 'nice' equal width from 0 to the 95th percentile, an open last bar above, one bar for values < 0."""
    frame = pl.DataFrame({"value": values}, schema={"value": pl.Float64})
    top = float(values.quantile(0.95, "linear")) if values.len() else 0.0
    high = float(values.max()) if values.len() else 0.0
    step = _nice(top / bins if top > 0 else max(high, 1.0) / bins)
    count = max(math.ceil(top / step - 1e-9), 1)
    negative = bool(values.len()) and float(values.min()) < 0
    bounds = ([(float(values.min()), 0.0)] if negative else []) + [(i * step, (i + 1) * step) for i in range(count)]
    if high >= count * step:
        bounds.append((count * step, None))
    index = (pl.col("value") / step).floor().cast(pl.Int64).clip(upper_bound=count) + int(negative)
    index = pl.when(pl.col("value") < 0).then(pl.lit(0, pl.Int64)).otherwise(index)
    counts = frame.group_by(index.alias("bin")).agg(pl.len().alias("customers"), money_sum("value"))
    table = pl.DataFrame({"bin": range(len(bounds)), "lower": [b[0] for b in bounds], "upper": [b[1] for b in bounds]},
                         schema={"bin": pl.Int64, "lower": pl.Float64, "upper": pl.Float64})
    total = round(float(values.sum()), 6)
    return table.join(counts, on="bin", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64), pl.col("value").fill_null(0.0)).with_columns(
        (pl.col("customers") / max(values.len(), 1)).alias("customers_share"),
        (pl.col("value") / total if total else pl.lit(None, pl.Float64)).alias("value_share"),
    ).select("bin", "lower", "upper", "customers", "customers_share", "value", "value_share").sort("bin")


def _nice(raw: float) -> float:
    """The 1, 2, 2.5 or 5 × 10^k nearest to raw (on a log scale), so the bar count stays close to the one asked for."""
    power = 10 ** math.floor(math.log10(raw))
    return min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda step: abs(math.log(step / raw)))


def summary_by(people: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Customers, value and value per customer per group; forecast columns when the models were fitted."""
    n, total = people.height, round(float(people["value"].sum()), 6)
    aggs = [pl.len().alias("customers"), money_sum("value").alias("value"),
            pl.col("value").median().alias("ltv_median"), pl.col("orders").sum().alias("orders")]
    forecast = "expected_value" in people.columns and people["expected_value"].null_count() < n
    if forecast:  # one-time buyers are alive by BG/NBD's construction: P(alive) is averaged over repeat customers
        repeat = pl.col("frequency") > 0
        aggs += [repeat.sum().cast(pl.Int64).alias("repeat_customers"),
                 pl.col("p_alive").filter(repeat).sum().round(9).alias("p_alive_sum"),
                 money_sum("expected_value").alias("expected_value")]
    table = people.group_by(keys).agg(*aggs).with_columns(
        (pl.col("customers") / max(n, 1)).alias("customers_share"),
        (pl.col("value") / total if total else pl.lit(None, pl.Float64)).alias("value_share"),
        (pl.col("value") / pl.col("customers")).alias("ltv_mean"),
        (pl.col("orders") / pl.col("customers")).alias("orders_per_customer"))
    columns = [*keys, "customers", "customers_share", "value", "value_share", "ltv_mean", "ltv_median",
               "orders_per_customer"]
    if forecast:
        table = table.with_columns(
            pl.when(pl.col("repeat_customers") > 0).then(pl.col("p_alive_sum") / pl.col("repeat_customers"))
            .alias("p_alive_repeat_mean"),
            (pl.col("expected_value") / pl.col("customers")).alias("expected_value_per_customer"))
        columns += ["repeat_customers", "p_alive_repeat_mean", "expected_value", "expected_value_per_customer"]
    return table.select(columns).sort(keys)


def cohort_age_months(first_day: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Full calendar months from the first order to as_of (who started on 15 Jan is 1 month old on 15 Feb)."""
    started = first_day.dt.year().cast(pl.Int64) * 12 + first_day.dt.month().cast(pl.Int64)
    months = (as_of.year * 12 + as_of.month) - started
    return months - (first_day.dt.day().cast(pl.Int64) > as_of.day).cast(pl.Int64)


def by_cohort_age(people: pl.DataFrame, as_of: dt.date, cuts: list[int]) -> pl.DataFrame:
    """summary_by over bands of cohort age; every band is listed, empty ones with zero customers."""
    lows, highs = [0, *cuts], [*[c - 1 for c in cuts], None]
    bands = pl.DataFrame({"band": range(len(lows)), "months_from": lows, "months_to": highs},
                         schema={"band": pl.Int64, "months_from": pl.Int64, "months_to": pl.Int64})
    age = cohort_age_months(pl.col("first_day"), as_of)
    band = sum((age >= c).cast(pl.Int64) for c in cuts)
    table = summary_by(people.with_columns(band.alias("band")), ["band"])
    out = bands.join(table, on="band", how="left").with_columns(
        pl.col("customers").fill_null(0), pl.col("value").fill_null(0.0), pl.col("customers_share").fill_null(0.0),
        pl.when(pl.col("months_to").is_null()).then(pl.format("{}+", "months_from"))
        .otherwise(pl.format("{}–{}", "months_from", "months_to")).alias("group"))
    return out.select("group", "months_from", "months_to", *table.columns[1:]).sort("months_from")


def dimension_groups(ctx: Context, dimension: str) -> pl.DataFrame | None:
    """customer_id → group: first-order dimension, customers column or RFM segment; None when the data has none."""
    sales = ctx.facts.sales
    if dimension in DIMENSIONS and dimension in sales.orders.columns:
        return first_order_values(sales.orders, dimension)
    if dimension == RFM:
        from cjmgen import scoring as rfm

        configured = getattr(getattr(ctx.spec, "analyses", None), "rfm", None) if ctx.spec is not None else None
        rfm_params = configured or rfm.Params()
        scored = rfm.score_customers(sales.customers, sales.as_of, rfm_params)
        return scored.select("customer_id", pl.col("name" if rfm_params.names else "segment").alias("group"))
    if dimension in sales.customers.columns and dimension not in (*_CUSTOMER_FIELDS, "customer_id"):
        column = pl.col(dimension)
        if dimension == "age" and sales.customers.schema["age"].is_numeric():
            column = age_band(column)
        return sales.customers.select("customer_id", column.alias("group"))
    return None


AGE_BANDS = (25, 35, 45, 55, 65)
"""Age groups of the `age` breakdown: under 25, 25–34, …, 65 and over."""


def age_band(age: pl.Expr) -> pl.Expr:
    """'<25', '25–34', …, '65+' (null stays null)."""
    expr = pl.when(age < AGE_BANDS[0]).then(pl.lit(f"<{AGE_BANDS[0]}"))
    for low, high in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        expr = expr.when(age < high).then(pl.lit(f"{low}–{high - 1}"))
    return expr.when(age >= AGE_BANDS[-1]).then(pl.lit(f"{AGE_BANDS[-1]}+"))


def _customer_table(people: pl.DataFrame) -> pl.DataFrame:
    money = ["revenue", "margin"] if "margin" in people.columns else ["revenue"]
    return people.select("customer_id", "first_day", "orders", *money, "frequency", "recency", "T", "avg_repeat_value",
                         "p_alive", "expected_orders", "expected_avg_value", "expected_value").sort("customer_id")


# ------------------------------------------------------------------ charts and text


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """Value histogram, value by cohort age and by each dimension, holdout fit, P(alive) distribution."""
    from cjmgen.analyses import ltv_charts

    locale = ctx.locale
    t = localized(LABELS, locale)
    f = result.facts
    measure_title = t("Margin to date per customer") if f["measure"] == "margin" else t("Revenue to date per customer")
    horizon = f"{f['horizon']:g} {t(UNIT_WORDS[f['time_unit']])}"
    headings = {d: f"{t('Value per customer')}: {_lower_first(dimension_heading(d, t))}" for d in f["dimensions"]}
    shown = result
    if "gender" in f["dimensions"]:  # F/M codes read as words on the chart
        words = {"F": t("Women"), "M": t("Men")}
        gender = result.tables["ltv_by_gender"].with_columns(pl.col("group").replace(words))
        shown = Result(result.name, {**result.tables, "ltv_by_gender": gender}, result.facts)
    return ltv_charts.all_charts(shown, t, measure_title, f"{t('Expected value over')} {horizon}", headings)


def dimension_heading(dimension: str, t) -> str:
    """'By store of the first order' for known dimensions, 'By <column>' for any other customers column."""
    return t(HEADINGS[dimension]) if dimension in HEADINGS else f"{t('By')} {dimension}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


LABELS: dict[str, dict[str, str]] = {
    "The 20 largest groups by customers are shown; all": {"ru": "Показаны 20 крупнейших групп по числу клиентов; все"},
    "are in the table's CSV.": {"ru": "— в CSV-файле таблицы."},
    "Customers": {"ru": "Клиенты"}, "Value per customer": {"ru": "Ценность клиента"},
    "Women": {"ru": "Женщины"}, "Men": {"ru": "Мужчины"},
    "days": {"ru": "дн."}, "weeks": {"ru": "нед."}, "months": {"ru": "мес."},
    "By": {"ru": "В разрезе:"}, "By store of the first order": {"ru": "По магазину первого заказа"},
    "By channel of the first order": {"ru": "По каналу первого заказа"},
    "By manager of the first order": {"ru": "По менеджеру первого заказа"},
    "By gender": {"ru": "По полу"}, "By region": {"ru": "По региону"}, "By age": {"ru": "По возрасту"},
    "By RFM segment": {"ru": "По RFM-сегментам"},
    "Margin to date per customer": {"ru": "Маржа на клиента на дату анализа"},
    "Revenue to date per customer": {"ru": "Выручка на клиента на дату анализа"},
    "the last bar: everyone above": {"ru": "последний столбец — все, кто выше"},
    "Customers by value to date": {"ru": "Клиенты по накопленной ценности"},
    "Value to date per customer": {"ru": "Накопленная ценность на клиента"},
    "Expected value over": {"ru": "Ожидаемая ценность за"},
    "Value per customer by months since the first order": {"ru": "Ценность клиента по месяцам с первого заказа"},
    "Actual": {"ru": "Факт"}, "Predicted (BG/NBD)": {"ru": "Прогноз (BG/NBD)"},
    "Holdout: repeat purchases per customer": {"ru": "Контрольный период: повторные покупки на клиента"},
    "Repeat purchases before the holdout": {"ru": "Повторных покупок до контрольного периода"},
    "Purchases per customer": {"ru": "Покупок на клиента"},
    "Repeat customers by probability of being active": {"ru": "Повторные клиенты по вероятности активности"},
    # the chapter
    "Value per customer to date": {"ru": "Накопленная ценность клиента на дату анализа"},
    "margin: revenue net of returns minus cost": {"ru": "маржа: выручка за вычетом возвратов и себестоимости"},
    "revenue net of returns": {"ru": "выручка за вычетом возвратов"},
    "Customers analysed": {"ru": "Клиентов в анализе"}, "on average": {"ru": "в среднем"}, "median": {"ru": "медиана"},
    "A quarter of customers stay below": {"ru": "У четверти клиентов меньше"},
    "a quarter exceed": {"ru": "у четверти больше"}, "a tenth exceed": {"ru": "у десятой части больше"},
    "The top 10% of customers bring": {"ru": "Топ-10% клиентов приносят"},
    "of the value": {"ru": "всей ценности"},
    "Margin was requested, but the data maps no cost: values are revenue.": {
        "ru": "Запрошена маржа, но в данных нет себестоимости: показана выручка."},
    "By months since the first order": {"ru": "По времени с первого заказа"},
    "Months since the first order": {"ru": "Месяцев с первого заказа"},
    "Group": {"ru": "Группа"}, "Value to date": {"ru": "Ценность на дату"}, "% of value": {"ru": "% ценности"},
    "Per customer": {"ru": "На клиента"}, "Median": {"ru": "Медиана"},
    "P(alive), repeat customers": {"ru": "P(alive), повторные клиенты"},
    "P(alive) is the mean over the group's customers with a repeat purchase; customers without one are alive by the "
    "model's construction (P(alive) = 100%) and are left out of it; — = no repeat customers in the group.": {
        "ru": "P(alive) — среднее по клиентам группы с повторными покупками; клиенты без них по построению модели "
              "активны (P(alive) = 100 %) и в среднее не входят; — — в группе нет повторных клиентов."},
    "Expected value": {"ru": "Ожидаемая ценность"}, "Expected per customer": {"ru": "Ожидаемая на клиента"},
    "Not in the data, skipped": {"ru": "Нет в данных, пропущено"},
    "Predictive LTV: BG/NBD and Gamma-Gamma": {"ru": "Прогнозный LTV: BG/NBD и Gamma-Gamma"},
    "The forecast was skipped: only": {"ru": "Прогноз не строился: только"},
    "customers made a repeat purchase of positive value; the models need at least": {
        "ru": "клиентов сделали повторную покупку положительной стоимости, а моделям нужно не меньше"},
    "The forecast was not requested for this report.": {"ru": "Прогноз для этого отчёта не запрашивался."},
    "Over the next": {"ru": "За следующие"}, "the": {"ru": ""},
    "customers are expected to make": {"ru": "клиентов, по прогнозу, совершат"},
    "purchases worth": {"ru": "покупок на"}, "per customer": {"ru": "на клиента"},
    "discounted at": {"ru": "с дисконтированием по ставке"}, "a year": {"ru": "годовых"},
    "Of the customers with a repeat purchase,": {"ru": "Из клиентов с повторными покупками"},
    "are more likely gone than active (P(alive) below 50%).": {
        "ru": "скорее ушли, чем активны (P(alive) ниже 50 %)."},
    "The maximum-likelihood fit did not converge": {"ru": "Оценка максимального правдоподобия не сошлась"},
    "treat the forecast as indicative.": {"ru": "прогноз следует считать ориентировочным."},
    "Model": {"ru": "Модель"}, "Parameter": {"ru": "Параметр"}, "Estimate": {"ru": "Оценка"},
    "Standard error": {"ru": "Стандартная ошибка"}, "Log-likelihood": {"ru": "Лог-правдоподобие"},
    "Converged": {"ru": "Сходимость"}, "yes": {"ru": "да"}, "no": {"ru": "нет"},
    "Correlation between the number of repeat purchases and their average value": {
        "ru": "Корреляция числа повторных покупок и их среднего чека"},
    "weak: the independence assumption of Gamma-Gamma holds well enough.": {
        "ru": "слабая: допущение Gamma-Gamma о независимости выполняется достаточно хорошо."},
    "notable: Gamma-Gamma assumes none, so the value forecast may be biased.": {
        "ru": "заметная: Gamma-Gamma предполагает её отсутствие, прогноз ценности может быть смещён."},
    "Expected value of a purchase of a customer without repeat purchases": {
        "ru": "Ожидаемая стоимость покупки клиента без повторных покупок"},
    "Holdout test": {"ru": "Проверка на контрольном периоде"},
    "Fitted on purchases before": {"ru": "Модель оценена на покупках до"},
    "and tested on": {"ru": "и проверена на периоде"},
    "it predicts": {"ru": "прогноз —"}, "repeat purchases of": {"ru": "повторных покупок"},
    "customers, the actual number is": {"ru": "клиентов, факт —"},
    "mean absolute error": {"ru": "средняя абсолютная ошибка"},
    "purchases per customer.": {"ru": "покупки на клиента."},
    "No holdout period was named: the forecast is not checked on held-out data.": {
        "ru": "Контрольный период не задан: прогноз не проверен на отложенных данных."},
    "The holdout start": {"ru": "Начало контрольного периода"},
    "is outside the purchase history": {"ru": "вне истории покупок"},
    "the holdout test was skipped.": {"ru": "проверка пропущена."},
    "Too few customers repeat before the holdout start to fit the models; the holdout test was skipped.": {
        "ru": "До начала контрольного периода слишком мало повторных клиентов для оценки; проверка пропущена."},
    "Repeat purchases before": {"ru": "Повторных покупок до"}, "Predicted": {"ru": "Прогноз"},
    "Actual per customer": {"ru": "Факт на клиента"}, "Predicted per customer": {"ru": "Прогноз на клиента"},
    "MAE": {"ru": "MAE"},
    "Top customers by expected value": {"ru": "Топ клиентов по ожидаемой ценности"},
    "Customer": {"ru": "Клиент"}, "Expected purchases": {"ru": "Ожидаемые покупки"},
    "Expected average value": {"ru": "Ожидаемый средний чек"},
    "Customers without a repeat purchase": {"ru": "Клиенты без повторных покупок"},
    "have P(alive) = 100% by the model's construction and are not shown.": {
        "ru": "имеют P(alive) = 100 % по построению модели и не показаны."},
    "Median value per customer to date": {"ru": "Медианная накопленная ценность клиента"},
    "the top 10% of customers bring": {"ru": "топ-10% клиентов приносят"},
    "margin": {"ru": "маржа"}, "revenue": {"ru": "выручка"}, "the forecast is": {"ru": "прогноз"},
    "above the actual": {"ru": "выше факта"}, "below the actual": {"ru": "ниже факта"},
    "expected value of the base over the next": {"ru": "ожидаемая ценность базы за следующие"},
}


def methodology(params: Params, locale: str) -> str:
    """The definitions behind the LTV chapter."""
    from babel.dates import format_date

    unit = {"day": ("day", "день"), "week": ("week (7 days)", "неделя (7 дней)"),
            "month": ("month (365.25/12 days)", "месяц (365,25/12 дня)")}[params.time_unit]
    bands = ", ".join(str(c) for c in params.cohort_age_bands)
    rate_en, rate_ru = f"{params.discount_rate * 100:g}%", f"{params.discount_rate * 100:g} %".replace(".", ",")
    steps = min(math.ceil(params.horizon_units), 104)
    discount = (f"discounted at {rate_en} a year: the horizon is cut into {steps} equal steps and the expected purchases "
                f"of each step are discounted from the step's end by (1 + d)^(−t), t in years"
                if params.discount_rate else "undiscounted")
    discount_ru = (f"с дисконтированием по ставке {rate_ru} годовых: горизонт делится на равные шаги (их {steps}), "
                   f"ожидаемые покупки шага дисконтируются с конца шага множителем (1 + d)^(−t), t в годах"
                   if params.discount_rate else "без дисконтирования")
    horizon = f"{params.horizon_units:g}"
    start = params.holdout_start
    when = format_date(start, format="long", locale=locale) if start else ""  # as the report prints dates
    holdout_en = (f"**Holdout test** (the holdout period starting {when}): the models are also fitted "
                  "on purchases before that day (T ends the day before); " if start else
                  "**Holdout test** (when a holdout period is named): the models are also fitted on purchases before "
                  "its first day (T ends the day before); ")
    holdout_ru = (f"**Контрольный период** (начинается {when}): модель "
                  "также оценивается на покупках до этого дня (T — до предыдущего дня); " if start else
                  "**Контрольный период** (если он задан): модель также оценивается на покупках до его первого дня "
                  "(T — до предыдущего дня); ")
    if locale == "ru":
        return (
            "**Историческая ценность** клиента — маржа (выручка за вычетом возвратов и себестоимости; строка без "
            "себестоимости считается с нулевой) при наличии себестоимости в данных, иначе выручка за вычетом возвратов, "
            "с первого заказа до даты анализа; только идентифицированные клиенты с хотя бы одним заказом. Возраст клиента — полные "
            f"календарные месяцы от первого заказа до даты анализа; границы групп: {bands} мес. Перцентили — с линейной "
            "интерполяцией; доля топ-10 % — ценность ⌈0,1·N⌉ самых ценных клиентов / вся ценность. Гистограмма — "
            "столбцы равной ширины до 95-го перцентиля, последний столбец открыт.\n\n"
            "**Прогноз (BTYD).** Покупка — день, в который у клиента был хотя бы один заказ (несколько чеков за день — "
            "одна покупка; чек только из возвратов покупкой не является). По клиенту: частота x = число покупок − 1 "
            "(повторные покупки), давность t_x = время от первой до последней покупки, T = время от первой покупки до "
            f"конца периода наблюдения; единица времени — {unit[1]}. Давность в BTYD отсчитывается от первой покупки "
            "к последней и растёт с активностью клиента; давность R в RFM — дни от последнего заказа до даты анализа, "
            "она растёт с неактивностью. Клиент с t_x близким к T, скорее всего, активен.\n\n"
            "**BG/NBD** (Fader, Hardie, Lee 2005): пока клиент активен, он покупает с интенсивностью λ ~ Gamma(r, α); "
            "после каждой повторной покупки уходит с вероятностью p ~ Beta(a, b). Параметры оценены методом "
            "максимального правдоподобия (L-BFGS-B по логарифмам параметров, при несходимости — Nelder-Mead), "
            "стандартные ошибки — из гессиана. P(alive) и ожидаемое число покупок за горизонт — по формулам FHL 2005 "
            "(с гипергеометрической функцией ₂F₁). По построению модели клиент без повторных покупок "
            "считается активным (P(alive) = 1).\n\n"
            "**Gamma-Gamma** (Fader, Hardie 2013): средняя ценность повторных покупок (выручка или маржа заказов этих "
            "дней) клиентов с x > 0 и положительным средним; ожидаемая ценность покупки = p(γ + x·m̄)/(px + q − 1), "
            "для клиента без повторных покупок — среднее по базе pγ/(q − 1); отрицательное m̄ (возвраты) — как 0. Модель предполагает независимость ценности "
            "покупки от частоты: в отчёте приведена корреляция Пирсона x и m̄ (|ρ| < 0,3 — слабая). Gamma-Gamma "
            "считает каждую повторную покупку обычной для клиента тратой: разовая крупная покупка (например, имплант "
            "или дорогой курс лечения) поднимает ожидаемую стоимость всех будущих покупок, а серия недавних визитов "
            "читается BG/NBD как высокая частота. Поэтому клиенты посреди дорогого курса могут оказаться в начале "
            "списка по ожидаемой ценности, хотя после завершения курса их траты упадут; читайте этот список вместе с "
            "планами лечения или заказов.\n\n"
            f"**Ожидаемая ценность** = ожидаемое число покупок за горизонт ({horizon} {LABELS[UNIT_WORDS[params.time_unit]]['ru']}) × ожидаемая "
            f"ценность покупки, {discount_ru}. Модели оцениваются, если не меньше {params.min_repeat_customers} клиентов "
            "сделали повторную покупку положительной ценности.\n\n"
            + holdout_ru +
            "для клиентов с первой покупкой до начала контрольного периода прогноз покупок с его начала по дату "
            "анализа сравнивается с "
            "фактом по группам числа повторных покупок (0…6, 7+); MAE — средняя по клиентам абсолютная ошибка. "
            "Прогноз по клиентам строится моделью, заново оценённой на всех данных.")
    return (
        "**Historical value** per customer = margin (revenue net of returns minus cost; a line without cost counts as "
        "zero cost) when the data maps cost, else revenue net of returns, from the first order to the analysis date; "
        "identified customers with at least one order only. Cohort age = full calendar months from the first order to "
        f"the analysis date; band cut points: {bands} months. Percentiles use linear interpolation; the top-10% share = "
        "value of the ⌈0.1·N⌉ most valuable customers / total value. Histogram bars are equal-width up to the 95th "
        "percentile; the last bar is open.\n\n"
        "**Forecast (BTYD).** A purchase = a calendar day on which the customer placed at least one order (several "
        "receipts on one day are one purchase; a return-only receipt is none). Per customer: frequency x = purchases − 1 "
        "(repeat purchases), recency t_x = time from the first to the last purchase, T = time from the first purchase "
        f"to the end of the observation period; time unit: {unit[0]}. BTYD recency runs from the first purchase to the "
        "last and grows with activity; RFM recency (R) is the days from the last order to the analysis date and grows "
        "with inactivity. A customer whose t_x is close to T is probably still active.\n\n"
        "**BG/NBD** (Fader, Hardie & Lee 2005): while active, a customer buys at rate λ ~ Gamma(r, α); after each "
        "repeat purchase the customer drops out with probability p ~ Beta(a, b). Parameters are maximum-likelihood "
        "estimates (L-BFGS-B on the logarithms of the parameters, Nelder-Mead when it does not converge); standard errors "
        "come from the Hessian. P(alive) and the expected purchases over the horizon follow FHL 2005 (with the "
        "Gauss hypergeometric function ₂F₁). By the model's construction a customer without repeat purchases is alive "
        "(P(alive) = 1).\n\n"
        "**Gamma-Gamma** (Fader & Hardie 2013): the average value of the repeat purchases (revenue or margin of the "
        "orders of those days) of customers with x > 0 and a positive average; the expected value of a purchase = "
        "p(γ + x·m̄)/(px + q − 1), for a customer without repeat purchases the base's mean pγ/(q − 1); a negative "
        "m̄ (returns) counts as 0. The model assumes "
        "purchase value independent of frequency: the report shows the Pearson correlation of x and m̄ (|ρ| < 0.3: "
        "weak). Gamma-Gamma treats every repeat purchase as the customer's usual spend: a one-off large purchase (an "
        "implant, an expensive course of treatment, a piece of furniture) raises the expected value of every future "
        "purchase, and BG/NBD reads a run of recent visits as a high purchase rate. Customers in the middle of an "
        "expensive course can therefore top the expected-value list although their spend will drop once the course "
        "ends; read the list together with treatment or order plans.\n\n"
        f"**Expected value** = expected purchases over the horizon ({horizon} {UNIT_WORDS[params.time_unit]}) × "
        f"expected value of a purchase, {discount}. The models are fitted when at least {params.min_repeat_customers} "
        "customers made a repeat purchase of positive value.\n\n"
        + holdout_en +
        "for customers whose first purchase precedes it, the predicted purchases from its first day to the analysis "
        "date are compared "
        "with the actual ones by calibration repeat purchases (0…6, 7+); MAE = mean absolute error per customer. The "
        "per-customer forecast uses the models refitted on all data.")
