"""Tests for the seeded synthetic retail data generator (cjmgen.demo_data)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmgen.demo_data import generate, write_demo_data

RECEIPTS_HEADER = "Карта;Чек;Дата;Сумма;Количество;Цена;Артикул;Категория;Магазин;Менеджер;Канал;Себестоимость;Группа"
CUSTOMERS_HEADER = "Карта;Пол;Дата рождения;Регион;Дата регистрации"

LINE_SCHEMA = {
    "customer_id": pl.String,
    "order_id": pl.String,
    "date": pl.Datetime("us"),
    "amount": pl.Float64,
    "quantity": pl.Int64,
    "price": pl.Float64,
    "sku": pl.String,
    "category": pl.String,
    "store": pl.String,
    "manager": pl.String,
    "channel": pl.String,
    "cost": pl.Float64,
    "product_group": pl.String,
}
CUSTOMER_SCHEMA = {
    "customer_id": pl.String,
    "gender": pl.String,
    "birth_date": pl.Date,
    "region": pl.String,
    "signup_date": pl.Date,
}


@pytest.fixture(scope="module")
def data() -> tuple[pl.DataFrame, pl.DataFrame]:
    return generate(20_000, seed=7)


@pytest.fixture(scope="module")
def receipts(data) -> pl.DataFrame:
    """One row per receipt."""
    lines, _ = data
    return lines.group_by("order_id", maintain_order=True).agg(
        pl.col("customer_id").first(),
        pl.col("date").first(),
        pl.col("store").first(),
        pl.col("channel").first(),
        pl.col("amount").sum(),
        pl.len().alias("n_lines"),
        (pl.col("quantity") < 0).all().alias("is_return"),
    )


def _orders_per_customer(receipts: pl.DataFrame) -> list[int]:
    purchases = receipts.filter(~pl.col("is_return") & pl.col("customer_id").is_not_null())
    return list(Counter(purchases["customer_id"].to_list()).values())


# ---------------------------------------------------------------------------
# generate(): determinism, shape, schema
# ---------------------------------------------------------------------------


def test_same_seed_same_frames_different_seed_differs():
    lines_a, cust_a = generate(5000, seed=1)
    lines_b, cust_b = generate(5000, seed=1)
    assert lines_a.equals(lines_b)
    assert cust_a.equals(cust_b)
    lines_c, _ = generate(5000, seed=2)
    assert not lines_a.equals(lines_c)


@pytest.mark.parametrize("rows", [1, 7, 50, 333, 5000, 20_000])
def test_line_count_is_exact(rows):
    lines, customers = generate(rows, seed=3)
    assert lines.height == rows
    assert customers.height >= 1


def test_rejects_non_positive_rows():
    with pytest.raises(ValueError):
        generate(0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(min_value=1, max_value=3000), seed=st.integers(min_value=0, max_value=2**31))
def test_invariants_hold_for_any_size_and_seed(rows, seed):
    lines, customers = generate(rows, seed=seed)
    assert lines.height == rows
    assert dict(lines.schema) == LINE_SCHEMA
    ids = set(lines["customer_id"].drop_nulls().to_list())
    assert ids == set(customers["customer_id"].to_list())
    assert customers.height >= min(50, rows) or customers.height == len(ids)
    neg = lines.filter(pl.col("quantity") < 0)
    assert (neg["amount"] < 0).all()


def test_schemas(data):
    lines, customers = data
    assert dict(lines.schema) == LINE_SCHEMA
    assert dict(customers.schema) == CUSTOMER_SCHEMA
    assert lines.select(pl.exclude("customer_id").null_count()).sum_horizontal().item() == 0
    assert customers.null_count().sum_horizontal().item() == 0


def test_ids_formats_and_sort_order(data):
    lines, customers = data
    assert lines["order_id"].str.contains(r"^R\d{9}$").all()
    assert customers["customer_id"].str.contains(r"^77\d{8}$").all()
    assert customers["customer_id"].is_unique().all()
    assert lines["date"].is_sorted()
    # sorted by (date, order_id): within the sort, order ids never go backwards
    assert lines["order_id"].is_sorted()
    # each order_id is one contiguous block with a single date/customer/store
    per_order = lines.group_by("order_id").agg(
        pl.col("date").n_unique(), pl.col("store").n_unique(), pl.col("customer_id").n_unique()
    )
    assert (per_order.drop("order_id") == 1).to_numpy().all()


def test_calendar_and_shop_hours(data):
    lines, _ = data
    assert lines["date"].min() >= dt.datetime(2022, 1, 1)
    assert lines["date"].max() <= dt.datetime(2023, 12, 31, 23, 59)
    hours = lines["date"].dt.hour()
    assert hours.min() >= 8 and hours.max() <= 21
    assert (lines["date"].dt.second() == 0).all()
    # both years present, every month has activity
    months = lines.select(pl.col("date").dt.strftime("%Y-%m").n_unique()).item()
    assert months == 24


def test_money_columns(data):
    lines, _ = data
    sales = lines.filter(pl.col("quantity") > 0)
    assert (sales["price"] > 0).all()
    # amount = quantity * price, 2 dp
    diff = (sales["quantity"] * sales["price"] - sales["amount"]).abs()
    assert diff.max() < 0.006
    assert ((lines["amount"] * 100).round(0) - lines["amount"] * 100).abs().max() < 1e-6
    ratio = sales["cost"] / sales["amount"]
    assert ratio.min() >= 0.59 and ratio.max() <= 0.76
    addon_share = (lines["product_group"] == "add-on").mean()
    assert 0.2 < addon_share < 0.4
    assert set(lines["product_group"].unique()) == {"main", "add-on"}
    main_price = sales.filter(pl.col("product_group") == "main")["price"].median()
    addon_price = sales.filter(pl.col("product_group") == "add-on")["price"].median()
    assert addon_price < main_price / 2


def test_dimensions(data):
    lines, customers = data
    assert 8 <= lines["category"].n_unique() <= 12
    assert "Косметика" in set(lines["category"])
    assert 6 <= lines["store"].n_unique() <= 8
    store_manager = lines.group_by("store").agg(pl.col("manager").n_unique())
    assert (store_manager["manager"] == 1).all()  # a store has one manager
    stores_per_manager = lines.group_by("manager").agg(pl.col("store").n_unique())["store"]
    assert stores_per_manager.min() >= 1 and stores_per_manager.max() <= 2
    assert set(lines["channel"].unique()) == {"offline", "online"}
    assert set(customers["gender"].unique()) == {"F", "M"}
    assert 0.58 < (customers["gender"] == "F").mean() < 0.72


# ---------------------------------------------------------------------------
# Behavioural realism
# ---------------------------------------------------------------------------


def test_customer_base_size_and_referential_integrity(data):
    lines, customers = data
    assert 20_000 / 12 * 0.8 < customers.height < 20_000 / 12 * 1.25
    in_lines = set(lines["customer_id"].drop_nulls().to_list())
    in_customers = set(customers["customer_id"].to_list())
    assert in_lines <= in_customers
    assert in_customers <= in_lines  # every card holder bought something


def test_unidentified_receipt_share(receipts):
    share = receipts["customer_id"].is_null().mean()
    assert 0.15 < share < 0.25


def test_online_share(receipts):
    share = (receipts["channel"] == "online").mean()
    assert 0.10 < share < 0.20


def test_lines_per_receipt(receipts):
    n = receipts.filter(~pl.col("is_return"))["n_lines"]
    assert n.min() >= 1 and n.max() <= 8
    assert 2.4 <= n.mean() <= 3.1


def test_returns_follow_a_purchase(data, receipts):
    lines, _ = data
    returns = receipts.filter(pl.col("is_return"))
    share = returns.height / receipts.height
    assert 0.01 < share < 0.03
    assert (returns["amount"] < 0).all()
    assert (returns["n_lines"] == 1).all()
    assert returns["customer_id"].null_count() == 0

    ret_lines = lines.filter(pl.col("quantity") < 0)
    assert (ret_lines["amount"] < 0).all() and (ret_lines["cost"] < 0).all()

    purchases: dict[tuple[str, str, str], list[dt.datetime]] = defaultdict(list)
    sales = lines.filter((pl.col("quantity") > 0) & pl.col("customer_id").is_not_null())
    for cid, sku, store, date in zip(sales["customer_id"], sales["sku"], sales["store"], sales["date"], strict=False):
        purchases[(cid, sku, store)].append(date)
    for cid, sku, store, date in zip(ret_lines["customer_id"], ret_lines["sku"], ret_lines["store"], ret_lines["date"], strict=False):
        earlier = [d for d in purchases[(cid, sku, store)] if d < date]
        assert earlier, f"return of {sku} by {cid} has no earlier purchase in {store}"
        assert (date - max(earlier)).days <= 15


def test_one_time_buyers_and_loyalty_build_up(receipts):
    counts = _orders_per_customer(receipts)
    one_time = sum(1 for c in counts if c == 1) / len(counts)
    assert 0.35 <= one_time <= 0.65

    def churn_after(n: int) -> float:
        reached = sum(1 for c in counts if c >= n)
        went_on = sum(1 for c in counts if c >= n + 1)
        return 1 - went_on / reached

    assert churn_after(1) > churn_after(2) > churn_after(4)
    assert churn_after(1) > 0.4
    # a loyal core exists
    assert max(counts) >= 10


def test_average_check_grows_with_order_number(receipts):
    purchases = receipts.filter(~pl.col("is_return") & pl.col("customer_id").is_not_null()).sort("date", "order_id")
    checks: dict[int, list[float]] = defaultdict(list)
    seen: Counter[str] = Counter()
    for cid, amount in zip(purchases["customer_id"], purchases["amount"], strict=False):
        seen[cid] += 1
        checks[seen[cid]].append(amount)
    first = sum(checks[1]) / len(checks[1])
    later = [a for n, v in checks.items() if n >= 5 for a in v]
    assert sum(later) / len(later) > first


def test_seasonality(data):
    lines, _ = data
    monthly = lines.group_by(pl.col("date").dt.year().alias("y"), pl.col("date").dt.month().alias("m")).agg(
        pl.col("amount").sum()
    )
    revenue = {(y, m): a for y, m, a in monthly.iter_rows()}
    for year in (2022, 2023):
        assert revenue[(year, 12)] > revenue[(year, 7)]
    # March (8 March) beats the summer months of the same year
    assert revenue[(2023, 3)] > revenue[(2023, 7)]
    by_weekday = lines.group_by(pl.col("date").dt.weekday().alias("wd")).len()
    count = dict(by_weekday.iter_rows())
    assert min(count[5], count[6]) > max(count[1], count[2])  # Fri/Sat > Mon/Tue


def test_cohorts_span_both_years(data):
    lines, customers = data
    first = (
        lines.filter(pl.col("customer_id").is_not_null() & (pl.col("quantity") > 0))
        .group_by("customer_id")
        .agg(pl.col("date").min().dt.date().alias("first"))
        .join(customers, on="customer_id")
    )
    assert (first["signup_date"] <= first["first"]).all()
    cohorts = first["first"].dt.strftime("%Y-%m").n_unique()
    assert cohorts == 24
    per_year = first.group_by(pl.col("first").dt.year()).len()
    counts = dict(per_year.iter_rows())
    assert counts[2023] > counts[2022] * 0.8


def test_home_store(data):
    lines, _ = data
    ident = lines.filter(pl.col("customer_id").is_not_null())
    per_cust = ident.group_by("customer_id", "store").agg(pl.col("order_id").n_unique().alias("n"))
    top = per_cust.group_by("customer_id").agg(pl.col("n").max().alias("top"), pl.col("n").sum().alias("total"))
    assert top["top"].sum() / top["total"].sum() > 0.8


def test_customer_ages(data):
    _, customers = data
    end = dt.date(2023, 12, 31)
    ages = [end.year - b.year - ((end.month, end.day) < (b.month, b.day)) for b in customers["birth_date"]]
    assert min(ages) >= 18 and max(ages) <= 80
    mean_age = sum(ages) / len(ages)
    assert 33 < mean_age < 50
    assert customers["region"].n_unique() >= 3


# ---------------------------------------------------------------------------
# write_demo_data()
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory) -> dict[str, Path]:
    return write_demo_data(tmp_path_factory.mktemp("demo_csv"), rows=6000, seed=11)


def test_csv_paths_and_headers(csv_files):
    assert csv_files["transactions"].name == "receipts.csv"
    assert csv_files["customers"].name == "customers.csv"
    assert csv_files["transactions"].parent.name == "data"
    receipts_text = csv_files["transactions"].read_bytes().decode("cp1251")
    customers_text = csv_files["customers"].read_bytes().decode("cp1251")
    assert receipts_text.splitlines()[0] == RECEIPTS_HEADER
    assert customers_text.splitlines()[0] == CUSTOMERS_HEADER
    with pytest.raises(UnicodeDecodeError):
        csv_files["transactions"].read_bytes().decode("utf-8")  # really cp1251, not utf-8


def test_csv_receipt_rows(csv_files):
    text = csv_files["transactions"].read_bytes().decode("cp1251")
    rows = [line.split(";") for line in text.splitlines()[1:]]
    assert len(rows) == 6000
    assert all(len(r) == 13 for r in rows)
    date_ok = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$")
    money_ok = re.compile(r"^-?\d+,\d{2}$")

    def parses(date: str) -> bool:
        if not date_ok.match(date):
            return False
        try:
            dt.datetime.strptime(date, "%d.%m.%Y %H:%M")
        except ValueError:
            return False
        return True

    bad_dates = sum(1 for r in rows if not parses(r[2]))
    bad_amounts = sum(1 for r in rows if not money_ok.match(r[3]))
    assert 1 <= bad_dates < 0.005 * len(rows)
    assert 1 <= bad_amounts < 0.005 * len(rows)
    # decimal comma everywhere money is clean, no thousands separators
    assert sum(1 for r in rows if money_ok.match(r[3])) == len(rows) - bad_amounts
    assert all(money_ok.match(r[5]) and money_ok.match(r[11]) for r in rows)
    assert any(r[3].startswith("-") for r in rows)  # returns
    assert any(r[0] == "" for r in rows)  # receipts without a card
    assert all(r[0] == "" or re.match(r"^77\d{8}$", r[0]) for r in rows)


def test_csv_matches_generated_frame(csv_files):
    lines, customers = generate(6000, seed=11)
    text = csv_files["transactions"].read_bytes().decode("cp1251")
    rows = [line.split(";") for line in text.splitlines()[1:]]
    assert [r[1] for r in rows] == lines["order_id"].to_list()
    assert [r[6] for r in rows] == lines["sku"].to_list()
    first = lines.row(0, named=True)
    assert rows[0][5] == f"{first['price']:.2f}".replace(".", ",")
    cust_rows = [line.split(";") for line in csv_files["customers"].read_bytes().decode("cp1251").splitlines()[1:]]
    assert len(cust_rows) == customers.height
    assert {r[1] for r in cust_rows} == {"Ж", "М"}
    assert all(re.match(r"^\d{2}\.\d{2}\.\d{4}$", r[2]) and re.match(r"^\d{2}\.\d{2}\.\d{4}$", r[4]) for r in cust_rows)


def test_csv_files_are_byte_identical_for_same_seed(csv_files, tmp_path):
    again = write_demo_data(tmp_path, rows=6000, seed=11)
    assert again["transactions"].read_bytes() == csv_files["transactions"].read_bytes()
    assert again["customers"].read_bytes() == csv_files["customers"].read_bytes()


def test_parquet_columns_and_types(tmp_path):
    paths = write_demo_data(tmp_path, rows=3000, seed=5, fmt="parquet")
    assert paths["transactions"] == tmp_path / "data" / "receipts.parquet"
    assert paths["customers"] == tmp_path / "data" / "customers.parquet"
    lines = pl.read_parquet(paths["transactions"])
    customers = pl.read_parquet(paths["customers"])
    assert dict(lines.schema) == LINE_SCHEMA
    assert dict(customers.schema) == CUSTOMER_SCHEMA
    expected_lines, expected_customers = generate(3000, seed=5)
    assert lines.equals(expected_lines)
    assert customers.equals(expected_customers)


def test_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError):
        write_demo_data(tmp_path, rows=100, fmt="xlsx")  # type: ignore[arg-type]


def test_partner_categories_are_bought_together(data):
    """Face care with cosmetics, vitamins with medicines, baby goods with hygiene: lift > 1.1 in the baskets (so the
    demo's basket chapter has rules); an unpaired couple stays near chance."""
    lines, _ = data
    baskets = lines.filter(pl.col("quantity") > 0).select("order_id", "category").unique()
    n = baskets["order_id"].n_unique()
    share = {c: k / n for c, k in baskets["category"].value_counts().iter_rows()}
    sets = baskets.group_by("order_id").agg("category")["category"].to_list()

    def lift(a: str, b: str) -> float:
        return sum(1 for s in sets if a in s and b in s) / n / (share[a] * share[b])

    assert lift("Уход за лицом", "Косметика") > 1.1
    assert lift("Витамины", "Лекарства") > 1.1
    assert lift("Детские товары", "Гигиена") > 1.1
    assert 0.8 < lift("Парфюмерия", "Бытовая химия") < 1.1
