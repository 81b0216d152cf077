"""Customer Journey Map (METHODS §10): stages × lanes, touchpoints with quality, importance and status, roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import polars as pl

from cjmgen.analyses import qfd_core as core
from cjmgen.analyses.base import Context, Result, Table
from cjmgen.spec.journey import Journey

__all__ = ["LANES", "JourneyResult", "Params", "compute", "name", "needs", "spec_block"]

name = "journey"
Params = None
spec_block = "journey"
needs: dict[str, tuple[str, ...]] = {}

LANES = ("thoughts", "emotions", "barriers", "tools", "loyalty", "kpi")
"""Built-in free-text lanes (the chapter names them)."""


@dataclass(frozen=True)
class Lane:
    """One free-text row of the map: a built-in lane key or a custom lane's name, and its text per stage id."""

    key: str
    name: str
    cells: dict[str, str]


@dataclass(frozen=True)
class Role:
    """A decision-making role and the stage ids where it acts."""

    id: str
    name: str
    stages: list[str]
    concerns: str | None


@dataclass(frozen=True)
class JourneyResult(Result):
    """Stages with counts, quality and importance; touchpoints with status; lanes and roles of the map."""

    lane_rows: list[Lane]
    """Built-in lanes in map order (empty ones included, their cells empty), then the custom lanes."""
    role_list: list[Role]
    stage_count: int
    touchpoint_count: int
    online: int
    offline: int
    planned: int
    has_importance: bool
    has_quality: bool
    weakest_stage: str | None
    """The stage with the lowest mean touchpoint quality (ties by map order), when more than one is assessed."""
    weakest_stage_quality: float | None
    quality_min: float
    quality_max: float
    stages: Annotated[pl.DataFrame, Table("journey_stages")]
    """stage, name, description, order, touchpoints, online, offline, planned, quality, importance, importance_share."""
    touchpoints: Annotated[pl.DataFrame, Table("journey_touchpoints")]
    lanes: Annotated[pl.DataFrame, Table("journey_lanes")]
    roles: Annotated[pl.DataFrame | None, Table("journey_roles")]
    """One row per role × stage; None when the journey names no roles."""

    def lane(self, key: str) -> Lane:
        """A built-in lane by key."""
        return next(lane for lane in self.lane_rows if lane.key == key)


def compute(ctx: Context, params: Journey) -> JourneyResult:
    """Touchpoints with quality / importance / status, per-stage totals, lanes and roles as tables."""
    points = _touchpoints(ctx, params)
    stages = _stages(params, points)
    assessed = stages.filter(pl.col("quality").is_not_null()).sort(["quality", "order"])
    return JourneyResult(
        stages=stages, touchpoints=points.drop("stage_order", "order"), lanes=_lanes(params),
        roles=_roles(params) if params.roles else None,
        lane_rows=_lane_rows(params),
        role_list=[Role(r.id, r.name, list(r.stages), r.concerns) for r in params.roles],
        stage_count=len(params.stages), touchpoint_count=points.height,
        online=int((points["channel"] == "online").sum()), offline=int((points["channel"] == "offline").sum()),
        planned=int((points["status"] == "planned").sum()),
        has_importance=ctx.spec.qfd is not None, has_quality=bool(points["quality"].is_not_null().any()),
        weakest_stage=assessed["name"][0] if assessed.height > 1 else None,
        weakest_stage_quality=float(assessed["quality"][0]) if assessed.height > 1 else None,
        quality_min=params.quality_scale.min, quality_max=params.quality_scale.max,
    )


def _touchpoints(ctx: Context, journey: Journey) -> pl.DataFrame:
    """One row per touchpoint in map order with quality, importance (QFD score), share, rank and status."""
    tables = ctx.facts.tables if ctx.facts is not None else {}
    cols = ["touchpoint", "name", "stage", "stage_name", "stage_order", "order", "channel", "status", "kind"]
    if ctx.spec.qfd is not None:
        files = {k: str(s.path) for k, s in ctx.spec.sources.items()}
        ev = core.evaluate(journey, ctx.spec.qfd, tables, files, resample=False)
        return ev.status.select(*cols, "quality", "importance", "share", "rank", "state").sort("stage_order", "order")
    points = core.touchpoint_frame(journey)
    quality = core.touchpoint_quality(points, tables.get("touchpoint_audits")).select("touchpoint", "quality")
    state = pl.when(pl.col("status") == "planned").then(pl.lit("to_be_introduced")).otherwise(pl.lit(None, pl.String))
    return points.join(quality, on="touchpoint", how="left").select(
        *cols, "quality", pl.lit(None, pl.Float64).alias("importance"), pl.lit(None, pl.Float64).alias("share"),
        pl.lit(None, pl.Int64).alias("rank"), state.alias("state"))


def _stages(journey: Journey, points: pl.DataFrame) -> pl.DataFrame:
    """Per stage in map order: touchpoint counts, mean quality, importance (sum of QFD scores) and its share."""
    base = pl.DataFrame({"stage": [s.id for s in journey.stages], "name": [s.name for s in journey.stages],
                         "description": [s.description for s in journey.stages], "order": list(range(len(journey.stages)))},
                        schema={"stage": pl.String, "name": pl.String, "description": pl.String, "order": pl.Int64})
    per = points.group_by("stage").agg(
        pl.len().alias("touchpoints"), (pl.col("channel") == "online").sum().alias("online"),
        (pl.col("channel") == "offline").sum().alias("offline"), (pl.col("status") == "planned").sum().alias("planned"),
        pl.col("quality").mean().alias("quality"),
        pl.when(pl.col("importance").is_null().all()).then(None).otherwise(pl.col("importance").sum()).alias("importance"),
        pl.when(pl.col("share").is_null().all()).then(None).otherwise(pl.col("share").sum()).alias("importance_share"))
    counts = ("touchpoints", "online", "offline", "planned")
    return (base.join(per, on="stage", how="left").with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts)
            .sort("order"))


def _lane_rows(journey: Journey) -> list[Lane]:
    built_in = [Lane(key, key, dict(getattr(journey.lanes, key))) for key in LANES]
    custom = [Lane(f"custom_{i + 1}", lane.name, dict(lane.cells)) for i, lane in enumerate(journey.lanes.custom)]
    return built_in + custom


def _lanes(journey: Journey) -> pl.DataFrame:
    """Every free-text cell of the map: lane, lane name, stage, text (in map order)."""
    rows = [{"lane": lane.key, "lane_name": LANE_NAMES.get(lane.key, lane.name), "stage": s.id, "text": lane.cells[s.id]}
            for lane in _lane_rows(journey) for s in journey.stages if s.id in lane.cells]
    return pl.DataFrame(rows, schema={"lane": pl.String, "lane_name": pl.String, "stage": pl.String, "text": pl.String})


LANE_NAMES = {"thoughts": "Thoughts and needs", "emotions": "Emotions", "barriers": "Barriers and pains",
              "tools": "Tools", "loyalty": "Loyalty mechanics", "kpi": "KPI"}
"""The lane_name column of tables/journey_lanes.csv for built-in lanes (a data contract, kept in English)."""


def _roles(journey: Journey) -> pl.DataFrame:
    """One row per role × stage where it acts."""
    names = {s.id: s.name for s in journey.stages}
    order = {s.id: i for i, s in enumerate(journey.stages)}
    rows = [{"role": r.id, "name": r.name, "stage": s, "stage_name": names[s], "concerns": r.concerns}
            for r in journey.roles for s in sorted(r.stages, key=order.__getitem__)]
    return pl.DataFrame(rows, schema={"role": pl.String, "name": pl.String, "stage": pl.String, "stage_name": pl.String,
                                      "concerns": pl.String})
