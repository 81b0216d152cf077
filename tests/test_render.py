"""Rendering: locale formats, safe Markdown, and a PDF renderer that reads nothing outside the project."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from cjmgen.render.formatting import Formatter
from cjmgen.render.markdown import leading_heading, render_markdown
from cjmgen.render.pdf import write_pdf


@pytest.mark.parametrize(("locale", "currency", "value", "expected"), [
    ("ru", "RUB", 19360.4, "19\u00a0360\u00a0₽"),
    ("en", "RUB", 19360.4, "₽19,360"),
    ("en", "GBP", -1234.5, "−£1,234"),  # Babel rounds half to even; a real minus sign
    ("en", "EUR", 0.4, "€0.40"),  # below 100 the cents matter (a price per item)
    ("en", "USD", 99.5, "$99.50"),
    ("ru", "RUB", 100.4, "100\u00a0₽"),
])
def test_money(locale, currency, value, expected):
    assert Formatter(locale, currency).money(value) == expected


def test_numbers_shares_dates_and_missing_values():
    ru, en = Formatter("ru", "RUB"), Formatter("en", "USD")
    assert (ru.num(1234567), en.num(1234567)) == ("1\u00a0234\u00a0567", "1,234,567")
    assert (ru.pct(0.2261), en.pct(0.2261), en.pct(0.2261, 0)) == ("22,6\u00a0%", "22.6%", "23%")
    assert (ru.dec(3.14159), en.dec(3.14159, 1)) == ("3,14", "3.1")
    assert ru.date(dt.date(2023, 12, 31)) == "31 декабря 2023\u202fг."
    assert en.date(dt.date(2023, 12, 31)) == "December 31, 2023"
    assert [en.num(None), en.money(float("nan")), en.pct(None), en.date(None)] == ["—"] * 4


def test_markdown_has_no_raw_html_and_keeps_tables(tmp_path):
    html = render_markdown("# Title\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
                           base_dir=tmp_path, project_dir=tmp_path, drop_title=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<table class="data">' in html and "<h1>" not in html
    assert leading_heading("# Title\n\ntext") == "Title" and leading_heading("text\n\n# Late") is None


def test_markdown_images_only_from_inside_the_project(tmp_path):
    project = tmp_path / "project"
    (project / "img").mkdir(parents=True)
    (project / "img" / "ok.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    html = render_markdown("![a](img/ok.svg) ![b](../secret.svg) ![c](https://example.com/x.png)",
                           base_dir=project, project_dir=project)
    assert html.count('src="data:image/svg+xml;base64,') == 1
    assert html.count('src=""') == 2


def test_pdf_renderer_refuses_files_outside_the_project(tmp_path, caplog):
    project = tmp_path / "project"
    project.mkdir()
    (project / "inside.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")
    outside = tmp_path / "outside.css"
    outside.write_text("body { color: red }")
    html = (f'<html><head><link rel="stylesheet" href="{outside.as_uri()}"></head>'
            '<body><p>Hello report</p><img src="inside.svg"><img src="https://example.com/a.png"></body></html>')
    target = tmp_path / "out.pdf"
    write_pdf(html, target, project)
    assert "Hello report" in PdfReader(target).pages[0].extract_text()
    refused = caplog.text
    assert f"cjmgen reads no file outside the project: {outside}" in refused
    assert "disallowed protocol" in refused and "example.com" in refused
    assert "inside.svg" not in refused


def test_quarantine_reasons_read_as_words_in_each_locale():
    from cjmgen.i18n import translations
    from cjmgen.render.reasons import reason_text

    ru, en = translations("ru").gettext, translations("en").gettext
    assert reason_text("unparseable amount", ru) == "не удалось прочитать: сумма"
    assert reason_text("missing date", ru) == "пустое значение: дата"
    assert reason_text("non-finite amount", ru) == "не конечное число: сумма"
    assert reason_text("date in the future", ru) == "значение в будущем: дата"
    assert reason_text("missing order_id", en) == "order number is empty"
    assert reason_text("missing loyalty_tier", en) == "loyalty_tier is empty"  # an open table's own column
