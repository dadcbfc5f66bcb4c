"""An archive member's rows, read in bounded batches and checked as they are read.

A merge used to read each member whole (``pq.read_table``): a valid archive of millions of rows
held them all in memory, several times over.  Here a staged member is read a batch at a time,
each batch cast to the table's file schema and checked against the valid values before the
next is read, and written back as the conformed file DuckDB then joins with the root (a
disk-backed join, within the connection's memory limit).  The manifest bounds what is read: no
more rows than it lists, and no more decoded bytes than those rows may hold, checked from the
Parquet footer before the first page is decompressed.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.schema import TABLES
from naswot_db.schema.atomic import atomic_file
from naswot_db.schema.storage import conform
from naswot_db.schema.valid_values import validate_rows

from .archive import ArchiveError, ArchiveFile

BATCH_ROWS = 65_536
# decoded bytes a row of each table may take at most, on average over a member: a runs row
# carries its configuration and package versions as JSON, every other row a few numbers and
# names (an error text at most)
_ROW_BYTES = {"runs": 1 << 20}
_DEFAULT_ROW_BYTES = 4 << 10


def _check_decoded_size(entry: ArchiveFile, metadata: pq.FileMetaData) -> None:
    """Refuse a member whose pages decode to more bytes than its manifest rows may hold."""
    decoded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    allowed = max(entry.rows, 1) * _ROW_BYTES.get(entry.table, _DEFAULT_ROW_BYTES)
    if decoded > allowed:
        raise ArchiveError(f"{entry.path} decodes to {decoded:,} bytes, more than the "
                           f"{allowed:,} its {entry.rows:,} rows may hold; nothing was written")


def conform_member(entry: ArchiveFile, path: Path) -> None:
    """Rewrite the staged member at ``path`` in the table's file schema, batch by batch,
    refusing broken values and more rows or decoded bytes than the manifest allows."""
    table = TABLES[entry.table]
    with pq.ParquetFile(path) as source:
        _check_decoded_size(entry, source.metadata)
        batches = source.iter_batches(batch_size=BATCH_ROWS)
        rows = 0
        # the conformed rows replace the staged member (read through the handle held open),
        # compressed as pack writes members, so staging stays about the archive's size
        with atomic_file(path) as target, \
                pq.ParquetWriter(target, table.file_schema(), compression="zstd") as writer:
            for batch in batches:
                rows += batch.num_rows
                if rows > entry.rows:
                    raise ArchiveError(f"{entry.path} holds more than the {entry.rows:,} rows "
                                       "its manifest lists; nothing was written")
                conformed = conform(table, pa.Table.from_batches([batch]))
                validate_rows(entry.table, conformed, entry.space)
                writer.write_table(conformed)
