"""Simulated NASWOT search over stored scores, every run at once in NumPy.

A run draws N archs from the pool (the archs with a stored score under the chosen replicate
policy and an accuracy for every target), picks the highest score, and reports that arch's
accuracies.  Baselines: per N, the best of the N by ground truth (per target); once, a random
arch (the first arch drawn in every run of every N, pooled) and the best arch of the whole
space by ground truth.  A score whose lower values are better (its descriptor's
``higher_is_better``) picks the lowest.  NaN and
-inf scores are never picked over a finite one; a run whose N scores are all non-finite picks
nothing, is left out of the NASWOT statistics and is counted.  Means and standard
deviations are over runs (population std, ddof = 0, as NumPy's default in the reference).

Random stream (so a run is reproducible): ``rng = numpy.random.default_rng(seed)``; for each
N in the order given, the draws (with replacement ``rng.integers(0, pool, (runs, N))``; without,
``rng.choice(pool, N, replace=False)`` for each run in turn), then for the ``random``
replicate policy ``rng.random((runs, N))`` picks one of the arch's stored replicates.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from naswot_db.names import canonical_space, ground_truth_space
from naswot_db.scores import DEFAULT_SCORE, canonical_score, higher_is_better

from .errors import QueryError
from .score_grid import ScoreGrid, load_chosen_grid, load_grid
from .selection import ScoreConfig, Source, fetch_columns, open_source
from .shipped import BUILT, score_origin
from .targets import LABELS_VIEW, Target, resolve_targets

RANDOM_REPLICATE = "random"
MEAN_REPLICATE = "mean"
Replicate = str | tuple[int, int]  # "random", "mean" or a fixed (init_seed, batch_seed)


@dataclass(frozen=True)
class SearchTables:
    """A space's stored scores and target accuracies as arrays (row = arch, sorted by id).

    ``values``/``times``/``present`` are (archs, replicates); ``accuracies`` is (archs, targets)
    with NaN where the arch has no such label.  ``best_in_space`` is per target, over every
    labelled arch of the space, scored or not.
    """

    space: str
    dataset: str
    config: ScoreConfig
    arch_ids: np.ndarray
    replicates: list[tuple[int, int]]
    values: np.ndarray
    times: np.ndarray
    present: np.ndarray
    targets: list[Target]
    accuracies: np.ndarray
    best_in_space: np.ndarray
    origin: str = BUILT  # "shipped" when the scores are the ones shipped with naswot-db


def _target_values_sql(targets: list[Target]) -> tuple[str, list]:
    rows = ", ".join("(?, ?, ?, ?)" for _ in targets)
    params = [v for i, t in enumerate(targets) for v in (i, t.dataset, t.split, t.epochs)]
    return f"(VALUES {rows}) AS t(target, dataset, split, epochs)", params


def arrange_search_tables(source: Source, space: str, dataset: str, targets: list[Target],
                          config: ScoreConfig, grid: ScoreGrid) -> SearchTables:
    """One configuration's per-arch scores with the targets' accuracies."""
    arch_ids = grid.arch_ids
    target_table, target_params = _target_values_sql(targets)
    labels = fetch_columns(source, (
        f"SELECT a.arch_id, t.target, a.accuracy FROM {LABELS_VIEW} AS a JOIN {target_table} "
        "USING (dataset, split, epochs) WHERE a.space = ?"),
        target_params + [ground_truth_space(space)])
    accuracies = np.full((arch_ids.size, len(targets)), np.nan)
    rows = np.searchsorted(arch_ids, labels["arch_id"])
    scored = (rows < arch_ids.size) & (arch_ids[np.minimum(rows, arch_ids.size - 1)]
                                       == labels["arch_id"])
    accuracies[rows[scored], labels["target"][scored]] = labels["accuracy"][scored]
    best_in_space = np.full(len(targets), np.nan)
    np.fmax.at(best_in_space, labels["target"], labels["accuracy"])
    return SearchTables(space, dataset, config, arch_ids, grid.replicates, grid.values,
                        grid.times, grid.present, targets, accuracies, best_in_space,
                        score_origin(source.root, space))


def load_search_tables(source: Source, space: str, dataset: str, targets: list[Target],
                       config: ScoreConfig, as_reference: bool = False) -> SearchTables:
    """Read one configuration's scores and the targets' accuracies (``as_reference``: networks
    the reference raises on score 0.0, as its search.py stored them)."""
    grid = load_grid(source, space, dataset, config, as_reference)
    return arrange_search_tables(source, space, dataset, targets, config, grid)


@dataclass(frozen=True)
class ScorePool:
    """What the runs draw from under one replicate policy (row = arch in the pool)."""

    arch_ids: np.ndarray
    accuracies: np.ndarray
    values: np.ndarray          # (pool,) or, for the random policy, (pool, replicates)
    times: np.ndarray
    counts: np.ndarray | None   # random policy: stored replicates per arch
    compact: np.ndarray | None  # random policy: their columns, left-aligned


def score_pool(tables: SearchTables, replicate: Replicate) -> tuple[ScorePool, int]:
    """The pool for ``replicate`` and how many scored archs it drops for missing labels (also
    AREA's stored scores, :mod:`naswot_db.query.searches.area`)."""
    labelled = np.isfinite(tables.accuracies).all(axis=1)
    if replicate == RANDOM_REPLICATE or replicate == MEAN_REPLICATE:
        scored = tables.present.any(axis=1)
    else:
        if tuple(replicate) not in tables.replicates:
            stored = " ".join(f"{i},{b}" for i, b in tables.replicates)
            raise QueryError(f"no scores with init_seed,batch_seed = {replicate[0]},"
                             f"{replicate[1]}; stored replicates: {stored}")
        column = tables.replicates.index(tuple(replicate))
        scored = tables.present[:, column]
    keep = scored & labelled
    unlabelled = int((scored & ~labelled).sum())
    # every arch kept (the usual case): the arrays themselves, not copies (NB101: 6 M cells)
    keep = slice(None) if keep.all() else keep
    values, times, present = tables.values[keep], tables.times[keep], tables.present[keep]
    counts = compact = None
    if replicate == RANDOM_REPLICATE:
        counts = present.sum(axis=1)
        compact = (np.broadcast_to(np.arange(present.shape[1]), present.shape)
                   if present.all() else np.argsort(~present, axis=1, kind="stable"))
    elif replicate == MEAN_REPLICATE:
        counts_here = present.sum(axis=1)
        values = np.where(present, values, 0.0).sum(axis=1) / counts_here
        times = np.where(present, times, 0.0).sum(axis=1) / counts_here
    else:
        values, times = values[:, column], times[:, column]
    return ScorePool(tables.arch_ids[keep], tables.accuracies[keep], values, times, counts,
                 compact), unlabelled


def _draw_without_replacement(rng: np.random.Generator, pool: int, runs: int,
                              n: int) -> np.ndarray:
    """Per run, n distinct pool rows in random order.

    NumPy's ``choice`` without replacement costs O(n) per run (a partial shuffle or a set), far
    less than ranking ``pool`` random keys for every run, so a loop over runs is the fast way.
    """
    draws = np.empty((runs, n), dtype=np.int64)
    for run in range(runs):
        draws[run] = rng.choice(pool, n, replace=False)
    return draws


@dataclass(frozen=True)
class SearchDraws:
    """The runs of one N: what was drawn, which replicate scored it, what was picked."""

    n: int
    arch_ids: np.ndarray             # (runs, n) drawn arch ids in draw order
    replicates: np.ndarray | None    # (runs, n) index into SearchResult.replicates (random)
    chosen: np.ndarray               # (runs,) picked arch id, -1 where every score non-finite
    time_s: np.ndarray               # (runs,) sum of the drawn scorings' stored times


def _mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std over axis 0; NaN (no warning) when there are no rows."""
    if len(values) == 0:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan
    return values.mean(axis=0), values.std(axis=0)


@dataclass
class SearchResult:
    """Every statistic of a simulated search; :meth:`table` lays them out one row per method."""

    space: str
    dataset: str
    config: ScoreConfig
    replicate: Replicate
    replace: bool
    seed: int
    runs: int
    pool_size: int
    unlabelled: int
    targets: list[Target]
    replicates: list[tuple[int, int]]
    best_in_space: np.ndarray
    rows: list[dict] = field(default_factory=list)
    draws: dict[int, SearchDraws] = field(default_factory=dict)
    origin: str = BUILT

    def table(self) -> pd.DataFrame:
        """One row per (method, N): runs used, non-finite runs, search time, per-target mean/std.

        Methods: ``naswot`` (highest stored score), ``best_of_n`` (highest accuracy among the N,
        per target), then without N ``random_arch`` (the first arch drawn in each run, all N pooled)
        and ``optimal`` (best in the space).
        """
        return pd.DataFrame(self.rows).astype({"n": "Int64", "runs_all_nonfinite": "Int64"})


def _summarise(method: str, n: int | None, accuracies: np.ndarray, targets: list[Target],
               runs_used: int, extra: dict) -> dict:
    mean, std = _mean_std(accuracies)
    row: dict = {"method": method, "n": n, "runs": runs_used, **extra}
    for i, target in enumerate(targets):
        row[f"{target.label} mean"] = float(mean[i])
        row[f"{target.label} std"] = float(std[i])
    return row


def _run_n(pool: ScorePool, rng: np.random.Generator, n: int, runs: int,
           replace: bool) -> tuple[SearchDraws, np.ndarray, np.ndarray, np.ndarray]:
    """All runs of one N; returns the draws and the (runs, targets) accuracy arrays of the
    NASWOT pick (valid runs only), the first arch drawn and the best of N."""
    size = len(pool.arch_ids)
    draws = (rng.integers(0, size, (runs, n)) if replace
             else _draw_without_replacement(rng, size, runs, n))
    replicate_columns = None
    if pool.counts is not None:
        which = (rng.random((runs, n)) * pool.counts[draws]).astype(np.int64)
        replicate_columns = pool.compact[draws, which]
        scores, times = pool.values[draws, replicate_columns], pool.times[draws, replicate_columns]
    else:
        scores, times = pool.values[draws], pool.times[draws]
    ranked = np.where(np.isfinite(scores), scores, -np.inf)
    best = ranked.argmax(axis=1)
    picks = draws[np.arange(runs), best]
    valid = np.isfinite(ranked[np.arange(runs), best])
    chosen = np.where(valid, pool.arch_ids[picks], -1)
    best_of_n = np.stack([column[draws].max(axis=1) for column in pool.accuracies.T], axis=1)
    result = SearchDraws(n, pool.arch_ids[draws], replicate_columns, chosen, times.sum(axis=1))
    return result, pool.accuracies[picks[valid]], pool.accuracies[draws[:, 0]], best_of_n


# Draws one N may hold: each keeps its arch id, replicate index and score (~32 bytes with the
# temporaries), so the bound keeps a search near 1 GiB; 500 runs at N = 60,000 still fit.
MAX_DRAWS = 32_000_000


def search_tables(tables: SearchTables, n_values: Sequence[int], runs: int = 500,
                  replace: bool = True, seed: int = 0,
                  replicate: Replicate = RANDOM_REPLICATE) -> SearchResult:
    """Simulate the searches on loaded tables (the part :func:`simulate_search` times)."""
    if runs < 1:
        raise QueryError(f"runs must be at least 1, not {runs}")
    pool, unlabelled = score_pool(tables, replicate)
    if not higher_is_better(tables.config.score):  # the lowest value wins: rank by -value
        pool = dataclasses.replace(pool, values=-pool.values)
    size = len(pool.arch_ids)
    if size == 0:
        raise QueryError(f"no scored arch of space {tables.space!r} has every target accuracy "
                         f"({', '.join(t.label for t in tables.targets)})")
    if seed < 0:
        raise QueryError(f"the seed must be >= 0, not {seed}")
    for n in n_values:
        if n < 1:
            raise QueryError(f"N must be at least 1, not {n}")
        if n * runs > MAX_DRAWS:
            raise QueryError(f"N = {n:,} x {runs:,} runs is {n * runs:,} draws; one search "
                             f"keeps at most {MAX_DRAWS:,} in memory (about 1 GiB): lower "
                             "--runs or N")
        if not replace and n > size:
            raise QueryError(f"N = {n} is larger than the {size} archs in the pool; sampling "
                             f"without replacement needs N <= {size} (or use --replace)")
    rng = np.random.default_rng(seed)
    result = SearchResult(tables.space, tables.dataset, tables.config, replicate, replace, seed,
                          runs, size, unlabelled, tables.targets, tables.replicates,
                          tables.best_in_space, origin=tables.origin)
    random_arch = []
    for n in n_values:
        draws, naswot, first_drawn, best_of_n = _run_n(pool, rng, n, runs, replace)
        result.draws[n] = draws
        random_arch.append(first_drawn)
        nonfinite = int((draws.chosen < 0).sum())
        timing = {"runs_all_nonfinite": nonfinite, "time_mean_s": float(draws.time_s.mean()),
                  "time_std_s": float(draws.time_s.std())}
        result.rows.append(_summarise("naswot", n, naswot, tables.targets, runs - nonfinite,
                                      timing))
        result.rows.append(_summarise("best_of_n", n, best_of_n, tables.targets, runs, {}))
    pooled = np.concatenate(random_arch)
    result.rows.append(_summarise("random_arch", None, pooled, tables.targets, len(pooled), {}))
    optimal = tables.best_in_space[None, :]
    result.rows.append(_summarise("optimal", None, optimal, tables.targets, 1, {}))
    return result


def simulate_search(root: Path | str | None = None, *, space: str = "nb201",
                    dataset: str = "cifar10", n: Sequence[int] = (10, 100, 1000),
                    runs: int = 500, replace: bool = True, seed: int = 0,
                    replicate: Replicate = RANDOM_REPLICATE,
                    targets: Sequence[str] | None = None, epochs: int | None = None,
                    config_id: str | None = None, batch_size: int | None = None,
                    as_reference: bool = False, label: str = "mean",
                    score: str = DEFAULT_SCORE,
                    connection: duckdb.DuckDBPyConnection | None = None) -> SearchResult:
    """Simulated NASWOT search on ``space`` with scores of ``dataset`` for every N in ``n``.

    ``replicate``: ``"random"`` (a stored replicate per draw), ``"mean"`` (mean score and time
    over the arch's stored replicates) or ``(init_seed, batch_seed)``.  ``targets``: None (the
    space's default), ``["all"]`` or ``["DATASET:SPLIT[@EPOCHS]", ...]``.  ``as_reference``:
    networks the reference raises on score 0.0, as in its search.py.  ``label``: ``"mean"``
    over training seeds or ``"max"`` (NASWOT's NB101 ground truth).  ``score``: which stored
    score ranks the draws (``naswot``, ``jacov``).
    """
    space, score = canonical_space(space), canonical_score(score)
    with open_source(root, connection) as source:
        config, grid = load_chosen_grid(source, space, dataset, score, config_id, batch_size,
                                        as_reference)
        chosen_targets = resolve_targets(source.connection, space, targets, epochs, label)
        tables = arrange_search_tables(source, space, dataset, chosen_targets, config, grid)
    return search_tables(tables, list(n), runs, replace, seed, replicate)
