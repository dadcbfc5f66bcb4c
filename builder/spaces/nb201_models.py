"""NAS-Bench-201 TinyNetwork (C=16, N=5) as the reference NASWOT code builds it."""

from __future__ import annotations

import torch
from torch import nn

from .cell_ops import Genotype, InferCell, ResNetBasicBlock


class TinyNetwork(nn.Module):
    """Stem, three stages of ``cells_per_stage`` cells joined by stride-2 residual blocks."""

    def __init__(self, genotype: Genotype, channels: int = 16, cells_per_stage: int = 5,
                 num_classes: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, kernel_size=3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels))
        stage_channels = [channels, channels * 2, channels * 4]
        self.cells = nn.ModuleList()
        c_prev = channels
        for stage, c_curr in enumerate(stage_channels):
            if stage > 0:
                self.cells.append(ResNetBasicBlock(c_prev, c_curr, 2))
                c_prev = c_curr
            for _ in range(cells_per_stage):
                self.cells.append(InferCell(genotype, c_prev, c_curr, 1))
                c_prev = c_curr
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature)
        out = self.global_pooling(self.lastact(feature)).flatten(1)
        return self.classifier(out), out
