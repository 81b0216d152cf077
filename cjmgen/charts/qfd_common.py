"""Chart pieces shared by the QFD, journey, maturity and survey charts: status names and colours, text measure
and wrap, and layers laid out in pixels (x/y in layout units) so nothing is clipped on an A4 page."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.i18n import N_

MAX_WIDTH = 700
"""Widest chart on a portrait A4 page (px at 96 dpi ≈ 185 mm)."""
LANDSCAPE_WIDTH = 1000
"""Widest chart on a landscape A4 page."""

STATUS_NAMES = {"works_effectively": N_("Works effectively"), "key_touchpoint": N_("Key touchpoint: needs attention"),
                "needs_improvement": N_("Needs improvement"), "to_be_introduced": N_("To be introduced"),
                "not_assessed": N_("Quality not assessed")}
"""Importance × quality status code → English msgid, in legend order."""

STATUS_COLOURS = {"works_effectively": "#2e7d32", "key_touchpoint": "#c62828", "needs_improvement": "#f2a900",
                  "to_be_introduced": "#1565c0", "not_assessed": "#9e9e9e"}
"""Traffic-light colours of the statuses (the journey map's CSS in _journey.html uses the same)."""

DARK_STATUSES = frozenset({"works_effectively", "key_touchpoint", "to_be_introduced"})
"""Statuses whose colour needs white text."""


def _alt() -> Any:
    import altair as alt

    return alt


def text_px(text: str, size: float) -> float:
    """Rough rendered width of text: Cyrillic and capitals are wider than Latin lower case."""
    return sum(size * (0.7 if ch.isupper() or "\u0400" <= ch <= "\u04ff" else 0.56) for ch in text)


def wrap(text: str, width_px: float, size: float, lines: int | None = None) -> str:
    """Whole words in lines of at most width_px at font size (a longer word keeps its own line).

    With `lines`, the text is cut to that many lines and the last ends in …; charts that must show every word
    leave it None and size their boxes by `line_count`.
    """
    out: list[str] = []
    for word in text.split():
        if out and text_px(f"{out[-1]} {word}", size) <= width_px:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if lines is not None and len(out) > lines:
        out = out[:lines]
        while len(out[-1]) > 1 and text_px(out[-1] + "…", size) > width_px:
            out[-1] = out[-1][:-1]
        out[-1] = out[-1].rstrip() + "…"
    return "\n".join(out)


def line_count(text: str) -> int:
    """Lines of a wrapped text."""
    return text.count("\n") + 1


def fitting_size(texts: list[str], width_px: float, size: float, floor: float = 6.5) -> float:
    """The font size (at most `size`, at least `floor`) at which the longest single word of any text fits width_px."""
    words = [w for text in texts for w in text.split()] or [""]
    widest = max(text_px(w, 1.0) for w in words)
    return max(floor, min(size, width_px / widest if widest else size))


def labels_by_id(status: pl.DataFrame) -> dict[str, str]:
    """Touchpoint id → display name, the stage added where two touchpoints share a name."""
    counts = status["name"].value_counts()
    twice = set(counts.filter(pl.col("count") > 1)["name"].to_list())
    return {r["touchpoint"]: f"{r['name']} ({r['stage_name']})" if r["name"] in twice else r["name"]
            for r in status.iter_rows(named=True)}


def axes(x_domain: tuple[float, float], y_domain: tuple[float, float]) -> dict[str, Any]:
    """Linear scales of a pixel-laid-out chart (y grows downwards)."""
    alt = _alt()
    return {"x": alt.Scale(domain=list(x_domain), nice=False, zero=False),
            "y": alt.Scale(domain=list(y_domain), nice=False, zero=False, reverse=True)}


def layer(rows: list[dict[str, Any]], mark: Any, scales: dict[str, Any], **enc: Any) -> Any:
    """A layer of a pixel-laid-out chart: x/y (and x2/y2) are quantitative in layout units."""
    alt = _alt()
    encoding: dict[str, Any] = {}
    for channel, value in enc.items():
        if channel == "x":
            encoding[channel] = alt.X(value, type="quantitative", scale=scales["x"], axis=None)
        elif channel == "y":
            encoding[channel] = alt.Y(value, type="quantitative", scale=scales["y"], axis=None)
        elif channel in ("x2", "y2"):
            encoding[channel] = alt.X2(value) if channel == "x2" else alt.Y2(value)
        else:
            encoding[channel] = value
    return mark.properties(data=alt.Data(values=rows)).encode(**encoding)


def status_colour(_: Any, codes: tuple[str, ...] = tuple(STATUS_NAMES)) -> Any:
    """Colour by translated status name, in legend order."""
    alt = _alt()
    return alt.Color("state_label:N", title=None, scale=alt.Scale(domain=[_(STATUS_NAMES[s]) for s in codes],
                                                                  range=[STATUS_COLOURS[s] for s in codes]),
                     legend=alt.Legend(orient="bottom", columns=3, labelLimit=240, symbolType="square"))
