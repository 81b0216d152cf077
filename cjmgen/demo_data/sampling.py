"""Vectorised sampling helpers and the two seeded lookup structures (calendar intensity, product catalogue)."""

from __future__ import annotations

import numpy as np

from cjmgen.demo_data.reference import (
    CAT_PRICE_MEDIAN,
    CATEGORIES,
    D0,
    HOUR_W_OFFLINE,
    HOUR_W_ONLINE,
    MONTH_W,
    N_DAYS,
    N_SKU_ADDON,
    N_SKU_MAIN,
    OPEN_HOUR,
    WEEKDAY_W,
)


def cdf(w: np.ndarray) -> np.ndarray:
    c = np.cumsum(np.asarray(w, float))
    c /= c[-1]
    c[-1] = 1.0
    return c


def sample(rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), cum.size - 1)


def grouped_choice(rng: np.random.Generator, key: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sample a column index per element, using row ``key`` of ``weights`` (K x n)."""
    w = np.asarray(weights, float)
    k_rows, n = w.shape
    c = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    c[:, -1] = 1.0
    grid = (c + np.arange(k_rows)[:, None]).ravel()
    u = rng.random(key.size) * (1.0 - 1e-9)
    idx = np.searchsorted(grid, key + u, side="right")
    return np.minimum(idx - key.astype(np.int64) * n, n - 1)


def group_offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of sizes ``counts`` return (group index, position within group) per element."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    gid = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) - starts[gid]
    return gid, pos


def time_of_day(rng: np.random.Generator, online: np.ndarray) -> np.ndarray:
    """Minute of day within shop hours 8:00-21:59."""
    n = online.size
    hour = np.where(
        online,
        sample(rng, cdf(HOUR_W_ONLINE), n),
        sample(rng, cdf(HOUR_W_OFFLINE), n),
    )
    return (hour + OPEN_HOUR) * 60 + rng.integers(0, 60, n)


def calendar() -> dict[str, np.ndarray]:
    """Daily intensity of the period and the cumulative curves that map operational time to calendar days."""
    days = np.arange(N_DAYS) + D0
    dt = days.astype("datetime64[D]")
    month = dt.astype("datetime64[M]").astype(np.int64) % 12  # 0 = Jan
    dom = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday; Mon = 0
    w = MONTH_W[month] * WEEKDAY_W[dow]
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
        "acq_cdf": cdf(w * growth * q4),
        "unid_cdf": cdf(w * (1.0 + 0.25 * t)),
    }


def catalog(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """SKUs by (group, category) with popularity weights, shelf prices, cost ratios and article codes."""
    n_cat = len(CATEGORIES)
    width = max(N_SKU_MAIN, N_SKU_ADDON)
    table = np.full((2 * n_cat, width), -1, np.int64)  # (group*n_cat + cat, rank) -> sku
    weights = np.zeros((2 * n_cat, width))
    cats, groups, prices = [], [], []
    sku = 0
    for group, n_sku in ((0, N_SKU_MAIN), (1, N_SKU_ADDON)):
        for cat in range(n_cat):
            ids = np.arange(sku, sku + n_sku)
            table[group * n_cat + cat, :n_sku] = ids
            weights[group * n_cat + cat, :n_sku] = 1.0 / (np.arange(n_sku) + 4.0) ** 0.9
            cats.append(np.full(n_sku, cat))
            groups.append(np.full(n_sku, group))
            if group == 0:
                p = CAT_PRICE_MEDIAN[cat] * rng.lognormal(0.0, 0.6, n_sku)
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
