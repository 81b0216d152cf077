"""Altair chart builders shared by analyses. Each returns a chart; the renderer applies the theme and sizes."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

WIDTH = 640
"""Default chart width in px: fits an A4 portrait text block at the report's scale."""


def _alt() -> Any:
    import altair as alt

    return alt


def _values(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def titled(title: str, subtitle: str | None) -> Any:
    """A chart title, with a subtitle line when one is given (e.g. what a dashed line or a pale cell means)."""
    return _alt().TitleParams(title, subtitle=subtitle) if subtitle else title


PARTIAL_OPACITY = 0.35
"""Opacity of a mark whose period is cut at the analysis date (partly observed): pale, never read as a collapse."""


def heatmap(frame: pl.DataFrame, *, x: str, y: str, value: str, x_title: str, y_title: str, title: str,
            fmt: str = ",.0f", ordinal_x: bool = False, partial: str | None = None, subtitle: str | None = None,
            si: bool = True) -> Any:
    """A labelled heatmap of value over x × y (y listed top to bottom in data order, highest R on top).

    Past 12 columns long numbers become SI (12.3k) unless `si` is off: d3 writes "k" in every locale, so a Russian
    chart passes values in thousands and says so in its title instead.

    `partial` names a boolean column: those cells are drawn pale (their period is only partly observed).
    """
    alt = _alt()
    data = alt.Data(values=_values(frame.select(x, y, value, *([partial] if partial else []))))
    y_sort = sorted(frame[y].unique().to_list(), reverse=frame[y].dtype.is_numeric())
    x_sort = sorted(frame[x].unique().to_list())
    rows = max(len(y_sort), 1)
    cell = 44 if rows <= 6 else max(min(28, 420 // rows), 12)
    base = alt.Chart(data, title=titled(title, subtitle)).encode(
        x=alt.X(f"{x}:O", title=x_title, sort=x_sort, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title, sort=y_sort),
    )
    rect = base.mark_rect().encode(color=alt.Color(f"{value}:Q", title=None, legend=None,
                                                   scale=alt.Scale(scheme="blues")))
    if partial:
        rect = rect.encode(opacity=alt.condition(f"datum['{partial}']", alt.value(PARTIAL_OPACITY), alt.value(1.0)))
    crowded = len(x_sort) > 12
    if crowded and si and not fmt.endswith("%"):
        fmt = ".2~s"  # 12.3k: long numbers do not fit narrow cells
    labels = base.mark_text(fontSize=7 if len(x_sort) > 16 else (9 if crowded else 11)).encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(f"datum['{value}'] > {_midpoint(frame[value])}", alt.value("white"), alt.value("#1b1b1b")),
    )
    width = min(WIDTH, max(len(x_sort) * (80 if len(x_sort) <= 6 else 44), 200))
    return (rect + labels).properties(width=width, height=cell * rows)


def _midpoint(values: pl.Series) -> float:
    clean = values.drop_nulls().cast(pl.Float64)
    return float(clean.max() or 0.0) * 0.6 if clean.len() else 0.0  # type: ignore[arg-type]


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
           y_format: str = ",.0f", sequential: bool = True, partial: str | None = None,
           subtitle: str | None = None) -> Any:
    """One line per series (cohort curves use a sequential palette: newer cohorts darker); past curves.MAX_LINES
    sequential series, only the newest, oldest, best and worst are coloured and the rest are grey.

    `partial` names a boolean column: each series' partial points hang off its line as a pale dashed piece.
    """
    from cjmgen.charts import curves as highlighting

    if sequential and frame[series].n_unique() > highlighting.MAX_LINES:
        return highlighting.highlighted_curves(frame, x=x, y=y, series=series, x_title=x_title, y_title=y_title, title=title,
                                       y_format=y_format, partial=partial, subtitle=subtitle)
    alt = _alt()
    order = sorted(frame[series].unique().to_list())
    scale = alt.Scale(scheme="viridis", reverse=True) if sequential else alt.Scale(scheme="tableau10")
    many = len(order) > 12
    legend = alt.Legend(orient="right", columns=2 if many else 1, labelFontSize=8 if many else 10, symbolSize=30)
    encoding = {"x": alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1, format="d")),
                "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
                "color": alt.Color(f"{series}:O", sort=order, scale=scale, title=None, legend=legend)}
    solid, dashed = split_partial(frame, series, x, partial)
    line = alt.Chart(alt.Data(values=_values(solid.select(x, y, series)))).mark_line(
        point=not many, strokeWidth=1.5).encode(**encoding)
    if dashed is not None:
        line += alt.Chart(alt.Data(values=_values(dashed.select(x, y, series, "_piece")))).mark_line(
            point=not many, strokeWidth=1.5, strokeDash=[4, 3], opacity=0.6).encode(detail="_piece:N", **encoding)
    return line.properties(title=titled(title, subtitle), width=WIDTH - 160, height=280)


def split_partial(frame: pl.DataFrame, series: str, x: str,
                  partial: str | None) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """(rows of the solid lines, rows of the dashed pieces). Each dashed piece (column `_piece`) joins a partial row to
    its neighbour in the series, or is a partial row alone, so a partial period never reads as a collapse of the
    solid line and the solid line never crosses it."""
    if partial is None or not frame[partial].any():
        return frame, None
    rows = frame.sort(series, x).with_row_index("_piece")
    others = [c for c in rows.columns if c not in ("_piece", series)]
    following = rows.with_columns(pl.col(others).shift(-1).over(series))
    starts = rows.filter((pl.col(partial) | following[partial].fill_null(False)) & following[x].is_not_null())["_piece"]
    alone = rows.filter(pl.col(partial) & following[x].is_null()
                        & ~pl.col("_piece").is_in((starts + 1).implode()))
    pieces = pl.concat([rows.filter(pl.col("_piece").is_in(starts.implode())),
                        following.filter(pl.col("_piece").is_in(starts.implode())), alone])
    return rows.filter(~pl.col(partial)).drop("_piece"), pieces.sort("_piece", x)


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


def altair() -> Any:
    """The altair module, imported on first use (so `cjmgen --help` and validate stay instant)."""
    return _alt()


def number_axis(fmt: str, tick_count: int = 5, **extra: Any) -> Any:
    """A quantitative axis whose labels cannot run together ("5,5006,000"): few ticks, overlapping labels dropped."""
    return _alt().Axis(format=fmt, tickCount=tick_count, labelOverlap="greedy", labelSeparation=6, **extra)


def period_axis(count: int, **extra: Any) -> Any:
    """A band axis of period labels (2024-01, 2024-Q1) that cannot collide ("2010-122011-01"): vertical labels,
    every second, third … one dropped by Vega when they would still overlap."""
    size = 7 if count > 24 else (8 if count > 12 else 9)
    return _alt().Axis(labelAngle=-90, labelFontSize=size, labelOverlap="greedy", labelSeparation=2,
                       labelPadding=3, **extra)


def wrap_label(text: str, width: int) -> str:
    """Words joined into lines of at most `width` characters (a longer word stays whole), lines split by newline."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def axis_break(bars: list[dict[str, Any]], x: str, order: list[str], floor: float, top: float) -> Any:
    """A white gap across bars just above a cut axis's floor: the mark of a broken axis."""
    alt = _alt()
    span = top * 1.12 - floor
    gaps = [{x: bar[x], "gap_lo": floor + span * 0.03, "gap_hi": floor + span * 0.06} for bar in bars]
    return alt.Chart(alt.Data(values=gaps)).mark_bar(color="white", size=52).encode(
        x=alt.X(f"{x}:N", sort=order), y="gap_lo:Q", y2="gap_hi:Q")
