"""Charts of the LTV chapter: value histogram, value by cohort age and by each breakdown, holdout fit, P(alive)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import polars as pl
from babel.numbers import format_decimal

from cjmgen.analyses.ltv import RFM, LtvResult
from cjmgen.charts.builders import WIDTH
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Customer lifetime value")
MODEL_NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD"}

Translate = Callable[[str], str]
MAX_GROUPS = 15
"""Bars per dimension chart: the largest groups by customers."""


def distribution(table: pl.DataFrame, measure_title: str, _: Translate) -> Any:
    """Histogram of value per customer: the open last bar is drawn one step wide."""
    step = float((table["upper"] - table["lower"]).drop_nulls().max() or 1.0)  # type: ignore[arg-type]
    frame = table.with_columns(pl.col("upper").fill_null(pl.col("lower") + step))
    return alt.Chart({"values": frame.select("lower", "upper", "customers").to_dicts()},
                     title=_("Customers by value to date")).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lower:Q", title=_("{measure} (the last bar: everyone above)").format(measure=measure_title),
                axis=alt.Axis(format=",.0f", labelOverlap=True)),
        x2="upper:Q",
        y=alt.Y("customers:Q", title=_("Customers"), axis=alt.Axis(format=",.0f")),
        y2=alt.datum(0),
    ).properties(width=WIDTH - 80, height=220)


def value_bars(table: pl.DataFrame, category: str, title: str, horizon_label: str, _: Translate,
               sort: list[str] | None = None) -> Any:
    """Value to date per customer beside the expected value over the horizon (when forecast) per group."""
    series = {_("Value to date per customer"): "ltv_mean"}
    if "expected_value_per_customer" in table.columns:
        series[horizon_label] = "expected_value_per_customer"
    frame = table.filter(pl.col("customers") > 0)
    if frame.height > MAX_GROUPS:
        frame = frame.sort(["customers", category], descending=[True, False]).head(MAX_GROUPS)
    order = sort or frame[category].to_list()
    long = frame.select(category, *series.values()).unpivot(index=category, variable_name="measure", value_name="amount")
    long = long.with_columns(pl.col("measure").replace_strict({c: label for label, c in series.items()}))
    return alt.Chart({"values": long.to_dicts()}, title=title).mark_bar().encode(
        y=alt.Y(f"{category}:N", sort=order, title=None),
        yOffset=alt.YOffset("measure:N", sort=list(series)),
        x=alt.X("amount:Q", title=None, axis=alt.Axis(format=",.0f")),
        color=alt.Color("measure:N", sort=list(series), title=None, legend=alt.Legend(orient="bottom")),
    ).properties(width=WIDTH - 200, height=max(frame.height * 13 * len(series), 80))


def holdout(table: pl.DataFrame, model: str, _: Translate) -> Any:
    """Actual and predicted holdout purchases per customer by calibration repeat purchases (FHL 2005, fig. 4)."""
    series = {_("Actual"): "actual_per_customer", _("Predicted ({model})").format(model=model): "predicted_per_customer"}
    long = table.select("bucket", *series.values()).unpivot(index="bucket", variable_name="measure", value_name="purchases")
    long = long.with_columns(pl.col("measure").replace_strict({c: label for label, c in series.items()}))
    return alt.Chart({"values": long.to_dicts()}, title=_("Holdout: repeat purchases per customer")).mark_line(
        point=True).encode(
        x=alt.X("bucket:O", sort=table["bucket"].to_list(), title=_("Repeat purchases before the holdout"),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("purchases:Q", title=_("Purchases per customer"), axis=alt.Axis(format=",.1f")),
        color=alt.Color("measure:N", sort=list(series), title=None, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("measure:N", sort=list(series), legend=None),
    ).properties(width=WIDTH - 160, height=220)


def p_alive(table: pl.DataFrame, _: Translate) -> Any:
    """Repeat customers by P(alive) in tenths."""
    return alt.Chart({"values": table.select("lower", "upper", "customers").to_dicts()},
                     title=_("Repeat customers by probability of being active")).mark_bar(
        stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lower:Q", title="P(alive)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%", tickCount=10)),
        x2="upper:Q",
        y=alt.Y("customers:Q", title=_("Customers"), axis=alt.Axis(format=",.0f")),
        y2=alt.datum(0),
    ).properties(width=WIDTH - 160, height=200)


def charts(result: LtvResult, theme: Theme) -> dict[str, Any]:
    """distribution, cohort_age, by_<dimension> per breakdown, holdout (with a holdout test), p_alive (when the
    purchase-count fit is sound)."""
    _ = theme._
    measure = _("Margin to date per customer") if result.measure == "margin" else _("Revenue to date per customer")
    horizon = _horizon_label(result, theme)
    out: dict[str, Any] = {
        "distribution": distribution(result.distribution, measure, _),
        "cohort_age": value_bars(result.by_cohort_age, "group", _("Value per customer by months since the first order"),
                                 horizon, _, sort=result.by_cohort_age["group"].to_list()),
    }
    for dimension, frame in result.by.items():
        if dimension == "gender":  # F/M codes read as words on the chart
            frame = frame.with_columns(pl.col("group").replace({"F": _("Women"), "M": _("Men")}))
        out[f"by_{dimension}"] = value_bars(frame, "group", dimension_chart_title(dimension, theme), horizon, _)
    if result.holdout_table is not None and result.forecast is not None:
        out["holdout"] = holdout(result.holdout_table, MODEL_NAMES[result.forecast.model], _)
    if result.p_alive is not None and result.forecast is not None and result.forecast.p_alive_meaningful:
        out["p_alive"] = p_alive(result.p_alive, _)
    return out


def _horizon_label(result: LtvResult, theme: Theme) -> str:
    n = result.horizon
    amount = format_decimal(n, format="#,##0.#", locale=theme.locale)
    count = int(n) if n == int(n) else 2  # a fractional amount takes the "many/other" form
    words = {"day": theme.ngettext("Expected value over {n} day", "Expected value over {n} days", count),
             "week": theme.ngettext("Expected value over {n} week", "Expected value over {n} weeks", count),
             "month": theme.ngettext("Expected value over {n} month", "Expected value over {n} months", count)}
    return words[result.time_unit].format(n=amount)


CHART_TITLES = {
    "store": N_("Value per customer by store of the first order"),
    "channel": N_("Value per customer by channel of the first order"),
    "manager": N_("Value per customer by manager of the first order"),
    "gender": N_("Value per customer by gender"), "region": N_("Value per customer by region"),
    "age": N_("Value per customer by age"), RFM: N_("Value per customer by RFM segment"),
}
"""Chart title per known breakdown; any other customers column reads 'Value per customer by <column>'."""


def dimension_chart_title(dimension: str, theme: Theme) -> str:
    """The breakdown chart's title."""
    if dimension in CHART_TITLES:
        return theme._(CHART_TITLES[dimension])
    return theme._("Value per customer by {column}").format(column=dimension)
