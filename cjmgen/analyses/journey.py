"""Customer Journey Map (METHODS §10): stages × lanes, touchpoints with quality, importance and status, roles."""

from __future__ import annotations

from typing import Any

import polars as pl

from cjmgen.analyses import qfd_core as core
from cjmgen.analyses.base import Context
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.spec.journey import Journey

name = "journey"
title = {"en": "Customer journey map", "ru": "Карта пути клиента"}
Params = None
spec_block = "journey"
needs: dict[str, tuple[str, ...]] = {}

LANE_NAMES = {"thoughts": "Thoughts and needs", "emotions": "Emotions", "barriers": "Barriers and pains",
              "tools": "Tools", "loyalty": "Loyalty mechanics", "kpi": "KPI"}
"""Built-in free-text lanes → English row titles (the template translates them)."""


def compute(ctx: Context, params: Journey) -> Result:
    """Touchpoints with quality / importance / status, per-stage totals, lanes and roles as tables."""
    points = _touchpoints(ctx, params)
    stages = _stages(params, points)
    tables = {"journey_stages": stages, "journey_touchpoints": points.drop("stage_order", "order"),
              "journey_lanes": _lanes(params)}
    if params.roles:
        tables["journey_roles"] = _roles(params)
    assessed = stages.filter(pl.col("quality").is_not_null()).sort(["quality", "order"])
    facts: dict[str, Any] = {
        "stages": len(params.stages), "touchpoints": points.height, "roles": len(params.roles),
        "online": int((points["channel"] == "online").sum()), "offline": int((points["channel"] == "offline").sum()),
        "planned": int((points["status"] == "planned").sum()),
        "has_importance": ctx.spec.qfd is not None, "has_quality": bool(points["quality"].is_not_null().any()),
        "weakest_stage": assessed["name"][0] if assessed.height > 1 else None,
        "weakest_stage_quality": float(assessed["quality"][0]) if assessed.height > 1 else None,
        "quality_min": params.quality_scale.min, "quality_max": params.quality_scale.max,
        "status_names": core.STATUS_NAMES, "status_colours": core.STATUS_COLOURS,
        "lane_names": LANE_NAMES,
    }
    return Result(name, tables, facts)


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


def _lanes(journey: Journey) -> pl.DataFrame:
    """Every free-text cell of the map: lane, lane name, stage, text (in map order)."""
    rows = []
    for key in LANE_NAMES:
        cells = getattr(journey.lanes, key)
        rows += [{"lane": key, "lane_name": LANE_NAMES[key], "stage": s.id, "text": cells[s.id]}
                 for s in journey.stages if s.id in cells]
    for i, lane in enumerate(journey.lanes.custom):
        rows += [{"lane": f"custom_{i + 1}", "lane_name": lane.name, "stage": s.id, "text": lane.cells[s.id]}
                 for s in journey.stages if s.id in lane.cells]
    return pl.DataFrame(rows, schema={"lane": pl.String, "lane_name": pl.String, "stage": pl.String, "text": pl.String})


def _roles(journey: Journey) -> pl.DataFrame:
    """One row per role × stage where it acts."""
    names = {s.id: s.name for s in journey.stages}
    order = {s.id: i for i, s in enumerate(journey.stages)}
    rows = [{"role": r.id, "name": r.name, "stage": s, "stage_name": names[s], "concerns": r.concerns}
            for r in journey.roles for s in sorted(r.stages, key=order.get)]
    return pl.DataFrame(rows, schema={"role": pl.String, "name": pl.String, "stage": pl.String, "stage_name": pl.String,
                                      "concerns": pl.String})


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """The journey map is an HTML table; the traffic-map chart lives in the QFD chapter."""
    return {}


LABELS: dict[str, dict[str, str]] = {
    "Thoughts and needs": {"ru": "Мысли и потребности"}, "Emotions": {"ru": "Эмоции"},
    "Barriers and pains": {"ru": "Барьеры и боли"}, "Tools": {"ru": "Инструменты"},
    "Loyalty mechanics": {"ru": "Механики лояльности"}, "KPI": {"ru": "KPI"},
    "Touchpoints online": {"ru": "Точки контакта онлайн"}, "Touchpoints offline": {"ru": "Точки контакта офлайн"},
    "Touchpoint quality": {"ru": "Качество точек контакта"}, "Touchpoint importance": {"ru": "Важность точек контакта"},
    "Decision roles": {"ru": "Роли в принятии решения"}, "Decision-making roles": {"ru": "Роли в принятии решения"},
    "Role": {"ru": "Роль"}, "Concerns": {"ru": "Что важно"}, "Stages": {"ru": "Этапы"},
    "Journey stages": {"ru": "Этапы пути клиента"}, "Journey map": {"ru": "Карта пути клиента"},
    "Online": {"ru": "Онлайн"}, "Offline": {"ru": "Офлайн"}, "Planned": {"ru": "Планируется"},
    "mean": {"ru": "среднее"}, "of the total": {"ru": "от общего"},
    "Importance (share of QFD score)": {"ru": "Важность (доля балла QFD)"}, "Mean quality": {"ru": "Среднее качество"},
    "I = importance (QFD score), Q = quality on the scale {low}–{high}.":
        {"ru": "I — важность (балл QFD), Q — качество по шкале {low}–{high}."},
    "Q = quality on the scale {low}–{high}.": {"ru": "Q — качество по шкале {low}–{high}."},
    ("The journey runs through {stages} stages and {points} touchpoints: {online} online, {offline} offline, "
     "{planned} of them planned."):
        {"ru": "Путь клиента проходит {stages} этапов и {points} точек контакта: {online} онлайн, {offline} офлайн, "
               "из них {planned} планируются."},
    "The weakest stage by touchpoint quality is {stage}: {quality} on average.":
        {"ru": "Самый слабый этап по качеству точек контакта — «{stage}»: в среднем {quality}."},
    "{roles} decision-making roles take part in the purchase.": {"ru": "В решении о покупке участвуют ролей: {roles}."},
}


def methodology(params: Journey, locale: str) -> str:
    """Definitions behind the journey map."""
    from cjmgen.analyses.qfd import plain

    scale = f"{plain(params.quality_scale.min, locale)}–{plain(params.quality_scale.max, locale)}"
    if locale == "ru":
        return ("Этапы, строки-«дорожки» и точки контакта заданы в спецификации. Качество точки — средняя собственная "
                "оценка аудита точек контакта, если точка проверялась, иначе оценка качества из проекта (шкала "
                f"{scale}); качество этапа — среднее по его оценённым точкам. Важность точки — её балл QFD (см. главу о "
                "доме качества), важность этапа — сумма баллов его точек и её доля в общем балле. Цвет точки на карте — "
                "её статус «важность × качество».")
    return ("Stages, lanes and touchpoints come from the spec. A touchpoint's quality is its mean own audit score "
            f"(touchpoint audits) when audited, else the quality score given in the project (scale {scale}); a stage's quality is the "
            "mean over its assessed touchpoints. A touchpoint's importance is its QFD score (see the house-of-quality "
            "chapter); a stage's importance is the sum of its touchpoints' scores and that sum's share of the total. The "
            "colour of a touchpoint on the map is its importance × quality status.")
