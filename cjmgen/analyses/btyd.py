"""Buy-'til-you-die models on plain arrays: BG/NBD (Fader, Hardie & Lee 2005), MBG/NBD (Batislam, Denizel & Filiztekin
2007) and Gamma-Gamma (Fader & Hardie 2013).

Conventions (per customer, all times in one unit): x = repeat purchases, t_x = time of the last purchase
after the first (recency), T = time from the first purchase to the end of the observation period.
Parameters are fitted by maximum likelihood over their logarithms (all are positive), starting with
L-BFGS-B and polishing with Nelder-Mead when L-BFGS-B stops without convergence. No polars here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

BGNBD = ("r", "alpha", "a", "b")
"""BG/NBD parameters: λ ~ Gamma(shape r, rate alpha); dropout probability p ~ Beta(a, b)."""
MBGNBD = BGNBD
"""MBG/NBD has the same parameters; the customer may also drop out right after the first purchase."""
GAMMA_GAMMA = ("p", "q", "gamma")
"""Gamma-Gamma parameters: purchase value ~ Gamma(shape p, rate ν); ν ~ Gamma(shape q, rate gamma)."""

_LOG_BOUND = 15.0  # parameters between e^-15 and e^15: wide, and keeps every term finite


@dataclass(frozen=True)
class Fit:
    """A maximum-likelihood fit: estimates, standard errors (None where the Hessian is not usable), diagnostics."""

    params: dict[str, float]
    std_errors: dict[str, float | None]
    log_likelihood: float
    converged: bool
    message: str
    iterations: int
    customers: int
    at_bound: tuple[str, ...] = ()
    """Parameters whose estimate sits at the search bound (e^±15)."""


# ------------------------------------------------------------------ BG/NBD


def bgnbd_log_likelihood(params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Per-customer log-likelihood of (x, t_x, T) under BG/NBD, computed in logs."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    common = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
              + special.betaln(a, b + x) - special.betaln(a, b))
    still_alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1): the customer dropped out right after the last purchase
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = (np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat]))
    return np.asarray(common + np.logaddexp(still_alive, dropped))


def bgnbd_p_alive(params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T | x, t_x, T): 1 for customers without repeat purchases (the model only drops after a purchase)."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    out = np.ones_like(x)
    repeat = x > 0
    xr = x[repeat]
    log_odds = np.log(a) - np.log(b + xr - 1) + (r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
    out[repeat] = special.expit(-log_odds)  # 1 / (1 + odds), stable for large odds
    return out


def bgnbd_expected_purchases(params: dict[str, float], t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units (Fader, Hardie & Lee 2005).

    The paper's ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z) overflows for frequent buyers; Euler's
    transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z) turns it into the equal
    (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose parameters stay small, with z = t/(α+T+t).
    """
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    t = np.asarray(t, dtype=float)
    z = t / (alpha + T + t)
    remaining = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    main = (a + b + x - 1) / (a - 1) * (1 - remaining)
    log_odds = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1)
                        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)), -np.inf)
    return np.asarray(main * special.expit(-log_odds))  # main / (1 + odds), without overflow


def bgnbd_expected_purchases_new(params: dict[str, float], t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer within t of the first purchase."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    t = np.asarray(t, dtype=float)
    hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
    return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp))


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None, max_iter: int = 2000) -> Fit:
    """Maximum-likelihood BG/NBD; weights count identical customers (rows of equal x, t_x, T)."""
    return _fit_purchase_model(bgnbd_log_likelihood, BGNBD, x, t_x, T, weights, max_iter)


# ------------------------------------------------------------------ MBG/NBD


def mbgnbd_log_likelihood(params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Per-customer log-likelihood under MBG/NBD: as BG/NBD, but a dropout may follow every purchase, the first too."""
    r, alpha, a, b = (params[k] for k in MBGNBD)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    common = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
              + special.betaln(a, b + x + 1) - special.betaln(a, b))
    still_alive = -(r + x) * np.log(alpha + T)
    dropped = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return np.asarray(common + np.logaddexp(still_alive, dropped))


def _mbgnbd_log_odds(params: dict[str, float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = (params[k] for k in MBGNBD)
    return np.asarray(np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))


def mbgnbd_p_alive(params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T | x, t_x, T) under MBG/NBD; below 1 for one-time buyers too."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return np.asarray(special.expit(-_mbgnbd_log_odds(params, x, t_x, T)))


def mbgnbd_expected_purchases(params: dict[str, float], t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """E[Y(t) | x, t_x, T] under MBG/NBD (Batislam et al. 2007, eq. 8), with Euler's transformation as in BG/NBD:
    ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x+1; a+b+x; z) = (1−z)^(a−1) · ₂F₁(a+b−r, a−1; a+b+x; z)."""
    r, alpha, a, b = (params[k] for k in MBGNBD)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = np.asarray(t, dtype=float) / (alpha + T + np.asarray(t, dtype=float))
    remaining = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - r, a - 1, a + b + x, z)
    main = (a + b + x) / (a - 1) * (1 - remaining)
    return np.asarray(main * special.expit(-_mbgnbd_log_odds(params, x, t_x, T)))


def fit_mbgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None, max_iter: int = 2000) -> Fit:
    """Maximum-likelihood MBG/NBD; weights count identical customers."""
    return _fit_purchase_model(mbgnbd_log_likelihood, MBGNBD, x, t_x, T, weights, max_iter)


def _fit_purchase_model(log_likelihood: Callable[..., np.ndarray], names: tuple[str, ...], x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                        weights: ArrayLike | None, max_iter: int) -> Fit:
    """BG/NBD and MBG/NBD share their parameters (r, alpha, a, b) and so their starting point: alpha from the
    average purchase rate, the rest at 1, 1, 3."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    rate = max(float(np.average(x, weights=w)), 0.1) / max(float(np.average(T, weights=w)), 1e-6)
    start = np.log([1.0, 1.0 / rate, 1.0, 3.0])
    return _fit(lambda p: log_likelihood(p, x, t_x, T), names, start, w, max_iter)


# ------------------------------------------------------------------ Gamma-Gamma


def gamma_gamma_log_likelihood(params: dict[str, float], x: ArrayLike, m: ArrayLike) -> np.ndarray:
    """Per-customer log-density of the average purchase value m over x purchases."""
    p, q, gamma = (params[k] for k in GAMMA_GAMMA)
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return np.asarray(special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + m * x))


def gamma_gamma_expected_value(params: dict[str, float], x: ArrayLike, m: ArrayLike) -> np.ndarray:
    """E[value of a purchase | x purchases averaging m]: a weighted mean of the population mean and m.

    With x = 0 this is the population mean p·gamma/(q−1) (defined for q > 1).
    """
    p, q, gamma = (params[k] for k in GAMMA_GAMMA)
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    return np.asarray(p * (gamma + x * m) / (p * x + q - 1))


def fit_gamma_gamma(x: ArrayLike, m: ArrayLike, weights: ArrayLike | None = None, max_iter: int = 2000) -> Fit:
    """Maximum-likelihood Gamma-Gamma on customers with x > 0 purchases of positive average value m."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    mean = float(np.average(m, weights=w))
    # moment-style start: p = 2, q = 3 gives mean p·gamma/(q−1) = gamma
    start = np.log([2.0, 3.0, max(mean, 1e-6)])
    return _fit(lambda p: gamma_gamma_log_likelihood(p, x, m), GAMMA_GAMMA, start, w, max_iter)


def simulate_gamma_gamma(rng: np.random.Generator, params: dict[str, float], x: ArrayLike) -> np.ndarray:
    """Average value of x purchases per customer: ν ~ Gamma(q, rate gamma), each value ~ Gamma(p, rate ν)."""
    p, q, gamma = (params[k] for k in GAMMA_GAMMA)
    x = np.asarray(x, dtype=float)
    nu = rng.gamma(q, 1 / gamma, size=x.shape)
    # the sum of x independent Gamma(p, ν) values is Gamma(p·x, ν)
    return np.asarray(rng.gamma(p * x, 1 / nu) / x)


# ------------------------------------------------------------------ fitting


def _fit(loglik: Callable[[dict[str, float]], np.ndarray], names: tuple[str, ...], start: np.ndarray,
         weights: np.ndarray, max_iter: int) -> Fit:
    """Minimise the mean negative log-likelihood over log-parameters; standard errors from the Hessian."""
    total = float(weights.sum())

    def objective(theta: np.ndarray) -> float:
        value = -float(np.dot(weights, loglik(dict(zip(names, np.exp(theta), strict=False))))) / total
        return value if np.isfinite(value) else 1e100

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(names)
    found = optimize.minimize(objective, start, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": max_iter, "ftol": 1e-12, "gtol": 1e-8})
    iterations = int(found.nit)
    if not found.success:
        polished = optimize.minimize(objective, found.x, method="Nelder-Mead",
                                     options={"maxiter": max_iter, "xatol": 1e-8, "fatol": 1e-12})
        iterations += int(polished.nit)
        found = polished if polished.fun <= found.fun else found
        found.success = bool(polished.success)
    theta = np.asarray(found.x, dtype=float)
    bound_names = tuple(n for n, v in zip(names, theta, strict=True) if abs(v) >= _LOG_BOUND - 1e-6)
    at_bound = bool(bound_names)
    estimates = dict(zip(names, (float(v) for v in np.exp(theta)), strict=False))
    converged = bool(found.success) and not at_bound and bool(np.isfinite(found.fun))
    message = "parameter at the search bound" if at_bound else str(found.message)
    return Fit(estimates, _std_errors(objective, theta, total, names), -float(found.fun) * total,
               converged, message, iterations, int(round(total)), bound_names)


def _std_errors(objective: Callable[[np.ndarray], float], theta: np.ndarray, total: float,
                names: tuple[str, ...]) -> dict[str, float | None]:
    """Delta-method standard errors: SE(θ) = θ · SE(log θ), from a central-difference Hessian of −log L."""
    hessian = _hessian(lambda v: objective(v) * total, theta)
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return dict.fromkeys(names)
    variances = np.diag(covariance)
    definite = bool(np.all(np.linalg.eigvalsh((hessian + hessian.T) / 2) > 0))
    ok = np.isfinite(variances) & (variances > 0) & definite
    values = np.exp(theta) * np.sqrt(np.where(variances > 0, variances, np.nan))
    return {name: (float(v) if ok[i] and np.isfinite(v) else None) for i, (name, v) in enumerate(zip(names, values, strict=False))}


def _hessian(f: Callable[[np.ndarray], float], at: np.ndarray, step: float = 1e-4) -> np.ndarray:
    n = at.size
    out = np.empty((n, n))
    base = f(at)
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * step, np.eye(n)[j] * step
            if i == j:
                out[i, i] = (f(at + ei) - 2 * base + f(at - ei)) / step**2
            else:
                mixed = f(at + ei + ej) - f(at + ei - ej) - f(at - ei + ej) + f(at - ei - ej)
                out[i, j] = out[j, i] = mixed / (4 * step**2)
    return out
