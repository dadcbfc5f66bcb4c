"""The best-of-N search as a researcher would write it in plain NumPy, for bench/search_speed.py.

The same documented random stream as ``naswot-db search`` (``rng.integers`` for the draws, then
``rng.random`` to pick each draw's stored replicate), written directly: no project code.  It
takes what a script would have after reading the Parquet files with pandas: the (archs,
replicates) score and time matrices, which cells are stored, and one contiguous accuracy column
per target.  Returns the statistics of the project's table: per N its ``naswot`` and
``best_of_n`` rows, then the ``random_arch`` row (first arch of every run) and ``optimal``.
"""

from __future__ import annotations

import numpy as np


def numpy_search(values: np.ndarray, times: np.ndarray, present: np.ndarray,
                 accuracies: list[np.ndarray], n_values: list[int], runs: int,
                 seed: int) -> dict[int, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    every_stored = bool(present.all())
    counts = present.shape[1] if every_stored else present.sum(axis=1)
    # stored replicates first in each row (only needed when some are missing)
    order = None if every_stored else np.argsort(~present, axis=1, kind="stable")
    out: dict = {}
    first = []
    for n in n_values:
        draws = rng.integers(0, len(values), (runs, n))
        which = (rng.random((runs, n)) * (counts if every_stored else counts[draws])).astype(np.int64)
        column = which if every_stored else order[draws, which]
        scores = values[draws, column]
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        best = scores.argmax(axis=1)
        picked = draws[np.arange(runs), best]
        ok = np.isfinite(scores[np.arange(runs), best])
        naswot = np.stack([acc[picked[ok]] for acc in accuracies], axis=1)
        best_of_n = np.stack([acc[draws].max(axis=1) for acc in accuracies], axis=1)
        time_s = times[draws, column].sum(axis=1)
        first.append(np.stack([acc[draws[:, 0]] for acc in accuracies], axis=1))
        out[n] = {"naswot mean": naswot.mean(axis=0), "naswot std": naswot.std(axis=0),
                  "best_of_n mean": best_of_n.mean(axis=0),
                  "best_of_n std": best_of_n.std(axis=0),
                  "time mean": time_s.mean(), "time std": time_s.std(),
                  "runs_all_nonfinite": int((~ok).sum())}
    first_drawn = np.concatenate(first)
    out["random_arch"] = {"mean": first_drawn.mean(axis=0), "std": first_drawn.std(axis=0)}
    out["optimal"] = {"mean": np.array([np.nanmax(acc) for acc in accuracies])}
    return out
