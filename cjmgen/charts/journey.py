"""The journey map chapter: the map is an HTML table; its traffic-map chart lives in the QFD chapter."""

from __future__ import annotations

from typing import Any

from cjmgen.analyses.journey import JourneyResult
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Customer journey map")


def charts(result: JourneyResult, theme: Theme) -> dict[str, Any]:
    """No charts."""
    return {}
