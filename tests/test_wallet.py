"""Share of wallet (METHODS §9), checked three ways.

1. A hand fixture (a customer leaking slowly, one leaking fast with a return, one returning from a competitor, one
   outside the panel, one only in the panel, one with no spend in either period, a competitor return) with every
   number of the tables written out below.
2. A plain-Python reference (dicts and loops) compared with the polars tables on hypothesis-generated data.
3. Invariants: every share in [0, 1], the per-customer sums add up to the segment table and the totals.
   Plus the periods, the chapter's sentences, the demo panel and the located validate error.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import tx
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cjmgen import api
from cjmgen.analyses import wallet
from cjmgen.analyses.base import Context
from cjmgen.analyses.wallet_core import months_back, window_before, window_to
from cjmgen.charts import wallet as wallet_charts
from cjmgen.charts.theme import Theme
from cjmgen.errors import UserError
from cjmgen.facts import build_facts

D = dt.date
AS_OF = D(2023, 12, 31)
OTHER = "Other"  # the RFM name of every scored customer when the spec names no segment


def panel(rows: list[tuple[str, str, str, float]]) -> pl.DataFrame:
    """competitor_purchases rows (customer_id, competitor, 'YYYY-MM-DD', amount) as the readers type them."""
    return pl.DataFrame({
        "customer_id": [r[0] for r in rows], "competitor": [r[1] for r in rows],
        "date": [dt.datetime.fromisoformat(r[2]) for r in rows], "amount": [float(r[3]) for r in rows],
        "category": [None] * len(rows)}, schema_overrides={"category": pl.String})


def run(lines: pl.DataFrame, purchases: pl.DataFrame, as_of: dt.date = AS_OF, **params) -> wallet.WalletResult:
    facts = build_facts({"transactions": lines, "competitor_purchases": purchases}, as_of)
    return wallet.compute(Context(None, facts), wallet.Params(**params))  # type: ignore[arg-type]


# ===================================================================== 1. hand fixture
#
# Period now: 2023-01-01..2023-12-31; before: 2022-01-01..2022-12-31.
# A: ours 2022-03 100 | 2023-02 100, 2023-06 50; X 2023-03 50.      before 1.0, now 150/200 = 0.75 → drop 0.25
# B: ours 2022-06 80 | 2023-03 20, return-only receipt 2023-04 −5; X 2023-04 40, Y 2023-05 40 + 10 (one day)
#    before 1.0, now 15/105 = 1/7 → drop 6/7
# C: ours 2023-05 10; Y 2022-01 5.                                   before 0, now 1 (a rise)
# D: ours 2023-05 10, not in the panel: outside it.
# E: X 2023-07 30 only: share 0, no orders with us.
# F: ours 2021-05 10, X 2021-06 20: no spend in either period, left out.
# G: ours 2023-08 30; X 2023-08 −10 (a return alone): their spend floored at 0, no purchase → share 1.
HAND_LINES = tx([
    ("A", "a0", "2022-03-01", 100), ("A", "a1", "2023-02-01", 100), ("A", "a2", "2023-06-01", 50),
    ("B", "b0", "2022-06-01", 80), ("B", "b1", "2023-03-01", 20), ("B", "br", "2023-04-01", -5),
    ("C", "c1", "2023-05-01", 10), ("D", "d1", "2023-05-01", 10), ("F", "f1", "2021-05-01", 10),
    ("G", "g1", "2023-08-01", 30), (None, "u1", "2023-08-01", 999),
])
HAND_PANEL = panel([
    ("A", "X", "2023-03-01", 50), ("B", "X", "2023-04-01", 40), ("B", "Y", "2023-05-01", 40),
    ("B", "Y", "2023-05-01", 10), ("C", "Y", "2022-01-01", 5), ("E", "X", "2023-07-01", 30),
    ("F", "X", "2021-06-01", 20), ("G", "X", "2023-08-02", -10),
])


def test_hand_customers_and_totals():
    result = run(HAND_LINES, HAND_PANEL)
    expected = pl.DataFrame([
        ("A", 150.0, 50.0, 0.75, OTHER), ("B", 15.0, 90.0, 1 / 7, OTHER), ("C", 10.0, 0.0, 1.0, OTHER),
        ("E", 0.0, 30.0, 0.0, wallet.NOT_OURS), ("G", 30.0, 0.0, 1.0, OTHER),
    ], schema=["customer_id", "our_revenue", "competitor_revenue", "share", "segment"], orient="row")
    assert_frame_equal(result.customers, expected)
    assert (result.our_revenue, result.competitor_revenue) == (205.0, 170.0)
    assert result.share == pytest.approx(205 / 375)
    assert (result.measured, result.panel_customers, result.outside_panel) == (5, 6, 1)  # panel: A B C E F G
    assert (result.start, result.end, result.before_start, result.before_end) == (
        D(2023, 1, 1), AS_OF, D(2022, 1, 1), D(2022, 12, 31))


def test_hand_segments():
    expected = pl.DataFrame([(OTHER, 4, 205.0, 140.0, 205 / 345), (wallet.NOT_OURS, 1, 0.0, 30.0, 0.0)],
                            schema=["segment", "customers", "our_revenue", "competitor_revenue", "share"], orient="row")
    assert_frame_equal(run(HAND_LINES, HAND_PANEL).segments, expected, check_dtypes=False)


def test_hand_cross_shop_and_overlap():
    result = run(HAND_LINES, HAND_PANEL)
    # with us in the period (measured, a real order): A (2 orders, 150), B (1 order, 20: the return is no order),
    # C (1, 10), G (1, 30). X: A and B; Y: B. G's return at X is no purchase.
    expected = pl.DataFrame([
        ("X", 2, 0.5, 1.5, 1.0, 170 / 3, 45.0), ("Y", 1, 0.25, 1.0, 1.0, 20.0, 50.0),
    ], schema=["competitor", "customers", "customers_share", "orders_per_customer_us", "orders_per_customer_them",
               "avg_check_us", "avg_check_them"], orient="row")
    assert_frame_equal(result.cross_shop, expected, check_dtypes=False)
    assert result.charted == ["X", "Y"] and result.competitors == 2
    assert result.overlap.rows() == [(True, [], 2), (True, ["X"], 1), (True, ["X", "Y"], 1), (False, ["X"], 1)]


def test_hand_leaking():
    result = run(HAND_LINES, HAND_PANEL)
    assert result.leaking.rows() == [("B", 1.0, 1 / 7, 15.0), ("A", 1.0, 0.75, 150.0)]
    assert (result.leaking_customers, result.leaking_active, result.leaking_revenue) == (2, 2, 165.0)
    assert result.customer_lists() == {"leaking": result.leaking}
    assert run(HAND_LINES, HAND_PANEL, threshold=0.25).leaking["customer_id"].to_list() == ["B", "A"]  # 0.25 counts
    assert run(HAND_LINES, HAND_PANEL, threshold=0.26).leaking["customer_id"].to_list() == ["B"]


def test_a_shorter_period():
    # 6 months: 2023-07-01..2023-12-31, before 2023-01-01..2023-06-30
    result = run(HAND_LINES, HAND_PANEL, period=6)
    assert (result.start, result.before_start, result.before_end) == (D(2023, 7, 1), D(2023, 1, 1), D(2023, 6, 30))
    assert result.customers.select("customer_id", "share").rows() == [("E", 0.0), ("G", 1.0)]


@pytest.mark.parametrize(("day", "months", "back"), [
    (D(2023, 12, 31), 12, D(2022, 12, 31)), (D(2024, 3, 31), 1, D(2024, 2, 29)), (D(2023, 3, 31), 13, D(2022, 2, 28)),
    (D(2023, 1, 15), 1, D(2022, 12, 15)),
])
def test_months_back(day, months, back):
    assert months_back(day, months) == back


def test_windows_are_adjacent():
    now = window_to(D(2024, 2, 29), 12)
    before = window_before(now, 12)
    assert (now.start, before.start, before.end) == (D(2023, 3, 1), D(2022, 3, 1), D(2023, 2, 28))


# ===================================================================== 2. plain-Python reference

def reference(orders: list[tuple[str, str, dt.date, float]], purchases: list[tuple[str, str, dt.date, float]],
              start: dt.date, end: dt.date) -> dict[str, tuple[float, float, float]]:
    """customer → (ours, theirs, share) for panel customers with spend in [start, end]."""
    members = {p[0] for p in purchases}
    ours: dict[str, float] = {}
    theirs: dict[str, float] = {}
    for customer, _order, day, amount in orders:
        if customer in members and start <= day <= end:
            ours[customer] = ours.get(customer, 0.0) + amount
    for customer, _competitor, day, amount in purchases:
        if start <= day <= end:
            theirs[customer] = theirs.get(customer, 0.0) + amount
    out = {}
    for customer in set(ours) | set(theirs):
        a, b = max(ours.get(customer, 0.0), 0.0), max(theirs.get(customer, 0.0), 0.0)
        if a + b > 0:
            out[customer] = (a, b, a / (a + b))
    return out


_day = st.dates(D(2021, 6, 1), D(2023, 12, 31))
_amount = st.integers(-30, 300).map(float)
_orders = st.lists(st.tuples(st.sampled_from("ABCDEFG"), _day, _amount), min_size=1, max_size=40)
_purchases = st.lists(st.tuples(st.sampled_from("BCDEFGH"), st.sampled_from(["X", "Y", "Z"]), _day, _amount),
                      min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(_orders, _purchases, st.sampled_from([3, 6, 12]), st.sampled_from([0.1, 0.2, 0.5]))
def test_matches_plain_python(orders, purchases, months, threshold):
    rows = [(c, f"o{i}", day.isoformat(), amount) for i, (c, day, amount) in enumerate(orders)]
    result = run(tx(rows), panel([(c, k, day.isoformat(), a) for c, k, day, a in purchases]),
                 period=months, threshold=threshold)
    numbered = [(c, f"o{i}", day, amount) for i, (c, day, amount) in enumerate(orders)]
    now = reference(numbered, purchases, result.start, result.end)
    got = {r[0]: r[1:4] for r in result.customers.rows()}
    assert got.keys() == now.keys()
    for customer, (a, b, share) in now.items():
        assert got[customer] == pytest.approx((a, b, share))
    before = reference(numbered, purchases, result.before_start, result.before_end)
    leaking = {c for c in now.keys() & before.keys() if before[c][2] - now[c][2] >= threshold - 1e-9}
    assert set(result.leaking["customer_id"].to_list()) == leaking
    # invariants: shares in [0, 1]; the segment table and the totals add up the customers
    for frame, column in ((result.customers, "share"), (result.segments, "share"), (result.cross_shop, "customers_share"),
                          (result.leaking, "share_before"), (result.leaking, "share_now")):
        assert frame[column].is_between(0.0, 1.0).all()
    assert result.segments["customers"].sum() == result.customers.height == result.measured
    assert result.our_revenue == pytest.approx(sum(v[0] for v in now.values()))
    assert result.share is None or 0 <= result.share <= 1


def test_row_order_is_irrelevant():
    shuffled = run(HAND_LINES.reverse(), HAND_PANEL.reverse())
    result = run(HAND_LINES, HAND_PANEL)
    for name in ("customers", "segments", "cross_shop", "overlap", "leaking"):
        assert_frame_equal(getattr(shuffled, name), getattr(result, name))


# ===================================================================== 3. spec, chapter, demo

def test_no_competitor_purchases_source_is_a_located_validate_error(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          wallet: {}
        """, {"data/t.csv": "customer_id,order_id,date,amount\n1,A,2024-01-01,5\n"})
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    assert [str(p) for p in caught.value.problems] == [
        f"{spec}:5:11: analyses.wallet: wallet needs a competitor_purchases source (customer_id, competitor, date, "
        "amount); the spec has no sources.competitor_purchases"]


def _render(template: str, result, locale: str, **extra) -> str:
    from cjmgen.render.html import report_environment

    env = report_environment(locale, "RUB")
    return " ".join(env.get_template(template).render(result=result, **extra).split())


def test_headline_and_chapter_read_whole():
    result = run(HAND_LINES, HAND_PANEL)
    assert _render("_headline_wallet.html", result, "en") == (
        "Our share of the panel customers' spend is 55%; 2 customers are leaking to competitors.")
    assert _render("_headline_wallet.html", result, "ru") == (
        "Наша доля в тратах клиентов панели — 55 %; 2 клиента уходят к конкурентам.")
    chapter = _render("_wallet.html", result, "ru", charts={})
    assert "Вне панели — 1 клиент с заказами у нас за период" in chapter
    assert "Нет заказов у нас" in chapter and "Доля кошелька упала на 20 п. п. и больше" in chapter
    assert "у 2 клиентов." in chapter and "Заказы у нас за период всё ещё есть у 2 из них" in chapter
    quiet = run(HAND_LINES, HAND_PANEL, threshold=0.9)
    assert _render("_headline_wallet.html", quiet, "en") == (
        "Our share of the panel customers' spend is 55%; no customer is leaking to competitors.")


def test_a_panel_without_spend_in_the_period_says_so():
    result = run(HAND_LINES, panel([("Z", "X", "2019-01-01", 5)]))
    assert (result.share, result.measured, result.cross_shop.height, result.overlap.height) == (None, 0, 0, 0)
    assert wallet_charts.charts(result, Theme("en")) == {}
    assert _render("_headline_wallet.html", result, "en") == (
        "The panel customers spent nothing with us or with competitors in the period.")
    assert "Cross-shopping" not in _render("_wallet.html", result, "en", charts={})


def test_charts_name_combinations():
    result = run(HAND_LINES, HAND_PANEL)
    made = wallet_charts.charts(result, Theme("ru", "RUB"))
    assert set(made) == {"by_segment", "overlap"}
    values = made["overlap"].to_dict()["data"]["values"]
    assert [v["combination"] for v in values] == ["Только у нас", "Мы + X", "Мы + X + Y", "X"]


def test_every_sentence_of_the_chapter_is_translated():
    from test_drivers import untranslated

    assert untranslated(["_wallet.html", "_headline_wallet.html"], ["cjmgen/charts/wallet.py"]) == []


def test_demo_panel_is_seeded_and_realistic():
    from cjmgen.demo_data import generate
    from cjmgen.demo_data.competitors import COLUMNS, competitor_panel

    lines, _ = generate(6000, seed=7)
    purchases = competitor_panel(lines, 7)
    assert purchases.columns == list(COLUMNS) and purchases.equals(competitor_panel(lines, 7))
    members = purchases["customer_id"].n_unique()
    holders = lines["customer_id"].drop_nulls().n_unique()
    assert 0.15 * holders < members < 0.35 * holders
    assert set(purchases["competitor"].unique()) == {"Аптека Плюс", "Ригла-Лайк", "Фарма-Маркет"}
    assert purchases["date"].max() <= D(2023, 12, 31) and (purchases["amount"] > 0).all()
    result = run(lines, purchases.with_columns(pl.col("date").cast(pl.Datetime)))
    assert result.share is not None and 0.3 < result.share < 0.7 and result.leaking_customers > 0
