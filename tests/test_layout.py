"""Page layout of the report: one money precision per table column, totals after the rows they sum, no lone rows."""

from __future__ import annotations

import re
from types import SimpleNamespace

import polars as pl
import pytest
from pypdf import PdfReader

from cjmgen.render.formatting import Formatter, money_column_digits
from cjmgen.render.html import environment
from cjmgen.render.pdf import write_pdf
from cjmgen.render.tables import keep_rows_together


@pytest.mark.parametrize(("amounts", "digits"), [
    ([75.09, 194.0], 0),  # never €75.09 next to €194
    ([12.5, 45.3, 99.99], 2),  # all below 100: cents matter
    ([0.63, 125.0], 2),  # a price below a unit would round to €1 or €0
    ([1.59, 4.53, 6.31], 2),
    ([544.0, 590.0, 101.0], 0),
    ([], 0),
])
def test_one_precision_per_money_column(amounts, digits):
    assert money_column_digits(amounts) == digits


def test_money_digits_reads_a_frame_column_and_skips_missing_and_zero_values():
    fmt = Formatter("en", "EUR")
    table = pl.DataFrame({"ltv": [1071240.0, 0.0, None, 69.01], "price": [0.0, 12.5, float("nan"), 8.0]})
    digits = fmt.money_digits(table, "ltv")
    assert digits == 0 and [fmt.money(v, digits) for v in table["ltv"]] == ["€1,071,240", "€0", "—", "€69"]
    assert fmt.money_digits(table, "price") == 2 and fmt.money(0.0, 2) == "€0.00"
    assert fmt.money_digits(table, "absent") == 0  # an optional column the result does not carry
    assert fmt.money_digits([254.0, 50.83, 305.0]) == 0  # one row of a table whose rows are different measures


def test_a_whole_amount_in_a_sentence_has_no_cents():
    en = Formatter("en", "EUR")
    assert (en.money(85.0), en.money(85.5), en.money(0.4)) == ("€85", "€85.50", "€0.40")


def _table(rows: int, total: bool = True, extra: str = "") -> str:
    body = "".join(f"<tr><td>row {i}</td><td class=\"num\">{i}</td></tr>" for i in range(1, rows + 1))
    foot = "<tfoot><tr><th>Total</th><td class=\"num\">sum</td></tr></tfoot>" if total else ""
    return (f'<table class="data dense"><thead><tr><th>Name</th><th class="num">Value</th></tr></thead>'
            f"<tbody{extra}>{body}</tbody>{foot}</table>")


def _groups(html: str) -> list[tuple[str, list[str]]]:
    return [(attrs.strip(), re.findall(r"row \d+|Total", rows))
            for attrs, rows in re.findall(r"<tbody([^>]*)>(.*?)</tbody>", html, re.S)]


def test_long_table_keeps_its_first_rows_and_its_last_rows_with_the_total():
    html = keep_rows_together(_table(30))
    assert "<tfoot>" not in html and html.count('<tr class="total">') == 1
    groups = _groups(html)
    assert [attrs for attrs, _ in groups] == ['class="keep"', "", 'class="keep"']
    assert groups[0][1] == ["row 1", "row 2"]
    assert groups[1][1] == [f"row {i}" for i in range(3, 29)]
    assert groups[2][1] == ["row 29", "row 30", "Total"]


def test_short_table_is_one_unbreakable_group_and_other_tables_are_left_as_written():
    assert _groups(keep_rows_together(_table(5))) == [('class="keep"', ["row 1", "row 2", "row 3", "row 4", "row 5",
                                                                       "Total"])]
    grouped = _table(30, extra=' class="keep"')
    assert keep_rows_together(grouped) == grouped  # a template's own groups
    spanning = _table(30).replace("<td>row 1</td>", '<td rowspan="2">row 1</td>', 1)
    assert keep_rows_together(spanning) == spanning  # rows tied by rowspan are not regrouped
    plain = _table(30).replace('class="data dense"', 'class="journey"')
    assert keep_rows_together(plain) == plain  # only the report's data tables


def _report_css() -> str:
    theme = SimpleNamespace(primary="#1f4e79", accent="#e07b39", page_size="A4", orientation="portrait")
    return environment(None).get_template("report.css").render(theme=theme)


def test_pdf_prints_the_total_once_after_the_last_row_and_leaves_no_row_alone(tmp_path):
    html = (f"<html><head><style>{_report_css()}</style></head><body><h2>Segments</h2>"
            f"{keep_rows_together(_table(80))}</body></html>")
    target = tmp_path / "table.pdf"
    write_pdf(html, target, tmp_path)
    pages = [page.extract_text() for page in PdfReader(target).pages]
    assert len(pages) >= 2
    assert sum(text.count("Total") for text in pages) == 1  # a repeated tfoot printed it on every page
    last = pages[-1]
    assert "Total" in last and last.index("row 80") < last.index("Total")
    for text in pages:  # every page holds at least two rows of the table, and the heading is not left behind
        assert len(re.findall(r"row \d+", text)) >= 2
    assert "Segments" in pages[0] and "row 1" in pages[0]


def test_pdf_keeps_a_short_table_whole(tmp_path):
    filler = "".join(f"<p>Paragraph {i} of text that fills the page.</p>" for i in range(44))
    html = (f"<html><head><style>{_report_css()}</style></head><body>{filler}<h2>Short</h2>"
            f"{keep_rows_together(_table(6))}</body></html>")
    target = tmp_path / "short.pdf"
    write_pdf(html, target, tmp_path)
    pages = [page.extract_text() for page in PdfReader(target).pages]
    holding = [i for i, text in enumerate(pages) if re.search(r"row \d+", text)]
    assert len(holding) == 1 and "Short" in pages[holding[0]] and "Total" in pages[holding[0]]
