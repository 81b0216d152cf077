"""QFD house of quality: hand-computed sums, a plain-Python second implementation, survey-derived weights, statuses."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmgen.analyses import qfd
from cjmgen.analyses import qfd_core as core
from cjmgen.analyses.base import Context
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import Facts
from cjmgen.spec.journey import Journey, Qfd
from cjmgen.spec.models import SpecBase

# 3 factors × 3 touchpoints, computed by hand:
#   t1 (stage a): f1 9 × 0.5 = 4.5, f2 3 × 0.3 = 0.9          → 5.4
#   t2 (stage b): every link weak: 0.5 + 0.3 + 0.2             → 1.0 (= Σ weights)
#   t3 (stage b, planned): f3 9 × 0.2 = 1.8                    → 1.8
#   total 8.2; shares 5.4/8.2, 1.0/8.2, 1.8/8.2; ranks t1 1, t3 2, t2 3
#   stages a 5.4, b 2.8; group G (f1, f3): weight 0.7, cells 4.5 + 0.5 + 0.2 + 1.8 = 7.0; f2 alone: 0.3, 1.2
SMALL = {
    "project": {"title": "QFD", "client": "Client"},
    "journey": {
        "stages": [{"id": "a", "name": "Stage A"}, {"id": "b", "name": "Stage B"}],
        "touchpoints": [
            {"id": "t1", "name": "Website", "stage": "a", "channel": "online", "quality": 3.0},
            {"id": "t2", "name": "Call centre", "stage": "b", "channel": "offline", "quality": 4.0},
            {"id": "t3", "name": "App", "stage": "b", "channel": "online", "status": "planned"},
        ],
    },
    "qfd": {
        "factors": [{"id": "f1", "name": "Speed", "group": "G", "weight": 0.5},
                    {"id": "f2", "name": "Price", "weight": 0.3},
                    {"id": "f3", "name": "Range", "group": "G", "weight": 0.2}],
        "links": {"t1": {"f1": 9, "f2": 3}, "t2": {"f1": 1, "f2": 1, "f3": 1}, "t3": {"f3": 9}},
        "stability": {"resamples": 50},
    },
}


def _run(spec: dict, tables: dict[str, pl.DataFrame] | None = None):
    parsed = SpecBase.model_validate(spec)
    ctx = Context(parsed, Facts(None, tables) if tables is not None else None)
    return qfd.compute(ctx, parsed.qfd), ctx


def test_hand_computed_matrix_scores_shares_ranks_and_totals():
    result, _ = _run(SMALL)
    points = {r["touchpoint"]: r for r in result.touchpoints.iter_rows(named=True)}
    assert {k: round(v["score"], 10) for k, v in points.items()} == {"t1": 5.4, "t2": 1.0, "t3": 1.8}
    assert points["t1"]["share"] == pytest.approx(5.4 / 8.2)
    assert points["t2"]["share"] == pytest.approx(1.0 / 8.2)
    assert {k: v["rank"] for k, v in points.items()} == {"t1": 1, "t3": 2, "t2": 3}
    assert result.touchpoints.columns[:6] == ["touchpoint", "name", "stage", "score", "share", "rank"]
    stages = dict(result.stages.select("stage", "score").iter_rows())
    assert stages == pytest.approx({"a": 5.4, "b": 2.8})
    groups = {r["group"]: (r["weight"], r["score"]) for r in result.groups.iter_rows(named=True)}
    assert groups["G"] == pytest.approx((0.7, 7.0))
    assert groups[core.NO_GROUP] == pytest.approx((0.3, 1.2))
    cell = result.matrix.filter((pl.col("factor") == "f1") & (pl.col("touchpoint") == "t1")).row(0, named=True)
    assert (cell["weight"], cell["strength"], cell["score"]) == (0.5, 9.0, 4.5)
    assert result.matrix.columns[:5] == ["factor", "touchpoint", "weight", "strength", "score"]
    assert result.matrix.height == 9
    assert result.top_touchpoints == ["Website", "App", "Call centre"]
    assert result.key_group == "G"
    assert result.total_score == pytest.approx(8.2)


def test_a_strong_link_of_weight_012_scores_108():
    spec = {**SMALL, "qfd": {"factors": [{"id": "fast", "name": "Fast", "weight": 0.12},
                                         {"id": "rest", "name": "Rest", "weight": 0.88}],
                             "links": {"t1": {"fast": 9}}}}
    result, _ = _run(spec)
    cell = result.matrix.filter((pl.col("factor") == "fast") & (pl.col("touchpoint") == "t1"))
    assert cell["score"][0] == pytest.approx(1.08)


def test_status_from_importance_and_quality_medians():
    result, _ = _run(SMALL)
    status = dict(result.status.select("touchpoint", "state").iter_rows())
    # existing: t1 (importance 5.4, quality 3), t2 (1.0, 4) → medians 3.2 and 3.5
    assert result.importance_threshold == pytest.approx(3.2)
    assert result.quality_threshold == pytest.approx(3.5)
    assert status == {"t1": "key_touchpoint", "t2": "works_effectively", "t3": "to_be_introduced"}


def test_spec_thresholds_and_audits_override():
    spec = {**SMALL, "qfd": {**SMALL["qfd"], "thresholds": {"importance": 0.5, "quality": 3.5}}}
    audits = pl.DataFrame({"touchpoint": ["t1", "t1", "t2", "t1", "ghost"], "score": [4.0, 5.0, 2.0, 1.0, 3.0],
                           "competitor": [None, None, None, "Rival", None]})
    result, _ = _run(spec, {"touchpoint_audits": audits})
    rows = {r["touchpoint"]: r for r in result.status.iter_rows(named=True)}
    assert rows["t1"]["quality"] == 4.5 and rows["t1"]["audits"] == 2  # own audits only; the competitor row is apart
    assert (rows["t1"]["competitor"], rows["t1"]["competitor_quality"]) == ("Rival", 1.0)
    assert rows["t2"]["quality"] == 2.0  # audits win over the spec's quality
    assert {k: v["state"] for k, v in rows.items()} == {
        "t1": "works_effectively", "t2": "key_touchpoint", "t3": "to_be_introduced"}
    assert result.unmatched_audits == 1


def test_normalize_rescales_and_reports_the_original_sum():
    spec = {**SMALL, "qfd": {**SMALL["qfd"], "normalize": True,
                             "factors": [{**f, "weight": f["weight"] * 2} for f in SMALL["qfd"]["factors"]]}}
    result, _ = _run(spec)
    assert result.normalized_from == pytest.approx(2.0)
    assert result.weights["weight"].sum() == pytest.approx(1.0)
    assert dict(result.touchpoints.select("touchpoint", "score").iter_rows())["t1"] == pytest.approx(5.4)


# --- a second, plain-Python implementation on random inputs -----------------------------------------------------

def _reference(weights: list[float], strengths: list[list[float]], stage_of: list[int]) -> tuple[list, list, list]:
    """Scores, shares and ranks with lists only: rank by score, ties by (stage, spec order)."""
    n = len(stage_of)
    scores = [sum(weights[f] * strengths[f][t] for f in range(len(weights))) for t in range(n)]
    total = sum(scores)
    shares = [s / total if total > 0 else 0.0 for s in scores]
    order = sorted(range(n), key=lambda t: (-round(scores[t], 9), stage_of[t], t))
    ranks = [0] * n
    for position, t in enumerate(order, start=1):
        ranks[t] = position
    return scores, shares, ranks


@st.composite
def houses(draw):
    n_factors = draw(st.integers(1, 6))
    n_points = draw(st.integers(1, 7))
    n_stages = draw(st.integers(1, 3))
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=n_factors, max_size=n_factors))
    weights = [w / sum(raw) for w in raw]
    strengths = draw(st.lists(st.lists(st.sampled_from([0, 1, 3, 9]), min_size=n_points, max_size=n_points),
                              min_size=n_factors, max_size=n_factors))
    stage_of = draw(st.lists(st.integers(0, n_stages - 1), min_size=n_points, max_size=n_points))
    return weights, strengths, stage_of, n_stages


def _models(weights, strengths, stage_of, n_stages, all_weak: int | None = None):
    journey = Journey(stages=[{"id": f"s{i}", "name": f"S{i}"} for i in range(n_stages)],
                      touchpoints=[{"id": f"t{t}", "name": f"T{t}", "stage": f"s{s}", "channel": "online"}
                                   for t, s in enumerate(stage_of)])
    links = {f"t{t}": {f"f{f}": (1 if t == all_weak else strengths[f][t]) for f in range(len(weights))}
             for t in range(len(stage_of))}
    house = Qfd(factors=[{"id": f"f{f}", "name": f"F{f}", "weight": w} for f, w in enumerate(weights)],
                links=links, stability={"resamples": 50})
    return journey, house


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(houses())
def test_polars_matches_plain_python(house):
    weights, strengths, stage_of, n_stages = house
    journey, model = _models(weights, strengths, stage_of, n_stages, all_weak=0)
    strengths = [[1 if t == 0 else row[t] for t in range(len(stage_of))] for row in strengths]
    ev = core.evaluate(journey, model, {}, {})
    got = {r["touchpoint"]: r for r in ev.scores.iter_rows(named=True)}
    scores, shares, ranks = _reference(weights, strengths, stage_of)
    for t in range(len(stage_of)):
        assert got[f"t{t}"]["score"] == pytest.approx(scores[t], abs=1e-12)
        assert got[f"t{t}"]["share"] == pytest.approx(shares[t], abs=1e-12)
        assert got[f"t{t}"]["rank"] == ranks[t]
    assert got["t0"]["score"] == pytest.approx(1.0)  # a column of all-weak links sums to Σ weights = 1
    assert ev.scores["share"].sum() == pytest.approx(1.0)
    assert sorted(ev.scores["rank"].to_list()) == list(range(1, len(stage_of) + 1))


# --- weights from a survey -------------------------------------------------------------------------------------

def _survey(n: int, betas: list[float], seed: int = 7, noise: float = 0.5) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(betas)))
    y = x @ np.array(betas) + rng.normal(scale=noise, size=n)
    data = {f"f{i}": x[:, i] for i in range(len(betas))}
    return pl.DataFrame({"respondent_id": [str(i) for i in range(n)], **data, "overall": y})


def _survey_qfd(n_factors: int, **extra) -> Qfd:
    return Qfd(factors=[{"id": f"f{i}", "name": f"F{i}"} for i in range(n_factors)],
               weights_from={"source": "survey", "target": "overall"}, stability={"resamples": 60, "seed": 1}, **extra)


def test_survey_weights_recover_known_coefficients():
    betas = [0.6, 0.3, 0.15, -0.15]
    survey = _survey(3000, betas)
    weights = core.survey_weights(survey, _survey_qfd(4), "survey.csv")
    table = weights.table
    # standardized β = β · sd(x) / sd(y); with independent unit-variance x, sd(y)² = Σβ² + σ²
    sd_y = np.sqrt(sum(b * b for b in betas) + 0.25)
    expected = np.array(betas) / sd_y
    assert table["beta"].to_numpy() == pytest.approx(expected, abs=0.03)
    assert np.all(table["beta_low"].to_numpy() <= expected + 0.01) and np.all(expected - 0.01 <= table["beta_high"].to_numpy())
    assert table["weight"].to_numpy() == pytest.approx(np.abs(betas) / np.abs(betas).sum(), abs=0.02)
    assert table["weight"].sum() == pytest.approx(1.0)
    assert np.all(table["weight_low"].to_numpy() <= table["weight"].to_numpy())
    assert np.all(table["weight"].to_numpy() <= table["weight_high"].to_numpy())
    assert weights.facts["negative_factors"] == ["F3"]
    assert weights.facts["respondents"] == 3000


def test_survey_rows_with_a_missing_rating_are_dropped_and_columns_map_by_factor_column():
    survey = _survey(200, [0.5, 0.5]).rename({"f0": "Скорость"})
    survey = survey.with_columns(pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("f1")).alias("f1"))
    model = Qfd(factors=[{"id": "f0", "name": "Speed", "column": "Скорость"}, {"id": "f1", "name": "Price"}],
                weights_from={"source": "survey", "target": "overall"}, stability={"resamples": 50})
    weights = core.survey_weights(survey, model, "survey.csv")
    assert (weights.facts["respondents"], weights.facts["dropped_answers"]) == (195, 5)


def test_survey_without_a_factor_column_is_a_user_error():
    with pytest.raises(UserError) as caught:
        core.survey_weights(_survey(50, [0.5, 0.5]), _survey_qfd(3), "data/survey.csv")
    assert str(caught.value) == ("data/survey.csv: qfd.weights_from: survey has no column 'f2'; columns found: "
                                 "respondent_id, f0, f1, overall")


def test_rank_stability_of_a_clear_leader_is_certain():
    strengths = np.array([[9, 1, 0], [9, 0, 1]], dtype=float)
    samples = np.array([[0.6, 0.4], [0.5, 0.5], [0.7, 0.3]])
    out = core.rank_stability(samples, strengths, np.array([1, 2, 3]), top=1)
    assert out["share"] == 1.0
    assert list(out["top_share"]) == [1.0, 0.0, 0.0]


def test_survey_weights_flow_through_compute():
    spec = {**SMALL, "sources": {"survey": {"path": "survey.csv"}},
            "qfd": {"factors": [{"id": f"f{i}", "name": f"F{i}"} for i in range(3)],
                    "weights_from": {"source": "survey", "target": "overall"},
                    "links": {"t1": {"f0": 9}, "t2": {"f1": 9}, "t3": {"f2": 9}},
                    "stability": {"resamples": 80, "top": 1}}}
    result, ctx = _run(spec, {"survey": _survey(400, [0.7, 0.2, 0.1])})
    assert result.weights_source == "survey"
    assert result.top_touchpoints[0] == "Website"
    assert 0 <= result.stability_share <= 1
    assert {"beta", "beta_low", "beta_high", "weight_low", "weight_high"} <= set(result.weights.columns)
    assert "`overall`" in _methodology(ctx.spec.qfd, "en") and "бутстреп" in _methodology(ctx.spec.qfd, "ru")


def _methodology(params, locale: str) -> str:
    from cjmgen.render.html import environment

    return environment(None).get_template(f"methodology/qfd.{locale}.md").render(params=params, locale=locale)


def test_charts_fit_an_a4_page():
    from cjmgen.charts import qfd as qfd_charts
    from cjmgen.render.svg import chart_spec

    result, ctx = _run(SMALL)
    charts = qfd_charts.charts(result, Theme(ctx.locale))
    assert set(charts) == {"qfd_heatmap", "qfd_weights", "qfd_ranking", "traffic_map", "importance_quality"}
    for name, chart in charts.items():
        spec = chart_spec(chart, "#1f4e79", ctx.locale)
        width = spec.get("width", 0)
        assert isinstance(width, (int, float)) and width <= 760, name
        assert spec["config"]["view"]["stroke"] is None


def test_survey_columns_named_in_the_spec_are_checked_and_located_before_compute(tmp_path):
    from cjmgen import api
    from cjmgen.errors import UserError

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "survey.csv").write_text("respondent_id,f1,overall\n1,3,4\n2,4,5\n", encoding="utf-8")
    spec = tmp_path / "project.yaml"
    spec.write_text(
        "project: {title: T, client: C}\n"
        "sources:\n  survey: {path: data/survey.csv}\n"
        "journey:\n  stages: [{id: s, name: S}]\n  touchpoints: [{id: site, name: Site, stage: s, channel: online}]\n"
        "qfd:\n  weights_from: {source: survey, target: overal}\n"
        "  factors: [{id: f1, name: F1}, {id: f2, name: F2, column: rating_f2}]\n"
        "  links: {site: {f1: 9, f2: 3}}\n"
        "analyses:\n  survey: {ratings: [f1, nps]}\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        api.build(spec, tmp_path / "out")
    got = [str(p).split("project.yaml:")[1] for p in caught.value.problems]
    lines = spec.read_text().splitlines()

    def at(line_no: int, text: str) -> str:
        return f"{line_no}:{lines[line_no - 1].index(text) + 1}"

    assert got == [
        f"{at(8, 'overal')}: qfd.weights_from.target: qfd needs survey.overal; the spec maps no such column and "
        "data/survey.csv has none",
        f"{at(9, 'rating_f2')}: qfd.factors[1].column: qfd needs survey.rating_f2; the spec maps no such column and "
        "data/survey.csv has none",
        f"{at(12, 'nps')}: analyses.survey.ratings[1]: survey needs survey.nps; the spec maps no such column and "
        "data/survey.csv has none",
    ]


# --- layout of the maps ------------------------------------------------------------------------------------------

def test_traffic_map_shows_every_name_whole_inside_its_tile():
    from cjmgen.charts import qfd_map
    from cjmgen.charts.qfd_common import line_count

    long = {**SMALL, "journey": {**SMALL["journey"], "touchpoints": [
        {**t, "name": "Утренний приём и вечерняя встреча с воспитателем группы"} if t["id"] == "t1" else t
        for t in SMALL["journey"]["touchpoints"]]}}
    result, _ = _run(long)
    spec = qfd_map.traffic_map(result, Theme("ru")).to_dict()
    tiles = next(layer["data"]["values"] for layer in spec["layer"] if layer["mark"]["type"] == "text"
                 and layer["data"]["values"] and "yt" in layer["data"]["values"][0])
    for tile in tiles:
        assert "…" not in tile["text"]
        assert tile["y"] <= tile["yt"] and tile["yt"] + line_count(tile["text"]) * qfd_map.TILE_LINE <= tile["y2"]
    assert any(t["text"].replace("\n", " ") == "Утренний приём и вечерняя встреча с воспитателем группы" for t in tiles)


def test_quadrant_labels_keep_off_the_threshold_lines():
    from cjmgen.charts.qfd_map import QUADRANT, _extent, place_labels

    # points hugging a vertical threshold at quality 3: a label running right of the left point would cross it
    rows = [{"quality": 2.9, "importance": 1.0, "label": "A long touchpoint name"},
            {"quality": 3.1, "importance": 1.0, "label": "Another long name"}]
    line = (280.0 - 2, 0.0, 280.0 + 2, QUADRANT[1])  # quality 3 on a 1–5 axis 560 px wide
    placed = place_labels(rows, ((1.0, 5.0), (0.0, 2.0)), QUADRANT, [line])
    for p in placed:
        px = (p["quality"] - 1) / 4 * QUADRANT[0]
        width = _extent(p["label"])[0]
        x0 = px + p["dx"] if p["align"] == "left" else (px + p["dx"] - width if p["align"] == "right" else px - width / 2)
        assert x0 + width <= line[0] or x0 >= line[2], p
