"""Assortment roles and the customer decision hierarchy (METHODS §7), checked three ways.

1. A hand fixture with every share, repeat rate, retention, role and Yule's Q worked out below.
2. A plain-Python reference (sets and loops, no polars) compared with the polars output on hypothesis-generated logs
   with returns, unidentified orders and lines without an item.
3. Properties: roles partition the items; Q lies in [−1, 1] and does not depend on which item is A.
"""

from __future__ import annotations

import datetime as dt
import statistics
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmgen.analyses import assortment
from cjmgen.analyses.assortment_roles import FREQUENCY_CAP, ROLES
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts
from tests.chapter_render import methodology, render_partial

D = dt.date
AS_OF = D(2024, 3, 31)  # window 90 days → cut day 2024-01-01 (2024 is a leap year)

# customer, order, day, sku, category, quantity
HAND = [
    ("c1", "o1", "2023-12-01", "A", "x", 1), ("c1", "o1", "2023-12-01", "B", "x", 1), ("c1", "o1", "2023-12-01", "D", "y", 1),
    ("c1", "o2", "2024-02-01", "A", "x", 1), ("c1", "o2", "2024-02-01", "D", "y", 1),
    ("c2", "o3", "2023-12-05", "A", "x", 1), ("c2", "o3", "2023-12-05", "C", "y", 1),
    ("c2", "o4", "2023-12-20", "C", "y", 1),
    ("c3", "o5", "2023-11-01", "B", "x", 1), ("c3", "o5", "2023-11-01", "E", "y", 1),
    ("c4", "o6", "2024-03-01", "B", "x", 1),
    (None, "o7", "2024-03-02", "A", "x", 1),
    ("c3", "o8", "2023-12-10", "B", "x", -1),  # a return: not a basket, not a purchase of B
]


def tx(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_id": [r[1] for r in rows],
         "date": [dt.datetime.fromisoformat(str(r[2])) for r in rows], "sku": [r[3] for r in rows],
         "category": [r[4] for r in rows], "quantity": [float(r[5]) for r in rows]},
        schema={"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "sku": pl.String,
                "category": pl.String, "quantity": pl.Float64})


def run(lines: pl.DataFrame, as_of: dt.date | None = AS_OF, **params) -> assortment.AssortmentResult:
    return assortment.compute(Context(None, build_facts({"transactions": lines}, as_of)), assortment.Params(**params))


CUTS = {"orders_share": 0.5, "customers_share": 0.5, "repeat_rate": 0.5}


def test_hand_measures_and_roles():
    # 7 baskets (o8 is a return only); 4 customers with a basket (o7 has none).
    # Base at the cut day 2024-01-01: c1 (1 basket before it), c2 (2), c3 (1); c4 first buys in March. Active after
    # it: c1 (and c4, not in base). Non-buyers are matched by that frequency band: band 1 = {c1 active, c3}, band 2 =
    # {c2}; a band where every customer bought the item has no non-buyer and is left out.
    # A: orders o1 o2 o3 o7 = 4/7; buyers c1 c2 = 2/4; c1 twice → repeat 1/2; bought before cut by c1 (band 1), c2
    #    (band 2) → 1 of 2 active; non-buyers: band 1 c3 (0/1) weighted by 1 buyer; band 2 none → 0.
    #    → core (4/7 ≥ 0.5, 0.5 ≥ 0.5)
    # B: o1 o5 o6 = 3/7; c1 c3 c4 = 3/4; repeat 0; before: c1, c3 (band 1) → 1/2; band 1 has no non-buyer → null.
    #    → hits (3/7 < 0.5)
    # C: o3 o4 = 2/7; c2 = 1/4; repeat 1; before: c2 (band 2) → 0/1; band 2 has no non-buyer → null.  → niche
    # D: o1 o2 = 2/7; c1 = 1/4; repeat 1; before: c1 (band 1) → 1/1; band 1 non-buyer c3 → 0.  → retaining
    # E: o5 = 1/7; c3 = 1/4; repeat 0; before: c3 (band 1) → 0/1; band 1 non-buyer c1 → 1.  → random
    result = run(tx(HAND), **CUTS)
    expected = [
        ("A", 4 / 7, 0.5, 0.5, 0.5, "core", 0.0, 4, 2, 1),
        ("B", 3 / 7, 0.75, 0.0, 0.5, "hits", None, 3, 3, 0),
        ("C", 2 / 7, 0.25, 1.0, 0.0, "niche", None, 2, 1, 1),
        ("D", 2 / 7, 0.25, 1.0, 1.0, "retaining", 0.0, 2, 1, 1),
        ("E", 1 / 7, 0.25, 0.0, 0.0, "random", 1.0, 1, 1, 0),
    ]
    assert result.roles.columns[:6] == ["item", "orders_share", "customers_share", "repeat_rate", "buyer_retention",
                                        "role"]
    assert [tuple(pytest.approx(v) if isinstance(v, float) else v for v in row) for row in expected] == \
        list(result.roles.iter_rows())
    assert (result.orders, result.customers, result.items) == (7, 4, 5)
    assert result.role_counts == dict.fromkeys(ROLES, 1)
    assert result.core_orders_share == pytest.approx(4 / 7)
    assert result.top_retaining == ["D"]
    assert result.cdh is None and result.tree is None


def test_median_cuts_and_margin():
    result = run(tx(HAND))
    # medians over the five items: orders [4,3,2,2,1]/7 → 2/7; customers [.5,.75,.25,.25,.25] → .25; repeat → .5
    assert (result.cuts.orders_share, result.cuts.customers_share, result.cuts.repeat_rate) == \
        pytest.approx((2 / 7, 0.25, 0.5))
    assert result.cuts.from_medians == ("orders_share", "customers_share", "repeat_rate")
    # A B C D reach both share cuts → core; E: 1/7 below, customers 0.25 ≥ 0.25 → hits
    assert dict(result.roles.select("item", "role").iter_rows()) == {"A": "core", "B": "core", "C": "core",
                                                                     "D": "core", "E": "hits"}
    # D's retention gap is 1.0: a margin of 1 leaves it a niche item
    strict = run(tx(HAND), **CUTS, retention_margin=1.0)
    assert dict(strict.roles.select("item", "role").iter_rows())["D"] == "niche"


def test_hand_decision_hierarchy():
    # 4 customers; buyers A {c1,c2}, B {c1,c3,c4}, C {c2}, D {c1}, E {c3}.
    # A–B: a=1 b=1 c=2 d=0 → Q = (0 − 2)/(0 + 2) = −1;  A–C: a=1 b=1 c=0 d=2 → +1;  B–E: a=1 b=2 c=0 d=1 → +1;
    # C–D: a=0 b=1 c=1 d=2 → −1.  Substitutes: Q ≤ −0.3 within a category (x: A B; y: C D E).
    result = run(tx(HAND), **CUTS, cdh={"min_buyers": 1, "days": None})
    assert result.cdh is not None and result.tree is not None
    q = {(r["item_a"], r["item_b"]): r for r in result.cdh.iter_rows(named=True)}
    assert len(q) == 10
    assert (q[("A", "B")]["q"], q[("A", "C")]["q"], q[("B", "E")]["q"], q[("C", "D")]["q"]) == (-1, 1, 1, -1)
    assert (q[("A", "B")]["customers_a"], q[("A", "B")]["customers_b"], q[("A", "B")]["customers_both"]) == (2, 3, 1)
    subs = {k for k, r in q.items() if r["substitutes"]}
    assert subs == {("A", "B"), ("C", "D"), ("C", "E"), ("D", "E")}  # A–E and B–C are −1 across categories
    assert result.substitute_pairs == 4 and result.parent == "category" and result.tree.customers == 4
    assert sorted(result.tree.leaves) == ["A", "B", "C", "D", "E"]
    # at least 2 buyers: A and B only; the period of the last 60 days (after 2024-01-31): c1 (A, D) and c4 (B)
    assert run(tx(HAND), cdh={"min_buyers": 2, "days": None}).cdh.rows() == [("A", "B", -1.0, 2, 3, 1, True)]
    late = run(tx(HAND), cdh={"min_buyers": 1, "days": 60})
    # A–B: a=0 b=1 c=1 d=0 → (0 − 1)/(0 + 1) = −1; A–D: a=1 b=0 c=0 d=1 → +1; B–D: as A–B → −1
    assert {(r[0], r[1]): r[2] for r in late.cdh.rows()} == {("A", "B"): -1.0, ("A", "D"): 1.0, ("B", "D"): -1.0}
    # one customer buying both: a=1, b=c=d=0 → ad + bc = 0, Q undefined (null)
    alone = run(tx([("c1", "o1", "2024-01-05", "A", "x", 1), ("c1", "o1", "2024-01-05", "B", "x", 1)]),
                cdh={"min_buyers": 1, "days": None})
    assert alone.cdh.rows() == [("A", "B", None, 1, 1, 1, False)]


def test_needs_and_params():
    assert assortment.needs == {"transactions": ("customer_id", "date", "order_id")}
    assert assortment.needs_for(assortment.Params(level="category")) == [(("level",), "transactions", "category")]
    with pytest.raises(ValueError):
        assortment.Params(level="brand")
    with pytest.raises(ValueError):
        assortment.Params(cdh={"substitute_q": 0.5})


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_chapter_headline_and_methodology_render(locale):
    result = run(tx(HAND), **CUTS, cdh={"min_buyers": 1, "days": None})
    text = render_partial("_assortment.html", result, locale, charts={})
    headline = render_partial("_headline_assortment.html", result, locale)
    method = methodology("assortment", assortment.Params(cdh={}), locale)
    if locale == "en":
        assert headline == "1 core item (A) is in 57.1% of orders; buyers of D stay active more often than non-buyers."
        assert "5 SKUs are placed by the share of orders" in text
        assert "4 pairs of items of the same category have Q at or below −0.30" in text  # a real minus sign
        assert "Yule's Q" in method and "as_of − 90 days" in method
    else:
        assert headline == ("1 позиция ядра (A) есть в 57,1 % заказов; покупатели позиции «D» остаются активными "
                            "чаще непокупателей.")
        assert "5 SKU оценены" in text and "У 4 пар позиций одной категории" in text
        assert "Q Юла" in method
    none = render_partial("_headline_assortment.html", run(tx(HAND), orders_share=1.0), locale)
    assert ("None of 5 items" in none) if locale == "en" else ("Ни одна из 5 позиций" in none)


# ===================================================================== 2. plain-Python reference


def reference(lines: list[tuple], as_of: dt.date, window: int) -> tuple[dict[str, tuple], dict[tuple, Fraction | None]]:
    """item → (orders share, customers share, repeat rate, buyer retention, non-buyer retention matched to the
    buyers' frequency bands), and Q per pair over the whole history, from sets."""
    sold = [r for r in lines if r[5] > 0]
    baskets = {r[1] for r in sold}
    customers = {r[0] for r in sold if r[0] is not None}
    cut = as_of - dt.timedelta(days=window)
    base = {r[0] for r in sold if r[0] is not None and r[2] <= cut}
    active = {r[0] for r in sold if r[0] is not None and r[2] > cut}
    band = {c: min(len({r[1] for r in sold if r[0] == c and r[2] <= cut}), FREQUENCY_CAP) for c in base}
    out = {}
    for item in sorted({r[3] for r in sold if r[3] is not None}):
        rows = [r for r in sold if r[3] == item]
        buyers = {r[0] for r in rows if r[0] is not None}
        repeat = {c for c in buyers if len({r[1] for r in rows if r[0] == c}) >= 2}
        before = {r[0] for r in rows if r[0] is not None and r[2] <= cut}
        weighted, weights = Fraction(0), 0
        for level in set(band.values()):
            mine = {c for c in before if band[c] == level}
            rest = {c for c in base - before if band[c] == level}
            if mine and rest:
                weighted += len(mine) * Fraction(len(rest & active), len(rest))
                weights += len(mine)
        out[item] = (Fraction(len({r[1] for r in rows}), len(baskets)), Fraction(len(buyers), max(len(customers), 1)),
                     Fraction(len(repeat), len(buyers)) if buyers else None,
                     Fraction(len(before & active), len(before)) if before else None,
                     weighted / weights if weights else None)
    bought = {item: {r[0] for r in sold if r[3] == item and r[0] is not None} for item in out}
    q: dict[tuple, Fraction | None] = {}
    for a in out:
        for b in out:
            if a == b or not bought[a] or not bought[b]:
                continue
            both = len(bought[a] & bought[b])
            only_a, only_b = len(bought[a]) - both, len(bought[b]) - both
            neither = len(customers) - both - only_a - only_b
            den = both * neither + only_a * only_b
            q[(a, b)] = Fraction(both * neither - only_a * only_b, den) if den else None
    return out, q


LINE = st.tuples(st.sampled_from(["c1", "c2", "c3", "c4", "c5", None]), st.sampled_from([f"o{i}" for i in range(20)]),
                 st.integers(0, 200), st.sampled_from(["A", "B", "C", "D", "E", None]), st.sampled_from([-1, 0, 1, 2]))


def _frame(drawn: list[tuple]) -> tuple[pl.DataFrame, list[tuple]]:
    owner: dict[str, tuple[str | None, int]] = {}  # an order belongs to one customer on one day: its first line's
    fixed = []
    for customer, order, day, item, quantity in drawn:
        customer, day = owner.setdefault(order, (customer, day))
        fixed.append((customer, order, D(2023, 9, 1) + dt.timedelta(days=day), item, "g", quantity))
    return tx([(c, o, d.isoformat(), i, g, q) for c, o, d, i, g, q in fixed]), fixed


def _close(a: object, b: Fraction | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(float(a) - float(b)) < 1e-12)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=60), st.sampled_from([30, 90]))
def test_measures_and_q_match_reference(drawn, window):
    frame, lines = _frame(drawn)
    if not any(r[5] > 0 and r[0] is not None for r in lines):
        return  # no identified basket
    as_of = max(r[2] for r in lines)
    result = run(frame, as_of=as_of, window_days=window, cdh={"min_buyers": 1, "days": None})
    measures, q = reference(lines, as_of, window)
    got = {r["item"]: r for r in result.roles.iter_rows(named=True)}
    assert set(got) == set(measures)
    for item, values in measures.items():
        row = got[item]
        fields = ("orders_share", "customers_share", "repeat_rate", "buyer_retention", "non_buyer_retention")
        assert all(_close(row[f], v) for f, v in zip(fields, values, strict=True)), (item, row, values)
    # properties: one role per item, from the five
    assert result.roles["item"].n_unique() == result.roles.height == sum(result.role_counts.values())
    assert set(result.roles["role"]) <= set(ROLES)
    assert result.cdh is not None
    for row in result.cdh.iter_rows(named=True):
        assert row["item_a"] < row["item_b"]
        assert _close(row["q"], q[(row["item_a"], row["item_b"])])
        assert q[(row["item_a"], row["item_b"])] == q[(row["item_b"], row["item_a"])]  # symmetric
        assert row["q"] is None or -1 <= row["q"] <= 1
    assert result.cdh.height == len([k for k in q if k[0] < k[1]])


def test_median_cuts_match_statistics():
    result = run(tx(HAND))
    assert result.cuts.orders_share == pytest.approx(statistics.median([4 / 7, 3 / 7, 2 / 7, 2 / 7, 1 / 7]))


# ===================================================================== 3. through a build


SPEC = """\
project: {title: T, client: C, currency: EUR}
sources:
  transactions:
    path: tx.csv
    columns: {customer_id: c, order_id: o, date: d, sku: s, amount: a}
analyses:
  assortment: {level: LEVEL}
report: {outputs: [html]}
"""


def test_a_level_without_its_column_is_reported_at_its_key(tmp_path):
    from cjmgen import api
    from cjmgen.errors import UserError

    (tmp_path / "tx.csv").write_text("c,o,d,s,a\n1,1,2024-01-01,X,5\n", encoding="utf-8")
    (tmp_path / "project.yaml").write_text(SPEC.replace("LEVEL", "category"), encoding="utf-8")
    with pytest.raises(UserError, match="assortment needs transactions.category"):
        api.validate(tmp_path / "project.yaml")
