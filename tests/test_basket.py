"""Basket and product analytics (METHODS §7), checked three ways.

1. Hand fixtures with every expected number worked out below: rules (pairs and triples), sequence rules, repurchase
   cycles (with a substitute group), RFM-P statuses, next best product.
2. A plain-Python reference (sets, itertools.combinations and loops over baskets, no polars) compared with the polars
   output on hypothesis-generated logs with returns, zero lines, unidentified orders and lines without an item.
3. Properties: support ≤ confidence ≤ 1, lift(A → B) == lift(B → A) for pairs, counts are integers, next best
   product never offers an item the customer bought.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmgen.analyses import basket, basket_customers
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts
from tests.chapter_render import methodology, render_partial

D = dt.date
AS_OF = D(2024, 3, 31)


def tx(rows: list[tuple], quantity: bool = True) -> pl.DataFrame:
    """Canonical transactions from (customer_id, order_id, 'YYYY-MM-DD', sku, quantity) rows."""
    frame = pl.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_id": [r[1] for r in rows],
         "date": [dt.datetime.fromisoformat(r[2]) for r in rows], "sku": [r[3] for r in rows],
         "quantity": [float(r[4]) for r in rows]},
        schema={"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "sku": pl.String,
                "quantity": pl.Float64})
    return frame if quantity else frame.drop("quantity")


def run(lines: pl.DataFrame, as_of: dt.date | None = AS_OF, **params):
    return basket.compute(Context(None, build_facts({"transactions": lines}, as_of)), basket.Params(**params))


def rows_of(frame: pl.DataFrame) -> list[tuple]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in frame.iter_rows()]


# ===================================================================== 1. hand fixtures
#
# Baskets (orders with a line of positive quantity; items = distinct SKUs of those lines):
# o1 {A, B}  o2 {C}  o3 {A}  o4 {A, B, C}  o5 {A}  o6 {B, C}  o9 {B}      → 7 baskets
# o7 is a return (−1), o8 has only a zero line, o9's D line has quantity 0 (not an item).
# orders: A 4, B 4, C 3; AB 2, AC 1, BC 2; ABC 1.
# min_support 0.2 (≥ 1.4 baskets): AB and BC are frequent, AC is not.
# A → B: support 2/7, confidence 2/4, lift 2·7/(4·4) = 0.875     B → A: 2/4, 0.875
# B → C: confidence 2/4, lift 2·7/(4·3) = 7/6                    C → B: 2/3, 7/6
RULES = tx([
    ("c1", "o1", "2024-01-01", "A", 1), ("c1", "o1", "2024-01-01", "B", 2), ("c1", "o2", "2024-01-20", "C", 1),
    ("c1", "o3", "2024-02-20", "A", 1), ("c2", "o4", "2024-01-05", "A", 1), ("c2", "o4", "2024-01-05", "B", 1),
    ("c2", "o4", "2024-01-05", "C", 1), ("c2", "o5", "2024-01-15", "A", 1), (None, "o6", "2024-01-07", "B", 1),
    (None, "o6", "2024-01-07", "C", 1), ("c3", "o7", "2024-01-09", "A", -1), (None, "o8", "2024-01-10", "D", 0),
    (None, "o9", "2024-01-11", "B", 1), (None, "o9", "2024-01-11", "D", 0),
])


def test_hand_rules_pairs():
    result = run(RULES, min_support=0.2, min_confidence=0, min_lift=0)
    assert result.baskets == 7 and result.items == 3 and result.frequent_items == 3
    assert rows_of(result.rules) == rows_of(pl.DataFrame(
        [("C", "B", 2, 2 / 7, 2 / 3, 7 / 6), ("B", "C", 2, 2 / 7, 1 / 2, 7 / 6),
         ("A", "B", 2, 2 / 7, 1 / 2, 7 / 8), ("B", "A", 2, 2 / 7, 1 / 2, 7 / 8)], orient="row"))
    assert result.best_lift == pytest.approx(7 / 6)


def test_hand_rules_thresholds():
    assert rows_of(run(RULES, min_support=0.2, min_confidence=0).rules.select("antecedent", "consequent")) == [
        ("C", "B"), ("B", "C")]  # default min_lift 1 drops A ↔ B (0.875)
    assert rows_of(run(RULES, min_support=0.2, min_confidence=0.6).rules.select("antecedent", "consequent")) == [
        ("C", "B")]
    assert run(RULES, min_support=0.3).rules.height == 0  # no pair in 3 of 7 baskets


def test_hand_rules_triples():
    # min_support 0.1 (≥ 0.7 baskets): every set. ABC in 1 basket.
    # A + B → C: 1/2 (AB 2), lift 1·7/(2·3) = 7/6;  A + C → B: 1/1, lift 7/(1·4) = 7/4;  B + C → A: 1/2, lift 7/8
    result = run(RULES, min_support=0.1, min_confidence=0, min_lift=0, max_len=3)
    three = result.rules.filter(pl.col("antecedent").str.contains(" + ", literal=True))
    assert rows_of(three) == rows_of(pl.DataFrame(
        [("A + C", "B", 1, 1 / 7, 1.0, 7 / 4), ("A + B", "C", 1, 1 / 7, 1 / 2, 7 / 6),
         ("B + C", "A", 1, 1 / 7, 1 / 2, 7 / 8)], orient="row"))
    assert result.rules.height == 6 + 3  # A↔C enters at this support: 1/4 and 1/3, lift 7/12


# Sequences, cycles, RFM-P (as_of 2024-03-31, one SKU per order unless said):
# c1: A 01-01, C 01-20, A 02-20, A 03-21     c2: {A, C} 01-05, A 01-15     c4: A 03-01, C 03-10
# c5: A 01-10, C 03-20                         c6: A 02-01, A 02-25
# 12 baskets, 5 customers. Sequence within 60 days → a first A counts when on or before 01-31.
# A → C: counted c1 (01-01), c5 (01-10); c2 had C the same day (not counted); c4, c6 too late.
#        holds for c1 (lag 19); c5's C comes after 70 days → customers 1, confidence 1/2, median 19.
# C → A: c1 and c2 had A by their first C → nobody counted, no rule.
# Cycle of A: gaps c1 50, 30; c2 10; c6 24 → [10, 24, 30, 50]: median 27, p80 (linear, position 2.4) 38;
#   buyers 5, repeat buyers 3. C: buyers 4, no repeat.
# Substitutes {AC: [A, C]}: gaps c1 19, 31, 30 (2024 is a leap year); c2 10; c4 9; c5 70; c6 24 → median 24,
#   p80 (position 4.8 in [9, 10, 19, 24, 30, 31, 70]) 30 + 0.8·1 = 30.8; buyers 5, repeat 5.
# RFM-P on A (cycle 27, p80 38): c1 last 03-21 → 10 active; c2 01-15 → 76 lapsed; c4 03-01 → 30 due;
#   c5 01-10 → 81 lapsed; c6 02-25 → 35 due.
SEQ = tx([
    ("c1", "s1", "2024-01-01", "A", 1), ("c1", "s2", "2024-01-20", "C", 1), ("c1", "s3", "2024-02-20", "A", 1),
    ("c1", "s4", "2024-03-21", "A", 1), ("c2", "s5", "2024-01-05", "A", 1), ("c2", "s5", "2024-01-05", "C", 1),
    ("c2", "s6", "2024-01-15", "A", 1), ("c4", "s7", "2024-03-01", "A", 1), ("c4", "s8", "2024-03-10", "C", 1),
    ("c5", "s9", "2024-01-10", "A", 1), ("c5", "s10", "2024-03-20", "C", 1), ("c6", "s11", "2024-02-01", "A", 1),
    ("c6", "s12", "2024-02-25", "A", 1),
])


def test_hand_sequence_rules():
    result = run(SEQ, min_support=0.2, min_confidence=0.5, sequence={"within_days": 60})
    assert rows_of(result.sequence) == [("A", "C", 1, 0.5, 19.0)]
    assert run(SEQ, min_support=0.2, min_confidence=0.6, sequence={"within_days": 60}).sequence.height == 0
    # an 80-day window: a first A counts up to 01-11 (c1, c5; c2 blocked) and c5's 70-day lag now holds
    wide = run(SEQ, min_support=0.2, min_confidence=0.5, sequence={"within_days": 80})
    assert rows_of(wide.sequence) == [("A", "C", 2, 1.0, 44.5)]


def test_hand_cycles_and_substitutes():
    cycles = run(SEQ, min_support=0.05).cycles
    assert rows_of(cycles) == [("A", 5, 3, 27.0, 38.0), ("C", 4, 0, None, None)]
    grouped = run(SEQ, min_support=0.05, substitutes={"AC": ["A", "C"]}).cycles
    assert rows_of(grouped) == [("AC", 5, 5, 24.0, 30.8)]


def test_hand_rfmp(monkeypatch):
    monkeypatch.setattr(basket_customers, "MIN_REPEAT_BUYERS", 1)
    monkeypatch.setattr(basket, "MIN_REPEAT_BUYERS", 1)
    result = run(SEQ, min_support=0.05)
    assert rows_of(result.rfmp.drop("last_date")) == [
        ("c1", "A", 3, 10, 27.0, "active"), ("c2", "A", 2, 76, 27.0, "lapsed"), ("c4", "A", 1, 30, 27.0, "due"),
        ("c5", "A", 1, 81, 27.0, "lapsed"), ("c6", "A", 2, 35, 27.0, "due")]
    assert result.rfmp["last_date"].to_list()[:2] == [D(2024, 3, 21), D(2024, 1, 15)]
    assert rows_of(result.status) == [("A", 5, 27.0, 38.0, 1, 2, 2)]
    assert result.lapsed_total == 2
    lists = result.customer_lists()
    assert list(lists) == ["lapsed_a"] and lists["lapsed_a"]["customer_id"].to_list() == ["c2", "c5"]


def test_rfmp_needs_enough_repeat_buyers():
    result = run(SEQ, min_support=0.05)  # A has 3 repeat buyers, fewer than MIN_REPEAT_BUYERS
    assert result.rfmp.height == 0 and result.top_cycle is None and result.customer_lists() == {}


def test_hand_next_best_product():
    # A in 9 of 12 baskets, C in 4, together in 1 (support 1/12 ≥ 0.05); A → C confidence 1/9. Only c6 lacks C.
    result = run(SEQ, min_support=0.05, min_confidence=0.5)
    assert result.rules.height == 0  # below the thresholds the pair still serves as co-purchase
    assert rows_of(result.next_best) == [("c6", "C", round(1 / 9, 9), 1, "A")]
    assert result.customers_with_offer == 1 and rows_of(result.offered) == [("C", 1)]


def test_a_line_without_quantity_counts_by_its_amount():
    lines = pl.DataFrame({"order_id": ["o1", "o1", "o2", "o3"], "date": [dt.datetime(2024, 1, 1)] * 4,
                          "sku": ["A", "B", "A", "B"], "quantity": [1.0, None, None, None],
                          "amount": [5.0, 3.0, -2.0, None]})
    result = run(lines, min_support=0.1, min_confidence=0, min_lift=0)
    # o1 {A, B} (B's amount 3 > 0), o2 returns A (no basket), o3 knows neither (a basket {B})
    assert result.baskets == 2 and rows_of(result.rules.select("antecedent", "consequent", "orders")) == [
        ("A", "B", 1), ("B", "A", 1)]


def test_log_without_customers_or_amounts():
    """A bakery-like log: order, date, item. Rules yes; the customer analyses are left out and the chapter says why."""
    lines = RULES.filter(pl.col("quantity") > 0).drop("customer_id", "quantity")
    result = run(lines, min_support=0.2, min_confidence=0)
    assert result.baskets == 7 and result.rules.height == 2 and not result.has_customers
    assert result.sequence is None and result.cycles is None and result.rfmp is None and result.next_best is None
    assert set(result.exported_tables()) == {"basket_rules"}
    en = render_partial("_basket.html", result, "en", charts={})
    assert "need a customer ID; this log has none." in en
    ru = render_partial("_basket.html", result, "ru", charts={})
    assert "нужен ID клиента, а в этих данных его нет." in ru


def test_needs_and_spec():
    assert basket.needs == {"transactions": ("date", "order_id")}
    assert basket.needs_for(basket.Params(level="category")) == [(("level",), "transactions", "category")]
    with pytest.raises(ValueError, match="two substitute groups"):
        basket.Params(substitutes={"x": ["A"], "y": ["A"]})
    with pytest.raises(ValueError):
        basket.Params(max_len=4)


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_chapter_headline_and_methodology_render(locale, monkeypatch):
    monkeypatch.setattr(basket_customers, "MIN_REPEAT_BUYERS", 1)
    monkeypatch.setattr(basket, "MIN_REPEAT_BUYERS", 1)
    full = run(SEQ, min_support=0.05, min_confidence=0.05, sequence={"within_days": 60})
    text = render_partial("_basket.html", full, locale, charts={})
    headline = render_partial("_headline_basket.html", full, locale)
    if locale == "en":
        assert "12 baskets hold 2 distinct items." in text
        assert headline == ("In 12 baskets no pair of items sells together more than by chance: "
                            "the highest lift is 0.33.")  # A ↔ C: 1·12 / (9·4)
    else:
        assert "Корзин: 12; разных товаров в них: 2." in text
    rule = render_partial("_headline_basket.html", run(RULES, min_support=0.2, min_confidence=0), locale)
    assert rule == ("66.7% of baskets with C also hold B, 1.2 times as often as baskets at large." if locale == "en"
                    else "В 66,7 % корзин с C есть и B — в 1,2 раза чаще, чем в корзинах вообще.")
    none = render_partial("_headline_basket.html", run(RULES, min_support=0.2, min_confidence=0.9), locale)
    assert ("No rule passes" in none) if locale == "en" else ("Ни одно правило" in none)
    assert "AC = A, C" in methodology("basket", basket.Params(substitutes={"AC": ["A", "C"]}), locale)


# ===================================================================== 2. plain-Python reference


def reference_rules(lines: list[tuple], min_support: float, min_confidence: float, min_lift: float,
                    max_len: int) -> dict[tuple[str, str], tuple[int, Fraction, Fraction, Fraction]]:
    """(antecedent, consequent) → (orders, support, confidence, lift) from baskets built with sets."""
    baskets: dict[str, set[str]] = {}
    for _customer, order, _day, item, quantity in lines:
        if quantity > 0:
            baskets.setdefault(order, set())
            if item is not None:
                baskets[order].add(item)
    n = len(baskets)
    count: dict[frozenset[str], int] = {}
    for items in baskets.values():
        for size in range(1, max_len + 1):
            for combo in itertools.combinations(sorted(items), size):
                count[frozenset(combo)] = count.get(frozenset(combo), 0) + 1
    frequent = {s: c for s, c in count.items() if c / n >= min_support}
    out = {}
    for itemset, c in frequent.items():
        if len(itemset) < 2 or any(frozenset(sub) not in frequent for sub in itertools.combinations(itemset, 1)):
            continue
        for consequent in itemset:
            antecedent = itemset - {consequent}
            if antecedent not in frequent:
                continue
            confidence = Fraction(c, frequent[antecedent])
            lift = confidence / Fraction(frequent[frozenset({consequent})], n)
            if float(confidence) >= min_confidence and float(lift) >= min_lift:
                out[(" + ".join(sorted(antecedent)), consequent)] = (c, Fraction(c, n), confidence, lift)
    return out


def reference_cycles(lines: list[tuple]) -> dict[str, tuple[int, int, float | None, float | None]]:
    """item → (buyers, repeat buyers, median, p80) of the gaps between a customer's purchase days of it."""
    days: dict[tuple[str, str], set[dt.date]] = {}
    for customer, _order, day, item, quantity in lines:
        if quantity > 0 and customer is not None and item is not None:
            days.setdefault((item, customer), set()).add(day)
    out = {}
    for item in sorted({i for i, _ in days}):
        people = [sorted(d) for (i, _), d in days.items() if i == item]
        gaps = sorted((b - a).days for d in people for a, b in itertools.pairwise(d))
        out[item] = (len(people), sum(len(d) >= 2 for d in people), _linear(gaps, 0.5), _linear(gaps, 0.8))
    return out


def _linear(values: list[int], q: float) -> float | None:
    if not values:
        return None
    position = q * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


LINE = st.tuples(st.sampled_from(["c1", "c2", "c3", None]), st.sampled_from([f"o{i}" for i in range(12)]),
                 st.integers(0, 120), st.sampled_from(["A", "B", "C", "D", "E", None]), st.sampled_from([-1, 0, 1, 2]))


def _frame(drawn: list[tuple]) -> tuple[pl.DataFrame, list[tuple]]:
    # an order belongs to one customer on one day: the first line drawn for it decides both
    owner: dict[str, tuple[str | None, int]] = {}
    fixed = []
    for customer, order, day, item, quantity in drawn:
        customer, day = owner.setdefault(order, (customer, day))
        fixed.append((customer, order, D(2024, 1, 1) + dt.timedelta(days=day), item, quantity))
    frame = tx([(c, o, d.isoformat(), i, q) for c, o, d, i, q in fixed])
    return frame, fixed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=40), st.sampled_from([0.05, 0.15, 0.3]), st.sampled_from([0.0, 0.3, 0.6]),
       st.sampled_from([0.0, 1.0, 1.5]), st.sampled_from([2, 3]))
def test_rules_match_reference(drawn, min_support, min_confidence, min_lift, max_len):
    frame, lines = _frame(drawn)
    if not any(q > 0 for *_, q in lines):
        return  # no basket at all
    result = run(frame, as_of=None, min_support=min_support, min_confidence=min_confidence, min_lift=min_lift,
                 max_len=max_len)
    expected = reference_rules(lines, min_support, min_confidence, min_lift, max_len)
    got = {(r["antecedent"], r["consequent"]): r for r in result.rules.iter_rows(named=True)}
    assert set(got) == set(expected)
    for key, (orders, support, confidence, lift) in expected.items():
        row = got[key]
        assert row["orders"] == orders
        assert row["support"] == pytest.approx(float(support))
        assert row["confidence"] == pytest.approx(float(confidence))
        assert row["lift"] == pytest.approx(float(lift))
    # properties
    assert result.rules.schema["orders"] == pl.Int64
    for row in got.values():
        assert row["support"] <= row["confidence"] + 1e-12 and row["confidence"] <= 1 + 1e-12
        back = got.get((row["consequent"], row["antecedent"]))
        if back is not None:
            assert back["lift"] == row["lift"]  # the same float, not merely close


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=40))
def test_cycles_and_offers_match_reference(drawn):
    frame, lines = _frame(drawn)
    if not any(q > 0 for *_, q in lines):
        return
    result = run(frame, as_of=None, min_support=0.05, min_confidence=0.0)
    expected = reference_cycles(lines)
    got = {r[0]: r[1:] for r in rows_of(result.cycles)}
    assert got.keys() == expected.keys()
    for item, (buyers, repeat, median, p80) in expected.items():
        assert got[item][:2] == (buyers, repeat)
        assert got[item][2] == pytest.approx(median) and got[item][3] == pytest.approx(p80)
    bought = {(c, i) for c, _o, _d, i, q in lines if q > 0 and c is not None and i is not None}
    offers = result.next_best
    assert not any((c, i) in bought for c, i in offers.select("customer_id", "item").iter_rows())
    assert (offers["rank"].max() or 0) <= 3
    assert offers.schema["rank"] == pl.Int64
    assert rows_of(offers) == reference_offers(lines, 0.05, 3)


@pytest.mark.parametrize("items", [8, 70])  # up to 62 items offers go per set of items (a bit mask); beyond, per customer
def test_offers_match_reference_with_many_items(items):
    import random

    draw = random.Random(items)
    fixed = []
    for order in range(300):
        customer, day = f"c{draw.randint(1, 150)}", D(2024, 1, 1) + dt.timedelta(days=draw.randint(0, 80))
        for _ in range(draw.randint(1, 5)):
            fixed.append((customer, f"o{order}", day, f"s{draw.randint(1, items):02d}", 1))
    frame = tx([(c, o, d.isoformat(), i, q) for c, o, d, i, q in fixed])
    result = run(frame, as_of=None, min_support=0.005, min_confidence=0.0)
    assert result.next_best.height > 150
    assert rows_of(result.next_best) == reference_offers(fixed, 0.005, 3)


def reference_offers(lines: list[tuple], min_support: float, n: int) -> list[tuple]:
    """(customer, item, score, rank, reason) from sets: every pair rule (no confidence or lift threshold) whose
    antecedent the customer bought scores its consequent; best score per item, then the first reason alphabetically;
    per customer the n best items, equal scores alphabetically."""
    pairs = reference_rules(lines, min_support, 0.0, 0.0, 2)
    bought: dict[str, set[str]] = {}
    for customer, _o, _d, item, quantity in lines:
        if quantity > 0 and customer is not None and item is not None:
            bought.setdefault(customer, set()).add(item)
    out = []
    for customer in sorted(bought):
        best: dict[str, tuple[float, str]] = {}
        for (antecedent, consequent), (_c, _s, confidence, _l) in pairs.items():
            if antecedent in bought[customer] and consequent not in bought[customer]:
                score = (-float(confidence), antecedent)
                best[consequent] = min(best.get(consequent, score), score)
        ranked = sorted(best.items(), key=lambda kv: (kv[1][0], kv[0]))[:n]
        out += [(customer, item, round(-score, 9), rank, reason)
                for rank, (item, (score, reason)) in enumerate(ranked, 1)]
    return out


# ===================================================================== 4. through the pipeline

BAKERY = """\
project: {title: Bakery, client: A bakery, currency: GBP}
sources:
  transactions:
    path: receipts.csv
    columns: {order_id: Transaction, date: Date, sku: Item}
analyses:
  basket: {level: LEVEL, min_support: 0.2, min_confidence: 0.1}
report: {outputs: [html]}
"""


def _bakery(tmp_path, level: str):
    rows = ["Date,Time,Transaction,Item", "2024-01-01,09:00,1,Bread", "2024-01-01,09:00,1,Coffee",
            "2024-01-01,10:00,2,Coffee", "2024-01-02,09:00,3,Bread", "2024-01-02,09:00,3,Coffee",
            "2024-01-02,11:00,4,Tea", "2024-01-03,09:00,5,Bread"]
    (tmp_path / "receipts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = tmp_path / "project.yaml"
    spec.write_text(BAKERY.replace("LEVEL", level), encoding="utf-8")
    return spec


def test_a_receipt_log_builds_rules_only(tmp_path):
    """Orders, dates and items only: the build writes the rules and no customer table."""
    from cjmgen import api

    built = api.build(_bakery(tmp_path, "sku"), tmp_path / "out")
    # 5 baskets: Bread 3, Coffee 3, Bread + Coffee 2 → confidence 2/3 both ways, lift 2·5/(3·3) = 10/9
    rules = pl.read_csv(built.out / "tables" / "basket_rules.csv")
    assert rows_of(rules) == rows_of(pl.DataFrame(
        [("Bread", "Coffee", 2, 0.4, 2 / 3, 10 / 9), ("Coffee", "Bread", 2, 0.4, 2 / 3, 10 / 9)], orient="row"))
    assert not (built.out / "tables" / "rfmp.csv").exists()
    assert "need a customer ID" in (built.out / "report.html").read_text(encoding="utf-8")


def test_a_level_without_its_column_is_reported_at_its_key(tmp_path):
    from cjmgen import api
    from cjmgen.errors import UserError

    with pytest.raises(UserError, match="basket needs transactions.category"):
        api.validate(_bakery(tmp_path, "category"))
