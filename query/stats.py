"""The rank statistics of a correlation study, defined once for the API and the SQL macros.

Every function takes the pairs that are already usable (both values finite); fewer than two
pairs, or a constant column, give NaN rather than a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np


def usable(scores: np.ndarray, accuracies: np.ndarray) -> np.ndarray:
    """Mask of pairs a correlation may use: finite score (no NaN, no -inf) and finite label."""
    return np.isfinite(scores) & np.isfinite(accuracies)


def _constant(values: np.ndarray) -> bool:
    return values.size < 2 or bool(np.all(values == values[0]))


def _guarded(statistic, x: np.ndarray, y: np.ndarray) -> float:
    if _constant(x) or _constant(y):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(statistic(x, y).statistic)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b (ties in either variable corrected), O(n log n)."""
    from scipy.stats import kendalltau  # SciPy costs 0.6 s to import: only where a study runs

    return _guarded(lambda a, b: kendalltau(a, b, variant="b"), x, y)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the average ranks (ties share their mean rank)."""
    from scipy.stats import spearmanr

    return _guarded(spearmanr, x, y)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of the raw values."""
    from scipy.stats import pearsonr

    return _guarded(pearsonr, x, y)


def top_k_count(n: int, percent: float) -> int:
    """How many rows "the top ``percent``%" of ``n`` rows is: floor, but at least one."""
    if not 0 < percent <= 100:
        raise ValueError(f"top-k percentage must be in (0, 100], got {percent}")
    return max(1, int(n * percent / 100.0))


def _top(ids: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest values, ties broken by the smaller id, best first."""
    threshold = np.partition(values, values.size - count)[values.size - count]
    candidates = np.flatnonzero(values >= threshold)  # every tie at the threshold, then sort
    return candidates[np.lexsort((ids[candidates], -values[candidates]))][:count]


def top_k_overlaps(ids: np.ndarray, x: np.ndarray, y: np.ndarray,
                   percents: Sequence[float]) -> list[float]:
    """Per percent, the share of the top ``percent``% by ``x`` that is also in the top by ``y``.

    Both tops hold the same count (see :func:`top_k_count`); ties are broken by the smaller id,
    so the result does not depend on row order.
    """
    if x.size == 0 or not percents:
        return [math.nan] * len(percents)
    counts = [top_k_count(x.size, percent) for percent in percents]
    largest = min(max(counts), x.size)
    top_x, top_y = _top(ids, x, largest), _top(ids, y, largest)
    return [np.intersect1d(top_x[:count], top_y[:count]).size / count for count in counts]
