"""Real NB101 cells against the shipped space (runs with NASWOT_DB_VALIDATION_DATA only): the 52
official records and the 552 labelled rows of the validation data are found by hash, as the same
cells, with the benchmark's parameter counts and test accuracies, and their networks score."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from conftest import validation_data

from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.scoring import naswot_score
from naswot_db.builder.spaces import get_space
from naswot_db.builder.spaces.nb101.graph import pruned_spec
from naswot_db.builder.spaces.nb101.space import ids_by_hash, shipped_arch_table
from naswot_db.core.nb101_cell import cell_hash
from naswot_db.schema import read_table, shipped_root


@pytest.fixture(scope="module")
def data():
    return validation_data()


@pytest.fixture(scope="module")
def shipped():
    archs = shipped_arch_table()
    accuracies = read_table(shipped_root(), "accuracies", space="nb101").sort_by("arch_id")
    return archs, ids_by_hash(archs), accuracies.column("accuracy").to_numpy()


def _shipped_cell(archs, arch_id: int) -> tuple[list[list[int]], list[str]]:
    cell = json.loads(archs.column("encoding")[arch_id].as_py())
    return cell["adjacency"], cell["ops"]


def test_the_52_official_records_are_the_shipped_cells_with_their_labels(data, shipped):
    archs, ids, accuracy = shipped
    records = json.loads((data / "nb101-real-archs" / "nb101_real_archs.json").read_text())
    assert len(records) == 52
    for record in records:
        assert cell_hash(record["adjacency"], record["ops"]) == record["hash"]
        arch_id = ids[record["hash"]]
        assert _shipped_cell(archs, arch_id) == (record["adjacency"], record["ops"])
        assert archs.column("params")[arch_id].as_py() == record["trainable_parameters"]
        tests = [run["final_test_accuracy"] for run in record["computed_stats"]["108"]]
        assert accuracy[arch_id] == pytest.approx(100 * float(np.mean(tests)), rel=1e-15)


def test_the_552_labelled_rows_hash_and_are_found_with_their_test_accuracy(data, shipped):
    archs, ids, accuracy = shipped
    rows = pq.read_table(data / "nb101-labeled" / "nb101_labeled.parquet").to_pylist()
    assert len(rows) == 552
    for row in rows:
        spec = pruned_spec(json.loads(row["adjacency"]), json.loads(row["ops"]))
        assert spec.as_lists() == (json.loads(row["adjacency_pruned"]),
                                   json.loads(row["ops_pruned"]))
        assert cell_hash(*spec.as_lists()) == row["hash"]
        arch_id = ids[row["hash"]]
        assert cell_hash(*_shipped_cell(archs, arch_id)) == row["hash"]
        if row["test_accuracy"] is not None and not math.isnan(row["test_accuracy"]):
            assert accuracy[arch_id] == pytest.approx(row["test_accuracy"], rel=1e-13)


def test_every_real_cell_builds_and_scores_from_its_shipped_id(data, shipped):
    archs, ids, _ = shipped
    rows = pq.read_table(data / "nb101-labeled" / "nb101_labeled.parquet").to_pylist()
    hashes = sorted({row["hash"] for row in rows})
    batch = load_batch(get_dataset("cifar10"), data / "cifar10-jpeg", 0, 8)
    space = get_space("nb101", data / "no-root-here")
    for module_hash in hashes:
        assert space.cell(module_hash) == space.cell(ids[module_hash])
        torch.manual_seed(0)
        score = naswot_score(space.build_model(ids[module_hash]), batch.images)
        assert math.isfinite(score) or score == -math.inf
