"""Where tables live under a database root, how parts are written, and the version check.

Layout: ``ROOT/naswot_db.json`` (manifest with the schema version), ``ROOT/<table>/space=<space>/
<part>.parquet`` for the partitioned tables and ``ROOT/runs/<run_id>.parquet``.  A part is
written under a temporary name in the same directory, flushed, and renamed into place, so a
killed process leaves either the whole part or nothing that a reader would pick up.
"""

from __future__ import annotations

import json
import os
import uuid
from importlib import resources
from pathlib import Path

import numpy as np
import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.errors import NaswotDbError

from .tables import PARTITION_COLUMN, SCHEMA_VERSION, TABLES, Table

APP_NAME = "naswot-db"
MANIFEST_NAME = "naswot_db.json"
ROOT_ENV = "NASWOT_DB_ROOT"
_TMP_PREFIX = ".tmp-"
_GENERATION_PREFIX = "gen"


class SchemaVersionError(NaswotDbError):
    """A root was written by a different schema version."""


def default_root() -> Path:
    """``$NASWOT_DB_ROOT`` if set, else the platform's per-user data folder for naswot-db.

    Absolute either way, so every command finds the same root from any working directory, and
    never the installed package's folder (whose ``shipped/`` tables fill in what a root lacks).
    """
    configured = os.environ.get(ROOT_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def shipped_root() -> Path:
    """Tables shipped with the package (e.g. NB201 200-epoch accuracies)."""
    return Path(str(resources.files("naswot_db.data"))) / "shipped"


def check_root(root: Path) -> None:
    """Raise :class:`SchemaVersionError` when ``root`` holds another schema version."""
    manifest = root / MANIFEST_NAME
    if not manifest.exists():
        return
    try:
        version = json.loads(manifest.read_text())["schema_version"]
    except (ValueError, KeyError) as exc:
        raise SchemaVersionError(f"{manifest} is not a naswot-db manifest: {exc}") from exc
    if version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{root} was written with schema version {version}; this naswot-db reads version "
            f"{SCHEMA_VERSION}. Rebuild the root or use a matching naswot-db release."
        )


def prepare_root(root: Path) -> None:
    """Create ``root`` with a manifest, or check the manifest of an existing one."""
    check_root(root)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / MANIFEST_NAME
    if not manifest.exists():
        _atomic_write_bytes(manifest, json.dumps({"schema_version": SCHEMA_VERSION}).encode())


def partition_dir(root: Path, table: Table, space: str | None) -> Path:
    """Directory of one table (and one space partition, for partitioned tables)."""
    base = root / table.name
    return base / f"{PARTITION_COLUMN}={space}" if table.partitioned else base


def _generation(path: Path) -> int | None:
    """Generation number of a part written by :func:`replace_partition`, else None."""
    if path.name.startswith(_GENERATION_PREFIX):
        return int(path.name[len(_GENERATION_PREFIX):].split("-", 1)[0])
    return None


def _current(parts: list[Path]) -> list[Path]:
    """The parts a reader sees in one directory: the newest generation, if there is one."""
    generations = [g for g in map(_generation, parts) if g is not None]
    if not generations:
        return parts
    newest = max(generations)
    return [p for p in parts if _generation(p) == newest]


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
        if not path.name.startswith(_TMP_PREFIX):
            by_directory.setdefault(path.parent, []).append(path)
    return sorted(p for parts in by_directory.values() for p in _current(parts))


def spaces_in(root: Path, table: Table) -> list[str]:
    """Space partitions of ``table`` that hold at least one part."""
    return sorted({p.parent.name.split("=", 1)[1] for p in part_files(root, table)})


def conform(table: Table, data: pa.Table) -> pa.Table:
    """``data`` cast to the table's file schema, partition column dropped, version stamped."""
    if "schema_version" not in data.column_names:
        data = data.append_column("schema_version",
                                  pa.array(np.full(data.num_rows, SCHEMA_VERSION, np.int32)))
    schema = table.file_schema()
    for column in table.columns:  # a nullable column the writer's source lacks is NULL
        absent = column.name in schema.names and column.name not in data.column_names
        if column.nullable and absent:
            data = data.append_column(column.name, pa.nulls(data.num_rows, column.arrow_type))
    missing = [name for name in schema.names if name not in data.column_names]
    if missing:
        raise ValueError(f"{table.name} rows lack columns {missing}")
    return data.select(schema.names).cast(schema)


def write_part(root: Path, table_name: str, data: pa.Table, space: str | None = None,
               part_name: str | None = None) -> Path:
    """Write ``data`` as one new part of ``table_name``, atomically; return its path."""
    table = TABLES[table_name]
    prepare_root(root)
    directory = partition_dir(root, table, space)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{part_name or uuid.uuid4().hex}.parquet"
    tmp = directory / f"{_TMP_PREFIX}{final.name}.{uuid.uuid4().hex}"
    try:
        pq.write_table(conform(table, data), tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def replace_partition(root: Path, table_name: str, data: pa.Table, space: str) -> Path:
    """Make ``data`` the whole content of one space partition (used by ingest).

    The new part is written atomically as the next generation, which readers take in place of
    every older part from the moment its rename lands; the older parts are deleted afterwards.
    An interrupted ingest therefore leaves the old or the new ground truth, never a mix.
    """
    directory = partition_dir(root, TABLES[table_name], space)
    old_parts = sorted(directory.glob("*.parquet")) if directory.is_dir() else []
    generation = max((g for g in map(_generation, old_parts) if g is not None), default=0) + 1
    new_part = write_part(root, table_name, data, space=space,
                          part_name=f"{_GENERATION_PREFIX}{generation:08d}-{uuid.uuid4().hex}")
    for part in old_parts:
        part.unlink(missing_ok=True)
    return new_part


def read_table(root: Path, table_name: str, space: str | None = None) -> pa.Table:
    """All parts of a table under ``root`` as one Arrow table (partition column restored)."""
    table = TABLES[table_name]
    pieces = []
    for path in part_files(root, table, space):
        piece = pq.read_table(path)
        if table.partitioned:
            part_space = path.parent.name.split("=", 1)[1]
            piece = piece.append_column(PARTITION_COLUMN,
                                        pa.array([part_space] * piece.num_rows, pa.string()))
        pieces.append(piece.select(table.column_names).cast(table.full_schema()))
    if not pieces:
        return table.full_schema().empty_table()
    return pa.concat_tables(pieces)


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{uuid.uuid4().hex}")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
