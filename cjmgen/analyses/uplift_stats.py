"""The statistics of campaign uplift (METHODS §8): difference in differences of group means (or ratios), its
bootstrap percentile interval over members, Welch's t as a check, standardized mean differences, a matched control.

A group is an array of shape (members, 4): numerator and denominator of the metric before and during the campaign.
Its value in a window is Σ numerator / Σ denominator: the mean per member when every denominator is 1 (revenue,
orders), the average check when the numerator is revenue and the denominator orders."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

CHUNK = 250
"""Bootstrap replicates drawn at a time (the draws are the same whatever the total)."""


@dataclass(frozen=True)
class Estimate:
    """The group values, the uplift and its interval, Welch's p-value."""

    test_before: float
    test_during: float
    control_before: float
    control_during: float
    uplift: float
    low: float
    high: float
    p_value: float | None


def values(group: np.ndarray) -> tuple[float, float]:
    """(before, during) value of a group: Σ numerator / Σ denominator per window (NaN without a denominator)."""
    sums = group.sum(axis=0)
    before = sums[0] / sums[1] if sums[1] else float("nan")
    during = sums[2] / sums[3] if sums[3] else float("nan")
    return float(before), float(during)


def did(test: np.ndarray, control: np.ndarray) -> float:
    """(test_during − test_before) − (control_during − control_before)."""
    tb, td = values(test)
    cb, cd = values(control)
    return (td - tb) - (cd - cb)


def _replicate_values(group: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """During − before of the group for each row of member indices in draws."""
    sums = group[draws].sum(axis=1)  # (replicates, 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums[:, 2] / sums[:, 3] - sums[:, 0] / sums[:, 1]  # type: ignore[no-any-return]


def bootstrap(test: np.ndarray, control: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """DiD of `replicates` resamples, test and control members drawn with replacement separately: per chunk of
    CHUNK replicates, the test draws then the control draws from one generator seeded with `seed`."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for start in range(0, replicates, CHUNK):
        k = min(CHUNK, replicates - start)
        test_draws = rng.integers(0, len(test), (k, len(test)))
        control_draws = rng.integers(0, len(control), (k, len(control)))
        out.append(_replicate_values(test, test_draws) - _replicate_values(control, control_draws))
    return np.concatenate(out) if out else np.empty(0)


def interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval: the (1 − confidence)/2 and (1 + confidence)/2 quantiles, linear interpolation between
    order statistics (numpy's default); replicates with an undefined value are left out."""
    kept = replicates[np.isfinite(replicates)]
    if kept.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(kept, [tail, 1 - tail])
    return float(low), float(high)


def member_changes(group: np.ndarray, ratio: bool) -> np.ndarray:
    """Per member during − before; for a ratio metric only members with a denominator in both windows."""
    if not ratio:
        return group[:, 2] - group[:, 0]  # type: ignore[no-any-return]
    both = (group[:, 1] > 0) & (group[:, 3] > 0)
    kept = group[both]
    return kept[:, 2] / kept[:, 3] - kept[:, 0] / kept[:, 1]  # type: ignore[no-any-return]


def welch_p(test: np.ndarray, control: np.ndarray, ratio: bool) -> float | None:
    """Two-sided p-value of Welch's t on the members' changes (None with fewer than 2 members a group or no
    variance)."""
    from scipy import stats

    a, b = member_changes(test, ratio), member_changes(control, ratio)
    if a.size < 2 or b.size < 2 or (a.var() == 0 and b.var() == 0):
        return None
    with warnings.catch_warnings():  # nearly constant changes: scipy warns of precision loss, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    return p if np.isfinite(p) else None


def estimate(test: np.ndarray, control: np.ndarray, ratio: bool, replicates: int, confidence: float,
             seed: int) -> Estimate:
    """Group values, DiD, its bootstrap interval and Welch's p-value."""
    tb, td = values(test)
    cb, cd = values(control)
    low, high = interval(bootstrap(test, control, replicates, seed), confidence)
    return Estimate(tb, td, cb, cd, (td - tb) - (cd - cb), low, high, welch_p(test, control, ratio))


def smd(test: np.ndarray, control: np.ndarray) -> float | None:
    """Standardized mean difference: (mean test − mean control) / √((var test + var control) / 2), sample variances;
    None when both variances are 0 (0.0 when the means are equal too)."""
    if test.size < 2 or control.size < 2:
        return None
    pooled = np.sqrt((test.var(ddof=1) + control.var(ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if test.mean() == control.mean() else None
    return float((test.mean() - control.mean()) / pooled)


def nearest(test_features: np.ndarray, candidate_features: np.ndarray) -> np.ndarray:
    """Index of each test member's nearest candidate (Euclidean on features standardized over both sets; with
    replacement: a candidate can be the match of several members; ties go to the first candidate)."""
    from sklearn.neighbors import NearestNeighbors

    both = np.vstack([test_features, candidate_features])
    scale = both.std(axis=0)
    scale[scale == 0] = 1.0
    centre = both.mean(axis=0)
    fitted = NearestNeighbors(n_neighbors=1, algorithm="brute").fit((candidate_features - centre) / scale)
    _, index = fitted.kneighbors((test_features - centre) / scale)
    return index[:, 0]  # type: ignore[no-any-return]
