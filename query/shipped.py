"""Which rows of a root's views come from the tables shipped with naswot-db, and the notes
that say so.

A root's own parts of a table and space take precedence; the shipped parts fill in every space
the root has none of (NB201's archs, 200-epoch accuracies and CIFAR-10 NASWOT scores), so a
fresh install answers NB201 queries with no build.  Every answer that uses shipped scores says
so, because they are one configuration and one replicate, not the user's own build.
"""

from __future__ import annotations

from pathlib import Path

from naswot_db.schema import SCORES, TABLES, part_files, shipped_root
from naswot_db.schema.layout import spaces_in
from naswot_db.schema.tables import Table

# origin of a space's rows in a view: shipped with naswot-db, or the root's own
SHIPPED = "shipped"
BUILT = "built"         # scores
INGESTED = "ingested"   # archs and ground truth
PEER = "peer"           # scores: published values (ingest --format naslib-zc)


def shipped_phrase(replicates: int, config_id: str) -> str:
    """How an output names the shipped scores it used."""
    return (f"{replicates} replicate{'s' if replicates > 1 else ''} shipped with naswot-db, "
            f"config {config_id}")


def shipped_spaces(root: Path, table: Table) -> list[str]:
    """Spaces whose ``table`` rows a view over ``root`` takes from the shipped tables."""
    shipped = shipped_root().resolve()
    if not table.partitioned or root.resolve() == shipped:
        return []
    # only the shipped spaces' partitions of the root are listed (a big root has thousands of
    # parts in other spaces)
    return [space for space in spaces_in(shipped, table) if not part_files(root, table, space)]


def shipped_parts(root: Path, table: Table) -> list[Path]:
    """The shipped parts a view over ``root`` reads."""
    spaces = set(shipped_spaces(root, table))
    return [p for p in part_files(shipped_root().resolve(), table)
            if p.parent.name.split("=", 1)[1] in spaces]


def score_origin(root: Path, space: str) -> str:
    """``"shipped"`` when ``space``'s scores under ``root`` are the shipped ones, else
    ``"built"``."""
    return SHIPPED if space in shipped_spaces(root, SCORES) else BUILT


def _configurations(parts: list[Path]) -> list[str]:
    """``SPACE DATASET config C (batch B, R replicates)`` per configuration in ``parts``."""
    import duckdb

    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parts)
    rows = duckdb.sql(
        f"SELECT space, dataset, config_id, batch_size, count(DISTINCT (init_seed, batch_seed)) "
        f"FROM read_parquet([{files}], hive_partitioning = true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return [f"{space} on {dataset}, config {config}, batch {batch}, {count} replicate"
            f"{'s' if count > 1 else ''}" for space, dataset, config, batch, count in rows]


def shipped_scores_note(root: Path) -> str | None:
    """One sentence naming the shipped scores a view over ``root`` reads, or None."""
    parts = shipped_parts(root, SCORES)
    if not parts:
        return None
    return (f"the scores of {'; '.join(_configurations(parts))} are the ones shipped with "
            f"naswot-db; a build of that space into {root} replaces them")


def missing_root_note(root: Path) -> str | None:
    """When ``root`` does not exist: a sentence saying so and what the shipped tables hold."""
    if root.exists():
        return None
    held = [f"{table.name} of {', '.join(spaces)}" for table in TABLES.values()
            if (spaces := spaces_in(shipped_root(), table))]
    return (f"database root {root} does not exist; answering from the tables shipped with "
            f"naswot-db only ({'; '.join(held)})")
