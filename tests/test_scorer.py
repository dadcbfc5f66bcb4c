"""The fast single-pass scorer equals the reference's two-pass procedure."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from naswot_db.builder import get_space, naswot_score, score_network
from naswot_db.builder.scoring import is_reference_hooked
from naswot_db.builder.spaces.ops import ReLUConvBN

from naswot_db.testing.reference_naswot import fast_and_reference_scores


def golden_input() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(128, 3, 32, 32)


def test_golden_nb201_scores_are_reproduced(golden):
    space = get_space("nb201")
    x = golden_input()
    entries = [e for e in golden["entries"] if e["space"] == "nb201"]
    assert len(entries) == 8
    for entry in entries:
        torch.manual_seed(entry["init_seed"])
        model = space.build_model(entry["arch_str"])
        assert naswot_score(model, x) == pytest.approx(entry["score"], abs=0.01)


@pytest.mark.parametrize("arch_id", [9, 284, 7001, 15624])
def test_fast_scorer_equals_reference_procedure_on_nb201_cells(arch_id):
    space = get_space("nb201")
    torch.manual_seed(3)
    x = torch.randn(16, 3, 32, 32)
    fast, slow = fast_and_reference_scores(lambda: space.build_model(arch_id), x)
    assert fast == pytest.approx(slow, abs=1e-6)


class DeadBranchNet(nn.Module):
    """One ReLU branch feeds the output; another is computed and dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.live = ReLUConvBN(4, 4, 3, 1, 1)
        self.dead = nn.Sequential(nn.ReLU(), nn.Conv2d(4, 4, 1))
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        x = self.stem(x)
        self.dead(x)
        features = self.live(x).mean(dim=(2, 3))
        return self.head(features), features


class SharedReLUNet(nn.Module):
    """A ReLU module called twice; only its second call reaches the output."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 3, 3, padding=1)
        self.relu = nn.ReLU()
        self.head = nn.Linear(3 * 8 * 8, 1)

    def forward(self, x):
        x = self.stem(x)
        self.relu(-x)
        features = self.relu(x).flatten(1)
        return self.head(features), features


class AllDeadNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.head = nn.Linear(3 * 8 * 8, 1)

    def forward(self, x):
        self.relu(x)
        return self.head(x.flatten(1)), x


def test_reference_hook_rule_mirrors_class_names():
    assert is_reference_hooked(ReLUConvBN(2, 2, 1, 1, 0))
    assert is_reference_hooked(nn.ReLU())
    assert is_reference_hooked(nn.LeakyReLU())
    assert not is_reference_hooked(nn.Conv2d(2, 2, 1))


@pytest.mark.parametrize("net_class", [DeadBranchNet, SharedReLUNet])
def test_fast_scorer_equals_reference_on_hand_made_networks(net_class):
    torch.manual_seed(5)
    x = torch.randn(12, 3, 8, 8)
    fast, slow = fast_and_reference_scores(net_class, x)
    assert math.isfinite(fast)
    assert fast == pytest.approx(slow, abs=1e-9)


def test_dead_branch_is_excluded_and_wrapper_counts_twice():
    """K by hand: the live ReLUConvBN input counted twice (wrapper + inner ReLU), dead never."""
    torch.manual_seed(5)
    x = torch.randn(12, 3, 8, 8)
    torch.manual_seed(0)
    net = DeadBranchNet()
    codes = (net.stem(x) > 0).flatten(1).double().numpy()
    kernel = 2 * (codes @ codes.T + (1 - codes) @ (1 - codes).T)
    assert naswot_score(net, x) == pytest.approx(np.linalg.slogdet(kernel)[1], abs=1e-9)


def test_singular_kernel_scores_minus_inf():
    torch.manual_seed(0)
    x = torch.randn(1, 3, 8, 8).repeat(4, 1, 1, 1)  # identical images: K has rank 1
    result = score_network(DeadBranchNet(), x)
    assert result.value == -math.inf
    assert result.status == "singular"


def test_no_live_relu_is_singular_not_an_error():
    result = score_network(AllDeadNet(), torch.randn(4, 3, 8, 8))
    assert result.status == "singular" and result.value == -math.inf


class TupleOutputNet(nn.Module):
    """Nested tuple output, like an NDS network with an auxiliary head in train mode."""

    def __init__(self) -> None:
        super().__init__()
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(x).flatten(1).sum(1, keepdim=True)
        return (y, y), (y, y)


def test_network_the_reference_cannot_score_gives_nan_with_message():
    result = score_network(TupleOutputNet(), torch.randn(4, 3, 8, 8))
    assert math.isnan(result.value)
    assert result.status == "error"
    assert "not a tensor" in result.error


def test_scorer_leaves_no_hooks_behind():
    net = DeadBranchNet()
    naswot_score(net, torch.randn(4, 3, 8, 8))
    assert all(not m._forward_hooks for m in net.modules())


def test_tf32_settings_are_restored():
    before = torch.backends.cudnn.allow_tf32
    naswot_score(DeadBranchNet(), torch.randn(4, 3, 8, 8), allow_tf32=not before)
    assert torch.backends.cudnn.allow_tf32 == before


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_cpu_pooling_shortcut_is_bit_identical_to_plain_pooling(mode):
    from naswot_db.builder.spaces.ops import Pooling

    x = torch.randn(8, 16, 32, 32)
    plain = (nn.AvgPool2d(3, 1, 1, count_include_pad=False) if mode == "avg"
             else nn.MaxPool2d(3, 1, 1))(x)
    assert torch.equal(Pooling(16, 16, 1, mode)(x), plain)
