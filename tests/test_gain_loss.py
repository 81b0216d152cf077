"""Gain/loss between two periods (METHODS §9), checked three ways.

1. A hand fixture (two stores, a customer moving all, one moving part, a lost, a new and a growing one, an
   unidentified check, a line outside both periods) with every component written out below.
2. A plain-Python reference (dicts and loops) compared with the polars table on hypothesis-generated logs.
3. Properties: per entity the components add up to the net change exactly; the switching flows out of an entity equal
   the flows into the others; row order is irrelevant. Plus the default periods and the spec errors.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from chapter_render import methodology, render_partial
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cjmgen.analyses import gain_loss as gl
from cjmgen.analyses.base import Context
from cjmgen.charts import gain_loss as gain_loss_charts
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import build_facts

D = dt.date
LINE_COLUMNS = (*TX_COLUMNS, "store")
PERIODS = {"base": {"start": "2023-01-01", "end": "2023-01-31"}, "current": {"start": "2023-02-01", "end": "2023-02-28"}}

# ===================================================================== 1. hand fixture
#
#      base (Jan)        current (Feb)      status     d(S1)  d(S2)  switched  flows
# A    S1 100            S1 40, S2 60       retained   −60    +60    60        S1→S2 60
# B    S1 50, S2 50      S1 80, S2 10       retained   +30    −40    30        S2→S1 30; own S2 −40 × (1 − 30/40) = −10
# C    S2 70             —                  lost
# D    —                 S1 25              new
# E    S1 20             S1 35              retained   +15                     own S1 +15
# unidentified S1 999 in February and A's S2 line in March: outside the comparison.
# S1: 170 + 25 new − 0 lost + 30 from S2 − 60 to S2 + 15 retained = 180
# S2: 120 + 0 new − 70 lost + 60 from S1 − 30 to S1 − 10 retained = 70
HAND = tx([
    ("A", "a1", "2023-01-05", 100, "S1"), ("A", "a2", "2023-02-05", 40, "S1"), ("A", "a3", "2023-02-06", 60, "S2"),
    ("A", "a4", "2023-03-02", 500, "S2"),
    ("B", "b1", "2023-01-10", 50, "S1"), ("B", "b2", "2023-01-11", 50, "S2"),
    ("B", "b3", "2023-02-10", 80, "S1"), ("B", "b4", "2023-02-11", 10, "S2"),
    ("C", "c1", "2023-01-20", 70, "S2"),
    ("D", "d1", "2023-02-20", 25, "S1"),
    ("E", "e1", "2023-01-03", 20, "S1"), ("E", "e2", "2023-02-03", 35, "S1"),
    (None, "u1", "2023-02-15", 999, "S1"),
], LINE_COLUMNS)
AS_OF = D(2023, 3, 31)


def test_hand_bridge():
    result = run_analysis(gl, HAND, AS_OF, dimension="store", periods=PERIODS)
    assert result.gain_loss.columns == ["entity", "component", "counterpart", "customers", "revenue"]
    assert result.gain_loss.rows() == [
        ("S1", "base", None, 3, 170.0), ("S1", "new", None, 1, 25.0), ("S1", "lost", None, 0, 0.0),
        ("S1", "gained_from", "S2", 1, 30.0), ("S1", "lost_to", "S2", 1, -60.0),
        ("S1", "retained_change", None, 3, 15.0), ("S1", "current", None, 4, 180.0),
        ("S2", "base", None, 2, 120.0), ("S2", "new", None, 0, 0.0), ("S2", "lost", None, 1, -70.0),
        ("S2", "gained_from", "S1", 1, 60.0), ("S2", "lost_to", "S1", 1, -30.0),
        ("S2", "retained_change", None, 2, -10.0), ("S2", "current", None, 2, 70.0),
    ]
    assert result.switching.rows() == [("S1", "S2", 1, 60.0), ("S2", "S1", 1, 30.0)]
    # the focus: the most revenue over both periods (S1: 350 against S2: 190)
    assert result.focus == "S1" and result.windows == "given"
    assert (result.base, result.current, result.new, result.lost, result.net_switching, result.retained) == (
        170.0, 180.0, 25.0, 0.0, -30.0, 15.0)
    assert [(s.component, s.counterpart, s.revenue) for s in result.steps][3:5] == [
        ("gained_from", "S2", 30.0), ("lost_to", "S2", -60.0)]
    assert result.exported_tables().keys() == {"gain_loss"}


def test_hand_focus_and_unknown_focus():
    result = run_analysis(gl, HAND, AS_OF, dimension="store", periods=PERIODS, focus="S2")
    assert (result.base, result.current, result.lost, result.net_switching, result.retained) == (
        120.0, 70.0, -70.0, 30.0, -10.0)
    with pytest.raises(UserError, match="focus 'S9'"):
        run_analysis(gl, HAND, AS_OF, dimension="store", periods=PERIODS, focus="S9")


def test_hand_by_category_reads_lines():
    lines = tx([("A", "a1", "2023-01-05", 30, "x"), ("A", "a1", "2023-01-05", 70, "y"),
                ("A", "a2", "2023-02-05", 100, "y")], (*TX_COLUMNS, "category"))
    result = run_analysis(gl, lines, AS_OF, dimension="category", periods=PERIODS)
    assert result.switching.rows() == [("x", "y", 1, 30.0)]
    assert result.entities.select("entity", "base", "current", "change").rows() == [
        ("y", 70.0, 100.0, 30.0), ("x", 30.0, 0.0, -30.0)]


def test_competitors_with_our_own_spend():
    people = tx([("A", "a1", "2023-01-05", 100, "S1"), ("A", "a2", "2023-02-05", 60, "S1")], LINE_COLUMNS)
    rivals = pl.DataFrame({"customer_id": ["A", "A"], "competitor": ["R", "R"],
                           "date": [dt.datetime(2023, 1, 9), dt.datetime(2023, 2, 9)], "amount": [10.0, 50.0]})
    facts = build_facts({"transactions": people, "competitor_purchases": rivals}, AS_OF)
    result = gl.compute(Context(None, facts), gl.Params(dimension="competitor", periods=PERIODS))
    assert result.switching.rows() == [(gl.OURS, "R", 1, 40.0)]
    assert gl.needs_for(gl.Params(dimension="competitor"))[1] == (("dimension",), "competitor_purchases", "competitor")


def test_default_periods_years_or_halves():
    two_years = tx([("A", "a1", "2021-12-01", 10, "S1"), ("A", "a2", "2023-12-31", 10, "S1")], LINE_COLUMNS)
    result = run_analysis(gl, two_years, None)
    assert (result.windows, result.base_start, result.base_end, result.current_start, result.current_end) == (
        "years", D(2022, 1, 1), D(2022, 12, 31), D(2023, 1, 1), D(2023, 12, 31))
    short = tx([("A", "a1", "2023-01-01", 10, "S1"), ("A", "a2", "2023-01-10", 10, "S2")], LINE_COLUMNS)
    result = run_analysis(gl, short, None)  # 10 days: 5 against 5
    assert (result.windows, result.base_start, result.base_end, result.current_start, result.current_end) == (
        "halves", D(2023, 1, 1), D(2023, 1, 5), D(2023, 1, 6), D(2023, 1, 10))


def test_spec_rejects_bad_values():
    for bad in ({"dimension": "region"}, {"periods": {"base": PERIODS["current"], "current": PERIODS["base"]}},
                {"periods": {"base": {"start": "2023-02-01", "end": "2023-01-01"}, "current": PERIODS["current"]}},
                {"unknown": 1}):
        with pytest.raises(ValidationError):
            gl.Params(**bad)
    assert gl.needs_for(gl.Params(dimension="category")) == [(("dimension",), "transactions", "category")]


# ===================================================================== 2. plain-Python reference

def reference(lines: list[dict], base: tuple, current: tuple) -> tuple[dict, dict]:
    """({(entity, component, counterpart): revenue}, {entity: retained change by the per-customer formula})."""
    spend: dict = {}
    present: dict = {}
    for line in lines:
        day = line["date"].date()
        window = "b" if base[0] <= day <= base[1] else "c" if current[0] <= day <= current[1] else None
        if window is None or line["customer_id"] is None:
            continue
        key = (line["customer_id"], line["store"] or "—")
        spend.setdefault(key, {"b": 0.0, "c": 0.0})[window] += line["amount"]
        present.setdefault(line["customer_id"], set()).add(window)
    out: dict = {}

    def add(key, value):
        out[key] = out.get(key, 0.0) + value

    own: dict = {}
    for customer, windows in present.items():
        cells = {e: v for (c, e), v in spend.items() if c == customer}
        for e, v in cells.items():
            add((e, "base", None), v["b"])
            add((e, "current", None), v["c"])
            if windows == {"c"}:
                add((e, "new", None), v["c"])
            elif windows == {"b"}:
                add((e, "lost", None), -v["b"])
        if windows != {"b", "c"}:
            continue
        d = {e: v["c"] - v["b"] for e, v in cells.items()}
        downs = sum(-x for x in d.values() if x < 0)
        ups = sum(x for x in d.values() if x > 0)
        moved = min(downs, ups)
        for a, da in d.items():
            for b_, db in d.items():
                if da < 0 < db and moved > 0:
                    flow = moved * (-da / downs) * (db / ups)
                    add((b_, "gained_from", a), flow)
                    add((a, "lost_to", b_), -flow)
            if da > 0:
                own[a] = own.get(a, 0.0) + da * (1 - moved / ups)
            elif da < 0:
                own[a] = own.get(a, 0.0) + da * (1 - moved / downs)
    return out, own


BASE = dt.datetime(2023, 1, 1, 8)
WINDOWS = ((D(2023, 1, 1), D(2023, 2, 28)), (D(2023, 3, 1), D(2023, 4, 30)))


@st.composite
def logs(draw):
    lines = []
    for number in range(draw(st.integers(1, 24))):
        customer, offset = draw(st.sampled_from(["a", "b", "c", "d", "e", None])), draw(st.integers(0, 130))
        when = BASE + dt.timedelta(days=offset)
        lines.append({"customer_id": customer, "order_id": f"o{number:02d}", "date": when,
                      "amount": float(draw(st.sampled_from([-7, 10, 25, 40, 99]))),
                      "store": draw(st.sampled_from(["S1", "S2", "S3", None]))})
    return lines


FAST = settings(max_examples=40, deadline=None)
GIVEN = {"base": {"start": WINDOWS[0][0], "end": WINDOWS[0][1]}, "current": {"start": WINDOWS[1][0], "end": WINDOWS[1][1]}}


@FAST
@given(lines=logs(), seed=st.integers(0, 2**16))
def test_matches_reference_and_adds_up(lines, seed):
    frame = tx(lines, LINE_COLUMNS)
    expected, own = reference(lines, *WINDOWS)
    if not expected:
        return
    result = run_analysis(gl, frame, D(2023, 5, 31), dimension="store", periods=GIVEN)
    table = result.gain_loss
    got = {(r["entity"], r["component"], r["counterpart"]): r["revenue"] for r in table.to_dicts()}
    for key, value in expected.items():
        if key[1] in ("gained_from", "lost_to") and abs(value) < 1e-9:
            continue
        assert got.get(key, 0.0) == pytest.approx(value, abs=1e-6), key
    for entity in table["entity"].unique():
        rows = table.filter(pl.col("entity") == entity)
        parts = rows.filter(~pl.col("component").is_in(["base", "current"]))["revenue"].sum()
        base, current = (rows.filter(pl.col("component") == c)["revenue"].item() for c in ("base", "current"))
        assert round(base + parts, 6) == pytest.approx(current, abs=1e-9)  # exact in the file
        retained = rows.filter(pl.col("component") == "retained_change")["revenue"].item()
        assert retained == pytest.approx(own.get(entity, 0.0), abs=1e-5)  # the residual is the per-customer formula
    flows = result.switching
    assert flows["revenue"].min() is None or flows["revenue"].min() > 0
    assert (flows["from"] != flows["to"]).all()
    shuffled = run_analysis(gl, frame.sample(fraction=1.0, shuffle=True, seed=seed), D(2023, 5, 31), dimension="store",
                            periods=GIVEN)
    assert shuffled.gain_loss.select("entity", "component", "counterpart", "customers").equals(
        table.select("entity", "component", "counterpart", "customers"))
    assert shuffled.gain_loss["revenue"].to_list() == pytest.approx(table["revenue"].to_list(), abs=1e-6)


# ===================================================================== the chapter

def test_waterfall_walks_from_base_to_current():
    result = run_analysis(gl, HAND, AS_OF, dimension="store", periods=PERIODS)
    chart = gain_loss_charts.charts(result, Theme("en"))["waterfall"].to_dict()
    bars = (chart.get("data") or chart["layer"][0]["data"])["values"]
    assert [b["step"] for b in bars] == ["Base period", "New customers", "Lost customers", "From S2", "To S2",
                                         "Retained customers", "Current period"]
    assert bars[0]["hi"] == pytest.approx(0.170) and bars[-2]["hi"] == pytest.approx(bars[-1]["hi"])  # thousands


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_chapter_headline_and_methodology_render(locale):
    result = run_analysis(gl, HAND, AS_OF, dimension="store", periods=PERIODS)
    headline = render_partial("_headline_gain_loss.html", result, locale)
    chapter = render_partial("_gain_loss.html", result, locale, charts={})
    text = methodology("gain_loss", gl.Params(periods=PERIODS), locale)
    if locale == "en":
        assert headline == ("S1: revenue went from €170 to €180; new customers brought +€25, lost customers took €0, "
                            "and switching with the others came to −€30.")
        assert "The current period (" in chapter and "Largest moves between entities" in chapter
        assert "Periods as given" in text
    else:
        assert "выручка изменилась" in headline and "Крупнейшие переходы выручки" in chapter
        assert "Периоды заданы" in text


def test_missing_sources_and_columns_are_located_user_errors(project):
    from cjmgen import api

    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          gain_loss: {dimension: competitor}
          lifecycle: {by: channel}
        """, {"data/t.csv": "customer_id,order_id,date,amount,store\n1,A,2024-01-01,5,S1\n"})
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    found = [str(p).split("project.yaml:")[1] for p in caught.value.problems]
    assert any(p.startswith("5:") and "analyses.gain_loss.dimension" in p and "competitor_purchases" in p for p in found)
    assert any(p.startswith("6:") and "analyses.lifecycle.by" in p and "transactions.channel" in p for p in found)


def test_a_value_problem_found_in_compute_is_located_at_its_spec_key(project):
    from cjmgen import api
    from cjmgen.errors import UserError

    csv = "customer_id,order_id,date,amount,store\n" + "".join(
        f"c{i % 5},o{i},{2022 + i % 2}-0{1 + i % 9}-10,{10 + i},S{i % 2}\n" for i in range(40))
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          gain_loss: {dimension: store, focus: S9}
        """, {"data/t.csv": csv})
    with pytest.raises(UserError) as caught:
        api.build(spec, spec.parent / "out")
    text = str(caught.value)
    line = next(i + 1 for i, row in enumerate(spec.read_text().splitlines()) if "focus: S9" in row)
    assert f"project.yaml:{line}:" in text and "analyses.gain_loss.focus: focus 'S9'" in text
