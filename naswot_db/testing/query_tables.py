"""Small database roots for the query-layer tests, written as real Parquet parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from naswot_db.schema import write_part


def score_part(space: str, arch_ids, values, *, dataset: str = "cifar10", init_seed: int = 0,
               batch_seed: int = 0, config_id: str = "cfg", batch_size: int = 16, times=None,
               raises=None) -> pa.Table:
    """Score rows of one replicate: status follows the value as the builder writes it."""
    arch_ids = np.asarray(arch_ids, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    n = arch_ids.size
    status = np.where(np.isnan(values), "error", np.where(np.isinf(values), "singular", "ok"))
    return pa.table({
        "space": [space] * n, "arch_id": arch_ids, "score": ["naswot"] * n,
        "dataset": [dataset] * n, "batch_size": pa.array([batch_size] * n, pa.int32()),
        "init_seed": np.full(n, init_seed, np.int64), "batch_seed": np.full(n, batch_seed, np.int64),
        "config_id": [config_id] * n, "value": values, "status": status.tolist(),
        "error": pa.array([None] * n, pa.string()),
        "reference_raises": (np.zeros(n, bool) if raises is None
                             else np.asarray(raises, dtype=bool)),
        "time_s": np.full(n, 0.5) if times is None else np.asarray(times, dtype=np.float64),
        "run_id": ["run"] * n,
    })


def accuracy_part(space: str, arch_ids, accuracies, *, dataset: str, split: str,
                  epochs: int = 200, seed: int | None = None, train_times=None,
                  eval_times=None) -> pa.Table:
    """Accuracy rows of one (dataset, split, epochs, seed); times NULL unless given."""
    arch_ids = np.asarray(arch_ids, dtype=np.int64)
    n = arch_ids.size

    def times(values) -> pa.Array:
        return pa.array([None] * n if values is None else np.asarray(values, np.float64),
                        pa.float64())

    return pa.table({
        "space": [space] * n, "arch_id": arch_ids, "dataset": [dataset] * n,
        "split": [split] * n, "epochs": pa.array([epochs] * n, pa.int32()),
        "seed": pa.array([seed] * n, pa.int64()),
        "accuracy": np.asarray(accuracies, dtype=np.float64),
        "train_time_s": times(train_times), "eval_time_s": times(eval_times),
        "source": ["test"] * n,
    })


def arch_part(space: str, arch_ids, arch_strs=None) -> pa.Table:
    arch_ids = np.asarray(arch_ids, dtype=np.int64)
    n = arch_ids.size
    return pa.table({
        "space": [space] * n, "arch_id": arch_ids,
        "arch_str": [f"arch-{i}" for i in arch_ids] if arch_strs is None else list(arch_strs),
        "encoding": pa.array([None] * n, pa.string()), "params": np.ones(n),
        "flops": np.ones(n), "source": ["test"] * n,
    })


def write(root: Path, table: str, part: pa.Table, space: str) -> None:
    write_part(root, table, part, space=space)


def many_score_rows(n: int) -> pa.Table:
    """``n`` valid NB201 score rows with distinct keys (arch id, then init seed), made in
    DuckDB: an archive far larger than a test's usual few rows (merge memory)."""
    import duckdb

    return duckdb.sql(
        "SELECT 'nb201' AS space, (i % 15625)::BIGINT AS arch_id, 'naswot' AS score, 'cifar10' "
        "AS dataset, 16::INTEGER AS batch_size, (i // 15625)::BIGINT AS init_seed, 0::BIGINT AS "
        "batch_seed, 'cfg' AS config_id, (i * 0.001)::DOUBLE AS value, 'ok' AS status, "
        "NULL::VARCHAR AS error, false AS reference_raises, 0.5::DOUBLE AS time_s, 'run' AS "
        "run_id FROM range(?) t(i)", params=[n]).to_arrow_table()
