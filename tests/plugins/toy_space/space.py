"""The toy space's networks: conv-BN-ReLU layers of the arch's widths, pooled, one linear head."""

import itertools
from pathlib import Path

import pyarrow as pa
import torch
from torch import nn

from naswot_db.builder.spaces.base import GroundTruth, Space, SpaceError, listed_arch_table

from .descriptor import LAYERS, WIDTHS, format_widths, parse

ARCH_STRS = tuple(format_widths(widths) for widths in itertools.product(WIDTHS, repeat=LAYERS))


class ToyNet(nn.Module):
    def __init__(self, widths: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False),
                       nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(x).mean(dim=(2, 3))
        return self.head(features), features


class ToySpace(Space):
    name = "toy"

    def arch_table(self) -> pa.Table:
        return listed_arch_table(self.name, ARCH_STRS, "toy: itertools.product of widths")

    def build_model(self, arch, num_classes: int | None = None) -> nn.Module:
        arch_str = arch if isinstance(arch, str) else ARCH_STRS[int(arch)]
        return ToyNet(parse(arch_str), num_classes or 1)

    def ingest(self, source: Path) -> GroundTruth:
        raise SpaceError("the toy space has no ground-truth files")
