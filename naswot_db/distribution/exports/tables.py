"""The ``scored`` view (scores joined with archs and accuracies) as CSV or Parquet files.

One file per space, ``OUTPUT/<space>.csv`` or ``.parquet``, written by DuckDB's ``COPY``: plain
files for anyone without naswot-db.  Singular networks' -inf stays -inf (``-inf`` in CSV).
"""

from __future__ import annotations

from pathlib import Path

from naswot_db.query.errors import QueryError
from naswot_db.query.selection import Source

from .atomic import atomic_file

_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet, COMPRESSION zstd"}


def export_tables(source: Source, output: Path, fmt: str, space: str | None) -> list[Path]:
    """Write one ``fmt`` file of the scored view per space (every scored space by default)."""
    spaces = [space] if space else [row[0] for row in source.connection.execute(
        "SELECT DISTINCT space FROM scores ORDER BY space").fetchall()]
    if not spaces:
        raise QueryError(f"no scores under {source.root} to export")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name in spaces:
        if not source.connection.execute("SELECT count(*) FROM scores WHERE space = ?",
                                         [name]).fetchone()[0]:
            raise QueryError(f"no scores for space {name!r} under {source.root}")
        path = output / f"{name}.{fmt}"
        with atomic_file(path) as tmp:
            literal = "'" + str(tmp).replace("'", "''") + "'"
            source.connection.execute(
                f"COPY (SELECT * FROM scored WHERE space = $space ORDER BY ALL) TO {literal} "
                f"({_COPY_OPTIONS[fmt]})", {"space": name})
        written.append(path)
    return written
