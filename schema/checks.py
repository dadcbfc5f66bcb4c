"""``naswot-db check``: everything that can be wrong with a root, one finding per line.

Findings: the manifest, every Parquet file that is not a part of its table, score keys stored
more than once, temporary files of dead writers, ingest generations that do not match their
pointer, values that break the rules of :mod:`.valid_values`, and finished runs whose
recorded row count differs from the rows present.  Nothing
is changed; ``naswot-db compact`` and a rerun of the interrupted command repair what they can.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError

from . import migration
from .atomic import is_temp
from .dedup import SCORE_KEY
from .duckdb_limits import bounded_connection
from .parts import part_problem
from .run_counts import count_mismatches
from .sql import parquet_source_sql
from .layout import (
    GENERATIONS_DIR, committed_generations, generations_path, part_files, part_generation,
    partition_dir, stale_temps,
)
from .storage import MANIFEST_NAME, check_root, manifest_version
from .tables import PARTITION_COLUMN, SCORES, TABLES, Table
from .valid_values import broken_rules


def _manifest_findings(root: Path) -> list[str]:
    if not (root / MANIFEST_NAME).exists():
        return [f"{root / MANIFEST_NAME}: missing (not a naswot-db root?)"]
    try:
        check_root(root)
        if manifest_version(root) == migration.FROM_VERSION and migration.new_nb101_ids(root):
            return [f"{root}: schema version {migration.FROM_VERSION} numbers NB101 archs by file "
                    f"order, not by module hash; `naswot-db migrate --root {root}` renumbers them"]
    except NaswotDbError as exc:
        return [str(exc)]
    return []


def _table_directories(root: Path, table: Table) -> list[Path]:
    base = root / table.name
    if not base.is_dir():
        return []
    if not table.partitioned:
        return [base]
    return sorted(p for p in base.iterdir() if p.is_dir())


def _file_findings(root: Path) -> list[str]:
    """Foreign or unreadable Parquet files and temporary files left by dead writers."""
    findings = []
    for table in TABLES.values():
        for directory in _table_directories(root, table):
            if table.partitioned and not directory.name.startswith(f"{PARTITION_COLUMN}="):
                findings.append(f"{directory}: not a {PARTITION_COLUMN}=<space> folder")
                continue
            for path in sorted(directory.glob("*.parquet")):
                if not is_temp(path):
                    findings.extend(filter(None, [part_problem(table, path)]))
            findings.extend(f"{path}: temporary file of a killed writer (removed by the next "
                            "build, ingest or compact of it)" for path in stale_temps(directory))
    findings.extend(f"{path}: temporary file of a killed writer"
                    for directory in (root, root / GENERATIONS_DIR)
                    for path in stale_temps(directory))
    return findings


def _value_findings(root: Path) -> list[str]:
    """Stored rows that break a rule of :mod:`.valid_values` (written before the rules were,
    or by hand), one line per part and rule."""
    findings = []
    for table in TABLES.values():
        for path in part_files(root, table):
            if part_problem(table, path) is not None:
                continue  # reported as a foreign or unreadable file
            space = path.parent.name.split("=", 1)[1] if table.partitioned else None
            findings.extend(f"{path}: {line} (delete the part, or rerun the command that wrote "
                            "it)" for line in broken_rules(table.name, pq.read_table(path), space))
    return findings


def _generation_findings(root: Path) -> list[str]:
    """Ingested tables whose parts are not the generation their pointer names."""
    findings = []
    spaces = {p.stem for p in (root / GENERATIONS_DIR).glob("*.json") if not is_temp(p)}
    for space in sorted(spaces):
        try:
            committed = committed_generations(root, space)
        except NaswotDbError as exc:
            findings.append(str(exc))
            continue
        for name, generation in sorted(committed.items()):
            table = TABLES.get(name)
            if table is None:
                findings.append(f"{generations_path(root, space)}: unknown table {name!r}")
                continue
            directory = partition_dir(root, table, space)
            present = {part_generation(p) for p in directory.glob("*.parquet") if not is_temp(p)}
            if generation and generation not in present:
                findings.append(f"{directory}: generation {generation} named by "
                                f"{generations_path(root, space)} is missing")
            if present - {generation}:
                findings.append(f"{directory}: parts of generations "
                                f"{sorted(present - {generation})} besides the current "
                                f"{generation} (an interrupted ingest; rerun it)")
    return findings


def _scores_sql(root: Path) -> str | None:
    files = [p for p in part_files(root, SCORES) if part_problem(SCORES, p) is None]
    if not files:
        return None
    return parquet_source_sql(SCORES, files)


def _duplicate_findings(connection: duckdb.DuckDBPyConnection, scores: str) -> list[str]:
    key = ", ".join(SCORE_KEY)
    rows = connection.execute(
        f"SELECT space, count(*) AS keys, sum(n) - count(*) AS extra FROM (SELECT {key}, "
        f"count(*) AS n FROM ({scores}) GROUP BY ALL HAVING count(*) > 1) GROUP BY space "
        "ORDER BY space").fetchall()
    return [f"scores/{PARTITION_COLUMN}={space}: {keys} score keys stored more than once "
            f"({extra} extra rows; queries count each once, `naswot-db compact` drops them)"
            for space, keys, extra in rows]


def _runs_findings(root: Path, connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [f"runs: run {run_id} records {recorded} rows written, {found} present (an "
            "interrupted or repaired build: rerun it so no key is missing, then `naswot-db "
            "compact` records the count present)"
            for run_id, recorded, found in count_mismatches(root, connection)]


def check_findings(root: Path) -> list[str]:
    """Every problem found in ``root``, one line each; empty for a sound root."""
    root = Path(root)
    if not root.is_dir():
        return [f"{root}: no such database root"]
    findings = (_manifest_findings(root) + _file_findings(root) + _generation_findings(root)
                + _value_findings(root))
    with bounded_connection() as connection:
        scores = _scores_sql(root)
        if scores:
            findings += _duplicate_findings(connection, scores)
        findings += _runs_findings(root, connection)
    return findings


def manifest_summary(root: Path) -> str:
    """One line saying what was checked (for the all-clear message)."""
    counts = {name: len(part_files(root, table)) for name, table in TABLES.items()}
    version = json.loads((root / MANIFEST_NAME).read_text())["schema_version"]
    return (f"{root}: schema version {version}, "
            + ", ".join(f"{n} {name} parts" for name, n in counts.items()) + "; no problems")
