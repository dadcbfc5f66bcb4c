"""pycls's AnyNet (NDS ResNet, ResNeXt and Vanilla spaces) as NASWOT builds it.

NASWOT's overrides: 1 output, no squeeze-excitation, stem width 12, and an ImageNet stem
(``res_stem_in`` for ResNet/ResNeXt names, ``simple_stem_in`` otherwise) even for CIFAR.  Modules
are built with PyTorch's default initialisation (which draws from the RNG) and then re-drawn in
module order by pycls's ``init_weights``: that double draw decides the weights.  pycls's ReLUs are
in place (``cfg.MEM.RELU_INPLACE``); BN uses eps 1e-5 and momentum 0.1 (pycls defaults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .features import ReturnFeatureLayer

STEM_WIDTH = 12


def _conv_bn_relu(w_in: int, w_out: int, kernel: int, stride: int, groups: int = 1,
                  ) -> tuple[nn.Conv2d, nn.BatchNorm2d, nn.ReLU]:
    return (nn.Conv2d(w_in, w_out, kernel, stride=stride, padding=kernel // 2, groups=groups,
                      bias=False),
            nn.BatchNorm2d(w_out), nn.ReLU(inplace=True))


class _Chain(nn.Module):
    """Runs its children in registration order, as pycls's stems and transforms do."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = layer(x)
        return x


class ResStemIN(_Chain):
    """7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max pool."""

    def __init__(self, w_in: int, w_out: int) -> None:
        super().__init__()
        self.conv, self.bn, self.relu = _conv_bn_relu(w_in, w_out, 7, 2)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)


class SimpleStemIN(_Chain):
    """3x3 stride-2 conv, BN, ReLU."""

    def __init__(self, w_in: int, w_out: int) -> None:
        super().__init__()
        self.conv, self.bn, self.relu = _conv_bn_relu(w_in, w_out, 3, 2)


def _no_bottleneck(kind: str, bm: float | None, gw: int | None) -> None:
    if bm is not None or gw is not None:
        raise ValueError(f"{kind} takes no bottleneck multiplier or group width "
                         f"(got bot_muls {bm}, num_gs {gw}); pycls asserts this")


class VanillaBlock(_Chain):
    """[3x3 conv, BN, ReLU] x 2, no residual (NDS ``double_plain_block``)."""

    def __init__(self, w_in: int, w_out: int, stride: int, bm: float | None = None,
                 gw: int | None = None) -> None:
        _no_bottleneck("vanilla_block", bm, gw)
        super().__init__()
        self.a, self.a_bn, self.a_relu = _conv_bn_relu(w_in, w_out, 3, stride)
        self.b, self.b_bn, self.b_relu = _conv_bn_relu(w_out, w_out, 3, 1)


class BasicTransform(_Chain):
    """3x3 conv, BN, ReLU, 3x3 conv, BN."""

    def __init__(self, w_in: int, w_out: int, stride: int) -> None:
        super().__init__()
        self.a, self.a_bn, self.a_relu = _conv_bn_relu(w_in, w_out, 3, stride)
        self.b = nn.Conv2d(w_out, w_out, 3, stride=1, padding=1, bias=False)
        self.b_bn = nn.BatchNorm2d(w_out)


class BottleneckTransform(_Chain):
    """1x1, grouped 3x3 (groups = bottleneck width // gw, as pycls computes it), 1x1."""

    def __init__(self, w_in: int, w_out: int, stride: int, bm: float, gw: int) -> None:
        super().__init__()
        w_b = int(round(w_out * bm))
        groups = w_b // gw
        self.a, self.a_bn, self.a_relu = _conv_bn_relu(w_in, w_b, 1, 1)
        self.b, self.b_bn, self.b_relu = _conv_bn_relu(w_b, w_b, 3, stride, groups)
        self.c = nn.Conv2d(w_b, w_out, 1, stride=1, padding=0, bias=False)
        self.c_bn = nn.BatchNorm2d(w_out)


class _ResidualBlock(nn.Module):
    """x + F(x) (projected by a 1x1 conv + BN when the shape changes), then ReLU."""

    def _add_projection(self, w_in: int, w_out: int, stride: int) -> None:
        self.proj_block = w_in != w_out or stride != 1
        if self.proj_block:
            self.proj = nn.Conv2d(w_in, w_out, 1, stride=stride, padding=0, bias=False)
            self.bn = nn.BatchNorm2d(w_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.bn(self.proj(x)) if self.proj_block else x
        return self.relu(shortcut + self.f(x))


class ResBasicBlock(_ResidualBlock):
    def __init__(self, w_in: int, w_out: int, stride: int, bm: float | None = None,
                 gw: int | None = None) -> None:
        _no_bottleneck("res_basic_block", bm, gw)
        super().__init__()
        self._add_projection(w_in, w_out, stride)
        self.f = BasicTransform(w_in, w_out, stride)
        self.relu = nn.ReLU(inplace=True)


class ResBottleneckBlock(_ResidualBlock):
    def __init__(self, w_in: int, w_out: int, stride: int, bm: float | None = 1.0,
                 gw: int | None = 1) -> None:
        super().__init__()
        self._add_projection(w_in, w_out, stride)
        self.f = BottleneckTransform(w_in, w_out, stride, bm, gw)
        self.relu = nn.ReLU(inplace=True)


# NDS block_type -> block class (NASWOT maps double_plain_block to vanilla_block)
BLOCKS: dict[str, type[nn.Module]] = {
    "vanilla_block": VanillaBlock,
    "double_plain_block": VanillaBlock,
    "res_basic_block": ResBasicBlock,
    "res_bottleneck_block": ResBottleneckBlock,
}


class AnyStage(_Chain):
    """``depth`` blocks; the first one takes the stride and the width change."""

    def __init__(self, w_in: int, w_out: int, stride: int, depth: int, block: type[nn.Module],
                 bm: float | None, gw: int | None) -> None:
        super().__init__()
        for i in range(depth):
            self.add_module(f"b{i + 1}", block(w_in if i == 0 else w_out, w_out,
                                               stride if i == 0 else 1, bm, gw))


class AnyHead(nn.Module):
    """Global average pool, then the (wrapped) Linear."""

    def __init__(self, w_in: int, num_classes: int) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = ReturnFeatureLayer(nn.Linear(w_in, num_classes, bias=True))

    def forward(self, x: torch.Tensor):
        x = self.avg_pool(x)
        return self.fc(x.view(x.size(0), -1))


@dataclass(frozen=True)
class AnyNetConfig:
    """An NDS AnyNet ``net`` object after NASWOT's renames (bot_muls -> bms, num_gs -> gws)."""

    block_type: str
    ds: tuple[int, ...]
    ws: tuple[int, ...]
    ss: tuple[int, ...]
    bms: tuple[float, ...] = ()
    gws: tuple[int, ...] = ()


class AnyNet(_Chain):
    """Stem, one AnyStage per entry of ds/ws/ss, head; children run in order."""

    static_forward = True  # the same torch calls on every batch of one shape (a tape may replay)

    def __init__(self, config: AnyNetConfig, res_stem: bool, num_classes: int = 1,
                 stem_width: int = STEM_WIDTH) -> None:
        super().__init__()
        stages = len(config.ds)
        bms = config.bms or (None,) * stages
        gws = config.gws or (None,) * stages
        self.stem = (ResStemIN if res_stem else SimpleStemIN)(3, stem_width)
        block = BLOCKS[config.block_type]
        w_prev = stem_width
        for i, (d, w, s, bm, gw) in enumerate(zip(config.ds, config.ws, config.ss, bms, gws)):
            self.add_module(f"s{i + 1}", AnyStage(w_prev, w, s, d, block, bm, gw))
            w_prev = w
        self.head = AnyHead(w_prev, num_classes)
        self.apply(init_weights)


@torch.no_grad()
def init_weights(module: nn.Module) -> None:
    """pycls ``init_weights``: conv N(0, 2/(k*k*out)), BN 1/0, Linear N(0, 0.01) and bias 0."""
    if isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
        module.weight.normal_(mean=0.0, std=math.sqrt(2.0 / fan_out))
    elif isinstance(module, nn.BatchNorm2d):
        module.weight.fill_(1.0)
        module.bias.zero_()
    elif isinstance(module, nn.Linear):
        module.weight.normal_(mean=0.0, std=0.01)
        module.bias.zero_()
