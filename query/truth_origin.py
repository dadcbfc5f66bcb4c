"""The note that says a study's accuracies are the ground truth shipped with naswot-db.

NB101's shipped labels are not read from the benchmark's file but joined to the enumerated
cells by module hash (``data/shipped/PROVENANCE.md``), and hold only the 108-epoch test mean;
every study that uses them says so, and names their source, on stderr.
"""

from __future__ import annotations

from pathlib import Path

from naswot_db.core.names import ground_truth_space
from naswot_db.schema import ACCURACIES, part_files, shipped_root

from .shipped import shipped_spaces


def _sources(space: str) -> list[str]:
    import duckdb

    files = ", ".join("'" + str(p).replace("'", "''") + "'"
                      for p in part_files(shipped_root(), ACCURACIES, space))
    return [row[0] for row in duckdb.sql(
        f"SELECT DISTINCT source FROM read_parquet([{files}]) ORDER BY 1").fetchall()]


def shipped_truth_note(root: Path, space: str | None) -> str | None:
    """One sentence naming the shipped ground truth a study of ``space`` (None: every space)
    over ``root`` reads, or None when it reads the root's own."""
    shipped = shipped_spaces(root, ACCURACIES)
    spaces = [s for s in ([ground_truth_space(space)] if space else shipped) if s in shipped]
    if not spaces:
        return None
    described = "; ".join(f"{s}: {', '.join(_sources(s))}" for s in spaces)
    return (f"the accuracies are the ground truth shipped with naswot-db ({described}); "
            f"`naswot-db ingest` into {root} replaces them")
