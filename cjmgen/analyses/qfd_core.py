"""House-of-quality arithmetic shared by the QFD and journey chapters (METHODS §10). Pure: no I/O, no clock.

weights (spec or survey) → matrix (factor × touchpoint cells = weight × strength) → touchpoint scores,
stage and group totals → importance × quality status per touchpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cjmgen.errors import Problem, UserError
from cjmgen.spec.journey import Journey, Qfd, Thresholds

STATUSES = ("works_effectively", "key_touchpoint", "needs_improvement", "to_be_introduced", "not_assessed")
"""Importance × quality status codes, in legend order (names and colours live in cjmgen/charts/qfd_common.py)."""

NO_GROUP = "—"


@dataclass(frozen=True)
class Weights:
    """Factor weights (columns factor, name, group, order, weight [, beta, beta_low, beta_high, weight_low, weight_high])."""

    table: pl.DataFrame
    source: str
    """"spec" or "survey"."""
    samples: np.ndarray
    """Resampled weight vectors (resamples × factors) for the rank-stability check."""
    facts: dict[str, Any] = field(default_factory=dict)


def touchpoint_frame(journey: Journey) -> pl.DataFrame:
    """One row per touchpoint in map order: stage order, then spec order."""
    stage_order = {s.id: i for i, s in enumerate(journey.stages)}
    stage_name = {s.id: s.name for s in journey.stages}
    rows = [{"touchpoint": t.id, "name": t.name, "stage": t.stage, "stage_name": stage_name[t.stage],
             "stage_order": stage_order[t.stage], "order": i, "channel": t.channel, "status": t.status,
             "kind": t.kind, "spec_quality": t.quality} for i, t in enumerate(journey.touchpoints)]
    schema = {"touchpoint": pl.String, "name": pl.String, "stage": pl.String, "stage_name": pl.String,
              "stage_order": pl.Int64, "order": pl.Int64, "channel": pl.String, "status": pl.String,
              "kind": pl.String, "spec_quality": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort("stage_order", "order")


def _factor_frame(qfd: Qfd, weights: list[float]) -> pl.DataFrame:
    return pl.DataFrame({
        "factor": [f.id for f in qfd.factors],
        "name": [f.name for f in qfd.factors],
        "group": [f.group or NO_GROUP for f in qfd.factors],
        "order": list(range(len(qfd.factors))),
        "weight": weights,
    }, schema={"factor": pl.String, "name": pl.String, "group": pl.String, "order": pl.Int64, "weight": pl.Float64})


def spec_weights(qfd: Qfd) -> Weights:
    """Weights as given (rescaled to sum 1 when qfd.normalize), with jittered copies for the stability check."""
    given = np.array([f.weight or 0.0 for f in qfd.factors])
    total = float(given.sum())
    rescale = qfd.normalize and abs(total - 1) > 1e-12
    weights = given / total if rescale else given
    rng = np.random.default_rng(qfd.stability.seed)
    jitter = qfd.stability.jitter
    samples = weights * rng.uniform(1 - jitter, 1 + jitter, size=(qfd.stability.resamples, len(weights)))
    samples = samples / samples.sum(axis=1, keepdims=True) * weights.sum()
    facts = {"normalized_from": total if rescale else None}
    return Weights(_factor_frame(qfd, weights.tolist()), "spec", samples, facts)


def survey_weights(survey: pl.DataFrame, qfd: Qfd, source_file: str, resample: bool = True) -> Weights:
    """Normalized |standardized OLS coefficients| of the target on factor ratings, t-intervals, bootstrap."""
    spec = qfd.weights_from
    assert spec is not None
    columns = [f.column or f.id for f in qfd.factors]
    data = _survey_matrix(survey, [*columns, spec.target], source_file)
    n, p = data.shape[0], len(columns)
    if n < p + 3:
        raise UserError(Problem(source_file, f"expected at least {p + 3} complete survey answers for {p} factors, got {n}",
                                "qfd.weights_from"))
    z = _zscore(data)
    if z is None:
        raise UserError(Problem(source_file, "a factor rating or the target has the same value in every answer; "
                                             "it cannot explain anything", "qfd.weights_from"))
    beta, low, high, r2 = _ols_with_intervals(z[:, :p], z[:, p], spec.confidence)
    weights = np.abs(beta) / np.abs(beta).sum()
    samples = _bootstrap(data, p, qfd.stability.resamples if resample else 0, qfd.stability.seed)
    alpha = (1 - spec.confidence) / 2
    table = _factor_frame(qfd, weights.tolist()).with_columns(
        pl.Series("column", columns), pl.Series("beta", beta), pl.Series("beta_low", low), pl.Series("beta_high", high))
    if len(samples):
        table = table.with_columns(pl.Series("weight_low", np.quantile(samples, alpha, axis=0)),
                                   pl.Series("weight_high", np.quantile(samples, 1 - alpha, axis=0)))
    facts = {"respondents": n, "dropped_answers": survey.height - n, "r2": r2, "target": spec.target,
             "confidence": spec.confidence, "negative_factors": [f.name for f, b in zip(qfd.factors, beta, strict=False) if b < 0],
             "normalized_from": None}
    return Weights(table, "survey", samples, facts)


def _survey_matrix(survey: pl.DataFrame, columns: list[str], source_file: str) -> np.ndarray:
    missing = [c for c in columns if c not in survey.columns]
    if missing:
        raise UserError(Problem(source_file, f"survey has no column {', '.join(map(repr, missing))}; columns found: "
                                             f"{', '.join(survey.columns)}", "qfd.weights_from"))
    wrong = [c for c in columns if not survey.schema[c].is_numeric()]
    if wrong:
        raise UserError(Problem(source_file, f"expected numeric ratings in survey column {', '.join(map(repr, wrong))}",
                                "qfd.weights_from"))
    return survey.select(pl.col(c).cast(pl.Float64) for c in columns).drop_nulls().drop_nans().to_numpy()


def _zscore(data: np.ndarray) -> np.ndarray | None:
    std = data.std(axis=0, ddof=1)
    if np.any(std == 0):
        return None
    scaled: np.ndarray = (data - data.mean(axis=0)) / std
    return scaled


def _ols_with_intervals(x: np.ndarray, y: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """OLS on centered data (no intercept needed): coefficients, their t-intervals and R²."""
    from scipy import stats

    n, p = x.shape
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    dof = n - p - 1
    sigma2 = float(residual @ residual) / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(x.T @ x)))
    half = stats.t.ppf((1 + confidence) / 2, dof) * se
    r2 = 1 - float(residual @ residual) / float(y @ y)
    return beta, beta - half, beta + half, r2


def _bootstrap(data: np.ndarray, p: int, resamples: int, seed: int) -> np.ndarray:
    """Weights re-estimated on respondents drawn with replacement; degenerate draws are skipped."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(resamples):
        z = _zscore(data[rng.integers(0, len(data), len(data))])
        if z is None:
            continue
        beta, *_ = np.linalg.lstsq(z[:, :p], z[:, p], rcond=None)
        out.append(np.abs(beta) / np.abs(beta).sum())
    return np.array(out).reshape(-1, p)


def qfd_matrix(weights: pl.DataFrame, points: pl.DataFrame, qfd: Qfd) -> pl.DataFrame:
    """Every factor × touchpoint cell: weight, strength (0 when unlisted) and score = weight × strength."""
    links = pl.DataFrame(
        [(tp, f, float(s)) for tp, row in qfd.links.items() for f, s in row.items()],
        schema={"touchpoint": pl.String, "factor": pl.String, "strength": pl.Float64}, orient="row")
    grid = weights.select("factor", "group", pl.col("order").alias("factor_order"), "weight").join(
        points.select("touchpoint", "stage", "stage_order", "order"), how="cross")
    return (grid.join(links, on=["touchpoint", "factor"], how="left")
            .with_columns(pl.col("strength").fill_null(0.0))
            .with_columns((pl.col("weight") * pl.col("strength")).alias("score"))
            .sort("factor_order", "stage_order", "order"))


def touchpoint_scores(matrix: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Score (column sum), share of the total and rank (ties broken by map order) per touchpoint."""
    sums = matrix.group_by("touchpoint").agg(pl.col("score").sum()).sort("touchpoint")  # a fixed order: the same total to the last bit
    total = float(sums["score"].sum())
    scored = points.join(sums, on="touchpoint", how="left").with_columns(pl.col("score").fill_null(0.0))
    # scores equal up to float noise (0.3 + 0.6 vs 0.9) tie, and ties go by map order
    return (scored.sort([pl.col("score").round(9), "stage_order", "order"], descending=[True, False, False])
            .with_columns((pl.col("score") / total if total > 0 else pl.lit(0.0)).alias("share"),
                          pl.int_range(1, pl.len() + 1).alias("rank")))


def stage_totals(scores: pl.DataFrame) -> pl.DataFrame:
    """Per stage in map order: touchpoints, total score, share, and the stage's best touchpoint."""
    return (scores.sort("rank").group_by("stage", maintain_order=True)
            .agg(pl.col("stage_name").first(), pl.col("stage_order").first(), pl.len().alias("touchpoints"),
                 pl.col("score").sum(), pl.col("share").sum(), pl.col("name").first().alias("top_touchpoint"))
            .sort("stage_order").drop("stage_order"))


def group_totals(matrix: pl.DataFrame) -> pl.DataFrame:
    """Per factor group in spec order: its factors, weight, the score it adds to all touchpoints, and share."""
    total = float(matrix["score"].sum())
    weights = matrix.unique("factor").group_by("group").agg(
        pl.col("factor_order").min().alias("first"), pl.len().alias("factors"), pl.col("weight").sum())
    scores = matrix.group_by("group").agg(pl.col("score").sum())
    return (weights.join(scores, on="group")
            .with_columns((pl.col("score") / total if total > 0 else pl.lit(0.0)).alias("share"))
            .sort("first").select("group", "factors", "weight", "score", "share"))


def strength_array(matrix: pl.DataFrame, points: pl.DataFrame) -> np.ndarray:
    """Strengths as factors × touchpoints (touchpoints in map order)."""
    wide = matrix.pivot(on="touchpoint", index="factor_order", values="strength", sort_columns=False).sort("factor_order")
    return wide.select(points["touchpoint"].to_list()).to_numpy()


def rank_stability(samples: np.ndarray, strengths: np.ndarray, baseline_rank: np.ndarray, top: int) -> dict[str, Any]:
    """How often the baseline top-`top` touchpoints stay the top set, and each touchpoint's rank range (5th–95th pct)."""
    if samples.size == 0:
        return {"share": None, "top_share": None, "rank_low": None, "rank_high": None, "resamples": 0}
    scores = np.round(samples @ strengths, 9)
    # stable sort by -score keeps map order among ties, the same tie rule as the baseline ranking
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1)[None, :].repeat(len(scores), 0), axis=1)
    top = min(top, scores.shape[1])
    in_top = ranks <= top
    baseline_top = baseline_rank <= top
    same = np.all(in_top == baseline_top[None, :], axis=1)
    return {"share": float(same.mean()), "top_share": in_top.mean(axis=0), "resamples": len(scores),
            "rank_low": np.quantile(ranks, 0.05, axis=0, method="lower"),
            "rank_high": np.quantile(ranks, 0.95, axis=0, method="higher")}


def touchpoint_quality(points: pl.DataFrame, audits: pl.DataFrame | None) -> pl.DataFrame:
    """Quality per touchpoint: mean own audit score if audited, else the spec's `quality`; best competitor's mean."""
    base = points.select("touchpoint", "spec_quality")
    if audits is None or audits.is_empty():
        return base.with_columns(pl.col("spec_quality").alias("quality"), pl.lit(0, pl.UInt32).alias("audits"),
                                 pl.lit(None, pl.Float64).alias("competitor_quality"),
                                 pl.lit(None, pl.String).alias("competitor"))
    audits = audits.with_columns(pl.col("touchpoint").cast(pl.String), pl.col("score").cast(pl.Float64))
    rival = (pl.col("competitor").cast(pl.String).str.strip_chars().fill_null("") if "competitor" in audits.columns
             else pl.lit(""))
    audits = audits.with_columns(rival.alias("competitor"))
    own = audits.filter(pl.col("competitor") == "").group_by("touchpoint").agg(
        pl.col("score").mean().alias("audit_quality"), pl.len().alias("audits"))
    rivals = (audits.filter(pl.col("competitor") != "").group_by("touchpoint", "competitor")
              .agg(pl.col("score").mean().alias("competitor_quality"))
              .sort(["competitor_quality", "competitor"], descending=[True, False])
              .group_by("touchpoint", maintain_order=True).first())
    return (base.join(own, on="touchpoint", how="left").join(rivals, on="touchpoint", how="left")
            .with_columns(pl.coalesce("audit_quality", "spec_quality").alias("quality"),
                          pl.col("audits").fill_null(0))
            .select("touchpoint", "spec_quality", "quality", "audits", "competitor_quality", "competitor"))


def audit_rows_unmatched(points: pl.DataFrame, audits: pl.DataFrame | None) -> int:
    """Audit rows naming a touchpoint the journey does not have (ignored, counted in the report)."""
    if audits is None:
        return 0
    return int(audits.filter(~pl.col("touchpoint").cast(pl.String).is_in(points["touchpoint"].implode())).height)


def touchpoint_status(scores: pl.DataFrame, quality: pl.DataFrame, thresholds: Thresholds) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Status per touchpoint from importance (QFD score) × quality, split at spec thresholds or medians."""
    frame = scores.join(quality, on="touchpoint", how="left")
    existing = frame.filter(pl.col("status") == "existing")
    cut_i = thresholds.importance if thresholds.importance is not None else existing["score"].median()
    cut_q = thresholds.quality if thresholds.quality is not None else existing["quality"].drop_nulls().median()
    high_i = pl.col("score") >= (cut_i if cut_i is not None else 0.0)
    high_q = pl.col("quality") >= cut_q if cut_q is not None else pl.lit(False)
    state = (pl.when(pl.col("status") == "planned").then(pl.lit("to_be_introduced"))
             .when(pl.col("quality").is_null()).then(pl.lit("not_assessed"))
             .when(high_q).then(pl.lit("works_effectively"))
             .when(high_i).then(pl.lit("key_touchpoint"))
             .otherwise(pl.lit("needs_improvement")))
    table = frame.with_columns(pl.col("score").alias("importance"), state.alias("state"),
                               high_i.alias("high_importance"), high_q.fill_null(False).alias("high_quality"))
    facts = {"importance_threshold": cut_i, "quality_threshold": cut_q,
             "importance_rule": "spec" if thresholds.importance is not None else "median",
             "quality_rule": "spec" if thresholds.quality is not None else "median"}
    return table.sort("stage_order", "order"), facts


@dataclass(frozen=True)
class Evaluation:
    """Everything the QFD and journey chapters need, computed once per chapter from the spec and tables."""

    points: pl.DataFrame
    weights: Weights
    matrix: pl.DataFrame
    scores: pl.DataFrame
    status: pl.DataFrame
    status_facts: dict[str, Any]
    unmatched_audits: int


def evaluate(journey: Journey, qfd: Qfd, tables: dict[str, pl.DataFrame], source_files: dict[str, str],
             resample: bool = True) -> Evaluation:
    """Weights → matrix → touchpoint scores → importance × quality status (resample=False skips the bootstrap)."""
    points = touchpoint_frame(journey)
    if qfd.weights_from is not None:
        source = qfd.weights_from.source
        if source not in tables:
            raise UserError(Problem(source_files.get(source, source), f"no rows read from source {source!r}", "qfd.weights_from"))
        weights = survey_weights(tables[source], qfd, source_files.get(source, source), resample)
    else:
        weights = spec_weights(qfd)
    matrix = qfd_matrix(weights.table, points, qfd)
    scores = touchpoint_scores(matrix, points)
    audits = tables.get("touchpoint_audits")
    quality = touchpoint_quality(points, audits)
    status, facts = touchpoint_status(scores, quality, qfd.thresholds)
    return Evaluation(points, weights, matrix, scores, status, facts, audit_rows_unmatched(points, audits))
