"""k-means on standardized features (METHODS §6): the fitting half of `clusters`, a helper module, not an analysis."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

SILHOUETTE_SAMPLE = 3000
"""Silhouette is computed on at most this many customers (a seeded sample): its cost grows with the square of n."""
N_INIT = 10
"""k-means restarts; the best of them (least inertia) is kept."""


@dataclass(frozen=True)
class Fit:
    """Labels 1..k per row (1 = the largest cluster), the standardized matrix, and the silhouette per k tried."""

    labels: list[int]
    standardized: np.ndarray
    silhouette: list[tuple[int, float | None]]
    k: int


def design_matrix(frame: pl.DataFrame, keys: list[str], logged: set[str]) -> np.ndarray:
    """Features as a float matrix: nulls imputed with the column median (0 when the column has no value), money and
    counts in `logged` as log1p of the value clipped at 0, then every column standardized (mean 0, population sd 1;
    a constant column stays 0)."""
    columns = []
    for key in keys:
        values = frame[key].cast(pl.Float64)
        median = values.drop_nulls().drop_nans().to_numpy()
        filled = values.fill_null(float(np.median(median)) if median.size else 0.0).fill_nan(0.0).to_numpy().astype(float)
        columns.append(np.log1p(np.clip(filled, 0.0, None)) if key in logged else filled)
    matrix = np.column_stack(columns) if columns else np.zeros((frame.height, 0))
    sd = matrix.std(axis=0)
    standardized: np.ndarray = (matrix - matrix.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return standardized


def kmeans_labels(matrix: np.ndarray, k: int, seed: int) -> list[int]:
    """KMeans(n_init=10, random_state=seed) labels renumbered 1, 2, … by cluster size (largest first; a tie goes to
    the cluster whose first row comes first), so numbers do not depend on the algorithm's arbitrary order."""
    from sklearn.cluster import KMeans

    with warnings.catch_warnings():  # fewer distinct points than k: fewer clusters, said by the profile
        warnings.simplefilter("ignore")
        raw = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit_predict(matrix)
    labels = [int(x) for x in raw]
    first: dict[int, int] = {}
    size: dict[int, int] = {}
    for i, label in enumerate(labels):
        first.setdefault(label, i)
        size[label] = size.get(label, 0) + 1
    order = sorted(size, key=lambda lab: (-size[lab], first[lab]))
    number = {lab: i + 1 for i, lab in enumerate(order)}
    return [number[lab] for lab in labels]


def silhouette(matrix: np.ndarray, labels: list[int], seed: int) -> float | None:
    """Mean silhouette of the labelling (on a seeded sample of SILHOUETTE_SAMPLE rows when there are more); None when
    it is undefined (one cluster, or as many clusters as rows)."""
    from sklearn.metrics import silhouette_score

    found = len(set(labels))
    if found < 2 or found >= len(labels):
        return None
    sample = SILHOUETTE_SAMPLE if len(labels) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(matrix, np.asarray(labels), sample_size=sample, random_state=seed))


def fit(matrix: np.ndarray, k: int | tuple[int, int], seed: int) -> Fit:
    """k-means with k given, or for every k in [min, max] keeping the one with the highest silhouette (the smaller k
    on a tie)."""
    import sklearn.cluster  # noqa: F401
    import sklearn.metrics  # noqa: F401  (loaded before the limit: it applies only to libraries already loaded)
    from threadpoolctl import threadpool_limits

    # one thread: k-means' OpenMP threads spin against each other on a busy machine (100× slower on 2 shared cores),
    # and a single thread makes the sums, so the clusters, independent of the machine
    with threadpool_limits(limits=1):
        return _fit(matrix, k, seed)


def _fit(matrix: np.ndarray, k: int | tuple[int, int], seed: int) -> Fit:
    if isinstance(k, int):
        return Fit(kmeans_labels(matrix, k, seed), matrix, [], k)
    tried: list[tuple[int, float | None, list[int]]] = []
    for candidate in range(k[0], k[1] + 1):
        labels = kmeans_labels(matrix, candidate, seed)
        tried.append((candidate, silhouette(matrix, labels, seed), labels))
    best = max(tried, key=lambda t: (t[1] if t[1] is not None else -2.0, -t[0]))
    return Fit(best[2], matrix, [(c, s) for c, s, _ in tried], best[0])
