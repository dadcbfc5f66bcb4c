"""One configuration's score rows as per-arch arrays (row = arch, column = replicate).

At NB101 scale a configuration is millions of rows in thousands of builder parts.  The rows
are streamed from DuckDB in batches straight into arrays indexed by arch id (benchmark arch
ids are dense indices), so no step sorts, deduplicates or even holds the millions of rows:
the arrays are the only large allocation.  The loaders read ``score_rows`` (no deduplication
pass) and check that no (arch, replicate) came twice; if one did, they read the ``scores``
view instead, which keeps the earliest run's row of every key, so the numbers are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from naswot_db.schema.sql import SCORE_ROWS_VIEW

from .arrow_numpy import column_to_numpy
from .az_nas import score_relation
from .selection import (ScoreConfig, Source, choose_config, config_filter_sql, fetch_columns,
                        single_config)

# which stored replicate a search reads: one per draw, the mean over the arch's, or a fixed pair
RANDOM_REPLICATE = "random"
MEAN_REPLICATE = "mean"
Replicate = str | tuple[int, int]  # "random", "mean" or a fixed (init_seed, batch_seed)

_BATCH_ROWS = 1 << 20
_GROUP_ROWS = 1 << 15  # rows per ``add``: big enough to spread its fixed cost, small enough to
# stay in cache and let DuckDB reuse its buffers (1 << 20 is slower than one ``add`` per file)
DENSE_SLACK = 1 << 20  # ids up to this (or 4x the rows) are array rows without remapping


def _columns(as_reference: bool) -> str:
    """The score columns the grid reads (``as_reference``: networks the reference raises on
    score 0.0, as its search.py stored them; otherwise ``reference_raises`` is not read)."""
    value = "coalesce(value, 'NaN'::DOUBLE)"
    if as_reference:
        value = f"CASE WHEN reference_raises THEN 0.0 ELSE {value} END"
    return f"arch_id, init_seed, batch_seed, time_s, {value} AS value"


_CONFIG_KEY = "hash(config_id, batch_size) AS config_key"


@dataclass(frozen=True)
class ScoreGrid:
    """Stored scores of one configuration: ``values``/``times``/``present`` are (archs,
    replicates), rows in ``arch_ids`` order, columns in ``replicates`` order (both sorted)."""

    arch_ids: np.ndarray
    replicates: list[tuple[int, int]]
    values: np.ndarray
    times: np.ndarray
    present: np.ndarray


def dense_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` without sorting when the keys are small
    non-negative integers (seeds, dense arch ids): O(n) instead of a sort of n."""
    if keys.size and keys.min() >= 0 and keys.max() < 2 * keys.size + 1024:
        seen = np.zeros(int(keys.max()) + 1, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen), (np.cumsum(seen) - 1)[keys]
    return np.unique(keys, return_inverse=True)


def replicate_codes(init_seeds: np.ndarray,
                     batch_seeds: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The distinct (init_seed, batch_seed) pairs, sorted, and each row's pair index."""
    if init_seeds.size and min(init_seeds.min(), batch_seeds.min()) >= 0 \
            and max(init_seeds.max(), batch_seeds.max()) < 2**31:
        width = int(batch_seeds.max()) + 1
        keys, codes = dense_codes(init_seeds * width + batch_seeds)
        return [(int(k // width), int(k % width)) for k in keys], codes
    pairs, codes = np.unique(np.stack([init_seeds, batch_seeds], axis=1), axis=0,
                             return_inverse=True)
    return [(int(i), int(b)) for i, b in pairs], codes.reshape(-1)


class _Sparse(Exception):
    """Arch ids too large or negative to index arrays directly."""


class _GridBuilder:
    """Per-arch arrays grown as batches arrive; counts rows to detect a repeated key."""

    def __init__(self) -> None:
        self.values = np.empty((0, 0))
        self.times = np.empty((0, 0))
        self.present = np.zeros((0, 0), dtype=bool)
        self.columns: dict[tuple[int, int], int] = {}
        self.rows = 0
        self.keys: set[int] = set()  # configuration keys seen (two mean "several")

    def _reserve(self, archs: int, replicates: int) -> None:
        """Grow the arrays (doubling) to hold ``archs`` x ``replicates``; cells outside
        ``present`` stay unset until :meth:`grid` (filling hundreds of MB twice costs more)."""
        old_archs, old_replicates = self.present.shape
        if archs <= old_archs and replicates <= old_replicates:
            return
        shape = (max(archs, 2 * old_archs), max(replicates, old_replicates))
        for name in ("values", "times", "present"):
            old = getattr(self, name)
            grown = (np.zeros if name == "present" else np.empty)(shape, dtype=old.dtype)
            grown[:old_archs, :old_replicates] = old
            setattr(self, name, grown)

    def add(self, rows: dict[str, np.ndarray], dense: bool = True) -> None:
        ids = rows["arch_id"]
        if ids.size == 0:
            return
        if dense and (ids.min() < 0 or ids.max() >= max(4 * (self.rows + ids.size),
                                                        DENSE_SLACK)):
            raise _Sparse
        if "config_key" in rows:
            keys = rows["config_key"]
            self.keys.update({int(keys[0])} if (keys == keys[0]).all() else {-1, -2})
        pairs, codes = replicate_codes(rows["init_seed"], rows["batch_seed"])
        columns = np.array([self.columns.setdefault(p, len(self.columns)) for p in pairs])
        cols = columns[codes]
        self._reserve(int(ids.max()) + 1, len(self.columns))
        cells = ids * self.present.shape[1] + cols  # flat indices: 2x cheaper than (ids, cols)
        self.values.reshape(-1)[cells] = rows["value"]
        self.times.reshape(-1)[cells] = rows["time_s"]
        self.present.reshape(-1)[cells] = True
        self.rows += ids.size

    def repeats_a_key(self) -> bool:
        """Whether two rows landed in one cell (the same arch and replicate)."""
        return int(self.present.sum()) != self.rows

    def grid(self, arch_ids: np.ndarray | None = None) -> ScoreGrid:
        """The arrays of the archs seen (``arch_ids``: the ids behind remapped rows)."""
        rows = np.flatnonzero(self.present.any(axis=1))
        pairs = sorted(self.columns)
        cols = [self.columns[p] for p in pairs]
        cells = (_as_slice(rows), _as_slice(np.array(cols, dtype=np.int64)))
        if not all(isinstance(index, slice) for index in cells):
            cells = np.ix_(rows, cols)
        used = (slice(0, int(rows[-1]) + 1 if rows.size else 0), slice(0, len(self.columns)))
        absent = ~self.present[used]
        self.values[used][absent] = np.nan
        self.times[used][absent] = np.nan
        return ScoreGrid(rows if arch_ids is None else arch_ids[rows], pairs,
                         self.values[cells], self.times[cells], self.present[cells])


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """``index`` as a slice when it is a run of consecutive integers (the usual dense arch ids
    and replicates), so the grid is a view of the builder's arrays instead of a gathered copy."""
    if index.size and (np.diff(index) == 1).all():
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def numpy_columns(batches: list[pa.RecordBatch]) -> dict[str, np.ndarray]:
    """The batches' columns as arrays: one copy into contiguous columns, then zero-copy views
    (converting a column of many chunks costs several times more)."""
    table = pa.Table.from_batches(batches).combine_chunks()
    return {name: column_to_numpy(table.column(name)) for name in table.column_names}


def batch_groups(reader: pa.RecordBatchReader) -> Iterator[list[pa.RecordBatch]]:
    """The reader's batches in groups of about ``_GROUP_ROWS`` rows: DuckDB yields one batch
    per part file, and thousands of small ``add`` calls would cost more than the rows."""
    group: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        group.append(batch)
        rows += batch.num_rows
        if rows >= _GROUP_ROWS:
            yield group
            group, rows = [], 0
    if group:
        yield group


def _stream(source: Source, sql: str, params: list) -> tuple[_GridBuilder, np.ndarray | None]:
    """Rows of ``sql`` in a builder; arch ids remapped (and returned) when they are sparse."""
    builder = _GridBuilder()
    reader = source.connection.sql(sql, params=params).to_arrow_reader(_BATCH_ROWS)
    try:
        for batches in batch_groups(reader):
            builder.add(numpy_columns(batches))
        return builder, None
    except _Sparse:
        pass
    finally:
        reader.close()  # frees the connection for the next query
    rows = fetch_columns(source, sql, params)
    arch_ids, rows["arch_id"] = np.unique(rows["arch_id"], return_inverse=True)
    builder = _GridBuilder()
    builder.add(rows, dense=False)
    return builder, arch_ids


def _config_rows_sql(view: str, as_reference: bool) -> str:
    return (f"SELECT {_columns(as_reference)} FROM {view} WHERE space = ? AND dataset = ? "
            "AND score = ? AND config_id = ? AND batch_size = ?")


def load_grid(source: Source, space: str, dataset: str, config: ScoreConfig,
              as_reference: bool = False) -> ScoreGrid:
    """The scores of ``config``, each key once (``as_reference``: raising networks score 0.0)."""
    params = [space, dataset, config.score, config.config_id, config.batch_size]
    view = score_relation(config.score, SCORE_ROWS_VIEW)
    builder, arch_ids = _stream(source, _config_rows_sql(view, as_reference), params)
    if builder.repeats_a_key():  # a part on disk twice: the view's earliest-run rows
        builder, arch_ids = _stream(source, _config_rows_sql("scores", as_reference), params)
    return builder.grid(arch_ids)


def load_chosen_grid(source: Source, space: str, dataset: str, score: str,
                     config_id: str | None = None, batch_size: int | None = None,
                     as_reference: bool = False) -> tuple[ScoreConfig, ScoreGrid]:
    """Choose the configuration matching the filters and load its scores in one pass.

    Every part file costs a fixed open-and-footer time that at NB101 scale outweighs its rows,
    so rows of every matching configuration are streamed with a 64-bit key of their
    configuration: one key (the usual case) is named by a ``LIMIT 1`` query that stops at
    the first part; several, or none, get :func:`choose_config`'s listing or error.
    """
    where, filters = config_filter_sql(SCORE_ROWS_VIEW, space, dataset, score, config_id,
                                       batch_size)
    builder, arch_ids = _stream(source,
                                f"SELECT {_columns(as_reference)}, {_CONFIG_KEY} {where}", filters)
    if len(builder.keys) != 1:  # none or several: the listing error, unless only one matches
        config = choose_config(source, space, dataset, config_id, batch_size, score)
        return config, load_grid(source, space, dataset, config, as_reference)
    config = single_config(source, where, filters, score)
    if builder.repeats_a_key():
        return config, load_grid(source, space, dataset, config, as_reference)
    return config, builder.grid(arch_ids)
