"""Regularised SWAP: the SWAP-Score times exp(-(P - mu)^2 / sigma), P in thousands of parameters."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.swap_reg import INFO

from .swap import SwapScorer

MU = 1500.0
SIGMA = 500000.0


def regular_factor(model: nn.Module, mu: float = MU, sigma: float = SIGMA) -> float:
    """exp(-(P - mu)^2 / sigma) for P = the parameter count in thousands (auxiliary heads out)."""
    thousands = sum(p.numel() for name, p in model.named_parameters()
                    if "auxiliary" not in name) / 1e3
    return math.exp(-((thousands - mu) ** 2) / sigma)


class SwapRegScorer(SwapScorer):
    """SWAP times the parameter-count factor."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return super().settings() | {"mu": MU, "sigma": SIGMA}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        factor = regular_factor(model)
        return super().compute(model, images, labels, allow_tf32=allow_tf32) * factor
