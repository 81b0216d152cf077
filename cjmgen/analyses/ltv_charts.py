"""Altair charts of the LTV chapter. Imported only from `ltv.charts`, so Altair loads only when a report renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import polars as pl

from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.charts.builders import WIDTH

Translate = Callable[[str], str]
MAX_GROUPS = 15
"""Bars per dimension chart: the largest groups by customers."""


def distribution(table: pl.DataFrame, measure_title: str, t: Translate) -> alt.Chart:
    """Histogram of value per customer: the open last bar is drawn one step wide."""
    step = float((table["upper"] - table["lower"]).drop_nulls().max() or 1.0)
    frame = table.with_columns(pl.col("upper").fill_null(pl.col("lower") + step))
    return alt.Chart(alt.Data(values=frame.select("lower", "upper", "customers").to_dicts()),
                     title=t("Customers by value to date")).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lower:Q", title=f"{measure_title} ({t('the last bar: everyone above')})",
                axis=alt.Axis(format=",.0f", labelOverlap=True)),
        x2="upper:Q",
        y=alt.Y("customers:Q", title=t("Customers"), axis=alt.Axis(format=",.0f")),
        y2=alt.datum(0),
    ).properties(width=WIDTH - 80, height=220)


def value_bars(table: pl.DataFrame, category: str, title: str, horizon_label: str, t: Translate,
               sort: list[str] | None = None) -> alt.Chart:
    """Value to date per customer beside the expected value over the horizon (when forecast) per group."""
    series = {t("Value to date per customer"): "ltv_mean"}
    if "expected_value_per_customer" in table.columns:
        series[horizon_label] = "expected_value_per_customer"
    frame = table.filter(pl.col("customers") > 0)
    if frame.height > MAX_GROUPS:
        frame = frame.sort(["customers", category], descending=[True, False]).head(MAX_GROUPS)
    order = sort or frame[category].to_list()
    long = frame.select(category, *series.values()).unpivot(index=category, variable_name="measure", value_name="amount")
    long = long.with_columns(pl.col("measure").replace_strict({c: label for label, c in series.items()}))
    return alt.Chart(alt.Data(values=long.to_dicts()), title=title).mark_bar().encode(
        y=alt.Y(f"{category}:N", sort=order, title=None),
        yOffset=alt.YOffset("measure:N", sort=list(series)),
        x=alt.X("amount:Q", title=None, axis=alt.Axis(format=",.0f")),
        color=alt.Color("measure:N", sort=list(series), title=None, legend=alt.Legend(orient="bottom")),
    ).properties(width=WIDTH - 200, height=max(frame.height * 13 * len(series), 80))


def holdout(table: pl.DataFrame, t: Translate) -> alt.LayerChart:
    """Actual and predicted holdout purchases per customer by calibration repeat purchases (FHL 2005, fig. 4)."""
    series = {t("Actual"): "actual_per_customer", t("Predicted (BG/NBD)"): "predicted_per_customer"}
    long = table.select("bucket", *series.values()).unpivot(index="bucket", variable_name="measure", value_name="purchases")
    long = long.with_columns(pl.col("measure").replace_strict({c: label for label, c in series.items()}))
    return alt.Chart(alt.Data(values=long.to_dicts()), title=t("Holdout: repeat purchases per customer")).mark_line(
        point=True).encode(
        x=alt.X("bucket:O", sort=table["bucket"].to_list(), title=t("Repeat purchases before the holdout"),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("purchases:Q", title=t("Purchases per customer"), axis=alt.Axis(format=",.1f")),
        color=alt.Color("measure:N", sort=list(series), title=None, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("measure:N", sort=list(series), legend=None),
    ).properties(width=WIDTH - 160, height=220)


def p_alive(table: pl.DataFrame, t: Translate) -> alt.Chart:
    """Repeat customers by P(alive) in tenths."""
    return alt.Chart(alt.Data(values=table.select("lower", "upper", "customers").to_dicts()),
                     title=t("Repeat customers by probability of being active")).mark_bar(
        stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lower:Q", title="P(alive)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%", tickCount=10)),
        x2="upper:Q",
        y=alt.Y("customers:Q", title=t("Customers"), axis=alt.Axis(format=",.0f")),
        y2=alt.datum(0),
    ).properties(width=WIDTH - 160, height=200)


def all_charts(result: Result, t: Translate, measure_title: str, horizon_label: str,
               dimension_titles: dict[str, str]) -> dict[str, Any]:
    """Every chart of the chapter, keyed as the template uses them."""
    tables = result.tables
    out: dict[str, Any] = {
        "distribution": distribution(tables["ltv_distribution"], measure_title, t),
        "cohort_age": value_bars(tables["ltv_by_cohort_age"], "group", t("Value per customer by months since the first order"),
                                 horizon_label, t, sort=tables["ltv_by_cohort_age"]["group"].to_list()),
    }
    for dimension, heading in dimension_titles.items():
        out[f"by_{dimension}"] = value_bars(tables[f"ltv_by_{dimension}"], "group", heading, horizon_label, t)
    if "ltv_holdout" in tables:
        out["holdout"] = holdout(tables["ltv_holdout"], t)
    if "ltv_p_alive" in tables:
        out["p_alive"] = p_alive(tables["ltv_p_alive"], t)
    return out
