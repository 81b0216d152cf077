"""The demo chain's fixed world: period, column contracts, Russian export headers, catalogue, stores, calendar
weights and the behavioural constants of the simulation."""

from __future__ import annotations

import numpy as np
import polars as pl

PERIOD_START = np.datetime64("2022-01-01", "D")
PERIOD_END = np.datetime64("2023-12-31", "D")
D0 = int(PERIOD_START.astype(np.int64))  # epoch day of 2022-01-01
N_DAYS = int((PERIOD_END - PERIOD_START).astype(np.int64)) + 1  # 730
END_YEAR = 2023

LINE_COLUMNS: dict[str, pl.DataType] = {
    "customer_id": pl.String(),
    "order_id": pl.String(),
    "date": pl.Datetime("us"),
    "amount": pl.Float64(),
    "quantity": pl.Int64(),
    "price": pl.Float64(),
    "sku": pl.String(),
    "category": pl.String(),
    "store": pl.String(),
    "manager": pl.String(),
    "channel": pl.String(),
    "cost": pl.Float64(),
    "product_group": pl.String(),
}
CUSTOMER_COLUMNS: dict[str, pl.DataType] = {
    "customer_id": pl.String(),
    "gender": pl.String(),
    "birth_date": pl.Date(),
    "region": pl.String(),
    "signup_date": pl.Date(),
}

# canonical column -> Russian export header
RECEIPTS_RU = {
    "customer_id": "Карта",
    "order_id": "Чек",
    "date": "Дата",
    "amount": "Сумма",
    "quantity": "Количество",
    "price": "Цена",
    "sku": "Артикул",
    "category": "Категория",
    "store": "Магазин",
    "manager": "Менеджер",
    "channel": "Канал",
    "cost": "Себестоимость",
    "product_group": "Группа",
}
CUSTOMERS_RU = {
    "customer_id": "Карта",
    "gender": "Пол",
    "birth_date": "Дата рождения",
    "region": "Регион",
    "signup_date": "Дата регистрации",
}
RECEIPTS_CSV_HEADER = ";".join(RECEIPTS_RU.values())
CUSTOMERS_CSV_HEADER = ";".join(CUSTOMERS_RU.values())

CATEGORIES = [
    "Косметика",
    "Уход за лицом",
    "Уход за волосами",
    "Парфюмерия",
    "Гигиена",
    "Витамины",
    "Лекарства",
    "Детские товары",
    "Бытовая химия",
    "Аксессуары",
]
# category weights of "main" lines by buyer gender (F, M); anonymous = mix
CAT_W_MAIN_F = np.array([0.16, 0.13, 0.11, 0.07, 0.12, 0.11, 0.12, 0.07, 0.06, 0.05])
CAT_W_MAIN_M = np.array([0.04, 0.06, 0.08, 0.08, 0.17, 0.13, 0.20, 0.06, 0.10, 0.08])
CAT_W_ADDON = np.array([0.08, 0.05, 0.05, 0.04, 0.30, 0.08, 0.08, 0.07, 0.07, 0.18])
# categories bought together: a later line of a receipt whose first line is in category i is, with probability
# P_PARTNER, in CAT_PARTNER[i] instead (-1: no partner) — face care with cosmetics, vitamins with medicines, baby
# goods with hygiene; the demo's basket chapter then finds these rules (lift > 1)
CAT_PARTNER = np.array([1, 0, -1, -1, -1, 6, 5, 4, -1, -1])
P_PARTNER = 0.3
CAT_PRICE_MEDIAN = np.array([650, 900, 550, 2800, 280, 750, 480, 520, 380, 420], float)
N_SKU_MAIN = 120  # per category
N_SKU_ADDON = 40  # per category

# (store, city, manager); each manager owns 1-2 stores
STORES = [
    ("Магазин на Ленина", "Москва", "Иванова Е.А."),
    ("Магазин на Тверской", "Москва", "Иванова Е.А."),
    ("Магазин на Невском", "Санкт-Петербург", "Петров С.В."),
    ("Магазин на Садовой", "Санкт-Петербург", "Петров С.В."),
    ("Магазин на Баумана", "Казань", "Смирнова О.Н."),
    ("Магазин на Пушкина", "Казань", "Смирнова О.Н."),
    ("Магазин на Вайнера", "Екатеринбург", "Кузнецов Д.И."),
]
STORE_W = np.array([0.20, 0.16, 0.17, 0.12, 0.13, 0.10, 0.12])
REGIONS = ["Москва", "Московская область", "Санкт-Петербург", "Казань", "Екатеринбург"]
STORE_REGION = np.array([REGIONS.index(city) for _, city, _ in STORES])

MONTH_W = np.array([0.88, 0.95, 1.15, 1.0, 0.95, 0.86, 0.8, 0.85, 1.0, 1.04, 1.08, 1.25])
WEEKDAY_W = np.array([0.9, 0.9, 0.95, 1.0, 1.2, 1.25, 0.95])  # Mon..Sun
OPEN_HOUR = 8
HOUR_W_OFFLINE = np.array([2, 3, 4, 5, 6, 7, 6, 5, 6, 8, 9, 8, 5, 3], float)  # 8..21
HOUR_W_ONLINE = np.array([3, 4, 5, 5, 6, 6, 6, 6, 6, 7, 8, 8, 7, 6], float)

# churn probability after order n (index n-1); the last value applies to later orders
CHURN = np.array([0.46, 0.34, 0.26, 0.22, 0.17, 0.14, 0.12, 0.10])
MAX_ORDERS = 60
P_ONLINE_MEAN = 0.17  # identified customers; anonymous receipts are 4% online
P_HOME_STORE = 0.88
UNID_SHARE = 0.20  # of (non-return) receipts
P_RETURN = 0.025  # of identified receipts (~2% of all receipts)
UNID_LAMBDA = 1.2
US_PER_MIN = 60_000_000
