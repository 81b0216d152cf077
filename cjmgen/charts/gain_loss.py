"""Charts of the gain/loss chapter: the focus entity's bridge from base to current revenue."""

from __future__ import annotations

from typing import Any

from cjmgen.analyses.gain_loss import GainLossResult, Step
from cjmgen.charts import builders as b
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Gains and losses")

MAX_COUNTERPARTS = 4
"""Other entities drawn one bar each on either side (gained from, lost to); the rest share one bar."""


def charts(result: GainLossResult, theme: Theme) -> dict[str, Any]:
    """waterfall: base revenue, new and lost customers, gains from and losses to other entities, the retained
    customers' change, current revenue."""
    if result.focus is None or not result.steps:
        return {}
    return {"waterfall": waterfall(walk(result.steps, theme), theme)}


def grouped(steps: list[Step], component: str, other: str) -> list[tuple[str, float]]:
    """(counterpart, revenue) of one side, the MAX_COUNTERPARTS largest first and the rest summed as `other`."""
    side = sorted((s for s in steps if s.component == component), key=lambda s: (-abs(s.revenue), s.counterpart or ""))
    shown = [(s.counterpart or "", s.revenue) for s in side[:MAX_COUNTERPARTS]]
    rest = side[MAX_COUNTERPARTS:]
    return shown + ([(other, sum(s.revenue for s in rest))] if rest else [])


def walk(steps: list[Step], theme: Theme) -> list[dict[str, Any]]:
    """The bars: totals from zero, each part from the level the previous one left."""
    _ = theme._
    value = {s.component: s.revenue for s in steps if s.counterpart is None}
    moves: list[tuple[str, float]] = [(_("New customers"), value.get("new", 0.0)),
                                      (_("Lost customers"), value.get("lost", 0.0))]
    moves += [(_("From %(entity)s") % {"entity": name}, v) for name, v in grouped(steps, "gained_from", _("others"))]
    moves += [(_("To %(entity)s") % {"entity": name}, v) for name, v in grouped(steps, "lost_to", _("others"))]
    moves.append((_("Retained customers"), value.get("retained_change", 0.0)))
    start, end = value.get("base", 0.0), value.get("current", 0.0)
    bars: list[dict[str, Any]] = [{"step": _("Base period"), "lo": 0.0, "hi": start, "value": start, "kind": "total"}]
    level = start
    for label, move in moves:
        bars.append({"step": label, "lo": level, "hi": level + move, "value": move, "kind": "up" if move >= 0 else "down"})
        level += move
    bars.append({"step": _("Current period"), "lo": 0.0, "hi": end, "value": end, "kind": "total"})
    for i, bar in enumerate(bars):  # in thousands: d3 would write SI letters (k, M) in every locale
        bar.update({k: bar[k] / 1000 for k in ("lo", "hi", "value")})
        bar["top"], bar["order"] = max(bar["lo"], bar["hi"]), i
    return bars


def waterfall(bars: list[dict[str, Any]], theme: Theme) -> Any:
    """A horizontal waterfall (long entity names stay readable): totals in the brand colour, gains green, losses red,
    each labelled with its amount."""
    alt = b.altair()
    order = [bar["step"] for bar in bars]
    base = alt.Chart(alt.Data(values=bars)).encode(
        y=alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelFontSize=9)))
    colour = alt.Color("kind:N", legend=None, scale=alt.Scale(domain=["total", "up", "down"],
                                                             range=["#1f4e79", "#5a9e6f", "#c0504d"]))
    top = max(bar["top"] for bar in bars)
    low = min(0.0, *(bar["lo"] for bar in bars), *(bar["hi"] for bar in bars))
    bars_layer = base.mark_bar(size=14, strokeWidth=2).encode(
        x=alt.X("lo:Q", title=None, scale=alt.Scale(domain=[low, top * 1.12]), axis=b.number_axis(",.0f")),
        x2="hi:Q", color=colour, stroke=colour)
    text = base.mark_text(align="left", dx=4, fontSize=9).encode(x="top:Q", text=alt.Text("value:Q", format=",.0f"))
    return alt.layer(bars_layer, text).properties(
        title=theme._("From base to current revenue, thousands of %(currency)s") % {"currency": theme.currency_symbol},
        width=420, height=max(18 * len(bars), 120))
