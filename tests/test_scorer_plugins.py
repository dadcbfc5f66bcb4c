"""A third-party score plug-in: labels reach it, weight changes stay per batch, data-free runs."""

from __future__ import annotations

import math

import pytest
import torch

from naswot_db import names
from naswot_db.builder import scoring
from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.runner import BuildConfig, run_build
from naswot_db.builder.scoring import Scorer, get_scorer, register_scorer
from naswot_db.builder.spaces import get_space
from naswot_db.schema import read_table


class OneStepLoss(Scorer):
    """Squared error against the labels after one SGD step: needs labels, changes weights."""

    name = "one-step-loss"
    citation = "a test plug-in"
    needs_labels = True
    changes_weights = True

    def compute(self, model, images, labels, *, allow_tf32):
        model.train()
        optimiser = torch.optim.SGD(model.parameters(), lr=0.05)
        for _ in range(2):
            optimiser.zero_grad()
            loss = (model(images)[0].squeeze(1) - labels.float()).pow(2).mean()
            loss.backward()
            optimiser.step()
        return loss.item()


class OutputNorm(Scorer):
    """The output's norm on whatever batch it gets: needs no data."""

    name = "output-norm"
    citation = "a test plug-in"
    needs_batch = False

    def compute(self, model, images, labels, *, allow_tf32):
        with torch.no_grad():
            return float(model.train()(images)[0].norm())


@pytest.fixture
def plugins(monkeypatch):
    """Register the test plug-ins for one test only."""
    monkeypatch.setattr(names, "SCORE_NAMES", list(names.SCORE_NAMES))
    monkeypatch.setattr(scoring, "_REGISTRY", dict(scoring._REGISTRY))
    register_scorer(OneStepLoss)
    register_scorer(OutputNorm)


def _build(tmp_path, score, batch_seeds, data_root=None, root_name="db"):
    root = tmp_path / root_name
    run_build(BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=data_root,
                          score=score, arch_ids=[5, 9], batch_seeds=batch_seeds, batch_size=6,
                          progress=False))
    return {(r["arch_id"], r["batch_seed"]): r
            for r in read_table(root, "scores", space="nb201").to_pylist()}


def test_registered_plugin_is_a_known_score(plugins):
    assert names.canonical_score("ONE-STEP-LOSS") == "one-step-loss"
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
