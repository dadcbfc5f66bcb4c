"""Every DuckDB connection naswot-db opens is bounded: memory, spill folder, spill size.

DuckDB's defaults are 80 % of the machine's memory, a ``.tmp`` folder in the current working
directory and a spill of up to 90 % of its free disk.  A query that joins without limit (a
cross join typed by mistake, a hostile archive's rows) would take all three.  Here each
connection gets :data:`MEMORY_FRACTION` of the physical memory (``NASWOT_DB_MEMORY_LIMIT``
overrides it, in DuckDB's units such as ``4GB``), a private spill folder under the system's
temporary folder that DuckDB creates on demand and deletes on close, and at most
:data:`MAX_SPILL` of spilled data.  Past either bound the query fails with DuckDB's
out-of-memory error, which the commands report as one line.
"""

from __future__ import annotations

import os
import tempfile
import uuid

import duckdb

MEMORY_FRACTION = 0.5
MAX_SPILL = "8GiB"
MEMORY_ENV = "NASWOT_DB_MEMORY_LIMIT"


def memory_limit() -> str:
    """The memory a connection may use, in DuckDB's units."""
    stated = os.environ.get(MEMORY_ENV, "").strip()
    if stated:
        return stated
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * MEMORY_FRACTION) >> 20}MiB"


def bounded_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection within the bounds above, without a progress bar (the
    commands print their own lines)."""
    spill = os.path.join(tempfile.gettempdir(), f"naswot-db-spill-{uuid.uuid4().hex}")
    try:
        connection = duckdb.connect(":memory:", config={
            "memory_limit": memory_limit(), "temp_directory": spill,
            "max_temp_directory_size": MAX_SPILL})
    except duckdb.Error as exc:
        from naswot_db.core.errors import NaswotDbError

        raise NaswotDbError(f"{MEMORY_ENV}={os.environ.get(MEMORY_ENV)!r} is not a memory "
                            f"size DuckDB reads, such as 4GB ({exc})") from None
    connection.execute("SET enable_progress_bar = false")
    return connection
