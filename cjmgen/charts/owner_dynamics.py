"""Charts of the owner dynamics chapter: new and banded repeat customers per period, one small chart per owner."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.owner_dynamics import OwnerResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Client-base dynamics by owner")

COLOURS = ["#e07b39", "#c6dbef", "#6baed6", "#2171b5", "#08519c", "#08306b", "#041f45", "#02122a", "#000a17"]
"""New customers orange, repeat bands from light to dark blue."""


def charts(result: OwnerResult, theme: Theme) -> dict[str, Any]:
    """by_owner: stacked bars of new and banded repeat customers per period, one small chart per top owner."""
    alt = b.altair()
    parts = {"new_customers": theme._("New"),
             **{c: theme._("Order %(band)s") % {"band": label}
                for c, label in zip(result.band_columns, result.bands, strict=True)}}
    table = result.dynamics.filter(pl.col("owner").is_in(result.charted))
    long = table.select("owner", "period", *parts).unpivot(index=["owner", "period"], variable_name="part",
                                                           value_name="customers")
    long = long.with_columns(pl.col("part").replace_strict(parts), pl.col("part").replace_strict(
        {k: i for i, k in enumerate(parts)}).alias("stack"))
    periods = table["period"].unique().sort().to_list()
    columns = 2 if len(result.charted) > 1 else 1
    chart = alt.Chart(alt.Data(values=long.to_dicts())).mark_bar().encode(
        x=alt.X("period:O", sort=periods, title=None, axis=b.period_axis(len(periods))),
        y=alt.Y("customers:Q", title=None, axis=b.number_axis(",d", tick_count=4)),
        color=alt.Color("part:N", sort=list(parts.values()), title=None,
                        scale=alt.Scale(domain=list(parts.values()), range=COLOURS[:len(parts)]),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("stack:Q", sort="ascending"),
    ).properties(width=270 if columns == 2 else 560, height=110)
    return {"by_owner": chart.facet(
        facet=alt.Facet("owner:N", sort=result.charted, title=None,
                        header=alt.Header(labelFontSize=10, labelFontWeight="bold")),
        columns=columns, title=theme._("Active customers per period: new and repeat by order number"))}
