"""The note that says a study's accuracies are (in part) the ground truth shipped with
naswot-db.

NB101's shipped labels are not read from the benchmark's file but joined to the enumerated
cells by module hash (``data/shipped/PROVENANCE.md``), and hold only the 108-epoch test mean;
every study that uses them says so, names their source, and counts the rows that are shipped
and the rows that are the root's own (an ingest adds to the shipped rows and wins on the keys it
holds), on stderr.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from naswot_db.core.names import ground_truth_space
from naswot_db.schema import ACCURACIES
from naswot_db.schema.sql import shipped_view_name

from .selection import open_source
from .shipped import row_origin, shipped_spaces


def shipped_truth_note(root: Path, space: str | None,
                       connection: duckdb.DuckDBPyConnection | None = None) -> str | None:
    """One sentence naming the shipped ground truth a study of ``space`` (None: every space)
    over ``root`` reads, or None when it reads the root's own only (``connection``: an open
    one over ``root`` to reuse)."""
    shipped = shipped_spaces(root, ACCURACIES)
    spaces = [s for s in ([ground_truth_space(space)] if space else shipped) if s in shipped]
    if not spaces:
        return None
    described = []
    with open_source(root, connection) as source:
        for name in spaces:
            origin = row_origin(source.connection, ACCURACIES, "WHERE space = ?", [name])
            if origin.shipped == 0:
                continue
            sources = [row[0] for row in source.connection.execute(
                f"SELECT DISTINCT source FROM {shipped_view_name(ACCURACIES)} WHERE space = ? "
                "ORDER BY 1", [name]).fetchall()]
            described.append(f"{name}: {', '.join(sources)}; {origin.phrase('accuracy rows')}")
    if not described:
        return None
    return (f"the accuracies are the ground truth shipped with naswot-db ({'; '.join(described)}); "
            f"rows `naswot-db ingest` writes into {root} add to them and win on the same key")
