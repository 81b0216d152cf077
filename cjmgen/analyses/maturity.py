"""Digital maturity (METHODS §11): scores per dimension against target and benchmark, drawn as a radar."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.spec.journey import Maturity

name = "maturity"
title = {"en": "Digital maturity", "ru": "Цифровая зрелость"}
Params = None
spec_block = "maturity"
needs: dict[str, tuple[str, ...]] = {}


def compute(ctx: Context, params: Maturity) -> Result:
    """Per dimension: score, target, gap to target, benchmark, gap to benchmark; facts for the lead sentence."""
    table = pl.DataFrame(
        [{"dimension": d.id, "name": d.name, "score": d.score, "target": d.target, "benchmark": d.benchmark,
          "comment": d.comment} for d in params.dimensions],
        schema={"dimension": pl.String, "name": pl.String, "score": pl.Float64, "target": pl.Float64,
                "benchmark": pl.Float64, "comment": pl.String},
    ).with_columns((pl.col("target") - pl.col("score")).alias("gap"),
                   (pl.col("benchmark") - pl.col("score")).alias("benchmark_gap"))
    ordered = table.with_row_index("order")
    weakest = ordered.sort(["score", "order"]).row(0, named=True)
    strongest = ordered.sort(["score", "order"], descending=[True, False]).row(0, named=True)
    gaps = ordered.filter(pl.col("gap").is_not_null()).sort(["gap", "order"], descending=[True, False])
    facts = {"mean_score": float(table["score"].mean()), "scale_min": params.scale.min, "scale_max": params.scale.max,
             "weakest": weakest["name"], "weakest_score": weakest["score"],
             "strongest": strongest["name"], "strongest_score": strongest["score"],
             "largest_gap": gaps["name"][0] if gaps.height else None,
             "largest_gap_value": float(gaps["gap"][0]) if gaps.height else None,
             "has_target": bool(table["target"].is_not_null().any()),
             "has_benchmark": bool(table["benchmark"].is_not_null().any()),
             "mean_target": float(table["target"].mean()) if table["target"].is_not_null().any() else None}
    return Result(name, {"maturity": table}, facts)


def radar_points(values: list[float | None], low: float, high: float, radius: float = 1.0) -> list[tuple[float, float] | None]:
    """Polygon vertices: dimension i at angle 2πi/n clockwise from the top, distance (value − low)/(high − low)."""
    n = len(values)
    out: list[tuple[float, float] | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        r = radius * (value - low) / (high - low)
        angle = 2 * math.pi * i / n
        out.append((r * math.sin(angle), r * math.cos(angle)))
    return out


SERIES_COLOURS = ("#1f4e79", "#e07b39", "#8a8f96")
"""Current, target, benchmark."""


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """The maturity radar: rings per scale step, spokes, dimension labels, one closed polygon per series."""
    import altair as alt

    from cjmgen.analyses.qfd_charts import finish

    spec, table, t = ctx.spec.maturity, result.tables["maturity"], localized(LABELS, ctx.locale)
    low, high = spec.scale.min, spec.scale.max
    series = [(c, label) for c, label in (("score", t("Current")), ("target", t("Target")),
                                          ("benchmark", spec.benchmark_name or t("Benchmark")))
              if table[c].is_not_null().all()]
    scale = alt.Scale(domain=[-1.25, 1.25], nice=False)
    x, y = alt.X("x:Q", scale=scale, axis=None), alt.Y("y:Q", scale=scale, axis=None)
    layers = [*_grid_layers(table.height, low, high, x, y), *_label_layers(table["name"].to_list(), x, y)]
    lines = [{"series": label, "k": k, "i": i, "x": p[0], "y": p[1]}
             for k, (column, label) in enumerate(series)
             for i, p in enumerate(_closed(radar_points(table[column].to_list(), low, high)))]
    layers.append(alt.Chart(alt.Data(values=[r for r in lines if r["k"] == 0])).mark_line(
        interpolate="linear-closed", fill=SERIES_COLOURS[0], fillOpacity=0.12, strokeOpacity=0).encode(x=x, y=y, order="i:Q"))
    names = [label for _, label in series]
    colour = alt.Color("series:N", title=None, sort=names, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=names, range=list(SERIES_COLOURS[: len(names)])))
    layers.append(alt.Chart(alt.Data(values=lines)).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=25, filled=True))
                  .encode(x=x, y=y, color=colour, detail="series:N", order="i:Q",
                          strokeDash=alt.condition("datum.k == 0", alt.value([1, 0]), alt.value([5, 3]))))
    return {"maturity_radar": finish(alt.layer(*layers).properties(width=430, height=430), ctx.locale)}


def _closed(points: list) -> list:
    return [*points, points[0]]


def _grid_layers(n: int, low: float, high: float, x: Any, y: Any) -> list:
    """Concentric rings at each scale step with their value, and a spoke per dimension."""
    import altair as alt

    steps = _ring_steps(low, high)
    rings = [{"ring": v, "i": i, "x": p[0], "y": p[1]} for v in steps for i, p in enumerate(_closed(radar_points([v] * n, low, high)))]
    spokes = [{"x": 0.0, "y": 0.0, "x2": p[0], "y2": p[1]} for p in radar_points([high] * n, low, high)]
    values = [{"x": 0.02, "y": (v - low) / (high - low), "text": f"{v:g}"} for v in steps]
    grey = {"color": "#d5d9de", "strokeWidth": 0.8}
    return [alt.Chart(alt.Data(values=rings)).mark_line(**grey).encode(x=x, y=y, detail="ring:N", order="i:Q"),
            alt.Chart(alt.Data(values=spokes)).mark_rule(**grey).encode(x=x, y=y, x2="x2:Q", y2="y2:Q"),
            alt.Chart(alt.Data(values=values)).mark_text(align="left", dy=-4, fontSize=8, color="#888").encode(
                x=x, y=y, text="text:N")]


def _label_layers(names: list[str], x: Any, y: Any) -> list:
    """Dimension names just outside the rim, aligned away from the centre (one layer per alignment)."""
    import altair as alt

    from cjmgen.analyses.qfd_charts import wrap

    labels = []
    for p, text in zip(radar_points([1.0] * len(names), 0, 1, radius=1.1), names, strict=False):
        align = "center" if abs(p[0]) < 0.05 else ("left" if p[0] > 0 else "right")
        base = "bottom" if p[1] > 0.3 else ("top" if p[1] < -0.3 else "middle")
        labels.append({"x": p[0], "y": p[1], "text": wrap(text, 110, 9, 3), "align": align, "base": base})
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


LABELS: dict[str, dict[str, str]] = {
    "Current": {"ru": "Сейчас"}, "Target": {"ru": "Цель"}, "Benchmark": {"ru": "Бенчмарк"},
    "Dimension": {"ru": "Направление"}, "Gap to target": {"ru": "Разрыв до цели"}, "Comment": {"ru": "Комментарий"},
    "Average maturity is {mean} of {max}.": {"ru": "Средний уровень зрелости — {mean} из {max}."},
    "Strongest: {name} ({score}); weakest: {weak} ({weak_score}).":
        {"ru": "Сильнее всего — «{name}» ({score}); слабее всего — «{weak}» ({weak_score})."},
    "The largest gap to the target is in {name}: {gap}.": {"ru": "Наибольший разрыв до цели — «{name}»: {gap}."},
}


def methodology(params: Maturity, locale: str) -> str:
    """How the maturity radar reads."""
    from cjmgen.analyses.qfd import plain

    low, high = params.scale.min, params.scale.max
    if locale == "ru":
        return (f"Оценки зрелости по направлениям заданы в спецификации по шкале {plain(low, locale)}–{plain(high, locale)}. "
                "Радар откладывает "
                "каждое направление на своей оси (по часовой стрелке от верхней), расстояние от центра пропорционально "
                "оценке. Разрыв до цели = цель − текущая оценка.")
    return (f"Maturity scores per dimension are given in the spec on a {plain(low, locale)}–{plain(high, locale)} scale. "
            "The radar puts each dimension "
            "on its own axis (clockwise from the top) at a distance from the centre proportional to the score. Gap to "
            "target = target − current score.")
