"""Whether a Parquet file under a table folder really is a part of that table.

A foreign file (another tool's Parquet, a part of another table copied to the wrong folder)
would otherwise be read by name-unioning views as rows of NULLs; instead it is reported.
Only footers are read.  At thousands of builder parts their parsing is the whole cost, so a
footer whose Parquet schema and Arrow schema are exactly those this project writes passes
without building an Arrow schema; any other goes through the full comparison.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.errors import NaswotDbError

from .tables import Table

_ARROW_SCHEMA_KEY = b"ARROW:schema"
_TABLE_KEY = b"naswot_db.table"


class ForeignPartError(NaswotDbError):
    """A file under a table folder is not a part of that table."""


def _schema_or_problem(table: Table, path: Path,
                       expected: pa.Schema) -> tuple[pa.Schema | None, str | None]:
    """The part's Arrow schema, and why it is not a part of ``table`` (``expected``: the
    table's file schema), or None when it is one."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        return None, f"{path}: unreadable Parquet ({str(exc).splitlines()[0]})"
    claimed = (schema.metadata or {}).get(_TABLE_KEY)
    if claimed is not None and claimed.decode() != table.name:
        return schema, f"{path}: a part of table {claimed.decode()}, not {table.name}"
    if schema.equals(expected, check_metadata=False):  # every part this project writes
        return schema, None
    missing = [f.name for f in expected if not f.nullable and f.name not in schema.names]
    if missing:
        return schema, f"{path}: not a {table.name} part (lacks columns {', '.join(missing)})"
    wrong = [f"{f.name} is {schema.field(f.name).type}, expected {f.type}" for f in expected
             if f.name in schema.names and schema.field(f.name).type != f.type]
    if wrong:
        return schema, f"{path}: not a {table.name} part ({'; '.join(wrong)})"
    return schema, None


@cache
def _written_footer(table: Table) -> tuple[pq.ParquetSchema, bytes]:
    """The Parquet schema and the serialized Arrow schema of a part this project writes."""
    sink = pa.BufferOutputStream()
    pq.write_table(table.file_schema().empty_table(), sink)
    metadata = pq.read_metadata(pa.BufferReader(sink.getvalue()))
    return metadata.schema, metadata.metadata[_ARROW_SCHEMA_KEY]


def _written_by_us(table: Table, path: Path) -> bool:
    """Whether ``path``'s footer is exactly that of a part of ``table`` as written here (then
    :func:`_schema_or_problem` would pass it too); False also when it cannot be read."""
    schema, arrow_schema = _written_footer(table)
    try:
        with pa.OSFile(str(path)) as handle:  # cheaper than opening by path name
            metadata = pq.ParquetFile(handle).metadata
    except (OSError, pa.ArrowException):
        return False
    stored = metadata.metadata or {}
    return (stored.get(_ARROW_SCHEMA_KEY) == arrow_schema
            and stored.get(_TABLE_KEY, table.name.encode()) == table.name.encode()
            and metadata.schema.equals(schema))


def part_problem(table: Table, path: Path) -> str | None:
    """Why ``path`` is not a readable part of ``table``, or None when it is one."""
    return _schema_or_problem(table, path, table.file_schema())[1]


def refuse_foreign_parts(table: Table, files: list[Path]) -> bool:
    """Raise :class:`ForeignPartError` naming the first file that is not a part of ``table``.

    Returns whether every part has every column of the table's file schema, so that a view
    may match the parts' columns by name without DuckDB's union_by_name, which reads every
    footer again each time a query binds (seconds at thousands of builder parts).
    """
    expected = table.file_schema()
    columns = set(expected.names)
    complete = True
    for path in files:
        if _written_by_us(table, path):
            continue
        schema, problem = _schema_or_problem(table, path, expected)
        if problem:
            raise ForeignPartError(f"{problem}; move it out of the {table.name} folder "
                                   "(`naswot-db check` lists every such file)")
        complete = complete and columns.issubset(schema.names)
    return complete
