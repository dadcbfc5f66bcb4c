"""Whether a Parquet file under a table folder really is a part of that table.

A foreign file (another tool's Parquet, a part of another table copied to the wrong folder)
would otherwise be read by name-unioning views as rows of NULLs; instead it is reported.
Only footers are read.  At thousands of builder parts their parsing is the whole cost, so a
footer whose Parquet schema and Arrow schema are byte for byte those this project writes
passes without being parsed (the raw footer bytes are compared; 8 times cheaper than pyarrow's
parse at NB101 scale); any other goes through the full comparison.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError

from .tables import Table

_ARROW_SCHEMA_KEY = b"ARROW:schema"
_TABLE_KEY = b"naswot_db.table"
_MAGIC = b"PAR1"


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


def _footer_bytes(data: bytes) -> bytes:
    """The serialized FileMetaData of a whole Parquet file's bytes (it ends with the footer,
    the footer's 4-byte little-endian length and the magic ``PAR1``)."""
    length = int.from_bytes(data[-8:-4], "little")
    return data[-8 - length:-8]


def _file_footer(path: Path) -> bytes | None:
    """``path``'s serialized FileMetaData, or None when it is not framed as Parquet."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(descriptor).st_size
        tail = os.pread(descriptor, 8, size - 8) if size >= 12 else b""
        length = int.from_bytes(tail[:4], "little")
        if tail[4:] != _MAGIC or length > size - 12:
            return None
        return os.pread(descriptor, length, size - 8 - length)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _zero_row(data_type: pa.DataType) -> pa.Array:
    """One zero (an empty string for text) of ``data_type``, made from zeroed buffers:
    ``pa.array`` first checks whether its argument is a pandas object, which imports pandas
    (more than the rest of a fresh ``naswot-db search`` costs)."""
    zeros = pa.py_buffer(bytes(16))  # any fixed width, or two offsets of a one-row string column
    text = pa.types.is_string(data_type) or pa.types.is_binary(data_type) \
        or pa.types.is_large_string(data_type) or pa.types.is_large_binary(data_type)
    return pa.Array.from_buffers(data_type, 1, [None, zeros] + ([pa.py_buffer(b"")] if text else []))


@cache
def _written_footer(table: Table) -> tuple[bytes, bytes]:
    """What every footer of a part of ``table`` written here holds: its first bytes (format
    version and Parquet schema, up to the row count, taken as the common start of the footers
    of a 0-row and a 1-row part) and the serialized Arrow schema (table name included)."""
    schema = table.file_schema()
    one_row = pa.Table.from_arrays([_zero_row(f.type) for f in schema], schema=schema)
    footers = []
    for rows in (one_row.slice(0, 0), one_row):  # Schema.empty_table would import pandas
        sink = pa.BufferOutputStream()
        pq.write_table(rows, sink)
        footers.append(_footer_bytes(sink.getvalue().to_pybytes()))
    arrow_schema = pq.read_metadata(pa.BufferReader(sink.getvalue())).metadata[_ARROW_SCHEMA_KEY]
    return footers[0][:len(os.path.commonprefix(footers))], arrow_schema


def _written_by_us(table: Table, path: Path) -> bool:
    """Whether ``path``'s footer has exactly the Parquet schema and Arrow schema of a part of
    ``table`` as written here (then :func:`_schema_or_problem` passes it too); False also when
    it cannot be read, so that the full check names the problem."""
    start, arrow_schema = _written_footer(table)
    footer = _file_footer(path)
    return footer is not None and footer.startswith(start) and arrow_schema in footer


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
