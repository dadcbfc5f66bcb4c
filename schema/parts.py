"""Whether a Parquet file under a table folder really is a part of that table.

A foreign file (another tool's Parquet, a part of another table copied to the wrong folder)
would otherwise be read by name-unioning views as rows of NULLs; instead it is reported.
Only footers are read: a few hundredths of a second for thousands of parts.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.errors import NaswotDbError

from .tables import Table


class ForeignPartError(NaswotDbError):
    """A file under a table folder is not a part of that table."""


def part_problem(table: Table, path: Path) -> str | None:
    """Why ``path`` is not a readable part of ``table``, or None when it is one."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        return f"{path}: unreadable Parquet ({str(exc).splitlines()[0]})"
    claimed = (schema.metadata or {}).get(b"naswot_db.table")
    if claimed is not None and claimed.decode() != table.name:
        return f"{path}: a part of table {claimed.decode()}, not {table.name}"
    expected = table.file_schema()
    missing = [f.name for f in expected if not f.nullable and f.name not in schema.names]
    if missing:
        return f"{path}: not a {table.name} part (lacks columns {', '.join(missing)})"
    wrong = [f"{f.name} is {schema.field(f.name).type}, expected {f.type}" for f in expected
             if f.name in schema.names and schema.field(f.name).type != f.type]
    if wrong:
        return f"{path}: not a {table.name} part ({'; '.join(wrong)})"
    return None


def refuse_foreign_parts(table: Table, files: list[Path]) -> None:
    """Raise :class:`ForeignPartError` naming the first file that is not a part of ``table``."""
    for path in files:
        problem = part_problem(table, path)
        if problem:
            raise ForeignPartError(f"{problem}; move it out of the {table.name} folder "
                                   "(`naswot-db check` lists every such file)")
