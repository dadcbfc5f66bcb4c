"""``naswot-db pack``: a root, or a selection of it, as one archive with a manifest.

Packing only reads the root.  Each table partition becomes one Parquet file with duplicate
rows removed and rows in key order (a root written by many builds holds many small parts), so
an archive holds a handful of files whatever the history of the root.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq

from naswot_db import __version__
from naswot_db.core.citations import citations
from naswot_db.core.names import canonical_space, ground_truth_space
from naswot_db.core.scores import canonical_score
from naswot_db.schema import SCHEMA_VERSION, TABLES, check_root
from naswot_db.schema.storage import conform

from .archive import (ARCHIVE_FORMAT, FORMAT_VERSION, ArchiveError, ArchiveFile, member_path,
                      sha256_of, write_archive)
from naswot_db.schema.atomic import atomic_file
from .keys import KEY_COLUMNS
from .own_tables import connect_own

GROUND_TRUTH_TABLES = ("archs", "accuracies")
# the runs columns the manifest repeats, so a reader sees where the scores came from unpacked
_PROVENANCE = ("run_id", "started_at", "finished_at", "host", "device", "torch_version",
               "precision", "config_id", "rows_written")


@dataclass(frozen=True)
class PackSelection:
    """Which scores go into an archive; empty fields select everything."""

    spaces: tuple[str, ...] = ()
    score: str | None = None
    dataset: str | None = None
    config_id: str | None = None

    def normalised(self) -> PackSelection:
        return PackSelection(tuple(canonical_space(s) for s in self.spaces),
                             canonical_score(self.score) if self.score else None,
                             self.dataset, self.config_id)

    @property
    def filters_scores(self) -> bool:
        return bool(self.score or self.dataset or self.config_id)

    def as_json(self) -> dict:
        return {"spaces": list(self.spaces) or None, "score": self.score,
                "dataset": self.dataset, "config_id": self.config_id}


@dataclass
class PackSummary:
    """What an archive holds: its path, size, sha256 and files."""

    archive: Path
    size: int
    sha256: str
    files: list[ArchiveFile] = field(default_factory=list)


def pack(root: Path, output: Path, selection: PackSelection = PackSelection()) -> PackSummary:
    """Write the selected part of ``root`` to the archive ``output`` (atomically), plus
    ``output.sha256`` in ``sha256sum`` format for whoever publishes it."""
    selection = selection.normalised()
    root, output = root.resolve(), output.resolve()
    if not root.is_dir():
        raise ArchiveError(f"no database root at {root}")
    check_root(root)
    if output == root or root in output.parents:
        raise ArchiveError(f"write the archive outside the root {root}: pack only reads it")
    connection = connect_own(root)
    try:
        with tempfile.TemporaryDirectory(prefix="naswot-db-pack-") as staging:
            files, staged = _stage_tables(connection, Path(staging), selection)
            if not any(entry.table != "runs" for entry in files):
                raise ArchiveError(f"nothing to pack: {root} holds no rows for "
                                   f"{json.dumps(selection.as_json())}")
            with atomic_file(output) as tmp:
                write_archive(tmp, _manifest(files, staged, selection), staged)
    finally:
        connection.close()
    digest = sha256_of(output)
    with atomic_file(output.with_name(output.name + ".sha256")) as tmp:
        tmp.write_text(f"{digest}  {output.name}\n")
    return PackSummary(output, output.stat().st_size, digest, files)


def _score_filter(selection: PackSelection) -> tuple[str, list]:
    clauses, params = ["true"], []
    if selection.spaces:
        clauses.append(f"space IN ({', '.join('?' * len(selection.spaces))})")
        params.extend(selection.spaces)
    for column in ("score", "dataset", "config_id"):
        if getattr(selection, column):
            clauses.append(f"{column} = ?")
            params.append(getattr(selection, column))
    return " AND ".join(clauses), params


def _ground_truth_spaces(connection, selection: PackSelection, where: str,
                         params: list) -> list[str] | None:
    """Spaces whose archs and accuracies travel; None = every space of the root."""
    if selection.spaces:
        return sorted({ground_truth_space(s) for s in selection.spaces})
    if selection.filters_scores:
        scored = connection.execute(f"SELECT DISTINCT space FROM scores WHERE {where}",
                                    params).fetchall()
        return sorted({ground_truth_space(row[0]) for row in scored})
    return None


def _table_filters(connection, selection: PackSelection) -> dict[str, tuple[str, list]]:
    """Per table, the SQL condition (and its parameters) of the rows that travel."""
    where, params = _score_filter(selection)
    truth_spaces = _ground_truth_spaces(connection, selection, where, params)
    truth = ("true", []) if truth_spaces is None else ("list_contains(?, space)", [truth_spaces])
    everything = not selection.spaces and not selection.filters_scores
    runs = ("true", []) if everything else (
        f"run_id IN (SELECT run_id FROM scores WHERE {where})", params)
    return {"archs": truth, "accuracies": truth, "scores": (where, params), "runs": runs}


def _stage_partition(connection, staging: Path, name: str, space: str | None, clause: str,
                     values: list) -> tuple[ArchiveFile, Path] | None:
    """The partition's selected rows, duplicates dropped, in key order, as one Parquet file."""
    space_clause, space_values = ("space = ?", [space]) if space is not None else ("true", [])
    rows = connection.sql(
        f"SELECT DISTINCT * FROM {name} WHERE ({clause}) AND {space_clause} "
        f"ORDER BY {', '.join(KEY_COLUMNS[name])}", params=values + space_values).to_arrow_table()
    if rows.num_rows == 0:
        return None
    path = member_path(name, space)
    local = staging / path
    local.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(conform(TABLES[name], rows), local, compression="zstd")
    return ArchiveFile(path, name, space, rows.num_rows, local.stat().st_size,
                       sha256_of(local)), local


def _stage_tables(connection, staging: Path,
                  selection: PackSelection) -> tuple[list[ArchiveFile], dict[str, Path]]:
    """One file per selected table partition, written under ``staging``."""
    files, staged = [], {}
    for name, (clause, values) in _table_filters(connection, selection).items():
        spaces = [row[0] for row in connection.execute(
            f"SELECT DISTINCT space FROM {name} WHERE {clause} ORDER BY space",
            values).fetchall()] if TABLES[name].partitioned else [None]
        for space in spaces:
            staged_file = _stage_partition(connection, staging, name, space, clause, values)
            if staged_file is not None:
                files.append(staged_file[0])
                staged[staged_file[0].path] = staged_file[1]
    return files, staged


def _manifest(files: list[ArchiveFile], staged: dict[str, Path],
              selection: PackSelection) -> dict:
    counts: dict[str, dict[str, int]] = {}
    for entry in files:
        counts.setdefault(entry.table, {})[entry.space or "all"] = entry.rows
    runs_file = staged.get(member_path("runs", None))
    runs = [] if runs_file is None else [
        {name: str(value) if isinstance(value, datetime) else value for name, value in row.items()}
        for row in pq.read_table(runs_file, columns=list(_PROVENANCE)).to_pylist()]
    scores = {score for entry in files if entry.table == "scores"
              for score in pq.read_table(staged[entry.path], columns=["score"])["score"]
              .unique().to_pylist()}
    return {
        "format": ARCHIVE_FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": SCHEMA_VERSION,
        "naswot_db_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "selection": selection.as_json(),
        "files": [entry.as_json() for entry in files],
        "rows": counts,
        "runs": runs,
        "citations": citations([entry.space for entry in files if entry.space], sorted(scores)),
    }
