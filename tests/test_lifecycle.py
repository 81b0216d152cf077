"""Customer lifecycle (METHODS §9), checked three ways.

1. A hand fixture (three customers over four months, a return-only receipt, an unidentified check, a partial last
   month) with every cell written out, the same by store, and by quarter.
2. A plain-Python reference (sets and loops) compared with the polars table on hypothesis-generated logs.
3. Reconciliation: active(P) = new + returning + resurrecting and active(P−1) = returning + dormant in every period
   (and in every group), every customer new exactly once, row order irrelevant.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from chapter_render import methodology, render_partial
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from cjmgen.analyses import lifecycle as lc
from cjmgen.charts import lifecycle as lifecycle_charts
from cjmgen.charts.theme import Theme

D = dt.date
LINE_COLUMNS = (*TX_COLUMNS, "store")

# ===================================================================== 1. hand fixture
#
# A: Jan S1, Feb S2, Apr S1 (April cut at as_of 04-15: partial)
# B: Jan S1, Feb return only (not an order), Mar S1
# C: Mar S2 (two orders the same day)
# u: Feb unidentified check: nobody.
#          new  returning  resurrecting  dormant  quick ratio
# 2023-01  A,B  -          -             -        —
# 2023-02  -    A          -             B        0/1 = 0
# 2023-03  C    -          B             A        (1 + 1)/1 = 2
# 2023-04  -    -          A             B,C      1/2 = 0.5 (partial)
HAND = tx([
    ("A", "a1", "2023-01-05", 10, "S1"), ("A", "a2", "2023-02-05", 10, "S2"), ("A", "a3", "2023-04-02", 5, "S1"),
    ("B", "b1", "2023-01-10", 10, "S1"), ("B", "br", "2023-02-11", -10, "S1"), ("B", "b2", "2023-03-10", 10, "S1"),
    ("C", "c1", "2023-03-01 09:00", 10, "S2"), ("C", "c2", "2023-03-01 15:00", 10, "S2"),
    (None, "u1", "2023-02-15", 99, "S1"),
], LINE_COLUMNS)
AS_OF = D(2023, 4, 15)
COLUMNS = ["period", "new", "returning", "resurrecting", "dormant", "quick_ratio", "partial"]


def test_hand_months():
    result = run_analysis(lc, HAND, AS_OF, period="month")
    expected = pl.DataFrame([
        ("2023-01", 2, 0, 0, 0, None, False),
        ("2023-02", 0, 1, 0, 1, 0.0, False),
        ("2023-03", 1, 0, 1, 1, 2.0, False),
        ("2023-04", 0, 0, 1, 2, 0.5, True),
    ], schema=COLUMNS, orient="row")
    assert_frame_equal(result.lifecycle, expected, check_dtypes=False)
    assert result.exported_tables().keys() == {"lifecycle"}
    # the headline window: complete periods after the first (April partial, January has no period before it)
    assert result.window == ["2023-02", "2023-03"]
    assert result.partial_period == "2023-04"
    assert (result.dormant_over_new, result.shrinking, result.median_quick_ratio) == (1, 1, 1.0)
    assert (result.new_total, result.dormant_total) == (1, 2)
    assert result.groups is None


def test_hand_by_store():
    # each store is a base of its own: A is new at S2 in February although they bought at S1 before
    result = run_analysis(lc, HAND, AS_OF, period="month", by="store")
    assert result.lifecycle.columns == ["store", *COLUMNS]
    rows = {(r["store"], r["period"]): (r["new"], r["returning"], r["resurrecting"], r["dormant"])
            for r in result.lifecycle.to_dicts()}
    assert rows == {
        ("S1", "2023-01"): (2, 0, 0, 0), ("S1", "2023-02"): (0, 0, 0, 2), ("S1", "2023-03"): (0, 0, 1, 0),
        ("S1", "2023-04"): (0, 0, 1, 1),
        ("S2", "2023-01"): (0, 0, 0, 0), ("S2", "2023-02"): (1, 0, 0, 0), ("S2", "2023-03"): (1, 0, 0, 1),
        ("S2", "2023-04"): (0, 0, 0, 1),
    }
    assert_frame_equal(result.network, run_analysis(lc, HAND, AS_OF, period="month").lifecycle)
    groups = {r["group"]: (r["new"], r["returning"], r["resurrecting"], r["dormant"]) for r in result.groups.to_dicts()}
    assert groups == {"S1": (0, 0, 1, 2), "S2": (2, 0, 0, 1)}  # February and March summed


def test_hand_quarter_and_complete_last_period():
    result = run_analysis(lc, HAND, D(2023, 6, 30), period="quarter")
    assert result.lifecycle.rows() == [("2023-Q1", 3, 0, 0, 0, None, False), ("2023-Q2", 0, 1, 0, 2, 0.0, False)]
    assert result.partial_period is None and result.window == ["2023-Q2"]


def test_weeks_are_iso_weeks():
    result = run_analysis(lc, HAND, D(2023, 1, 15), period="week")
    assert result.lifecycle["period"].to_list() == ["2023-W01", "2023-W02"]
    assert result.lifecycle.rows()[1][1:5] == (1, 0, 0, 1)  # B new in week 2, A dormant


def test_spec_rejects_bad_values():
    for bad in ({"period": "year"}, {"by": "region"}, {"unknown": 1}):
        with pytest.raises(ValidationError):
            lc.Params(**bad)
    assert lc.needs_for(lc.Params(by="channel")) == [(("by",), "transactions", "channel")]
    assert lc.needs_for(lc.Params()) == []


# ===================================================================== 2. plain-Python reference

def month(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def ref_lifecycle(lines: list[dict], as_of: dt.date) -> dict[str, tuple[int, int, int, int]]:
    """period label → (new, returning, resurrecting, dormant), months from the first order to as_of."""
    orders: dict = {}
    for line in lines:
        if line["date"].date() > as_of or line["customer_id"] is None:
            continue
        o = orders.setdefault(line["order_id"], {"customer": line["customer_id"], "day": line["date"].date(),
                                                 "real": False})
        o["day"] = min(o["day"], line["date"].date())
        o["real"] = o["real"] or line["amount"] >= 0
    active: dict[int, set] = {}
    for o in orders.values():
        if o["real"]:
            active.setdefault(o["day"].year * 12 + o["day"].month - 1, set()).add(o["customer"])
    if not active:
        return {}
    out, seen = {}, set()
    for p in range(min(active), as_of.year * 12 + as_of.month):
        now, before = active.get(p, set()), active.get(p - 1, set())
        new = now - seen
        out[f"{p // 12}-{p % 12 + 1:02d}"] = (len(new), len(now & before), len(now - before - new), len(before - now))
        seen |= now
    return out


BASE = dt.datetime(2023, 1, 1, 8)


@st.composite
def logs(draw):
    lines = []
    for number in range(draw(st.integers(1, 20))):
        customer, offset = draw(st.sampled_from(["a", "b", "c", "d", "e", None])), draw(st.integers(0, 240))
        when = BASE + dt.timedelta(days=offset, hours=draw(st.integers(0, 10)))
        store = draw(st.sampled_from(["S1", "S2", None]))
        for _ in range(draw(st.integers(1, 2))):
            lines.append({"customer_id": customer, "order_id": f"o{number:02d}", "date": when,
                          "amount": draw(st.sampled_from([-5.0, 10.0, 10.0])), "store": store})
    return lines, (BASE + dt.timedelta(days=draw(st.integers(120, 260)))).date()


FAST = settings(max_examples=40, deadline=None)


@FAST
@given(data=st.data())
def test_matches_reference(data):
    lines, as_of = data.draw(logs())
    expected = ref_lifecycle(lines, as_of)
    result = run_analysis(lc, tx(lines, LINE_COLUMNS), as_of, period="month")
    got = {r["period"]: (r["new"], r["returning"], r["resurrecting"], r["dormant"]) for r in result.lifecycle.to_dicts()}
    assert got == expected
    for r in result.lifecycle.to_dicts():
        ratio = (r["new"] + r["resurrecting"]) / r["dormant"] if r["dormant"] else None
        assert r["quick_ratio"] == pytest.approx(ratio) if ratio is not None else r["quick_ratio"] is None
        assert r["partial"] == (r["period"] == month(as_of) and (as_of + dt.timedelta(days=1)).month == as_of.month)


# ===================================================================== 3. reconciliation

def active_counts(lines: list[dict], as_of: dt.date, by_store: bool) -> dict[tuple[str, str], int]:
    """(group, month) → active customers, by hand."""
    found: dict = {}
    orders: dict = {}
    for line in lines:
        if line["date"].date() <= as_of and line["customer_id"] is not None:
            o = orders.setdefault(line["order_id"], {"c": line["customer_id"], "d": line["date"].date(), "real": False,
                                                     "g": (line["store"] or "—") if by_store else "all"})
            o["d"] = min(o["d"], line["date"].date())
            o["real"] = o["real"] or line["amount"] >= 0
    for o in orders.values():
        if o["real"]:
            found.setdefault((o["g"], month(o["d"])), set()).add(o["c"])
    return {k: len(v) for k, v in found.items()}


@FAST
@given(data=st.data(), by_store=st.booleans(), seed=st.integers(0, 2**16))
def test_reconciliation(data, by_store, seed):
    lines, as_of = data.draw(logs())
    frame = tx(lines, LINE_COLUMNS)
    params = {"period": "month", **({"by": "store"} if by_store else {})}
    result = run_analysis(lc, frame, as_of, **params)
    table = result.lifecycle.rename({"store": "group"}) if by_store else result.lifecycle.with_columns(
        pl.lit("all").alias("group"))
    active = active_counts(lines, as_of, by_store)
    rows = table.sort("group", "period").to_dicts()
    for i, row in enumerate(rows):
        now = active.get((row["group"], row["period"]), 0)
        assert now == row["new"] + row["returning"] + row["resurrecting"]
        previous = rows[i - 1] if i and rows[i - 1]["group"] == row["group"] else None
        before = active.get((row["group"], previous["period"]), 0) if previous else 0
        assert before == row["returning"] + row["dormant"]
    customers = {line["customer_id"] for line in lines if line["customer_id"] is not None
                 and line["date"].date() <= as_of and any(
                     other["order_id"] == line["order_id"] and other["amount"] >= 0 for other in lines)}
    if not by_store:
        assert result.lifecycle["new"].sum() == len(customers)
    shuffled = run_analysis(lc, frame.sample(fraction=1.0, shuffle=True, seed=seed), as_of, **params)
    assert_frame_equal(result.lifecycle, shuffled.lifecycle)


# ===================================================================== the chapter

def test_chart_draws_dormant_below_zero():
    result = run_analysis(lc, HAND, AS_OF, period="month")
    chart = lifecycle_charts.charts(result, Theme("en"))["lifecycle"].to_dict()
    bars = chart["layer"][0]["data"]["values"]
    dormant = [v["customers"] for v in bars if v["part"] == "Dormant"]
    assert dormant == [0, -1, -1, -2]
    assert all(v["customers"] >= 0 for v in bars if v["part"] != "Dormant")


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_chapter_headline_and_methodology_render(locale):
    result = run_analysis(lc, HAND, AS_OF, period="month", by="store")
    headline = render_partial("_headline_lifecycle.html", result, locale)
    chapter = render_partial("_lifecycle.html", result, locale, charts={})
    text = methodology("lifecycle", lc.Params(by="store"), locale)
    if locale == "en":
        assert headline == "New customers match or outnumber dormant ones in 1 of the last 2 months. Median quick ratio: 1.00."
        assert "2023-04 is cut at the analysis date" in chapter
        assert "each value is a base of its own" in text
    else:
        assert "из последних 2 месяцев" in headline
        assert "По магазинам" in chapter and "отдельная база" in text
