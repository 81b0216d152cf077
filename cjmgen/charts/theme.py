"""The report's chart theme: fonts and colours that match the PDF's typography."""

from __future__ import annotations

from typing import Any

FONT = "DejaVu Sans"


def theme_config(primary: str) -> dict[str, Any]:
    """Vega-Lite config merged into every chart."""
    return {
        "font": FONT,
        "background": "white",
        "view": {"stroke": None},
        "title": {"fontSize": 13, "fontWeight": "bold", "anchor": "start", "color": "#1b1b1b", "offset": 10},
        "axis": {"labelFontSize": 10, "titleFontSize": 11, "titleFontWeight": "normal", "gridColor": "#e6e6e6",
                 "domainColor": "#999", "tickColor": "#999", "labelLimit": 180},
        "legend": {"labelFontSize": 10, "titleFontSize": 10, "labelLimit": 200},
        "range": {"category": [primary, "#e07b39", "#5a9e6f", "#8064a2", "#c0504d", "#4bacc6", "#9b9b9b", "#f2c14e",
                               "#2e7d7a", "#b565a7"]},
        "bar": {"color": primary},
        "line": {"color": primary},
    }
