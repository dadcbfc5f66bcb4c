"""TE-NAS's number of linear regions: distinct ReLU codes over a batch of Gaussian inputs."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.tenas_lr import INFO

from .base import Scorer
from .reference import float32_precision
from .relu_patterns import relu_patterns
from .seeded_draws import draw_generator, normal_like


def distinct_codes(patterns: torch.Tensor) -> int:
    """How many distinct rows the (samples x units) 0/1 matrix has.

    Rows i and j are equal where they agree on every unit: A A^T + (1 - A)(1 - A)^T = units
    (float64 sums of 0/1 products: exact); a row counts when no earlier row equals it.
    """
    codes = patterns.double()
    agree = codes @ codes.T + (1 - codes) @ (1 - codes).T
    equal = agree == codes.shape[1]
    earlier = torch.tril(equal, diagonal=-1).any(dim=1)
    return int((~earlier).sum())


class TenasLrScorer(Scorer):
    """Linear regions of the network's own weights on N(0, 1) inputs of the batch's shape."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"inputs": "normal(0,1)", "batches": 1}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        inputs = normal_like(images, draw_generator(model, images, "tenas_lr"))
        with float32_precision(allow_tf32):
            return float(distinct_codes(relu_patterns(model, inputs)))
