"""Purchase histories drawn from the BG/NBD and MBG/NBD stories, for the model tests (not part of cjmgen)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cjmgen.analyses.btyd import BGNBD


def _simulate(rng: np.random.Generator, params: dict[str, float], T: ArrayLike,
              coin_first: bool) -> tuple[np.ndarray, np.ndarray]:
    r, alpha, a, b = (params[k] for k in BGNBD)
    T = np.asarray(T, dtype=float)
    lam = rng.gamma(r, 1 / alpha, size=T.shape)
    drop = rng.beta(a, b, size=T.shape)
    x, t_x = np.zeros_like(T), np.zeros_like(T)
    for i in range(T.size):
        now = 0.0
        while not (coin_first and rng.random() < drop[i]):
            now += rng.exponential(1 / lam[i])
            if now > T[i]:
                break
            x[i] += 1
            t_x[i] = now
            if not coin_first and rng.random() < drop[i]:
                break
    return x, t_x


def simulate_bgnbd(rng: np.random.Generator, params: dict[str, float], T: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(x, t_x) for customers observed for T each: the first purchase at 0, purchases a Poisson process of rate λ,
    after each repeat purchase a dropout with probability p."""
    return _simulate(rng, params, T, coin_first=False)


def simulate_mbgnbd(rng: np.random.Generator, params: dict[str, float], T: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(x, t_x) from MBG/NBD's story: the dropout coin is tossed after every purchase, the first too."""
    return _simulate(rng, params, T, coin_first=True)
