"""The QFD chapter's two maps: importance × quality (labels placed off the points, the threshold lines and each
other) and the traffic map of the journey (every touchpoint name in full, tiles as tall as their longest name)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from cjmgen.charts.qfd_common import (
    DARK_STATUSES,
    MAX_WIDTH,
    STATUS_NAMES,
    axes,
    fitting_size,
    labels_by_id,
    layer,
    line_count,
    status_colour,
    text_px,
    wrap,
)
from cjmgen.charts.theme import Theme

if TYPE_CHECKING:
    from cjmgen.analyses.qfd import QfdResult

Box = tuple[float, float, float, float]
LABEL_SIZE, LABEL_LINE, LABEL_WIDTH = 8.5, 10.0, 125.0
QUADRANT = (560.0, 360.0)


def _alt() -> Any:
    import altair as alt

    return alt


def quadrant(result: QfdResult, theme: Theme) -> Any:
    """Importance (QFD score) × quality per existing touchpoint, split at the thresholds into statuses."""
    alt, _ = _alt(), theme._
    status = result.status.filter(pl.col("quality").is_not_null() & (pl.col("status") == "existing"))
    names = labels_by_id(result.status_map)
    top = max(float(status["importance"].max() or 0) * 1.12, 1e-9)  # type: ignore[arg-type]
    domain = ((result.quality_min, result.quality_max), (0.0, top))
    rows = [{**r, "label": names[r["touchpoint"]], "state_label": _(STATUS_NAMES[r["state"]])}
            for r in status.iter_rows(named=True)]
    cuts = (result.quality_threshold, result.importance_threshold)
    placed = place_labels(rows, domain, QUADRANT, _obstacles(domain, cuts, theme))
    xs, ys = alt.Scale(domain=list(domain[0]), nice=False), alt.Scale(domain=[0, top], nice=False)
    x = alt.X("quality:Q", title=_("Quality score"), scale=xs)
    y = alt.Y("importance:Q", title=_("Importance (QFD score)"), scale=ys)
    dashed = {"strokeDash": [4, 3], "color": "#888"}
    rules = [alt.Chart(alt.Data(values=[{"v": cuts[0]}])).mark_rule(**dashed).encode(x=alt.X("v:Q", scale=xs)),
             alt.Chart(alt.Data(values=[{"v": cuts[1]}])).mark_rule(**dashed).encode(y=alt.Y("v:Q", scale=ys))]
    points = alt.Chart(alt.Data(values=rows)).mark_point(filled=True, size=70, opacity=1).encode(
        x=x, y=y, color=status_colour(_, ("works_effectively", "key_touchpoint", "needs_improvement")))
    return alt.layer(*rules, *_corners(domain, x, y, theme), points, _label_layer(placed, x, y)).properties(
        width=QUADRANT[0], height=QUADRANT[1])


CORNERS = ((0, 1, "key_touchpoint", "left"), (1, 1, "works_effectively", "right"), (0, 0, "needs_improvement", "left"))
"""Quadrant captions: (x end, y end, status, alignment): key touchpoints top left, works effectively top right,
needs improvement bottom left."""


def _corners(domain: tuple[tuple[float, float], tuple[float, float]], x: Any, y: Any, theme: Theme) -> list[Any]:
    alt = _alt()
    return [alt.Chart(alt.Data(values=[{"quality": domain[0][qx], "importance": domain[1][iy],
                                        "text": theme._(STATUS_NAMES[code])}])).mark_text(
                align=align, baseline="top" if iy else "bottom", dx=5 if align == "left" else -5, dy=5 if iy else -5,
                fontSize=9, fontStyle="italic", color="#999").encode(x=x, y=y, text="text:N")
            for qx, iy, code, align in CORNERS]


def _obstacles(domain: tuple[tuple[float, float], tuple[float, float]], cuts: tuple[float | None, float | None],
               theme: Theme) -> list[Box]:
    """Pixel boxes labels must not cover: the two threshold lines and the three corner captions."""
    width, height = QUADRANT
    boxes: list[Box] = []
    if cuts[0] is not None:
        px = _pixel(cuts[0], domain[0][1], domain, QUADRANT)[0]
        boxes.append((px - 2, 0.0, px + 2, height))
    if cuts[1] is not None:
        py = _pixel(domain[0][0], cuts[1], domain, QUADRANT)[1]
        boxes.append((0.0, py - 2, width, py + 2))
    for qx, iy, code, _align in CORNERS:
        w = text_px(theme._(STATUS_NAMES[code]), 9) + 5
        x0 = 0.0 if qx == 0 else width - w
        boxes.append((x0, 0.0 if iy else height - 16, x0 + w, 16.0 if iy else height))
    return boxes


def _pixel(quality: float, importance: float, domain: tuple[tuple[float, float], tuple[float, float]],
           size: tuple[float, float]) -> tuple[float, float]:
    (x0, x1), (y0, y1) = domain
    return (quality - x0) / (x1 - x0) * size[0], size[1] - (importance - y0) / (y1 - y0) * size[1]


OFFSETS = (("left", 7, 0), ("right", -7, 0), ("left", 5, -1), ("left", 5, 1), ("right", -5, -1), ("right", -5, 1),
           ("center", 0, -1), ("center", 0, 1), ("left", 5, -2), ("right", -5, -2), ("left", 5, 2), ("right", -5, 2))
"""Label positions tried in turn: alignment, dx in px, and vertical shift in label heights (−1: above the point)."""


def place_labels(rows: list[dict[str, Any]], domain: tuple[tuple[float, float], tuple[float, float]],
                 size: tuple[float, float], obstacles: list[Box]) -> list[dict[str, Any]]:
    """Greedy placement, most important first: the first position whose label box stays inside the plot and overlaps
    no point, no placed label and no obstacle (threshold lines, captions); when none is free, the least covered."""
    points = [_pixel(r["quality"], r["importance"], domain, size) for r in rows]
    boxes = [(px - 4, py - 4, px + 4, py + 4) for px, py in points] + list(obstacles)
    placed = []
    for r, (px, py) in sorted(zip(rows, points, strict=True), key=lambda item: -item[0]["importance"]):
        texts = dict.fromkeys(wrap(r["label"], width, LABEL_SIZE) for width in (LABEL_WIDTH, LABEL_WIDTH * 0.6))
        options = [(text, align, dx, _box(px, py, align, dx, shift, *_extent(text)))
                   for align, dx, shift in OFFSETS for text in texts]
        text, align, dx, box = min(options, key=lambda o: _cost(o[3], boxes, size))  # first of the cheapest
        boxes.append(box)
        placed.append({**r, "label": text, "align": align, "dx": dx, "dy": round(box[1] - py)})
    return placed


def _extent(text: str) -> tuple[float, float]:
    """Width and height in px of a wrapped label."""
    return max(text_px(line, LABEL_SIZE) for line in text.split("\n")), line_count(text) * LABEL_LINE


def _box(px: float, py: float, align: str, dx: float, shift: float, w: float, h: float) -> Box:
    x0 = px + dx if align == "left" else (px + dx - w if align == "right" else px - w / 2)
    y0 = py - h / 2 + shift * (h / 2 + 6)
    return (x0, y0, x0 + w, y0 + h)


def _cost(box: Box, taken: list[Box], size: tuple[float, float]) -> float:
    """Area the box shares with taken boxes; a box leaving the plot costs more than any overlap."""
    outside = box[0] < 0 or box[1] < 0 or box[2] > size[0] or box[3] > size[1]
    return sum(_overlap(box, b) for b in taken) + (1e9 if outside else 0.0)


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _label_layer(placed: list[dict[str, Any]], x: Any, y: Any) -> Any:
    """One text layer per alignment/offset combination (offsets cannot be fields in Vega-Lite marks)."""
    alt = _alt()
    layers = []
    for align, dx, dy in sorted({(p["align"], p["dx"], p["dy"]) for p in placed}):
        rows = [p for p in placed if (p["align"], p["dx"], p["dy"]) == (align, dx, dy)]
        layers.append(alt.Chart(alt.Data(values=rows)).mark_text(
            fontSize=LABEL_SIZE, lineHeight=LABEL_LINE, lineBreak="\n", color="#222", align=align, baseline="top",
            dx=dx, dy=dy).encode(x=x, y=y, text="label:N"))
    return alt.layer(*layers)


TILE_LINE, GAP, LANE_PX, HEAD_PX = 10.5, 4.0, 58.0, 30.0


def traffic_map(result: QfdResult, theme: Theme) -> Any:
    """The journey drawn as stages × (online, offline) boxes, each touchpoint coloured by its status."""
    alt = _alt()
    stages, stage_names = result.stage_ids, result.stage_names
    col_px = (MAX_WIDTH - LANE_PX) / len(stage_names)
    names = labels_by_id(result.status_map)
    size = fitting_size(list(names.values()), col_px - 4 * GAP, 8.5)
    texts = {k: wrap(v, col_px - 4 * GAP, size) for k, v in names.items()}
    box_h = max(line_count(t) for t in texts.values()) * TILE_LINE + 8
    tiles, bands, y = _tiles(result, stages, texts, col_px, box_h, theme)
    scales = axes((0, MAX_WIDTH), (-HEAD_PX, y))
    heads = [{"x": LANE_PX + (i + 0.5) * col_px, "y": -HEAD_PX + 2, "text": wrap(s, col_px - 6, 9)}
             for i, s in enumerate(stage_names)]
    divider = [{"x": LANE_PX + i * col_px, "y": -HEAD_PX, "y2": y} for i in range(1, len(stage_names))]
    return alt.layer(
        layer([{**b, "x": 0, "x2": MAX_WIDTH} for b in bands], alt.Chart().mark_rect(color="#f4f6f8"), scales,
              x="x", x2="x2", y="y", y2="y2"),
        layer([{**b, "x": 4, "yc": (b["y"] + b["y2"]) / 2} for b in bands],
              alt.Chart().mark_text(align="left", fontSize=9, fontWeight="bold", color="#555"), scales,
              x="x", y="yc", text="text:N"),
        layer(divider, alt.Chart().mark_rule(color="#ccd", strokeDash=[2, 2]), scales, x="x", y="y", y2="y2"),
        layer(heads, alt.Chart().mark_text(baseline="top", fontSize=9, fontWeight="bold", lineBreak="\n",
                                           color="#1f4e79"), scales, x="x", y="y", text="text:N"),
        layer(tiles, alt.Chart().mark_rect(cornerRadius=3, opacity=0.9), scales, x="x", x2="x2", y="y", y2="y2",
              color=status_colour(theme._)),
        layer(tiles, alt.Chart().mark_text(fontSize=size, lineHeight=TILE_LINE, lineBreak="\n", baseline="top"),
              scales, x="xc", y="yt", text="text:N",
              color=alt.condition("datum.dark", alt.value("white"), alt.value("#1b1b1b"))),
    ).properties(width=MAX_WIDTH, height=y + HEAD_PX)


def _tiles(result: QfdResult, stages: list[str], texts: dict[str, str], col_px: float, box_h: float,
           theme: Theme) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """One tile per touchpoint, stacked per stage in each channel band; the text block centred in its tile."""
    ordered = result.status_map.to_dicts()
    rows: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []
    y = 0.0
    for channel, label in (("online", theme._("Online")), ("offline", theme._("Offline"))):
        here = [r for r in ordered if r["channel"] == channel]
        depth = max([sum(r["stage"] == s for r in here) for s in stages] + [1])
        bands.append({"y": y, "y2": y + depth * (box_h + GAP) + GAP, "text": label})
        for i, s in enumerate(stages):
            for j, r in enumerate(r for r in here if r["stage"] == s):
                top, text = y + GAP + j * (box_h + GAP), texts[r["touchpoint"]]
                rows.append({"x": LANE_PX + i * col_px + GAP, "x2": LANE_PX + (i + 1) * col_px - GAP, "y": top,
                             "y2": top + box_h, "xc": LANE_PX + (i + 0.5) * col_px,
                             "yt": top + (box_h - line_count(text) * TILE_LINE) / 2 + 1, "text": text,
                             "state_label": theme._(STATUS_NAMES[r["state"]]), "dark": r["state"] in DARK_STATUSES})
        y = bands[-1]["y2"] + 6
    return rows, bands, y
