"""Charts of the seasonality chapter: revenue by month, orders and active customers by month, month-of-year lines per
year, weekday profile. Months the data does not wholly cover are drawn pale (bars) or dashed (lines), never as a
collapse; month and weekday names come from Babel in the report's locale."""

from __future__ import annotations

from typing import Any

import polars as pl
from babel.dates import get_day_names, get_month_names

from cjmgen.analyses.seasonality import SeasonalityResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Seasonality")


def charts(result: SeasonalityResult, theme: Theme) -> dict[str, Any]:
    """revenue, counts, month_of_year, weekday; a log without amounts has orders (bars) instead of revenue, counts only
    with customer ids (active customers), and month_of_year and weekday on orders."""
    _ = theme._
    note = _("Pale bars and dashed lines: partial months (marked * in the table).") if result.partial_months else None
    monthly = result.monthly.with_columns((~pl.col("complete")).alias("partial"))
    counts = monthly.select("month", "orders", "active_customers", "partial").unpivot(
        index=["month", "partial"], variable_name="measure").with_columns(
        pl.col("measure").replace_strict({"orders": _("Orders"), "active_customers": _("Active customers")}))
    days = get_day_names("abbreviated", "stand-alone", theme.locale)
    weekday = result.weekday.with_columns(pl.col("weekday").replace_strict({d: days[d - 1] for d in range(1, 8)})
                                          .alias("name"))
    if not result.has_amount:
        return _on_orders(result, theme, monthly, weekday, note)
    return {
        "revenue": revenue_bars(monthly, _("Revenue by month"), _("Revenue"), note),
        "counts": month_lines(counts, x="month", series="measure", title=b.titled(
            _("Orders and active customers by month"), note), y_title=None,
            points=monthly.height <= 36).properties(width=b.WIDTH - 80, height=200),
        "month_of_year": month_of_year(result, theme, note),
        "weekday": b.paired_bars(weekday, category="name", values={_("orders"): "orders_share",
                                                                   _("revenue"): "revenue_share"},
                                 title=_("Share of orders and revenue by weekday")),
    }


def _on_orders(result: SeasonalityResult, theme: Theme, monthly: pl.DataFrame, weekday: pl.DataFrame,
               note: str | None) -> dict[str, Any]:
    """A log without amounts: orders, active customers (with ids), month_of_year and weekday on orders."""
    _ = theme._
    out: dict[str, Any] = {"orders": revenue_bars(monthly, _("Orders by month"), _("Orders"), note, value="orders")}
    if result.has_customer_id:
        active = monthly.select("month", "partial", pl.col("active_customers").alias("value"),
                                pl.lit(_("Active customers")).alias("measure"))
        out["counts"] = month_lines(active, x="month", series="measure", title=b.titled(
            _("Active customers by month"), note), y_title=None,
            points=monthly.height <= 36).properties(width=b.WIDTH - 80, height=200)
    out["month_of_year"] = month_of_year(result, theme, note)
    out["weekday"] = b.paired_bars(weekday, category="name", values={_("orders"): "orders_share"},
                                   title=_("Share of orders by weekday"))
    return out


def revenue_bars(monthly: pl.DataFrame, title: str, y_title: str, note: str | None, value: str = "revenue") -> Any:
    """One bar per month of `value` (revenue, or orders); a partial month's bar is pale."""
    import altair as alt

    months = alt.X("month:O", title=None, axis=b.period_axis(monthly.height))
    bars = alt.Chart(alt.Data(values=monthly.select("month", value, "partial").to_dicts()),
                     title=b.titled(title, note)).mark_bar().encode(
        x=months, y=alt.Y(f"{value}:Q", title=y_title, axis=b.number_axis(",.0f")),
        opacity=alt.condition("datum.partial", alt.value(b.PARTIAL_OPACITY), alt.value(1.0)))
    return bars.properties(width=b.WIDTH - 80, height=220)


def month_lines(frame: pl.DataFrame, *, x: str, series: str, title: Any, y_title: str | None,
                points: bool, x_axis: Any = None, color: Any = None) -> Any:
    """A line per series over months (x ordinal), `value` on y; the pieces touching a partial month are dashed."""
    import altair as alt

    axis = x_axis or b.period_axis(frame[x].n_unique())
    encoding = {"x": alt.X(f"{x}:O", title=None, axis=axis),
                "y": alt.Y("value:Q", title=y_title, axis=b.number_axis(",.0f")),
                "color": color or alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom"))}
    solid, dashed = b.split_partial(frame, series, x, "partial")
    chart = alt.Chart(alt.Data(values=solid.drop("partial").to_dicts())).mark_line(point=points).encode(**encoding)
    if dashed is not None:
        chart += alt.Chart(alt.Data(values=dashed.drop("partial").to_dicts())).mark_line(
            point=points, strokeDash=[4, 3], opacity=0.6).encode(detail="_piece:N", **encoding)
    return chart.properties(title=title)


def month_of_year(result: SeasonalityResult, theme: Theme, note: str | None) -> Any:
    """Revenue (orders in a log without amounts) by calendar month, one line per year (months named by Babel in the
    report's locale)."""
    import altair as alt

    _ = theme._
    short = [get_month_names("abbreviated", "stand-alone", theme.locale)[m] for m in range(1, 13)]
    frame = result.month_of_year.select("year", "month", pl.col(result.measure).alias("value"),
                                        (~pl.col("complete")).alias("partial"))
    title, y_title = ((_("Revenue by month of year"), _("Revenue")) if result.measure == "revenue"
                      else (_("Orders by month of year"), _("Orders")))
    axis = alt.Axis(labelAngle=0, labelExpr=f"{short}[datum.value - 1]")
    colour = alt.Color("year:O", title=None, scale=alt.Scale(scheme="tableau10"), legend=alt.Legend(orient="right"))
    chart = month_lines(frame, x="month", series="year", title=b.titled(title, note),
                        y_title=y_title, points=True, x_axis=axis, color=colour)
    return chart.properties(width=b.WIDTH - 140, height=240)
