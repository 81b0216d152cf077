"""QFD "house of quality" (METHODS §10): factor weights × link strengths rank the touchpoints; importance × quality."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cjmgen.analyses import qfd_core as core
from cjmgen.analyses.base import Context, localized
from cjmgen.analyses.base import LegacyResult as Result
from cjmgen.spec.journey import Qfd

name = "qfd"
title = {"en": "Touchpoint priorities: house of quality", "ru": "Приоритеты точек контакта: дом качества"}
Params = None
spec_block = "qfd"
needs: dict[str, tuple[str, ...]] = {}

LANDSCAPE_FROM = 15
"""From this many touchpoints the house-of-quality heatmap gets a landscape page of its own."""


def needs_for(params: Qfd) -> list[tuple[tuple, str, str]]:
    """With weights from a survey: the target and each factor's rating column, located at their keys."""
    if params.weights_from is None:
        return []
    source = params.weights_from.source
    wanted = [(("weights_from", "target"), source, params.weights_from.target)]
    wanted += [(("factors", i, "column" if f.column else "id"), source, f.column or f.id)
               for i, f in enumerate(params.factors)]
    return wanted


def compute(ctx: Context, params: Qfd) -> Result:
    """Weights, matrix, touchpoint ranking with rank stability, stage and group totals, touchpoint status."""
    spec = ctx.spec
    tables_in = ctx.facts.tables if ctx.facts is not None else {}
    ev = core.evaluate(spec.journey, params, tables_in, {k: str(s.path) for k, s in spec.sources.items()})
    stability = core.rank_stability(ev.weights.samples, core.strength_array(ev.matrix, ev.points),
                                    ev.scores.sort("stage_order", "order")["rank"].to_numpy(), params.stability.top)
    scores = _with_stability(ev.scores, stability)
    groups = core.group_totals(ev.matrix)
    tables = {
        "qfd_weights": ev.weights.table.drop("order"),
        "qfd_matrix": ev.matrix.select("factor", "touchpoint", "weight", "strength", "score", "group", "stage"),
        "qfd_touchpoints": scores.select("touchpoint", "name", "stage", "score", "share", "rank", "stage_name", "channel",
                                         "status", "top_share", "rank_low", "rank_high"),
        "qfd_stages": core.stage_totals(ev.scores),
        "touchpoint_status": ev.status.sort("rank").select(
            "touchpoint", "name", "stage", "stage_name", "channel", "status", "importance", "rank", "quality", "audits",
            "competitor", "competitor_quality", "state"),
    }
    if (groups["group"] != core.NO_GROUP).any():
        tables["qfd_groups"] = groups
    facts = {**_ranking_facts(scores, params), **_factor_facts(ev.weights.table, groups), **ev.weights.facts,
             **_status_facts(ev.status), **ev.status_facts, "weights_source": ev.weights.source,
             # with no more touchpoints than the top group, "the top stays the top" says nothing
             "stability_share": stability["share"] if ev.points.height > params.stability.top else None,
             "stability_resamples": stability["resamples"],
             "stability_top": min(params.stability.top, ev.points.height),
             "stability_method": "bootstrap" if ev.weights.source == "survey" else "jitter",
             "jitter": params.stability.jitter, "unmatched_audits": ev.unmatched_audits}
    return Result(name, tables, facts)


def _with_stability(scores: pl.DataFrame, stability: dict[str, Any]) -> pl.DataFrame:
    """Attach each touchpoint's share of resamples in the top group and its 5–95% rank range (map order arrays)."""
    mapped = scores.sort("stage_order", "order")
    if stability["resamples"] == 0:
        extra = [pl.lit(None, pl.Float64).alias("top_share"), pl.lit(None, pl.Int64).alias("rank_low"),
                 pl.lit(None, pl.Int64).alias("rank_high")]
    else:
        extra = [pl.Series("top_share", stability["top_share"], pl.Float64),
                 pl.Series("rank_low", np.asarray(stability["rank_low"]), pl.Int64),
                 pl.Series("rank_high", np.asarray(stability["rank_high"]), pl.Int64)]
    return mapped.with_columns(extra).sort("rank")


def _ranking_facts(scores: pl.DataFrame, params: Qfd) -> dict[str, Any]:
    top = scores.head(min(params.stability.top, scores.height))
    stages = scores.group_by("stage_name").agg(pl.col("share").sum(), pl.col("stage_order").first()).sort(
        ["share", "stage_order"], descending=[True, False])
    return {"touchpoints": scores.height, "matrix_landscape": scores.height >= LANDSCAPE_FROM,
            "total_score": float(scores["score"].sum()),
            "top_touchpoints": top["name"].to_list(), "top_touchpoints_share": float(top["share"].sum()),
            "key_stage": stages["stage_name"][0], "key_stage_share": float(stages["share"][0])}


def _factor_facts(weights: pl.DataFrame, groups: pl.DataFrame) -> dict[str, Any]:
    ranked = weights.sort(["weight", "order"], descending=[True, False]).head(3)
    shared = ranked["group"].unique().to_list()
    has_groups = bool((groups["group"] != core.NO_GROUP).any())
    key = groups.filter(pl.col("group") != core.NO_GROUP).sort("weight", descending=True, maintain_order=True).head(1)
    return {"factors": weights.height, "top_factors": ranked["name"].to_list(),
            "top_factors_weight": float(ranked["weight"].sum()),
            "top_factors_group": shared[0] if len(shared) == 1 and shared[0] != core.NO_GROUP and ranked.height > 1 else None,
            "has_groups": has_groups, "key_group": key["group"][0] if has_groups else None,
            "key_group_weight": float(key["weight"][0]) if has_groups else None,
            "key_group_share": float(key["share"][0]) if has_groups else None,
            "weight_sum": float(weights["weight"].sum())}


def _status_facts(status: pl.DataFrame) -> dict[str, Any]:
    counts = dict(status.group_by("state").len().iter_rows())
    by_rank = status.sort("rank")
    names = {s: by_rank.filter(pl.col("state") == s)["name"].to_list() for s in core.STATUSES}
    return {"status_names": core.STATUS_NAMES, "status_counts": {s: counts.get(s, 0) for s in core.STATUSES},
            "key_touchpoints": names["key_touchpoint"],
            "improve_touchpoints": names["needs_improvement"], "planned_touchpoints": names["to_be_introduced"],
            "unassessed_touchpoints": names["not_assessed"], "audited": bool((status["audits"] > 0).any()),
            "has_quality": bool(status["quality"].is_not_null().any())}


def charts(result: Result, ctx: Context) -> dict[str, Any]:
    """House-of-quality heatmap, weights, ranked scores, importance × quality quadrant and the traffic map."""
    from cjmgen.analyses import qfd_charts as qc

    t = localized(LABELS, ctx.locale)
    width = qc.LANDSCAPE_WIDTH if result.facts["matrix_landscape"] else qc.MAX_WIDTH
    out = {"qfd_heatmap": qc.heatmap(result, ctx.spec.journey, t, width), "qfd_weights": qc.weights(result, t),
           "qfd_ranking": qc.ranking(result, ctx.spec.journey, t),
           "traffic_map": qc.traffic_map(result, ctx.spec.journey, t)}
    if result.facts["has_quality"]:
        out["importance_quality"] = qc.quadrant(result, ctx.spec.journey.quality_scale, t)
    return {key: qc.finish(chart, ctx.locale) for key, chart in out.items()}


LABELS: dict[str, dict[str, str]] = {
    "Works effectively": {"ru": "Работает эффективно"},
    "Key touchpoint: needs attention": {"ru": "Ключевая точка: требует внимания"},
    "Needs improvement": {"ru": "Требует доработки"},
    "To be introduced": {"ru": "Планируется к внедрению"},
    "Quality not assessed": {"ru": "Качество не оценено"},
    "Touchpoint": {"ru": "Точка контакта"}, "Touchpoints": {"ru": "Точки контакта"}, "Stage": {"ru": "Этап"},
    "Factor": {"ru": "Фактор"}, "Group": {"ru": "Группа"}, "Weight": {"ru": "Вес"}, "Score": {"ru": "Балл"},
    "Share": {"ru": "Доля"}, "Rank": {"ru": "Ранг"}, "Status": {"ru": "Статус"}, "Channel": {"ru": "Канал"},
    "Importance": {"ru": "Важность"}, "Quality": {"ru": "Качество"}, "Factors": {"ru": "Факторы"},
    "Online": {"ru": "Онлайн"}, "Offline": {"ru": "Офлайн"}, "Other factors": {"ru": "Прочие факторы"},
    "Touchpoint score": {"ru": "Балл точки"}, "Weight of factor": {"ru": "Вес фактора"},
    "Top touchpoint": {"ru": "Лидер этапа"}, "Competitor": {"ru": "Конкурент"}, "Audits": {"ru": "Аудитов"},
    "Importance (QFD score)": {"ru": "Важность (балл QFD)"}, "Quality score": {"ru": "Оценка качества"},
    "In top group": {"ru": "В топе"}, "Rank range": {"ru": "Диапазон ранга"},
    "{level} interval of β": {"ru": "{level}-интервал β"}, "{level} interval of the weight": {"ru": "{level}-интервал веса"},
    "Total": {"ru": "Итого"},
    "Choice factors and their weights": {"ru": "Факторы выбора и их веса"},
    "House of quality: factor weight × link strength": {"ru": "Дом качества: вес фактора × сила связи"},
    "Touchpoint ranking": {"ru": "Рейтинг точек контакта"},
    "Totals by journey stage": {"ru": "Итоги по этапам пути клиента"},
    "Totals by factor group": {"ru": "Итоги по группам факторов"},
    "Importance × quality": {"ru": "Важность × качество"},
    "Traffic map of the journey": {"ru": "Светофор пути клиента"},
    "Touchpoint status": {"ru": "Статус точек контакта"},
    "Weights derived from the survey": {"ru": "Веса рассчитаны по опросу"},
    "The key factors are all about {group}: {factors} carry {weight} of the total weight.":
        {"ru": "Ключевые факторы относятся к группе «{group}»: {factors} — {weight} общего веса."},
    "The key factors are {factors}; together they carry {weight} of the total weight.":
        {"ru": "Ключевые факторы: {factors}; вместе — {weight} общего веса."},
    "The strongest factor group is {group}: {weight} of the weight and {share} of all touchpoint scores.":
        {"ru": "Самая весомая группа факторов — «{group}»: {weight} веса и {share} суммы баллов точек."},
    "The top touchpoints are {names}; together they carry {share} of the total score.":
        {"ru": "Наиболее важные точки контакта: {names}; вместе — {share} суммарного балла."},
    "By stage, {stage} carries the largest share of the score: {share}.":
        {"ru": "Наибольшая доля балла приходится на этап «{stage}»: {share}."},
    "Pale bars are planned touchpoints.": {"ru": "Бледные столбцы — планируемые точки контакта."},
    "The top {k} stay the top {k} in {share} of {n} resampled weight sets (bootstrap over respondents).":
        {"ru": "Топ-{k} остаётся тем же в {share} из {n} пересчётов весов (бутстреп по респондентам)."},
    "The top {k} stay the top {k} in {share} of {n} weight sets with each weight moved by up to ±{jitter}.":
        {"ru": "Топ-{k} остаётся тем же в {share} из {n} наборов весов, где каждый вес изменён до ±{jitter}."},
    ("Weights are normalized absolute standardized regression coefficients of {target} on the factor ratings "
     "({n} respondents, R² = {r2})."):
        {"ru": "Веса — нормированные модули стандартизованных коэффициентов регрессии {target} на оценки факторов "
               "({n} респондентов, R² = {r2})."},
    "A higher rating of these factors goes with a lower {target}; they count by the size of their effect: {names}.":
        {"ru": "Рост оценки этих факторов связан со снижением {target}; они учтены по величине эффекта: {names}."},
    "The weights in the spec summed to {total}; they were rescaled to sum to 1.":
        {"ru": "Веса в спецификации давали в сумме {total}; они пересчитаны к сумме 1."},
    "Key touchpoints (important, quality below the threshold) come first: {names}.":
        {"ru": "В первую очередь — ключевые точки (важные, качество ниже порога): {names}."},
    "Still to introduce: {names}.": {"ru": "Ещё предстоит внедрить: {names}."},
    "High importance: score ≥ {i} ({i_rule}); high quality: score ≥ {q} ({q_rule}).":
        {"ru": "Высокая важность: балл ≥ {i} ({i_rule}); высокое качество: оценка ≥ {q} ({q_rule})."},
    "median of existing touchpoints": {"ru": "медиана существующих точек"}, "set in the spec": {"ru": "задано в спецификации"},
    "{n} audit rows name touchpoints the journey does not have and were ignored.":
        {"ru": "Строк аудита с неизвестными точками контакта: {n}; они не учтены."},
    "No touchpoint has a quality score yet: add `quality` to touchpoints or a touchpoint_audits source.":
        {"ru": "Ни у одной точки нет оценки качества: добавьте `quality` точкам или источник touchpoint_audits."},
    "Best competitor": {"ru": "Лучший конкурент"},
}


def methodology(params: Qfd, locale: str) -> str:
    """Definitions of the QFD chapter: weights, cells, scores, ranks, stability and statuses."""
    ru = locale == "ru"
    scale = ("; " if ru else ", ").join(plain(v, locale) for v in params.scale)
    st = params.stability
    parts = [_weights_text(params, ru)]
    if ru:
        parts.append(f"**Матрица.** Сила связи фактора и точки контакта — по шкале {scale} (не указана — 0). Балл ячейки = "
                     "вес × сила; балл точки = сумма столбца; доля = балл точки / сумма баллов всех точек; ранг 1 — наибольший "
                     "балл, при равенстве — порядок на карте (этап, затем порядок в спецификации). Итог этапа = сумма баллов его "
                     "точек; вес группы = сумма весов её факторов; балл группы = сумма её ячеек.")
        how = ("веса пересчитаны на бутстреп-выборках респондентов" if params.weights_from else
               f"каждый вес умножен на независимый равномерный множитель из "
               f"[{plain(1 - st.jitter, locale)}; {plain(1 + st.jitter, locale)}] и наборы "
               "приведены к той же сумме")
        parts.append(f"**Устойчивость рейтинга.** {st.resamples} наборов весов (seed {st.seed}): {how}. Показано, в какой доле "
                     f"наборов топ-{st.top} совпадает с исходным, а для каждой точки — доля наборов, где она в топ-{st.top}, "
                     "и 5–95-й перцентили её ранга.")
        parts.append("**Важность × качество.** Важность — балл QFD. Качество — средняя собственная оценка аудита (строки "
                     "аудитов точек контакта без конкурента), если точка проверялась, иначе оценка качества из проекта; обе — в "
                     "шкале качества карты пути. Порог важности и порог качества — " + _rule_text(params, True) + ". Статус: "
                     "планируемая точка — «планируется к внедрению»; нет оценки — «качество не оценено»; качество не ниже "
                     "порога — «работает эффективно» (при низкой важности это может означать избыточные вложения); качество "
                     "ниже порога при высокой важности — «ключевая точка, требует внимания» (первый приоритет); при низкой "
                     "важности — «требует доработки». Качество конкурента — средняя оценка лучшего конкурента по этой точке.")
    else:
        parts.append(f"**Matrix.** Each factor × touchpoint link has a strength on the scale {scale} (unlisted = 0). Cell "
                     "score = weight × strength; touchpoint score = column sum; share = touchpoint score / sum over all "
                     "touchpoints; rank 1 = highest score, ties broken by map order (stage, then spec order). Stage total = "
                     "sum of its touchpoints' scores; group weight = sum of its factors' weights; group score = sum of its cells.")
        how = ("the weights are re-estimated on bootstrap resamples of respondents" if params.weights_from else
               f"each weight is multiplied by an independent uniform factor in "
               f"[{plain(1 - st.jitter, locale)}, {plain(1 + st.jitter, locale)}] and "
               "the set rescaled to the same sum")
        parts.append(f"**Rank stability.** {st.resamples} weight sets (seed {st.seed}): {how}. Reported: the share of sets "
                     f"whose top {st.top} is the same set as with the base weights; per touchpoint, the share of sets "
                     f"placing it in the top {st.top} and the 5th–95th percentile of its rank.")
        parts.append("**Importance × quality.** Importance = the QFD touchpoint score. Quality = the mean own audit score "
                     "(touchpoint audit rows without a competitor) when the touchpoint was audited, else the quality score "
                     "given in the project; both on the journey's quality scale. The importance and quality thresholds are "
                     + _rule_text(params, False) + ". Status: planned → to be introduced; no quality score → quality not "
                     "assessed; quality at or above the threshold → works effectively (at low importance this may signal "
                     "over-investment); quality below the threshold and high importance → key touchpoint, needs attention "
                     "(first priority); low importance → needs improvement. Competitor quality = the mean audit score of the "
                     "best-scoring competitor on that touchpoint.")
    return "\n\n".join(parts)


def plain(value: float, locale: str) -> str:
    """A spec number inside methodology prose: 0.8, or 0,8 in Russian."""
    text = f"{value:g}"
    return text.replace(".", ",") if locale == "ru" else text


def _rule_text(params: Qfd, ru: bool) -> str:
    """The two thresholds in words: a number from the spec, or the median over existing touchpoints."""
    words = {"importance": ("the median score of existing touchpoints", "медиана балла существующих точек"),
             "quality": ("the median quality of existing touchpoints", "медиана качества существующих точек")}
    given = {key: getattr(params.thresholds, key) for key in words}
    parts = [plain(given[k], "ru" if ru else "en") if given[k] is not None else words[k][ru] for k in words]
    if ru:
        return f"{parts[0]} и {parts[1]} (значение не ниже порога считается высоким)"
    return f"{parts[0]} and {parts[1]} (a value at or above its threshold counts as high)"


def _weights_text(params: Qfd, ru: bool) -> str:
    wf = params.weights_from
    if wf is None:
        rescaled = ""
        if params.normalize:
            rescaled = " Веса пересчитаны к сумме 1." if ru else " They are rescaled to sum to 1."
        return (f"**Веса факторов** заданы в спецификации и в сумме дают 1.{rescaled}" if ru else
                f"**Factor weights** are given in the spec and sum to 1.{rescaled}")
    conf = f"{wf.confidence:.0%}"
    if ru:
        return (f"**Веса факторов** рассчитаны по опросу (источник {wf.source}). Целевая переменная `{wf.target}` и оценки "
                "факторов (столбец опроса с id фактора или заданный для фактора) стандартизованы (z-оценки) по респондентам с полными "
                "ответами; анкеты с пропусками исключены. Регрессия МНК целевой переменной на оценки даёт стандартизованные "
                "коэффициенты β; вес = |β| / Σ|β|, так что веса в сумме дают 1. Отрицательный β учитывается по модулю и "
                f"называется в главе. Интервалы: {conf} t-интервалы для β; для весов — перцентильные интервалы по "
                f"{params.stability.resamples} бутстреп-выборкам респондентов.")
    return (f"**Factor weights** are derived from the survey (source {wf.source}). The target `{wf.target}` and each factor "
            "rating (the survey column named by the factor id, or the one set for the factor) are standardized (z-scores) over respondents with "
            "complete answers; answers missing any of them are dropped. An ordinary-least-squares regression of the target "
            "on the ratings gives standardized coefficients β; weight = |β| / Σ|β|, so the weights sum to 1. A negative β "
            f"counts by its size and is named in the chapter. Intervals: {conf} t-intervals for β; for the weights, "
            f"percentile intervals over {params.stability.resamples} bootstrap resamples of respondents.")
