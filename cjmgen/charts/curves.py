"""Many curves on one chart: a few highlighted in colour with a legend, the rest grey behind them.

Twenty-four cohort curves in twenty-four colours with a twenty-four-entry legend cannot be read. The newest and the
oldest series and the best and the worst at a common age say what the reader needs (is the young cohort under the
old ones?); every other series stays as grey context without a legend entry.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.charts.builders import WIDTH

MAX_LINES = 6
"""Up to this many series every curve gets its own colour; beyond it only the highlighted ones do."""
GREY = "#c9c9c9"


def highlights(frame: pl.DataFrame, *, x: str, y: str, series: str) -> list[Any]:
    """The newest and oldest series, and the best and worst at the largest x that half of the series reach (sorted).

    Best and worst compare series at one age, so a young cohort is never "worst" only because it is short.
    """
    order = sorted(frame[series].unique().to_list())
    reach = frame.group_by(series).agg(pl.col(x).max().alias("last"))
    common = sorted(reach["last"].to_list(), reverse=True)[(len(order) - 1) // 2]
    at = frame.filter((pl.col(x) == common) & pl.col(y).is_not_null()).sort([y, series])
    chosen = {order[0], order[-1]}
    if at.height:
        chosen |= {at[series][0], at[series][-1]}
    return sorted(chosen)


def highlighted_curves(frame: pl.DataFrame, *, x: str, y: str, series: str, x_title: str, y_title: str, title: str,
                       y_format: str = ",.0f", partial: str | None = None, subtitle: str | None = None) -> Any:
    """Every series as a thin grey line; the highlighted ones (at most four) in colour, with a legend of their own.
    Partial points (a boolean column named by `partial`) of a highlighted series hang off it as a dashed piece."""
    import altair as alt

    from cjmgen.charts.builders import split_partial, titled

    keys = highlights(frame, x=x, y=y, series=series)
    axes = {"x": alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1, format="d")),
            "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format))}
    rest = frame.filter(~pl.col(series).is_in(keys)).select(x, y, series)
    grey = alt.Chart({"values": rest.to_dicts()}).mark_line(color=GREY, strokeWidth=1).encode(
        detail=f"{series}:N", **axes)
    colour = alt.Color(f"{series}:O", sort=keys, scale=alt.Scale(scheme="tableau10"), title=None,
                       legend=alt.Legend(orient="right"))
    solid, dashed = split_partial(frame.filter(pl.col(series).is_in(keys)), series, x, partial)
    layers = [grey, alt.Chart({"values": solid.select(x, y, series).to_dicts()}).mark_line(
        point=True, strokeWidth=2.2).encode(color=colour, **axes)]
    if dashed is not None:
        layers.append(alt.Chart({"values": dashed.select(x, y, series, "_piece").to_dicts()}).mark_line(
            point=True, strokeWidth=2.2, strokeDash=[4, 3], opacity=0.6).encode(detail="_piece:N", color=colour, **axes))
    return alt.layer(*layers, title=titled(title, subtitle)).properties(width=WIDTH - 160, height=280)
