"""The NAS-Bench-Suite-Zero proxies against slow, obvious implementations of PROXIES.md.

Each ``slow_*`` function (:mod:`naswot_db.testing.suite_zero_reference`) follows the reference's steps as PROXIES.md section 1 writes
them, the way NASLib's ``find_measures`` runs one proxy: a deep copy of the network, its own
forward/backward, hooks or masks where the reference uses them, explicit per-layer loops.
They share nothing with the production code.  Networks are real NB201, NATS-sss and NB101
networks with one output per class, on small batches of small images.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from nb101_files import CELLS
from torch import nn

from naswot_db.builder.scoring import get_scorer, scorer_class
from naswot_db.builder.scoring.passes import SharedPasses
from naswot_db.builder.spaces import get_space
from naswot_db.builder.spaces.complexity import count_complexity
from naswot_db.core.scores import suite_zero_names
from naswot_db.testing.suite_zero_reference import REFERENCE

CLASSES = 10
NETWORKS = [("nb201", 77), ("nb201", 3021), ("nats-sss", 284),
            ("nb101", (CELLS[1][1], CELLS[1][2]))]


def build(space: str, arch, num_classes: int = CLASSES) -> nn.Module:
    torch.manual_seed(0)
    return get_space(space).build_model(arch, num_classes=num_classes)


def batch(size: int = 8, side: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(5)
    images = torch.randn(size, 3, side, side, generator=generator)
    labels = torch.tensor([0, 1, 1, 2, 2, 2, 3, 7][:size])  # classes seen 1, 2 and 3 times
    return images, labels


# zen reads the input of an nn.AdaptiveAvgPool2d, which NB101's network does not have
CASES = [(proxy, space, arch) for proxy in REFERENCE for space, arch in NETWORKS
         if not (proxy == "zen" and space == "nb101")]


@pytest.mark.parametrize("proxy, space, arch", CASES)
def test_proxy_equals_the_slow_implementation(proxy, space, arch):
    net = build(space, arch)
    images, labels = batch()
    expected = REFERENCE[proxy](net, images, labels)
    scorer = get_scorer(proxy)
    result = scorer.score(copy.deepcopy(net) if scorer.changes_weights else net, images, labels)
    assert result.status == "ok", result.error
    assert result.value == pytest.approx(expected, rel=1e-6)


def test_every_suite_zero_proxy_shares_passes_bit_for_bit():
    """One network, one SharedPasses, the 13 in a row == each alone on a fresh network."""
    images, labels = batch()
    net = build("nb201", 1000)
    passes = SharedPasses(net, images, labels)
    for name in suite_zero_names():
        scorer = get_scorer(name)
        fresh = scorer.changes_weights
        shared = scorer.score(copy.deepcopy(net) if fresh else net, images, labels,
                              passes=None if fresh else passes)
        alone = get_scorer(name).score(build("nb201", 1000), images, labels)
        assert shared.status == alone.status == "ok", (name, shared.error, alone.error)
        assert shared.value == alone.value, name


def test_nwot_codes_from_the_loss_pass_equal_a_forward_without_labels():
    images, labels = batch()
    net = build("nb201", 77)
    with_labels = get_scorer("nwot").score(net, images, labels).value
    assert get_scorer("nwot").score(net, images, None).value == with_labels


def test_shared_passes_do_not_change_the_weights():
    images, labels = batch()
    net = build("nb201", 77)
    before = {k: v.clone() for k, v in net.named_parameters()}
    passes = SharedPasses(net, images, labels)
    for name in ("grad_norm", "grasp", "jacov", "nwot", "flops"):
        get_scorer(name).score(net, images, labels, passes=passes)
    assert all(torch.equal(p, before[k]) for k, p in net.named_parameters())
    assert all(p.grad is None for p in net.parameters())


def test_flops_and_params_equal_the_published_suite_zero_counts():
    """NB201 arch 0 on CIFAR-10, as NAS-Bench-Suite-Zero stores it: params 0.129306,
    flops 17.958592 (tensorwatch's count, millions); arch 100: 0.802426 and 116.692672."""
    images = torch.ones(2, 3, 32, 32)
    for arch, params, flops in ((0, 0.129306, 17.958592), (100, 0.802426, 116.692672)):
        net = build("nb201", arch)
        assert get_scorer("params").score(net, images).value == pytest.approx(params, abs=1e-12)
        assert get_scorer("flops").score(net, images).value == pytest.approx(flops, abs=1e-12)
        assert get_space("nb201").complexity(arch, num_classes=CLASSES) == (
            round(params * 1e6), round(flops * 1e6))


def test_complexity_counts_each_layer_type_by_the_tensorwatch_rules():
    class WithUnused(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2, 2),
                nn.Conv2d(4, 6, 1, bias=False, groups=2), nn.AdaptiveAvgPool2d(1),
                nn.Flatten(), nn.Linear(6, 5))
            self.unused = nn.Conv2d(9, 9, 1)  # never called: counts nothing

        def forward(self, x):
            return self.body(x)

    net = WithUnused()
    params, flops = count_complexity(net, (3, 8, 8))
    expected_flops = (3 * 3 * 3 * 4 * 64 + 4 * 64  # conv with bias
                      + 4 * 64 * 2                 # affine BN
                      + 4 * 64                     # ReLU
                      + 4 * 4 * 4 * 2 * 2          # 2x2 average pool, 4x4 out
                      + 1 * 1 * 4 * 3 * 16         # grouped 1x1: C_in * C_out / groups
                      + 6 * (4 + 1) * (4 + 1)      # adaptive pool window 4x4, +1 each side
                      + 6 * 5)                     # Linear without its bias
    assert flops == expected_flops
    assert params == (3 * 9 * 4 + 4) + 8 + 2 * 6 + (6 * 5 + 5)


def test_synflow_log_compression_and_the_nan_sentinel_are_settings():
    images, labels = batch()
    net = build("nb201", 77)
    raw = get_scorer("synflow").score(copy.deepcopy(net), images).value
    logged = scorer_class("synflow")(log_compress=True)
    assert logged.score(copy.deepcopy(net), images).value == pytest.approx(math.log(raw))
    assert logged.settings() != get_scorer("synflow").settings()
    # every edge 'none': the output ignores the input, jacov's correlations are NaN
    dead = build("nb201", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert get_scorer("jacov").score(dead, images, labels).status == "error"
    sentinel = scorer_class("jacov")(nan_sentinel=-1e8)
    assert sentinel.score(dead, images, labels).value == -1e8


def test_a_proxy_that_cannot_run_says_why_in_its_error_row():
    images, labels = batch()
    zen = get_scorer("zen").score(build("nb101", (CELLS[1][1], CELLS[1][2])), images)
    assert zen.status == "error" and "AdaptiveAvgPool2d" in zen.error
    one_unit = build("nb201", 77, num_classes=None)
    loss = get_scorer("snip").score(one_unit, images, labels)
    assert loss.status == "error" and "one output per class" in loss.error
    unlabelled = get_scorer("grad_norm").score(build("nb201", 77), images, None)
    assert unlabelled.status == "error" and "labels" in unlabelled.error
