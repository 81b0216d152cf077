"""Charts of the RFM chapter: R×F heatmaps of customers and revenue, segment shares of customers vs revenue."""

from __future__ import annotations

from typing import Any

from cjmgen.analyses.rfm import RfmResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("RFM segmentation")


def charts(result: RfmResult, theme: Theme) -> dict[str, Any]:
    """rf_customers, rf_revenue, shares."""
    _ = theme._
    grid = result.rf_grid
    return {
        "rf_customers": b.heatmap(grid, x="f", y="r", value="customers_share", x_title=_("F score"),
                                  y_title=_("R score"), title=_("Customers by R × F"), fmt=".0%"),
        "rf_revenue": b.heatmap(grid, x="f", y="r", value="revenue_share", x_title=_("F score"),
                                y_title=_("R score"), title=_("Revenue by R × F"), fmt=".0%"),
        "shares": b.paired_bars(result.segments.head(15), category="segment",
                                values={_("customers"): "customers_share", _("revenue"): "revenue_share"},
                                title=_("Share of customers and of revenue by segment")),
    }
