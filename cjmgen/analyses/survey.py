"""Survey answers (METHODS §11): answer distributions, mean ratings and NPS from the survey source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.errors import Problem, UserError
from cjmgen.spec.common import Strict

__all__ = ["NPS_GROUPS", "Nps", "Params", "Question", "SurveyResult", "compute", "name", "needs", "needs_for",
           "spec_block"]

name = "survey"
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


@dataclass(frozen=True)
class Question:
    """A question shown as a distribution: its survey column and the text the report shows."""

    column: str
    label: str


@dataclass(frozen=True)
class Nps:
    """Net promoter score: group shares of those who answered, NPS in points (−100…100), respondents."""

    detractors_share: float
    passives_share: float
    promoters_share: float
    nps: float
    respondents: int


@dataclass(frozen=True)
class SurveyResult(Result):
    """Answer distributions, mean ratings and the NPS distribution; every share is of those who answered."""

    respondents: int
    questions: list[Question]
    nps: Nps | None
    answers: Annotated[pl.DataFrame | None, Table("survey_answers")]
    """question, label, answer, respondents, share — most frequent answer first per question."""
    ratings: Annotated[pl.DataFrame | None, Table("survey_ratings")]
    nps_scores: Annotated[pl.DataFrame | None, Table("survey_nps")]
    """Every score 0–10: respondents, share, group."""


def compute(ctx: Context, params: Params) -> SurveyResult:
    """Distributions, ratings and NPS; every share is of the respondents who answered that question."""
    assert ctx.facts is not None
    survey = ctx.facts.tables["survey"]
    where = str(ctx.spec.sources["survey"].path)
    _require(survey, [*params.questions, *params.ratings, *([params.nps] if params.nps else [])], where)

    def label(column: str) -> str:
        return params.labels.get(column, column)

    scores = None
    if params.nps:
        _check_nps(survey, params.nps, where)
        scores = nps_table(survey, params.nps)
    return SurveyResult(
        answers=pl.concat([answers(survey, q, label(q)) for q in params.questions]) if params.questions else None,
        ratings=ratings(survey, params.ratings, label) if params.ratings else None,
        nps_scores=scores, respondents=survey.height,
        questions=[Question(q, label(q)) for q in params.questions],
        nps=nps_facts(scores) if scores is not None else None,
    )


def needs_for(params: Params) -> NeedsFor:
    """Every survey column the block names, located at its key, checked before any compute."""
    named: list[tuple[tuple[str | int, ...], str]] = [(("questions", i), c) for i, c in enumerate(params.questions)]
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
    if not values.dtype.is_numeric() or values.is_empty() or not bool(values.is_between(0, 10).all()):
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


def ratings(survey: pl.DataFrame, columns: list[str], label: Callable[[str], str]) -> pl.DataFrame:
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


def nps_facts(table: pl.DataFrame) -> Nps:
    """Shares of detractors, passives, promoters; NPS in points (−100…100); respondents."""
    shares = dict(table.group_by("group").agg(pl.col("share").sum()).iter_rows())
    detractors, passives, promoters = (float(shares.get(key, 0.0)) for key, _, _ in NPS_GROUPS)
    return Nps(detractors, passives, promoters, 100 * (promoters - detractors), int(table["respondents"].sum()))
