"""The AZ-NAS aggregate of one space, read from the ``az_nas_rows()`` macro (:mod:`.az_nas`)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .az_nas import COMPLEXITY, COMPONENTS
from .errors import QueryError
from .selection import open_source


def az_nas_scores(root: Path | str | None = None, *, space: str,
                  connection: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """The AZ-NAS aggregate of every stored population of ``space``, one row per arch and
    replicate; an error naming the missing scores when none of its populations is complete."""
    with open_source(root, connection) as source:
        stored = {row[0] for row in source.connection.execute(
            "SELECT DISTINCT score FROM scores WHERE space = ?", [space]).fetchall()}
        missing = [name for name in (*COMPONENTS, COMPLEXITY) if name not in stored]
        if missing:
            raise QueryError(f"az_nas of {space} needs the scores {', '.join(missing)} stored "
                             f"(naswot-db build --space {space} --score NAME)")
        return source.connection.execute(
            "SELECT * FROM az_nas_rows() WHERE space = ? "
            "ORDER BY dataset, batch_size, init_seed, batch_seed, arch_id", [space]).df()
