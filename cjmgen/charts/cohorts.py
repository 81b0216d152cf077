"""Charts of the cohorts chapter: retention and cumulative-LTV heatmaps, LTV curves, retention curves per group.

The period cut at the analysis date is drawn pale (heatmap cells) or dashed (curves), never as a drop.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.cohorts import MAX_GROUPS, CohortsResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Cohorts, retention and LTV")


def charts(result: CohortsResult, theme: Theme) -> dict[str, Any]:
    """retention, ltv_heatmap, ltv_curves and, with a breakdown, by_group."""
    _ = theme._
    cells, since = result.retention, _("Period since first order")
    pale = dashed = None
    if result.partial_period is not None:
        pale = _("Pale cells: {period} is only partly observed by the analysis date.").format(
            period=result.partial_period)
        dashed = _("Dashed: {period} is only partly observed by the analysis date.").format(period=result.partial_period)
    out = {
        "retention": b.heatmap(cells.filter(pl.col("period") > 0), x="period", y="cohort", value="retention",
                               x_title=since, y_title=_("Cohort"), title=_("Retention"), fmt=".0%", ordinal_x=True,
                               partial="partial", subtitle=pale),
        "ltv_heatmap": ltv_heatmap(cells, theme, since, pale),
        "ltv_curves": b.curves(cells, x="period", y="cumulative_revenue_per_customer", series="cohort",
                               x_title=since, y_title=_("Cumulative revenue per customer"),
                               title=_("LTV curves by cohort"), partial="partial", subtitle=dashed),
    }
    if result.by_group is not None:
        out["by_group"] = b.curves(largest_groups(result.by_group).filter(pl.col("period") > 0), x="period",
                                   y="retention", series="group", x_title=since, y_title=_("Retention"),
                                   title=_("Retention by group"), y_format=".0%", sequential=False,
                                   partial="partial", subtitle=dashed)
    return out


def ltv_heatmap(cells: pl.DataFrame, theme: Theme, since: str, pale: str | None) -> Any:
    """Cumulative revenue per customer, cohort × period; a wide grid of amounts from 1,000 up is labelled in thousands
    (one decimal below 10), with the unit in the title — not in d3's "k", which is English in every locale."""
    _ = theme._
    value = "cumulative_revenue_per_customer"
    wide = cells["period"].n_unique() > 12 and (cells[value].max() or 0) >= 1000  # type: ignore[operator]
    if not wide:
        return b.heatmap(cells, x="period", y="cohort", value=value, x_title=since, y_title=_("Cohort"),
                         title=_("Cumulative revenue per customer"), fmt=",.0f", ordinal_x=True, partial="partial",
                         subtitle=pale)
    thousands = cells.with_columns(pl.col(value) / 1000)
    return b.heatmap(thousands, x="period", y="cohort", value=value, x_title=since, y_title=_("Cohort"),
                     title=_("Cumulative revenue per customer, thousands"), fmt=",.2~r", ordinal_x=True,
                     partial="partial", subtitle=pale, si=False)


def largest_groups(by_group: pl.DataFrame) -> pl.DataFrame:
    """The rows of the MAX_GROUPS groups with the most customers at offset 0 (the CSV has them all)."""
    largest = by_group.filter(pl.col("period") == 0).sort(["customers", "group"], descending=[True, False])
    return by_group.filter(pl.col("group").is_in(largest["group"].head(MAX_GROUPS).implode()))
