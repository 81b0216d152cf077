"""Dirty data values (issue 8): each test feeds the smallest file that broke a build, or that a build used silently."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cjmgen import api
from cjmgen.data import plausible
from cjmgen.errors import UserError
from cjmgen.facts import build_facts
from cjmgen.render.formatting import Formatter

SPEC = """\
project: {title: T, client: C, currency: GBP}
sources:
  transactions:
    path: data/tx.csv
"""
HEADER = "customer_id,order_id,date,amount\n"


def _lines(n: int = 40) -> str:
    """n ordinary lines: 8 customers, one order each, 2023."""
    return "".join(f"c{i % 8},o{i},2023-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 7}\n" for i in range(n))


def _read(project, body: str, spec: str = SPEC, raw: bytes | None = None):
    path = project(spec, {"data/tx.csv": raw if raw is not None else HEADER + body})
    return api.read_sources(api.validate(path))["transactions"]


def _problem(caught: pytest.ExceptionInfo[UserError]) -> str:
    return "\n".join(str(p) for p in caught.value.problems)


@pytest.fixture(autouse=True)
def _build_day(monkeypatch):
    """The build's own date, fixed: the data layer is the only reader of the clock."""
    monkeypatch.setattr(plausible, "today", lambda: dt.date(2024, 6, 1))


# --- non-finite and absurd numbers -------------------------------------------------------------------------------

def test_nan_and_infinities_are_quarantined_with_their_reason(project):
    src = _read(project, _lines() + "c1,x1,2023-05-05,nan\nc1,x2,2023-05-05,inf\nc1,x3,2023-05-05,-Infinity\n",
                SPEC + "    max_quarantine_share: 0.2\n")
    assert src.quarantine.select("__row", "reason").rows() == [(42, "non-finite amount"), (43, "non-finite amount"),
                                                               (44, "non-finite amount")]
    assert src.frame["amount"].is_finite().all() and src.frame.height == 40


def test_non_finite_optional_numbers_are_set_to_null_and_counted(project):
    body = "".join(f"c{i},o{i},2023-01-0{1 + i % 9},10,{'nan' if i == 3 else 4}\n" for i in range(20))
    src = _read(project, "", raw=("customer_id,order_id,date,amount,cost\n" + body).encode())
    assert src.quarantine.is_empty() and src.nulled == {"cost": 1}
    assert src.frame["cost"].null_count() == 1


def test_an_amount_derived_from_an_infinite_price_is_quarantined(project):
    spec = SPEC + "    columns: {quantity: qty, price: unit}\n"
    body = "".join(f"c{i},o{i},2023-01-0{1 + i % 9},2,{'1e308' if i == 5 else 3}\n" for i in range(30))
    src = _read(project, "", spec, raw=("customer_id,order_id,date,qty,unit\n" + body).encode())
    assert src.quarantine.select("__row", "reason").rows() == [(7, "non-finite amount")]  # 2 × 1e308 = inf


def test_an_absurd_amount_is_reported_and_the_report_prints_it(project):
    spec = SPEC + "analyses:\n  rfm: {bins: 3}\nreport: {outputs: [html]}\n"
    path = project(spec, {"data/tx.csv": HEADER + _lines() + "c1,o999,2023-05-05,1e300\n"})
    out = api.build(path, path.parent / "out").out  # was: decimal.InvalidOperation in formatting
    notes = json.loads((out / "build.json").read_text())["inputs"]["transactions"]["notes"]
    assert ("amount: implausibly large values (lines: 1; the largest, 1e+300, on line 42) are used as they are: "
            "check the file") in notes
    assert "implausibly large values" in (out / "report.html").read_text(encoding="utf-8")


def test_ordinary_large_amounts_are_not_reported(project):
    body = _lines() + "c1,o999,2023-05-05,150000\n"  # a big B2B order: 10^4 times the median, under 10^9
    assert not any("implausibly" in note for note in _read(project, body).notes)


@pytest.mark.parametrize("value", [1e300, -1.7e308, 123456789012345678901234567890.0])
def test_the_formatter_prints_any_finite_number(value):
    for locale in ("en", "ru"):
        f = Formatter(locale, "GBP")
        for text in (f.num(value), f.money(value), f.compact(value), f.pct(value), f.dec(value)):
            assert text and text != "—"
    assert Formatter("en", "GBP").num(1e20) == "100,000,000,000,000,000,000"


# --- dates in the future and years of silence --------------------------------------------------------------------

def test_a_date_typo_in_the_future_is_quarantined_and_as_of_stays_with_the_data(project):
    src = _read(project, _lines() + "c1,o999,2999-01-01,10\n")
    assert src.quarantine.select("__row", "reason").rows() == [(42, "date in the future")]
    assert src.date_range()[1] == dt.date(2023, 12, 24)
    sales = build_facts({"transactions": src.frame}, None).sales
    assert sales is not None and sales.as_of == dt.date(2023, 12, 24)


def test_dates_a_day_after_the_build_or_mostly_in_the_future_are_kept(project):
    assert _read(project, _lines() + "c1,o999,2024-06-02,10\n").quarantine.is_empty()  # time zones
    future = "".join(f"c{i % 8},o{i},2031-{1 + i % 12:02d}-01,10\n" for i in range(40))
    assert _read(project, future).quarantine.is_empty()  # no past to compare with: a fixture, not a typo


def test_as_of_centuries_after_the_data_is_refused_before_any_chart(project):
    # the latest as_of the spec accepts (2199-12-31) is still 176 years of empty months after this data
    spec = SPEC.replace("currency: GBP}", "currency: GBP, as_of: 2199-12-31}") + "analyses:\n  cohorts: {period: month}\n"
    path = project(spec, {"data/tx.csv": HEADER + _lines()})
    with pytest.raises(UserError) as caught:
        api.build(path, path.parent / "out")
    assert caught.value.problems[0].path == "project.as_of"
    assert "no transaction from 2023-12-24 to 2199-12-31" in _problem(caught)
    assert "thousands of empty periods" in _problem(caught)


def test_a_date_typo_in_the_past_is_refused_and_named(project):
    spec = SPEC + "analyses:\n  cohorts: {period: month}\n"
    path = project(spec, {"data/tx.csv": HEADER + _lines() + "c1,o999,0203-01-01,10\n"})
    with pytest.raises(UserError) as caught:
        api.build(path, path.parent / "out")
    assert caught.value.problems[0].path == "sources.transactions.path"
    assert "check the lines dated 0203-01-01 or earlier (lines: 1)" in _problem(caught)


# --- blank lines, physical lines, duplicates ---------------------------------------------------------------------

def test_blank_lines_are_skipped_and_counted_apart(project):
    body = _lines(300) + "\n" * 20 + " , , ,\n"
    src = _read(project, body)  # was: 6.2% quarantined as "missing amount", over the limit
    assert (src.rows_read, src.blank_lines, src.rows_valid) == (300, 21, 300)
    assert src.quarantine.is_empty()


def test_quarantine_lines_are_physical_lines_after_quoted_newlines(project):
    body = 'c1,"o1\nsecond\nthird",2023-01-01,5\nc2,o2,2023-01-02,abc\n\nc3,o3,2023-01-03,\n' + _lines()
    src = _read(project, body, SPEC + "    max_quarantine_share: 0.5\n")
    assert src.quarantine.select("__row", "reason").rows() == [(5, "unparseable amount"), (7, "missing amount")]
    assert src.frame["order_id"][0] == "o1\nsecond\nthird"


def test_exact_duplicates_are_counted_and_used_by_default(project):
    src = _read(project, _lines() + _lines(10))
    assert (src.rows_read, src.duplicate_rows, src.duplicates_dropped, src.rows_valid) == (50, 10, 0, 50)
    assert src.frame.height == 50


def test_drop_duplicates_drops_them_and_build_json_counts_them(project):
    spec = SPEC + "    drop_duplicates: true\nanalyses:\n  rfm: {bins: 3}\nreport: {outputs: [html]}\n"
    path = project(spec, {"data/tx.csv": HEADER + _lines() + _lines(10) + "\n\n"})
    out = api.build(path, path.parent / "out").out
    tx = json.loads((out / "build.json").read_text())["inputs"]["transactions"]
    assert (tx["rows_read"], tx["rows_used"], tx["rows_excluded"]) == (50, 40, {"duplicate": 10})
    assert (tx["duplicate_rows"], tx["blank_lines_skipped"]) == (10, 2)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "10 rows repeated an earlier row in every column and were dropped (drop_duplicates: true)." in html
    assert "2 blank lines were skipped: they are not counted among the rows read." in html


# --- encodings ---------------------------------------------------------------------------------------------------

def test_utf8_file_declared_single_byte_is_flagged(project):
    raw = (HEADER.strip() + ",category\n" + "".join(f"{line},Café\n" for line in _lines().splitlines())).encode()
    src = _read(project, "", SPEC + "    encoding: latin-1\n", raw=raw)
    assert ("the file is UTF-8 text, but its encoding is set to latin-1: names read garbled ('CafÃ©' instead of "
            "'Café'); set encoding: utf-8") in src.notes
    cp1251 = (HEADER.strip() + ",category\n" + "".join(f"{line},Кафе\n" for line in _lines().splitlines()))
    assert not any("UTF-8" in n for n in _read(project, "", SPEC + "    encoding: cp1251\n", cp1251.encode("cp1251")).notes)


# --- broken tables name the line and the cause -------------------------------------------------------------------

def test_a_ragged_row_names_its_line(project):
    with pytest.raises(UserError) as caught:
        _read(project, _lines() + "c1,o1,2023-01-01,5,extra\n")
    assert caught.value.problems[0].path == "sources.transactions.path"
    assert "tx.csv:42: this row has 5 fields but the header has 4" in _problem(caught)


def test_an_unbalanced_quote_names_the_line_it_opens_on(project):
    with pytest.raises(UserError) as caught:
        _read(project, _lines() + 'c1,"o1,2023-01-01,5\n' + _lines(3))
    assert 'tx.csv:42: a quoted value opens on this line and its closing quote (") never comes' in _problem(caught)


def test_a_header_only_file_says_so(project):
    with pytest.raises(UserError) as caught:
        _read(project, "\n")
    assert caught.value.problems[0].path == "sources.transactions.path"
    assert "has no data rows, only a header" in _problem(caught) and "(e.g. )" not in _problem(caught)


def test_all_negative_amounts_say_returns_only(project):
    spec = SPEC + "analyses:\n  rfm: {bins: 3}\n"
    body = "".join(f"c{i % 8},o{i},2023-01-0{1 + i % 9},-{5 + i}\n" for i in range(30))
    path = project(spec, {"data/tx.csv": HEADER + body})
    with pytest.raises(UserError) as caught:
        api.build(path, path.parent / "out")
    assert caught.value.problems[0].path == "sources.transactions"
    assert "has a negative amount: the log holds returns only" in _problem(caught)
    assert "check sources.transactions.columns.customer_id and project.as_of" not in _problem(caught)


def test_a_bom_file_read_as_utf_8_sig_gets_no_encoding_warning(project, capsys):
    path = project(SPEC + "    encoding: utf-8-sig\n",
                   {"data/tx.csv": ("\ufeff" + HEADER + _lines() + "c1,o998,2023-05-05,10\n").encode("utf-8")
                    .replace(b"c1,o998", "Café,o998".encode())})
    result = api.build(path, path.parent / "out")
    assert not any("garbled" in note for note in result.info["inputs"]["transactions"]["notes"])
    assert "garbled" not in capsys.readouterr().err
