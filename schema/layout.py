"""Where a table's parts live under a root, and which of them a reader sees.

``ROOT/<table>/space=<space>/<part>.parquet`` for the partitioned tables, ``ROOT/runs/`` for
the runs; a reader sees the finished parts (no temporary name), not hidden by a compaction's
superseded marker, of the committed generation (``ROOT/generations/<space>.json``, written by
:func:`naswot_db.schema.storage.replace_partitions`).  Listing parts needs nothing of the
version check or the migration, which both list parts.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

from naswot_db.core.errors import NaswotDbError

from .atomic import TEMP_PATTERN, is_temp
from .dedup import is_compacted_part, superseded_names
from .tables import PARTITION_COLUMN, TABLES, Table

_FOREIGN_TEMP_AGE_S = 24 * 3600  # another host's temporary file is stale after a day
GENERATION_PREFIX = "gen"
_GENERATION_PATTERN = re.compile(rf"^{GENERATION_PREFIX}(\d+)-")
GENERATIONS_DIR = "generations"


def partition_dir(root: Path, table: Table, space: str | None) -> Path:
    """Directory of one table (and one space partition, for partitioned tables)."""
    base = root / table.name
    return base / f"{PARTITION_COLUMN}={space}" if table.partitioned else base


def part_generation(path: Path) -> int:
    """Generation number of a part written by :func:`replace_partitions`; 0 for other parts."""
    match = _GENERATION_PATTERN.match(path.name)
    return int(match[1]) if match else 0


def generations_path(root: Path, space: str) -> Path:
    """The pointer naming each table's current generation of one space."""
    return root / GENERATIONS_DIR / f"{space}.json"


def committed_generations(root: Path, space: str) -> dict[str, int]:
    """Table name -> current generation of ``space`` (empty for a root without a pointer)."""
    try:
        return {str(k): int(v) for k, v in json.loads(generations_path(root, space).read_text())
                .items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, AttributeError) as exc:
        raise NaswotDbError(f"{generations_path(root, space)} is unreadable ({exc}); "
                            "rerun the ingest of that space") from exc


def _current(root: Path, table: Table, directory: Path, parts: list[Path]) -> list[Path]:
    """The parts a reader sees in one directory: the committed (else newest) generation."""
    committed = None
    if table.partitioned:
        committed = committed_generations(root, directory.name.split("=", 1)[1]).get(table.name)
    if committed is None:
        committed = max(map(part_generation, parts), default=0)
    return [p for p in parts if part_generation(p) == committed]


def _writer_alive(path: Path) -> bool:
    match = TEMP_PATTERN.match(path.name)
    if match is None or match["host"] != socket.gethostname():
        try:
            return time.time() - path.stat().st_mtime < _FOREIGN_TEMP_AGE_S
        except FileNotFoundError:
            return True  # renamed into place meanwhile
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a live process of another user
    return True


def stale_temps(directory: Path) -> list[Path]:
    """Temporary files in ``directory`` whose writer is dead (killed mid-write)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if is_temp(p) and not _writer_alive(p))


def remove_stale_temps(directory: Path) -> int:
    """Delete what killed writers left in ``directory``; return how many files."""
    stale = stale_temps(directory)
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def part_files(root: Path, table: Table, space: str | None = None) -> list[Path]:
    """Every finished, current Parquet part of ``table`` under ``root`` (optionally one space)."""
    base = root / table.name
    if not base.is_dir():
        return []
    if table.partitioned:
        pattern = f"{PARTITION_COLUMN}={space}/*.parquet" if space else f"{PARTITION_COLUMN}=*/*.parquet"
    else:
        pattern = "*.parquet"
    by_directory: dict[Path, list[Path]] = {}
    for path in base.glob(pattern):
        if not is_temp(path):
            by_directory.setdefault(path.parent, []).append(path)
    visible = {}
    for directory, parts in by_directory.items():
        hidden = superseded_names(directory)
        visible[directory] = [p for p in parts if p.name not in hidden]
    return sorted(p for directory, parts in visible.items()
                  for p in _current(root, table, directory, parts))


def loose_parts(root: Path, space: str) -> list[Path]:
    """The parts of ``space``'s scores that no compaction wrote (a build's chunks, copies)."""
    return [p for p in part_files(root, TABLES["scores"], space) if not is_compacted_part(p)]


def spaces_in(root: Path, table: Table) -> list[str]:
    """Space partitions of ``table`` that hold at least one part."""
    return sorted({p.parent.name.split("=", 1)[1] for p in part_files(root, table)})
