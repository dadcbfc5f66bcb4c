"""20-arch builds of a CIFAR and an ImageNet NDS space on files the tests write."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from naswot_db.builder import get_space, naswot_score
from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.runner import BuildConfig, BuildError, run_build
from naswot_db.schema import read_table

from nds_files import family_entries, write_imagenette, write_nds_file

AUX_IDS = (4, 13)


def _build(root: Path, space: str, dataset: str, data_root: Path) -> list[dict]:
    summary = run_build(BuildConfig(space=space, dataset=dataset, root=root, data_root=data_root,
                                    init_seeds=[0], batch_seeds=[0], batch_size=8, limit=20,
                                    progress=False))
    assert summary.rows_written == 20 and summary.rows_skipped == 0
    return sorted(read_table(root, "scores", space).to_pylist(), key=lambda r: r["arch_id"])


def _direct_score(space_name: str, root: Path, dataset: str, data_root: Path,
                  arch_id: int) -> float:
    images = load_batch(get_dataset(dataset), data_root, 0, 8).images
    torch.manual_seed(0)
    return naswot_score(get_space(space_name, root).build_model(arch_id), images)


def test_cifar_nds_build_scores_twenty_archs_and_flags_aux_heads(tmp_path, cifar10_root):
    entries = family_entries("DARTS", 24, seed=5)
    for arch_id in AUX_IDS:
        entries[arch_id]["net"]["aux"] = True
        entries[arch_id]["net"]["depth"] = 3
    path = write_nds_file(tmp_path / "nds_data", "DARTS", entries)
    root = tmp_path / "db"
    ingest_ground_truth("nds-darts", path, root)
    rows = _build(root, "nds-darts", "cifar10", cifar10_root)
    assert [r["arch_id"] for r in rows] == list(range(20))
    for row in rows:
        assert row["dataset"] == "cifar10" and row["batch_size"] == 8
        if row["arch_id"] in AUX_IDS:
            assert row["status"] == "error" and math.isnan(row["value"])
            assert row["reference_raises"] and "not a tensor" in row["error"]
        else:
            assert row["status"] == "ok" and math.isfinite(row["value"])
            assert not row["reference_raises"]
    assert rows[7]["value"] == pytest.approx(
        _direct_score("nds-darts", root, "cifar10", cifar10_root, 7), abs=1e-9)


def test_imagenet_nds_build_scores_twenty_archs_on_imagenette(tmp_path):
    data_root = write_imagenette(tmp_path / "imagenette2", per_class=4)
    path = write_nds_file(tmp_path / "nds_data", "ResNeXt-A_in", family_entries("ResNeXt-A_in", 22))
    root = tmp_path / "db"
    ingest_ground_truth("nds-resnext-a-in", path, root)
    with pytest.raises(BuildError, match="scored on imagenette2, not cifar10"):
        run_build(BuildConfig(space="nds-resnext-a-in", dataset="cifar10", root=root,
                              data_root=tmp_path, limit=1, progress=False))
    rows = _build(root, "nds-resnext-a-in", "imagenette2", data_root)
    assert [r["arch_id"] for r in rows] == list(range(20))
    assert all(r["status"] == "ok" and math.isfinite(r["value"]) for r in rows)
    assert not any(r["reference_raises"] for r in rows)
    assert rows[11]["value"] == pytest.approx(
        _direct_score("nds-resnext-a-in", root, "imagenette2", data_root, 11), abs=1e-9)
