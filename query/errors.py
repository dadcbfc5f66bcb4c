"""The one error type of the query layer (a :class:`NaswotDbError`, so the CLI prints one line)."""

import duckdb

from naswot_db.core.errors import NaswotDbError


class QueryError(NaswotDbError):
    """A query the stored tables cannot answer: unknown space, no scores, bad SQL, bad N."""


def one_line(error: duckdb.Error) -> str:
    """DuckDB's message without the multi-line query context (``LINE 1: ... ^``)."""
    head = str(error).split("\n\n", 1)[0]
    return " ".join(line.strip() for line in head.splitlines() if line.strip())
