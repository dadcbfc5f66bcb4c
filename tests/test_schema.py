"""One table definition drives Arrow, SQL and SQLAlchemy; the version is checked on read."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from naswot_db.schema import (
    SCHEMA_VERSION, TABLES, SchemaVersionError, check_root, read_table, replace_partition, shipped_root,
    write_part,
)
from naswot_db.schema.sql import sqlalchemy_metadata, view_sql
from naswot_db.schema.layout import part_files


def accuracy_rows(arch_ids, accuracy):
    count = len(arch_ids)
    return pa.table({"arch_id": arch_ids, "dataset": ["cifar10"] * count,
                     "split": ["ori-test"] * count, "epochs": [200] * count,
                     "seed": pa.nulls(count, pa.int64()), "accuracy": [accuracy] * count,
                     "train_time_s": pa.nulls(count, pa.float64()), "source": ["test"] * count})


def test_every_form_has_the_same_columns():
    metadata = sqlalchemy_metadata()
    for name, table in TABLES.items():
        assert [c.name for c in metadata.tables[name].columns] == table.column_names
        assert table.full_schema().names == table.column_names
        con = duckdb.connect()
        con.execute(view_sql(table, []))
        assert [d[0] for d in con.execute(f"SELECT * FROM {name}").description] == table.column_names


def test_written_part_reads_back_with_space_and_version(tmp_path):
    write_part(tmp_path, "accuracies", accuracy_rows([3, 4], 91.5), space="nb201")
    table = read_table(tmp_path, "accuracies")
    assert table["space"].to_pylist() == ["nb201", "nb201"]
    assert table["schema_version"].to_pylist() == [SCHEMA_VERSION] * 2
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]
    con = duckdb.connect()
    con.execute(view_sql(TABLES["accuracies"], part_files(tmp_path, TABLES["accuracies"])))
    assert con.execute("SELECT space, sum(arch_id) FROM accuracies GROUP BY space").fetchall() == [
        ("nb201", 7)]


def test_rows_missing_a_column_are_refused_and_nothing_written(tmp_path):
    with pytest.raises(ValueError, match="accuracy"):
        write_part(tmp_path, "accuracies", accuracy_rows([1], 90.0).drop(["accuracy"]),
                   space="nb201")
    assert not list((tmp_path / "accuracies").rglob("*.parquet"))


def test_replace_partition_leaves_only_the_new_rows(tmp_path):
    write_part(tmp_path, "accuracies", accuracy_rows([1, 2], 80.0), space="nb201")
    replace_partition(tmp_path, "accuracies", accuracy_rows([1], 85.0), space="nb201")
    assert read_table(tmp_path, "accuracies")["accuracy"].to_pylist() == [85.0]


def test_root_of_another_schema_version_is_refused(tmp_path):
    (tmp_path / "naswot_db.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(SchemaVersionError, match="schema version"):
        check_root(tmp_path)
    with pytest.raises(SchemaVersionError):
        write_part(tmp_path, "accuracies", accuracy_rows([1], 80.0), space="nb201")


def test_interrupted_replace_shows_only_the_newest_generation(tmp_path):
    """A crash after the new part landed but before old parts were deleted: no mix is read."""
    replace_partition(tmp_path, "accuracies", accuracy_rows([1, 2], 80.0), space="nb201")
    directory = tmp_path / "accuracies" / "space=nb201"
    kept = {p.name: p.read_bytes() for p in directory.glob("*.parquet")}
    replace_partition(tmp_path, "accuracies", accuracy_rows([1], 85.0), space="nb201")
    for name, payload in kept.items():  # put the old generation back, as if never deleted
        (directory / name).write_bytes(payload)
    assert read_table(tmp_path, "accuracies")["accuracy"].to_pylist() == [85.0]


def test_read_table_gives_null_for_a_nullable_column_older_parts_lack():
    """Shipped NB201 200-epoch accuracies predate eval_time_s (the 12-epoch part beside them has
    it, NULL); reading them must not fail."""
    table = read_table(shipped_root(), "accuracies", space="nb201")
    assert table.num_rows == 15625 * 6 * 2  # six columns at 200 and at 12 epochs
    assert table.column("eval_time_s").null_count == table.num_rows
