"""Returns and anonymous receipts around the identified ones, and all receipts merged in chronological order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cjmgen.demo_data.pool import Identified, expected_unid_lines
from cjmgen.demo_data.reference import D0, N_DAYS, P_RETURN, STORE_W, UNID_LAMBDA
from cjmgen.demo_data.sampling import cdf, sample, time_of_day


@dataclass
class Returns:
    """One-line return receipts, each following an identified receipt ``src`` within 1-14 days."""

    src: np.ndarray  # index into the identified receipts
    day: np.ndarray
    minute: np.ndarray
    line_off: np.ndarray  # which line of the source receipt is returned
    full: np.ndarray  # whole quantity returned (else a single unit)

    @property
    def n(self) -> int:
        return int(self.src.size)


@dataclass
class Anonymous:
    """Receipts without a loyalty card."""

    lines: np.ndarray
    day: np.ndarray
    online: np.ndarray
    store: np.ndarray
    minute: np.ndarray


@dataclass
class Receipts:
    """Every receipt in output order, with where return lines sit and which purchase line each one returns."""

    lines: np.ndarray
    cust: np.ndarray  # index k = anonymous
    store: np.ndarray
    online: np.ndarray
    day: np.ndarray
    gender: np.ndarray  # 0 F, 1 M, 2 anonymous
    stamp: np.ndarray  # epoch minute
    order_num: np.ndarray
    ret_line: np.ndarray  # line index of each return line
    src_line: np.ndarray  # line index of the purchase line it returns


def plan_returns(rng: np.random.Generator, ident: Identified, rows: int) -> Returns:
    """Returns decided before anonymous receipts, so that those can pad the line count to exactly ``rows``."""
    n_id = ident.cust.size
    is_ret = rng.random(n_id) < P_RETURN
    ret_day = ident.day + rng.integers(1, 15, n_id)
    ret_src = np.flatnonzero(is_ret & (ret_day < N_DAYS))[: rows - int(ident.lines.sum())]
    n_ret = ret_src.size
    ret_day = ret_day[ret_src]
    ret_minute = time_of_day(rng, ident.online[ret_src])
    ret_line_off = (rng.random(n_ret) * ident.lines[ret_src]).astype(np.int64)
    ret_full = rng.random(n_ret) < 0.8  # else a single unit is returned
    return Returns(src=ret_src, day=ret_day, minute=ret_minute, line_off=ret_line_off, full=ret_full)


def _anonymous_lines(rng: np.random.Generator, budget: int) -> np.ndarray:
    """Lines per anonymous receipt, summing to exactly ``budget``."""
    if budget <= 0:
        return np.zeros(0, np.int64)
    guess = int(budget / expected_unid_lines() * 1.15) + 16
    while True:
        cand = 1 + np.minimum(rng.poisson(UNID_LAMBDA, guess), 7)
        cum_u = np.cumsum(cand)
        if cum_u[-1] >= budget:
            break
        guess *= 2
    n_u = int(np.searchsorted(cum_u, budget)) + 1
    u_lines = cand[:n_u].copy()
    u_lines[-1] -= int(cum_u[n_u - 1]) - budget
    return u_lines


def anonymous_receipts(rng: np.random.Generator, cal: dict[str, np.ndarray], budget: int) -> Anonymous:
    """Anonymous receipts that exactly fill the remaining line budget."""
    u_lines = _anonymous_lines(rng, budget)
    n_u = u_lines.size
    u_day = sample(rng, cal["unid_cdf"], n_u)
    u_online = rng.random(n_u) < 0.04
    u_store = sample(rng, cdf(STORE_W), n_u)
    return Anonymous(lines=u_lines, day=u_day, online=u_online, store=u_store, minute=time_of_day(rng, u_online))


def _stacked(ident: Identified, anon: Anonymous, ret: Returns) -> dict[str, np.ndarray]:
    """Identified, anonymous and return receipts one after the other (not yet in time order)."""
    n_u, src = anon.lines.size, ret.src
    return {
        "lines": np.concatenate([ident.lines, anon.lines, np.ones(ret.n, np.int64)]),
        "cust": np.concatenate([ident.cust, np.full(n_u, ident.k), ident.cust[src]]),  # k = anonymous
        "store": np.concatenate([ident.store, anon.store, ident.store[src]]),
        "online": np.concatenate([ident.online, anon.online, ident.online[src]]),
        "day": np.concatenate([ident.day, anon.day, ret.day]),
        "gender": np.concatenate(
            [ident.gender_m[ident.cust], np.full(n_u, 2), ident.gender_m[ident.cust[src]]]
        ).astype(np.int64),
        "minute": np.concatenate([ident.minute, anon.minute, ret.minute]),
    }


def chronological(rng: np.random.Generator, ident: Identified, anon: Anonymous, ret: Returns) -> Receipts:
    """All receipts sorted by minute (ties broken by a seeded scramble), numbered, with return lines located."""
    a = _stacked(ident, anon, ret)
    n_rec = a["lines"].size
    stamp = (a["day"] + D0).astype(np.int64) * 1440 + a.pop("minute")
    # unique sort key: minute, then a seeded bijective scramble of the index (ties impossible)
    salt = np.uint64(rng.integers(0, 1 << 32))
    scramble = (np.arange(n_rec, dtype=np.uint64) * np.uint64(2654435761) + salt) & np.uint64(0xFFFFFFFF)
    order = np.argsort((stamp.astype(np.uint64) << np.uint64(32)) | scramble)
    del scramble
    pos = np.empty(n_rec, np.int64)  # chronological position of each receipt
    pos[order] = np.arange(n_rec)
    a = {name: column[order] for name, column in a.items()}
    order_num = 100_000 + np.cumsum(1 + (rng.random(n_rec) < 0.03) * rng.integers(1, 6, n_rec))
    line_start = np.cumsum(a["lines"]) - a["lines"]
    n_id_u = ident.cust.size + anon.lines.size
    return Receipts(
        **a, stamp=stamp[order], order_num=order_num,
        ret_line=line_start[pos[n_id_u:]], src_line=line_start[pos[ret.src]] + ret.line_off,
    )
