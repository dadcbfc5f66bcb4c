"""Simulated best-of-N search over stored scores (NASWOT's search), every run at once in NumPy.

A run draws N archs from the pool (the archs with a stored score under the chosen replicate
policy and an accuracy for every target), picks the highest score, and reports that arch's
accuracies.  Baselines: per N, the best of the N by ground truth (per target); once, a random
arch (the first arch drawn in every run of every N, pooled) and the best arch of the whole
space by ground truth.  A score whose lower values are better (its descriptor's
``higher_is_better``) picks the lowest.  NaN and -inf scores are never picked over a finite
one; a run whose N scores are all non-finite picks nothing, is left out of the method's
statistics and is counted.  The method's rows are named as the caller named it
(``best-of-n``, or its alias ``naswot``, the Python API's default so that scripts reading
the rows keep working).  Means and standard
deviations are over runs (population std, ddof = 0, as NumPy's default in the reference).

Random stream (so a run is reproducible): ``rng = numpy.random.default_rng(seed)``; for each
N in the order given, the draws (with replacement ``rng.integers(0, pool, (runs, N))``; without,
``rng.choice(pool, N, replace=False)`` for each run in turn), then for the ``random``
replicate policy ``rng.random((runs, N))`` picks one of the arch's stored replicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from naswot_db.core.names import canonical_space, ground_truth_space
from naswot_db.core.scores import DEFAULT_SCORE, higher_is_better, query_score

from ..errors import QueryError
from ..score_grid import (
    MEAN_REPLICATE, RANDOM_REPLICATE, Replicate, ScoreGrid, load_chosen_grid, load_grid,
)
from ..selection import ScoreConfig, Source, fetch_columns, open_source
from ..shipped import BUILT, RowOrigin, scores_origin
from ..targets import LABELS_VIEW, Target, resolve_targets

if TYPE_CHECKING:  # pandas is loaded by table() only: the CLI's search prints without it
    import pandas as pd


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
    origin: str = BUILT  # "shipped" / "shipped+own" when shipped scores are among them
    origin_rows: RowOrigin | None = None  # how many rows are shipped, how many the root's
    # score_pool's result per replicate policy: the tables do not change, and preparing a pool
    # passes over every cell (NB101: 6 M), a third of a 500-run search at N = 10
    _pools: dict = field(default_factory=dict, init=False, repr=False, compare=False)


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
    # column-major: a search gathers each target's column (_DrawSource) without copying it
    accuracies = np.full((arch_ids.size, len(targets)), np.nan, order="F")
    rows = np.searchsorted(arch_ids, labels["arch_id"])
    scored = (rows < arch_ids.size) & (arch_ids[np.minimum(rows, arch_ids.size - 1)]
                                       == labels["arch_id"])
    accuracies[rows[scored], labels["target"][scored]] = labels["accuracy"][scored]
    best_in_space = np.full(len(targets), np.nan)
    np.fmax.at(best_in_space, labels["target"], labels["accuracy"])
    origin = scores_origin(source.connection, space, dataset, config.config_id,
                           config.batch_size, config.score)
    return SearchTables(space, dataset, config, arch_ids, grid.replicates, grid.values,
                        grid.times, grid.present, targets, accuracies, best_in_space,
                        origin.kind(), origin)


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


def _all_finite_rows(matrix: np.ndarray) -> np.ndarray:
    """Per row, whether every entry is finite (column by column: NumPy's ``all(axis=1)`` over a
    few columns costs twenty times as much)."""
    rows = np.ones(matrix.shape[0], bool)
    for column in matrix.T:
        rows &= np.isfinite(column)
    return rows


def _row_counts(present: np.ndarray) -> np.ndarray:
    """``present.sum(axis=1)``; for a full build (every cell stored) one broadcast value, not an
    array (:func:`_uniform_count` reads it without a pass)."""
    if present.all():
        return np.broadcast_to(np.int64(present.shape[1]), present.shape[:1])
    counts = np.zeros(present.shape[0], dtype=np.int64)
    for column in present.T:  # as above, column by column
        counts += column
    return counts


def _uniform_count(counts: np.ndarray) -> int:
    """Every arch's replicate count when it is the same for all, else 0."""
    if counts.size and counts.strides[0] == 0:  # _row_counts' broadcast value
        return int(counts[0])
    low, high = counts.min(initial=0), counts.max(initial=0)
    return int(high) if low == high else 0


def _kept(scored: np.ndarray | None,
          labelled: np.ndarray | None) -> tuple[slice | np.ndarray, int]:
    """The rows to keep (scored and labelled; None: every row is) and how many scored rows have
    no label.  Every row kept (the usual case) is ``slice(None)``: the arrays themselves, not
    copies (NB101: 6 M cells)."""
    if labelled is None:
        keep, unlabelled = scored, 0
    elif scored is None:
        keep, unlabelled = labelled, int(labelled.size - np.count_nonzero(labelled))
    else:
        keep, unlabelled = scored & labelled, int((scored & ~labelled).sum())
    return (slice(None) if keep is None or keep.all() else keep), unlabelled


def score_pool(tables: SearchTables, replicate: Replicate) -> tuple[ScorePool, int]:
    """The pool for ``replicate`` and how many scored archs it drops for missing labels (also
    AREA's stored scores, :mod:`naswot_db.query.searches.area`).  Its values rank larger-first:
    a score whose lower values are better (descriptor ``higher_is_better``) enters as -value.
    Made once per tables and policy; its arrays are read, never written."""
    key = replicate if isinstance(replicate, str) else tuple(replicate)
    if key not in tables._pools:
        tables._pools[key] = _new_score_pool(tables, replicate)
    return tables._pools[key]


def _new_score_pool(tables: SearchTables, replicate: Replicate) -> tuple[ScorePool, int]:
    # a finite sum has no NaN or inf in it: then every arch is labelled, without a pass per row
    labelled = (None if np.isfinite(tables.accuracies.sum())
                else _all_finite_rows(tables.accuracies))
    counts = scored = None  # None: every arch
    if replicate == RANDOM_REPLICATE or replicate == MEAN_REPLICATE:
        counts = _row_counts(tables.present)
        if not _uniform_count(counts):
            scored = counts > 0
    else:
        if tuple(replicate) not in tables.replicates:
            stored = " ".join(f"{i},{b}" for i, b in tables.replicates)
            raise QueryError(f"no scores with init_seed,batch_seed = {replicate[0]},"
                             f"{replicate[1]}; stored replicates: {stored}")
        column = tables.replicates.index(tuple(replicate))
        scored = tables.present[:, column]
    keep, unlabelled = _kept(scored, labelled)
    values, times, present = tables.values[keep], tables.times[keep], tables.present[keep]
    compact = None
    if counts is not None:
        counts = counts[keep]
    if replicate == RANDOM_REPLICATE:
        compact = (np.broadcast_to(np.arange(present.shape[1]), present.shape)
                   if _uniform_count(counts) == present.shape[1]
                   else np.argsort(~present, axis=1, kind="stable"))
    elif replicate == MEAN_REPLICATE:
        values = np.where(present, values, 0.0).sum(axis=1) / counts
        times = np.where(present, times, 0.0).sum(axis=1) / counts
        counts = None
    else:
        values, times = values[:, column], times[:, column]
    if not higher_is_better(tables.config.score):
        values = -values
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
    """Mean and population std over axis 0; NaN (no warning) when there are no rows.

    The same operations as ``values.mean(axis=0)`` and ``values.std(axis=0)`` (sum, divide;
    squared deviations from that mean, sum, divide, root), so the same bits, with the sum
    taken once: NumPy's ``std`` recomputes the mean in Python-level steps that cost more than
    the arithmetic on a search's few thousand rows.
    """
    if len(values) == 0:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan
    mean = values.sum(axis=0, keepdims=True)
    mean /= len(values)
    deviations = values - mean
    deviations *= deviations
    variance = deviations.sum(axis=0)
    variance /= len(values)
    return mean[0], np.sqrt(variance)


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
    method: str = "naswot"  # how the caller named the method: the key of its rows
    origin_rows: RowOrigin | None = None

    def table(self) -> pd.DataFrame:
        """One row per (method, N): runs used, non-finite runs, search time, per-target mean/std.

        Methods: :attr:`method` (highest stored score), ``best_of_n`` (highest accuracy among the N,
        per target), then without N ``random_arch`` (the first arch drawn in each run, all N pooled)
        and ``optimal`` (best in the space).
        """
        import pandas as pd

        return pd.DataFrame(self.rows).astype({"n": "Int64", "runs_all_nonfinite": "Int64"})


def _summarise(method: str, n: int | None, accuracies: np.ndarray, targets: list[Target],
               runs_used: int, extra: dict) -> dict:
    mean, std = _mean_std(accuracies)
    row: dict = {"method": method, "n": n, "runs": runs_used, **extra}
    for i, target in enumerate(targets):
        row[f"{target.label} mean"] = float(mean[i])
        row[f"{target.label} std"] = float(std[i])
    return row


@dataclass(frozen=True)
class _DrawSource:
    """A pool laid out for drawing many runs at once, prepared once per search.

    Gathers from flat, contiguous arrays (one per accuracy target, one for all score cells)
    cost a third of NumPy's fancy indexing of a 2-D array or a strided column.
    """

    pool: ScorePool
    width: int                       # score columns per arch (1 for mean and fixed policies)
    values: np.ndarray               # pool.values, flat, C order
    times: np.ndarray
    accuracies: tuple[np.ndarray, ...]  # per target, contiguous
    same_ids: bool                   # pool.arch_ids == pool rows (int64): draws are the ids
    single_count: int                # random policy: every arch's replicate count when equal, else 0
    compact_is_identity: bool        # random policy: every replicate stored, compact[a, k] == k
    compact: np.ndarray | None       # pool.compact, flat

    @classmethod
    def of(cls, pool: ScorePool) -> _DrawSource:
        width = 1 if pool.values.ndim == 1 else pool.values.shape[1]
        single_count = compact_is_identity = 0
        compact = None
        if pool.counts is not None:
            single_count = _uniform_count(pool.counts)
            compact_is_identity = single_count == width
            if not compact_is_identity:
                compact = np.ascontiguousarray(pool.compact).ravel()
        return cls(pool, width, np.ascontiguousarray(pool.values).ravel(),
                   np.ascontiguousarray(pool.times).ravel(),
                   tuple(np.ascontiguousarray(column) for column in pool.accuracies.T),
                   _are_rows(pool.arch_ids),
                   single_count, bool(compact_is_identity), compact)


def _are_rows(arch_ids: np.ndarray) -> bool:
    """Whether ``arch_ids`` is 0, 1, ... as int64 (NB201's whole pool): then draws are ids.
    The ids are distinct and sorted (:class:`SearchTables`), so the ends decide."""
    return bool(arch_ids.dtype == np.int64 and arch_ids.size
                and arch_ids[0] == 0 and arch_ids[-1] == arch_ids.size - 1)


# Below this many draws, making the doubles costs less than advancing past them.
SKIP_DOUBLES_FROM = 1 << 15


def _skip_doubles(rng: np.random.Generator, count: int) -> None:
    """Advance ``rng`` past ``count`` ``random()`` doubles without making them.

    PCG64 (``default_rng``'s generator) makes a double from one 64-bit output, so advancing
    by ``count`` outputs leaves the stream where ``rng.random(count)`` leaves it; ``advance``
    also drops the buffered 32-bit half that ``integers`` may have left, which is put back.
    """
    generator = rng.bit_generator
    before = generator.state
    generator.advance(count)
    after = generator.state
    after["has_uint32"], after["uinteger"] = before["has_uint32"], before["uinteger"]
    generator.state = after


def _replicate_columns(source: _DrawSource, rng: np.random.Generator,
                       draws: np.ndarray) -> np.ndarray | None:
    """Random policy: per draw, which stored replicate scores it (``compact[draw, which]`` with
    ``which = floor(u * count)``, u drawn for every draw even where it cannot matter)."""
    pool = source.pool
    if pool.counts is None:
        return None
    if source.single_count == 1 and draws.size >= SKIP_DOUBLES_FROM:
        _skip_doubles(rng, draws.size)  # floor(u * 1) = 0 for every u in [0, 1)
        which = np.zeros(draws.shape, np.int64)
    else:
        which = rng.random(draws.shape)
        which *= source.single_count or np.take(pool.counts, draws)
        which = which.astype(np.int64)
    if source.compact_is_identity:
        return which
    cells = draws * source.width
    cells += which
    return np.take(source.compact, cells)


def _run_n(source: _DrawSource, rng: np.random.Generator, n: int, runs: int,
           replace: bool) -> tuple[SearchDraws, np.ndarray, np.ndarray, np.ndarray]:
    """All runs of one N; returns the draws and the (runs, targets) accuracy arrays of the
    NASWOT pick (valid runs only), the first arch drawn and the best of N."""
    pool = source.pool
    size = len(pool.arch_ids)
    draws = (rng.integers(0, size, (runs, n)) if replace
             else _draw_without_replacement(rng, size, runs, n))
    replicate_columns = _replicate_columns(source, rng, draws)
    if source.width == 1:
        cells = draws
    else:
        cells = draws * source.width
        cells += 0 if replicate_columns is None else replicate_columns
    scores = np.take(source.values, cells)
    scores[~np.isfinite(scores)] = -np.inf  # NaN is never picked; -inf only when all are
    best = scores.argmax(axis=1)
    every_run = np.arange(runs)
    picks = draws[every_run, best]
    valid = np.isfinite(scores[every_run, best])
    chosen = np.where(valid, pool.arch_ids[picks], -1)
    # the scores' buffer is free again; every index is in range, so "clip" clips nothing (with
    # ``out``, NumPy's default "raise" gathers into a temporary first)
    times = np.take(source.times, cells, out=scores, mode="clip")
    time_s = times.sum(axis=1)
    best_of_n = np.empty((runs, len(source.accuracies)))
    for target, column in enumerate(source.accuracies):
        best_of_n[:, target] = np.take(column, draws, out=times, mode="clip").max(axis=1)
    arch_ids = draws if source.same_ids else np.take(pool.arch_ids, draws)
    result = SearchDraws(n, arch_ids, replicate_columns, chosen, time_s)
    return result, pool.accuracies[picks[valid]], pool.accuracies[draws[:, 0]], best_of_n


# Draws one N may hold: each keeps its arch id, replicate index and score (~32 bytes with the
# temporaries), so the bound keeps a search near 1 GiB; 500 runs at N = 60,000 still fit.
MAX_DRAWS = 32_000_000


def search_tables(tables: SearchTables, n_values: Sequence[int], runs: int = 500,
                  replace: bool = True, seed: int = 0,
                  replicate: Replicate = RANDOM_REPLICATE,
                  method: str = "naswot") -> SearchResult:
    """Simulate the searches on loaded tables (the part :func:`simulate_search` times);
    ``method``: best-of-N's name or alias, the key of its rows."""
    if runs < 1:
        raise QueryError(f"runs must be at least 1, not {runs}")
    pool, unlabelled = score_pool(tables, replicate)
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
                          tables.best_in_space, origin=tables.origin,
                          origin_rows=tables.origin_rows, method=method)
    random_arch = []
    source = _DrawSource.of(pool)
    for n in n_values:
        draws, picked, first_drawn, best_of_n = _run_n(source, rng, n, runs, replace)
        result.draws[n] = draws
        random_arch.append(first_drawn)
        nonfinite = int((draws.chosen < 0).sum())
        timing = {"runs_all_nonfinite": nonfinite, "time_mean_s": float(draws.time_s.mean()),
                  "time_std_s": float(draws.time_s.std())}
        result.rows.append(_summarise(method, n, picked, tables.targets, runs - nonfinite,
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
                    connection: duckdb.DuckDBPyConnection | None = None,
                    method: str = "naswot") -> SearchResult:
    """Simulated best-of-N search on ``space`` with scores of ``dataset`` for every N in ``n``.

    ``replicate``: ``"random"`` (a stored replicate per draw), ``"mean"`` (mean score and time
    over the arch's stored replicates) or ``(init_seed, batch_seed)``.  ``targets``: None (the
    space's default), ``["all"]`` or ``["DATASET:SPLIT[@EPOCHS]", ...]``.  ``as_reference``:
    networks the reference raises on score 0.0, as in its search.py.  ``label``: ``"mean"``
    over training seeds or ``"max"`` (NASWOT's NB101 ground truth).  ``score``: which stored
    score ranks the draws (``naswot``, ``jacov``).  ``method``: the rows' key (``best-of-n`` or
    its alias ``naswot``).
    """
    space, score = canonical_space(space), query_score(score)
    with open_source(root, connection) as source:
        config, grid = load_chosen_grid(source, space, dataset, score, config_id, batch_size,
                                        as_reference)
        chosen_targets = resolve_targets(source.connection, space, targets, epochs, label)
        tables = arrange_search_tables(source, space, dataset, chosen_targets, config, grid)
    return search_tables(tables, list(n), runs, replace, seed, replicate, method)
