"""Connections that can read the database's parts and nothing else, and one-read-statement SQL.

DuckDB enforces the file side itself: once the views exist, external access is switched off
with exactly the view's part files allowed, extensions can neither be installed nor loaded,
and the configuration is locked, so no statement can read ``/etc/passwd``, write a file
(``COPY``), ``ATTACH`` a database or undo these settings.  ``naswot-db sql`` also accepts only
one statement, and only one that reads (SELECT, WITH, EXPLAIN, DESCRIBE, SUMMARIZE, SHOW,
PIVOT); the statement type comes from DuckDB's own parser.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from .errors import QueryError, one_line

_READ_TYPES = {duckdb.StatementType.SELECT}
# PIVOT without an IN list is planned as several statements (it first collects the pivot values).
_PIVOT = re.compile(r"^\s*(UN)?PIVOT\b", re.IGNORECASE)
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(ANALY[SZ]E\s+)?(\([^)]*\)\s*)?", re.IGNORECASE)
_LEADING_COMMENTS = re.compile(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/)+", re.DOTALL)
_ALLOWED = "SELECT, WITH, EXPLAIN, DESCRIBE, SUMMARIZE, SHOW or PIVOT"


def restrict_to_files(connection: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """From now on ``connection`` may open ``files`` (read) and no other file, for good."""
    connection.execute("SET allowed_paths = ?", [[str(f) for f in files]])
    for setting in ("enable_external_access", "autoinstall_known_extensions",
                    "autoload_known_extensions"):
        connection.execute(f"SET {setting} = false")
    connection.execute("SET lock_configuration = true")


def _statement_kind(sql: str) -> str | None:
    """Why ``sql`` (one statement) is refused, or None for a read."""
    sql = _LEADING_COMMENTS.sub("", sql)
    explained = _EXPLAIN.match(sql)
    if explained:  # EXPLAIN ANALYZE runs its statement: judge that one
        return _statement_kind(sql[explained.end():])
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1:
        return f"{len(statements)} statements"
    kind = statements[0].type
    if kind in _READ_TYPES or (kind == duckdb.StatementType.MULTI and _PIVOT.match(sql)):
        return None
    words = sql.split()
    return words[0].upper() if words else kind.name


def check_read_statement(sql: str) -> None:
    """Raise :class:`QueryError` unless ``sql`` is exactly one reading statement."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"SQL error: {one_line(exc)}") from None
    if len(statements) != 1:
        raise QueryError(f"give exactly one SQL statement, not {len(statements)}")
    refused = _statement_kind(sql)
    if refused:
        raise QueryError(f"only reading statements run here ({_ALLOWED}), not {refused}; "
                         "the database is changed by naswot-db build and ingest")
