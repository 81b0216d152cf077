"""The maturity radar: rings per scale step, spokes, dimension labels, one closed polygon per series."""

from __future__ import annotations

import math
from typing import Any

from cjmgen.analyses.maturity import MaturityResult
from cjmgen.charts.qfd_common import wrap
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Digital maturity")

SERIES_COLOURS = ("#1f4e79", "#e07b39", "#8a8f96")
"""Current, target, benchmark."""

Point = tuple[float, float]


def _alt() -> Any:
    import altair as alt

    return alt


def radar_points(values: list[float | None], low: float, high: float, radius: float = 1.0) -> list[Point | None]:
    """Polygon vertices: dimension i at angle 2πi/n clockwise from the top, distance (value − low)/(high − low)."""
    n = len(values)
    out: list[Point | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        r = radius * (value - low) / (high - low)
        angle = 2 * math.pi * i / n
        out.append((r * math.sin(angle), r * math.cos(angle)))
    return out


def charts(result: MaturityResult, theme: Theme) -> dict[str, Any]:
    """maturity_radar."""
    alt, _, table = _alt(), theme._, result.dimensions
    low, high = result.scale_min, result.scale_max
    series = [(c, label) for c, label in (("score", _("Current")), ("target", _("Target")),
                                          ("benchmark", result.benchmark_name or _("Benchmark")))
              if table[c].is_not_null().all()]
    scale = alt.Scale(domain=[-1.25, 1.25], nice=False)
    x, y = alt.X("x:Q", scale=scale, axis=None), alt.Y("y:Q", scale=scale, axis=None)
    layers = [*_grid_layers(table.height, low, high, x, y), *_label_layers(table["name"].to_list(), x, y)]
    lines = [{"series": label, "k": k, "i": i, "x": p[0], "y": p[1]}
             for k, (column, label) in enumerate(series)
             for i, p in enumerate(_closed(radar_points(table[column].to_list(), low, high)))]
    layers.append(alt.Chart(alt.Data(values=[r for r in lines if r["k"] == 0])).mark_line(
        interpolate="linear-closed", fill=SERIES_COLOURS[0], fillOpacity=0.12, strokeOpacity=0).encode(x=x, y=y, order="i:Q"))
    names = [label for _c, label in series]
    colour = alt.Color("series:N", title=None, sort=names, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=names, range=list(SERIES_COLOURS[: len(names)])))
    layers.append(alt.Chart(alt.Data(values=lines)).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=25, filled=True))
                  .encode(x=x, y=y, color=colour, detail="series:N", order="i:Q",
                          strokeDash=alt.condition("datum.k == 0", alt.value([1, 0]), alt.value([5, 3]))))
    return {"maturity_radar": alt.layer(*layers).properties(width=430, height=430)}


def _closed(points: list[Point | None]) -> list[Point]:
    kept = [p for p in points if p is not None]
    return [*kept, kept[0]]


def _grid_layers(n: int, low: float, high: float, x: Any, y: Any) -> list[Any]:
    """Concentric rings at each scale step with their value, and a spoke per dimension."""
    alt = _alt()
    steps = _ring_steps(low, high)
    rings = [{"ring": v, "i": i, "x": p[0], "y": p[1]} for v in steps
             for i, p in enumerate(_closed(radar_points([v] * n, low, high)))]
    spokes = [{"x": 0.0, "y": 0.0, "x2": p[0], "y2": p[1]} for p in _closed(radar_points([high] * n, low, high))[:-1]]
    values = [{"x": 0.02, "y": (v - low) / (high - low), "text": f"{v:g}"} for v in steps]
    grey = {"color": "#d5d9de", "strokeWidth": 0.8}
    return [alt.Chart(alt.Data(values=rings)).mark_line(**grey).encode(x=x, y=y, detail="ring:N", order="i:Q"),
            alt.Chart(alt.Data(values=spokes)).mark_rule(**grey).encode(x=x, y=y, x2="x2:Q", y2="y2:Q"),
            alt.Chart(alt.Data(values=values)).mark_text(align="left", dy=-4, fontSize=8, color="#888").encode(
                x=x, y=y, text="text:N")]


def _label_layers(names: list[str], x: Any, y: Any) -> list[Any]:
    """Dimension names just outside the rim, aligned away from the centre (one layer per alignment)."""
    alt = _alt()
    labels = []
    for p, text in zip(_closed(radar_points([1.0] * len(names), 0, 1, radius=1.1))[:-1], names, strict=False):
        align = "center" if abs(p[0]) < 0.05 else ("left" if p[0] > 0 else "right")
        base = "bottom" if p[1] > 0.3 else ("top" if p[1] < -0.3 else "middle")
        labels.append({"x": p[0], "y": p[1], "text": wrap(text, 110, 9), "align": align, "base": base})
    return [alt.Chart(alt.Data(values=[lab for lab in labels if (lab["align"], lab["base"]) == key])).mark_text(
                align=key[0], baseline=key[1], fontSize=9, lineBreak="\n", color="#333").encode(x=x, y=y, text="text:N")
            for key in sorted({(lab["align"], lab["base"]) for lab in labels})]


def _ring_steps(low: float, high: float) -> list[float]:
    span = high - low
    step = 1.0 if span <= 6 else (2.0 if span <= 12 else span / 5)
    values, v = [], low + step
    while v <= high + 1e-9:
        values.append(round(v, 6))
        v += step
    return values
