"""End to end: the demo engagement built through the API and the CLI; what a user opens and what scripts read."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from conftest import sales_of
from pypdf import PdfReader

from cjmgen import api
from cjmgen.demo import write_demo
from cjmgen.render.formatting import Formatter

RFM_SEGMENT_COLUMNS = ["segment", "name", "customers", "customers_share", "revenue", "revenue_share", "orders",
                       "orders_per_customer", "avg_days_since_last", "avg_check", "ltv"]
RFM_CUSTOMER_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment", "name"]
COHORT_COLUMNS = ["cohort", "period", "cohort_size", "active_customers", "retention", "revenue",
                  "cumulative_revenue_per_customer"]


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    spec = write_demo(folder / "project", rows=8_000, seed=3)
    result = api.build(spec, folder / "out")
    return spec, result


def test_outputs_follow_the_contract(demo_build):
    _, result = demo_build
    out = result.out
    for name in ("report.pdf", "report.html", "build.json", "tables/tables.xlsx", "tables/rfm_customers.csv",
                 "tables/rfm_segments.csv", "tables/cohort_retention.csv"):
        assert (out / name).is_file(), name
    segments = pl.read_csv(out / "tables" / "rfm_segments.csv")
    assert segments.columns[:11] == RFM_SEGMENT_COLUMNS
    assert pl.read_csv(out / "tables" / "rfm_customers.csv").columns == RFM_CUSTOMER_COLUMNS
    cohorts = pl.read_csv(out / "tables" / "cohort_retention.csv")
    assert [c for c in COHORT_COLUMNS if c not in cohorts.columns] == []
    assert cohorts["cohort"].str.contains(r"^\d{4}-\d{2}$").all()
    assert not list(out.parent.glob(".out.tmp-*")), "the staging folder was left behind"


def test_segment_lists_partition_the_rfm_customers(demo_build):
    _, result = demo_build
    customers = pl.read_csv(result.out / "tables" / "rfm_customers.csv", schema_overrides={"customer_id": pl.String})
    listed = []
    for path in sorted((result.out / "segments").glob("rfm_R*.csv")):
        ids = pl.read_csv(path, schema_overrides={"customer_id": pl.String})["customer_id"].to_list()
        code = path.stem.removeprefix("rfm_")
        assert set(ids) == set(customers.filter(pl.col("segment") == code)["customer_id"].to_list())
        listed += ids
    assert sorted(listed) == sorted(customers["customer_id"].to_list())


def test_build_json_reconciles_rows(demo_build):
    _, result = demo_build
    info = json.loads((result.out / "build.json").read_text())
    tx = info["inputs"]["transactions"]
    assert tx["rows_read"] == 8_000
    assert tx["rows_read"] == tx["rows_used"] + sum(tx["rows_quarantined"].values()) + sum(tx["rows_excluded"].values())
    assert tx["rows_quarantined"], "the demo file carries a little dirt on purpose"
    assert re.fullmatch(r"[0-9a-f]{64}", tx["sha256"]) and re.fullmatch(r"[0-9a-f]{64}", info["spec"]["sha256"])
    assert {"read", "facts", "analysis:rfm", "analysis:cohorts", "pdf"} <= set(info["timings_s"])
    quarantined = pl.read_csv(result.out / "quarantine" / "transactions.csv", infer_schema=False)
    assert quarantined.height == sum(tx["rows_quarantined"].values())
    checks = tx["line_checks"]  # what a consultant checks first, also in the data-quality appendix
    lines = tx["rows_used"]
    assert checks["lines"] == lines
    assert 0 < checks["lines_without_customer_id"] < lines and checks["return_lines"] > 0
    assert checks["return_value"] < 0


def test_pdf_has_the_chapters_and_the_kpi(demo_build):
    spec, result = demo_build
    reader = PdfReader(result.out / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in ("Содержание", "Резюме", "RFM-сегментация", "Когорты, удержание и LTV", "Ситуация и цели",
                    "Приложение: качество данных", "Приложение: методология", "Матрица триггеров"):
        assert heading in text, heading
    sales = sales_of(spec)
    revenue = Formatter("ru", "RUB").money(sales.orders["revenue"].sum())
    assert revenue.replace("\u00a0", " ") in text.replace("\u00a0", " ")
    assert len(reader.pages) >= 8


def test_html_is_self_contained(demo_build):
    _, result = demo_build
    html = (result.out / "report.html").read_text(encoding="utf-8")

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.sources, self.sections, self.scripts = [], 0, 0

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag in {"img", "script", "link", "iframe"}:
                self.sources.append(attrs.get("src") or attrs.get("href") or "")
            self.sections += tag == "section"

    parser = Collect()
    parser.feed(html)
    assert parser.sources and all(s.startswith("data:") for s in parser.sources)
    assert parser.sections >= 7


def test_same_spec_and_data_give_identical_tables(demo_build, tmp_path):
    spec, first = demo_build
    second = api.build(spec, tmp_path / "again")
    for path in sorted((first.out / "tables").glob("*.csv")):
        assert path.read_bytes() == (second.out / "tables" / path.name).read_bytes(), path.name


def test_a_failed_build_leaves_the_previous_output(demo_build, tmp_path):
    spec, _ = demo_build
    out = tmp_path / "out"
    api.build(spec, out)
    before = (out / "tables" / "rfm_segments.csv").read_bytes()
    broken = spec.parent / "broken.yaml"
    broken.write_text(spec.read_text(encoding="utf-8").replace("decimal: \",\"", "decimal: \".\""), encoding="utf-8")
    with pytest.raises(Exception, match="cannot be used"):
        api.build(broken, out)
    assert (out / "tables" / "rfm_segments.csv").read_bytes() == before
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_refuses_to_overwrite_a_folder_that_is_not_a_build(demo_build, tmp_path):
    spec, _ = demo_build
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    with pytest.raises(Exception, match="not a cjmgen build"):
        api.build(spec, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cjmgen", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_user_error_is_one_line_per_problem_exit_1(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("project:\n  title: T\n  client: C\nanalyses:\n  rfm: {bins: 42}\n")
    done = _cli("validate", str(spec))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    # bins: 42 sets r, f and m at once: one message at the one place the user wrote it; the block, although
    # invalid, is still known to need a transactions source the spec lacks (every problem at once, in line order)
    assert done.stderr.splitlines() == [
        f"{spec}:5:8: analyses.rfm: rfm needs a transactions source (customer_id, date, amount); the spec has no sources.transactions",
        f"{spec}:5:15: analyses.rfm.bins: input should be less than or equal to 10, got 42"]


def test_cli_init_schema_and_validate(tmp_path):
    assert _cli("init", str(tmp_path / "client")).returncode == 0
    spec = tmp_path / "client" / "project.yaml"
    assert spec.is_file() and (tmp_path / "client" / "narrative" / "strategy.md").is_file()
    done = _cli("validate", str(spec))
    assert done.returncode == 1 and "sources.transactions.path: file not found" in done.stderr
    schema = json.loads(_cli("schema").stdout)
    assert {"project", "sources", "analyses", "report"} <= set(schema["properties"])
    assert _cli("init", str(tmp_path / "client")).returncode == 1  # never overwrites


def test_running_header_names_the_chapter_a_page_starts_in(demo_build):
    """Defect: a chapter whose action title comes before its heading kept the previous chapter in the header."""
    _, result = demo_build
    reader = PdfReader(result.out / "report.pdf")
    pages = [page.extract_text().splitlines() for page in reader.pages]
    for title in ("Кластеры клиентов", "Когорты, удержание и LTV", "Сезонность"):
        lines = next(lines for lines in pages if title in lines)  # the page with the chapter's heading
        header = next(line for line in lines if line.startswith("Заказчик:"))
        assert header.endswith(title), (title, header)
