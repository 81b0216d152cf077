"""BG/NBD and Gamma-Gamma (cjmgen.analyses.btyd), checked against things that do not share its algebra.

1. Parameter recovery: data simulated from KNOWN parameters (the model's story, customer by customer,
   numpy seeds) and fitted back. The tolerance is the fit's own standard error (|estimate − truth| < 3.5 SE),
   and test 2 shows those standard errors are honest, so the bound is neither loose by accident nor flaky:
   3.5 SE is a 0.05% two-sided miss per parameter for a calibrated estimator. We also require the
   well-identified quantities (r, α; Gamma-Gamma's mean spend pγ/(q−1)) within a relative 15%; a, b, p, q, γ
   alone are weakly identified at these sample sizes (their relative SE is 10–25%), so no relative bound on them.
2. Honest standard errors: over 12 independent simulated samples the z-scores (estimate − truth) / SE of
   all parameters have mean ≈ 0 and standard deviation ≈ 1.
3. Closed forms against numerical integration over λ and p (Gauss–Laguerre in λ, Gauss–Jacobi in p, i.e.
   the model's definition integrated numerically, no hypergeometric function): P(alive), E[Y(t) | x, t_x, T]
   and the log-likelihood, on the CDNOW example of Fader, Hardie & Lee (r = 0.2425, α = 4.4136, a = 0.7929,
   b = 2.4259; x = 2, t_x = 30.43, T = 38.86 weeks: E[Y(39)] = 1.2259 — the published 1.226 — computed here)
   and on other customers. Gamma-Gamma's density and conditional mean against scipy.integrate.quad over ν.
4. The simulator and the unconditional E[X(t)] agree (Monte Carlo within 4 standard errors).
5. Invariants (hypothesis): P(alive) in [0, 1] and exactly 1 without repeat purchases (the model lets a
   customer drop out only after a repeat purchase); expected purchases ≥ 0, growing with t, finite for very
   frequent buyers; Gamma-Gamma's expected value lies between the customer's mean and the population mean.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from btyd_simulate import simulate_bgnbd, simulate_mbgnbd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from cjmgen.analyses import btyd

CDNOW = {"r": 0.2425, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
GG_CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}
FAST = settings(max_examples=60, deadline=None)


def _simulate(seed: int, n: int, params=CDNOW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(30, 78, n)  # customers acquired over 48 weeks, observed up to week 78 (CDNOW-like)
    x, t_x = simulate_bgnbd(rng, params, T)
    return x, t_x, T


# ===================================================================== 1. parameter recovery


def test_bgnbd_recovers_known_parameters():
    x, t_x, T = _simulate(2005, 5000)
    fit = btyd.fit_bgnbd(x, t_x, T)
    assert fit.converged, fit.message
    assert fit.customers == 5000
    for name, truth in CDNOW.items():
        se = fit.std_errors[name]
        assert se is not None and se > 0
        assert abs(fit.params[name] - truth) < 3.5 * se, (name, fit.params[name], se)
    assert fit.params["r"] == pytest.approx(CDNOW["r"], rel=0.15)
    assert fit.params["alpha"] == pytest.approx(CDNOW["alpha"], rel=0.15)
    # the maximum: the log-likelihood at the truth is lower than at the estimate
    assert btyd.bgnbd_log_likelihood(CDNOW, x, t_x, T).sum() < fit.log_likelihood


def test_bgnbd_weights_count_identical_customers():
    x, t_x, T = np.array([0, 0, 1, 3, 3]), np.array([0, 0, 5, 20, 20]), np.array([30, 30, 40, 50, 50])
    spelled = btyd.bgnbd_log_likelihood(CDNOW, x, t_x, T).sum()
    grouped = btyd.bgnbd_log_likelihood(CDNOW, [0, 1, 3], [0, 5, 20], [30, 40, 50])
    assert spelled == pytest.approx(float(np.dot([2, 1, 2], grouped)), rel=1e-12)


def test_gamma_gamma_recovers_known_parameters():
    rng = np.random.default_rng(2013)
    x = 1 + rng.poisson(3, 3000)
    m = btyd.simulate_gamma_gamma(rng, GG_CDNOW, x)
    fit = btyd.fit_gamma_gamma(x, m)
    assert fit.converged, fit.message
    for name, truth in GG_CDNOW.items():
        assert abs(fit.params[name] - truth) < 3.5 * fit.std_errors[name], (name, fit.params[name])
    mean = lambda p: p["p"] * p["gamma"] / (p["q"] - 1)  # noqa: E731
    assert mean(fit.params) == pytest.approx(mean(GG_CDNOW), rel=0.15)


# ===================================================================== 2. honest standard errors


def test_standard_errors_are_honest():
    z = []
    for seed in range(12):
        x, t_x, T = _simulate(100 + seed, 1500)
        fit = btyd.fit_bgnbd(x, t_x, T)
        z += [(fit.params[k] - v) / fit.std_errors[k] for k, v in CDNOW.items()]
    z = np.array(z)
    # 48 z-scores (4 per sample, correlated within a sample): mean 0 ± ~0.3, sd 1 ± ~0.25 if calibrated
    assert abs(z.mean()) < 0.5
    assert 0.65 < z.std() < 1.4


# ===================================================================== 3. closed forms vs integration


def _posterior_integrals(params, x, t_x, T, t, n=120):
    """∫∫ over λ ~ Gamma(r, α), p ~ Beta(a, b) of the individual-level likelihood pieces, by Gauss quadrature.

    The λ nodes absorb the Gamma density and e^(−λ t_x); the p nodes absorb the Beta density. Returns
    (log L, P(alive), E[Y(t)]): the individual alive term is (1−p)^x λ^x e^(−λT), the dropped term
    p (1−p)^(x−1) λ^x e^(−λ t_x), and an alive customer's expected purchases in t are (1 − e^(−λ p t)) / p.
    """
    r, alpha, a, b = (params[k] for k in btyd.BGNBD)
    scale = alpha + t_x
    u, wu = special.roots_genlaguerre(n, r - 1)
    y, wy = special.roots_jacobi(n, b - 1, a - 1)
    lam, p = np.meshgrid(u / scale, (1 + y) / 2, indexing="ij")
    w = np.outer(wu, wy)
    alive = (1 - p) ** x * lam**x * np.exp(-lam * (T - t_x))
    dropped = p * (1 - p) ** (x - 1) * lam**x if x > 0 else np.zeros_like(lam)
    total = (w * (alive + dropped)).sum()
    log_l = math.log(total / (wu.sum() * wy.sum())) + r * math.log(alpha) - r * math.log(scale)
    return log_l, (w * alive).sum() / total, (w * alive * (1 - np.exp(-lam * p * t)) / p).sum() / total


CUSTOMERS = [  # x, t_x, T, t
    (2, 30.43, 38.86, 39.0),   # the CDNOW example of Fader, Hardie & Lee
    (0, 0.0, 38.86, 39.0),
    (1, 2.0, 60.0, 52.0),
    (7, 35.0, 36.0, 52.0),
    (15, 20.0, 77.0, 10.0),
]


@pytest.mark.parametrize("x,t_x,T,t", CUSTOMERS)
def test_closed_forms_match_numerical_integration(x, t_x, T, t):
    log_l, p_alive, expected = _posterior_integrals(CDNOW, x, t_x, T, t)
    assert btyd.bgnbd_log_likelihood(CDNOW, [x], [t_x], [T])[0] == pytest.approx(log_l, rel=1e-9)
    assert btyd.bgnbd_p_alive(CDNOW, [x], [t_x], [T])[0] == pytest.approx(p_alive, rel=1e-9)
    assert btyd.bgnbd_expected_purchases(CDNOW, t, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-9)


def test_cdnow_published_example():
    """FHL 2005: the customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in 39 weeks."""
    _, _, integrated = _posterior_integrals(CDNOW, 2, 30.43, 38.86, 39.0)
    assert integrated == pytest.approx(1.2259, abs=5e-5)
    assert btyd.bgnbd_expected_purchases(CDNOW, 39.0, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=5e-4)


@pytest.mark.parametrize("x,m", [(1, 20.0), (3, 35.5), (12, 9.0)])
def test_gamma_gamma_against_integration_over_nu(x, m):
    p, q, gamma = (GG_CDNOW[k] for k in btyd.GAMMA_GAMMA)
    prior = stats.gamma(q, scale=1 / gamma)
    # given ν the mean of x Gamma(p, rate ν) values is Gamma(p·x, rate x·ν)
    density = lambda nu: stats.gamma.pdf(m, p * x, scale=1 / (x * nu)) * prior.pdf(nu)  # noqa: E731
    marginal = integrate.quad(density, 0, np.inf, epsrel=1e-11, limit=200)[0]
    mean = integrate.quad(lambda nu: p / nu * density(nu), 0, np.inf, epsrel=1e-11, limit=200)[0] / marginal
    assert btyd.gamma_gamma_log_likelihood(GG_CDNOW, [x], [m])[0] == pytest.approx(math.log(marginal), rel=1e-8)
    assert btyd.gamma_gamma_expected_value(GG_CDNOW, [x], [m])[0] == pytest.approx(mean, rel=1e-8)


# ===================================================================== 4. simulator vs unconditional mean


def test_simulation_matches_unconditional_expectation():
    rng = np.random.default_rng(7)
    x, _ = simulate_bgnbd(rng, CDNOW, np.full(20000, 52.0))
    expected = btyd.bgnbd_expected_purchases_new(CDNOW, 52.0)
    assert abs(x.mean() - expected) < 4 * x.std() / math.sqrt(x.size)
    # a new customer is the conditional case with nothing observed yet
    assert btyd.bgnbd_expected_purchases(CDNOW, 52.0, [0], [0.0], [0.0])[0] == pytest.approx(expected, rel=1e-10)


# ===================================================================== 5. invariants


def test_fit_that_stops_early_says_so():
    x, t_x, T = _simulate(3, 300)
    fit = btyd.fit_bgnbd(x, t_x, T, max_iter=1)
    assert not fit.converged
    assert fit.message


@st.composite
def customers(draw):
    x = draw(st.integers(0, 60))
    T = draw(st.floats(0.0, 200.0))
    t_x = 0.0 if x == 0 else draw(st.floats(0.0, T))
    return x, t_x, T


PARAMS = st.fixed_dictionaries({"r": st.floats(0.05, 5), "alpha": st.floats(0.5, 50), "a": st.floats(0.1, 5),
                                "b": st.floats(0.1, 10)}).filter(lambda p: abs(p["a"] - 1) > 1e-3)


@FAST
@given(PARAMS, customers(), st.floats(0.5, 100.0))
def test_bgnbd_invariants(params, customer, t):
    x, t_x, T = customer
    alive = btyd.bgnbd_p_alive(params, [x], [t_x], [T])[0]
    assert 0.0 <= alive <= 1.0
    if x == 0:
        assert alive == 1.0
    sooner, later = (btyd.bgnbd_expected_purchases(params, s, [x], [t_x], [T])[0] for s in (t, 2 * t))
    assert np.isfinite(sooner) and np.isfinite(later)
    assert 0.0 <= sooner <= later * (1 + 1e-9) + 1e-12
    # waiting longer since the last purchase can only lower P(alive)
    assert btyd.bgnbd_p_alive(params, [x], [t_x], [T + 10])[0] <= alive + 1e-12


def test_very_frequent_buyers_stay_finite():
    expected = btyd.bgnbd_expected_purchases(CDNOW, 365.0, [2000, 5000], [700.0, 700.0], [700.0, 700.0])
    assert np.all(np.isfinite(expected))
    assert 0 < expected[0] < 2000 / 700 * 365  # fewer than at the observed rate: some chance of dropping out


@FAST
@given(st.integers(1, 50), st.floats(0.01, 1e5))
def test_gamma_gamma_shrinks_towards_the_population_mean(x, m):
    population = GG_CDNOW["p"] * GG_CDNOW["gamma"] / (GG_CDNOW["q"] - 1)
    value = btyd.gamma_gamma_expected_value(GG_CDNOW, [x], [m])[0]
    assert min(m, population) * (1 - 1e-12) <= value <= max(m, population) * (1 + 1e-12)


# ===================================================================== MBG/NBD (Batislam, Denizel & Filiztekin 2007)


def _mbg_posterior_integrals(params, x, t_x, T, t, n=120):
    """As _posterior_integrals, for MBG/NBD: the dropout coin is tossed after every purchase, the first one too, so
    the alive term is (1−p)^(x+1) λ^x e^(−λT) and the dropped term p (1−p)^x λ^x e^(−λ t_x), for x = 0 as well."""
    r, alpha, a, b = (params[k] for k in btyd.MBGNBD)
    scale = alpha + t_x
    u, wu = special.roots_genlaguerre(n, r - 1)
    y, wy = special.roots_jacobi(n, b - 1, a - 1)
    lam, p = np.meshgrid(u / scale, (1 + y) / 2, indexing="ij")
    w = np.outer(wu, wy)
    alive = (1 - p) ** (x + 1) * lam**x * np.exp(-lam * (T - t_x))
    dropped = p * (1 - p) ** x * lam**x
    total = (w * (alive + dropped)).sum()
    log_l = math.log(total / (wu.sum() * wy.sum())) + r * math.log(alpha) - r * math.log(scale)
    return log_l, (w * alive).sum() / total, (w * alive * (1 - np.exp(-lam * p * t)) / p).sum() / total


def _mbg_log_likelihood_by_hand(params, x, t_x, T):
    """The closed form of Batislam et al. (2007, eq. 5), one customer, math module only."""
    r, alpha, a, b = (params[k] for k in btyd.MBGNBD)
    beta = lambda u, v: math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)  # noqa: E731
    front = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + beta(a, b + x + 1) - beta(a, b)
    return front + math.log((alpha + T) ** -(r + x) + a / (b + x) * (alpha + t_x) ** -(r + x))


@pytest.mark.parametrize("x,t_x,T,t", CUSTOMERS)
def test_mbgnbd_closed_forms_match_a_plain_reference_and_integration(x, t_x, T, t):
    log_l, p_alive, expected = _mbg_posterior_integrals(CDNOW, x, t_x, T, t)
    got = btyd.mbgnbd_log_likelihood(CDNOW, [x], [t_x], [T])[0]
    assert got == pytest.approx(_mbg_log_likelihood_by_hand(CDNOW, x, t_x, T), rel=1e-12)
    assert got == pytest.approx(log_l, rel=1e-9)
    assert btyd.mbgnbd_p_alive(CDNOW, [x], [t_x], [T])[0] == pytest.approx(p_alive, rel=1e-9)
    assert btyd.mbgnbd_expected_purchases(CDNOW, t, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-9)


def test_mbgnbd_one_time_buyers_are_not_alive_by_construction():
    assert btyd.mbgnbd_p_alive(CDNOW, [0, 0], [0.0, 0.0], [1.0, 60.0]).max() < 1
    assert btyd.bgnbd_p_alive(CDNOW, [0], [0.0], [60.0])[0] == 1.0


def test_mbgnbd_recovers_known_parameters():
    rng = np.random.default_rng(2007)
    T = rng.uniform(30, 78, 5000)
    x, t_x = simulate_mbgnbd(rng, CDNOW, T)
    fit = btyd.fit_mbgnbd(x, t_x, T)
    assert fit.converged, fit.message
    for name, truth in CDNOW.items():
        se = fit.std_errors[name]
        assert se is not None and se > 0
        assert abs(fit.params[name] - truth) < 3.5 * se, (name, fit.params[name], se)
    assert fit.params["r"] == pytest.approx(CDNOW["r"], rel=0.15)
    truth = btyd.mbgnbd_log_likelihood(CDNOW, x, t_x, T).sum()
    assert fit.log_likelihood >= truth
