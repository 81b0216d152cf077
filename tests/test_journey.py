"""Journey spec validation (exact messages with file:line:col), the journey chapter, maturity, matrices, survey, examples."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from cjmgen import api
from cjmgen.analyses import ANALYSES, journey, matrices, maturity, params_of, survey
from cjmgen.analyses.base import Context
from cjmgen.charts import chart_module
from cjmgen.charts.maturity import radar_points
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import Facts, build_facts
from cjmgen.spec.loader import load_spec
from cjmgen.spec.models import SpecBase

FIXTURES = Path(__file__).parent / "fixtures" / "journey"
CASES = sorted(FIXTURES.glob("*.yaml"))
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _messages(name: str) -> list[str]:
    with pytest.raises(UserError) as caught:
        load_spec(Path(name), params={})
    return [str(p) for p in caught.value.problems]


def test_the_four_classic_mistakes_word_for_word(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(FIXTURES)
    assert _messages("unknown_stage.yaml")[0] == (
        "unknown_stage.yaml:11:42: journey.touchpoints[0].stage: unknown stage 'nede'; did you mean 'need'?")
    assert _messages("strength_off_scale.yaml") == [
        "strength_off_scale.yaml:11:18: qfd.links.site.fast: expected a strength on the scale 0, 1, 3, 9, got 5"]
    assert _messages("weights_sum.yaml") == [
        "weights_sum.yaml:8:5: qfd.factors: factor weights sum to 0.9; expected 1 ± 0.01 "
        "(or set qfd.normalize: true to rescale them)"]
    assert _messages("duplicate_ids.yaml") == [
        "duplicate_ids.yaml:5:12: journey.stages[1].id: duplicate stage id 'need'; first used at journey.stages[0]",
        "duplicate_ids.yaml:8:12: journey.touchpoints[1].id: duplicate touchpoint id 'site'; first used at journey.touchpoints[0]",
        "duplicate_ids.yaml:12:12: qfd.factors[1].id: duplicate factor id 'fast'; first used at qfd.factors[0]"]


@pytest.mark.parametrize("spec", CASES, ids=[p.stem for p in CASES])
def test_invalid_journey_specs(spec: Path, monkeypatch: pytest.MonkeyPatch):
    """Each <case>.yaml has <case>.expected; regenerate after reading: CJMGEN_REGEN_EXPECTED=1 pytest tests/test_journey.py"""
    monkeypatch.chdir(FIXTURES)
    got = "\n".join(_messages(spec.name)) + "\n"
    expected = spec.with_suffix(".expected")
    if os.environ.get("CJMGEN_REGEN_EXPECTED"):
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


MAP = {
    "project": {"title": "Map", "client": "Client"},
    "journey": {
        "stages": [{"id": "need", "name": "Need"}, {"id": "deal", "name": "Deal"}, {"id": "use", "name": "Use"}],
        "lanes": {"thoughts": {"need": "Who?", "use": "Works?"}, "kpi": {"deal": "Conversion"},
                  "custom": [{"name": "Content", "cells": {"deal": "Case studies"}}]},
        "roles": [{"id": "boss", "name": "Director", "stages": ["use", "deal"]}],
        "touchpoints": [
            {"id": "site", "name": "Website", "stage": "need", "channel": "online", "quality": 3.0},
            {"id": "call", "name": "Call", "stage": "deal", "channel": "offline", "quality": 4.0},
            {"id": "visit", "name": "Visit", "stage": "deal", "channel": "offline", "quality": 2.0},
            {"id": "app", "name": "App", "stage": "use", "channel": "online", "status": "planned"},
        ],
    },
}


def _compute(spec: dict, module=journey):
    parsed = SpecBase.model_validate(spec)
    ctx = Context(parsed, None)
    return module.compute(ctx, params_of(module, parsed)), ctx


def test_journey_without_data_or_qfd():
    result, _ = _compute(MAP)
    stages = result.stages
    assert stages["stage"].to_list() == ["need", "deal", "use"]
    assert stages["touchpoints"].to_list() == [1, 2, 1]
    assert stages["offline"].to_list() == [0, 2, 0] and stages["planned"].to_list() == [0, 0, 1]
    assert stages["quality"].to_list() == [3.0, 3.0, None]
    assert stages["importance"].null_count() == 3
    assert result.weakest_stage == "Need"  # ties by map order
    lanes = result.lanes
    assert lanes.select("lane", "stage").rows() == [("thoughts", "need"), ("thoughts", "use"), ("kpi", "deal"), ("custom_1", "deal")]
    assert result.roles.select("role", "stage").rows() == [("boss", "deal"), ("boss", "use")]
    states = dict(result.touchpoints.select("touchpoint", "state").iter_rows())
    assert states == {"site": None, "call": None, "visit": None, "app": "to_be_introduced"}


def test_journey_with_qfd_has_importance_per_stage():
    spec = {**MAP, "qfd": {"factors": [{"id": "f", "name": "F", "weight": 1.0}],
                           "links": {"site": {"f": 9}, "call": {"f": 3}, "visit": {"f": 1}},
                           "thresholds": {"importance": 3, "quality": 3.5}}}
    result, _ = _compute(spec)
    stages = result.stages
    assert stages["importance"].to_list() == pytest.approx([9.0, 4.0, 0.0])
    assert stages["importance_share"].sum() == pytest.approx(1.0)
    states = dict(result.touchpoints.select("touchpoint", "state").iter_rows())
    assert states == {"site": "key_touchpoint", "call": "works_effectively", "visit": "needs_improvement",
                      "app": "to_be_introduced"}


def test_maturity_radar_polygon_and_facts():
    spec = {**MAP, "maturity": {"scale": {"min": 0, "max": 4}, "dimensions": [
        {"id": "a", "name": "A", "score": 4, "target": 4}, {"id": "b", "name": "B", "score": 2, "target": 4},
        {"id": "c", "name": "C", "score": 1, "target": 2}, {"id": "d", "name": "D", "score": 0}]}}
    result, ctx = _compute(spec, maturity)
    assert result.weakest == "D" and result.largest_gap == "B"
    points = radar_points([4, 2, 1, 0], 0, 4)
    assert points[0] == pytest.approx((0.0, 1.0))        # top
    assert points[1] == pytest.approx((0.5, 0.0))        # right, half way
    assert points[2] == pytest.approx((0.0, -0.25))      # bottom
    assert points[3] == pytest.approx((0.0, 0.0))        # centre
    radar = chart_module("maturity").charts(result, Theme(ctx.locale))["maturity_radar"].to_dict()
    assert radar["width"] == radar["height"] <= 700


def test_matrices_are_tables_with_the_spec_headers():
    spec = {**MAP, "matrices": [{"id": "triggers", "title": "Triggers", "columns": ["Segment", "Timing"],
                                 "rows": [["Champions", 30], ["Sleeping", "Day 90"]]}]}
    result, _ = _compute(spec, matrices)
    assert result.exported_tables()["matrix_triggers"].rows() == [("Champions", "30"), ("Sleeping", "Day 90")]


@pytest.mark.parametrize("folder", ["b2b-distributor", "kindergarten"])
def test_examples_validate_and_compute(folder: str):
    loaded = api.validate(EXAMPLES / folder / "project.yaml")
    sources = api.read_sources(loaded)
    facts = build_facts({t: s.frame for t, s in sources.items()}, None) if sources else None
    ctx = Context(loaded.spec, facts)
    for name in api.enabled_analyses(loaded.spec):
        result = ANALYSES[name].compute(ctx, params_of(ANALYSES[name], loaded.spec))
        for chart in chart_module(name).charts(result, Theme(ctx.locale)).values():
            chart.to_dict()
        if name == "qfd":
            assert result.touchpoints["share"].sum() == pytest.approx(1.0)
            assert result.weights_source == ("survey" if folder == "kindergarten" else "spec")


def test_kindergarten_survey_recovers_the_simulated_order():
    """make_survey.py builds satisfaction from BETA: the derived weights keep its top three in order."""
    survey = pl.read_csv(EXAMPLES / "kindergarten" / "data" / "survey.csv")
    assert survey.height == 260
    loaded = api.validate(EXAMPLES / "kindergarten" / "project.yaml")
    facts = build_facts({t: s.frame for t, s in api.read_sources(loaded).items()}, None)
    result = ANALYSES["qfd"].compute(Context(loaded.spec, facts), loaded.spec.qfd)
    top = result.weights.sort("weight", descending=True)["column"].head(3).to_list()
    assert top == ["Воспитатели", "Безопасность", "Обратная_связь"]


def _survey_ctx(frame: pl.DataFrame) -> Context:
    spec = SpecBase.model_validate({**MAP, "sources": {"survey": {"path": "data/survey.csv"}}})
    return Context(spec, Facts(None, {"survey": frame}))


def test_survey_distributions_and_nps_by_hand():
    frame = pl.DataFrame({"respondent_id": [str(i) for i in range(10)],
                          "discount": ["big", "big", "points", None, "big", "small", "", "points", "big", "big"],
                          "recommend": [10, 9, 9, 8, 7, 6, 0, 10, None, 5]})
    result = survey.compute(_survey_ctx(frame), survey.Params(questions=["discount"], nps="recommend"))
    rows = result.answers.select("answer", "respondents", "share").rows()
    assert rows == [("big", 5, 5 / 8), ("points", 2, 2 / 8), ("small", 1, 1 / 8)]  # blanks are not answers
    # 9 scores: promoters 10, 9, 9, 10 = 4/9; detractors 6, 0, 5 = 3/9 → NPS = 100 · 1/9
    assert result.nps.nps == pytest.approx(100 / 9)
    assert result.nps.respondents == 9
    assert result.nps_scores["score"].to_list() == list(range(11))


def test_survey_names_a_missing_column():
    frame = pl.DataFrame({"respondent_id": ["1"], "q": ["a"]})
    with pytest.raises(UserError) as caught:
        survey.compute(_survey_ctx(frame), survey.Params(questions=["q", "nope"]))
    assert str(caught.value) == "data/survey.csv: analyses.survey: survey has no column 'nope'; columns found: respondent_id, q"


@pytest.mark.parametrize("locale, nps, expected", [
    ("ru", -2.4, "NPS равен −2: промоутеров (9–10) 21\u00a0%, критиков (0–6) 23\u00a0% из 21 ответа."),
    ("en", 2.0, "NPS is 2: 21% promoters (9–10) and 23% detractors (0–6) among 21 answers."),
])
def test_nps_sentence_has_a_real_minus_and_plural_forms(locale: str, nps: float, expected: str):
    from types import SimpleNamespace

    from cjmgen.render.html import report_environment

    env = report_environment(locale, "RUB")
    result = SimpleNamespace(nps=survey.Nps(0.23, 0.56, 0.21, nps, 21))
    assert env.get_template("_survey_nps.html").render(result=result).strip() == expected
