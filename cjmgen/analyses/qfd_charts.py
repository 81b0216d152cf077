"""Altair builders of the QFD chapter. Layout is computed here in pixels so nothing is clipped on an A4 page.

Imported only from `qfd.charts`, so Altair is loaded only when a report is rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import polars as pl

from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.analyses.qfd_core import DARK_STATUSES, NO_GROUP, STATUS_COLOURS, STATUS_NAMES, STATUSES
from cjmgen.spec.journey import Journey, QualityScale

Translate = Callable[[str], str]
MAX_WIDTH = 700
"""Widest chart on a portrait A4 page (px at 96 dpi ≈ 185 mm)."""
LANDSCAPE_WIDTH = 1000
"""Widest chart on a landscape A4 page."""


NUMBER_LOCALES = {"ru": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0₽"]}}
"""Vega number formats per report locale (English is Vega's default)."""


def finish(chart: Any, locale: str) -> Any:
    """No frame around the view, and numbers in the report's locale (2,37 in Russian)."""
    if locale in NUMBER_LOCALES:  # configure() replaces the whole config: call it before configure_view
        chart = chart.configure(locale={"number": NUMBER_LOCALES[locale]})
    return chart.configure_view(stroke=None)


def text_px(text: str, size: float) -> float:
    """Rough rendered width of text: Cyrillic and capitals are wider than Latin lower case."""
    return sum(size * (0.7 if ch.isupper() or "\u0400" <= ch <= "\u04ff" else 0.56) for ch in text)


def wrap(text: str, width_px: float, size: float, lines: int = 2) -> str:
    """Wrap whole words into at most `lines` lines of width_px at font size; the last line ends in … if cut."""
    out: list[str] = []
    for word in text.split():
        if out and text_px(f"{out[-1]} {word}", size) <= width_px:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        while len(out[-1]) > 1 and text_px(out[-1] + "…", size) > width_px:
            out[-1] = out[-1][:-1]
        out[-1] = out[-1].rstrip() + "…"
    return "\n".join(out)


def labels_by_id(status: pl.DataFrame) -> dict[str, str]:
    """Touchpoint id → display name, the stage added where two touchpoints share a name."""
    counts = status["name"].value_counts()
    twice = set(counts.filter(pl.col("count") > 1)["name"].to_list())
    return {r["touchpoint"]: f"{r['name']} ({r['stage_name']})" if r["name"] in twice else r["name"]
            for r in status.iter_rows(named=True)}


def _axes(x_domain: tuple[float, float], y_domain: tuple[float, float]) -> dict[str, Any]:
    x = alt.Scale(domain=list(x_domain), nice=False, zero=False)
    y = alt.Scale(domain=list(y_domain), nice=False, zero=False, reverse=True)
    return {"x": x, "y": y}


def _layer(rows: list[dict], mark: alt.Chart, scales: dict[str, Any], **enc: Any) -> alt.Chart:
    """A layer of a pixel-laid-out chart: x/y (and x2/y2) are quantitative in layout units."""
    encoding = {}
    for channel, value in enc.items():
        if channel in ("x", "y"):
            encoding[channel] = alt.X(value, type="quantitative", scale=scales["x"], axis=None) if channel == "x" else \
                alt.Y(value, type="quantitative", scale=scales["y"], axis=None)
        elif channel in ("x2", "y2"):
            encoding[channel] = alt.X2(value) if channel == "x2" else alt.Y2(value)
        else:
            encoding[channel] = value
    return mark.properties(data=alt.Data(values=rows)).encode(**encoding)


def map_order(status: pl.DataFrame, journey: Journey) -> list[dict]:
    """Status rows in journey-map order: stage order, then spec order."""
    rows = {r["touchpoint"]: r for r in status.iter_rows(named=True)}
    stage = {s.id: i for i, s in enumerate(journey.stages)}
    ordered = sorted(enumerate(journey.touchpoints), key=lambda item: (stage[item[1].stage], item[0]))
    return [rows[tp.id] for _, tp in ordered]


def _columns(status: pl.DataFrame, journey: Journey) -> tuple[dict[str, float], list[list]]:
    """x of each touchpoint column (map order, a gap between stages) and each stage's [name, x from, x to]."""
    col: dict[str, float] = {}
    spans: list[list] = []
    last = None
    for row in map_order(status, journey):
        if row["stage"] != last:
            last = row["stage"]
            spans.append([row["stage_name"], len(col) + 0.35 * len(spans), 0.0])
        x = len(col) + 0.35 * (len(spans) - 1)
        col[row["touchpoint"]] = x
        spans[-1][2] = x + 1
    return col, spans


def _rows(weights: pl.DataFrame, grouped: bool, t: Translate) -> tuple[list[dict], dict[str, float], list[dict], float]:
    """Factors grouped (groups in order of first appearance), their y, group heading rows, and the next free y."""
    groups = list(dict.fromkeys(weights["group"].to_list()))
    factors = sorted(weights.with_row_index("i").iter_rows(named=True), key=lambda r: (groups.index(r["group"]), r["i"]))
    row_y: dict[str, float] = {}
    headings: list[dict] = []
    y = 0.0
    for f in factors:
        if grouped and (not headings or headings[-1]["group"] != f["group"]):
            y += 0.3 if y else 0.0
            text = f["group"] if f["group"] != NO_GROUP else t("Other factors")
            headings.append({"group": f["group"], "y": y + 0.5, "text": text})
            y += 1
        row_y[f["factor"]] = y
        y += 1
    return factors, row_y, headings, y


def heatmap(result: Result, journey: Journey, t: Translate, max_width: float = MAX_WIDTH) -> alt.LayerChart:
    """Factors (rows, banded by group) × touchpoints (columns, banded by stage): cell = weight × strength; totals row."""
    names = labels_by_id(result.tables["touchpoint_status"])
    col, spans = _columns(result.tables["touchpoint_status"], journey)
    factors, row_y, headings, y = _rows(result.tables["qfd_weights"], bool(result.facts["has_groups"]), t)
    label_px = min(max([text_px(f["name"], 9) for f in factors] + [text_px(t("Touchpoint score"), 9)]), 170.0)
    weight_px, ch = 34.0, 17.0
    tp_px = min(max(text_px(n, 9) for n in names.values()), 150.0)
    n_cols = max(col.values(), default=0) + 1
    cell_px = max(18.0, min(34.0, (max_width - label_px - weight_px - 8) / n_cols))
    left = -(label_px + weight_px + 8) / cell_px
    heads = [wrap(name, max((b - a) * cell_px, 72), 8.5, 3) for name, a, b in spans]
    head_px = max(h.count("\n") + 1 for h in heads) * 10.5 + 4
    total_y, top = y + 0.3, -(head_px + 10 + tp_px) / ch
    scales = _axes((left, n_cols), (top, total_y + 2))
    font = min(8.5, cell_px * 0.36)
    layers = _cell_layers(result, col, row_y, scales, font)
    layers += _total_layers(result, col, total_y, scales, font)
    side = [{"x": -(weight_px + 4) / cell_px, "xw": -0.15, "y": row_y[f["factor"]] + 0.46, "text": f["name"], "w": f["weight"]}
            for f in factors]
    side += [{"x": -(weight_px + 4) / cell_px, "y": total_y + 0.46 + k, "text": t(label), "w": None}
             for k, label in enumerate(("Touchpoint score", "Rank"))]
    layers += [
        _layer(side, alt.Chart().mark_text(align="right", fontSize=9, limit=label_px), scales, x="x", y="y", text="text:N"),
        _layer([s for s in side if s["w"] is not None], alt.Chart().mark_text(align="right", fontSize=9, color="#444"),
               scales, x="xw", y="y", text=alt.Text("w:Q", format=".2f")),
        _layer([{"x": -0.15, "y": -0.25, "text": t("Weight")}], alt.Chart().mark_text(
            align="right", baseline="bottom", fontSize=8, color="#666"), scales, x="x", y="y", text="text:N"),
        _layer([{"x": x + 0.46, "y": -0.2, "text": names[k]} for k, x in col.items()], alt.Chart().mark_text(
            angle=270, align="left", baseline="middle", fontSize=9, limit=tp_px), scales, x="x", y="y", text="text:N"),
    ]
    if headings:
        layers.append(_layer([{**g, "x": left} for g in headings], alt.Chart().mark_text(
            align="left", fontSize=9, fontWeight="bold", color="#1f4e79"), scales, x="x", y="y", text="text:N"))
    layers += _stage_layers(spans, heads, top, top + head_px / ch, scales)
    return alt.layer(*layers).properties(width=(n_cols - left) * cell_px, height=(total_y + 2 - top) * ch)


def _cell_layers(result: Result, col: dict[str, float], row_y: dict[str, float], scales: dict, font: float) -> list:
    """Matrix cells coloured by score (none = light grey) with their value where the link is not 0."""
    matrix = result.tables["qfd_matrix"]
    top = max(float(matrix["score"].max() or 0), 1e-9)
    cells = [{"x": col[r["touchpoint"]], "x2": col[r["touchpoint"]] + 0.92, "y": row_y[r["factor"]],
              "y2": row_y[r["factor"]] + 0.88, "xc": col[r["touchpoint"]] + 0.46, "yc": row_y[r["factor"]] + 0.46,
              "score": r["score"], "strength": r["strength"], "dark": r["score"] > 0.55 * top}
             for r in matrix.iter_rows(named=True)]
    fill = alt.condition("datum.strength == 0", alt.value("#f1f3f5"),
                         alt.Color("score:Q", scale=alt.Scale(scheme="blues", domain=[0, top]), legend=None))
    return [_layer(cells, alt.Chart().mark_rect(), scales, x="x", x2="x2", y="y", y2="y2", color=fill),
            _layer([c for c in cells if c["strength"] > 0], alt.Chart().mark_text(fontSize=font), scales, x="xc", y="yc",
                   text=alt.Text("score:Q", format=".2f"),
                   color=alt.condition("datum.dark", alt.value("white"), alt.value("#1b1b1b")))]


def _total_layers(result: Result, col: dict[str, float], y: float, scales: dict, font: float) -> list:
    """The totals row (touchpoint scores) on a grey band and the rank under it."""
    totals = [{"x": col[r["touchpoint"]], "x2": col[r["touchpoint"]] + 0.92, "xc": col[r["touchpoint"]] + 0.46, "y": y,
               "y2": y + 0.88, "yc": y + 0.46, "yr": y + 1.46, "score": r["score"], "rank": r["rank"]}
              for r in result.tables["qfd_touchpoints"].iter_rows(named=True)]
    return [_layer(totals, alt.Chart().mark_rect(color="#dde3ea"), scales, x="x", x2="x2", y="y", y2="y2"),
            _layer(totals, alt.Chart().mark_text(fontSize=font, fontWeight="bold"), scales, x="xc", y="yc",
                   text=alt.Text("score:Q", format=".2f")),
            _layer(totals, alt.Chart().mark_text(fontSize=font, color="#555"), scales, x="xc", y="yr", text="rank:Q")]


def _stage_layers(spans: list[list], heads: list[str], top: float, rule_y: float, scales: dict) -> list:
    """Stage names (pre-wrapped) centred over their columns, with a rule under each."""
    rows = [{"x": (a + b - 0.08) / 2, "x1": a, "x2": b - 0.08, "y": top, "yr": rule_y, "text": text}
            for (_, a, b), text in zip(spans, heads, strict=False)]
    return [_layer(rows, alt.Chart().mark_text(align="center", baseline="top", fontSize=8.5, fontWeight="bold", lineBreak="\n",
                                               color="#1f4e79"), scales, x="x", y="y", text="text:N"),
            _layer(rows, alt.Chart().mark_rule(color="#1f4e79", strokeWidth=1.5), scales, x="x1", x2="x2", y="yr")]


def weights(result: Result, t: Translate) -> alt.LayerChart:
    """Factor weights as bars coloured by group (groups kept together), with confidence intervals from a survey."""
    table = result.tables["qfd_weights"]
    groups = list(dict.fromkeys(table["group"].to_list()))
    rows = sorted(table.to_dicts(), key=lambda r: groups.index(r["group"]))
    # explicit sort lists: layers read separate inline data, so Vega-Lite cannot sort their union by a field
    y = alt.Y("name:N", sort=[r["name"] for r in rows], title=None, axis=alt.Axis(labelLimit=250))
    colour = (alt.Color("group:N", sort=groups, scale=alt.Scale(domain=groups), title=t("Group"),
                        legend=alt.Legend(orient="bottom", columns=4, labelLimit=200))
              if result.facts["has_groups"] else alt.value("#1f4e79"))
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X("weight:Q", title=t("Weight of factor"), axis=alt.Axis(format=".0%")), color=colour)
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=9).encode(
        y=y, x="weight:Q", text=alt.Text("weight:Q", format=".1%"))
    layers = [bars]
    if "weight_low" in table.columns:
        layers.append(alt.Chart(data).mark_rule(color="#333").encode(y=y, x="weight_low:Q", x2="weight_high:Q"))
        text = text.encode(x="weight_high:Q")
    layers.append(text)
    return alt.layer(*layers).properties(width=440, height={"step": 19})


def ranking(result: Result, journey: Journey, t: Translate) -> alt.LayerChart:
    """Touchpoints ranked by QFD score, coloured by journey stage; planned touchpoints pale."""
    names = labels_by_id(result.tables["touchpoint_status"])
    rows = [{**r, "label": names[r["touchpoint"]]} for r in result.tables["qfd_touchpoints"].sort("rank").iter_rows(named=True)]
    stages = [s.name for s in journey.stages]
    y = alt.Y("label:N", sort=[r["label"] for r in rows], title=None, axis=alt.Axis(labelLimit=220))
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_bar(height={"band": 0.72}).encode(
        y=y, x=alt.X("score:Q", title=t("Touchpoint score")),
        color=alt.Color("stage_name:N", sort=stages, scale=alt.Scale(domain=stages), title=t("Stage"),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=200)),
        opacity=alt.condition("datum.status == 'planned'", alt.value(0.4), alt.value(1.0)))
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=9).encode(
        y=y, x="score:Q", text=alt.Text("score:Q", format=".2f"))
    return alt.layer(bars, text).properties(width=430, height={"step": 17})


def _status_colour(t: Translate, codes: tuple[str, ...] = STATUSES) -> alt.Color:
    return alt.Color("state_label:N", title=None, scale=alt.Scale(domain=[t(STATUS_NAMES[s]) for s in codes],
                                                                  range=[STATUS_COLOURS[s] for s in codes]),
                     legend=alt.Legend(orient="bottom", columns=3, labelLimit=240, symbolType="square"))


def quadrant(result: Result, scale: QualityScale, t: Translate) -> alt.LayerChart:
    """Importance (QFD score) × quality per existing touchpoint, split at the thresholds into statuses."""
    status = result.tables["touchpoint_status"].filter(pl.col("quality").is_not_null() & (pl.col("status") == "existing"))
    names = labels_by_id(result.tables["touchpoint_status"])
    width, height = 560.0, 360.0
    top = max(float(status["importance"].max() or 0) * 1.12, 1e-9)
    rows = [{**r, "label": names[r["touchpoint"]], "state_label": t(STATUS_NAMES[r["state"]])}
            for r in status.iter_rows(named=True)]
    placed = _place_labels(rows, (scale.min, scale.max), (0.0, top), width, height)
    xs, ys = alt.Scale(domain=[scale.min, scale.max], nice=False), alt.Scale(domain=[0, top], nice=False)
    x = alt.X("quality:Q", title=t("Quality score"), scale=xs)
    y = alt.Y("importance:Q", title=t("Importance (QFD score)"), scale=ys)
    cut_i, cut_q = result.facts["importance_threshold"], result.facts["quality_threshold"]
    dashed = {"strokeDash": [4, 3], "color": "#888"}
    rules = [alt.Chart(alt.Data(values=[{"v": cut_q}])).mark_rule(**dashed).encode(x=alt.X("v:Q", scale=xs)),
             alt.Chart(alt.Data(values=[{"v": cut_i}])).mark_rule(**dashed).encode(y=alt.Y("v:Q", scale=ys))]
    corner_layers = _corners(scale, top, x, y, t)
    points = alt.Chart(alt.Data(values=rows)).mark_point(filled=True, size=70, opacity=1).encode(
        x=x, y=y, color=_status_colour(t, ("works_effectively", "key_touchpoint", "needs_improvement")))
    return alt.layer(*rules, *corner_layers, points, _label_layer(placed, x, y)).properties(width=width, height=height)


def _corners(scale: QualityScale, top: float, x: alt.X, y: alt.Y, t: Translate) -> list:
    """Quadrant captions in three corners: key touchpoints top left, works effectively top right, improve bottom left."""
    corners = [(scale.min, top, "key_touchpoint", "left"), (scale.max, top, "works_effectively", "right"),
               (scale.min, 0.0, "needs_improvement", "left")]
    return [alt.Chart(alt.Data(values=[{"quality": q, "importance": i, "text": t(STATUS_NAMES[code])}])).mark_text(
                align=align, baseline="top" if i else "bottom", dx=5 if align == "left" else -5, dy=5 if i else -5,
                fontSize=9, fontStyle="italic", color="#999").encode(x=x, y=y, text="text:N")
            for q, i, code, align in corners]


def _label_layer(placed: list[dict], x: alt.X, y: alt.Y) -> alt.LayerChart:
    """One text layer per alignment/offset combination (offsets cannot be fields in Vega-Lite marks)."""
    layers = []
    for (align, dx, dy) in sorted({(p["align"], p["dx"], p["dy"]) for p in placed}):
        rows = [p for p in placed if (p["align"], p["dx"], p["dy"]) == (align, dx, dy)]
        layers.append(alt.Chart(alt.Data(values=rows)).mark_text(fontSize=8.5, color="#222", limit=130, align=align, dx=dx, dy=dy)
                      .encode(x=x, y=y, text="label:N"))
    return alt.layer(*layers)


def _place_labels(rows: list[dict], xd: tuple[float, float], yd: tuple[float, float], width: float, height: float) -> list[dict]:
    """Greedy placement: the first of right / left / above / below where the label box overlaps no placed box."""
    def pixel(r: dict) -> tuple[float, float]:
        return ((r["quality"] - xd[0]) / (xd[1] - xd[0]) * width, height - (r["importance"] - yd[0]) / (yd[1] - yd[0]) * height)

    boxes = [(px - 4, py - 4, px + 4, py + 4) for px, py in map(pixel, rows)]
    placed = []
    for r in sorted(rows, key=lambda r: -r["importance"]):
        px, py = pixel(r)
        w = min(text_px(r["label"], 8.5), 130)
        options = [("left", 7, 0), ("right", -7, 0), ("left", 5, -10), ("left", 5, 10), ("right", -5, -10), ("right", -5, 10)]
        if px + 7 + w > width:
            options = options[1:2] + options[:1] + options[2:]
        choice = options[0]
        for align, dx, dy in options:
            x0 = px + dx if align == "left" else px + dx - w
            box = (x0, py + dy - 5, x0 + w, py + dy + 5)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
                choice = (align, dx, dy)
                break
        align, dx, dy = choice
        x0 = px + dx if align == "left" else px + dx - w
        boxes.append((x0, py + dy - 5, x0 + w, py + dy + 5))
        placed.append({**r, "align": align, "dx": dx, "dy": dy})
    return placed


def traffic_map(result: Result, journey: Journey, t: Translate) -> alt.LayerChart:
    """The journey drawn as stages × (online, offline) boxes, each touchpoint coloured by its status."""
    status = result.tables["touchpoint_status"]
    names = labels_by_id(status)
    stages = [s for s in journey.stages]
    label_px, gap = 58.0, 4.0
    col_px = (MAX_WIDTH - label_px) / len(stages)
    texts = {k: wrap(v, col_px - 3 * gap, 8.5, 3) for k, v in names.items()}
    box_h = max(t_.count("\n") + 1 for t_ in texts.values()) * 10.5 + 8
    ordered = map_order(status, journey)
    rows, bands, y = [], [], 0.0
    for channel in ("online", "offline"):
        here = [r for r in ordered if r["channel"] == channel]
        depth = max([sum(r["stage"] == s.id for r in here) for s in stages] + [1])
        bands.append({"y": y, "y2": y + depth * (box_h + gap) + gap, "text": t(channel.capitalize())})
        for i, s in enumerate(stages):
            for j, r in enumerate(r for r in here if r["stage"] == s.id):
                top = y + gap + j * (box_h + gap)
                rows.append({"x": label_px + i * col_px + gap, "x2": label_px + (i + 1) * col_px - gap, "y": top,
                             "y2": top + box_h, "xc": label_px + (i + 0.5) * col_px, "yc": top + box_h / 2,
                             "text": texts[r["touchpoint"]], "state_label": t(STATUS_NAMES[r["state"]]),
                             "dark": r["state"] in DARK_STATUSES})
        y = bands[-1]["y2"] + 6
    head = 30.0
    scales = _axes((0, MAX_WIDTH), (-head, y))
    heads = [{"x": label_px + (i + 0.5) * col_px, "y": -head + 2, "text": wrap(s.name, col_px - 6, 9)}
             for i, s in enumerate(stages)]
    divider = [{"x": label_px + i * col_px, "y": -head, "y2": y} for i in range(1, len(stages))]
    return alt.layer(
        _layer([{**b, "x": 0, "x2": MAX_WIDTH} for b in bands], alt.Chart().mark_rect(color="#f4f6f8"), scales,
               x="x", x2="x2", y="y", y2="y2"),
        _layer([{**b, "x": 4, "yc": (b["y"] + b["y2"]) / 2} for b in bands],
               alt.Chart().mark_text(align="left", fontSize=9, fontWeight="bold", color="#555"), scales,
               x="x", y="yc", text="text:N"),
        _layer(divider, alt.Chart().mark_rule(color="#ccd", strokeDash=[2, 2]), scales, x="x", y="y", y2="y2"),
        _layer(heads, alt.Chart().mark_text(baseline="top", fontSize=9, fontWeight="bold", lineBreak="\n", color="#1f4e79"),
               scales, x="x", y="y", text="text:N"),
        _layer(rows, alt.Chart().mark_rect(cornerRadius=3, opacity=0.9), scales, x="x", x2="x2", y="y", y2="y2",
               color=_status_colour(t)),
        _layer(rows, alt.Chart().mark_text(fontSize=8.5, lineBreak="\n"), scales, x="xc", y="yc", text="text:N",
               color=alt.condition("datum.dark", alt.value("white"), alt.value("#1b1b1b"))),
    ).properties(width=MAX_WIDTH, height=y + head)
