"""``naswot-db compact``: a score partition's many small parts rewritten as a few large ones.

A build writes one part per chunk, so a full NB101 build leaves thousands of small files, and
every query pays for opening each and for deduplicating keys across them.  Compaction writes
the partition's rows, one per key (the earliest run's), sorted by arch, into parts of at most
:data:`ROWS_PER_PART` rows under temporary names, renames them into place, then writes a marker
that hides the parts it read from new readers; those stay on disk for :data:`GRACE_S` so that
queries which listed them still run, and a later compaction deletes them.  At every instant
readers see each key once: while old and new parts are both visible the partition is not one
whole compaction, so the views deduplicate it.  Parts a build adds meanwhile are not touched.
A killed compaction leaves temporary files (removed by the next run) and possibly both sets,
which read correctly and compact again.
"""

from __future__ import annotations

import json
import math
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import atomic_file, atomic_write_bytes
from .duckdb_limits import bounded_connection
from .dedup import (SCORE_KEY, compacted_name, expired_markers, first_per_key_sql,
                    is_one_compaction, superseded_marker)
from .locks import exclusive
from .parts import refuse_foreign_parts
from .layout import part_files, partition_dir, remove_stale_temps, spaces_in
from .storage import check_root, conform
from .sql import parquet_source_sql
from .tables import SCORES

ROWS_PER_PART = 1 << 22  # 4,194,304 rows: NB101 x 15 replicates is two parts
ROW_GROUP_ROWS = 1 << 20
GRACE_S = 600.0  # replaced parts outlive a compaction by this long, for queries in flight


@dataclass(frozen=True)
class Compaction:
    """What compacting one partition did."""

    space: str
    parts_before: int
    parts_after: int
    rows_before: int
    rows_after: int
    parts_deleted: int  # replaced parts whose grace time had passed


def _write_sorted_rows(connection: duckdb.DuckDBPyConnection, files: list[Path],
                       directory: Path, rows: int) -> tuple[str, list[Path]]:
    """The partition's rows, one per key, as compacted parts: (compaction id, final paths)."""
    columns = ", ".join(f'"{name}"' for name in SCORES.file_schema().names)
    once = first_per_key_sql(SCORE_KEY, parquet_source_sql(SCORES, files))
    reader = connection.sql(f"SELECT {columns} FROM ({once}) ORDER BY "
                            f"{', '.join(SCORE_KEY[1:])}").to_arrow_reader(ROW_GROUP_ROWS)
    count = max(1, math.ceil(rows / ROWS_PER_PART))
    compaction_id = uuid.uuid4().hex
    finals = [directory / compacted_name(compaction_id, i, count) for i in range(count)]
    with ExitStack() as renames:  # every part flushed before the first is renamed into place
        temps = [renames.enter_context(atomic_file(final)) for final in finals]
        batches = iter(reader)
        for temp in temps:
            written = 0
            with pq.ParquetWriter(temp, SCORES.file_schema()) as writer:
                while written < ROWS_PER_PART:
                    batch = next(batches, None)
                    if batch is None:
                        break
                    writer.write_table(conform(SCORES, pa.Table.from_batches([batch])))
                    written += batch.num_rows
    return compaction_id, finals


def _remove_expired(directory: Path, grace_s: float) -> int:
    """Delete the parts of compactions finished ``grace_s`` ago or more; return how many."""
    removed = 0
    for marker in expired_markers(directory, grace_s):
        for name in json.loads(marker.read_text())["parts"]:
            path = directory / name
            removed += path.exists()
            path.unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    return removed


def compact_partition(root: Path, space: str, grace_s: float = GRACE_S) -> Compaction:
    """Compact the scores of ``space`` in ``root`` (a no-op when already one compaction).

    The replaced parts stay on disk, hidden from new readers, for ``grace_s`` seconds, so a
    query that listed them just before the switch still finds them; a later compaction (or
    this one, with ``grace_s=0``) deletes them.
    """
    check_root(root)
    directory = partition_dir(root, SCORES, space)
    with exclusive(root, f"compact-{space}", f"a compaction of {space}"):
        remove_stale_temps(directory)
        files = part_files(root, SCORES, space)
        refuse_foreign_parts(SCORES, files)
        rows_before = sum(pq.read_metadata(f).num_rows for f in files)
        if not files or is_one_compaction(files):
            return Compaction(space, len(files), len(files), rows_before, rows_before,
                              _remove_expired(directory, grace_s))
        with bounded_connection() as connection:
            rows_after = connection.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(SCORE_KEY)} FROM "
                f"({parquet_source_sql(SCORES, files)}))").fetchall()[0][0]
            compaction_id, written = _write_sorted_rows(connection, files, directory, rows_after)
        atomic_write_bytes(superseded_marker(directory, compaction_id),
                           json.dumps({"parts": sorted(f.name for f in files)}).encode())
        return Compaction(space, len(files), len(written), rows_before, rows_after,
                          _remove_expired(directory, grace_s))


def compact_root(root: Path, spaces: list[str] | None = None,
                 grace_s: float = GRACE_S) -> list[Compaction]:
    """Compact every score partition of ``root`` (or the listed spaces)."""
    return [compact_partition(root, space, grace_s)
            for space in (spaces or spaces_in(root, SCORES))]
