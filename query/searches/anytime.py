"""Anytime performance: the answer a search would give if stopped at simulated time t.

At time t a run's incumbent is the fittest arch it has trained by then (the first of equal
ones); the curve is the mean and population std over runs of the incumbent's target accuracy,
over the runs that have trained anything by t (the count is kept, so a plot can say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .result import BudgetSearchResult


@dataclass(frozen=True)
class AnytimeCurve:
    """One method's best-so-far accuracy on a time grid: (times,) and (times, targets)."""

    method: str
    times_s: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    runs: np.ndarray


def incumbent_accuracies(result: BudgetSearchResult, times_s: np.ndarray) -> np.ndarray:
    """(runs, times, targets): each run's incumbent accuracies at each time, NaN before its
    first training."""
    histories = result.histories
    incumbents = histories.incumbents()
    runs = len(incumbents)
    values = np.full((runs, len(times_s), len(result.targets)), np.nan)
    clock = np.where(np.isnan(histories.clock_s), np.inf, histories.clock_s)
    for run in range(runs):
        step = np.searchsorted(clock[run], times_s, side="right") - 1
        known = step >= 0
        best = incumbents[run, step[known]]
        rows = histories.rows[run, best]
        values[run, np.flatnonzero(known)] = result.space_accuracies[rows]
    return values


def anytime_curve(result: BudgetSearchResult, times_s: np.ndarray) -> AnytimeCurve:
    """Mean ± std over runs of the incumbent's target accuracies at ``times_s``."""
    values = incumbent_accuracies(result, np.asarray(times_s, dtype=np.float64))
    counts = np.isfinite(values[..., 0]).sum(axis=0)
    mean = np.full(values.shape[1:], np.nan)
    std = np.full(values.shape[1:], np.nan)
    some = counts > 0
    mean[some] = np.nanmean(values[:, some], axis=0)
    std[some] = np.nanstd(values[:, some], axis=0)
    return AnytimeCurve(result.settings.method, np.asarray(times_s), mean, std, counts)
