"""Seeded synthetic demo data: a Russian pharmacy/cosmetics retail chain with a loyalty card.

The generator is fully vectorised (numpy + polars, no per-row Python loops) and
deterministic: the same ``(rows, seed)`` always yields identical frames and
byte-identical files.

Public API
----------
``generate(rows, seed) -> (lines, customers)``
    Canonical, typed frames (see ``LINE_COLUMNS`` / ``CUSTOMER_COLUMNS``).
``write_demo_data(directory, rows, seed, fmt) -> {"transactions": path, "customers": path}``
    Writes ``directory/data/receipts.{csv,parquet}`` and ``customers.{csv,parquet}``.
    CSV is a "Russian-style" export (cp1251, ``;``, decimal comma, Russian headers)
    with a tiny amount of deterministic dirt in ``receipts.csv``.

Model overview
--------------
* Period 2022-01-01 .. 2023-12-31. A daily intensity curve (month seasonality with
  December / early-March peaks and a summer dip, Fri/Sat weekday peak) drives all
  dates.  Repeat purchases are simulated in "operational time" (gaps ~ gamma) and
  mapped back to the calendar through the cumulative intensity, so seasonality
  applies to repeat orders as well as to acquisition.
* Acquisition grows mildly over the period with a Q4 boost.
* Each customer continues after order ``n`` with probability ``1 - churn(n)``,
  ``churn`` falling with ``n`` (loyalty build-up) and scaled by a per-customer
  latent multiplier; loyal customers also have shorter gaps (mean 22-55 days).
* Lines per receipt ``1 + min(7, Poisson(lambda))`` with ``lambda`` growing with
  the order number (average check grows with loyalty).
* ~20% of receipts are anonymous (no card), ~2% of receipts are followed within
  1-14 days by a one-line return receipt (negative quantity/amount/cost).
* A large iid customer pool is simulated and a prefix of it is kept so that the
  identified lines hit their target; anonymous receipts then pad the line count
  to exactly ``rows``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

__all__ = [
    "generate",
    "write_demo_data",
    "LINE_COLUMNS",
    "CUSTOMER_COLUMNS",
    "RECEIPTS_CSV_HEADER",
    "CUSTOMERS_CSV_HEADER",
]

# ---------------------------------------------------------------------------
# Static reference data
# ---------------------------------------------------------------------------

PERIOD_START = np.datetime64("2022-01-01", "D")
PERIOD_END = np.datetime64("2023-12-31", "D")
_D0 = int(PERIOD_START.astype(np.int64))  # epoch day of 2022-01-01
N_DAYS = int((PERIOD_END - PERIOD_START).astype(np.int64)) + 1  # 730
_END_YEAR = 2023

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
_RECEIPTS_RU = {
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
_CUSTOMERS_RU = {
    "customer_id": "Карта",
    "gender": "Пол",
    "birth_date": "Дата рождения",
    "region": "Регион",
    "signup_date": "Дата регистрации",
}
RECEIPTS_CSV_HEADER = ";".join(_RECEIPTS_RU.values())
CUSTOMERS_CSV_HEADER = ";".join(_CUSTOMERS_RU.values())

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
_CAT_W_MAIN_F = np.array([0.16, 0.13, 0.11, 0.07, 0.12, 0.11, 0.12, 0.07, 0.06, 0.05])
_CAT_W_MAIN_M = np.array([0.04, 0.06, 0.08, 0.08, 0.17, 0.13, 0.20, 0.06, 0.10, 0.08])
_CAT_W_ADDON = np.array([0.08, 0.05, 0.05, 0.04, 0.30, 0.08, 0.08, 0.07, 0.07, 0.18])
_CAT_PRICE_MEDIAN = np.array([650, 900, 550, 2800, 280, 750, 480, 520, 380, 420], float)
_N_SKU_MAIN = 120  # per category
_N_SKU_ADDON = 40  # per category

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
_STORE_W = np.array([0.20, 0.16, 0.17, 0.12, 0.13, 0.10, 0.12])
REGIONS = ["Москва", "Московская область", "Санкт-Петербург", "Казань", "Екатеринбург"]
_STORE_REGION = np.array([REGIONS.index(city) for _, city, _ in STORES])

_MONTH_W = np.array([0.88, 0.95, 1.15, 1.0, 0.95, 0.86, 0.8, 0.85, 1.0, 1.04, 1.08, 1.25])
_WEEKDAY_W = np.array([0.9, 0.9, 0.95, 1.0, 1.2, 1.25, 0.95])  # Mon..Sun
_OPEN_HOUR = 8
_HOUR_W_OFFLINE = np.array([2, 3, 4, 5, 6, 7, 6, 5, 6, 8, 9, 8, 5, 3], float)  # 8..21
_HOUR_W_ONLINE = np.array([3, 4, 5, 5, 6, 6, 6, 6, 6, 7, 8, 8, 7, 6], float)

# churn probability after order n (index n-1); the last value applies to later orders
_CHURN = np.array([0.46, 0.34, 0.26, 0.22, 0.17, 0.14, 0.12, 0.10])
_MAX_ORDERS = 60
_P_ONLINE_MEAN = 0.17  # identified customers; anonymous receipts are 4% online
_P_HOME_STORE = 0.88
_UNID_SHARE = 0.20  # of (non-return) receipts
_P_RETURN = 0.025  # of identified receipts (~2% of all receipts)
_UNID_LAMBDA = 1.2
_US_PER_MIN = 60_000_000


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _cdf(w: np.ndarray) -> np.ndarray:
    c = np.cumsum(np.asarray(w, float))
    c /= c[-1]
    c[-1] = 1.0
    return c


def _sample(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), cdf.size - 1)


def _grouped_choice(rng: np.random.Generator, key: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sample a column index per element, using row ``key`` of ``weights`` (K x n)."""
    w = np.asarray(weights, float)
    k_rows, n = w.shape
    c = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    c[:, -1] = 1.0
    grid = (c + np.arange(k_rows)[:, None]).ravel()
    u = rng.random(key.size) * (1.0 - 1e-9)
    idx = np.searchsorted(grid, key + u, side="right")
    return np.minimum(idx - key.astype(np.int64) * n, n - 1)


def _group_offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of sizes ``counts`` return (group index, position within group) per element."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    gid = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) - starts[gid]
    return gid, pos


def _calendar() -> dict[str, np.ndarray]:
    days = np.arange(N_DAYS) + _D0
    dt = days.astype("datetime64[D]")
    month = dt.astype("datetime64[M]").astype(np.int64) % 12  # 0 = Jan
    dom = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday; Mon = 0
    w = _MONTH_W[month] * _WEEKDAY_W[dow]
    w = w * np.where((month == 2) & (dom <= 7), 1.45, 1.0)  # 8 March
    w = w * np.where((month == 1) & (dom >= 19) & (dom <= 23), 1.2, 1.0)  # 23 February
    w = w * np.where((month == 11) & (dom >= 18), 1.2, 1.0)  # New Year gifts
    w = w * np.where((month == 0) & (dom <= 2), 0.5, 1.0)  # 1-2 January
    w = w / w.mean()
    t = np.arange(N_DAYS) / N_DAYS
    growth = 1.0 + 0.35 * t
    q4 = np.where(month >= 9, 1.25, 1.0)
    lam = np.concatenate([[0.0], np.cumsum(w)])  # cumulative intensity at day boundaries
    return {
        "w": w,
        "lam": lam,
        "grid": np.arange(N_DAYS + 1, dtype=float),
        "acq_cdf": _cdf(w * growth * q4),
        "unid_cdf": _cdf(w * (1.0 + 0.25 * t)),
    }


def _catalog(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n_cat = len(CATEGORIES)
    width = max(_N_SKU_MAIN, _N_SKU_ADDON)
    table = np.full((2 * n_cat, width), -1, np.int64)  # (group*n_cat + cat, rank) -> sku
    weights = np.zeros((2 * n_cat, width))
    cats, groups, prices = [], [], []
    sku = 0
    for group, n_sku in ((0, _N_SKU_MAIN), (1, _N_SKU_ADDON)):
        for cat in range(n_cat):
            ids = np.arange(sku, sku + n_sku)
            table[group * n_cat + cat, :n_sku] = ids
            weights[group * n_cat + cat, :n_sku] = 1.0 / (np.arange(n_sku) + 4.0) ** 0.9
            cats.append(np.full(n_sku, cat))
            groups.append(np.full(n_sku, group))
            if group == 0:
                p = _CAT_PRICE_MEDIAN[cat] * rng.lognormal(0.0, 0.6, n_sku)
                p = np.clip(p, 60, 25000)
            else:
                p = np.clip(85.0 * rng.lognormal(0.0, 0.5, n_sku), 19, 400)
            prices.append(p)
            sku += n_sku
    price = np.concatenate(prices)
    # "pretty" shelf prices: whole roubles ending in .00 / .90 / .99
    ending = np.array([0.0, -0.10, -0.01])[rng.integers(0, 3, sku)]
    price = np.round(np.maximum(np.round(price), 20.0) + ending, 2)
    codes = rng.choice(900_000, size=sku, replace=False) + 100_000
    return {
        "table": table,
        "weights": weights,
        "cat": np.concatenate(cats),
        "group": np.concatenate(groups),
        "price": price,
        "cost_ratio": rng.uniform(0.61, 0.74, sku),
        "code": codes.astype(str),
    }


def _time_of_day(rng: np.random.Generator, online: np.ndarray) -> np.ndarray:
    """Minute of day within shop hours 8:00-21:59."""
    n = online.size
    hour = np.where(
        online,
        _sample(rng, _cdf(_HOUR_W_ONLINE), n),
        _sample(rng, _cdf(_HOUR_W_OFFLINE), n),
    )
    return (hour + _OPEN_HOUR) * 60 + rng.integers(0, 60, n)


# ---------------------------------------------------------------------------
# Customer pool simulation
# ---------------------------------------------------------------------------


def _simulate_pool(rng: np.random.Generator, n_pool: int, cal: dict[str, np.ndarray]) -> dict:
    P = n_pool
    acq_t = _sample(rng, cal["acq_cdf"], P) + rng.random(P)
    s0 = np.interp(acq_t, cal["grid"], cal["lam"])
    # latent loyalty: churn multiplier (mean 1); loyal customers also buy more often
    sig = 0.45
    mult = rng.lognormal(-0.5 * sig * sig, sig, P)
    z = np.log(mult) + rng.normal(0.0, 0.35, P)
    # approximate quantile of z (normal, logistic approximation of its CDF)
    rank = 1.0 / (1.0 + np.exp(-1.702 * (z + 0.5 * sig * sig) / np.hypot(sig, 0.35)))
    mean_gap = 22.0 + 33.0 * rank
    gender_m = rng.random(P) >= 0.65
    home = _sample(rng, _cdf(_STORE_W), P)
    p_online = rng.beta(0.5, 0.5 * (1 - _P_ONLINE_MEAN) / _P_ONLINE_MEAN, P)

    # number of orders from the churn process (loop over order number, not rows)
    n_orders = np.ones(P, np.int64)
    active = np.arange(P)
    for n in range(1, _MAX_ORDERS):
        p = np.minimum(_CHURN[min(n, _CHURN.size) - 1] * mult[active], 0.97)
        active = active[rng.random(active.size) >= p]
        if active.size == 0:
            break
        n_orders[active] += 1

    cust, pos = _group_offsets(n_orders)
    order_no = pos + 1
    shape = 2.0
    gaps = 1.0 + rng.gamma(shape, (mean_gap[cust] - 1.0) / shape)
    gaps[pos == 0] = 0.0
    cs = np.cumsum(gaps)
    first_idx = np.cumsum(n_orders) - n_orders
    s = s0[cust] + (cs - cs[first_idx][cust])
    keep = s < cal["lam"][-1]
    keep[first_idx] = True  # first order is inside the period by construction
    cust, order_no, s = cust[keep], order_no[keep], np.minimum(s[keep], cal["lam"][-1] - 1e-9)
    day = np.minimum(np.interp(s, cal["lam"], cal["grid"]).astype(np.int64), N_DAYS - 1)
    lam_lines = 1.5 + 0.3 * np.log(order_no)
    n_lines = 1 + np.minimum(rng.poisson(lam_lines), 7)
    return {
        "gender_m": gender_m,
        "home": home,
        "p_online": p_online,
        "o_cust": cust,
        "o_no": order_no,
        "o_day": day,
        "o_lines": n_lines,
    }


def _expected_unid_lines() -> float:
    k = np.arange(0, 8)
    pmf = np.exp(-_UNID_LAMBDA) * _UNID_LAMBDA**k / np.array([float(np.prod(np.arange(1, i + 1))) for i in k])
    pmf[-1] += 1.0 - pmf.sum()  # min(7, Poisson) tail mass
    return float(1.0 + (k * pmf).sum())


# ---------------------------------------------------------------------------
# Line generation
# ---------------------------------------------------------------------------


def _make_lines(
    rng: np.random.Generator,
    cat_data: dict[str, np.ndarray],
    rid: np.ndarray,
    line_no: np.ndarray,
    gender_code: np.ndarray,
    day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Product, quantity and money columns for lines of receipts ``rid`` (receipt-level inputs)."""
    L = rid.size
    n_cat = len(CATEGORIES)
    addon = (rng.random(L) < np.where(line_no == 0, 0.08, 0.42)).astype(np.int64)
    main_w = np.vstack([_CAT_W_MAIN_F, _CAT_W_MAIN_M, 0.65 * _CAT_W_MAIN_F + 0.35 * _CAT_W_MAIN_M])
    cat_w = np.vstack([main_w, np.tile(_CAT_W_ADDON, (3, 1))])  # key = addon*3 + gender
    key = addon * 3 + gender_code[rid]
    key = addon * n_cat + _grouped_choice(rng, key, cat_w)
    sku = cat_data["table"][key, _grouped_choice(rng, key, cat_data["weights"])].astype(np.int32)
    del key
    q_w = np.array([[85, 11, 3, 0.6, 0.4, 0.0], [65, 22, 8, 3, 1.5, 0.5]])
    qty = 1 + _grouped_choice(rng, addon, q_w)
    del addon
    inflation = (1.075 ** (np.arange(N_DAYS) / 365.0))[day]  # per receipt
    promo = np.where(rng.random(L) < 0.12, 1.0 - rng.uniform(0.10, 0.30, L), 1.0)
    price = np.round(cat_data["price"][sku] * inflation[rid] * promo, 2)
    del promo
    np.maximum(price, 1.0, out=price)
    amount = np.round(qty * price, 2)
    ratio = cat_data["cost_ratio"][sku] + rng.normal(0.0, 0.01, L)
    np.clip(ratio, 0.60, 0.75, out=ratio)
    cost = np.round(amount * ratio, 2)
    return {"sku": sku, "qty": qty, "price": price, "amount": amount, "cost": cost}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def generate(rows: int = 60_000, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(lines, customers)`` with the canonical column names, typed.

    ``lines`` has exactly ``rows`` rows (one per receipt line, returns included),
    sorted by ``date, order_id``.  ``customers`` has one row per card holder that
    appears in ``lines``, sorted by ``customer_id``.
    """
    rows = int(rows)
    if rows < 1:
        raise ValueError("rows must be >= 1")
    min_cust = min(50, rows)
    rng = np.random.default_rng(seed)
    cal = _calendar()
    cat_data = _catalog(rng)

    # ---- identified customers: simulate an iid pool, keep a prefix hitting the target
    n_pool = int(max(min_cust, rows / 12) * 1.4) + 64
    while True:
        pool = _simulate_pool(rng, n_pool, cal)
        m_i = pool["o_lines"].mean()
        n_receipts = rows / ((1 - _UNID_SHARE) * m_i + _UNID_SHARE * _expected_unid_lines() + 0.02)
        target_id = int(round((1 - _UNID_SHARE) * n_receipts * m_i))
        per_cust = np.bincount(pool["o_cust"], weights=pool["o_lines"], minlength=n_pool)
        cum = np.cumsum(per_cust)
        if cum[-1] >= target_id and n_pool >= min_cust:
            break
        n_pool *= 2
    k_natural = int(np.searchsorted(cum, target_id)) + 1
    k = max(min_cust, k_natural)
    n_ord = int(np.searchsorted(pool["o_cust"], k))  # orders are grouped by customer
    r_cust = pool["o_cust"][:n_ord]
    r_no = pool["o_no"][:n_ord]
    r_day = pool["o_day"][:n_ord]
    r_lines = pool["o_lines"][:n_ord].copy()

    # Trim identified lines when the 50-customer minimum binds or the last customer
    # overshoots noticeably (small `rows`): later receipts go first, and the first
    # line of a customer's first receipt is never dropped.
    trim_to = max(target_id, k)
    excess = int(r_lines.sum()) - trim_to
    if excess > 0 and (k > k_natural or excess > 0.005 * rows):
        rid, line_no = _group_offsets(r_lines)
        receipt_key = rng.random(n_ord)
        prio = np.where(
            r_no[rid] > 1,
            2.0 + receipt_key[rid] + line_no * 1e-3,
            np.where(line_no == 0, -1.0, 1.0 + receipt_key[rid]),
        )
        keep = np.ones(rid.size, bool)
        keep[np.argsort(-prio, kind="stable")[: rid.size - trim_to]] = False
        r_lines = np.bincount(rid[keep], minlength=n_ord)
        nz = r_lines > 0
        r_cust, r_no, r_day, r_lines = r_cust[nz], r_no[nz], r_day[nz], r_lines[nz]
    n_id = r_cust.size
    lines_id = int(r_lines.sum())

    gender_m = pool["gender_m"][:k]
    home = pool["home"][:k]
    r_online = rng.random(n_id) < pool["p_online"][:k][r_cust]
    away = rng.random(n_id) >= _P_HOME_STORE
    other = (home[r_cust] + rng.integers(1, len(STORES), n_id)) % len(STORES)
    r_store = np.where(away & ~r_online, other, home[r_cust])
    r_minute = _time_of_day(rng, r_online)
    del pool, away, other

    # ---- returns (decided now so anonymous receipts can pad to exactly `rows`)
    is_ret = rng.random(n_id) < _P_RETURN
    ret_day = r_day + rng.integers(1, 15, n_id)
    ret_src = np.flatnonzero(is_ret & (ret_day < N_DAYS))[: rows - lines_id]
    n_ret = ret_src.size
    ret_day = ret_day[ret_src]
    ret_minute = _time_of_day(rng, r_online[ret_src])
    ret_line_off = (rng.random(n_ret) * r_lines[ret_src]).astype(np.int64)
    ret_full = rng.random(n_ret) < 0.8  # else a single unit is returned

    # ---- anonymous receipts: exactly fill the remaining line budget
    unid_budget = rows - lines_id - n_ret
    u_lines = np.zeros(0, np.int64)
    if unid_budget > 0:
        guess = int(unid_budget / _expected_unid_lines() * 1.15) + 16
        while True:
            cand = 1 + np.minimum(rng.poisson(_UNID_LAMBDA, guess), 7)
            cum_u = np.cumsum(cand)
            if cum_u[-1] >= unid_budget:
                break
            guess *= 2
        n_u = int(np.searchsorted(cum_u, unid_budget)) + 1
        u_lines = cand[:n_u].copy()
        u_lines[-1] -= int(cum_u[n_u - 1]) - unid_budget
    n_u = u_lines.size
    u_day = _sample(rng, cal["unid_cdf"], n_u)
    u_online = rng.random(n_u) < 0.04
    u_store = _sample(rng, _cdf(_STORE_W), n_u)
    u_minute = _time_of_day(rng, u_online)

    # ---- all receipts (identified, anonymous, returns) in chronological order
    n_rec = n_id + n_u + n_ret
    a_lines = np.concatenate([r_lines, u_lines, np.ones(n_ret, np.int64)])
    a_cust = np.concatenate([r_cust, np.full(n_u, k), r_cust[ret_src]])  # k = anonymous
    a_store = np.concatenate([r_store, u_store, r_store[ret_src]])
    a_online = np.concatenate([r_online, u_online, r_online[ret_src]])
    a_day = np.concatenate([r_day, u_day, ret_day])
    a_gender = np.concatenate([gender_m[r_cust], np.full(n_u, 2), gender_m[r_cust[ret_src]]]).astype(np.int64)
    stamp = (a_day + _D0).astype(np.int64) * 1440 + np.concatenate([r_minute, u_minute, ret_minute])
    # unique sort key: minute, then a seeded bijective scramble of the index (ties impossible)
    salt = np.uint64(rng.integers(0, 1 << 32))
    scramble = (np.arange(n_rec, dtype=np.uint64) * np.uint64(2654435761) + salt) & np.uint64(0xFFFFFFFF)
    order = np.argsort((stamp.astype(np.uint64) << np.uint64(32)) | scramble)
    del scramble
    pos = np.empty(n_rec, np.int64)  # chronological position of each receipt
    pos[order] = np.arange(n_rec)
    a_lines, a_cust, a_store = a_lines[order], a_cust[order], a_store[order]
    a_online, a_day, a_gender, stamp = a_online[order], a_day[order], a_gender[order], stamp[order]
    order_num = 100_000 + np.cumsum(1 + (rng.random(n_rec) < 0.03) * rng.integers(1, 6, n_rec))
    line_start = np.cumsum(a_lines) - a_lines
    ret_line = line_start[pos[n_id + n_u :]]  # line index of each return line
    src_line = line_start[pos[ret_src]] + ret_line_off  # the purchase line being returned
    del order, pos

    # ---- lines, generated directly in output order
    rid, line_no = _group_offsets(a_lines)
    ln = _make_lines(rng, cat_data, rid, line_no, a_gender, a_day)
    del line_no
    sku, qty, price, amount, cost = ln["sku"], ln["qty"], ln["price"], ln["amount"], ln["cost"]
    del ln
    # return lines copy their source line (always an earlier receipt), negated
    sku[ret_line] = sku[src_line]
    price[ret_line] = price[src_line]
    ret_qty = np.where(ret_full, qty[src_line], 1)
    ret_amount = np.round(ret_qty * price[src_line], 2)
    src_amount = amount[src_line]
    ratio = np.divide(cost[src_line], src_amount, out=np.full(n_ret, 0.7), where=src_amount > 0)
    qty[ret_line] = -ret_qty
    amount[ret_line] = -ret_amount
    cost[ret_line] = -np.round(ret_amount * ratio, 2)

    # ---- customers (card numbers issued in signup order)
    first_day = np.full(k, N_DAYS, np.int64)
    np.minimum.at(first_day, r_cust, r_day)
    signup = first_day - np.where(rng.random(k) < 0.25, rng.integers(1, 61, k), 0)
    signup = np.maximum(signup, 0)
    card_order = np.lexsort((rng.random(k), signup))
    card = np.empty(k, np.int64)
    card[card_order] = 7_700_000_000 + np.cumsum(rng.integers(1, 21, k))
    ages = np.arange(18, 81)
    age_w = (ages - 16.5) ** 2.2 * np.exp(-(ages - 16.5) / 9.0)
    age = ages[_sample(rng, _cdf(age_w), k)]
    next_year = (_END_YEAR - age + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    year_end = next_year.astype(np.int64) - 1  # 31 Dec of (2023 - age): exact age on 2023-12-31
    birth = year_end - rng.integers(0, 365, k)
    region = np.where(rng.random(k) < 0.9, _STORE_REGION[home], rng.integers(0, len(REGIONS), k))
    to_oblast = (region == REGIONS.index("Москва")) & (rng.random(k) < 0.15)
    region = np.where(to_oblast, REGIONS.index("Московская область"), region)

    card_str = pl.Series("customer_id", card).cast(pl.String)  # indexed by customer
    co = card_order  # card numbers increase along card_order -> sorted by customer_id
    customers = pl.DataFrame(
        {
            "customer_id": card_str.gather(co.astype(np.uint32)),
            "gender": pl.Series(["F", "M"]).gather(gender_m[co].astype(np.uint32)),
            "birth_date": pl.Series(birth[co].astype(np.int32)).cast(pl.Date),
            "region": pl.Series(REGIONS).gather(region[co].astype(np.uint32)),
            "signup_date": pl.Series((signup[co] + _D0).astype(np.int32)).cast(pl.Date),
        }
    )

    # ---- assemble the lines frame column by column, freeing numpy arrays as we go
    rid_s = pl.Series(rid.astype(np.uint32))
    del rid
    sku_s = pl.Series(sku.astype(np.uint32))
    del sku
    store_s = pl.Series(a_store.astype(np.uint32))
    cols: list[pl.Series] = []

    def add(name: str, series: pl.Series) -> None:
        cols.append(series.alias(name))

    cards_or_null = pl.concat([card_str, pl.Series([None], dtype=pl.String)])  # index k -> null
    add("customer_id", cards_or_null.gather(pl.Series(a_cust.astype(np.uint32))).gather(rid_s))
    add("order_id", ("R" + pl.Series(order_num).cast(pl.String).str.zfill(9)).gather(rid_s))
    add("date", pl.Series(stamp * _US_PER_MIN).cast(pl.Datetime("us")).gather(rid_s))
    add("amount", pl.Series(amount))
    del amount
    add("quantity", pl.Series(qty, dtype=pl.Int64))
    del qty
    add("price", pl.Series(price))
    del price
    add("sku", pl.Series(cat_data["code"]).gather(sku_s))
    add("category", pl.Series(CATEGORIES).gather(pl.Series(cat_data["cat"].astype(np.uint32)).gather(sku_s)))
    add("store", pl.Series([s for s, _, _ in STORES]).gather(store_s).gather(rid_s))
    add("manager", pl.Series([m for _, _, m in STORES]).gather(store_s).gather(rid_s))
    add("channel", pl.Series(["offline", "online"]).gather(a_online.astype(np.uint32)).gather(rid_s))
    add("cost", pl.Series(cost))
    del cost
    group_idx = pl.Series(cat_data["group"].astype(np.uint32)).gather(sku_s)
    add("product_group", pl.Series(["main", "add-on"]).gather(group_idx))
    lines = pl.DataFrame(cols)
    return lines, customers


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _money_str(col: str) -> pl.Expr:
    """Format a 2-dp float as ``-1234,50`` (decimal comma, no thousands separator)."""
    cents = (pl.col(col) * 100).round(0).cast(pl.Int64)
    absval = cents.abs()
    return (
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (absval // 100).cast(pl.String)
        + pl.lit(",")
        + (absval % 100).cast(pl.String).str.zfill(2)
    ).alias(col)


def _dirt_plan(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic row indices (sorted) and kinds of dirty dates / amounts."""
    rng = np.random.default_rng([seed, 0xD127])
    n_dirty = min(n, max(1, int(round(n * 0.0005))))
    date_idx = np.sort(rng.choice(n, size=n_dirty, replace=False))
    amt_idx = np.sort(rng.choice(n, size=n_dirty, replace=False))
    return date_idx, rng.integers(0, 4, n_dirty), amt_idx, rng.integers(0, 3, n_dirty)


def _dirty_date(good: str, kind: int) -> str | None:
    # impossible calendar dates, blanks, "н/д"
    return ("31.02." + good[6:], None, "н/д", "30.02." + good[6:])[kind]  # None -> empty field


def _dirty_amount(good: str, kind: int) -> str:
    # broken decimal separators ("1234,5,0"), dashes, spreadsheet errors
    return (good[:-1] + "," + good[-1], "—", "#ЗНАЧ!")[kind]


def _write_cp1251_csv(df: pl.DataFrame, fh: io.BufferedWriter, header: bool) -> None:
    buf = io.BytesIO()
    df.write_csv(
        buf,
        separator=";",
        include_header=header,
        null_value="",
        decimal_comma=True,
        float_precision=2,
        date_format="%d.%m.%Y",
        datetime_format="%d.%m.%Y %H:%M",
    )
    fh.write(buf.getvalue().decode("utf-8").encode("cp1251"))


def _write_receipts_csv(lines: pl.DataFrame, path: Path, seed: int, chunk_rows: int = 250_000) -> None:
    n = lines.height
    date_idx, date_kind, amt_idx, amt_kind = _dirt_plan(n, seed)
    with open(path, "wb") as fh:
        for start in range(0, max(n, 1), chunk_rows):
            stop = min(start + chunk_rows, n)
            chunk = lines.slice(start, stop - start).with_columns(
                pl.col("date").dt.to_string("%d.%m.%Y %H:%M"),
                _money_str("amount"),
                _money_str("price"),
                _money_str("cost"),
            )
            a, b = np.searchsorted(date_idx, [start, stop])
            if b > a:
                local = date_idx[a:b] - start
                good = chunk["date"].gather(local).to_list()
                bad = [_dirty_date(d, kd) for d, kd in zip(good, date_kind[a:b], strict=False)]
                chunk = chunk.with_columns(chunk["date"].scatter(local, pl.Series(bad, dtype=pl.String)))
            a, b = np.searchsorted(amt_idx, [start, stop])
            if b > a:
                local = amt_idx[a:b] - start
                good = chunk["amount"].gather(local).to_list()
                bad = [_dirty_amount(v, ka) for v, ka in zip(good, amt_kind[a:b], strict=False)]
                chunk = chunk.with_columns(chunk["amount"].scatter(local, pl.Series(bad, dtype=pl.String)))
            _write_cp1251_csv(chunk.rename(_RECEIPTS_RU), fh, header=start == 0)


def write_demo_data(
    directory: Path,
    rows: int = 60_000,
    seed: int = 7,
    fmt: Literal["csv", "parquet"] = "csv",
) -> dict[str, Path]:
    """Write data files into ``directory/data/``; return ``{"transactions": path, "customers": path}``.

    ``fmt="csv"``: ``receipts.csv`` / ``customers.csv`` as a Russian-style export
    (cp1251, ``;``, decimal comma, Russian headers, gender Ж/М, a little dirt in
    receipts).  ``fmt="parquet"``: ``receipts.parquet`` / ``customers.parquet`` with
    canonical columns and types, no dirt.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    data_dir = Path(directory) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    lines, customers = generate(rows, seed)
    if fmt == "parquet":
        tx_path, cu_path = data_dir / "receipts.parquet", data_dir / "customers.parquet"
        lines.write_parquet(tx_path)
        customers.write_parquet(cu_path)
        return {"transactions": tx_path, "customers": cu_path}

    tx_path, cu_path = data_dir / "receipts.csv", data_dir / "customers.csv"
    _write_receipts_csv(lines, tx_path, seed)
    del lines
    cust_export = customers.with_columns(
        pl.col("gender").replace_strict({"F": "Ж", "M": "М"}, return_dtype=pl.String)
    ).rename(_CUSTOMERS_RU)
    with open(cu_path, "wb") as fh:
        _write_cp1251_csv(cust_export, fh, header=True)
    return {"transactions": tx_path, "customers": cu_path}
