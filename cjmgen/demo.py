"""`cjmgen demo`: a seeded synthetic retail engagement (data + spec + narrative) that exercises the readers."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from cjmgen.demo_data import write_demo_data

_CSV_SOURCES = """\
sources:
  transactions:
    path: data/receipts.csv
    encoding: cp1251          # a Russian Excel export
    separator: ";"
    decimal: ","
    date_format: "%d.%m.%Y %H:%M"
    columns:
      customer_id: Карта      # empty for receipts without a loyalty card
      order_id: Чек
      date: Дата
      amount: Сумма
      quantity: Количество
      price: Цена
      sku: Артикул
      category: Категория
      store: Магазин
      manager: Менеджер
      channel: Канал
      cost: Себестоимость
      product_group: Группа
  customers:
    path: data/customers.csv
    encoding: cp1251
    separator: ";"
    date_format: "%d.%m.%Y"
    columns:
      customer_id: Карта
      gender: Пол
      birth_date: Дата рождения
      region: Регион
      signup_date: Дата регистрации
  competitor_purchases: {path: data/competitor_purchases.csv}   # a panel provider's file: what card holders spend elsewhere
  campaign_members: {path: data/campaign_members.csv}   # the CRM's export: canonical columns already
"""

_PARQUET_SOURCES = """\
sources:
  transactions: {path: data/receipts.parquet}   # canonical column names: no mapping needed
  customers: {path: data/customers.parquet}
  competitor_purchases: {path: data/competitor_purchases.parquet}
  campaign_members: {path: data/campaign_members.parquet}
"""


def spec_text(fmt: Literal["csv", "parquet"]) -> str:
    """The demo project's spec for data written as csv or parquet."""
    body = (Path(__file__).parent / "demo_assets" / "project.yaml").read_text(encoding="utf-8")
    return body.replace("# {sources}\n", _CSV_SOURCES if fmt == "csv" else _PARQUET_SOURCES)


def write_demo(folder: Path, rows: int = 60_000, seed: int = 7, fmt: Literal["csv", "parquet"] = "csv") -> Path:
    """Write data/, narrative/ and project.yaml into folder; return the spec path."""
    folder = Path(folder)
    write_demo_data(folder, rows=rows, seed=seed, fmt=fmt)
    narrative = folder / "narrative"
    narrative.mkdir(parents=True, exist_ok=True)
    for name in ("situation.md", "initiatives.md"):
        text = (Path(__file__).parent / "demo_assets" / name).read_text(encoding="utf-8")
        (narrative / name).write_text(text, encoding="utf-8")
    spec = folder / "project.yaml"
    spec.write_text(spec_text(fmt), encoding="utf-8")
    return spec
