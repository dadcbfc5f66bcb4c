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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from naswot_db.core.errors import NaswotDbError
from naswot_db.schema import prepare_root
from naswot_db.schema.locks import exclusive
from naswot_db.schema.storage import replace_partitions, write_part_batches

from .archive import ArchiveFile, VerifiedArchive
from .archive_rows import BATCH_ROWS, conform_member
from .keys import KEY_COLUMNS, VALUE_COLUMNS
from .own_tables import connect_own

# write order: what scores refer to comes first
_APPEND_ORDER = ("runs", "scores")  # after the ground truth, which is rewritten whole
_GENERATION_TABLES = ("archs", "accuracies")
# DuckDB memory of a merge's joins and aggregates, which spill to disk beyond it: with it a
# 3-million-row merge peaks at the RSS quoted in bench/fetch_memory.py
MERGE_MEMORY = "256MB"


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
    added: int  # rows whose key the root lacks (the archive's repeats counted once)


def merge_archive(archive: VerifiedArchive, root: Path) -> list[MergedPartition]:
    """Add what ``archive`` holds and ``root`` lacks; raise before writing on any conflict.

    Every member is first rewritten in its table's schema, batch by batch, with its values
    checked (:mod:`.archive_rows`); the comparisons with the root and the writes then stream
    from those files through DuckDB, so memory stays bounded whatever the archive's size.
    Ground truth is rewritten whole, so it is merged under the spaces' ingest locks, and planned
    again under them: an ingest that landed since the first plan is kept, not overwritten.
    """
    for entry in archive.files:  # before the first write of the merge
        conform_member(entry, archive.local_path(entry))
    plans = _plans(archive, root)  # every conflict is raised here, before the root exists
    prepare_root(root)
    spaces = sorted({p.entry.space for p in plans
                     if p.entry.table in _GENERATION_TABLES and p.added})
    with ExitStack() as locks:
        for space in spaces:
            locks.enter_context(exclusive(root, f"ingest-{space}", f"an ingest of {space}"))
        if spaces:
            plans = _plans(archive, root)
        with _own(root) as connection:
            ground_truth: dict[str, dict[str, pa.Table]] = {}
            for plan in plans:
                if plan.entry.table in _GENERATION_TABLES and plan.added:
                    ground_truth.setdefault(plan.entry.space, {})[plan.entry.table] = _whole(
                        connection, archive, plan.entry)
            for space, tables in ground_truth.items():  # a space's archs and accuracies: one switch
                replace_partitions(root, tables, space)
    with _own(root) as connection:
        for table in _APPEND_ORDER:
            for plan in (p for p in plans if p.entry.table == table and p.added):
                _write(connection, root, archive, plan.entry)
    return [MergedPartition(p.entry.table, p.entry.space, p.entry.rows, p.added, p.repeated)
            for p in plans]


@contextmanager
def _own(root: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The root's own tables, with DuckDB's memory for the joins bounded (it spills beyond)."""
    connection = connect_own(root)
    connection.execute(f"SET memory_limit = '{MERGE_MEMORY}'")
    try:
        yield connection
    finally:
        connection.close()


def _plans(archive: VerifiedArchive, root: Path) -> list[_Plan]:
    with _own(root) as connection:
        return [_plan(connection, archive, entry) for entry in archive.files]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _compare(connection: duckdb.DuckDBPyConnection, archive: VerifiedArchive,
             entry: ArchiveFile) -> str:
    """Views ``incoming`` (the member's rows) and ``existing`` (the root's rows of its table and
    space); the SELECT of the incoming rows whose key the root lacks, each key once."""
    space = "" if entry.space is None else f", {_quote(entry.space)} AS space"
    connection.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT *{space} FROM "
                       f"read_parquet({_quote(str(archive.local_path(entry)))})")
    where = "" if entry.space is None else f" WHERE space = {_quote(entry.space)}"
    connection.execute(f"CREATE OR REPLACE TEMP VIEW existing AS SELECT * FROM {entry.table}"
                       f"{where}")
    keys = KEY_COLUMNS[entry.table]
    match = " AND ".join(f"i.{k} IS NOT DISTINCT FROM e.{k}" for k in keys)
    # a key the archive holds several times (with equal values, or _refuse_conflicts refused
    # it) is one fact: added once
    return (f"SELECT DISTINCT ON ({', '.join(f'i.{k}' for k in keys)}) i.* FROM incoming AS i "
            f"ANTI JOIN existing AS e ON {match}")


def _plan(connection: duckdb.DuckDBPyConnection, archive: VerifiedArchive,
          entry: ArchiveFile) -> _Plan:
    """How many archive rows the root lacks, after checking no key holds two different values."""
    new_rows = _compare(connection, archive, entry)
    keys, values = KEY_COLUMNS[entry.table], VALUE_COLUMNS[entry.table]
    _refuse_conflicts(connection, entry, keys, values)
    added = connection.execute(f"SELECT count(*) FROM ({new_rows})").fetchall()[0][0]
    distinct = connection.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(keys)} "
                                  "FROM incoming)").fetchall()[0][0]
    return _Plan(entry, entry.rows - distinct, added)


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


def _whole(connection: duckdb.DuckDBPyConnection, archive: VerifiedArchive,
           entry: ArchiveFile) -> pa.Table:
    """A rewritten ground-truth partition: the root's rows and the archive's new ones (in
    memory: a space's ground truth, bounded by the space's archs and columns)."""
    new_rows = _compare(connection, archive, entry)
    return connection.sql(f"SELECT * FROM existing UNION ALL BY NAME ({new_rows})"
                          ).to_arrow_table()


def _write(connection: duckdb.DuckDBPyConnection, root: Path, archive: VerifiedArchive,
           entry: ArchiveFile) -> None:
    """The archive's new rows of ``entry`` as one new part, streamed a batch at a time."""
    reader = connection.sql(_compare(connection, archive, entry)).to_arrow_reader(BATCH_ROWS)
    batches = (pa.Table.from_batches([batch]) for batch in reader)
    if entry.table == "runs":
        write_part_batches(root, "runs", batches, part_name=f"fetched-{uuid.uuid4().hex}")
    else:
        write_part_batches(root, entry.table, batches, space=entry.space)
