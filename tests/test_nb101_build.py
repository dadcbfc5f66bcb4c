"""naswot-db build over ingested NAS-Bench-101 archs: values, flags, shards, resume, configs."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from nb101_files import CELLS, make_runs, write_runs

from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.scoring import naswot_score
from naswot_db.builder.spaces import get_space
from naswot_db.schema.nb101_ids import space_ids
from naswot_db.cli import main
from naswot_db.schema import read_table


@pytest.fixture(scope="module")
def cell_ids() -> list[int]:
    """The arch id of each of CELLS: its position in the space's ascending-hash order."""
    ids = space_ids()
    return [ids[module_hash] for module_hash, _, _ in CELLS]


@pytest.fixture
def nb101_root(tmp_path):
    root = tmp_path / "db"
    ingest_ground_truth("nb101", write_runs(tmp_path / "nasbench_only108.tfrecord", make_runs()),
                        root)
    return root


def build(root, data_root, *extra: str):
    result = CliRunner().invoke(main, [
        "build", "--space", "nb101", "--dataset", "cifar10", "--root", str(root),
        "--data-root", str(data_root), "--batch-size", "8", "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_shards_cover_every_arch_once_and_a_rerun_adds_nothing(nb101_root, cifar10_root,
                                                               cell_ids):
    build(nb101_root, cifar10_root, "--shard", "1/2")
    build(nb101_root, cifar10_root, "--shard", "2/2")
    assert "0 rows written, 4 already stored" in build(nb101_root, cifar10_root)
    stored = read_table(nb101_root, "scores", space="nb101").to_pylist()
    by_id = {row["arch_id"]: row for row in stored}
    assert sorted(by_id) == sorted(cell_ids)
    scores = [by_id[arch_id] for arch_id in cell_ids]
    # CELLS[3] is the cell the reference cannot score (in-place add on a ReLU output)
    assert [row["reference_raises"] for row in scores] == [False, False, False, True]
    assert {row["status"] for row in scores} == {"ok"}

    batch = load_batch(get_dataset("cifar10"), cifar10_root, 0, 8)
    torch.manual_seed(0)
    expected = naswot_score(get_space("nb101").build_model((CELLS[3][1], CELLS[3][2])),
                            batch.images)
    assert scores[3]["value"] == pytest.approx(expected, abs=1e-9)


def test_original_configuration_is_its_own_space_recorded_in_runs(nb101_root, cifar10_root,
                                                                   cell_ids):
    build(nb101_root, cifar10_root, "--arch-ids", str(cell_ids[1]))
    result = CliRunner().invoke(main, [
        "build", "--space", "nb101-original", "--dataset", "cifar10", "--root", str(nb101_root),
        "--data-root", str(cifar10_root), "--batch-size", "8", "--quiet",
        "--arch-ids", str(cell_ids[1])])
    assert result.exit_code == 0, result.output
    [reference] = read_table(nb101_root, "scores", space="nb101").to_pylist()
    [original] = read_table(nb101_root, "scores", space="nb101-original").to_pylist()
    assert reference["config_id"] != original["config_id"]
    assert reference["value"] != original["value"]
    models = {json.loads(run["config"])["model"]["stem_channels"]: run["config_id"]
              for run in read_table(nb101_root, "runs").to_pylist()}
    assert models == {16: reference["config_id"], 128: original["config_id"]}


def test_reingest_of_a_reordered_file_keeps_every_id_and_score(nb101_root, cifar10_root,
                                                                cell_ids):
    build(nb101_root, cifar10_root, "--arch-ids", str(cell_ids[0]))
    before = read_table(nb101_root, "archs", space="nb101").sort_by("arch_id")
    scores = read_table(nb101_root, "scores", space="nb101")
    reordered = write_runs(nb101_root.parent / "reordered.tfrecord", make_runs()[::-1])
    result = CliRunner().invoke(main, ["ingest", "--space", "nb101", "--source", str(reordered),
                                       "--root", str(nb101_root)])
    assert result.exit_code == 0, result.output
    after = read_table(nb101_root, "archs", space="nb101").sort_by("arch_id")
    assert after.select(["arch_id", "arch_str", "encoding"]).equals(
        before.select(["arch_id", "arch_str", "encoding"]))
    assert read_table(nb101_root, "scores", space="nb101").equals(scores)
