"""A third-party score plug-in: labels reach it, weight changes stay per batch, data-free runs;
one registered only in the build process scores in --workers processes; an installed one is found
by its entry point."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from naswot_db.core import scores as score_catalogue
from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.runner import BuildConfig, BuildError, run_build
from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.spaces import get_space
from naswot_db.schema import read_table

from plugin_scores import LabelRank, OneStepLoss, OutputNorm, register_for_test


@pytest.fixture
def plugins(monkeypatch):
    """Register the test plug-ins for one test only."""
    register_for_test(monkeypatch, OneStepLoss, OutputNorm, LabelRank)


def _build(tmp_path, score, batch_seeds, data_root=None, root_name="db"):
    root = tmp_path / root_name
    run_build(BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=data_root,
                          score=score, arch_ids=[5, 9], batch_seeds=batch_seeds, batch_size=6,
                          progress=False))
    return {(r["arch_id"], r["batch_seed"]): r
            for r in read_table(root, "scores", space="nb201").to_pylist()}


def test_registered_plugin_is_a_known_score(plugins):
    assert score_catalogue.canonical_score("ONE-STEP-LOSS") == "one-step-loss"
    assert isinstance(get_scorer("one-step-loss"), OneStepLoss)


def test_labels_reach_the_score_and_each_batch_gets_a_fresh_network(plugins, tmp_path,
                                                                    cifar10_root):
    together = _build(tmp_path, "one-step-loss", [0, 1], cifar10_root)
    assert {row["status"] for row in together.values()} == {"ok"}
    for batch_seed in (0, 1):  # one build per batch seed: nothing to leak between batches
        alone = _build(tmp_path, "one-step-loss", [batch_seed], cifar10_root, f"alone{batch_seed}")
        for arch_id in (5, 9):
            assert together[(arch_id, batch_seed)]["value"] == alone[(arch_id, batch_seed)]["value"]
    batch = load_batch(get_dataset("cifar10"), cifar10_root, 1, 6, with_labels=True)
    torch.manual_seed(0)
    expected = OneStepLoss().compute(get_space("nb201").build_model(9), batch.images,
                                     batch.labels, allow_tf32=False)
    assert together[(9, 1)]["value"] == expected


def test_a_data_free_score_needs_no_data_root(plugins, tmp_path):
    rows = _build(tmp_path, "output-norm", [0])  # no --data-root, and nothing downloaded
    torch.manual_seed(0)
    model = get_space("nb201").build_model(5)
    with torch.no_grad():
        expected = float(model.train()(torch.ones(6, 3, 32, 32))[0].norm())
    assert rows[(5, 0)]["value"] == expected and math.isfinite(expected)


def test_a_trained_network_is_redrawn_exactly_for_the_next_init_seed(plugins, tmp_path,
                                                                     cifar10_root):
    """With one batch seed the score trains the built network itself; the next init seed's
    weights (re-drawn into that network) must still be a fresh build's."""
    root = tmp_path / "seeds"
    run_build(BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=cifar10_root,
                          score="one-step-loss", arch_ids=[9], init_seeds=[0, 1, 2],
                          batch_size=6, progress=False))
    rows = {r["init_seed"]: r["value"] for r in read_table(root, "scores", "nb201").to_pylist()}
    batch = load_batch(get_dataset("cifar10"), cifar10_root, 0, 6, with_labels=True)
    for init_seed in (0, 1, 2):
        torch.manual_seed(init_seed)
        fresh = get_space("nb201").build_model(9)
        assert rows[init_seed] == OneStepLoss().compute(fresh, batch.images, batch.labels,
                                                        allow_tf32=False)


ROW = ("arch_id", "init_seed", "batch_seed", "value", "status", "score", "config_id")


def _rows(root: Path) -> list[tuple]:
    return sorted(tuple(row[column] for column in ROW)
                  for row in read_table(root, "scores", space="nb201").to_pylist())


def test_a_plugin_registered_here_scores_in_worker_processes(plugins, tmp_path, cifar10_root):
    """Spawned workers start with only the built-in scores; the plug-in's class goes to them."""
    built = {}
    for workers in (1, 2):
        root = tmp_path / f"w{workers}"
        run_build(BuildConfig(space="nb201", dataset="cifar10", root=root,
                              data_root=cifar10_root, score="label-rank", limit=6,
                              init_seeds=[0, 1], batch_size=6, workers=workers, progress=False))
        built[workers] = _rows(root)
    assert built[2] == built[1] and len(built[1]) == 12
    assert {row[4:6] for row in built[1]} == {("ok", "label-rank")}
    assert len({row[3] for row in built[1]}) > 1  # the values tell archs and seeds apart


def test_a_plugin_that_cannot_reach_worker_processes_fails_before_any_write(tmp_path, monkeypatch,
                                                                          cifar10_root):
    class Local(LabelRank):  # defined in a function: spawned workers could never import it
        name = "local-rank"

    register_for_test(monkeypatch, Local)
    root = tmp_path / "db"
    with pytest.raises(BuildError, match="cannot be sent to --workers"):
        run_build(BuildConfig(space="nb201", dataset="cifar10", root=root,
                              data_root=cifar10_root, score="local-rank", limit=2,
                              batch_size=6, workers=2, progress=False))
    assert not root.exists()  # no runs row, no lock file, no folder


def test_an_installed_plugin_is_found_by_its_entry_point(tmp_path, cifar10_root, monkeypatch):
    """A distribution's entry point (group naswot_db.scores) makes its score a --score value of
    a fresh CLI process; the rows equal a build with the plug-in registered in this process."""
    site = tmp_path / "site"
    dist_info = site / "label_rank_plugin-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: label-rank-plugin\n"
                                        "Version: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{score_catalogue.SCORE_PLUGIN_GROUP}]\nlabel-rank = plugin_scores:LabelRank\n")
    tests_dir = str(Path(__file__).parent)
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(site), tests_dir, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "naswot_db", "build", "--space", "nb201", "--dataset",
               "cifar10", "--data-root", str(cifar10_root), "--limit", "3", "--batch-size", "6",
               "--quiet"]
    installed = subprocess.run([*command, "--root", str(tmp_path / "cli"), "--score",
                                "Label_Rank"], env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    plain = subprocess.run([*command, "--root", str(tmp_path / "plain"), "--score",
                            "label-rank"], capture_output=True, text=True)  # not installed
    assert plain.returncode != 0 and "unknown score 'label-rank'" in plain.stderr
    assert "naswot_db.scores" in plain.stderr
    register_for_test(monkeypatch, LabelRank)
    run_build(BuildConfig(space="nb201", dataset="cifar10", root=tmp_path / "api",
                          data_root=cifar10_root, score="label-rank", limit=3, batch_size=6,
                          progress=False))
    assert _rows(tmp_path / "cli") == _rows(tmp_path / "api")
