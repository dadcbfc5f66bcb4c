"""A root stays right: each key once, locks, check, compact, one-switch ingest, read-only SQL,
and every bad input one error line with the root unchanged."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.schema import replace_partitions, write_part
from naswot_db.schema.locks import LockHeldError, exclusive
from naswot_db.schema.atomic import temp_name
from naswot_db.schema.layout import part_files, partition_dir
from naswot_db.schema.tables import SCORES


def snapshot(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def count(root, sql: str) -> int:
    with connect(root) as connection:
        return connection.execute(sql).fetchall()[0][0]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def one_error_line(result) -> str:
    """The one ``Error:`` line of a failed command (notes about shipped data aside)."""
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("Note:")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def toy_scores(root, copies: int = 1, arch_ids=(0, 1, 2)):
    for _ in range(copies):
        write(root, "scores", score_part("toy", list(arch_ids), [3.0, 1.0, 2.0][:len(arch_ids)]),
              "toy")


# --- each key once ------------------------------------------------------------------------------

def test_a_copied_in_duplicate_part_counts_once_and_check_reports_it(tmp_path):
    toy_scores(tmp_path, copies=3)
    assert count(tmp_path, "SELECT count(*) FROM scores WHERE space = 'toy'") == 3
    result = invoke("check", "--root", str(tmp_path))
    assert result.exit_code == 1
    assert "scores/space=toy: 3 score keys stored more than once (6 extra rows" in result.output


def test_compact_merges_parts_drops_duplicates_and_leaves_check_clean(tmp_path):
    toy_scores(tmp_path, copies=2)
    write(tmp_path, "scores", score_part("toy", [3, 4], [5.0, 6.0], init_seed=1), "toy")
    before = connect(tmp_path).sql("SELECT * EXCLUDE (run_id) FROM scores WHERE space = 'toy' "
                                   "ORDER BY ALL").fetchall()
    directory = partition_dir(tmp_path, SCORES, "toy")
    old_parts = sorted(directory.glob("*.parquet"))
    result = invoke("compact", "--root", str(tmp_path))
    assert result.exit_code == 0 and "toy: 3 parts, 8 rows -> 1 parts, 5 rows" in result.output
    assert all(p.exists() for p in old_parts)  # kept, hidden, for queries that listed them
    parts = part_files(tmp_path, SCORES, "toy")
    assert len(parts) == 1 and parts[0].name.startswith("compact-")
    assert pq.read_metadata(parts[0]).num_rows == 5
    after = connect(tmp_path).sql("SELECT * EXCLUDE (run_id) FROM scores WHERE space = 'toy' "
                                  "ORDER BY ALL").fetchall()
    assert after == before
    assert invoke("check", "--root", str(tmp_path)).exit_code == 0
    again = invoke("compact", "--root", str(tmp_path), "--grace", "0")
    assert "toy: 1 parts, 5 rows -> 1 parts, 5 rows; 3 replaced parts deleted" in again.output
    assert sorted(p.name for p in directory.iterdir()) == [parts[0].name]


def test_a_part_added_after_compaction_is_deduplicated_with_it(tmp_path):
    toy_scores(tmp_path, copies=2)
    assert invoke("compact", "--root", str(tmp_path)).exit_code == 0
    toy_scores(tmp_path)  # the same keys again, e.g. copied in from another root
    assert count(tmp_path, "SELECT count(*) FROM scores WHERE space = 'toy'") == 3


def test_runs_view_counts_the_rows_present(tmp_path):
    """A killed run's own row says 0; the view counts what it wrote."""
    part = score_part("toy", [0, 1, 2], [1.0, 2.0, 3.0])
    write(tmp_path, "scores", part.set_column(part.schema.get_field_index("run_id"), "run_id",
                                              pa.array(["killed"] * 3)), "toy")
    write_part(tmp_path, "runs", pa.Table.from_pylist([{
        "run_id": "killed", "started_at": datetime.now(timezone.utc), "finished_at": None,
        "host": "h", "device": "cpu", "torch_version": "t", "package_versions": "{}",
        "precision": "fp32", "config": "{}", "config_id": "cfg", "data_fingerprint": "{}",
        "rows_written": 0}]), part_name="killed")
    assert count(tmp_path, "SELECT rows_written FROM runs WHERE run_id = 'killed'") == 3
    assert invoke("check", "--root", str(tmp_path)).exit_code == 0  # unfinished: not a finding


# --- locks --------------------------------------------------------------------------------------

def test_a_held_lock_names_host_and_pid_and_dies_with_its_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from naswot_db.schema.locks import exclusive\n"
         f"with exclusive({str(tmp_path)!r}, 'build-x', 'a build'):\n"
         "    print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError, match=f"host {socket.gethostname()}, pid {holder.pid}"):
            with exclusive(tmp_path, "build-x", "a build"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with exclusive(tmp_path, "build-x", "a build"):  # the kernel released it with the holder
        pass


# --- check --------------------------------------------------------------------------------------

def test_check_reports_foreign_parts_stray_temps_and_generations(tmp_path):
    toy_scores(tmp_path)
    directory = partition_dir(tmp_path, SCORES, "toy")
    pq.write_table(pa.table({"x": [1, 2]}), directory / "foreign.parquet")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stray = directory / temp_name("part.parquet").replace(f"-{os.getpid()}-", f"-{dead}-")
    stray.write_bytes(b"half a part")
    (directory / temp_name("live.parquet")).write_bytes(b"being written by this process")
    replace_partitions(tmp_path, {"archs": arch_part("toy", [0])}, "toy")
    write_part(tmp_path, "archs", arch_part("toy", [0]), space="toy",
               part_name="gen00000009-leftover")
    result = invoke("check", "--root", str(tmp_path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any("foreign.parquet: not a scores part (lacks columns" in line for line in lines)
    assert any(stray.name in line and "killed writer" in line for line in lines)
    assert not any("live.parquet" in line for line in lines)
    assert any("archs/space=toy: parts of generations [9] besides the current 1" in line
               for line in lines)
    assert len(lines) == 4, result.output


def test_a_foreign_parquet_file_is_reported_not_read_as_nulls(tmp_path):
    toy_scores(tmp_path)
    pq.write_table(pa.table({"arch_id": [7], "other": ["x"]}),
                   partition_dir(tmp_path, SCORES, "toy") / "foreign.parquet")
    line = one_error_line(invoke("sql", "SELECT count(*) FROM scores", "--root", str(tmp_path)))
    assert "foreign.parquet: not a scores part (lacks columns" in line


def test_a_part_whose_parquet_schema_matches_but_arrow_types_differ_is_reported(tmp_path):
    """The footer check's fast path compares the Arrow schema too, not only the Parquet one."""
    toy_scores(tmp_path)
    [part] = part_files(tmp_path, SCORES)
    rows = pq.read_table(part)
    retyped = rows.set_column(rows.schema.get_field_index("config_id"),
                              pa.field("config_id", pa.large_string(), nullable=False),
                              rows["config_id"].cast(pa.large_string()))
    pq.write_table(retyped, part.with_name("retyped.parquet"))
    line = one_error_line(invoke("sql", "SELECT count(*) FROM scores", "--root", str(tmp_path)))
    assert "retyped.parquet: not a scores part (config_id is large_string, expected string)" in line


def test_an_archs_part_in_the_scores_folder_is_reported(tmp_path):
    toy_scores(tmp_path)
    source = write_part(tmp_path, "archs", arch_part("toy", [0]), space="toy")
    shutil.move(source, partition_dir(tmp_path, SCORES, "toy") / "moved.parquet")
    line = one_error_line(invoke("corr", "--root", str(tmp_path)))
    assert "moved.parquet: a part of table archs, not scores" in line


# --- one ingest, one switch ---------------------------------------------------------------------

def test_new_generations_are_invisible_until_the_pointer_names_them(tmp_path):
    """The state a kill between the two table writes leaves: readers see the old pair."""
    replace_partitions(tmp_path, {"archs": arch_part("toy", [0, 1]),
                                  "accuracies": accuracy_part("toy", [0, 1], [50.0, 60.0],
                                                              dataset="cifar10", split="x")},
                       "toy")
    write_part(tmp_path, "archs", arch_part("toy", [0, 1, 2]), space="toy",
               part_name="gen00000002-killed")  # the next ingest's first table, not switched
    assert count(tmp_path, "SELECT count(*) FROM archs WHERE space = 'toy'") == 2
    assert count(tmp_path, "SELECT count(*) FROM accuracies WHERE space = 'toy'") == 2
    pointer = json.loads((tmp_path / "generations" / "toy.json").read_text())
    assert pointer == {"accuracies": 1, "archs": 1}


def test_a_killed_first_ingest_shows_nothing_rather_than_half(tmp_path):
    pointer = tmp_path / "generations" / "toy.json"  # what an ingest pins before its first part
    pointer.parent.mkdir(parents=True)
    pointer.write_text(json.dumps({"accuracies": 0, "archs": 0}))
    write_part(tmp_path, "archs", arch_part("toy", [0, 1]), space="toy",
               part_name="gen00000001-killed")
    assert count(tmp_path, "SELECT count(*) FROM archs WHERE space = 'toy'") == 0


# --- read-only SQL ------------------------------------------------------------------------------

@pytest.fixture
def scored_root(tmp_path):
    toy_scores(tmp_path)
    write(tmp_path, "archs", arch_part("toy", [0, 1, 2]), "toy")
    return tmp_path


@pytest.mark.parametrize("statement, refused", [
    ("COPY (SELECT * FROM scores) TO '{root}/scores/space=toy/planted.parquet'", "COPY"),
    ("COPY (SELECT 1) TO '{root}/../elsewhere.csv'", "COPY"),
    ("ATTACH '{root}/../other.duckdb'", "ATTACH"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("SET threads = 1", "SET"),
    ("SELECT 1; SELECT 2", "exactly one SQL statement"),
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{root}/../x.csv'", "COPY"),
    ("/* a comment first */ COPY (SELECT 1) TO '{root}/../x.csv'", "not COPY"),
    ("SELECT * FROM read_csv('/etc/passwd')", "Permission Error"),
    ("SELECT * FROM read_text('{root}/naswot_db.json')", "Permission Error"),
    ("SELECT * FROM glob('/etc/*')", "Permission Error"),
])
def test_sql_refuses_what_is_not_one_read_and_leaves_the_root(scored_root, statement, refused):
    before = snapshot(scored_root.parent)
    result = invoke("sql", statement.format(root=scored_root), "--root", str(scored_root))
    assert refused in one_error_line(result)
    assert snapshot(scored_root.parent) == before


@pytest.mark.parametrize("statement", [
    "SELECT count(*) FROM scores", "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
    "EXPLAIN SELECT * FROM scores", "DESCRIBE scores", "SUMMARIZE archs", "SHOW TABLES",
    "PIVOT (SELECT space, status FROM scores) ON status USING count(*)", "FROM scored LIMIT 1",
])
def test_sql_runs_reading_statements(scored_root, statement):
    result = invoke("sql", statement, "--root", str(scored_root))
    assert result.exit_code == 0, result.output


def test_user_connections_cannot_touch_other_files(scored_root):
    import duckdb

    with connect(scored_root) as connection:
        with pytest.raises(duckdb.PermissionException):
            connection.execute(f"COPY (SELECT 1) TO '{scored_root}/scores/space=toy/x.parquet'")
        with pytest.raises(duckdb.Error, match="locked"):
            connection.execute("SET enable_external_access = true")
    assert not (scored_root / "scores" / "space=toy" / "x.parquet").exists()


# --- bad inputs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("content", ["[]", "null", '"1"', '{"schema_version": "1"}', "{", "{}"])
def test_a_bad_manifest_is_one_line_for_every_command(tmp_path, content):
    toy_scores(tmp_path)
    (tmp_path / "naswot_db.json").write_text(content)
    before = snapshot(tmp_path)
    for args in (["sql", "SELECT 1"], ["corr"], ["search"], ["compact"],
                 ["build", "--space", "nb201", "--dataset", "cifar10", "--limit", "1"]):
        line = one_error_line(invoke(*args, "--root", str(tmp_path)))
        assert "naswot_db.json is not a naswot-db manifest" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("args, message", [
    (["build", "--space", "nb201", "--dataset", "cifar10", "--arch-ids", ""], "arch ids"),
    (["build", "--space", "nb201", "--dataset", "cifar10", "--chunk-size", "0"], "chunk-size"),
    (["search", "--seed", "-1"], "seed"),
    (["search", "--n", "1000000", "--runs", "1000"], "32,000,000"),
])
def test_bad_options_are_one_line_and_write_nothing(tmp_path, args, message):
    toy_scores(tmp_path)
    before = snapshot(tmp_path)
    assert message in one_error_line(invoke(*args, "--root", str(tmp_path)))
    assert snapshot(tmp_path) == before


def test_output_into_a_closed_pipe_exits_quietly(tmp_path):
    toy_scores(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "naswot_db", "sql", "SELECT * FROM scores",
                               "--root", str(tmp_path)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert "Error" not in done.stderr and "Traceback" not in done.stderr
    assert done.returncode == 141
