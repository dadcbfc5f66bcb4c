"""Per score configuration: archs, replicates and status counts, each key once, in one pass.

``naswot-db info`` shows these for every configuration.  Counted in SQL over the deduplicated
``scores`` view they cost a hash pass over every row (seconds and 1.9 GB at NB101 scale in
builder parts), so the rows are streamed from ``score_rows`` instead, as small integer codes,
into per-arch presence arrays (benchmark arch ids are dense), which also shows whether a key
came twice.  Only a configuration whose key repeats (or whose ids are not dense) is counted
again in SQL over ``scores``, so the numbers are those of the deduplicated view either way.
"""

from __future__ import annotations

import numpy as np

from naswot_db.schema.sql import SCORE_ROWS_VIEW

from .score_grid import DENSE_SLACK, batch_groups, numpy_columns, replicate_codes

CONFIG_COLUMNS = ("space", "score", "dataset", "batch_size", "config_id")
STATUSES = ("ok", "singular", "error")
COLUMNS = (*CONFIG_COLUMNS, "archs", "replicates", *STATUSES)

_KEY = f"hash({', '.join(CONFIG_COLUMNS)})"
_STREAM_SQL = (f"SELECT {_KEY} AS config_key, arch_id, init_seed, batch_seed, "
               f"CASE status {' '.join(f'WHEN {s!r} THEN {i}' for i, s in enumerate(STATUSES))} "
               f"ELSE {len(STATUSES)} END::UTINYINT AS status FROM {SCORE_ROWS_VIEW} "
               "WHERE space = ?")
_NAMES_SQL = (f"SELECT {', '.join(CONFIG_COLUMNS)} FROM {SCORE_ROWS_VIEW} "
              f"WHERE space = ? AND {_KEY} = ? LIMIT 1")
_EXACT_SQL = (f"SELECT {', '.join(CONFIG_COLUMNS)}, count(DISTINCT arch_id), "
              "count(DISTINCT (init_seed, batch_seed)), "
              + ", ".join(f"count(*) FILTER (WHERE status = '{s}')" for s in STATUSES)
              + f" FROM scores WHERE space = ? AND {_KEY} = ? GROUP BY ALL")


class _Counts:
    """One configuration's rows so far: which (arch, replicate) cells hold one, per status."""

    def __init__(self) -> None:
        self.present = np.zeros((0, 0), dtype=bool)
        self.columns: dict[tuple[int, int], int] = {}
        self.rows = 0
        self.statuses = np.zeros(len(STATUSES) + 1, dtype=np.int64)
        self.exact = True  # False: a repeated key or sparse ids, counted again in SQL

    def add(self, ids: np.ndarray, init_seeds: np.ndarray, batch_seeds: np.ndarray,
            statuses: np.ndarray) -> None:
        self.rows += ids.size
        self.statuses += np.bincount(statuses, minlength=self.statuses.size)
        if not self.exact:
            return
        if ids.min() < 0 or ids.max() >= max(4 * self.rows, DENSE_SLACK):
            self.exact = False
            return
        pairs, codes = replicate_codes(init_seeds, batch_seeds)
        columns = np.array([self.columns.setdefault(p, len(self.columns)) for p in pairs])
        old = self.present
        if ids.max() >= old.shape[0] or len(self.columns) > old.shape[1]:
            self.present = np.zeros((max(int(ids.max()) + 1, 2 * old.shape[0]),
                                     len(self.columns)), dtype=bool)
            self.present[:old.shape[0], :old.shape[1]] = old
        self.present.reshape(-1)[ids * self.present.shape[1] + columns[codes]] = True

    def summary(self) -> tuple[int, int, int, int, int] | None:
        """(archs, replicates, ok, singular, error), or None when SQL must count them."""
        if not self.exact or int(self.present.sum()) != self.rows:
            return None
        return (int(self.present.any(axis=1).sum()), len(self.columns),
                *(int(n) for n in self.statuses[:len(STATUSES)]))


def _counts(connection, space: str) -> dict[int, _Counts]:
    """The rows of ``space``, counted per configuration key."""
    counts: dict[int, _Counts] = {}
    reader = connection.sql(_STREAM_SQL, params=[space]).to_arrow_reader(1 << 20)
    try:
        for batches in batch_groups(reader):
            rows = numpy_columns(batches)
            keys = rows.pop("config_key")
            groups = ([(keys[0], slice(None))] if (keys == keys[0]).all()
                      else [(key, keys == key) for key in np.unique(keys)])
            for key, mine in groups:
                counts.setdefault(int(key), _Counts()).add(
                    *(rows[name][mine] for name in ("arch_id", "init_seed", "batch_seed",
                                                    "status")))
    finally:
        reader.close()
    return counts


def score_summary(connection, spaces: list[str]) -> list[tuple]:
    """One row of :data:`COLUMNS` per score configuration of ``spaces`` in the views, sorted.

    One stream per space, so that a configuration's names are looked up among that space's
    parts only (the first matching part answers)."""
    found = []
    for space in spaces:
        for key, config in _counts(connection, space).items():
            names = connection.execute(_NAMES_SQL, [space, key]).fetchall()[0]
            summary = config.summary()
            found.append((*names, *summary) if summary is not None
                         else connection.execute(_EXACT_SQL, [space, key]).fetchall()[0])
    return sorted(found)
