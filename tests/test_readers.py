"""Readers: encodings, separators, decimal commas, mapping errors, date detection, quarantine that loses nothing."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjmgen import api
from cjmgen.errors import UserError

RU_SPEC = """\
project: {title: T, client: C, currency: RUB}
sources:
  transactions:
    path: data/receipts.csv
    encoding: cp1251
    separator: ";"
    decimal: ","
    columns: {customer_id: Карта, order_id: Чек, date: Дата, amount: Сумма}
"""


def _read(spec_path):
    return api.read_sources(api.validate(spec_path))


def test_cp1251_semicolon_decimal_comma(project):
    csv = "Карта;Чек;Дата;Сумма\n7700012345;R1;01.02.2023 10:00;1 234,50\n;R2;01.02.2023 11:00;-99,9\n"
    src = _read(project(RU_SPEC, {"data/receipts.csv": csv.encode("cp1251")}))["transactions"]
    frame = src.frame
    assert frame["amount"].to_list() == [1234.5, -99.9]
    assert frame["customer_id"].to_list() == ["7700012345", None]
    assert frame["date"].to_list() == [dt.datetime(2023, 2, 1, 10), dt.datetime(2023, 2, 1, 11)]
    assert "date: date format detected as %d.%m.%Y %H:%M (DD.MM.YYYY HH:MM)" in src.notes
    assert src.rows_read == 2 and src.quarantine.is_empty()


def test_quarantine_keeps_bad_rows_with_line_and_reason(project):
    csv = ("Карта;Чек;Дата;Сумма\n"
           "1;R1;01.02.2023 10:00;10,5\n"
           "2;R2;31.02.2023 10:00;20\n"      # impossible date
           "3;R3;;30\n"                      # no date
           "4;R4;02.02.2023 10:00;12,3,4\n")  # not a number
    spec = RU_SPEC.replace('decimal: ","', 'decimal: ","\n    max_quarantine_share: 0.9')
    src = _read(project(spec, {"data/receipts.csv": csv.encode("cp1251")}))["transactions"]
    assert src.frame["order_id"].to_list() == ["R1"]
    q = src.quarantine.select("__row", "reason", "date", "amount").rows()
    assert q == [(3, "unparseable date", "31.02.2023 10:00", "20"), (4, "missing date", None, "30"),
                 (5, "unparseable amount", "02.02.2023 10:00", "12,3,4")]
    assert src.rows_read == src.frame.height + len(src.quarantine)


def test_quarantine_over_the_limit_fails_with_a_located_message(project):
    csv = "Карта;Чек;Дата;Сумма\n1;R1;01.02.2023;10\n2;R2;01.02.2023;оops\n"
    with pytest.raises(UserError) as caught:
        _read(project(RU_SPEC, {"data/receipts.csv": csv.encode("cp1251")}))
    message = str(caught.value)
    assert message.startswith("project.yaml".join([str(caught.value.problems[0].file).rsplit("project.yaml", 1)[0], ""]))
    assert "sources.transactions.max_quarantine_share: 50.0% of the 2 rows" in message
    assert "unparseable amount 1; first at line 3" in message


def test_mapped_column_missing_lists_the_file_columns(project):
    csv = "card,receipt,ts,total\n1,R1,2023-01-01,5\n"
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions:
            path: data/t.csv
            columns: {customer_id: card, order_id: receipt, date: ts, amount: sum}
        """, {"data/t.csv": csv})
    with pytest.raises(UserError) as caught:
        _read(spec)
    [problem] = caught.value.problems
    line = (spec.read_text().splitlines())[4]
    assert (problem.line, problem.column, problem.path) == (5, line.index("sum") + 1, "sources.transactions.columns.amount")
    assert problem.message == "column 'sum' not found in data/t.csv; the file has: card, receipt, ts, total"


def test_wrong_encoding_names_the_line(project):
    csv = "Карта;Чек;Дата;Сумма\n1;R1;01.02.2023;10\n".encode("cp1251")
    with pytest.raises(UserError) as caught:
        _read(project(RU_SPEC.replace("cp1251", "utf-8"), {"data/receipts.csv": csv}))
    assert "receipts.csv:1: the header is not utf-8 text; set sources.transactions.encoding" in str(caught.value)
    # the header passes (UTF-8, the spec's column names); line 3 is cp1251: the reader names that line
    body = "Карта;Чек;Дата;Сумма\n1;R1;01.02.2023;10\n".encode() + "2;R2;01.02.2023;Сумма\n".encode("cp1251")
    with pytest.raises(UserError) as caught:
        _read(project(RU_SPEC.replace("cp1251", "utf-8"), {"data/receipts.csv": body}))
    assert "receipts.csv:3: the file is not utf-8 text" in str(caught.value)


def test_missing_required_column_and_derived_amount(project):
    csv = "InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID\n536365,12/1/2010 8:26,6,2.55,17850.0\nC1,1/13/2011 9:00,-1,2.55,\n"
    spec = project("""\
        project: {title: T, client: C, currency: GBP}
        sources:
          transactions:
            path: data/uci.csv
            columns: {customer_id: CustomerID, order_id: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}
        """, {"data/uci.csv": csv})
    src = _read(spec)["transactions"]
    assert src.frame["amount"].to_list() == pytest.approx([15.3, -2.55])
    assert src.frame["customer_id"].to_list() == ["17850", None]  # Excel-float ids normalised
    assert src.frame["date"].to_list()[1] == dt.datetime(2011, 1, 13, 9)  # month-first detected
    assert "amount = quantity × price (no amount column mapped)" in src.notes


BAKERY = ("Date,Time,Transaction,Item\n"
          "2016-10-30,09:58:11,1,Bread\n"
          "2016-10-30,10:05:34,2,Scandinavian\n"
          "2016-10-30,10:05:34,2,Scandinavian\n"
          "2016-10-31,,3,Coffee\n"        # no time: the date alone does not fit 'date time'
          ",10:07:57,4,Hot chocolate\n")  # no date
BAKERY_SPEC = """\
project: {title: T, client: Bakery, currency: GBP}
sources:
  transactions:
    path: data/b.csv
    max_quarantine_share: 1
    columns: {date: Date, time: Time, order_id: Transaction, sku: Item}
"""


def test_receipts_without_customer_or_amount_are_read(project):
    src = _read(project(BAKERY_SPEC, {"data/b.csv": BAKERY}))["transactions"]
    assert src.frame.columns == ["date", "order_id", "sku"]  # no customer_id, no amount: none is invented
    assert src.frame["order_id"].to_list() == ["1", "2", "2"]
    assert src.frame["date"].to_list() == [dt.datetime(2016, 10, 30, 9, 58, 11), dt.datetime(2016, 10, 30, 10, 5, 34),
                                           dt.datetime(2016, 10, 30, 10, 5, 34)]
    assert src.quarantine.select("__row", "reason", "date").rows() == [
        (5, "unparseable date", "2016-10-31"), (6, "missing date", None)]
    assert "date: date format detected as %Y-%m-%d %H:%M:%S (YYYY-MM-DD HH:MM:SS)" in src.notes
    assert not any("amount" in note for note in src.notes)


def test_date_only_receipts_and_quantity_without_price(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv, columns: {date: Date, order_id: Receipt, quantity: Qty}}
        """, {"data/t.csv": "Date,Receipt,Qty\n2016-10-30,1,2\n2016-10-31,2,-1\n"})
    src = _read(spec)["transactions"]
    assert src.frame.columns == ["date", "order_id", "quantity"]  # quantity without price: still no amount
    assert src.frame["quantity"].to_list() == [2.0, -1.0]
    assert "date: date format detected as %Y-%m-%d (YYYY-MM-DD)" in src.notes


def test_time_needs_a_date(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv, columns: {time: Time}}
        """, {"data/t.csv": "Time,amount\n10:00,5\n"})
    with pytest.raises(UserError) as caught:
        _read(spec)
    assert caught.value.problems[0].message == (
        "transactions needs date: map it under columns (canonical: file column); "
        "the file has: Time, amount")


@pytest.mark.parametrize(("values", "reported", "first"), [
    (["2023-01-02 10:00:00", "2023-01-03 11:00:00"], "%Y-%m-%d %H:%M:%S (YYYY-MM-DD HH:MM:SS)", dt.datetime(2023, 1, 2, 10)),
    (["2023-01-02 10:00:00.5", "2023-01-03 11:00:00.123456"], "%Y-%m-%d %H:%M:%S.%f (YYYY-MM-DD HH:MM:SS.ffffff)",
     dt.datetime(2023, 1, 2, 10, 0, 0, 500000)),
    (["2023-01-02T10:00:00", "2023-01-03T11:00:00"], "%Y-%m-%dT%H:%M:%S (YYYY-MM-DDTHH:MM:SS)", dt.datetime(2023, 1, 2, 10)),
])
def test_detected_date_format_is_reported_in_strftime(project, values, reported, first):
    """Users copy the reported format into date_format: it must be strftime (not polars' `%.f`) and parse the same."""
    csv = "card,date,amount\n" + "".join(f"1,{v},5\n" for v in values)
    spec_text = "project: {title: T, client: C}\nsources:\n  transactions: {path: data/t.csv, columns: {customer_id: card}}\n"
    src = _read(project(spec_text, {"data/t.csv": csv}))["transactions"]
    assert f"date: date format detected as {reported}" in src.notes
    assert "%." not in " ".join(src.notes)
    assert src.frame["date"][0] == first
    given = reported.split(" (")[0]
    again = _read(project(spec_text.replace("card}}", f"card}}, date_format: '{given}'}}"), {"data/t.csv": csv}))
    assert again["transactions"].frame["date"].to_list() == src.frame["date"].to_list()


def test_transactions_without_a_date_column(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv, columns: {customer_id: card}}
        """, {"data/t.csv": "card,amount\n1,5\n"})
    with pytest.raises(UserError) as caught:
        _read(spec)
    assert caught.value.problems[0].message == (
        "transactions needs date: map it under columns (canonical: file column); the file has: card, amount")


def test_parquet_and_xlsx(project, tmp_path):
    frame = pl.DataFrame({"customer_id": ["a", "b"], "order_id": ["1", "2"],
                          "date": [dt.date(2023, 1, 1), dt.date(2023, 1, 2)], "amount": [1.5, 2.0]})
    folder = tmp_path / "proj"
    (folder / "data").mkdir(parents=True)
    frame.write_parquet(folder / "data" / "t.parquet")
    frame.write_excel(folder / "data" / "t.xlsx")
    for name in ("t.parquet", "t.xlsx"):
        spec = project(f"project: {{title: T, client: C}}\nsources:\n  transactions: {{path: data/{name}}}\n")
        got = _read(spec)["transactions"].frame
        assert got["amount"].to_list() == [1.5, 2.0], name
        assert got["date"].dt.date().to_list() == [dt.date(2023, 1, 1), dt.date(2023, 1, 2)], name


_cells = st.one_of(
    st.builds(lambda d, c: f"{d:02d}.03.2023;{c},50", st.integers(1, 28), st.integers(-50, 500)),
    st.sampled_from(["31.02.2023;10", ";10", "01.03.2023;н/д", "01.03.2023;1,2,3", "xx;1"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_cells, min_size=1, max_size=40))
def test_nothing_is_lost_in_quarantine(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("q")
    body = "".join(f"{i % 7};R{i};{cells}\n" for i, cells in enumerate(rows))
    spec = RU_SPEC.replace("columns: {customer_id: Карта, order_id: Чек, date: Дата, amount: Сумма}",
                           "columns: {customer_id: Карта, order_id: Чек, date: Дата, amount: Сумма}\n    max_quarantine_share: 1\n    date_format: '%d.%m.%Y'")
    (folder / "data").mkdir()
    (folder / "data" / "receipts.csv").write_bytes(("Карта;Чек;Дата;Сумма\n" + body).encode("cp1251"))
    (folder / "project.yaml").write_text(spec, encoding="utf-8")
    src = _read(folder / "project.yaml")["transactions"]
    assert src.rows_read == len(rows)
    assert src.frame.height + len(src.quarantine) == len(rows)
    assert sum(src.quarantined_by_reason().values()) == len(src.quarantine)
    kept_and_bad = sorted(src.frame["order_id"].to_list() + src.quarantine["order_id"].to_list(), key=lambda s: int(s[1:]))
    assert kept_and_bad == [f"R{i}" for i in range(len(rows))]


def test_age_given_as_bands_is_kept_as_text(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          customers: {path: data/c.csv, columns: {customer_id: household_id}}
        """, {"data/c.csv": "household_id,age,income\n1,65+,35-49K\n2,25-34,50-74K\n3,,Under 15K\n"})
    src = _read(spec)["customers"]
    assert src.frame["age"].to_list() == ["65+", "25-34", None]
    assert src.nulled == {} and "age: no value is a number (e.g. '65+'), kept as text" in src.notes


def test_a_message_lists_a_few_short_printable_column_names(project):
    header = ",".join(["x" * 200, "bell\x07"] + [f"col{i}" for i in range(30)])
    csv = header + "\n" + ",".join(["1"] * 32) + "\n"
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv, columns: {customer_id: card, date: col1, amount: col2}}
        """, {"data/t.csv": csv})
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    message = str(caught.value)
    shown = ", ".join(["x" * 39 + "…", "bell?"] + [f"col{i}" for i in range(10)])
    assert f"the file has: {shown} and 20 more" in message
    assert "x" * 40 not in message and "\x07" not in message
