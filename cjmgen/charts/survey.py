"""Charts of the survey chapter: a bar chart per question, the mean ratings, and the NPS score distribution."""

from __future__ import annotations

from typing import Any

from cjmgen.analyses.survey import NPS_GROUPS, SurveyResult
from cjmgen.charts.theme import Theme
from cjmgen.i18n import N_

title = N_("Survey of customers")

GROUP_NAMES = {"detractors": N_("Detractors"), "passives": N_("Passives"), "promoters": N_("Promoters")}
GROUP_COLOURS = ["#c62828", "#9e9e9e", "#2e7d32"]


def _alt() -> Any:
    import altair as alt

    return alt


def charts(result: SurveyResult, theme: Theme) -> dict[str, Any]:
    """answers_<i> per question, ratings, nps."""
    _ = theme._
    out: dict[str, Any] = {}
    if result.answers is not None:
        for i, (_key, rows) in enumerate(result.answers.group_by("question", maintain_order=True)):
            out[f"answers_{i}"] = _bars(rows.to_dicts(), "answer", "share", _("Share of respondents"), ".0%", width=200)
    if result.ratings is not None:
        out["ratings"] = _bars(result.ratings.to_dicts(), "label", "mean", _("Mean score"), ".1f")
    if result.nps_scores is not None:
        out["nps"] = _nps(result, theme)
    return out


def _nps(result: SurveyResult, theme: Theme) -> Any:
    alt, _ = _alt(), theme._
    assert result.nps_scores is not None
    rows = [{**r, "group_label": _(GROUP_NAMES[r["group"]])} for r in result.nps_scores.to_dicts()]
    names = [_(GROUP_NAMES[key]) for key, _low, _high in NPS_GROUPS]
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("score:O", title=_("Would recommend (0–10)"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title=_("Share of respondents"), axis=alt.Axis(format=".0%")),
        color=alt.Color("group_label:N", title=None, sort=names, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names, range=GROUP_COLOURS))).properties(width=440, height=200)


def _bars(rows: list[dict[str, Any]], category: str, value: str, title_: str, fmt: str, width: int = 400) -> Any:
    alt = _alt()
    y = alt.Y(f"{category}:N", sort=[r[category] for r in rows], title=None,
              axis=alt.Axis(labelLimit=260 if width > 300 else 150))
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X(f"{value}:Q", title=title_, axis=alt.Axis(format=fmt)))
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=9).encode(
        y=y, x=f"{value}:Q", text=alt.Text(f"{value}:Q", format=fmt))
    return alt.layer(bars, text).properties(width=width, height={"step": 20})
