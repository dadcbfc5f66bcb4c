"""The note that says which score configurations a ``sql`` statement reads are (in part) the
ones shipped with naswot-db, and how many of their rows are the root's own."""

from __future__ import annotations

from pathlib import Path

import duckdb

from naswot_db.schema import SCORES
from naswot_db.schema.sql import shipped_view_name

from .connection import connect
from .shipped import RowOrigin, shipped_parts


def _configurations(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """``SCORE of SPACE on DATASET, config C, batch B, R replicates: S shipped, O own`` per
    configuration that holds shipped scores."""
    rows = connection.execute(
        f"SELECT score, space, dataset, config_id, batch_size, "
        f"count(DISTINCT (init_seed, batch_seed)), count(*) FROM {shipped_view_name(SCORES)} "
        f"GROUP BY ALL ORDER BY ALL").fetchall()
    described = []
    for score, space, dataset, config, batch, replicates, shipped in rows:
        own = connection.execute(
            "SELECT count(*) FROM scores WHERE score = ? AND space = ? AND dataset = ? "
            "AND config_id = ? AND batch_size = ?",
            [score, space, dataset, config, batch]).fetchall()[0][0] - shipped
        described.append(f"{score} of {space} on {dataset}, config {config}, batch {batch}, {replicates} "
                         f"replicate{'s' if replicates > 1 else ''} "
                         f"({RowOrigin(shipped, own).phrase('rows')})")
    return described


def shipped_scores_note(root: Path) -> str | None:
    """One sentence naming the shipped scores a view over ``root`` reads, or None."""
    if not shipped_parts(root, SCORES):
        return None
    with connect(root) as connection:
        configurations = _configurations(connection)
    if not configurations:
        return None
    return (f"the scores of {'; '.join(configurations)} are the ones shipped with naswot-db; "
            f"rows of that configuration built into {root} add to them, winning on each key")
