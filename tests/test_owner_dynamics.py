"""Client-base dynamics per owner (METHODS §9), checked three ways.

1. A hand fixture (three customers moving between two stores, a same-day second order, a return-only receipt, an
   unidentified check) with every cell of the owner × month table, the summary and the types written out below;
   the same fixture by quarter.
2. A plain-Python reference (dicts and loops) compared with the polars table on hypothesis-generated logs.
3. Invariants: new + repeat = active, the bands add up to repeat, shares in [0, 1], every customer is new exactly
   once (at one owner, in one period), the network counts each customer once per period, row order is irrelevant.
   Plus the type rule, the bands and the spec errors.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from cjmgen import api
from cjmgen.analyses import owner_dynamics as od
from cjmgen.analyses.base import Context
from cjmgen.charts import owner_dynamics as owner_charts
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import build_facts

D = dt.date
LINE_COLUMNS = (*TX_COLUMNS, "store")


# ===================================================================== 1. hand fixture
#
# Order numbers count across stores, by time:
# A: a1 01-05 S1 (#1), a2 01-20 S2 (#2), a3 02-10 S1 (#3), a4 03-05 S1 (#4), a5 03-06 S2 (#5)
# B: b1 01-10 S2 (#1), br 02-01 S2 return only (not an order), b2 03-15 S2 (#2)
# C: c1 02-01 09:00 S1 (#1), c2 02-01 15:00 S1 (#2), c3 03-20 S2 (#3)
# u1 01-15 S1 unidentified: not in customer counts.  Bands [2, 3]: "2", "3+".
HAND = tx([
    ("A", "a1", "2023-01-05 10:00", 10, "S1"), ("A", "a2", "2023-01-20 10:00", 10, "S2"),
    ("A", "a3", "2023-02-10 10:00", 10, "S1"), ("A", "a4", "2023-03-05 10:00", 10, "S1"),
    ("A", "a5", "2023-03-06 10:00", 10, "S2"),
    ("B", "b1", "2023-01-10 10:00", 10, "S2"), ("B", "br", "2023-02-01 10:00", -10, "S2"),
    ("B", "b2", "2023-03-15 10:00", 10, "S2"),
    ("C", "c1", "2023-02-01 09:00", 10, "S1"), ("C", "c2", "2023-02-01 15:00", 10, "S1"),
    ("C", "c3", "2023-03-20 10:00", 10, "S2"),
    (None, "u1", "2023-01-15 10:00", 99, "S1"),
], LINE_COLUMNS)
HAND_AS_OF = D(2023, 3, 31)
COLUMNS = ["owner", "period", "new_customers", "repeat_customers", "repeat_2", "repeat_3_plus", "active_customers",
           "repeat_share"]


def test_hand_months():
    result = run_analysis(od, HAND, HAND_AS_OF, owner="store", period="month", bands=[2, 3])
    expected = pl.DataFrame([
        ("S1", "2023-01", 1, 0, 0, 0, 1, 0.0),      # A (#1)
        ("S1", "2023-02", 1, 1, 0, 1, 2, 0.5),      # A (#3), C (first there #1)
        ("S1", "2023-03", 0, 1, 0, 1, 1, 1.0),      # A (#4)
        ("S2", "2023-01", 1, 1, 1, 0, 2, 0.5),      # A (#2), B (#1)
        ("S2", "2023-02", 0, 0, 0, 0, 0, None),     # B's return only: nobody active
        ("S2", "2023-03", 0, 3, 1, 2, 3, 1.0),      # A (#5), B (#2), C (#3)
    ], schema=COLUMNS, orient="row")
    assert_frame_equal(result.dynamics, expected, check_dtypes=False)


def test_hand_summary_and_types():
    result = run_analysis(od, HAND, HAND_AS_OF, owner="store", period="month", bands=[2, 3], min_customers=1)
    # comparison: the last complete month 2023-03 vs 2022-03 (not in the data) → the first complete one, 2023-01
    summary = result.summary
    assert summary.columns == ["owner", "first_period", "last_period", "repeat_first", "repeat_last", "repeat_growth",
                               "new_customers", "active_customers", "new_share", "type"]
    assert summary.rows() == [
        ("S2", "2023-01", "2023-03", 1, 3, 2.0, 1, 5, 0.2, "mixed"),     # growth 2.0 < 3.0 + 0.05; new 0.2
        ("S1", "2023-01", "2023-03", 0, 1, None, 2, 4, 0.5, "hunter"),   # new 0.5 ≥ 1/3 + 0.05, no growth figure
    ]
    f = result
    # all owners pooled: Jan new 2 / repeat 1 / active 3; Feb 1/1/2; Mar 0/4/4 → growth 4/1 − 1, new 3/9
    assert f.reference["repeat_growth"] == 3.0 and f.reference["new_share"] == pytest.approx(1 / 3)
    # the network, each customer once: Jan A, B new; Feb A repeat, C new; Mar A, B, C repeat
    assert (f.network["repeat_first"], f.network["repeat_last"], f.network["new_customers"],
            f.network["active_customers"]) == (0, 3, 3, 7)
    assert f.types == {"farmer": [], "hunter": ["S1"], "mixed": ["S2"]}
    assert f.bands == ["2", "3+"] and f.band_columns == ["repeat_2", "repeat_3_plus"]
    network = {p["period"]: (p["new_customers"], p["repeat_2"], p["repeat_3_plus"]) for p in f.network_periods}
    assert network == {"2023-01": (2, 0, 0), "2023-02": (1, 0, 1), "2023-03": (0, 1, 2)}


def test_hand_quarter_with_default_bands():
    table = run_analysis(od, HAND, HAND_AS_OF, owner="store").dynamics
    # Q1 at S1: A (first there a1 #1) new, C (c1 #1) new. At S2: A (a2 #2), B (#1) new, C (c3 #3)
    assert table.select("owner", "period", "new_customers", "repeat_2", "repeat_3_4", "repeat_5_plus",
                        "active_customers").rows() == [("S1", "2023-Q1", 2, 0, 0, 0, 2), ("S2", "2023-Q1", 1, 1, 1, 0, 3)]


def test_an_unmapped_owner_column_is_a_located_user_error(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          owner_dynamics: {owner: manager}
        """, {"data/t.csv": "customer_id,order_id,date,amount,store\n1,A,2024-01-01,5,S1\n"})
    with pytest.raises(UserError) as caught:
        api.build(spec, spec.parent / "out")
    lines = spec.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if "manager" in line)
    assert [str(p).split("project.yaml:")[1] for p in caught.value.problems] == [
        f"{row + 1}:{lines[row].index('manager') + 1}: analyses.owner_dynamics.owner: owner_dynamics needs "
        "transactions.manager; the spec maps no such column and data/t.csv has none"]


def test_orders_without_owner_are_grouped():
    lines = tx([("A", "1", "2023-01-05 10:00", 10, None), ("A", "2", "2023-02-05 10:00", 10, "S1")], LINE_COLUMNS)
    table = run_analysis(od, lines, D(2023, 2, 28), period="month").dynamics
    assert table.filter(pl.col("active_customers") > 0).select("owner", "period", "new_customers", "repeat_customers").rows() == [
        ("S1", "2023-02", 0, 1), ("—", "2023-01", 1, 0)]


@pytest.mark.parametrize(("bands", "names"), [
    ([2, 3, 5], [(2, "2", "repeat_2"), (3, "3–4", "repeat_3_4"), (5, "5+", "repeat_5_plus")]),
    ([2], [(2, "2+", "repeat_2_plus")]),
    ([2, 4, 10], [(2, "2–3", "repeat_2_3"), (4, "4–9", "repeat_4_9"), (10, "10+", "repeat_10_plus")]),
    (2, [(2, "2+", "repeat_2_plus")]),
])
def test_band_names(bands, names):
    assert od.Params(bands=bands).band_names() == names


@pytest.mark.parametrize("bands", [[3, 5], [2, 2, 5], [2, 5, 3], [], [1, 2]])
def test_bad_bands(bands):
    with pytest.raises(ValidationError) as caught:
        od.Params(bands=bands)
    assert f"expected 1–8 strictly ascending order numbers starting at 2, e.g. [2, 3, 5], got {bands}" in str(caught.value)


def test_spec_rejects_bad_values():
    for bad in ({"owner": "region"}, {"period": "week"}, {"margin": -0.1}, {"unknown": 1}):
        with pytest.raises(ValidationError):
            od.Params(**bad)


@pytest.mark.parametrize(("growth", "new", "expected"), [
    (0.80, 0.30, "farmer"),   # growth ≥ 0.5 + 0.05, new share not ≥ 0.3 + 0.05
    (0.55, 0.34, "farmer"),   # exactly the margin
    (0.50, 0.40, "hunter"),
    (None, 0.40, "hunter"),   # no repeat customers in the first period: judged on the new share
    (0.80, 0.40, "mixed"),    # both
    (0.50, 0.30, "mixed"),    # neither
    (None, 0.30, "mixed"),
    (-0.1, 0.30, "mixed"),    # shrinks less than the others (−0.5 + 0.05 ≤ −0.1) but shrinks: not a farmer
])
def test_type_rule(growth, new, expected):
    summary = pl.DataFrame({"repeat_growth": [growth], "new_share": [new]}, schema={"repeat_growth": pl.Float64,
                                                                                     "new_share": pl.Float64})
    typed = od.classify(summary, {"repeat_growth": 0.5, "new_share": 0.3}, 0.05)
    assert typed["type"].item() == expected


def test_a_shrinking_repeat_base_is_never_a_farmer():
    summary = pl.DataFrame({"repeat_growth": [-0.1, 0.2], "new_share": [0.2, 0.2]})
    typed = od.classify(summary, {"repeat_growth": -0.5, "new_share": 0.3}, 0.05)
    assert typed["type"].to_list() == ["mixed", "farmer"]


def test_comparison_uses_the_same_period_a_year_earlier():
    assert od.comparison(["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2"], "quarter") == ("2022-Q2", "2023-Q2")
    assert od.comparison(["2023-01", "2023-02"], "month") == ("2023-01", "2023-02")


def test_incomplete_periods_are_left_out_of_the_comparison():
    dynamics = pl.DataFrame({"period": ["2023-Q1", "2023-Q2", "2023-Q3"]})
    # data from 2023-01-09 (8 days late: Q1 incomplete), as_of 2023-09-29 (Q3 incomplete)
    assert od.complete_periods(dynamics, D(2023, 1, 9), D(2023, 9, 29), "quarter") == ["2023-Q2"]
    assert od.complete_periods(dynamics, D(2023, 1, 8), D(2023, 9, 30), "quarter") == ["2023-Q1", "2023-Q2", "2023-Q3"]


# ===================================================================== 2. plain-Python reference

def ref_table(lines: list[dict], as_of, period: str, bands: list[int]) -> dict:
    """{(owner, period label): {new, repeat, band counts, active}} over observed cells."""
    orders: dict = {}
    for line in lines:
        if line["date"].date() > as_of or line["customer_id"] is None:
            continue
        o = orders.setdefault(line["order_id"], {"customer": line["customer_id"], "at": line["date"], "real": False,
                                                 "owner": line["store"] or "—"})
        o["at"] = min(o["at"], line["date"])
        o["real"] = o["real"] or line["amount"] >= 0
    real = sorted(((o["customer"], o["at"], key, o["owner"]) for key, o in orders.items() if o["real"]))
    number, first = {}, {}
    for customer, at, _, owner in real:
        number[customer] = number.get(customer, 0) + 1
        day = at.date()
        label = f"{day.year}-{day.month:02d}" if period == "month" else f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        first.setdefault((owner, label, customer), number[customer])
    cells: dict = {}
    for (owner, label, _), n in first.items():
        cell = cells.setdefault((owner, label), {"new": 0, "repeat": 0, "active": 0, **{b: 0 for b in bands}})
        cell["active"] += 1
        if n == 1:
            cell["new"] += 1
        else:
            cell["repeat"] += 1
            cell[max(b for b in bands if b <= n)] += 1
    return cells


BASE = dt.datetime(2023, 1, 1, 8)


@st.composite
def logs(draw):
    lines = []
    for number in range(draw(st.integers(1, 18))):
        customer, offset = draw(st.sampled_from(["a", "b", "c", "d", None])), draw(st.integers(0, 200))
        store = draw(st.sampled_from(["S1", "S2", "S3", None]))
        when = BASE + dt.timedelta(days=offset, hours=draw(st.integers(0, 10)))
        for _ in range(draw(st.integers(1, 2))):
            lines.append({"customer_id": customer, "order_id": f"o{number:02d}", "date": when,
                          "amount": draw(st.sampled_from([-5.0, 0.0, 10.0])), "store": store})
    return lines, (BASE + dt.timedelta(days=draw(st.integers(100, 210)))).date()


FAST = settings(max_examples=50, deadline=None)


@FAST
@given(data=st.data(), period=st.sampled_from(["month", "quarter"]), bands=st.sampled_from([[2, 3, 5], [2], [2, 4]]))
def test_matches_reference(data, period, bands):
    lines, as_of = data.draw(logs())
    cells = ref_table(lines, as_of, period, bands)
    if not cells:
        return
    params = od.Params(period=period, bands=bands)
    result = run_analysis(od, tx(lines, LINE_COLUMNS), as_of, period=period, bands=bands)
    table = result.dynamics
    columns = [c for *_, c in params.band_names()]
    got = {(r["owner"], r["period"]): r for r in table.to_dicts()}
    for key, cell in cells.items():
        row = got[key]
        assert (row["new_customers"], row["repeat_customers"], row["active_customers"]) == (
            cell["new"], cell["repeat"], cell["active"]), key
        assert [row[c] for c in columns] == [cell[b] for b in bands], key
    empty = [r for key, r in got.items() if key not in cells]
    assert all(r["active_customers"] == 0 and r["repeat_share"] is None for r in empty)


# ===================================================================== 3. invariants

@FAST
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_invariants(data, seed):
    lines, as_of = data.draw(logs())
    frame = tx(lines, LINE_COLUMNS)
    facts = build_facts({"transactions": frame}, as_of)
    if not facts.sales.customers.height:
        return
    result = od.compute(Context(None, facts), od.Params(period="month"))
    table = result.dynamics
    assert (table["new_customers"] + table["repeat_customers"] == table["active_customers"]).all()
    assert (table["repeat_2"] + table["repeat_3_4"] + table["repeat_5_plus"] == table["repeat_customers"]).all()
    assert table["repeat_share"].drop_nulls().is_between(0, 1).all()
    # every customer is new exactly once: at the owner of their first order, in its period
    assert table["new_customers"].sum() == facts.sales.customers.height
    network = pl.DataFrame(result.network_periods)
    assert network["new_customers"].sum() == facts.sales.customers.height
    # the network counts a customer once per period; owners may count them at each owner they bought from
    pooled = table.group_by("period").agg(pl.col("active_customers").sum()).sort("period")
    assert (network.sort("period")["active_customers"] <= pooled["active_customers"]).all()
    summary = result.summary
    assert summary["new_share"].drop_nulls().is_between(0, 1).all()
    assert set(summary["type"].to_list()) <= {"farmer", "hunter", "mixed"}
    shuffled = run_analysis(od, frame.sample(fraction=1.0, shuffle=True, seed=seed), as_of, period="month")
    for key, frame_ in result.exported_tables().items():
        assert_frame_equal(frame_, shuffled.exported_tables()[key])


def test_chart_draws_at_most_eight_owners():
    rows = [(f"c{i}", f"o{i}", f"2023-0{1 + i % 3}-10 10:00", 10, f"S{i % 11:02d}") for i in range(40)]
    result = run_analysis(od, tx(rows, LINE_COLUMNS), D(2023, 3, 31), period="month")
    assert result.owners == 11 and len(result.charted) == od.MAX_CHARTED
    chart = owner_charts.charts(result, Theme("en"))["by_owner"].to_dict()
    assert chart["facet"]["sort"] == result.charted
    owners = {v["owner"] for v in chart["data"]["values"]}
    assert owners == set(result.charted)


def test_period_axis_labels_cannot_collide():
    """Defect: 24 month labels on a 270-px chart ran together ("2010-122011-01")."""
    rows = [(f"c{i % 7}", f"o{i}", f"{2021 + i // 12}-{i % 12 + 1:02d}-10 10:00", 10, f"S{i % 2}") for i in range(36)]
    result = run_analysis(od, tx(rows, LINE_COLUMNS), D(2023, 12, 31), period="month")
    chart = owner_charts.charts(result, Theme("en"))["by_owner"].to_dict()
    x_axis, y_axis = chart["spec"]["encoding"]["x"]["axis"], chart["spec"]["encoding"]["y"]["axis"]
    assert x_axis["labelOverlap"] == "greedy" and x_axis["labelAngle"] == -90
    assert y_axis["labelOverlap"] == "greedy" and y_axis["tickCount"] <= 5


def test_small_owners_are_flagged_and_never_named_farmers_or_hunters():
    """Defect: an owner with a handful of customers was named a hunter in the headline (new share 50% of 4)."""
    result = run_analysis(od, HAND, HAND_AS_OF, owner="store", period="month", bands=[2, 3])
    assert result.min_customers == 30 and sorted(result.small_owners) == ["S1", "S2"]
    assert result.types == {"farmer": [], "hunter": [], "mixed": []}
    assert result.summary.filter(pl.col("owner") == "S1")["type"].item() == "hunter"  # still typed in the table
    headline = _render("_headline_owner_dynamics.html", result, "en")
    assert "S1" not in headline and headline == "The network's repeat customers went from 0 in 2023-01 to 3 in 2023-03."
    chapter = _render("_owner_dynamics.html", result, "en", charts={"by_owner": ""})
    assert "S1&nbsp;†" in chapter and "too small to be named a farmer or a hunter" in chapter


def _render(template: str, result, locale: str, **extra) -> str:
    from cjmgen.render.html import report_environment

    env = report_environment(locale, "EUR")
    return " ".join(env.get_template(template).render(result=result, **extra).split())


def test_every_sentence_of_the_chapter_is_translated():
    from test_drivers import untranslated

    assert untranslated(["_owner_dynamics.html", "_headline_owner_dynamics.html"],
                        ["cjmgen/charts/owner_dynamics.py"]) == []
