"""A run's recorded row count against the rows of it a root holds, and recounting it.

A finished run records how many score rows it wrote.  Rows can leave later for good reasons:
a corrupt part removed and its rows rebuilt by a rerun (under the rerun's id), a key the run
stored twice deduplicated by a compaction.  ``check`` reports every run whose record differs
from what is present; once the build has been rerun (so no key is missing), ``compact``
rewrites such records to the count present and says so, so a repaired root passes ``check``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .dedup import SCORE_KEY, first_per_key_sql
from .parts import part_problem
from .sql import parquet_source_sql
from .layout import part_files
from .storage import write_part
from .tables import RUNS, SCORES


def count_mismatches(root: Path, connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(run id, rows recorded, rows present) of every finished run whose two counts differ."""
    runs = [p for p in part_files(root, RUNS) if part_problem(RUNS, p) is None]
    if not runs:
        return []
    scores = [p for p in part_files(root, SCORES) if part_problem(SCORES, p) is None]
    present = (f"SELECT run_id, count(*) AS n FROM "
               f"({first_per_key_sql(SCORE_KEY, parquet_source_sql(SCORES, scores))}) "
               "GROUP BY run_id" if scores
               else "SELECT NULL::VARCHAR AS run_id, 0::BIGINT AS n WHERE false")
    return [tuple(row) for row in connection.execute(
        f"SELECT r.run_id, r.rows_written, coalesce(p.n, 0) "
        f"FROM ({parquet_source_sql(RUNS, runs)}) AS r LEFT JOIN ({present}) AS p USING (run_id) "
        "WHERE r.finished_at IS NOT NULL AND r.rows_written IS DISTINCT FROM coalesce(p.n, 0) "
        "ORDER BY r.run_id").fetchall()]


def recount_runs(root: Path, connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """Rewrite each mismatched run record to the rows present (each runs part atomically);
    the (run id, recorded, present) triples rewritten."""
    mismatched = count_mismatches(root, connection)
    present = {run_id: found for run_id, _, found in mismatched}
    for path in part_files(root, RUNS):
        if part_problem(RUNS, path) is not None:
            continue
        rows = pq.read_table(path)
        ids = rows["run_id"].to_pylist()
        if not present.keys() & set(ids):
            continue
        counts = [present.get(run_id, recorded)
                  for run_id, recorded in zip(ids, rows["rows_written"].to_pylist())]
        index = rows.schema.get_field_index("rows_written")
        rows = rows.set_column(index, rows.schema.field(index),
                               pa.array(counts, pa.int64()))
        write_part(root, "runs", rows, part_name=path.stem)
    return mismatched
