"""Charts of the share-of-wallet chapter: the share by RFM segment and the overlap of customers with competitors."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses.wallet import NOT_OURS, WalletResult
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Share of wallet and competitors")

ACCENT = "#e07b39"

MAX_COMBINATIONS = 12
"""Combinations drawn in the overlap chart (the most frequent); the rest are small."""


def charts(result: WalletResult, theme: Theme) -> dict[str, Any]:
    """by_segment: our share of each segment's spend; overlap: customers per combination of us and competitors."""
    out: dict[str, Any] = {}
    if result.segments.height:
        out["by_segment"] = _by_segment(result, theme)
    if result.overlap.height:
        out["overlap"] = _overlap(result, theme)
    return out


def segment_label(segment: str, theme: Theme) -> str:
    """A segment's name as the report shows it (the panel customers without orders with us translated)."""
    return theme._("No orders with us") if segment == NOT_OURS else segment


def _by_segment(result: WalletResult, theme: Theme) -> Any:
    alt = b.altair()
    frame = result.segments.with_columns(
        pl.col("segment").map_elements(lambda s: segment_label(s, theme), return_dtype=pl.String))
    order = frame["segment"].to_list()
    base = alt.Chart(alt.Data(values=frame.select("segment", "share", "customers").to_dicts()),
                     title=theme._("Our share of the segment's spend"))
    bars = base.mark_bar(color=theme.primary).encode(
        y=alt.Y("segment:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("share:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=b.number_axis(".0%", tick_count=5)))
    labels = base.mark_text(align="left", dx=3, fontSize=10).encode(
        y=alt.Y("segment:N", sort=order), x="share:Q", text=alt.Text("share:Q", format=".0%"))
    return (bars + labels).properties(width=460, height=max(60, 22 * len(order)))


def combination_label(with_us: bool, competitors: list[str], theme: Theme) -> str:
    """'Us + Аптека Плюс', 'Only us', or the competitors alone."""
    if not competitors:
        return theme._("Only us")
    return " + ".join([theme._("Us")] * with_us + competitors)


def _overlap(result: WalletResult, theme: Theme) -> Any:
    alt = b.altair()
    rows = [{"combination": combination_label(r["with_us"], r["competitors"], theme), "customers": r["customers"]}
            for r in result.overlap.head(MAX_COMBINATIONS).iter_rows(named=True)]
    order = [r["combination"] for r in rows]
    base = alt.Chart(alt.Data(values=rows), title=theme._("Panel customers by where they buy"))
    bars = base.mark_bar(color=ACCENT).encode(
        y=alt.Y("combination:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("customers:Q", title=None, axis=b.number_axis(",d", tick_count=4)))
    labels = base.mark_text(align="left", dx=3, fontSize=10).encode(
        y=alt.Y("combination:N", sort=order), x="customers:Q", text=alt.Text("customers:Q", format=",d"))
    return (bars + labels).properties(width=420, height=max(60, 22 * len(order)))
