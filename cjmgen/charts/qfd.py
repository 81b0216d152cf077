"""Charts of the QFD chapter: house-of-quality heatmap, factor weights, touchpoint ranking, and (from qfd_map)
the importance × quality quadrant and the traffic map. Layout is computed in pixels so nothing is clipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cjmgen.analyses.qfd import QfdResult
from cjmgen.analyses.qfd_core import NO_GROUP
from cjmgen.charts import qfd_map
from cjmgen.charts.qfd_common import LANDSCAPE_WIDTH, MAX_WIDTH, axes, labels_by_id, layer, text_px, wrap
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Touchpoint priorities: house of quality")


def _alt() -> Any:
    import altair as alt

    return alt


def charts(result: QfdResult, theme: Theme) -> dict[str, Any]:
    """qfd_heatmap, qfd_weights, qfd_ranking, traffic_map and, with quality scores, importance_quality."""
    width = LANDSCAPE_WIDTH if result.matrix_landscape else MAX_WIDTH
    out = {"qfd_heatmap": heatmap(result, theme, width), "qfd_weights": weights(result, theme),
           "qfd_ranking": ranking(result, theme), "traffic_map": qfd_map.traffic_map(result, theme)}
    if result.has_quality:
        out["importance_quality"] = qfd_map.quadrant(result, theme)
    return out


def _columns(result: QfdResult) -> tuple[dict[str, float], list[list[Any]]]:
    """x of each touchpoint column (map order, a gap between stages) and each stage's [name, x from, x to]."""
    col: dict[str, float] = {}
    spans: list[list[Any]] = []
    last = None
    for row in result.status_map.iter_rows(named=True):
        if row["stage"] != last:
            last = row["stage"]
            spans.append([row["stage_name"], len(col) + 0.35 * len(spans), 0.0])
        x = len(col) + 0.35 * (len(spans) - 1)
        col[row["touchpoint"]] = x
        spans[-1][2] = x + 1
    return col, spans


def _rows(result: QfdResult, theme: Theme) -> tuple[list[dict[str, Any]], dict[str, float], list[dict[str, Any]], float]:
    """Factors grouped (groups in order of first appearance), their y, group heading rows, and the next free y."""
    groups = list(dict.fromkeys(result.weights["group"].to_list()))
    factors = sorted(result.weights.with_row_index("i").iter_rows(named=True),
                     key=lambda r: (groups.index(r["group"]), r["i"]))
    row_y: dict[str, float] = {}
    headings: list[dict[str, Any]] = []
    y = 0.0
    for f in factors:
        if result.has_groups and (not headings or headings[-1]["group"] != f["group"]):
            y += 0.3 if y else 0.0
            text = f["group"] if f["group"] != NO_GROUP else theme._("Other factors")
            headings.append({"group": f["group"], "y": y + 0.5, "text": text})
            y += 1
        row_y[f["factor"]] = y
        y += 1
    return factors, row_y, headings, y


@dataclass(frozen=True)
class _Grid:
    """Pixel geometry of the heatmap: column and row positions in layout units."""

    col: dict[str, float]
    spans: list[list[Any]]
    row_y: dict[str, float]
    label_px: float
    weight_px: float
    cell_px: float
    total_y: float
    top: float
    head_px: float
    heads: list[str]

    @property
    def left(self) -> float:
        return -(self.label_px + self.weight_px + 8) / self.cell_px

    @property
    def columns(self) -> float:
        return max(self.col.values(), default=0) + 1


ROW_PX = 17.0


def _grid(result: QfdResult, factors: list[dict[str, Any]], row_y: dict[str, float], y: float, theme: Theme,
          max_width: float) -> _Grid:
    col, spans = _columns(result)
    names = labels_by_id(result.status_map)
    label_px = min(max([text_px(f["name"], 9) for f in factors] + [text_px(theme._("Touchpoint score"), 9)]), 240.0)
    weight_px = 34.0
    tp_px = min(max(text_px(n, 9) for n in names.values()), 220.0)
    n_cols = max(col.values(), default=0) + 1
    cell_px = max(18.0, min(34.0, (max_width - label_px - weight_px - 8) / n_cols))
    heads = [wrap(name, max((b - a) * cell_px, 72), 8.5) for name, a, b in spans]
    head_px = max(h.count("\n") + 1 for h in heads) * 10.5 + 4
    return _Grid(col, spans, row_y, label_px, weight_px, cell_px, y + 0.3, -(head_px + 10 + tp_px) / ROW_PX, head_px,
                 heads)


def heatmap(result: QfdResult, theme: Theme, max_width: float = MAX_WIDTH) -> Any:
    """Factors (rows, banded by group) × touchpoints (columns, banded by stage): cell = weight × strength; totals row."""
    alt = _alt()
    factors, row_y, headings, y = _rows(result, theme)
    g = _grid(result, factors, row_y, y, theme, max_width)
    scales = axes((g.left, g.columns), (g.top, g.total_y + 2))
    font = min(8.5, g.cell_px * 0.36)
    layers = [*_cell_layers(result, g, scales, font), *_total_layers(result, g, scales, font),
              *_side_layers(result, factors, g, scales, theme)]
    if headings:
        layers.append(layer([{**h, "x": g.left} for h in headings], alt.Chart().mark_text(
            align="left", fontSize=9, fontWeight="bold", color="#1f4e79"), scales, x="x", y="y", text="text:N"))
    layers += _stage_layers(g, scales)
    return alt.layer(*layers).properties(width=(g.columns - g.left) * g.cell_px, height=(g.total_y + 2 - g.top) * ROW_PX)


def _side_layers(result: QfdResult, factors: list[dict[str, Any]], g: _Grid, scales: dict[str, Any],
                 theme: Theme) -> list[Any]:
    """Factor names and weights left of the rows, the totals' row titles, and the touchpoint names over the columns."""
    alt, _ = _alt(), theme._
    names = labels_by_id(result.status_map)
    x = -(g.weight_px + 4) / g.cell_px
    side = [{"x": x, "y": g.row_y[f["factor"]] + 0.46, "text": f["name"], "w": f["weight"]} for f in factors]
    side += [{"x": x, "y": g.total_y + 0.46 + k, "text": label, "w": None}
             for k, label in enumerate((_("Touchpoint score"), _("Rank")))]
    tp_px = -g.top * ROW_PX - g.head_px - 10
    return [
        layer(side, alt.Chart().mark_text(align="right", fontSize=9, limit=g.label_px), scales, x="x", y="y",
              text="text:N"),
        layer([{**s, "xw": -0.15} for s in side if s["w"] is not None],
              alt.Chart().mark_text(align="right", fontSize=9, color="#444"), scales, x="xw", y="y",
              text=alt.Text("w:Q", format=".2f")),
        layer([{"x": -0.15, "y": -0.25, "text": _("Weight")}], alt.Chart().mark_text(
            align="right", baseline="bottom", fontSize=8, color="#666"), scales, x="x", y="y", text="text:N"),
        layer([{"x": x_ + 0.46, "y": -0.2, "text": names[k]} for k, x_ in g.col.items()], alt.Chart().mark_text(
            angle=270, align="left", baseline="middle", fontSize=9, limit=tp_px), scales, x="x", y="y", text="text:N"),
    ]


def _cell_layers(result: QfdResult, g: _Grid, scales: dict[str, Any], font: float) -> list[Any]:
    """Matrix cells coloured by score (none = light grey) with their value where the link is not 0."""
    alt = _alt()
    top = max(float(result.matrix["score"].max() or 0), 1e-9)  # type: ignore[arg-type]
    cells = [{"x": g.col[r["touchpoint"]], "x2": g.col[r["touchpoint"]] + 0.92, "y": g.row_y[r["factor"]],
              "y2": g.row_y[r["factor"]] + 0.88, "xc": g.col[r["touchpoint"]] + 0.46, "yc": g.row_y[r["factor"]] + 0.46,
              "score": r["score"], "strength": r["strength"], "dark": r["score"] > 0.55 * top}
             for r in result.matrix.iter_rows(named=True)]
    fill = alt.condition("datum.strength == 0", alt.value("#f1f3f5"),
                         alt.Color("score:Q", scale=alt.Scale(scheme="blues", domain=[0, top]), legend=None))
    return [layer(cells, alt.Chart().mark_rect(), scales, x="x", x2="x2", y="y", y2="y2", color=fill),
            layer([c for c in cells if c["strength"] > 0], alt.Chart().mark_text(fontSize=font), scales, x="xc", y="yc",
                  text=alt.Text("score:Q", format=".2f"),
                  color=alt.condition("datum.dark", alt.value("white"), alt.value("#1b1b1b")))]


def _total_layers(result: QfdResult, g: _Grid, scales: dict[str, Any], font: float) -> list[Any]:
    """The totals row (touchpoint scores) on a grey band and the rank under it."""
    alt, y = _alt(), g.total_y
    totals = [{"x": g.col[r["touchpoint"]], "x2": g.col[r["touchpoint"]] + 0.92, "xc": g.col[r["touchpoint"]] + 0.46,
               "y": y, "y2": y + 0.88, "yc": y + 0.46, "yr": y + 1.46, "score": r["score"], "rank": r["rank"]}
              for r in result.touchpoints.iter_rows(named=True)]
    return [layer(totals, alt.Chart().mark_rect(color="#dde3ea"), scales, x="x", x2="x2", y="y", y2="y2"),
            layer(totals, alt.Chart().mark_text(fontSize=font, fontWeight="bold"), scales, x="xc", y="yc",
                  text=alt.Text("score:Q", format=".2f")),
            layer(totals, alt.Chart().mark_text(fontSize=font, color="#555"), scales, x="xc", y="yr", text="rank:Q")]


def _stage_layers(g: _Grid, scales: dict[str, Any]) -> list[Any]:
    """Stage names (pre-wrapped) centred over their columns, with a rule under each."""
    alt, rule_y = _alt(), g.top + g.head_px / ROW_PX
    rows = [{"x": (a + b - 0.08) / 2, "x1": a, "x2": b - 0.08, "y": g.top, "yr": rule_y, "text": text}
            for (_, a, b), text in zip(g.spans, g.heads, strict=False)]
    return [layer(rows, alt.Chart().mark_text(align="center", baseline="top", fontSize=8.5, fontWeight="bold",
                                              lineBreak="\n", color="#1f4e79"), scales, x="x", y="y", text="text:N"),
            layer(rows, alt.Chart().mark_rule(color="#1f4e79", strokeWidth=1.5), scales, x="x1", x2="x2", y="yr")]


def weights(result: QfdResult, theme: Theme) -> Any:
    """Factor weights as bars coloured by group (groups kept together), with confidence intervals from a survey."""
    alt, _ = _alt(), theme._
    table = result.weights
    groups = list(dict.fromkeys(table["group"].to_list()))
    rows = sorted(table.to_dicts(), key=lambda r: groups.index(r["group"]))
    # explicit sort lists: layers read separate inline data, so Vega-Lite cannot sort their union by a field
    y = alt.Y("name:N", sort=[r["name"] for r in rows], title=None, axis=alt.Axis(labelLimit=250))
    colour = (alt.Color("group:N", sort=groups, scale=alt.Scale(domain=groups), title=_("Group"),
                        legend=alt.Legend(orient="bottom", columns=4, labelLimit=200))
              if result.has_groups else alt.value("#1f4e79"))
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X("weight:Q", title=_("Weight of factor"), axis=alt.Axis(format=".0%")), color=colour)
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=9).encode(
        y=y, x="weight:Q", text=alt.Text("weight:Q", format=".1%"))
    layers = [bars]
    if "weight_low" in table.columns:
        layers.append(alt.Chart(data).mark_rule(color="#333").encode(y=y, x="weight_low:Q", x2="weight_high:Q"))
        text = text.encode(x="weight_high:Q")
    layers.append(text)
    return alt.layer(*layers).properties(width=440, height={"step": 19})


def ranking(result: QfdResult, theme: Theme) -> Any:
    """Touchpoints ranked by QFD score, coloured by journey stage; planned touchpoints pale."""
    alt, _ = _alt(), theme._
    names = labels_by_id(result.status_map)
    rows = [{**r, "label": names[r["touchpoint"]]} for r in result.touchpoints.sort("rank").iter_rows(named=True)]
    stages = result.stage_names
    y = alt.Y("label:N", sort=[r["label"] for r in rows], title=None, axis=alt.Axis(labelLimit=220))
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_bar(height={"band": 0.72}).encode(
        y=y, x=alt.X("score:Q", title=_("Touchpoint score")),
        color=alt.Color("stage_name:N", sort=stages, scale=alt.Scale(domain=stages), title=_("Stage"),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=200)),
        opacity=alt.condition("datum.status == 'planned'", alt.value(0.4), alt.value(1.0)))
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=9).encode(
        y=y, x="score:Q", text=alt.Text("score:Q", format=".2f"))
    return alt.layer(bars, text).properties(width=430, height={"step": 17})
