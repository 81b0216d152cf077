"""Identified customers: an iid pool simulated in operational time, a prefix of it kept to hit the line target."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cjmgen.demo_data.reference import (
    CHURN,
    MAX_ORDERS,
    N_DAYS,
    P_HOME_STORE,
    P_ONLINE_MEAN,
    STORE_W,
    STORES,
    UNID_LAMBDA,
    UNID_SHARE,
)
from cjmgen.demo_data.sampling import cdf, group_offsets, sample, time_of_day


@dataclass
class Identified:
    """Purchase receipts of the kept card holders (index ``k`` stands for "no card"), in simulation order."""

    k: int  # card holders kept
    gender_m: np.ndarray  # per card holder
    home: np.ndarray  # per card holder: home store
    cust: np.ndarray  # per receipt from here on
    day: np.ndarray
    lines: np.ndarray
    online: np.ndarray
    store: np.ndarray
    minute: np.ndarray


def expected_unid_lines() -> float:
    k = np.arange(0, 8)
    pmf = np.exp(-UNID_LAMBDA) * UNID_LAMBDA**k / np.array([float(np.prod(np.arange(1, i + 1))) for i in k])
    pmf[-1] += 1.0 - pmf.sum()  # min(7, Poisson) tail mass
    return float(1.0 + (k * pmf).sum())


def _traits(rng: np.random.Generator, n_pool: int, cal: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per customer: acquisition in operational time, churn multiplier, mean gap, gender, home store, online bent."""
    P = n_pool
    acq_t = sample(rng, cal["acq_cdf"], P) + rng.random(P)
    s0 = np.interp(acq_t, cal["grid"], cal["lam"])
    # latent loyalty: churn multiplier (mean 1); loyal customers also buy more often
    sig = 0.45
    mult = rng.lognormal(-0.5 * sig * sig, sig, P)
    z = np.log(mult) + rng.normal(0.0, 0.35, P)
    # approximate quantile of z (normal, logistic approximation of its CDF)
    rank = 1.0 / (1.0 + np.exp(-1.702 * (z + 0.5 * sig * sig) / np.hypot(sig, 0.35)))
    return {
        "s0": s0,
        "mult": mult,
        "mean_gap": 22.0 + 33.0 * rank,
        "gender_m": rng.random(P) >= 0.65,
        "home": sample(rng, cdf(STORE_W), P),
        "p_online": rng.beta(0.5, 0.5 * (1 - P_ONLINE_MEAN) / P_ONLINE_MEAN, P),
    }


def _order_counts(rng: np.random.Generator, mult: np.ndarray) -> np.ndarray:
    """Orders per customer from the churn process (a loop over the order number, not over rows)."""
    n_orders = np.ones(mult.size, np.int64)
    active = np.arange(mult.size)
    for n in range(1, MAX_ORDERS):
        p = np.minimum(CHURN[min(n, CHURN.size) - 1] * mult[active], 0.97)
        active = active[rng.random(active.size) >= p]
        if active.size == 0:
            break
        n_orders[active] += 1
    return n_orders


def _order_days(
    rng: np.random.Generator, n_orders: np.ndarray, traits: dict[str, np.ndarray], cal: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, order number, day) of every order inside the period: gamma gaps in operational time."""
    cust, pos = group_offsets(n_orders)
    order_no = pos + 1
    shape = 2.0
    gaps = 1.0 + rng.gamma(shape, (traits["mean_gap"][cust] - 1.0) / shape)
    gaps[pos == 0] = 0.0
    cs = np.cumsum(gaps)
    first_idx = np.cumsum(n_orders) - n_orders
    s = traits["s0"][cust] + (cs - cs[first_idx][cust])
    keep = s < cal["lam"][-1]
    keep[first_idx] = True  # first order is inside the period by construction
    cust, order_no, s = cust[keep], order_no[keep], np.minimum(s[keep], cal["lam"][-1] - 1e-9)
    day = np.minimum(np.interp(s, cal["lam"], cal["grid"]).astype(np.int64), N_DAYS - 1)
    return cust, order_no, day


def simulate_pool(rng: np.random.Generator, n_pool: int, cal: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Traits of ``n_pool`` iid customers and their orders (grouped by customer) with lines per order."""
    traits = _traits(rng, n_pool, cal)
    cust, order_no, day = _order_days(rng, _order_counts(rng, traits["mult"]), traits, cal)
    lam_lines = 1.5 + 0.3 * np.log(order_no)
    n_lines = 1 + np.minimum(rng.poisson(lam_lines), 7)
    return {
        "gender_m": traits["gender_m"],
        "home": traits["home"],
        "p_online": traits["p_online"],
        "o_cust": cust,
        "o_no": order_no,
        "o_day": day,
        "o_lines": n_lines,
    }


def _big_enough_pool(
    rng: np.random.Generator, cal: dict[str, np.ndarray], rows: int, min_cust: int
) -> tuple[dict[str, np.ndarray], int, np.ndarray]:
    """A pool (doubled until large enough) whose customers carry the identified line target; returns
    (pool, target identified lines, cumulative lines per customer)."""
    n_pool = int(max(min_cust, rows / 12) * 1.4) + 64
    while True:
        pool = simulate_pool(rng, n_pool, cal)
        m_i = pool["o_lines"].mean()
        n_receipts = rows / ((1 - UNID_SHARE) * m_i + UNID_SHARE * expected_unid_lines() + 0.02)
        target_id = int(round((1 - UNID_SHARE) * n_receipts * m_i))
        per_cust = np.bincount(pool["o_cust"], weights=pool["o_lines"], minlength=n_pool)
        cum = np.cumsum(per_cust)
        if cum[-1] >= target_id and n_pool >= min_cust:
            return pool, target_id, cum
        n_pool *= 2


def _trim(
    rng: np.random.Generator, orders: tuple[np.ndarray, ...], trim_to: int
) -> tuple[np.ndarray, ...]:
    """Drop lines down to ``trim_to``: later receipts go first, and the first line of a customer's first receipt
    is never dropped; receipts left without lines disappear."""
    r_cust, r_no, r_day, r_lines = orders
    n_ord = r_cust.size
    rid, line_no = group_offsets(r_lines)
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
    return r_cust[nz], r_no[nz], r_day[nz], r_lines[nz]


def identified_receipts(rng: np.random.Generator, cal: dict[str, np.ndarray], rows: int) -> Identified:
    """The card holders' purchase receipts: at least 50 customers (or ``rows``), lines close to the target."""
    min_cust = min(50, rows)
    pool, target_id, cum = _big_enough_pool(rng, cal, rows, min_cust)
    k_natural = int(np.searchsorted(cum, target_id)) + 1
    k = max(min_cust, k_natural)
    n_ord = int(np.searchsorted(pool["o_cust"], k))  # orders are grouped by customer
    orders = tuple(pool[key][:n_ord] for key in ("o_cust", "o_no", "o_day")) + (pool["o_lines"][:n_ord].copy(),)
    # Trim identified lines when the 50-customer minimum binds or the last customer overshoots noticeably
    # (small `rows`).
    trim_to = max(target_id, k)
    excess = int(orders[3].sum()) - trim_to
    if excess > 0 and (k > k_natural or excess > 0.005 * rows):
        orders = _trim(rng, orders, trim_to)
    r_cust, _, r_day, r_lines = orders
    n_id = r_cust.size
    home = pool["home"][:k]
    r_online = rng.random(n_id) < pool["p_online"][:k][r_cust]
    away = rng.random(n_id) >= P_HOME_STORE
    other = (home[r_cust] + rng.integers(1, len(STORES), n_id)) % len(STORES)
    r_store = np.where(away & ~r_online, other, home[r_cust])
    return Identified(
        k=k, gender_m=pool["gender_m"][:k], home=home, cust=r_cust, day=r_day, lines=r_lines,
        online=r_online, store=r_store, minute=time_of_day(rng, r_online),
    )
