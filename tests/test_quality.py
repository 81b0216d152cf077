"""The data-quality appendix: what a consultant checks first in a transaction log, worked out by hand."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from cjmgen import api
from cjmgen.facts import build_facts
from cjmgen.render.quality import line_checks

# customer, order, day, amount, quantity → price = amount / quantity
LOG = [
    ("a", "o1", 1, 100.0, 2.0),    # price 50
    (None, "o2", 1, 30.0, 1.0),    # unidentified, price 30
    (None, "o2", 1, 0.0, 1.0),     # unidentified, price 0
    ("b", "o3", 2, -20.0, -1.0),   # return, price 20
    ("b", "o4", 2, -5.0, 1.0),     # return (negative amount), price −5
    ("c", "o5", 3, 10.0, 0.0),     # quantity 0: no price
    (None, "o6", 3, -15.0, -3.0),  # unidentified return, price 5
    (None, "o7", 9, -99.0, -1.0),  # after as_of: not checked
]
AS_OF = dt.date(2024, 1, 5)


def _lines(*, drop: tuple[str, ...] = ()) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"customer_id": [r[0] for r in LOG], "order_id": [r[1] for r in LOG],
         "date": [dt.datetime(2024, 1, r[2], 10) for r in LOG], "amount": [r[3] for r in LOG],
         "quantity": [r[4] for r in LOG]},
        schema={"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "amount": pl.Float64,
                "quantity": pl.Float64})
    return frame.drop(drop)


def _checks(**kwargs):
    return line_checks(build_facts({"transactions": _lines(**kwargs)}, AS_OF).sales)


def test_checks_with_amount_and_quantity():
    c = _checks()
    assert (c.lines, c.revenue, c.has_customer_id, c.has_amount) == (7, 100.0, True, True)  # 100+30+0−20−5+10−15
    assert (c.unidentified_lines, c.unidentified_revenue) == (3, 15.0)                        # 30 + 0 − 15
    assert c.unidentified_line_share == pytest.approx(3 / 7) and c.unidentified_revenue_share == pytest.approx(0.15)
    assert (c.return_lines, c.return_value) == (3, -40.0)                                     # −20 −5 −15
    assert c.return_line_share == pytest.approx(3 / 7)
    assert (c.price_from_quantity, c.zero_price_lines, c.negative_price_lines) == (True, 1, 1)
    assert c.zero_price_share == pytest.approx(1 / 7) and c.negative_price_share == pytest.approx(1 / 7)


def test_without_quantity_the_price_is_the_amount():
    c = _checks(drop=("quantity",))
    assert (c.price_from_quantity, c.zero_price_lines, c.negative_price_lines) == (False, 1, 3)
    assert (c.return_lines, c.return_value) == (3, -40.0)


def test_without_amount_returns_come_from_quantity_and_money_is_unknown():
    c = _checks(drop=("amount",))
    assert (c.lines, c.unidentified_lines, c.return_lines) == (7, 3, 2)  # quantities −1 and −3
    assert (c.revenue, c.unidentified_revenue, c.return_value, c.zero_price_lines, c.negative_price_lines) == (None,) * 5
    assert (c.has_amount, c.unidentified_revenue_share) == (False, None)


def test_without_customer_amount_or_quantity():
    c = _checks(drop=("amount", "quantity", "customer_id"))
    assert (c.lines, c.unidentified_lines, c.has_customer_id, c.return_lines) == (7, 7, False, None)
    assert c.as_dict()["lines_without_customer_id_share"] == 1.0


CSV = ("card,receipt,date,amount,qty\n"
       "a,o1,2024-01-01,100,2\n"
       ",o2,2024-01-01,30,1\n"
       ",o2,2024-01-01,0,1\n"
       "b,o3,2024-01-02,-20,-1\n"
       "b,o4,2024-01-02,-5,1\n"
       "c,o5,2024-01-03,10,0\n"
       ",o6,2024-01-03,-15,-3\n")
SPEC = """\
project: {title: T, client: C, currency: EUR, locale: LOCALE}
sources:
  transactions:
    path: data/t.csv
    columns: {customer_id: card, order_id: receipt, quantity: qty}
report: {outputs: [html]}
"""


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", ["<h3>What to check first</h3>",
            "<tr><td>Without a customer ID</td><td class=\"num\">3</td><td class=\"num\">42.9%</td>"
            "<td class=\"num\">€15.00</td><td class=\"num\">15.0%</td></tr>",
            "<tr><td>Returns and cancellations</td><td class=\"num\">3</td><td class=\"num\">42.9%</td>"
            "<td class=\"num\">−€40.00</td>",
            "<tr><td>Zero price</td><td class=\"num\">1</td><td class=\"num\">14.3%</td>",
            "<tr><td>Negative price</td><td class=\"num\">1</td><td class=\"num\">14.3%</td>",
            "Returns and cancellations are lines with a negative amount; price = amount / quantity.",
            "date: date format detected as %Y-%m-%d (YYYY-MM-DD)"]),
    ("ru", ["<h3>Что проверить в первую очередь</h3>",
            "<tr><td>Без ID клиента</td><td class=\"num\">3</td><td class=\"num\">42,9\u00a0%</td>",
            "<tr><td>Возвраты и отмены</td><td class=\"num\">3</td>",
            "<tr><td>Нулевая цена</td><td class=\"num\">1</td>",
            "<tr><td>Отрицательная цена</td><td class=\"num\">1</td>",
            "Возвраты и отмены — строки с отрицательной суммой; цена = сумма / количество."]),
])
def test_appendix_shows_the_checks(project, locale, expected):
    spec = project(SPEC.replace("LOCALE", locale), {"data/t.csv": CSV})
    html = (api.build(spec, spec.parent / "out").out / "report.html").read_text(encoding="utf-8")
    appendix = html[html.index('id="data-quality"'):]
    for text in expected:
        assert text in appendix, text
    assert "%." not in appendix


def test_summary_of_a_log_without_customers_or_amounts_shows_no_zeros(project):
    """A bakery's receipts: revenue, customers, average check and identified share are unknown ("—"), not 0."""
    spec = project("""\
        project: {title: T, client: Bakery, currency: GBP}
        sources:
          transactions: {path: data/b.csv, columns: {date: Date, time: Time, order_id: Transaction, sku: Item}}
        report: {outputs: [html]}
        """, {"data/b.csv": "Date,Time,Transaction,Item\n2016-10-30,09:58:11,1,Bread\n2016-10-30,10:05:34,2,Scandinavian\n"
                            "2016-10-30,10:05:34,2,Coffee\n"})
    html = (api.build(spec, spec.parent / "out").out / "report.html").read_text(encoding="utf-8")
    kpis = dict((label, value) for value, label in
                re.findall(r'kpi-value">([^<]*)</span><span class="kpi-label">([^<]*)<', html))
    assert kpis == {"Revenue": "—", "Orders": "2", "Customers": "—", "Average check": "—",
                    "Share of orders with a customer ID": "—"}
    assert "No customer ID is mapped: every line is an unidentified check. No amount or quantity is mapped" in html
