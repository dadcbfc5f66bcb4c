"""Database roots for the pack / fetch / export tests: a real NB201 build plus NB101 parts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from naswot_db.cli import main
from naswot_db.distribution.own_tables import connect_own
from naswot_db.schema import replace_partition, shipped_root
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

from conftest import write_cifar10

BUILT_ARCHS = 4
# two pruned NB101 cells: (adjacency, ops)
NB101_CELLS = [
    ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]),
    ([[0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
     ["input", "maxpool3x3", "conv1x1-bn-relu", "output"]),
]


def build_nb201(root: Path, data_root: Path) -> None:
    """Score NB201 archs 0-3 with two init seeds (a real build) and store their ground truth
    as ingest would (copied from the shipped NB201 tables)."""
    write_cifar10(data_root)
    result = CliRunner().invoke(main, [
        "build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
        "--data-root", str(data_root), "--batch-size", "4", "--limit", str(BUILT_ARCHS),
        "--init-seeds", "0-1", "--quiet"])
    assert result.exit_code == 0, result.output
    shipped = connect_own(shipped_root())
    for table in ("archs", "accuracies"):
        rows = shipped.sql(f"SELECT * FROM {table} WHERE space = 'nb201' AND arch_id < ?",
                           params=[BUILT_ARCHS]).to_arrow_table()
        replace_partition(root, table, rows, "nb201")
    shipped.close()


def add_nb101(root: Path, values=(10.5, -np.inf)) -> None:
    """Two NB101 archs with pruned-cell encodings, CIFAR-10 valid/test accuracies, scores."""
    archs = arch_part("nb101", [0, 1])
    encodings = [json.dumps({"module_hash": f"h{i}", "adjacency": a, "ops": o})
                 for i, (a, o) in enumerate(NB101_CELLS)]
    archs = archs.set_column(archs.schema.get_field_index("encoding"), "encoding",
                             [encodings])
    write(root, "archs", archs, "nb101")
    for split, accuracy in (("valid", [91.0, 88.0]), ("test", [90.5, 87.0])):
        write(root, "accuracies", accuracy_part("nb101", [0, 1], accuracy, dataset="cifar10",
                                                split=split, epochs=108), "nb101")
    write(root, "scores", score_part("nb101", [0, 1], list(values)), "nb101")


def own_tables(root: Path) -> dict[str, list[tuple]]:
    """Every table of the root's own parts, rows sorted (for equality across roots)."""
    connection = connect_own(root)
    try:
        return {table: connection.sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                for table in ("archs", "accuracies", "scores", "runs")}
    finally:
        connection.close()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes (to show a refused fetch changed nothing)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}
