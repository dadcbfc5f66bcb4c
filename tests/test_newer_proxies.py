"""The newer proxies (MeCo, ZiCo, SWAP, TE-NAS, AZ-NAS) against slow implementations written here
from their definitions (PROXIES.md section 2), and built end to end on NB201, NATS-sss, NB101."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from nb101_files import CELLS, make_runs, write_runs
from torch import nn

from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.scoring.seeded_draws import draw_seed
from naswot_db.builder.spaces import get_space
from naswot_db.builder.spaces.nats_cells import parse_arch_str
from naswot_db.builder.spaces.nb201 import LAYER_CHANNELS, resolve_arch
from naswot_db.builder.spaces.tiny_network import DynamicShapeTinyNet
from naswot_db.cli import main
from naswot_db.schema import read_table
from naswot_db.schema.nb101_ids import space_ids
from naswot_db.core.scores import higher_is_better, score_info

NEWER = ["meco", "zico", "swap", "swap_reg", "tenas_ntk", "tenas_lr", "az_expressivity",
         "az_progressivity", "az_trainability"]
# small real networks: NB201 cells, a NATS-sss size, NB101 cells
NETWORKS = [("nb201", 77), ("nb201", 3021), ("nats-sss", "8:16:8:24:8"),
            ("nb101", (CELLS[0][1], CELLS[0][2]))]


def network(space: str, arch, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return get_space(space).build_model(arch)


def batch(count: int, size: int = 8, seed: int = 3) -> torch.Tensor:
    return torch.randn(count, 3, size, size, generator=torch.Generator().manual_seed(seed))


def first_tensor(output):
    return output[0] if isinstance(output, tuple) else output


# ---- slow implementations, from the definitions ----------------------------------------------

def slow_meco(model: nn.Module, image: torch.Tensor) -> float:
    """Every module's output, sample 0 as channels x positions; Pearson correlation of each pair
    of channels written out (float64; a constant channel gives NaN -> 0); the smallest
    eigenvalue of the symmetric matrix; summed over modules."""
    outputs = []
    handles = [m.register_forward_hook(lambda _m, _a, out: outputs.append(first_tensor(out)))
               for m in model.modules()]
    model.train()
    with torch.no_grad():
        model(image)
    for handle in handles:
        handle.remove()
    total = 0.0
    for output in outputs:
        rows = output[0].reshape(output[0].shape[0], -1).double().numpy()
        centred = rows - rows.mean(axis=1, keepdims=True)
        norms = np.sqrt((centred * centred).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = (centred @ centred.T) / np.outer(norms, norms)
        corr[~np.isfinite(corr)] = 0.0
        total += float(np.linalg.eigvalsh(corr).min())
    return total


def slow_zico(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Two gradient samples: the first half's CE gradient g1 and, not zeroed, g1 + g2 (summed in
    float32 as autograd accumulates it); per weight mean |g| over std g (two samples:
    (|a| + |b|) / 2 over |a - b| / 2), summed over the weights with std != 0, log-summed over
    the Conv/Linear layers with a nonzero sum."""
    half = len(images) // 2
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.train()
    grads = []
    for part in (slice(0, half), slice(half, None)):
        model.zero_grad()
        logits, _ = model(images[part])
        nn.functional.cross_entropy(logits, labels[part]).backward()
        grads.append([m.weight.grad.numpy().ravel().copy() for m in layers])
    total = 0.0
    for g1, g2 in zip(*grads):
        a, b = g1.astype(np.float64), (g1 + g2).astype(np.float64)
        std = np.abs(a - b) / 2
        mean_abs = (np.abs(a) + np.abs(b)) / 2
        ratio_sum = sum(mean_abs[k] / std[k] for k in range(len(std)) if std[k] != 0)
        if ratio_sum != 0:
            total += math.log(ratio_sum)
    return total


def relu_codes(model: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """Rows: per input, 1/0 for every unit of every nn.ReLU with a 4-D input (post-ReLU > 0)."""
    outputs = []

    def hook(_module, args, output):
        if args[0].dim() == 4:
            outputs.append((output > 0).reshape(len(inputs), -1).clone())

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    model.train()
    with torch.no_grad():
        model(inputs)
    for handle in handles:
        handle.remove()
    return torch.cat(outputs, 1).numpy().astype(np.uint8)


def redraw(model: nn.Module, generator: torch.Generator, kaiming: bool) -> None:
    """Conv/Linear weights N(0, 1) or N(0, 2 / fan_in), in modules() order; biases 0; BN 1, 0."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                std = math.sqrt(2.0 / fan_in) if kaiming else 1.0
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * std)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()


def slow_swap(model: nn.Module, images: torch.Tensor, repeats: int = 32) -> float:
    """Per repeat: N(0, 1) weights, the set of distinct per-unit patterns over the samples."""
    generator = torch.Generator().manual_seed(draw_seed(model, images, "swap"))
    counts = []
    for _ in range(repeats):
        redraw(model, generator, kaiming=False)
        codes = relu_codes(model, images)
        counts.append(len(np.unique(codes.T, axis=0)))  # distinct columns: unit patterns
    return sum(counts) / repeats


def slow_tenas_lr(model: nn.Module, images: torch.Tensor) -> float:
    generator = torch.Generator().manual_seed(draw_seed(model, images, "tenas_lr"))
    codes = relu_codes(model, torch.randn(images.shape, generator=generator))
    return float(len({row.tobytes() for row in codes}))


def slow_tenas_ntk(model: nn.Module, images: torch.Tensor) -> float:
    """One backward per image of the sum of its logits; the gradients of '*weight*' params."""
    model.train()
    logits, _ = model(images)
    rows = []
    for i in range(len(images)):
        model.zero_grad()
        logits[i].sum().backward(retain_graph=True)
        rows.append(np.concatenate([p.grad.double().numpy().ravel()
                                    for name, p in model.named_parameters()
                                    if "weight" in name and p.grad is not None]))
    gram = np.array(rows) @ np.array(rows).T
    eigenvalues = np.linalg.eigvalsh(gram)
    return eigenvalues[-1] / eigenvalues[0]


def slow_az(model: nn.Module, images: torch.Tensor, blocks: list[nn.Module]) -> tuple:
    """AZ-NAS's three components written out: entropies of the covariance spectra, their
    smallest step, and the mean pair score from per-position outer products (float64)."""
    generator = torch.Generator().manual_seed(draw_seed(model, images, "az_nas"))
    redraw(model, generator, kaiming=True)
    inputs = torch.randn(images.shape, generator=generator)
    features = []
    handles = [b.register_forward_hook(lambda _m, _a, out: features.append(out)) for b in blocks]
    model.train()
    model(inputs)
    for handle in handles:
        handle.remove()
    entropies = []
    for f in features:
        x = f.detach().permute(0, 2, 3, 1).reshape(-1, f.shape[1])
        x = x - x.mean(0)
        s = torch.linalg.eigvalsh(x.T @ x / len(x))
        p = s / s.sum()
        entropies.append(float(-(p * torch.log(p + 1e-8)).sum()))
    pair_scores = []
    for i in range(len(features) - 1, 0, -1):
        signs = torch.bernoulli(torch.full(features[i].shape, 0.5), generator=generator) * 2 - 1
        g_in = torch.autograd.grad(features[i], features[i - 1], signs)[0]
        if g_in.shape[2] != signs.shape[2]:
            g_in = nn.PixelUnshuffle(g_in.shape[2] // signs.shape[2])(g_in)
        b, _, h, w = signs.shape
        mat = np.zeros((g_in.shape[1], signs.shape[1]))
        for n in range(b):
            for y in range(h):
                for x in range(w):
                    mat += np.outer(g_in[n, :, y, x].double().numpy(),
                                    signs[n, :, y, x].double().numpy())
        s = np.linalg.svd(mat / (b * h * w), compute_uv=False).max()
        pair_scores.append(-s - 1 / (s + 1e-6) + 2)
    steps = [entropies[k] - entropies[k - 1] for k in range(1, len(entropies))]
    smallest = math.nan if any(map(math.isnan, steps)) else min(steps)  # NaN wins, as np.min
    values = (sum(entropies), smallest, sum(pair_scores) / len(pair_scores))
    return tuple(-math.inf if math.isnan(v) else v for v in values)  # NaN -> -inf


def blocks_of(model: nn.Module) -> list[nn.Module]:
    if hasattr(model, "cells"):
        return [model.stem, *model.cells]
    return [layer for layer in model.layers if not isinstance(layer, nn.MaxPool2d)]


# ---- equal to the slow implementations -------------------------------------------------------

@pytest.mark.parametrize("space, arch", NETWORKS)
def test_meco_equals_the_slow_implementation(space, arch):
    images = batch(4)
    result = get_scorer("meco").score(network(space, arch), images)
    assert result.status == "ok", result.error
    # the reference's float32 correlations: each rank-deficient one (more channels than
    # positions) has a minimum of 0 +- ~1e-6 against float64's exact 0, over ~100 modules
    assert result.value == pytest.approx(slow_meco(network(space, arch), images[:1]),
                                         rel=1e-6, abs=5e-4)


def ten_class_nb201(arch: int) -> nn.Module:
    torch.manual_seed(0)
    return DynamicShapeTinyNet(LAYER_CHANNELS, parse_arch_str(resolve_arch(arch)[1]),
                               num_classes=10)


@pytest.mark.parametrize("arch", [77, 3021])
def test_zico_equals_the_slow_implementation_on_a_ten_class_network(arch):
    images, labels = batch(8), torch.arange(8) % 10
    result = get_scorer("zico").score(ten_class_nb201(arch), images, labels)
    assert result.status == "ok", result.error
    assert result.value == pytest.approx(slow_zico(ten_class_nb201(arch), images, labels),
                                         rel=1e-6)


def test_zico_on_a_one_output_network_is_an_error_row_that_says_why():
    result = get_scorer("zico").score(network("nb201", 77), batch(8), torch.zeros(8).long())
    assert result.status == "error" and "one output" in result.error


@pytest.mark.parametrize("space, arch", [("nats-sss", "8:8:8:8:8"),
                                         pytest.param("nb201", 77, marks=pytest.mark.slow)])
def test_swap_and_swap_reg_equal_the_slow_implementation(space, arch):
    images = batch(16, size=8)
    swap = get_scorer("swap").score(network(space, arch), images)
    expected = slow_swap(network(space, arch), images)
    assert swap.status == "ok" and swap.value == pytest.approx(expected, rel=1e-6)
    model = network(space, arch)
    thousands = sum(p.numel() for p in model.parameters()) / 1e3
    regular = get_scorer("swap_reg").score(model, images)
    assert regular.value == pytest.approx(
        expected * math.exp(-(thousands - 1500.0) ** 2 / 500000.0), rel=1e-6)


@pytest.mark.parametrize("space, arch", NETWORKS)
def test_tenas_scores_equal_the_slow_implementations(space, arch):
    images = batch(6)
    ntk = get_scorer("tenas_ntk").score(network(space, arch), images)
    assert ntk.status == "ok", ntk.error
    assert ntk.value == pytest.approx(slow_tenas_ntk(network(space, arch), images), rel=1e-6)
    regions = get_scorer("tenas_lr").score(network(space, arch), images)
    assert regions.value == slow_tenas_lr(network(space, arch), images)


@pytest.mark.parametrize("space, arch", NETWORKS)
def test_az_nas_components_equal_the_slow_implementation(space, arch):
    images = torch.ones(8, 3, 16, 16)  # 128 positions at the last stage: full-rank covariances
    model = network(space, arch)
    expected = slow_az(model, images, blocks_of(model))
    assert math.isfinite(expected[2])
    names = ["az_expressivity", "az_progressivity", "az_trainability"]
    values = [get_scorer(name).score(network(space, arch), images).value for name in names]
    assert values[0] == pytest.approx(expected[0], rel=1e-6)
    assert values[1] == pytest.approx(expected[1], rel=1e-5, abs=1e-5)  # a difference of sums
    assert values[2] == pytest.approx(expected[2], rel=1e-6)


# ---- what a build relies on --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["swap", "tenas_lr", "az_expressivity"])
def test_own_draws_depend_on_the_network_and_batch_only(name):
    """Same network and batch: the same value, whatever the global generator did before; the
    draws follow the init seed (tenas_lr counts 16 distinct codes of 16 inputs either way)."""
    images = batch(16)
    first = get_scorer(name).score(network("nats-sss", "8:8:8:8:8"), images).value
    torch.manual_seed(12345)
    torch.randn(100)
    again = get_scorer(name).score(network("nats-sss", "8:8:8:8:8"), images).value
    other_seed = get_scorer(name).score(network("nats-sss", "8:8:8:8:8", seed=1), images).value
    assert again == first
    assert other_seed != first or name == "tenas_lr"


def test_descriptors_say_direction_and_needs():
    assert higher_is_better("tenas_ntk") is False
    assert all(higher_is_better(name) for name in NEWER if name != "tenas_ntk")
    assert score_info("zico").needs_labels and not score_info("meco").needs_labels
    assert not score_info("az_trainability").needs_batch and score_info("swap").changes_weights
    assert all(score_info(name).notes for name in NEWER)


# ---- builds on every space ---------------------------------------------------------------------

def build(root, data_root, space: str, score: str, arch_ids: str) -> str:
    result = CliRunner().invoke(main, [
        "build", "--space", space, "--dataset", "cifar10", "--score", score, "--root", str(root),
        "--data-root", str(data_root), "--batch-size", "8", "--arch-ids", arch_ids, "--quiet"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("score", [pytest.param(name, marks=() if name == "meco"
                                                 else pytest.mark.slow) for name in NEWER])
def test_each_newer_score_builds_on_nb201_nats_sss_and_nb101(tmp_path, cifar10_root, score):
    root = tmp_path / "db"
    ingest_ground_truth("nb101", write_runs(tmp_path / "nasbench_only108.tfrecord", make_runs()),
                        root)
    cell = str(space_ids()[CELLS[0][0]])  # the arch id of an ingested NB101 cell
    spaces = [("nb201", "77"), ("nats-sss", "0"), ("nb101", cell)]
    for space, arch_ids in spaces:  # zico: the build gives it a ten-class head (class_head)
        build(root, cifar10_root, space, score, arch_ids)
        [row] = read_table(root, "scores", space=space).to_pylist()
        assert row["score"] == score
        assert row["status"] == "ok", row["error"]
        assert math.isfinite(row["value"])
        assert "0 rows written, 1 already stored" in build(root, cifar10_root, space, score,
                                                           arch_ids)
