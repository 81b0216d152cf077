"""Real messy data: the UCI Online Retail file (541,909 lines) from ../shared/data, when that folder exists.

Independent figures: Chen, Sain & Guo (2012) and the many public analyses of this file report 4,372 customer ids,
4,339 of them with at least one non-cancelled invoice, total Quantity × UnitPrice of 9,747,747.93, and a
December-2010 cohort of 885 customers of whom 324 (36.6%) bought again in January 2011.
"""

from __future__ import annotations

import json
import lzma
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest import sales_of

from cjmgen import api

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_uci_2010_2011.csv.xz"

SPEC = """\
project: {title: Online retail customer base, client: UCI gift retailer, currency: GBP}
sources:
  transactions:
    path: data/online_retail.csv
    columns: {customer_id: CustomerID, order_id: InvoiceNo, date: InvoiceDate, quantity: Quantity,
              price: UnitPrice, sku: StockCode, channel: Country}
analyses:
  rfm: {bins: 5}
  cohorts: {period: month}
report: {outputs: [pdf, html]}
"""


@pytest.fixture(scope="module")
def uci(tmp_path_factory):
    if not SHARED.is_file():
        pytest.skip("../shared/data is not present")
    folder = tmp_path_factory.mktemp("uci")
    (folder / "data").mkdir()
    with lzma.open(SHARED) as source, (folder / "data" / "online_retail.csv").open("wb") as target:
        shutil.copyfileobj(source, target)
    (folder / "project.yaml").write_text(SPEC, encoding="utf-8")
    return api.build(folder / "project.yaml", folder / "out")


def test_every_line_is_read_and_used(uci):
    info = json.loads((uci.out / "build.json").read_text())["inputs"]["transactions"]
    assert info["rows_read"] == 541_909 and info["rows_used"] == 541_909 and info["rows_quarantined"] == {}


def test_customers_and_revenue_match_the_published_figures(uci):
    segments = pl.read_csv(uci.out / "tables" / "rfm_segments.csv")
    assert segments["customers"].sum() == 4_339
    # all 4,372 ids minus the 33 that only ever cancelled; their (negative) revenue is not in any segment
    customers = pl.read_csv(uci.out / "tables" / "rfm_customers.csv", schema_overrides={"customer_id": pl.String})
    assert customers["customer_id"].str.contains(r"^\d{5}$").all()  # '17850.0' written by Excel became '17850'
    assert customers["frequency"].min() == 1 and customers["r"].max() == 5


def test_december_2010_cohort(uci):
    cohorts = pl.read_csv(uci.out / "tables" / "cohort_retention.csv")
    first = cohorts.filter(pl.col("cohort") == "2010-12").sort("period")
    assert first["cohort_size"][0] == 885
    assert first["active_customers"][1] == 324
    assert first["retention"][1] == pytest.approx(0.3661, abs=1e-4)
    assert first["period"].max() == 12  # Dec 2010 → Dec 2011, the month containing as_of
    assert cohorts.filter(pl.col("cohort") == "2011-12")["period"].to_list() == [0]


def test_total_revenue(uci):
    sales = sales_of(uci.out.parent / "project.yaml")
    assert sales.orders["revenue"].sum() == pytest.approx(9_747_747.93, abs=0.01)
    assert sales.as_of.isoformat() == "2011-12-09"


def test_what_to_check_first(uci):
    """Independent: pandas/polars on the raw file — CustomerID empty on 135,080 lines carrying 1,447,682.12 of
    Quantity × UnitPrice; 9,290 lines with a negative Quantity × UnitPrice (9,288 lines of C invoices and 2 "Adjust bad
    debt" lines of negative UnitPrice) worth −918,936.61; UnitPrice 0 on 2,515 lines, negative on 2."""
    from cjmgen.render.quality import line_checks

    checks = line_checks(sales_of(uci.out.parent / "project.yaml"))
    assert (checks.lines, checks.unidentified_lines) == (541_909, 135_080)
    assert checks.unidentified_revenue == pytest.approx(1_447_682.12, abs=0.01)
    assert checks.unidentified_revenue_share == pytest.approx(0.1485, abs=1e-4)
    assert checks.return_lines == 9_290 and checks.return_value == pytest.approx(-918_936.61, abs=0.01)
    assert (checks.zero_price_lines, checks.negative_price_lines) == (2_515, 2)
    html = (uci.out / "report.html").read_text(encoding="utf-8")
    assert '<tr><td>Without a customer ID</td><td class="num">135,080</td><td class="num">24.9%</td>' in html
    notes = json.loads((uci.out / "build.json").read_text())["inputs"]["transactions"]["notes"]
    assert "date: date format detected as %Y-%m-%d %H:%M:%S (YYYY-MM-DD HH:MM:SS)" in notes  # was %S%.f (polars)


BAKERY = SHARED.parent / "breadbasket_dms.csv"
BAKERY_SPEC = """\
project: {title: Bakery receipts, client: Bread basket, currency: GBP, locale: ru}
sources:
  transactions:
    path: data/bakery.csv
    columns: {date: Date, time: Time, order_id: Transaction, category: Item}
analyses:
  basket_kpis: {}
  seasonality: {}
report: {outputs: [pdf, html]}
"""


@pytest.mark.skipif(not BAKERY.is_file(), reason="../shared/data is not present")
def test_bakery_receipts_without_customers_or_amounts(tmp_path):
    (tmp_path / "data").mkdir()
    shutil.copyfile(BAKERY, tmp_path / "data" / "bakery.csv")
    (tmp_path / "project.yaml").write_text(BAKERY_SPEC, encoding="utf-8")
    out = api.build(tmp_path / "project.yaml", tmp_path / "out").out
    info = json.loads((out / "build.json").read_text())["inputs"]["transactions"]
    assert info["rows_used"] == 21_293 and info["rows_quarantined"] == {}
    assert info["notes"] == ["date: date format detected as %Y-%m-%d %H:%M:%S (YYYY-MM-DD HH:MM:SS)"]
    sales = sales_of(tmp_path / "project.yaml")
    assert sales.orders.height == 9_531 and sales.orders["is_order"].all()  # README: 9,531 transactions
    assert (sales.first_day.isoformat(), sales.as_of.isoformat()) == ("2016-10-30", "2017-04-09")
    assert sales.orders["customer_id"].null_count() == 9_531 and sales.orders["revenue"].null_count() == 9_531
    assert sales.customers.is_empty() and not sales.has_amount and not sales.has_customer_id
    assert sales.lines.filter(pl.col("category") == "NONE").height == 786
    # independent figures, plain polars on the raw file: one order per Transaction, dated by its Date
    raw = pl.read_csv(BAKERY)
    per_order = raw.group_by("Transaction").agg(pl.len().alias("lines"), pl.col("Item").n_unique().alias("items"),
                                                pl.col("Date").min().str.slice(0, 7).alias("month"))
    months = per_order.group_by("month").agg(pl.len().alias("orders"), pl.col("lines").mean(), pl.col("items").mean())
    basket = pl.read_csv(out / "tables" / "basket_by_month.csv")
    joined = basket.join(months, on="month", how="full", coalesce=True)
    assert joined.height == 7 and joined["orders"].to_list() == joined["orders_right"].to_list()
    assert ((joined["depth_lines"] - joined["lines"]).abs().max() < 1e-12
            and (joined["width"] - joined["items"]).abs().max() < 1e-12)
    assert basket["orders"].sum() == 9_531 and round(21_293 / 9_531, 4) == 2.2341  # depth 2.23 over the whole log
    assert basket["identified_orders"].sum() == 0
    monthly = pl.read_csv(out / "tables" / "seasonality_monthly.csv")
    assert monthly["orders"].to_list() == [175, 2_154, 1_696, 1_598, 1_630, 1_768, 510]
    assert monthly["revenue"].null_count() == 7 and monthly["active_customers"].null_count() == 7
    weekday = pl.read_csv(out / "tables" / "seasonality_weekday.csv")
    by_day = per_order.join(raw.group_by("Transaction").agg(pl.col("Date").min()), on="Transaction").group_by(
        pl.col("Date").str.to_date().dt.weekday().alias("weekday")).agg(pl.len().alias("expected"))
    assert weekday.join(by_day, on="weekday").select((pl.col("orders") == pl.col("expected")).all()).item()
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (out / "report.html").read_text(encoding="utf-8")))
    assert "В данных нет сумм, поэтому сезонность считается по заказам" in html  # the measure, said in Russian
    assert "ни один из 9 531 заказа не идентифицирован" in html  # no identified share drawn at 0%
    # the chapters (after the summary's findings, before the appendices that define revenue) show no revenue at all
    chapters = html.split("Главные выводы", 1)[1].rsplit("Приложение: качество данных", 1)[0]
    assert "£" not in html and "Revenue" not in html and "ыручк" not in chapters
    assert "— Выручка" in html and "— Клиенты" in html  # the summary's unknown revenue and customers: "—", not 0
    assert (out / "report.pdf").stat().st_size > 10_000


GROCERY = SHARED.parent / "completejourney_transactions_sample.csv.xz"
GROCERY_SPEC = """\
project: {title: Grocery loyalty, client: 84.51 Complete Journey sample, currency: USD}
sources:
  transactions:
    path: data/tx.csv
    columns: {customer_id: household_id, order_id: basket_id, date: transaction_timestamp, amount: sales_value,
              quantity: quantity, store: store_id, sku: product_id}
  customers:
    path: data/demographics.csv
    columns: {customer_id: household_id}
analyses:
  rfm: {bins: 3}
  basket_kpis: {}
  owner_dynamics: {owner: store}
  ltv: {by: [age, income], predictive: false}
report: {outputs: [html]}
"""


@pytest.mark.skipif(not GROCERY.is_file(), reason="../shared/data is not present")
def test_grocery_sample_with_293_stores_and_banded_ages(tmp_path):
    (tmp_path / "data").mkdir()
    for source, target in ((GROCERY, "tx.csv"), (SHARED.parent / "completejourney_demographics.csv.xz", "demographics.csv")):
        with lzma.open(source) as raw, (tmp_path / "data" / target).open("wb") as out:
            shutil.copyfileobj(raw, out)
    (tmp_path / "project.yaml").write_text(GROCERY_SPEC, encoding="utf-8")
    out = api.build(tmp_path / "project.yaml", tmp_path / "out").out
    info = json.loads((out / "build.json").read_text())["inputs"]
    assert info["transactions"]["rows_used"] == 75_000 and info["transactions"]["rows_quarantined"] == {}
    assert info["customers"]["notes"] == ["age: no value is a number (e.g. '65+'), kept as text"]
    assert pl.read_csv(out / "tables" / "basket_by_store.csv").height > 250  # every store in the table...
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "The 20 stores with the most orders are drawn and listed; all" in html  # ...20 of them on the page
    ages = pl.read_csv(out / "tables" / "ltv_by_age.csv")["group"].to_list()
    assert "65+" in ages and "25-34" in ages


ASSORTMENT_SPEC = """\
project: {title: Grocery assortment, client: 84.51 Complete Journey sample, currency: USD}
sources:
  transactions:
    path: data/tx.csv
    columns: {customer_id: household_id, order_id: basket_id, date: transaction_timestamp, amount: sales_value,
              quantity: quantity, store: store_id, sku: product_id, category: product_category,
              product_group: department}
analyses:
  assortment: {level: category, cdh: {min_buyers: 30}}
report: {outputs: [html]}
"""


@pytest.mark.skipif(not GROCERY.is_file(), reason="../shared/data is not present")
def test_grocery_assortment_roles_by_category(tmp_path):
    """Category roles on the grocery sample (products joined on product_id give category and department)."""
    (tmp_path / "data").mkdir()
    lines = pl.read_csv(lzma.open(GROCERY).read(), infer_schema=False)  # text as written (basket ids like 4.0128e+10)
    products = pl.read_csv(lzma.open(SHARED.parent / "completejourney_products.csv.xz").read(), infer_schema=False)
    lines.join(products.select("product_id", "department", "product_category"), on="product_id", how="left",
               maintain_order="left").write_csv(tmp_path / "data" / "tx.csv")
    (tmp_path / "project.yaml").write_text(ASSORTMENT_SPEC, encoding="utf-8")
    out = api.build(tmp_path / "project.yaml", tmp_path / "out").out
    roles = pl.read_csv(out / "tables" / "assortment_roles.csv")
    counts = dict(roles.group_by("role").len().iter_rows())
    print("grocery category roles:", dict(sorted(counts.items())), "of", roles.height)
    assert roles["item"].n_unique() == roles.height == sum(counts.values())  # the roles partition the categories
    assert set(counts) <= {"core", "hits", "retaining", "niche", "random"}
    assert roles.filter(pl.col("role") == "core")["item"].head(3).to_list() == ROLE_TOP3
    assert counts == GROCERY_ROLES
    cdh = pl.read_csv(out / "tables" / "cdh.csv")
    assert cdh.height == 40 * 39 // 2 and cdh["q"].drop_nulls().is_between(-1, 1).all()
    assert "Customer decision hierarchy" in (out / "report.html").read_text(encoding="utf-8")


ROLE_TOP3 = ["SOFT DRINKS", "FLUID MILK PRODUCTS", "BAKED BREAD/BUNS/ROLLS"]
GROCERY_ROLES = {"core": 143, "hits": 3, "niche": 7, "random": 115, "retaining": 21}
"""289 categories at median cuts: orders and customers shares move together, so half the categories reach both
medians (core) and most of the rest neither (random); a 90-day retention near 91% leaves 21 retaining categories."""
