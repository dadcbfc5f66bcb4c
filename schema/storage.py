"""How parts are written and read under a database root, and the version check.

Layout (:mod:`.layout`): ``ROOT/naswot_db.json`` (manifest with the schema version),
``ROOT/<table>/space=<space>/<part>.parquet`` for the partitioned tables and
``ROOT/runs/<run_id>.parquet``.  A part is written under a temporary name in the same
directory, flushed, and renamed into place, so a killed process leaves either the whole part or
nothing that a reader would pick up; a temporary name carries its writer's host and pid, so
leftovers of a dead writer can be told from a write in flight (:func:`.layout.stale_temps`).
Ingest replaces partitions by generation: new parts land first, then
``ROOT/generations/<space>.json`` names them current (:func:`replace_partitions`).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError

from .atomic import atomic_file, atomic_write_bytes, is_temp
from .layout import (
    GENERATION_PREFIX, committed_generations, generations_path, part_files, part_generation,
    partition_dir,
)
from .migration import FROM_VERSION, interrupted, migrate
from .tables import PARTITION_COLUMN, SCHEMA_VERSION, TABLES, Table

APP_NAME = "naswot-db"
MANIFEST_NAME = "naswot_db.json"
ROOT_ENV = "NASWOT_DB_ROOT"


class SchemaVersionError(NaswotDbError):
    """A root was written by a different schema version."""


def _validate_rows(table_name: str, rows: pa.Table, space: str | None) -> None:
    """:func:`.valid_values.validate_rows`, imported when rows are written: its
    ``pyarrow.compute`` costs every reading command a fresh process's 30 ms otherwise."""
    from .valid_values import validate_rows

    validate_rows(table_name, rows, space)


def default_root() -> Path:
    """``$NASWOT_DB_ROOT`` if set, else the platform's per-user data folder for naswot-db.

    Absolute either way, so every command finds the same root from any working directory, and
    never the installed package's folder (whose ``shipped/`` tables fill in what a root lacks).
    """
    configured = os.environ.get(ROOT_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    import platformdirs  # here: a GPU box that only builds (with --root) may lack it

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def shipped_root() -> Path:
    """Tables shipped with the package (e.g. NB201 200-epoch accuracies)."""
    return Path(str(resources.files("naswot_db.data"))) / "shipped"


def manifest_version(root: Path) -> int | None:
    """The schema version ``root``'s manifest names (None without a manifest)."""
    manifest = root / MANIFEST_NAME
    if not manifest.exists():
        return None
    try:
        content = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise SchemaVersionError(f"{manifest} is not a naswot-db manifest: {exc}") from exc
    version = content.get("schema_version") if isinstance(content, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise SchemaVersionError(
            f"{manifest} is not a naswot-db manifest: expected an object with an integer "
            f"\"schema_version\", found {json.dumps(content)[:80]}")
    return version


def check_root(root: Path) -> None:
    """Raise :class:`SchemaVersionError` when ``root`` cannot be read by this schema version.

    A version-2 root still reads (its NB101 ids are consistent within the root); the next
    command that writes to it migrates it (:mod:`schema.migration`).
    """
    if root.exists() and not root.is_dir():
        raise NaswotDbError(f"database root {root} is a file, not a folder (check --root and "
                            f"${ROOT_ENV})")
    version = manifest_version(root)
    if version is None or version == SCHEMA_VERSION:
        return
    if version == FROM_VERSION:
        if interrupted(root):
            raise SchemaVersionError(
                f"{root}: a migration to schema version {SCHEMA_VERSION} was interrupted; "
                f"`naswot-db migrate --root {root}` finishes it")
        return
    raise SchemaVersionError(
        f"{root} was written with schema version {version}; this naswot-db reads versions "
        f"{FROM_VERSION} and {SCHEMA_VERSION}. Rebuild the root or use a matching "
        "naswot-db release.")


def prepare_root(root: Path) -> None:
    """Create ``root`` with a manifest, or check the manifest of an existing one (migrating a
    version-2 root to the current version first)."""
    manifest = root / MANIFEST_NAME
    if manifest_version(root) == FROM_VERSION:
        migrate(root, lambda: atomic_write_bytes(
            manifest, json.dumps({"schema_version": SCHEMA_VERSION}).encode()))
    check_root(root)
    root.mkdir(parents=True, exist_ok=True)
    if not manifest.exists():
        atomic_write_bytes(manifest, json.dumps({"schema_version": SCHEMA_VERSION}).encode())


def with_absent_nullable_columns(table: Table, data: pa.Table, names: list[str]) -> pa.Table:
    """``data`` plus a NULL column for each nullable column of ``names`` it lacks (a column
    added after the rows were written, e.g. ``accuracies.eval_time_s``)."""
    for column in table.columns:
        if column.nullable and column.name in names and column.name not in data.column_names:
            data = data.append_column(column.name, pa.nulls(data.num_rows, column.arrow_type))
    return data


def conform(table: Table, data: pa.Table) -> pa.Table:
    """``data`` cast to the table's file schema, partition column dropped, version stamped."""
    if "schema_version" not in data.column_names:
        data = data.append_column("schema_version",
                                  pa.array(np.full(data.num_rows, SCHEMA_VERSION, np.int32)))
    schema = table.file_schema()
    data = with_absent_nullable_columns(table, data, schema.names)
    missing = [name for name in schema.names if name not in data.column_names]
    if missing:
        raise ValueError(f"{table.name} rows lack columns {missing}")
    return data.select(schema.names).cast(schema)


def write_part(root: Path, table_name: str, data: pa.Table, space: str | None = None,
               part_name: str | None = None) -> Path:
    """Write ``data`` as one new part of ``table_name``, atomically; return its path.

    Rows that break a rule of :mod:`.valid_values` are refused before anything is written.
    """
    rows = conform(TABLES[table_name], data)
    _validate_rows(table_name, rows, space)
    return _write_conformed(root, table_name, [rows], space, part_name)


def write_part_batches(root: Path, table_name: str, batches: Iterable[pa.Table],
                       space: str | None = None, part_name: str | None = None) -> Path:
    """Write ``batches`` as one new part of ``table_name``, atomically, holding one batch at a
    time (a merge of millions of rows); return its path.

    Each batch is checked against :mod:`.valid_values` as it comes; a broken row leaves no part
    behind.
    """
    def checked() -> Iterator[pa.Table]:
        for batch in batches:
            rows = conform(TABLES[table_name], batch)
            _validate_rows(table_name, rows, space)
            yield rows

    return _write_conformed(root, table_name, checked(), space, part_name)


def _write_conformed(root: Path, table_name: str, batches: Iterable[pa.Table],
                     space: str | None, part_name: str | None) -> Path:
    table = TABLES[table_name]
    prepare_root(root)
    directory = partition_dir(root, table, space)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{part_name or uuid.uuid4().hex}.parquet"
    with atomic_file(final) as tmp, pq.ParquetWriter(tmp, table.file_schema()) as writer:
        for rows in batches:
            writer.write_table(rows)
    return final


def replace_partitions(root: Path, tables: dict[str, pa.Table], space: str) -> list[Path]:
    """Make each of ``tables`` (name -> rows) the whole content of its ``space`` partition.

    One switch for all of them (an ingest's archs and accuracies): the new parts are written as
    the next generation of each table, then the space's generation pointer is replaced in one
    rename naming them current; the older parts are deleted afterwards.  Killed at any instant,
    readers see the old tables or the new ones, never a mix.
    """
    for name, data in tables.items():  # every table checked before the first is written
        _validate_rows(name, conform(TABLES[name], data), space)
    prepare_root(root)
    committed = committed_generations(root, space)
    directories = {name: partition_dir(root, TABLES[name], space) for name in tables}
    old_parts = {name: sorted(p for p in d.glob("*.parquet") if not is_temp(p))
                 if d.is_dir() else [] for name, d in directories.items()}
    current = {name: committed.get(name, max(map(part_generation, parts), default=0))
               for name, parts in old_parts.items()}
    pointer = generations_path(root, space)
    pointer.parent.mkdir(exist_ok=True)
    if not pointer.exists():  # pin what readers see now before new generations appear
        atomic_write_bytes(pointer, json.dumps(current, sort_keys=True).encode())
    new_generations = {name: max(map(part_generation, parts), default=0) + 1
                       for name, parts in old_parts.items()}
    new_parts = [write_part(root, name, data, space=space, part_name=(
        f"{GENERATION_PREFIX}{new_generations[name]:08d}-{uuid.uuid4().hex}"))
        for name, data in tables.items()]
    switched = committed_generations(root, space) | new_generations
    atomic_write_bytes(pointer, json.dumps(switched, sort_keys=True).encode())
    for parts in old_parts.values():
        for part in parts:
            part.unlink(missing_ok=True)
    return new_parts


def replace_partition(root: Path, table_name: str, data: pa.Table, space: str) -> Path:
    """Make ``data`` the whole content of one space partition (see :func:`replace_partitions`)."""
    return replace_partitions(root, {table_name: data}, space)[0]


def run_rows_present(root: Path, space: str, run_id: str) -> int:
    """Score keys of build run ``run_id`` in ``space``'s current parts, wherever they lie: in the
    run's own parts or, when a compaction ran during the run (another shard's build ending,
    say), in compacted ones; each key once (one run has one dataset and batch size, so a key is
    a score's configuration, an arch and a seed pair), as the views and ``check`` count it.
    Needs pyarrow only, so a scoring machine without DuckDB records its runs too."""
    import pyarrow.dataset as ds

    files = part_files(root, TABLES["scores"], space)
    if not files:
        return 0
    rows = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=["score", "config_id", "arch_id", "init_seed", "batch_seed"],
        filter=ds.field("run_id") == run_id)
    return rows.group_by(rows.column_names).aggregate([]).num_rows


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
        piece = with_absent_nullable_columns(table, piece, table.column_names)
        pieces.append(piece.select(table.column_names).cast(table.full_schema()))
    if not pieces:
        return table.full_schema().empty_table()
    return pa.concat_tables(pieces)
