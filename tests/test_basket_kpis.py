"""Basket KPIs (METHODS §7), checked three ways.

1. A hand fixture (two stores and an order without store, two months, quantities, a return at the till, a
   return-only receipt, a zero line, a line without category) with every cell written out below.
2. A plain-Python reference (dicts and loops) compared with the polars tables on hypothesis-generated logs,
   with and without quantity and category.
3. Invariants: the network pools orders (the orders-weighted mean of the stores, not their plain mean), order
   counts add up, shares stay in [0, 1], input row order is irrelevant.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cjmgen.analyses import basket_kpis
from cjmgen.analyses.base import Context
from cjmgen.charts import basket_kpis as basket_charts
from cjmgen.charts.theme import Theme
from cjmgen.facts import build_facts

D = dt.date
SCHEMA = {"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "amount": pl.Float64,
          "quantity": pl.Float64, "category": pl.String, "store": pl.String}
COLUMNS = ["orders", "identified_orders", "identified_share", "depth_lines", "depth_items", "width"]


def tx(rows: list[tuple]) -> pl.DataFrame:
    """Canonical lines from (customer, order, 'YYYY-MM-DD', amount, quantity, category, store) rows."""
    return pl.DataFrame({name: [r[i] for r in rows] for i, name in enumerate(SCHEMA)}, schema={
        **SCHEMA, "date": pl.String}).with_columns(pl.col("date").str.to_datetime("%Y-%m-%d", time_unit="us"))


def run(lines: pl.DataFrame, as_of: dt.date | None = None, **params):
    return basket_kpis.compute(Context(None, build_facts({"transactions": lines}, as_of)), basket_kpis.Params(**params))


# ===================================================================== 1. hand fixture
#
# order  store month  card  purchase lines (qty, category)          lines items width
# o1     S1    01     A     10 (2 X), 20 (1 Y); −10 returned at till   2     3     2
# u1     S1    01     —     15 (1 X)                                   1     1     1
# o2     S2    01     B     5 (no qty → 1, X), 0 (1 Z: a zero line)    2     2     2
# o3     S2    01     B     −5 only: not an order
# o4     S1    02     A     30 (3, no category)                        1     3     0
# u2     S2    02     —     8 (2 Y), 7 (1 Y)                           2     3     1
# o5     —     02     C     12 (1 Z)                                   1     1     1
HAND = tx([
    ("A", "o1", "2023-01-05", 10.0, 2.0, "X", "S1"), ("A", "o1", "2023-01-05", 20.0, 1.0, "Y", "S1"),
    ("A", "o1", "2023-01-05", -10.0, -1.0, "X", "S1"), (None, "u1", "2023-01-07", 15.0, 1.0, "X", "S1"),
    ("B", "o2", "2023-01-20", 5.0, None, "X", "S2"), ("B", "o2", "2023-01-20", 0.0, 1.0, "Z", "S2"),
    ("B", "o3", "2023-01-25", -5.0, -1.0, "X", "S2"), ("A", "o4", "2023-02-02", 30.0, 3.0, None, "S1"),
    (None, "u2", "2023-02-10", 8.0, 2.0, "Y", "S2"), (None, "u2", "2023-02-10", 7.0, 1.0, "Y", "S2"),
    ("C", "o5", "2023-02-11", 12.0, 1.0, "Z", None),
])


def frame(rows, key: list[str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=[*key, *COLUMNS], orient="row")


def test_hand_by_store():
    got = run(HAND).by_store
    assert_frame_equal(got, frame([
        ("S1", 3, 2, 2 / 3, 4 / 3, 7 / 3, 1.0),     # o1, u1, o4
        ("S2", 2, 1, 0.5, 2.0, 2.5, 1.5),           # o2, u2
        ("—", 1, 1, 1.0, 1.0, 1.0, 1.0),            # o5
    ], ["store"]), check_dtypes=False, rel_tol=1e-12)


def test_hand_by_month():
    got = run(HAND).by_month
    assert_frame_equal(got, frame([
        ("2023-01", 3, 2, 2 / 3, 5 / 3, 2.0, 5 / 3),   # o1, u1, o2
        ("2023-02", 3, 2, 2 / 3, 4 / 3, 7 / 3, 2 / 3),  # o4, u2, o5
    ], ["month"]), check_dtypes=False, rel_tol=1e-12)


def test_hand_store_month_has_observed_cells_only():
    got = run(HAND).store_month
    assert_frame_equal(got, frame([
        ("S1", "2023-01", 2, 1, 0.5, 1.5, 2.0, 1.5),
        ("S1", "2023-02", 1, 1, 1.0, 1.0, 3.0, 0.0),
        ("S2", "2023-01", 1, 1, 1.0, 2.0, 2.0, 2.0),
        ("S2", "2023-02", 1, 0, 0.0, 2.0, 3.0, 1.0),
        ("—", "2023-02", 1, 1, 1.0, 1.0, 1.0, 1.0),
    ], ["store", "month"]), check_dtypes=False, rel_tol=1e-12)


def test_hand_network_and_facts():
    f = run(HAND, min_store_orders=1)
    # 6 orders, 4 with a card; lines 9, items 13, categories 7
    assert f.network == pytest.approx({"orders": 6, "identified_orders": 4, "identified_share": 2 / 3,
                                       "depth_lines": 1.5, "depth_items": 13 / 6, "width": 7 / 6})
    assert f.best_store is not None and f.worst_store is not None
    assert f.best_store["store"] == "—" and f.worst_store["store"] == "S2"
    assert f.has_items and f.has_width and f.has_store and f.stores == 3
    assert f.months == 2 and f.share_first is None  # fewer than six months: no trend sentence


def test_small_stores_are_flagged_and_never_named_extremes():
    """Defect: a store with a handful of orders was named highest or lowest identified share in the headline."""
    result = run(HAND)  # stores of 3, 2 and 1 orders, all under the default of 30
    assert result.min_store_orders == 30 and result.best_store is None and result.worst_store is None
    assert sorted(result.small_stores) == ["S1", "S2", "—"]
    assert result.by_store is not None and result.by_store.height == 3  # they stay in the tables
    rows = [(f"c{i}" if i < 30 else None, f"a{i}", "2023-01-05", 10.0, 1.0, "X", "Big") for i in range(40)]
    rows += [(f"d{i}" if i < 10 else None, f"b{i}", "2023-01-05", 10.0, 1.0, "X", "Mid") for i in range(30)]
    rows += [(f"e{i}", f"t{i}", "2023-01-05", 10.0, 1.0, "X", "Tiny") for i in range(11)]  # 100% on 11 orders
    result = run(tx(rows))
    assert (result.best_store["store"], result.worst_store["store"]) == ("Big", "Mid")
    assert result.small_stores == ["Tiny"]
    headline = _render("_headline_basket_kpis.html", result, "en")
    assert "Tiny" not in headline and "(Big)" in headline


def test_headline_is_whole_sentences_with_compact_numbers():
    """Defect: the summary line was glued from fragments; the order count now reads 1.2K / 1,2 тыс. (Babel)."""
    rows = [(f"c{i}" if i % 4 else None, f"o{i}", "2023-01-05", 10.0, 1.0, "X", "S1" if i % 2 else "S2")
            for i in range(1200)]
    result = run(tx(rows))
    en = _render("_headline_basket_kpis.html", result, "en")
    # S1 (odd numbers) all identified, S2 half: every fourth order has no card
    assert en == "75.0% of 1.2K orders carry a customer ID, from 50.0% (S2) to 100.0% (S1)."
    ru = _render("_headline_basket_kpis.html", result, "ru")
    # a store's name says what it is ("Магазин на Ленина"): no "в магазине Магазин на Ленина"
    assert ru == "75,0 % из 1,2 тыс. заказов — с ID клиента: от 50,0 % (S2) до 100,0 % (S1)."


def _render(template: str, result, locale: str, **extra) -> str:
    from cjmgen.render.html import report_environment

    env = report_environment(locale, "EUR")
    return " ".join(env.get_template(template).render(result=result, **extra).split())


def test_without_optional_columns():
    result = run(HAND.drop("quantity", "category", "store"))
    assert set(result.exported_tables()) == {"basket_by_month"}
    assert result.by_month.columns == ["month", "orders", "identified_orders", "identified_share", "depth_lines"]
    assert not result.has_items and not result.has_width and not result.has_store


def test_trend_pools_the_first_and_last_three_months():
    rows = []
    for month in range(1, 8):  # month m: m orders, one of them identified in months ≥ 4 … all identified in month 7
        for i in range(month):
            card = f"c{i}" if (month == 7 or (month >= 4 and i == 0)) else None
            rows.append((card, f"{month}-{i}", f"2023-{month:02d}-10", 10.0, 1.0, "X", "S1"))
    f = run(tx(rows))
    assert f.first_months == ["2023-01", "2023-02", "2023-03"] and f.last_months == ["2023-05", "2023-06", "2023-07"]
    assert f.share_first == 0.0
    assert f.share_last == pytest.approx((1 + 1 + 7) / (5 + 6 + 7))


# ===================================================================== 2. plain-Python reference

def ref_baskets(lines: list[dict], as_of) -> list[dict]:
    """One dict per real order: store, month, identified, lines, items, width (METHODS §1, purchase lines only)."""
    orders: dict = {}
    for line in lines:
        day = line["date"].date()
        if day > as_of:
            continue
        o = orders.setdefault(line["order_id"], {"customer": line["customer_id"], "day": day, "store": line["store"],
                                                 "lines": 0, "items": 0.0, "categories": set(), "real": False})
        o["day"] = min(o["day"], day)
        if line["amount"] >= 0:
            o["real"] = True
            o["lines"] += 1
            o["items"] += 1.0 if line["quantity"] is None else line["quantity"]
            if line["category"] is not None:
                o["categories"].add(line["category"])
    return [{"store": o["store"] or "—", "month": f"{o['day'].year}-{o['day'].month:02d}",
             "identified": o["customer"] is not None, "depth_lines": o["lines"], "depth_items": o["items"],
             "width": len(o["categories"])} for o in orders.values() if o["real"]]


def ref_kpis(baskets: list[dict], keys: list[str]) -> dict:
    groups: dict = {}
    for b in baskets:
        groups.setdefault(tuple(b[k] for k in keys), []).append(b)
    return {key: {"orders": len(bs), "identified_orders": sum(b["identified"] for b in bs),
                  "identified_share": sum(b["identified"] for b in bs) / len(bs),
                  **{m: sum(b[m] for b in bs) / len(bs) for m in ("depth_lines", "depth_items", "width")}}
            for key, bs in groups.items()}


STORES = ["S1", "S2", None]
BASE = dt.datetime(2023, 1, 20, 10)


@st.composite
def logs(draw):
    lines = []
    for number in range(draw(st.integers(1, 14))):
        customer, offset = draw(st.sampled_from(["a", "b", "c", None])), draw(st.integers(0, 80))
        store = draw(st.sampled_from(STORES))  # one store per order
        for _ in range(draw(st.integers(1, 3))):
            amount = draw(st.sampled_from([-20.0, 0.0, 5.0, 30.0]))
            lines.append({"customer_id": customer, "order_id": f"o{number}", "date": BASE + dt.timedelta(days=offset),
                          "amount": amount, "quantity": draw(st.one_of(st.none(), st.sampled_from([1.0, 2.0, 5.0]))),
                          "category": draw(st.sampled_from(["X", "Y", "Z", None])), "store": store})
    return lines, (BASE + dt.timedelta(days=draw(st.integers(30, 90)))).date()


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(data=st.data())
def test_matches_reference(data):
    lines, as_of = data.draw(logs())
    baskets = ref_baskets(lines, as_of)
    result = run(pl.DataFrame(lines, schema=SCHEMA), as_of)
    if not baskets:
        assert result.network is None
        return
    for table, keys in (("basket_by_store", ["store"]), ("basket_by_month", ["month"]),
                        ("basket_store_month", ["store", "month"])):
        expected = ref_kpis(baskets, keys)
        got = {tuple(r[k] for k in keys): r for r in result.exported_tables()[table].to_dicts()}
        assert set(got) == set(expected), table
        for key, cell in expected.items():
            assert got[key] == pytest.approx(got[key] | cell), (table, key)
    assert result.network == pytest.approx(ref_kpis(baskets, [])[()])


# ===================================================================== 3. invariants

@FAST
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_invariants(data, seed):
    lines, as_of = data.draw(logs())
    frame_ = pl.DataFrame(lines, schema=SCHEMA)
    result = run(frame_, as_of)
    network = result.network
    if network is None:
        return
    by_store = result.by_store
    assert by_store["orders"].sum() == network["orders"] == result.by_month["orders"].sum()
    for column in ("depth_lines", "depth_items", "width", "identified_share"):
        weighted = (by_store[column] * by_store["orders"]).sum() / by_store["orders"].sum()
        assert weighted == pytest.approx(network[column])  # pooled, i.e. weighted by orders
    for table in result.exported_tables().values():
        assert table["identified_share"].is_between(0, 1).all()
        assert (table["identified_orders"] <= table["orders"]).all()
    shuffled = run(frame_.sample(fraction=1.0, shuffle=True, seed=seed), as_of)
    for key, table in result.exported_tables().items():
        assert_frame_equal(table, shuffled.exported_tables()[key], rel_tol=1e-9, abs_tol=1e-9)


def test_network_is_not_the_mean_of_stores():
    # S1: 3 orders all identified; S2: 1 order unidentified → network 3/4, mean of stores 1/2
    lines = tx([("a", "1", "2023-01-01", 1.0, 1.0, "X", "S1"), ("a", "2", "2023-01-02", 1.0, 1.0, "X", "S1"),
                ("b", "3", "2023-01-03", 1.0, 1.0, "X", "S1"), (None, "4", "2023-01-04", 1.0, 1.0, "X", "S2")])
    network = run(lines).network
    assert network is not None and network["identified_share"] == 0.75


def test_charts_build():
    charts = basket_charts.charts(run(HAND), Theme("ru"))
    assert set(charts) == {"share_by_month", "share_heatmap", "depth", "width", "share_dots"}
    heatmap = charts["share_heatmap"].to_dict()
    assert heatmap["title"] == "Доля заказов с ID клиента: магазин × месяц"
    assert len(heatmap["data"]["values"]) == 5


def test_axis_labels_cannot_collide():
    """Defect: month labels ran together ("2010-122011-01") and so did numbers ("5,5006,000")."""
    charts = {k: c.to_dict() for k, c in basket_charts.charts(run(_months(36)), Theme("en")).items()}
    line_x = charts["share_by_month"]["encoding"]["x"]["axis"]
    assert line_x["labelOverlap"] == "greedy" and line_x["labelAngle"] == -90
    heat_x = charts["share_heatmap"]["encoding"]["x"]["axis"]
    assert heat_x["labelOverlap"] == "greedy" and heat_x["labelAngle"] == -90
    dots = charts["depth"]["layer"][1]["encoding"]["x"]["axis"]
    assert dots["labelOverlap"] == "greedy" and dots["tickCount"] <= 5


def test_every_sentence_of_the_chapter_is_translated():
    from test_drivers import untranslated

    assert untranslated(["_basket_kpis.html", "_headline_basket_kpis.html"], ["cjmgen/charts/basket_kpis.py"]) == []


def _months(count: int) -> pl.DataFrame:
    """Two stores, one identified and one anonymous order per store each month from January 2021."""
    rows = []
    for m in range(count):
        day = f"{2021 + m // 12}-{m % 12 + 1:02d}-05"
        for store in ("S1", "S2"):
            rows += [("a", f"{store}{m}a", day, 10.0, 1.0, "X", store), (None, f"{store}{m}u", day, 10.0, 1.0, "X", store)]
    return tx(rows)


@pytest.mark.parametrize("months, labelled", [(24, True), (25, False), (36, False)])
def test_heatmap_labels_cells_up_to_24_months_else_shows_a_band_legend(months, labelled):

    from cjmgen.render.svg import to_svg

    chart = basket_charts.charts(run(_months(months)), Theme("en"))["share_heatmap"]
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]] if "layer" in spec else [spec["mark"]["type"]]
    assert marks == (["rect", "text"] if labelled else ["rect"])
    rect = spec["layer"][0] if labelled else spec
    assert (rect["encoding"]["color"].get("legend", "default") is None) == labelled
    if not labelled:
        assert rect["encoding"]["color"]["scale"]["type"] == "threshold"
    assert "linearGradient" not in to_svg(chart, "#1f4e79")
