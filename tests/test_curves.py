"""Many curves (cjmgen.charts.curves): past six series only the newest, oldest, best and worst are coloured."""

from __future__ import annotations

import polars as pl

from cjmgen.charts import builders as b
from cjmgen.charts import curves


def cohort_curves(cohorts: int = 24) -> pl.DataFrame:
    """Cohort k (k = 0 oldest) observed for cohorts − k periods; cohort 5 is the best and cohort 9 the worst."""
    rows = []
    for k in range(cohorts):
        level = 100 + (50 if k == 5 else -40 if k == 9 else k % 3)
        rows += [(f"2022-{k:02d}", period, level * (period + 1)) for period in range(cohorts - k)]
    return pl.DataFrame(rows, schema=["cohort", "period", "ltv"], orient="row")


def test_highlights_are_newest_oldest_best_and_worst_at_a_common_age():
    frame = cohort_curves()
    assert curves.highlights(frame, x="period", y="ltv", series="cohort") == ["2022-00", "2022-05", "2022-09", "2022-23"]


def test_a_chart_of_24_cohorts_has_a_legend_of_at_most_five_and_greys_the_rest():
    chart = b.curves(cohort_curves(), x="period", y="ltv", series="cohort", x_title="Period", y_title="LTV",
                     title="LTV curves").to_dict()
    grey, top = chart["layer"]
    rows = lambda layer: layer["data"].get("values") or chart["datasets"][layer["data"]["name"]]  # noqa: E731
    assert grey["mark"]["color"] == curves.GREY and "color" not in grey["encoding"]
    coloured = {row["cohort"] for row in rows(top)}
    assert coloured == {"2022-00", "2022-05", "2022-09", "2022-23"}
    assert top["encoding"]["color"]["sort"] == sorted(coloured) and len(coloured) <= 5
    assert {row["cohort"] for row in rows(grey)} | coloured == {f"2022-{k:02d}" for k in range(24)}


def test_a_few_curves_keep_one_colour_each():
    chart = b.curves(cohort_curves(5), x="period", y="ltv", series="cohort", x_title="Period", y_title="LTV",
                     title="LTV curves").to_dict()
    assert "layer" not in chart and chart["encoding"]["color"]["field"] == "cohort"
