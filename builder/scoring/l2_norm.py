"""l2_norm (NAS-Bench-Suite-Zero): the sum over Conv/Linear layers of ``||W||_2`` at init.

Reference (PROXIES.md 1, ``l2_norm.py``): no data, no pass; ``weight.norm()`` per layer, summed.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.l2_norm import INFO

from .proxy_common import SuiteZeroScorer, weight_layers


class L2NormScorer(SuiteZeroScorer):
    """Sum of the Frobenius norms of the Conv/Linear weights."""

    info = INFO

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        return math.fsum(float(layer.weight.detach().double().norm())
                         for layer in weight_layers(model))
