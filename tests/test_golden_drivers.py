"""Golden tables of the revenue drivers, basket KPIs and owner dynamics on two committed fixtures.

- tests/fixtures/golden_transactions.csv (the shared fixture: store, no quantity, category or product group), as_of
  2024-03-15: drivers on default periods shortened to 4 months, depth in lines; basket per store; owners = stores
  by quarter. Goldens: <table>.csv.
- tests/fixtures/drivers/transactions.csv (from tests/fixtures/drivers/make_fixture.py: quantity, category,
  product_group, store, manager), as_of 2023-12-31: drivers 2023 vs 2022 per product group; owners = managers by
  month with bands [2, 4]. Goldens: <table>_rich.csv.

Regenerate ONLY after an intended change of a definition or of a table's layout:

    CJMGEN_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden_drivers.py

then review `git diff tests/golden/` row by row. Never edit tests/golden/*.csv by hand.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from golden_support import RICH_FIXTURE, check_golden, rich_transactions, transactions

from cjmgen.analyses import basket_kpis, drivers, owner_dynamics
from cjmgen.analyses.base import Context
from cjmgen.facts import build_facts

SORT_KEYS = {
    "drivers_formula": ["period", "group", "buyers"],
    "drivers_targets": ["group", "driver"],
    "drivers_factors": ["driver"],
    "drivers_sensitivity": ["driver"],
    "basket_by_store": ["store"],
    "basket_by_month": ["month"],
    "basket_store_month": ["store", "month"],
    "owner_dynamics": ["owner", "period"],
    "owner_summary": ["owner"],
}


def compute_all(lines: pl.DataFrame, as_of: dt.date, owner: owner_dynamics.Params) -> dict[str, pl.DataFrame]:
    ctx = Context(None, build_facts({"transactions": lines}, as_of))
    out = {**drivers.compute(ctx, drivers.Params()).exported_tables(),
           **basket_kpis.compute(ctx, basket_kpis.Params()).exported_tables(),
           **owner_dynamics.compute(ctx, owner).exported_tables()}
    assert set(out) == set(SORT_KEYS)
    return {name: frame.sort(SORT_KEYS[name]) for name, frame in out.items()}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    shared = compute_all(transactions(), dt.date(2024, 3, 15), owner_dynamics.Params(owner="store", period="quarter"))
    rich = compute_all(rich_transactions(), dt.date(2023, 12, 31),
                       owner_dynamics.Params(owner="manager", period="month", bands=[2, 4]))
    return {**shared, **{f"{name}_rich": frame for name, frame in rich.items()}}


def test_rich_fixture_is_what_the_script_describes():
    frame = rich_transactions()
    assert 200 <= frame.height <= 300
    assert frame["customer_id"].null_count() > 0 and (frame["amount"] < 0).sum() > 0 and (frame["amount"] == 0).sum() > 0
    for column in ("quantity", "category", "product_group", "store", "manager"):
        assert frame[column].null_count() > 0, column  # a few gaps on purpose
    assert set(frame["product_group"].drop_nulls().unique().to_list()) == {"main", "add-on"}


def test_shared_fixture_exercises_the_shortened_periods(tables):
    formula = tables["drivers_formula"]
    assert formula.filter(pl.col("period") == "base")["start"][0] == dt.date(2023, 7, 16)
    assert tables["drivers_formula_rich"].filter(pl.col("period") == "base")["start"][0] == dt.date(2022, 1, 1)


@pytest.mark.parametrize("name", sorted([*SORT_KEYS, *[f"{k}_rich" for k in SORT_KEYS]]))
def test_golden(name: str, tables: dict[str, pl.DataFrame]):
    check_golden(name, tables[name])


def test_the_three_chapters_build_and_quote_their_figures(project, tables):
    """End to end on the rich fixture: spec → HTML report and CSV tables with the contract columns."""
    from html.parser import HTMLParser

    from cjmgen import api

    spec = project("""\
        project: {title: T, client: C, locale: en, currency: EUR, as_of: 2023-12-31}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          drivers: {target_growth: 0.2}
          basket_kpis: {}
          owner_dynamics: {owner: manager, period: month, bands: [2, 4]}
        report: {outputs: [html]}
        """, {"data/t.csv": RICH_FIXTURE.read_text(encoding="utf-8")})
    out = api.build(spec, spec.parent / "out").out

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.chunks: list[str] = []

        def handle_data(self, data):
            self.chunks.append(data)

    parser = Text()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    text = " ".join(" ".join(parser.chunks).split())
    for heading in ("Revenue drivers", "Basket KPIs", "Client-base dynamics by owner", "Profit formula",
                    "Targets: +20% revenue of identified customers", "What changed revenue: factor analysis"):
        assert heading in text, heading
    factors = tables["drivers_factors_rich"].sort(pl.col("contribution").abs(), descending=True)
    strongest = factors.filter(pl.col("driver") != "unidentified")["driver"][0]
    labels = {"customers": "Customers", "frequency": "Orders per customer", "depth": "Items per order",
              "price": "Price per item"}
    assert f"The strongest lever: {labels[strongest].lower()} (" in text
    network = tables["basket_by_store_rich"]
    share = network["identified_orders"].sum() / network["orders"].sum()
    orders = network["orders"].sum()
    assert orders < 1000  # the compact count reads as the plain number
    assert f"{share * 100:.1f}% of {orders} orders carry a customer ID" in text
    for table, columns in {
        "drivers_formula": ["period", "group", "buyers", "customers", "orders", "orders_per_customer", "avg_check",
                            "depth", "price", "revenue"],
        "drivers_targets": ["group", "driver", "current", "increase", "target"],
        "drivers_factors": ["driver", "base", "current", "contribution", "share_of_change"],
        "basket_by_store": ["store", "orders", "identified_orders", "identified_share", "depth_lines", "depth_items",
                            "width"],
        "basket_by_month": ["month", "orders", "identified_orders", "identified_share"],
        "basket_store_month": ["store", "month", "orders", "identified_share"],
        "owner_dynamics": ["owner", "period", "new_customers", "repeat_customers", "repeat_2_3", "repeat_4_plus",
                           "active_customers", "repeat_share"],
        "owner_summary": ["owner", "first_period", "last_period", "repeat_first", "repeat_last", "repeat_growth",
                          "new_share", "type"],
    }.items():
        header = (out / "tables" / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert set(columns) <= set(header), table


def test_the_chapters_render_on_two_weeks_of_data_without_optional_columns(project):
    """Degenerate data: no base period (no factor analysis), no quantity or category, one owner, few months."""
    from cjmgen import api

    rows = ["customer_id,order_id,date,amount,store",
            "1,A,2024-01-02,50,S1", "1,B,2024-01-09,30,S1", "2,C,2024-01-10,20,S1", ",D,2024-01-11,15,S1",
            "2,E,2024-01-15,-20,S1"]
    spec = project("""\
        project: {title: T, client: C, locale: ru, currency: RUB}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          drivers: {}
          basket_kpis: {}
          owner_dynamics: {owner: store, period: month}
        report: {outputs: [html]}
        """, {"data/t.csv": "\n".join(rows) + "\n"})
    out = api.build(spec, spec.parent / "out").out
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Драйверы выручки" in html and "Показатели чека" in html and "Динамика клиентской базы" in html
    assert "Данные охватывают меньше двух месяцев" in html
    assert not (out / "tables" / "drivers_factors.csv").exists()
    assert (out / "tables" / "basket_by_store.csv").exists() and (out / "tables" / "owner_summary.csv").exists()
