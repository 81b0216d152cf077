"""Strategy matrices are tables only."""

from __future__ import annotations

from typing import Any

from cjmgen.analyses.matrices import MatricesResult
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Strategy matrices")


def charts(result: MatricesResult, theme: Theme) -> dict[str, Any]:
    """No charts."""
    return {}
