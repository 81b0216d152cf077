"""Altair charts → static SVG (vl-convert), embedded as data URIs so the HTML opens offline."""

from __future__ import annotations

import base64
from typing import Any

from markupsafe import Markup

from cjmgen.charts.theme import Theme


def chart_spec(chart: Any, primary: str, locale: str = "en", currency: str = "USD") -> dict[str, Any]:
    """The chart's Vega-Lite dict with the report theme under its own config (what snapshot tests compare)."""
    spec = chart.to_dict()
    spec["config"] = _merge(Theme(locale, currency, primary).config(), spec.get("config", {}))
    return spec


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: the chart's own settings win, the theme fills in the rest (e.g. view.stroke beside view.continuousWidth)."""
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def to_svg(chart: Any, primary: str, locale: str = "en", currency: str = "USD") -> str:
    """SVG text of one chart."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart_spec(chart, primary, locale, currency))


def img_tag(svg: str, alt: str) -> Markup:
    """An <img> with the SVG inline as a data URI: no external file, works in WeasyPrint and browsers."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="chart" alt="{}" src="data:image/svg+xml;base64,{}">').format(alt, Markup(data))
