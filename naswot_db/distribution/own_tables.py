"""DuckDB views over a root's own current parts, without the shipped tables filling in.

Pack and fetch work on what a root itself holds: the shipped tables come with every install,
so they neither travel in an archive nor count as the root's ground truth when merging.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from naswot_db.schema import TABLES, part_files
from naswot_db.schema.duckdb_limits import bounded_connection
from naswot_db.schema.parts import refuse_foreign_parts
from naswot_db.schema.sql import view_sql


def connect_own(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with one view per table over ``root``'s own parts."""
    connection = bounded_connection()
    for table in TABLES.values():
        files = part_files(root, table)
        refuse_foreign_parts(table, files)  # a corrupt part: one line naming it and the fix
        connection.execute(view_sql(table, files))
    return connection
