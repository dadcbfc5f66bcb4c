"""The one error type of the query layer (a :class:`NaswotDbError`, so the CLI prints one line)."""

from naswot_db.errors import NaswotDbError


class QueryError(NaswotDbError):
    """A query the stored tables cannot answer: unknown space, no scores, bad SQL, bad N."""
