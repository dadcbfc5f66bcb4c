"""The AZ-NAS aggregate of one space, read from the ``az_nas_rows()`` macro (:mod:`.az_nas`),
and the note that says which population of stored archs it ranked."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .az_nas import AZ_NAS, COMPLEXITY, COMPONENTS, az_nas_missing_error, has_az_nas_rows
from .selection import open_source


def az_nas_scores(root: Path | str | None = None, *, space: str,
                  connection: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """The AZ-NAS aggregate of every stored population of ``space``, one row per arch and
    replicate; an error naming the missing scores when none of its populations is complete."""
    with open_source(root, connection) as source:
        if not has_az_nas_rows(source.connection, space):
            raise az_nas_missing_error(source.connection, space, None)
        return source.connection.execute(
            "SELECT * FROM az_nas_rows() WHERE space = ? "
            "ORDER BY dataset, batch_size, init_seed, batch_seed, arch_id", [space]).df()


def population_note(root: Path | str | None = None, *, space: str | None = None,
                    dataset: str | None = None,
                    connection: duckdb.DuckDBPyConnection | None = None) -> str | None:
    """One sentence saying that az_nas ranks each population of stored archs and how large
    each is (N), or None when ``space``/``dataset`` has no aggregate: its values change when
    the stored archs do, so every output that shows them says so."""
    with open_source(root, connection) as source:
        if not has_az_nas_rows(source.connection, space, dataset):
            return None
        rows = source.connection.execute(
            "SELECT space, dataset, batch_size, count(DISTINCT (init_seed, batch_seed)), "
            "min(n), max(n) FROM (SELECT space, dataset, batch_size, init_seed, batch_seed, "
            "count(*) AS n FROM az_nas_rows() WHERE (? IS NULL OR space = ?) "
            "AND (? IS NULL OR dataset = ?) GROUP BY ALL) GROUP BY ALL ORDER BY ALL",
            [space, space, dataset, dataset]).fetchall()
    populations = "; ".join(
        f"{name} on {data}, batch {batch}: N = {low:,}"
        + (f" to {high:,}" if high != low else "")
        + f" ({replicates} replicate{'s' if replicates > 1 else ''})"
        for name, data, batch, replicates, low, high in rows)
    return (f"{AZ_NAS} is computed at query time over the population of stored archs: per "
            f"replicate, the sum of log(rank / N) of {', '.join(COMPONENTS)} and {COMPLEXITY} "
            f"over the N archs that have all four ({populations}); other stored archs give "
            "other values")
