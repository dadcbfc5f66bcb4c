"""Merging a verified archive into a root: new rows added, known rows kept, conflicts refused.

Every table partition of the archive is compared with the root's own rows on the table's key
(:mod:`.keys`) before anything is written.  Rows whose key the root lacks are added; rows the
root already holds with the same values are skipped; a key whose values differ (two ground
truths for one network, two values for one scoring) stops the whole merge with one message,
and the root stays as it was.  The writes then follow the root's conventions: a space's archs
and accuracies become the next generation of their partitions in one switch (old and new rows
together, as ingest writes them), scores and runs are new parts, each written atomically;
ground truth and runs land before the scores that refer to them.  Merging the same archive twice adds nothing.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError
from naswot_db.schema import TABLES, prepare_root, write_part
from naswot_db.schema.locks import exclusive
from naswot_db.schema.storage import conform, replace_partitions
from naswot_db.schema.valid_values import validate_rows

from .archive import ArchiveFile, VerifiedArchive
from .keys import KEY_COLUMNS, VALUE_COLUMNS
from .own_tables import connect_own

# write order: what scores refer to comes first
_APPEND_ORDER = ("runs", "scores")  # after the ground truth, which is rewritten whole
_GENERATION_TABLES = ("archs", "accuracies")


class MergeConflictError(NaswotDbError):
    """The archive and the root hold different values for the same key."""


@dataclass(frozen=True)
class MergedPartition:
    """The outcome for one file of the archive."""

    table: str
    space: str | None
    received: int
    added: int
    repeated: int  # rows whose key the archive itself holds before them

    @property
    def already_stored(self) -> int:
        return self.received - self.added - self.repeated


@dataclass(frozen=True)
class _Plan:
    entry: ArchiveFile
    repeated: int
    new_rows: pa.Table
    existing_rows: pa.Table | None  # kept only where the partition is rewritten whole


def merge_archive(archive: VerifiedArchive, root: Path) -> list[MergedPartition]:
    """Add what ``archive`` holds and ``root`` lacks; raise before writing on any conflict.

    Ground truth is rewritten whole, so it is merged under the spaces' ingest locks, and planned
    again under them: an ingest that landed since the first plan is kept, not overwritten.
    """
    plans = _plans(archive, root)  # every conflict is raised here, before the root exists
    prepare_root(root)
    spaces = sorted({p.entry.space for p in plans
                     if p.entry.table in _GENERATION_TABLES and p.new_rows.num_rows})
    with ExitStack() as locks:
        for space in spaces:
            locks.enter_context(exclusive(root, f"ingest-{space}", f"an ingest of {space}"))
        if spaces:
            plans = _plans(archive, root)
        ground_truth: dict[str, dict[str, pa.Table]] = {}
        for plan in plans:
            if plan.entry.table in _GENERATION_TABLES and plan.new_rows.num_rows:
                ground_truth.setdefault(plan.entry.space, {})[plan.entry.table] = _whole(plan)
        for space, tables in ground_truth.items():  # a space's archs and accuracies: one switch
            replace_partitions(root, tables, space)
    for table in _APPEND_ORDER:
        for plan in (p for p in plans if p.entry.table == table and p.new_rows.num_rows):
            _write(root, plan)
    return [MergedPartition(p.entry.table, p.entry.space, p.entry.rows, p.new_rows.num_rows,
                            p.repeated) for p in plans]


def _plans(archive: VerifiedArchive, root: Path) -> list[_Plan]:
    connection = connect_own(root)
    try:
        return [_plan(connection, archive, entry) for entry in archive.files]
    finally:
        connection.close()


def _plan(connection: duckdb.DuckDBPyConnection, archive: VerifiedArchive,
          entry: ArchiveFile) -> _Plan:
    """The archive rows the root lacks, after checking no key holds two different values."""
    incoming = conform(TABLES[entry.table], pq.read_table(archive.local_path(entry)))
    validate_rows(entry.table, incoming, entry.space)  # before the first write of the merge
    if entry.space is not None:
        incoming = incoming.append_column("space", pa.array([entry.space] * incoming.num_rows,
                                                            pa.string()))
        existing = connection.sql(f"SELECT * FROM {entry.table} WHERE space = ?",
                                  params=[entry.space]).to_arrow_table()
    else:
        existing = connection.sql(f"SELECT * FROM {entry.table}").to_arrow_table()
    connection.register("incoming", incoming)
    connection.register("existing", existing)
    keys, values = KEY_COLUMNS[entry.table], VALUE_COLUMNS[entry.table]
    _refuse_conflicts(connection, entry, keys, values)
    match = " AND ".join(f"i.{k} IS NOT DISTINCT FROM e.{k}" for k in keys)
    # a key the archive holds several times (with equal values, or the check above refused it)
    # is one fact: added once
    new_rows = connection.sql(
        f"SELECT DISTINCT ON ({', '.join(f'i.{k}' for k in keys)}) i.* FROM incoming AS i "
        f"ANTI JOIN existing AS e ON {match}").to_arrow_table()
    distinct = connection.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(keys)} "
                                  "FROM incoming)").fetchall()[0][0]
    return _Plan(entry, incoming.num_rows - distinct, new_rows, existing if entry.table in _GENERATION_TABLES else None)


def _refuse_conflicts(connection, entry: ArchiveFile, keys: tuple[str, ...],
                      values: tuple[str, ...]) -> None:
    match = " AND ".join(f"i.{k} IS NOT DISTINCT FROM e.{k}" for k in keys)
    differ = " OR ".join(f"i.{v} IS DISTINCT FROM e.{v}" for v in values)
    shown = ", ".join([*(f"i.{k}" for k in keys), *(f"e.{v}" for v in values),
                       *(f"i.{v}" for v in values)])
    against_root = connection.execute(
        f"SELECT count(*) OVER (), {shown} FROM incoming AS i JOIN existing AS e ON {match} "
        f"WHERE {differ} LIMIT 1").fetchall()
    where = f"{entry.table}" + (f" of space {entry.space}" if entry.space else "")
    if against_root:
        count, *row = against_root[0]
        key_text = _describe(keys, row[:len(keys)])
        root_values = _describe(values, row[len(keys):len(keys) + len(values)])
        archive_values = _describe(values, row[len(keys) + len(values):])
        raise MergeConflictError(
            f"the archive's {where} conflicts with the root's: {count} row(s) with the same key "
            f"hold different values, e.g. {key_text}: root has {root_values}, archive has "
            f"{archive_values}; nothing was written")
    key_list = ", ".join(keys)
    value_row = "row(" + ", ".join(values) + ")"
    within = connection.execute(
        f"SELECT count(*) OVER (), {key_list} FROM incoming GROUP BY {key_list} "
        f"HAVING count(DISTINCT {value_row}) > 1 LIMIT 1").fetchall()
    if within:
        count, *row = within[0]
        raise MergeConflictError(
            f"the archive's {where} holds {count} key(s) with two different values, e.g. "
            f"{_describe(keys, row)}; nothing was written")


def _describe(names: tuple[str, ...], values) -> str:
    return " ".join(f"{name}={value!r}" for name, value in zip(names, values))


def _whole(plan: _Plan) -> pa.Table:
    """A rewritten partition: the root's rows and the archive's new ones."""
    return pa.concat_tables([plan.existing_rows, plan.new_rows.select(
        plan.existing_rows.column_names).cast(plan.existing_rows.schema)])


def _write(root: Path, plan: _Plan) -> None:
    entry = plan.entry
    if entry.table == "runs":
        write_part(root, "runs", plan.new_rows, part_name=f"fetched-{uuid.uuid4().hex}")
    else:
        write_part(root, entry.table, plan.new_rows, space=entry.space)
