"""The NAS-Bench-201 / NATS-Bench network (``DynamicShapeTinyNet``) as NASWOT builds it.

One cell genotype; per-layer channel counts.  NB201's TinyNetwork (C=16, N=5) is the case
``[16] * 5 + [32] * 6 + [64] * 6``; NATS-sss varies five channel counts with N = 1.  With 3N + 2 channel
entries the layers are N cells, a stride-2 residual block, N cells, a stride-2 residual block,
N cells.  NATS-sss uses N = 1 (five entries).  Parameters are created in the reference's order:
stem, layers in order, final BatchNorm, classifier.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .nats_cells import Genotype, InferCell, ResNetBasicBlock


class DynamicShapeTinyNet(nn.Module):
    """Stem, then cells and residual blocks with per-layer channel counts, then the classifier.

    A cell whose input and output widths differ maps C_in -> C_out on its node-0 edges (so its
    ``skip_connect`` becomes a stride-1 FactorizedReduce), exactly as the reference's InferCell.
    Returns ``(logits, features)`` like every model of this package (the reference returns the
    pair the other way round, which changes neither the hooked ReLUs nor the score).
    """

    static_forward = True  # the same torch calls on every batch of one shape (a tape may replay)

    def __init__(self, channels: Sequence[int], genotype: Genotype, num_classes: int = 1) -> None:
        super().__init__()
        if len(channels) % 3 != 2:
            raise ValueError(f"need 3N + 2 channel entries, got {len(channels)}")
        cells_per_stage = len(channels) // 3
        reductions = ([False] * cells_per_stage + [True]) * 2 + [False] * cells_per_stage
        self.stem = nn.Sequential(nn.Conv2d(3, channels[0], kernel_size=3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels[0]))
        self.cells = nn.ModuleList()
        c_prev = channels[0]
        for c_curr, reduction in zip(channels, reductions):
            layer = (ResNetBasicBlock(c_prev, c_curr, 2) if reduction
                     else InferCell(genotype, c_prev, c_curr, 1))
            self.cells.append(layer)
            c_prev = layer.out_dim
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature)
        out = self.global_pooling(self.lastact(feature)).flatten(1)
        return self.classifier(out), out
