"""Views over a root plus the shipped tables, the SQLAlchemy engine, and `naswot-db sql`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

from naswot_db.cli import main
from naswot_db.query import connect, engine
from naswot_db.schema.sql import sqlalchemy_metadata

SHIPPED_NB201_ROWS = 15625 * 6 * 2  # six columns at 200 and at 12 epochs


def _count(connection, sql: str) -> int:
    return connection.execute(sql).fetchall()[0][0]


def test_shipped_ground_truth_fills_spaces_the_root_lacks(tmp_path):
    write(tmp_path, "scores", score_part("nb201", [0, 1, 2], [3.0, 1.0, 2.0]), "nb201")
    write(tmp_path, "accuracies", accuracy_part("nats-sss", [0], [50.0], dataset="cifar10",
                                                split="ori-test"), "nats-sss")
    with connect(tmp_path) as connection:
        assert _count(connection, "SELECT count(*) FROM accuracies WHERE space = 'nb201'") \
            == SHIPPED_NB201_ROWS
        assert _count(connection, "SELECT count(*) FROM accuracies WHERE space = 'nats-sss'") == 1
        assert _count(connection, "SELECT count(*) FROM archs WHERE space = 'nb201'") == 15625
        # scored: each score row joined with its arch and every ground-truth value
        joined = connection.sql("SELECT arch_id, value, arch_str, acc_dataset, acc_split, "
                                "accuracy FROM scored ORDER BY arch_id").df()
        assert len(joined) == 3 * 12 and joined["arch_str"].notna().all()


def test_an_ingest_into_the_root_replaces_the_shipped_rows_of_its_keys(tmp_path):
    """Own rows win on their keys and the shipped rows of the other keys of that column stay
    (issue #24 item 15: a 2-arch ingest replaced all 15,625 archs' ground truth before); the
    shipped columns the root has no rows of, and the shipped arch list, are left out, as
    before."""
    write(tmp_path, "accuracies", accuracy_part("nb201", [0, 1], [10.0, 20.0], dataset="cifar10",
                                                split="ori-test"), "nb201")
    write(tmp_path, "archs", arch_part("nb201", [0, 1]), "nb201")
    with connect(tmp_path) as connection:
        rows = connection.sql("SELECT arch_id, accuracy FROM accuracies WHERE space = 'nb201' "
                              "ORDER BY arch_id").fetchall()
        assert rows[:2] == [(0, 10.0), (1, 20.0)] and len(rows) == 15625
        assert rows[2][0] == 2 and rows[2][1] != 10.0
        assert _count(connection, "SELECT count(DISTINCT (dataset, split, epochs)) FROM "
                                  "accuracies WHERE space = 'nb201'") == 1
        assert _count(connection, "SELECT count(*) FROM archs WHERE space = 'nb201'") == 2


def test_engine_serves_pandas_and_sqlalchemy_select(tmp_path):
    write(tmp_path, "scores", score_part("nats-sss", [0, 1, 2], [3.0, -np.inf, np.nan]), "nats-sss")
    sql_engine = engine(tmp_path)
    scores = sqlalchemy_metadata().tables["scores"]
    with sql_engine.connect() as connection:
        frame = pd.read_sql(sa.select(scores.c.arch_id, scores.c.status)
                            .where(scores.c.space == "nats-sss").order_by(scores.c.arch_id), connection)
        used = connection.execute(sa.text("SELECT usable_pairs(value, arch_id) FROM scores "
                                                 "WHERE space = 'nats-sss'")).scalar()
    sql_engine.dispose()
    assert frame.to_dict("list") == {"arch_id": [0, 1, 2], "status": ["ok", "singular", "error"]}
    assert used == 1


@pytest.mark.parametrize("fmt, expected", [
    ("csv", "arch_id,value\n0,3.0\n1,1.0"),
    ("markdown", "| arch_id | value |\n|---|---|\n| 0 | 3 |\n| 1 | 1 |"),
    ("table", "arch_id  value\n-------  -----\n0        3\n1        1"),
])
def test_sql_command_formats(tmp_path, fmt, expected):
    write(tmp_path, "scores", score_part("nats-sss", [0, 1], [3.0, 1.0]), "nats-sss")
    result = CliRunner().invoke(main, ["sql", "SELECT arch_id, value FROM scores WHERE space = 'nats-sss' ORDER BY 1",
                                       "--root", str(tmp_path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected
    assert "shipped with naswot-db" in result.stderr  # the scores view holds the shipped NB201


def test_sql_command_json_and_errors(tmp_path):
    write(tmp_path, "scores", score_part("nats-sss", [0], [np.nan]), "nats-sss")
    runner = CliRunner()
    result = runner.invoke(main, ["sql", "SELECT arch_id, value FROM scores WHERE space = 'nats-sss'", "--root",
                                  str(tmp_path), "--format", "json"])
    assert json.loads(result.stdout) == [{"arch_id": 0, "value": None}]
    failed = runner.invoke(main, ["sql", "SELECT * FROM nope", "--root", str(tmp_path)])
    assert failed.exit_code == 1
    lines = failed.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: SQL error: Catalog Error: Table with "
                                                   "name nope does not exist")
    assert "Traceback" not in failed.output
