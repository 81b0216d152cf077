"""Repeat-purchase structure (METHODS §4), checked three ways.

1. A hand fixture (a same-day second order, a return booked on the first receipt, a return-only receipt, a
   recent one-order customer, an unidentified receipt, a line after as_of) with every number written out:
   survival table, censoring, thresholds, gap bins, breakdown by store.
2. A plain-Python reference (lists and loops, its own linear-interpolation percentile) compared with the polars
   output on hypothesis-generated logs, with and without order ids, censoring and breakdown.
3. Invariants: shares in [0, 1], customers non-increasing in k, conversion × customers(k) = customers(k+1),
   churn = 1 − conversion, row order irrelevant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

import polars as pl
import pytest
from chapter_render import methodology, render_partial
from conftest import TX_COLUMNS, run_analysis, tx
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from cjmgen import api
from cjmgen.analyses import repeat, rfm
from cjmgen.analyses.base import Context
from cjmgen.charts import repeat as repeat_charts
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import build_facts

D = dt.date
LINE_COLUMNS = (*TX_COLUMNS, "store")
CONTRACT = ["order_number", "customers", "share_of_customers", "conversion_to_next", "churn_after",
            "median_days_to_next", "p80_days_to_next", "avg_check"]


# ===================================================================== 1. hand fixture
#
# as_of 2024-03-31 (days before it in brackets)
# A: a1 01-01 100 (90), a2 01-11 50 (80), a3 01-31 30 (60)          gaps 10, 20; a4 04-02 after as_of: ignored
# B: b1 01-05 09:00 200 S2 (86) with a return −50 booked under b1 on 01-20 → b1 revenue 150;
#    b0 01-05 18:00 20 S1 (same day, later, smaller id: still order 2, gap 0), b3 02-04 40 (56), b4 03-05 60 (26)
#    gaps 0, 30, 30
# C: c1 02-01 80 (59), c2 03-02 120 (29); c3 03-10 a return-only receipt −30: not an order       gap 30
# D: d1 03-25 70 (6)  — one recent order;  E: e1 2023-12-01 90 (121) — one old order
# F: only a return-only receipt: not a customer.  Unidentified u1 999: never in customer metrics.
HAND_AS_OF = D(2024, 3, 31)
HAND = tx([
    ("A", "a1", "2024-01-01 10:00", 100, "S1"), ("A", "a2", "2024-01-11 10:00", 50, "S1"),
    ("A", "a3", "2024-01-31 10:00", 30, "S2"), ("A", "a4", "2024-04-02 10:00", 500, "S1"),
    ("B", "b1", "2024-01-05 09:00", 200, "S2"), ("B", "b1", "2024-01-20 11:00", -50, "S2"),
    ("B", "b0", "2024-01-05 18:00", 20, "S1"), ("B", "b3", "2024-02-04 10:00", 40, "S2"),
    ("B", "b4", "2024-03-05 10:00", 60, "S2"),
    ("C", "c1", "2024-02-01 10:00", 80, "S1"), ("C", "c2", "2024-03-02 10:00", 120, "S1"),
    ("C", "c3", "2024-03-10 10:00", -30, "S1"),
    ("D", "d1", "2024-03-25 10:00", 70, "S2"),
    ("E", "e1", "2023-12-01 10:00", 90, None),
    ("F", "f1", "2024-02-01 10:00", -15, "S1"),
    (None, "u1", "2024-01-15 10:00", 999, "S1"),
], LINE_COLUMNS)

HAND_SURVIVAL = [
    # k, customers, share, conversion, churn, median gap, P80 gap, avg check, observed, possibly returning, revenue
    # k=1: A B C D E; continue A B C; gaps A 10, B 0, C 30 → sorted 0 10 30: median 10, P80 at 1.6 → 10 + .6·20 = 22
    #      checks 100 + 150 + 80 + 70 + 90 = 490; stopped D (6 days < 22: may return) and E (121 days)
    (1, 5, 1.0, 3 / 5, 2 / 5, 10.0, 22.0, 98.0, 5, 1, 490.0),
    # k=2: A B C; continue A B; gaps 20, 30 → median 25, P80 20 + .8·10 = 28; checks 50 + 20 (b0) + 120; C stopped 29 ≥ 28
    (2, 3, 3 / 5, 2 / 3, 1 / 3, 25.0, 28.0, 190 / 3, 3, 0, 190.0),
    # k=3: A B; B continues after 30 days; A stopped 60 days ago (≥ 30)
    (3, 2, 2 / 5, 1 / 2, 1 / 2, 30.0, 30.0, 35.0, 2, 0, 70.0),
    # k=4: B only; nobody continues; no gap, so no P80 and nobody "possibly returning"
    (4, 1, 1 / 5, 0.0, 1.0, None, None, 60.0, 1, 0, 60.0),
]
FULL_COLUMNS = [*CONTRACT, "observed_customers", "possibly_returning", "revenue"]


def frame_of_rows(rows: list[tuple], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=columns, orient="row")


def test_hand_survival_table():
    got = run_analysis(repeat, HAND, HAND_AS_OF, min_customers=1).survival
    assert got.columns[:8] == CONTRACT
    assert_frame_equal(got, frame_of_rows(HAND_SURVIVAL, FULL_COLUMNS), check_dtypes=False, rel_tol=1e-12)


def test_hand_facts_and_thresholds():
    result = run_analysis(repeat, HAND, HAND_AS_OF, min_customers=1)
    f = result
    assert (f.customers, f.second_order_share, f.third_order_share) == (5, pytest.approx(0.6), pytest.approx(0.4))
    assert (f.median_days_1_2, f.p80_days_1_2) == (10.0, 22.0)
    assert (f.stopped, f.possibly_returning, f.possibly_returning_share, f.censored) == (5, 1, 0.2, False)
    # churn 0.4, 1/3, 0.5, 1.0 → drops at n=2: +1/15, n=3: −1/6, n=4: −1/2
    table = result.threshold_candidates
    assert table["order_number"].to_list() == [2, 3, 4]
    assert table["churn_drop"].to_list() == pytest.approx([1 / 15, -1 / 6, -1 / 2])
    assert table.row(0, named=True) == pytest.approx({
        "order_number": 2, "churn_before": 0.4, "churn_after": 1 / 3, "churn_drop": 1 / 15, "customers": 3,
        "share_of_customers": 0.6, "p80_days_to_reach": 22.0, "median_days_to_reach": 10.0})
    # only positive drops are named: "Customers who reach the 2nd order: 60%; keep the 1st→2nd gap under 22 days"
    assert [t.order_number for t in f.thresholds] == [2]
    assert f.thresholds[0] == repeat.LoyaltyThreshold(**table.row(0, named=True))


def test_thresholds_need_min_customers_in_both_denominators():
    # observed customers 5, 3, 2, 1: with min 3 only n=2 (min(5, 3) = 3) is a candidate
    table = run_analysis(repeat, HAND, HAND_AS_OF, min_customers=3).threshold_candidates
    assert table["order_number"].to_list() == [2]
    assert run_analysis(repeat, HAND, HAND_AS_OF, min_customers=4).threshold_candidates.is_empty()
    assert run_analysis(repeat, HAND, HAND_AS_OF, min_customers=4).thresholds == ()


def test_hand_censoring_excludes_recent_orders_from_conversion_only():
    got = run_analysis(repeat, HAND, HAND_AS_OF, min_days_observed=30).survival
    # k=1: D (6 days) is not observed long enough → 4 observed, 3 continued; k=2: C's c2 (29) out → A, B both continue;
    # k=3: A (60), B (56) observed, B continues; k=4: B's b4 is 26 days old → nobody observed: no conversion
    assert got["observed_customers"].to_list() == [4, 2, 2, 0]
    assert got["conversion_to_next"].to_list() == [0.75, 1.0, 0.5, None]
    assert got["churn_after"].to_list() == [0.25, 0.0, 0.5, None]
    # reach, shares, gaps and checks do not depend on censoring
    plain = run_analysis(repeat, HAND, HAND_AS_OF).survival
    same = ["order_number", "customers", "share_of_customers", "median_days_to_next", "p80_days_to_next", "avg_check"]
    assert_frame_equal(got.select(same), plain.select(same))
    assert run_analysis(repeat, HAND, HAND_AS_OF, min_days_observed=30).censored is True


def test_hand_max_order_caps_rows_but_conversion_looks_one_order_further():
    got = run_analysis(repeat, HAND, HAND_AS_OF, max_order=2).survival
    assert got["order_number"].to_list() == [1, 2]
    assert got["conversion_to_next"].to_list() == pytest.approx([0.6, 2 / 3])  # 2 of 3 reach order 3
    assert run_analysis(repeat, HAND, HAND_AS_OF, max_order=2).gaps["order_number"].unique().to_list() == [2]


def test_hand_gap_bins():
    got = run_analysis(repeat, HAND, HAND_AS_OF, gap_bin_days=10, max_gap_days=25).gaps
    # order 2: B 0 days (b0, 20), A 10 (a2, 50), C 30 (c2, 120, open bin 25+); order 3: A 20 (a3, 30: bin 20–24,
    # cut at 25), B 30 (b3, 40); order 4: B 30 (b4, 60)
    assert got.rows() == [
        (2, 0, 9, 1, 20.0, 20.0), (2, 10, 19, 1, 50.0, 50.0), (2, 25, None, 1, 120.0, 120.0),
        (3, 20, 24, 1, 30.0, 30.0), (3, 25, None, 1, 40.0, 40.0), (4, 25, None, 1, 60.0, 60.0)]
    assert got.columns == ["order_number", "days_from", "days_to", "customers", "revenue", "avg_check"]


def test_hand_breakdown_by_store_of_the_first_order():
    # first orders: A a1 S1, B b1 (09:00, before b0 at 18:00) S2, C S1, D S2, E no store → "—"
    got = run_analysis(repeat, HAND, HAND_AS_OF, breakdown="store").by_group
    assert got.columns[:9] == ["group", *CONTRACT]
    expected = [
        ("S1", 1, 2, 1.0, 1.0, 0.0, 20.0, 26.0, 90.0),      # A, C; gaps 10, 30 → P80 10 + .8·20
        ("S1", 2, 2, 1.0, 0.5, 0.5, 20.0, 20.0, 85.0),      # a2 50, c2 120
        ("S1", 3, 1, 0.5, 0.0, 1.0, None, None, 30.0),
        ("S2", 1, 2, 1.0, 0.5, 0.5, 0.0, 0.0, 110.0),       # B 150, D 70
        ("S2", 2, 1, 0.5, 1.0, 0.0, 30.0, 30.0, 20.0),
        ("S2", 3, 1, 0.5, 1.0, 0.0, 30.0, 30.0, 40.0),
        ("S2", 4, 1, 0.5, 0.0, 1.0, None, None, 60.0),
        ("—", 1, 1, 1.0, 0.0, 1.0, None, None, 90.0),
    ]
    assert_frame_equal(got.select(got.columns[:9]), frame_of_rows(expected, ["group", *CONTRACT]),
                       check_dtypes=False, rel_tol=1e-12)


def test_breakdown_by_rfm_segment_uses_default_rfm_scores():
    lines = HAND
    facts = build_facts({"transactions": lines}, HAND_AS_OF)
    segments = rfm.compute(Context(None, facts), rfm.Params()).customers
    got = repeat.compute(Context(None, facts), repeat.Params(breakdown="segment")).by_group
    sizes = dict(segments.group_by("segment").len().iter_rows())
    firsts = dict(got.filter(pl.col("order_number") == 1).select("group", "customers").iter_rows())
    assert firsts == sizes


def test_breakdown_on_an_unmapped_column_is_a_located_user_error(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          repeat: {breakdown: channel}
          cohorts: {breakdown: region}
        """, {"data/t.csv": "customer_id,order_id,date,amount\n1,A,2024-01-01,5\n"})
    with pytest.raises(UserError) as caught:
        api.build(spec, spec.parent / "out")
    lines = spec.read_text().splitlines()
    at = {word: f"{i + 1}:{line.index(word) + 1}" for i, line in enumerate(lines) for word in ("channel", "region")
          if word in line}
    assert [str(p).split("project.yaml:")[1] for p in caught.value.problems] == [  # in the spec's line order
        f"{at['channel']}: analyses.repeat.breakdown: repeat needs transactions.channel; the spec maps no such column "
        "and data/t.csv has none",
        f"{at['region']}: analyses.cohorts.breakdown: cohorts needs customers.region; the spec has no sources.customers",
    ]


@pytest.mark.parametrize(("params", "message"), [
    ({"max_order": 1}, "greater than or equal to 2"),
    ({"breakdown": "region"}, "Input should be 'store', 'channel', 'manager' or 'segment'"),
    ({"gap_bin_days": 30, "max_gap_days": 10}, "max_gap_days: expected at least gap_bin_days (30), got 10"),
    ({"min_days_observed": 0}, "greater than or equal to 1"),
    ({"max_orders": 5}, "Extra inputs are not permitted"),
])
def test_invalid_params(params, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        repeat.Params(**params)


def test_every_param_is_documented():
    assert all(field.description for field in repeat.Params.model_fields.values())


# ===================================================================== 2. plain-Python reference

def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between order statistics (numpy's default)."""
    if not values:
        return None
    xs = sorted(values)
    position = q * (len(xs) - 1)
    low = math.floor(position)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (position - low) * (xs[high] - xs[low])


def ref_orders(lines: list[dict], as_of: dt.date | None, with_order_id: bool):
    """METHODS §1 in loops: (as_of, {customer: [order dicts in date order]}) of identified real orders."""
    as_of = as_of or max(line["date"].date() for line in lines)
    orders: dict = {}
    for i, line in enumerate(lines):
        day = line["date"].date()
        if day > as_of:
            continue
        if with_order_id:
            key = line["order_id"]
        else:
            key = ("line", i) if line["customer_id"] is None else (line["customer_id"], day)
        o = orders.setdefault(key, {"id": str(key), "customer": line["customer_id"], "day": day, "at": line["date"],
                                    "revenue": 0.0, "is_order": False, "store": line["store"]})
        o["day"], o["at"] = min(o["day"], day), min(o["at"], line["date"])
        o["revenue"] += line["amount"]
        o["is_order"] = o["is_order"] or line["amount"] >= 0
        if line["store"] is not None and (o["store"] is None or line["store"] > o["store"]):
            o["store"] = line["store"]  # facts keep max(store) of an order's lines
    by_customer: dict = {}
    for o in orders.values():
        if o["customer"] is not None and o["is_order"]:
            by_customer.setdefault(o["customer"], []).append(o)
    for history in by_customer.values():
        history.sort(key=lambda o: (o["day"], o["at"], o["id"]))
    return as_of, by_customer


def ref_survival(by_customer: dict, as_of: dt.date, max_order: int, min_days: int | None) -> list[dict]:
    """The survival table, one dict per order number reached, from per-customer order lists."""
    total = len(by_customer)
    rows = []
    for k in range(1, max_order + 1):
        at_k = [h for h in by_customer.values() if len(h) >= k]
        if not at_k:
            break
        observed = [h for h in at_k if (as_of - h[k - 1]["day"]).days >= (min_days or 0)]
        continued = [h for h in observed if len(h) > k]
        gaps = [(h[k]["day"] - h[k - 1]["day"]).days for h in at_k if len(h) > k]
        p80 = percentile(gaps, 0.8)
        conversion = len(continued) / len(observed) if observed else None
        rows.append({
            "order_number": k, "customers": len(at_k), "share_of_customers": len(at_k) / total,
            "conversion_to_next": conversion, "churn_after": None if conversion is None else 1 - conversion,
            "median_days_to_next": percentile(gaps, 0.5), "p80_days_to_next": p80,
            "avg_check": sum(h[k - 1]["revenue"] for h in at_k) / len(at_k),
            "observed_customers": len(observed),
            "possibly_returning": sum(1 for h in at_k if len(h) == k and p80 is not None
                                      and (as_of - h[k - 1]["day"]).days < p80),
        })
    return rows


CUSTOMER_POOL = ["c0", "c1", "c2", "c3", "c4", None]
STORES = ["S1", "S2", None]
AMOUNTS = [-30.0, -5.0, 0.0, 5.0, 10.0, 20.0, 50.0, 120.0]
BASE = dt.datetime(2024, 1, 1)


@st.composite
def logs(draw, max_lines: int = 30, span_days: int = 120):
    """(lines, as_of or None, with_order_id). An order never spans days; one store per customer-day."""
    n = draw(st.integers(1, max_lines))
    lines = []
    for _ in range(n):
        customer = draw(st.sampled_from(CUSTOMER_POOL))
        offset = draw(st.integers(0, span_days))
        when = BASE + dt.timedelta(days=offset, hours=draw(st.integers(0, 23)))
        lines.append({"customer_id": customer, "order_id": f"{customer or 'u'}-{offset}-{draw(st.integers(0, 1))}",
                      "date": when, "amount": draw(st.sampled_from(AMOUNTS)),
                      "store": STORES[(CUSTOMER_POOL.index(customer) + offset) % 3]})
    as_of = draw(st.one_of(st.none(), st.integers(0, span_days + 10).map(lambda d: (BASE + dt.timedelta(days=d)).date())))
    return lines, as_of, draw(st.booleans())


def assert_rows_match(got: pl.DataFrame, expected: list[dict]):
    assert got.height == len(expected)
    for row, want in zip(got.iter_rows(named=True), expected, strict=False):
        for column, value in want.items():
            assert row[column] == (pytest.approx(value) if value is not None else None), (want["order_number"], column)


def has_customers(lines, as_of, with_order_id) -> bool:
    return bool(ref_orders(lines, as_of, with_order_id)[1])


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(data=st.data(), max_order=st.integers(2, 6), min_days=st.one_of(st.none(), st.integers(1, 40)))
def test_matches_reference(data, max_order, min_days):
    lines, as_of, with_order_id = data.draw(logs())
    if not has_customers(lines, as_of, with_order_id):
        return
    as_of_used, by_customer = ref_orders(lines, as_of, with_order_id)
    result = run_analysis(repeat, tx(lines, LINE_COLUMNS, order_ids=with_order_id), as_of, max_order=max_order,
                          min_days_observed=min_days, breakdown="store", min_customers=1)
    assert_rows_match(result.survival, ref_survival(by_customer, as_of_used, max_order, min_days))
    # per store of the first order: the same table on each group's customers
    by_store = result.by_group
    groups: dict = {}
    for customer, history in by_customer.items():
        groups.setdefault(history[0]["store"] or "—", {})[customer] = history
    assert sorted(by_store["group"].unique().to_list()) == sorted(groups)
    for group, members in groups.items():
        assert_rows_match(by_store.filter(pl.col("group") == group),
                          ref_survival(members, as_of_used, max_order, min_days))
    # bubble data: every order 2..K in exactly one bin, revenue preserved
    gaps = result.gaps
    expected_orders = sum(min(len(h), max_order) - 1 for h in by_customer.values())
    assert gaps["customers"].sum() == expected_orders


# ===================================================================== 3. invariants

@FAST
@given(data=st.data())
def test_invariants(data):
    lines, as_of, with_order_id = data.draw(logs())
    if not has_customers(lines, as_of, with_order_id):
        return
    table = run_analysis(repeat, tx(lines, LINE_COLUMNS, order_ids=with_order_id), as_of, max_order=8).survival
    customers = table["customers"].to_list()
    assert customers == sorted(customers, reverse=True)                            # non-increasing in k
    assert table["order_number"].to_list() == list(range(1, table.height + 1))     # no gaps
    for column in ("share_of_customers", "conversion_to_next", "churn_after"):
        assert table[column].drop_nulls().is_between(0, 1).all(), column
    rows = table.to_dicts()
    for row, following in zip(rows, rows[1:], strict=False):
        assert row["conversion_to_next"] * row["customers"] == pytest.approx(following["customers"])
    for row in rows:
        assert row["churn_after"] == pytest.approx(1 - row["conversion_to_next"])
        if row["p80_days_to_next"] is not None:
            assert row["median_days_to_next"] <= row["p80_days_to_next"]
    assert rows[0]["share_of_customers"] == 1.0


@FAST
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_row_order_does_not_matter(data, seed):
    lines, as_of, with_order_id = data.draw(logs())
    if not has_customers(lines, as_of, with_order_id):
        return
    frame = tx(lines, LINE_COLUMNS, order_ids=with_order_id)
    a = run_analysis(repeat, frame, as_of, breakdown="store", min_customers=1)
    b = run_analysis(repeat, frame.sample(fraction=1.0, shuffle=True, seed=seed), as_of, breakdown="store",
                     min_customers=1)
    assert a.exported_tables().keys() == b.exported_tables().keys()
    for key, table in a.exported_tables().items():
        assert_frame_equal(table, b.exported_tables()[key], rel_tol=1e-9, abs_tol=1e-9)
    scalars = lambda r: {f.name: getattr(r, f.name) for f in dataclasses.fields(r)  # noqa: E731
                         if not isinstance(getattr(r, f.name), pl.DataFrame)}
    assert scalars(a) == scalars(b)


def test_methodology_states_percentile_method_and_censoring():
    text = methodology("repeat", repeat.Params())
    assert "linear interpolation" in text and "not censored" in text
    assert "at least 30 days" in methodology("repeat", repeat.Params(min_days_observed=30))
    assert "линейной интерполяцией" in methodology("repeat", repeat.Params(), "ru")
    assert "partly circular" in methodology("repeat", repeat.Params(breakdown="segment"))


@pytest.mark.parametrize("locale, lead, threshold, headline", [
    ("en", "Customers analysed: 5; 60.0% made a second order, 40.0% a third. The median gap between the 1st and 2nd "
           "order is 10 days; 80% of second orders come within 22 days.",
     "60.0% of customers reach order 2; churn falls from 40.0% after order 1 to 33.3% after order 2. Keep the gap "
     "between orders 1 and 2 under 22 days.",
     "60.0% of customers reach order 2, after which churn drops; keep the gap between orders 1 and 2 under 22 days."),
    ("ru", "Клиентов в анализе: 5; второй заказ сделали 60,0 %, третий — 40,0 %. Медиана интервала между 1-м и 2-м "
           "заказом — 10 дней; 80% вторых заказов приходят в пределах 22 дн.",
     "До заказа № 2 доходят 60,0 % клиентов; отток снижается с 40,0 % после заказа № 1 до 33,3 % после заказа № 2. "
     "Удерживайте интервал между заказами № 1 и № 2 в пределах 22 дней.",
     "До заказа № 2 доходят 60,0 % клиентов, после него отток снижается; удерживайте интервал между заказами № 1 и "
     "№ 2 в пределах 22 дней."),
])
def test_chapter_and_headline_sentences(locale, lead, threshold, headline):
    result = run_analysis(repeat, HAND, HAND_AS_OF, min_customers=1)
    text = re.sub(r"<[^>]+>", "", render_partial("_repeat.html", result, locale, charts={"funnel": "", "bubbles": ""}))
    assert lead in text and threshold in text
    assert render_partial("_headline_repeat.html", result, locale) == headline
    none = render_partial("_headline_repeat.html", run_analysis(repeat, HAND, HAND_AS_OF, min_customers=4), locale)
    assert none == {"en": "60.0% of customers make a second order.", "ru": "Второй заказ делают 60,0 % клиентов."}[locale]


# ===================================================================== the bubble chart's legends


@pytest.mark.parametrize("largest, values", [
    (1550, [90, 300, 1000]),   # 1550, 387.5, 96.9 rounded down: never a bubble larger than the largest
    (100, [6, 20, 100]), (5, [1, 5]), (3, [3]), (1, [1]),
])
def test_size_legend_values_have_no_zero(largest, values):
    assert repeat_charts.size_legend_values(largest) == values


def test_bubbles_use_binned_colours_and_a_size_legend_without_zero():

    from cjmgen.render.svg import to_svg

    chart = repeat_charts.charts(run_analysis(repeat, HAND, HAND_AS_OF), Theme("en"))["bubbles"]
    spec = chart.to_dict()
    bubbles = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "circle")
    assert bubbles["encoding"]["color"]["scale"]["type"] == "threshold"
    assert 0 not in bubbles["encoding"]["size"]["legend"]["values"]
    svg = to_svg(chart, "#1f4e79")
    assert "linearGradient" not in svg and ">0</text>" not in svg.split("Customers")[-1]
