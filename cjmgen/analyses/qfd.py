"""QFD "house of quality" (METHODS §10): factor weights × link strengths rank the touchpoints; importance × quality."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import polars as pl

from cjmgen.analyses import qfd_core as core
from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.spec.journey import Qfd

__all__ = ["Params", "QfdResult", "SurveyFit", "compute", "name", "needs", "needs_for", "spec_block"]

name = "qfd"
Params = None
spec_block = "qfd"
needs: dict[str, tuple[str, ...]] = {}

LANDSCAPE_FROM = 15
"""From this many touchpoints the house-of-quality heatmap gets a landscape page of its own."""


@dataclass(frozen=True)
class SurveyFit:
    """How weights derived from a survey were estimated."""

    target: str
    respondents: int
    dropped_answers: int
    r2: float
    confidence: float
    negative_factors: list[str]
    """Factors whose rating goes with a lower target (counted by the size of their effect)."""


@dataclass(frozen=True)
class QfdResult(Result):
    """Weights, matrix, touchpoint ranking with rank stability, stage and group totals, importance × quality status."""

    status_map: pl.DataFrame
    """touchpoint_status in journey-map order (stage, then spec order) with stage_order and order, for the charts."""
    stage_ids: list[str]
    """Journey stage ids in map order (stages without touchpoints included)."""
    stage_names: list[str]
    """Journey stage names in map order."""
    quality_min: float
    quality_max: float
    touchpoint_count: int
    matrix_landscape: bool
    total_score: float
    top_touchpoint: str
    top_touchpoint_share: float
    top_touchpoints: list[str]
    top_touchpoints_share: float
    key_stage: str
    key_stage_share: float
    factor_count: int
    top_factors: list[str]
    top_factors_weight: float
    top_factors_group: str | None
    """The group all top factors share, if they share one."""
    key_group: str | None
    key_group_weight: float | None
    key_group_share: float | None
    weight_sum: float
    weights_source: str
    """"spec" or "survey"."""
    survey_fit: SurveyFit | None
    normalized_from: float | None
    """The spec's weight sum when the weights were rescaled to 1."""
    status_counts: dict[str, int]
    key_touchpoints: list[str]
    improve_touchpoints: list[str]
    planned_touchpoints: list[str]
    unassessed_touchpoints: list[str]
    audited: bool
    has_quality: bool
    importance_threshold: float | None
    quality_threshold: float | None
    importance_rule: str
    """"spec" or "median"."""
    quality_rule: str
    stability_share: float | None
    """Share of resampled weight sets keeping the same top group (None when every touchpoint is in the top)."""
    stability_resamples: int
    stability_top: int
    stability_method: str
    """"bootstrap" or "jitter"."""
    jitter: float
    unmatched_audits: int
    weights: Annotated[pl.DataFrame, Table("qfd_weights")]
    matrix: Annotated[pl.DataFrame, Table("qfd_matrix")]
    touchpoints: Annotated[pl.DataFrame, Table("qfd_touchpoints")]
    """Ranked touchpoints: score, share, rank, stage, channel, status, top_share, rank_low, rank_high."""
    stages: Annotated[pl.DataFrame, Table("qfd_stages")]
    status: Annotated[pl.DataFrame, Table("touchpoint_status")]
    """One row per touchpoint by rank: importance, quality, audits, competitor, state."""
    groups: Annotated[pl.DataFrame | None, Table("qfd_groups")]
    """Totals per factor group; None when no factor has a group."""

    @property
    def has_groups(self) -> bool:
        """Whether any factor has a group."""
        return self.groups is not None


def needs_for(params: Qfd) -> NeedsFor:
    """With weights from a survey: the target and each factor's rating column, located at their keys."""
    if params.weights_from is None:
        return []
    source = params.weights_from.source
    wanted: NeedsFor = [(("weights_from", "target"), source, params.weights_from.target)]
    wanted += [(("factors", i, "column" if f.column else "id"), source, f.column or f.id)
               for i, f in enumerate(params.factors)]
    return wanted


def compute(ctx: Context, params: Qfd) -> QfdResult:
    """Weights, matrix, touchpoint ranking with rank stability, stage and group totals, touchpoint status."""
    spec = ctx.spec
    journey = spec.journey
    assert journey is not None
    ev = core.evaluate(journey, params, ctx.facts.tables if ctx.facts is not None else {},
                       {k: str(s.path) for k, s in spec.sources.items()})
    stability = core.rank_stability(ev.weights.samples, core.strength_array(ev.matrix, ev.points),
                                    ev.scores.sort("stage_order", "order")["rank"].to_numpy(), params.stability.top)
    scores = _with_stability(ev.scores, stability)
    groups = core.group_totals(ev.matrix)
    return QfdResult(
        weights=ev.weights.table.drop("order"),
        matrix=ev.matrix.select("factor", "touchpoint", "weight", "strength", "score", "group", "stage"),
        touchpoints=scores.select("touchpoint", "name", "stage", "score", "share", "rank", "stage_name", "channel",
                                  "status", "top_share", "rank_low", "rank_high"),
        stages=core.stage_totals(ev.scores),
        status=ev.status.sort("rank").select(*STATUS_COLUMNS),
        groups=groups if (groups["group"] != core.NO_GROUP).any() else None,
        status_map=ev.status.select(*STATUS_COLUMNS, "stage_order", "order"),
        stage_ids=[s.id for s in journey.stages], stage_names=[s.name for s in journey.stages],
        quality_min=journey.quality_scale.min, quality_max=journey.quality_scale.max,
        **_ranking_facts(scores, params), **_factor_facts(ev.weights.table, groups),
        **_weight_facts(ev.weights), **_status_facts(ev.status), **ev.status_facts,
        **_stability_facts(stability, params, ev.points.height, ev.weights.source),
        unmatched_audits=ev.unmatched_audits,
    )


STATUS_COLUMNS = ("touchpoint", "name", "stage", "stage_name", "channel", "status", "importance", "rank", "quality",
                  "audits", "competitor", "competitor_quality", "state")
"""Columns of tables/touchpoint_status.csv."""


def _with_stability(scores: pl.DataFrame, stability: dict[str, Any]) -> pl.DataFrame:
    """Attach each touchpoint's share of resamples in the top group and its 5–95% rank range (map order arrays)."""
    mapped = scores.sort("stage_order", "order")
    if stability["resamples"] == 0:
        extra = [pl.lit(None, pl.Float64).alias("top_share"), pl.lit(None, pl.Int64).alias("rank_low"),
                 pl.lit(None, pl.Int64).alias("rank_high")]
    else:
        extra = [pl.lit(pl.Series("top_share", stability["top_share"], pl.Float64)),
                 pl.lit(pl.Series("rank_low", np.asarray(stability["rank_low"]), pl.Int64)),
                 pl.lit(pl.Series("rank_high", np.asarray(stability["rank_high"]), pl.Int64))]
    return mapped.with_columns(extra).sort("rank")


def _ranking_facts(scores: pl.DataFrame, params: Qfd) -> dict[str, Any]:
    top = scores.head(min(params.stability.top, scores.height))
    stages = scores.group_by("stage_name").agg(pl.col("share").sum(), pl.col("stage_order").first()).sort(
        ["share", "stage_order"], descending=[True, False])
    return {"touchpoint_count": scores.height, "matrix_landscape": scores.height >= LANDSCAPE_FROM,
            "total_score": float(scores["score"].sum()),
            "top_touchpoint": scores["name"][0], "top_touchpoint_share": float(scores["share"][0]),
            "top_touchpoints": top["name"].to_list(), "top_touchpoints_share": float(top["share"].sum()),
            "key_stage": stages["stage_name"][0], "key_stage_share": float(stages["share"][0])}


def _factor_facts(weights: pl.DataFrame, groups: pl.DataFrame) -> dict[str, Any]:
    ranked = weights.sort(["weight", "order"], descending=[True, False]).head(3)
    shared = ranked["group"].unique().to_list()
    grouped = groups.filter(pl.col("group") != core.NO_GROUP)
    key = grouped.sort("weight", descending=True, maintain_order=True).head(1)
    return {"factor_count": weights.height, "top_factors": ranked["name"].to_list(),
            "top_factors_weight": float(ranked["weight"].sum()),
            "top_factors_group": shared[0] if len(shared) == 1 and shared[0] != core.NO_GROUP and ranked.height > 1 else None,
            "key_group": key["group"][0] if key.height else None,
            "key_group_weight": float(key["weight"][0]) if key.height else None,
            "key_group_share": float(key["share"][0]) if key.height else None,
            "weight_sum": float(weights["weight"].sum())}


def _weight_facts(weights: core.Weights) -> dict[str, Any]:
    facts = weights.facts
    fit = None
    if weights.source == "survey":
        fit = SurveyFit(str(facts["target"]), int(facts["respondents"]), int(facts["dropped_answers"]),
                        float(facts["r2"]), float(facts["confidence"]), list(facts["negative_factors"]))
    return {"weights_source": weights.source, "survey_fit": fit, "normalized_from": facts.get("normalized_from")}


def _status_facts(status: pl.DataFrame) -> dict[str, Any]:
    counts = dict(status.group_by("state").len().iter_rows())
    by_rank = status.sort("rank")
    names = {s: by_rank.filter(pl.col("state") == s)["name"].to_list() for s in core.STATUSES}
    return {"status_counts": {s: counts.get(s, 0) for s in core.STATUSES},
            "key_touchpoints": names["key_touchpoint"],
            "improve_touchpoints": names["needs_improvement"], "planned_touchpoints": names["to_be_introduced"],
            "unassessed_touchpoints": names["not_assessed"], "audited": bool((status["audits"] > 0).any()),
            "has_quality": bool(status["quality"].is_not_null().any())}


def _stability_facts(stability: dict[str, Any], params: Qfd, points: int, source: str) -> dict[str, Any]:
    # with no more touchpoints than the top group, "the top stays the top" says nothing
    return {"stability_share": stability["share"] if points > params.stability.top else None,
            "stability_resamples": stability["resamples"], "stability_top": min(params.stability.top, points),
            "stability_method": "bootstrap" if source == "survey" else "jitter", "jitter": params.stability.jitter}
