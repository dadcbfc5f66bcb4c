"""What a root holds, as the views see it: per space its archs, ground truth and scores.

``naswot-db info`` prints this so a user knows which studies a root can answer before running
one: the spaces, each ground-truth column (dataset, split, epoch budget, seeds, source and
version), each score configuration with its replicate count and status counts, and whether
the rows are the ones shipped with naswot-db, the root's own, both (``shipped+own``: the root's
rows added to the shipped ones; ``shipped_rows`` and ``own_rows`` count each), or published
values ingested from a peer file (``peer``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from naswot_db.core.names import is_peer_config
from naswot_db.schema import ACCURACIES, ARCHS, SCHEMA_VERSION, SCORES
from naswot_db.schema.layout import spaces_in
from naswot_db.schema.storage import MANIFEST_NAME
from naswot_db.schema.tables import Table

from .connection import connect, resolve_root
from .score_summary import COLUMNS, CONFIG_COLUMNS, STATUSES, score_summary
from .shipped import BUILT, INGESTED, PEER, RowOrigin, shipped_counts, shipped_spaces

_ARCHS_SQL = "SELECT space, count(*) AS archs FROM archs GROUP BY ALL ORDER BY ALL"
_GROUND_TRUTH_SQL = """
SELECT space, dataset, split, epochs,
       array_to_string(list_sort(list(DISTINCT coalesce(seed::VARCHAR, 'mean'))), ', ') AS seeds,
       count(DISTINCT arch_id) AS archs, count(*) AS rows,
       array_to_string(list_sort(list(DISTINCT source)), '; ') AS source
FROM accuracies GROUP BY space, dataset, split, epochs ORDER BY ALL
"""

@dataclass(frozen=True)
class RootInfo:
    """A root's path, manifest state and one frame per table (``origin`` column on each)."""

    root: Path
    exists: bool
    schema_version: int | None
    archs: pd.DataFrame
    ground_truth: pd.DataFrame
    scores: pd.DataFrame

    def sections(self) -> dict[str, pd.DataFrame]:
        return {"archs": self.archs, "ground truth": self.ground_truth, "scores": self.scores}

    def header(self) -> str:
        if not self.exists:
            return (f"root {self.root}: does not exist yet (every row below is shipped with "
                    f"naswot-db; a build or ingest creates the root)")
        version = (f"schema version {self.schema_version}" if self.schema_version is not None
                   else f"no {MANIFEST_NAME} yet")
        return f"root {self.root}: {version}"

    def to_json(self) -> str:
        sections = {name.replace(" ", "_"): json.loads(frame.to_json(orient="records"))
                    for name, frame in self.sections().items()}
        return json.dumps({"root": str(self.root), "exists": self.exists,
                           "schema_version": self.schema_version, **sections}, indent=2)


# the columns each section's rows are grouped by
_GROUPS = {ARCHS.name: ("space",), ACCURACIES.name: ("space", "dataset", "split", "epochs"),
           SCORES.name: CONFIG_COLUMNS}


def _row_counts(frame: pd.DataFrame, table: Table) -> pd.Series:
    """Rows of the view per row of ``frame`` (counted already, so the big view is not read
    again)."""
    if table is SCORES:
        return frame[list(STATUSES)].sum(axis=1)
    return frame["archs" if table is ARCHS else "rows"]


def _with_origin(connection, frame: pd.DataFrame, table: Table, own: str) -> pd.DataFrame:
    """``origin``, ``shipped_rows`` and ``own_rows`` per row of ``frame``."""
    columns = _GROUPS[table.name]
    shipped = shipped_counts(connection, table, columns)
    found = [RowOrigin(shipped.get(tuple(row), 0), int(total) - shipped.get(tuple(row), 0))
             for row, total in zip(frame[list(columns)].itertuples(index=False),
                                   _row_counts(frame, table))]
    frame["origin"] = [origin.kind(own) for origin in found]
    frame["shipped_rows"] = [origin.shipped for origin in found]
    frame["own_rows"] = [origin.own for origin in found]
    return frame


def root_info(root: Path | str | None = None) -> RootInfo:
    """Everything :mod:`naswot_db.query.info` describes, for ``root`` (default root if None)."""
    resolved = resolve_root(root)
    manifest = resolved / MANIFEST_NAME
    version = SCHEMA_VERSION if manifest.exists() else None  # resolve_root checked it
    with connect(resolved) as connection:
        frames = [connection.sql(sql).df() for sql in (_ARCHS_SQL, _GROUND_TRUTH_SQL)]
        spaces = sorted({*spaces_in(resolved, SCORES), *shipped_spaces(resolved, SCORES)})
        frames.append(pd.DataFrame(score_summary(connection, spaces), columns=list(COLUMNS)))
        archs, ground_truth, scores = (
            _with_origin(connection, frame, table, own)
            for frame, table, own in zip(frames, (ARCHS, ACCURACIES, SCORES),
                                         (INGESTED, INGESTED, BUILT)))
    peer = scores["config_id"].map(is_peer_config).astype(bool)
    scores.loc[peer, "origin"] = PEER  # published values (ingest --format naslib-zc)
    return RootInfo(resolved, resolved.exists(), version, archs, ground_truth, scores)
