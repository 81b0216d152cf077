"""Altair chart builders shared by analyses. Each returns a chart; the renderer applies the theme and sizes."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

WIDTH = 640
"""Default chart width in px: fits an A4 portrait text block at the report's scale."""


def _alt():
    import altair as alt

    return alt


def _values(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def heatmap(frame: pl.DataFrame, *, x: str, y: str, value: str, x_title: str, y_title: str, title: str,
            fmt: str = ",.0f", ordinal_x: bool = False) -> Any:
    """A labelled heatmap of value over x × y (y listed top to bottom in data order, highest R on top)."""
    alt = _alt()
    data = alt.Data(values=_values(frame.select(x, y, value)))
    y_sort = sorted(frame[y].unique().to_list(), reverse=frame[y].dtype.is_numeric())
    x_sort = sorted(frame[x].unique().to_list())
    rows = max(len(y_sort), 1)
    cell = 44 if rows <= 6 else max(min(28, 420 // rows), 12)
    base = alt.Chart(data, title=title).encode(
        x=alt.X(f"{x}:O", title=x_title, sort=x_sort, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title, sort=y_sort),
    )
    rect = base.mark_rect().encode(color=alt.Color(f"{value}:Q", title=None, legend=None,
                                                   scale=alt.Scale(scheme="blues")))
    crowded = len(x_sort) > 12
    if crowded and not fmt.endswith("%"):
        fmt = ".2~s"  # 12.3k: long numbers do not fit narrow cells
    labels = base.mark_text(fontSize=7 if len(x_sort) > 16 else (9 if crowded else 11)).encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(f"datum['{value}'] > {_midpoint(frame[value])}", alt.value("white"), alt.value("#1b1b1b")),
    )
    width = min(WIDTH, max(len(x_sort) * (80 if len(x_sort) <= 6 else 44), 200))
    return (rect + labels).properties(width=width, height=cell * rows)


def _midpoint(values: pl.Series) -> float:
    clean = values.drop_nulls()
    return float(clean.max() * 0.6) if clean.len() else 0.0


def paired_bars(frame: pl.DataFrame, *, category: str, values: dict[str, str], title: str) -> Any:
    """Side-by-side horizontal bars of several share columns per category (e.g. customers vs revenue)."""
    alt = _alt()
    long = frame.select(category, *values.values()).unpivot(index=category, variable_name="measure", value_name="share")
    names = {column: label for label, column in values.items()}
    long = long.with_columns(pl.col("measure").replace_strict(names))
    order = frame[category].to_list()
    chart = alt.Chart(alt.Data(values=_values(long)), title=title).mark_bar().encode(
        y=alt.Y(f"{category}:N", sort=order, title=None),
        yOffset=alt.YOffset("measure:N"),
        x=alt.X("share:Q", axis=alt.Axis(format=".0%"), title=None),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
    )
    return chart.properties(width=WIDTH - 140, height=max(len(order) * 26, 80))


def curves(frame: pl.DataFrame, *, x: str, y: str, series: str, x_title: str, y_title: str, title: str,
           y_format: str = ",.0f", sequential: bool = True) -> Any:
    """One line per series (cohort curves use a sequential palette: newer cohorts darker); past curves.MAX_LINES
    sequential series, only the newest, oldest, best and worst are coloured and the rest are grey."""
    from cjmgen.charts import curves as many

    if sequential and frame[series].n_unique() > many.MAX_LINES:
        return many.highlighted_curves(frame, x=x, y=y, series=series, x_title=x_title, y_title=y_title, title=title,
                                       y_format=y_format)
    alt = _alt()
    order = sorted(frame[series].unique().to_list())
    scale = alt.Scale(scheme="viridis", reverse=True) if sequential else alt.Scale(scheme="tableau10")
    many = len(order) > 12
    legend = alt.Legend(orient="right", columns=2 if many else 1, labelFontSize=8 if many else 10, symbolSize=30)
    return alt.Chart(alt.Data(values=_values(frame.select(x, y, series))), title=title).mark_line(
        point=not many, strokeWidth=1.5).encode(
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
        color=alt.Color(f"{series}:O", sort=order, scale=scale, title=None, legend=legend),
    ).properties(width=WIDTH - 160, height=280)


def _cuts(low: float, high: float, step: float) -> list[float]:
    """Multiples of step strictly inside (low, high)."""
    first, last = math.floor(low / step) + 1, math.ceil(high / step) - 1
    return [round(k * step, 12) for k in range(first, last + 1)]


def nice_thresholds(low: float, high: float, bins: int = 5) -> list[float]:
    """Round cut points (multiples of 1, 2 or 5 × 10^k) strictly inside (low, high), giving the class count nearest
    to `bins` (the coarser step on a tie); the midpoint when the range is empty.

    A binned colour scale's legend is a band of solid swatches, which WeasyPrint paints; a continuous gradient legend
    is an SVG <linearGradient> that it leaves blank.
    """
    if not high > low:
        return [low]
    power = math.floor(math.log10((high - low) / bins))
    steps = [m * 10 ** p for p in (power - 1, power, power + 1) for m in (1, 2, 5)]
    best = min(reversed(steps), key=lambda step: abs(len(_cuts(low, high, step)) + 1 - bins))
    return _cuts(low, high, best) or [round((low + high) / 2, 12)]


def binned_colour(field: str, low: float, high: float, *, title: str | None, fmt: str, scheme: str = "blues",
                  bins: int = 5, legend: dict[str, Any] | None = None) -> Any:
    """A colour channel in about `bins` classes with round cut points inside (low, high).

    Vega draws the legend of a threshold scale as a band of solid swatches labelled at the cut points (in the given
    number format) — plain rectangles that WeasyPrint paints, unlike a continuous gradient legend. Values beyond the
    range fall into the first or last class. `legend` adds Legend properties such as orient; Vega-Lite drops
    gradientLength/gradientThickness here, so set them with the chart's configure_legend.
    """
    alt = _alt()
    cuts = nice_thresholds(low, high, bins)
    scale = alt.Scale(type="threshold", domain=cuts, scheme={"name": scheme, "count": len(cuts) + 1})
    return alt.Color(f"{field}:Q", title=title, scale=scale,
                     legend=alt.Legend(format=fmt, **(legend or {})))
