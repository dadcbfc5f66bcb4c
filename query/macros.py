"""SQL macros for correlation studies, registered on every connection.

``kendall_tau(x, y)``, ``spearman(x, y)``, ``pearson(x, y)``, ``top_k_overlap(id, x, y, pct)``
and ``usable_pairs(x, y)`` are aggregates, so a study is one ``GROUP BY``::

    SELECT acc_dataset, acc_split, kendall_tau(value, accuracy), usable_pairs(value, accuracy)
    FROM scored WHERE space = 'nb201' AND dataset = 'cifar10' GROUP BY ALL

They skip the same pairs as :func:`naswot_db.query.correlations` (NULL, NaN or -inf on either
side) and compute the same statistics (:mod:`naswot_db.query.stats`): each macro gathers its
group into lists and hands them to a vectorised Python function, because rank statistics
with tie handling have no fast pure-SQL form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
try:
    from duckdb.sqltypes import BIGINT, DOUBLE
except ImportError:  # duckdb < 1.4 names the module duckdb.typing
    from duckdb.typing import BIGINT, DOUBLE

from . import stats


def _as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _rows(*columns: pa.Array | pa.ChunkedArray) -> Iterator[list[np.ndarray] | None]:
    """Per row, the list columns as float arrays (None where any list is NULL)."""
    arrays = [_as_array(c) for c in columns]
    for row in range(len(arrays[0])):
        if not all(a[row].is_valid for a in arrays):
            yield None
            continue
        yield [np.asarray(a[row].values.to_numpy(zero_copy_only=False), dtype=np.float64)
               for a in arrays]


def _pair_statistic(statistic: Callable[[np.ndarray, np.ndarray], float]):
    def over_lists(xs: pa.ChunkedArray, ys: pa.ChunkedArray) -> pa.Array:
        out = []
        for lists in _rows(xs, ys):
            if lists is None:
                out.append(None)
                continue
            x, y = lists
            keep = stats.usable(x, y)
            out.append(statistic(x[keep], y[keep]))
        return pa.array(out, pa.float64())
    return over_lists


def _top_k_overlap(ids: pa.ChunkedArray, xs: pa.ChunkedArray, ys: pa.ChunkedArray,
                   percents: pa.ChunkedArray) -> pa.Array:
    percent_values = _as_array(percents).to_pylist()
    out = []
    for lists, percent in zip(_rows(ids, xs, ys), percent_values):
        if lists is None or percent is None:
            out.append(None)
            continue
        identifiers, x, y = lists
        keep = stats.usable(x, y)
        out.append(stats.top_k_overlaps(identifiers[keep], x[keep], y[keep], [percent])[0])
    return pa.array(out, pa.float64())


_PAIR_STATISTICS = {
    "kendall_tau": stats.kendall_tau_b,
    "spearman": stats.spearman,
    "pearson": stats.pearson,
}


def register_macros(connection) -> None:
    """Register the helper functions and the macros on ``connection`` (DuckDB or duckdb-engine).

    The list types come from ``connection``: ``duckdb.list_type`` would open DuckDB's default
    connection, about 20 ms of every fresh ``naswot-db search``."""
    doubles, ids = connection.list_type(DOUBLE), connection.list_type(BIGINT)
    for name, statistic in _PAIR_STATISTICS.items():
        connection.create_function(f"naswot_{name}_lists", _pair_statistic(statistic),
                                   [doubles, doubles], DOUBLE, type="arrow")
        connection.execute(f"CREATE OR REPLACE MACRO {name}(x, y) AS "
                           f"naswot_{name}_lists(list(x::DOUBLE), list(y::DOUBLE))")
    connection.create_function("naswot_top_k_overlap_lists", _top_k_overlap,
                               [ids, doubles, doubles, DOUBLE], DOUBLE, type="arrow")
    connection.execute(
        "CREATE OR REPLACE MACRO top_k_overlap(id, x, y, pct) AS naswot_top_k_overlap_lists("
        "list(id::BIGINT), list(x::DOUBLE), list(y::DOUBLE), any_value(pct::DOUBLE))")
    connection.execute("CREATE OR REPLACE MACRO usable_pairs(x, y) AS "
                       "count(*) FILTER (WHERE isfinite(x::DOUBLE) AND isfinite(y::DOUBLE))")
