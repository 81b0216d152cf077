"""Survey answers (METHODS §11): answer distributions, mean ratings and NPS from the survey source."""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.errors import Problem, UserError
from cjmgen.spec.common import Strict

name = "survey"
title = {"en": "Survey of customers", "ru": "Опрос клиентов"}
spec_block = None
needs = {"survey": ("respondent_id",)}

NPS_GROUPS = (("detractors", 0, 6), ("passives", 7, 8), ("promoters", 9, 10))
"""NPS groups by the 0–10 'would you recommend' score."""


class Params(Strict):
    """Survey answers: share of respondents per answer, mean ratings, NPS. Columns are the survey file's names."""

    questions: list[str] = Field(
        default_factory=list, description="Columns whose answers are shown as distributions (share of respondents per answer).")
    ratings: list[str] = Field(default_factory=list, description="Numeric rating columns shown as mean scores, highest first.")
    nps: str | None = Field(
        None, description="Column of the 0–10 'would you recommend' score: NPS = % promoters (9–10) − % detractors (0–6).")
    labels: dict[str, str] = Field(default_factory=dict, description="Column → question text shown in the report.")


def compute(ctx: Context, params: Params) -> Result:
    """Distributions, ratings and NPS; every share is of the respondents who answered that question."""
    survey = ctx.facts.tables["survey"]
    where = str(ctx.spec.sources["survey"].path)
    _require(survey, [*params.questions, *params.ratings, *([params.nps] if params.nps else [])], where)
    def label(column: str) -> str:
        return params.labels.get(column, column)

    tables: dict[str, pl.DataFrame] = {}
    facts: dict[str, Any] = {"respondents": survey.height,
                             "questions": [{"column": q, "label": label(q)} for q in params.questions]}
    if params.questions:
        tables["survey_answers"] = pl.concat([answers(survey, q, label(q)) for q in params.questions])
    if params.ratings:
        tables["survey_ratings"] = ratings(survey, params.ratings, label)
    if params.nps:
        _check_nps(survey, params.nps, where)
        tables["survey_nps"] = nps_table(survey, params.nps)
        facts.update(nps_facts(tables["survey_nps"]))
    return Result(name, tables, facts)


def needs_for(params: Params) -> list[tuple[tuple, str, str]]:
    """Every survey column the block names, located at its key, checked before any compute."""
    named = [(("questions", i), c) for i, c in enumerate(params.questions)]
    named += [(("ratings", i), c) for i, c in enumerate(params.ratings)]
    named += [(("nps",), params.nps)] if params.nps else []
    return [(where, "survey", column) for where, column in named]


def _require(survey: pl.DataFrame, columns: list[str], where: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in survey.columns]
    if missing:
        raise UserError(Problem(where, f"survey has no column {', '.join(map(repr, missing))}; columns found: "
                                       f"{', '.join(survey.columns)}", "analyses.survey"))


def _check_nps(survey: pl.DataFrame, column: str, where: str) -> None:
    values = survey[column].drop_nulls()
    if not values.dtype.is_numeric() or values.is_empty() or values.min() < 0 or values.max() > 10:
        raise UserError(Problem(where, f"expected 0–10 scores in survey column {column!r} (NPS)", "analyses.survey.nps"))


def answers(survey: pl.DataFrame, column: str, label: str) -> pl.DataFrame:
    """One row per answer: respondents and share of those who answered, most frequent first."""
    given = survey.select(pl.col(column).cast(pl.String).str.strip_chars().alias("answer")).filter(
        pl.col("answer").is_not_null() & (pl.col("answer") != ""))
    counts = given.group_by("answer").agg(pl.len().alias("respondents"))
    return (counts.with_columns((pl.col("respondents") / max(given.height, 1)).alias("share"),
                                pl.lit(column).alias("question"), pl.lit(label).alias("label"))
            .sort(["respondents", "answer"], descending=[True, False])
            .select("question", "label", "answer", "respondents", "share"))


def ratings(survey: pl.DataFrame, columns: list[str], label) -> pl.DataFrame:
    """Mean, median and respondents per rating column, highest mean first."""
    rows = [{"question": c, "label": label(c), "respondents": survey[c].drop_nulls().len(),
             "mean": survey[c].cast(pl.Float64).mean(), "median": survey[c].cast(pl.Float64).median()} for c in columns]
    return pl.DataFrame(rows, schema={"question": pl.String, "label": pl.String, "respondents": pl.Int64,
                                      "mean": pl.Float64, "median": pl.Float64}).sort("mean", descending=True, nulls_last=True)


def nps_table(survey: pl.DataFrame, column: str) -> pl.DataFrame:
    """Every score 0–10 with respondents, share and NPS group."""
    scores = survey.select(pl.col(column).cast(pl.Float64).round(0).cast(pl.Int64).alias("score")).drop_nulls()
    counts = scores.group_by("score").agg(pl.len().alias("respondents"))
    group = pl.lit(None, pl.String)
    for key, low, high in reversed(NPS_GROUPS):
        group = pl.when(pl.col("score").is_between(low, high)).then(pl.lit(key)).otherwise(group)
    return (pl.DataFrame({"score": list(range(11))}, schema={"score": pl.Int64})
            .join(counts, on="score", how="left").with_columns(pl.col("respondents").fill_null(0).cast(pl.Int64))
            .with_columns((pl.col("respondents") / max(scores.height, 1)).alias("share"), group.alias("group")))


def nps_facts(table: pl.DataFrame) -> dict[str, Any]:
    """Shares of detractors, passives, promoters; NPS in points (−100…100); respondents."""
    shares = dict(table.group_by("group").agg(pl.col("share").sum()).iter_rows())
    out = {f"{key}_share": float(shares.get(key, 0.0)) for key, _, _ in NPS_GROUPS}
    out["nps"] = 100 * (out["promoters_share"] - out["detractors_share"])
    out["nps_respondents"] = int(table["respondents"].sum())
    return out


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """A bar chart per question, the mean ratings, and the NPS score distribution."""
    import altair as alt

    from cjmgen.analyses.qfd_charts import finish

    t = localized(LABELS, ctx.locale)
    out: dict[str, Any] = {}
    if "survey_answers" in result.tables:
        for i, (question, rows) in enumerate(result.tables["survey_answers"].group_by("question", maintain_order=True)):
            out[f"answers_{i}"] = _bars(rows.to_dicts(), "answer", "share", t("Share of respondents"), ".0%", width=200)
    if "survey_ratings" in result.tables:
        out["ratings"] = _bars(result.tables["survey_ratings"].to_dicts(), "label", "mean", t("Mean score"), ".1f")
    if "survey_nps" in result.tables:
        rows = [{**r, "group_label": t(r["group"].capitalize())} for r in result.tables["survey_nps"].to_dicts()]
        names = [t(key.capitalize()) for key, _, _ in NPS_GROUPS]
        out["nps"] = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
            x=alt.X("score:O", title=t("Would recommend (0–10)"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", title=t("Share of respondents"), axis=alt.Axis(format=".0%")),
            color=alt.Color("group_label:N", title=None, sort=names, legend=alt.Legend(orient="bottom"),
                            scale=alt.Scale(domain=names, range=["#c62828", "#9e9e9e", "#2e7d32"]))).properties(width=440, height=200)
    return {key: finish(chart, ctx.locale) for key, chart in out.items()}


def _bars(rows: list[dict], category: str, value: str, title_: str, fmt: str, width: int = 400) -> Any:
    import altair as alt

    y = alt.Y(f"{category}:N", sort=[r[category] for r in rows], title=None, axis=alt.Axis(labelLimit=260 if width > 300 else 150))
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X(f"{value}:Q", title=title_, axis=alt.Axis(format=fmt)))
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=9).encode(
        y=y, x=f"{value}:Q", text=alt.Text(f"{value}:Q", format=fmt))
    return alt.layer(bars, text).properties(width=width, height={"step": 20})


LABELS: dict[str, dict[str, str]] = {
    "Share of respondents": {"ru": "Доля респондентов"}, "Mean score": {"ru": "Средняя оценка"},
    "Would recommend (0–10)": {"ru": "Готовность рекомендовать (0–10)"},
    "Detractors": {"ru": "Критики"}, "Passives": {"ru": "Нейтралы"}, "Promoters": {"ru": "Промоутеры"},
    "Answer": {"ru": "Ответ"}, "Respondents": {"ru": "Респонденты"}, "Mean": {"ru": "Среднее"}, "Median": {"ru": "Медиана"},
    "Question": {"ru": "Вопрос"}, "Ratings": {"ru": "Оценки"},
    "{n} respondents.": {"ru": "Респондентов: {n}."},
    "NPS is {nps}: {promoters} promoters (9–10) and {detractors} detractors (0–6) among {n} answers.":
        {"ru": "NPS — {nps}: промоутеров (9–10) {promoters}, критиков (0–6) {detractors} из {n} ответов."},
}


def methodology(params: Params, locale: str) -> str:
    """How the survey chapter counts."""
    if locale == "ru":
        return ("Доли ответов считаются от респондентов, ответивших на вопрос (пустые ответы не учитываются). "
                "Средние оценки — по ответившим. NPS = доля промоутеров (9–10) − доля критиков (0–6), в пунктах от −100 до 100.")
    return ("Answer shares are of the respondents who answered that question (blank answers are left out). Mean ratings "
            "are over those who answered. NPS = share of promoters (9–10) − share of detractors (0–6), in points from −100 to 100.")
