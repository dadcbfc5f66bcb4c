"""SWAP-Score: the number of distinct sample-wise activation patterns (pym1024/SWAP).

Per repeat, every Conv2d/Linear weight is redrawn from N(0, 1) (BatchNorm gamma 1, beta 0), the
16 images go through the network once, and the hooked ReLU outputs form a 0/1 matrix A (samples
x units).  SWAP counts the distinct rows of A^T: the distinct patterns one unit shows across the
samples.  The score is the mean count over the repeats.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.swap import INFO

from .base import Scorer
from .reference import float32_precision
from .relu_patterns import relu_patterns
from .seeded_draws import draw_generator, reinitialise

SAMPLES = 16
REPEATS = 32


def distinct_unit_patterns(patterns: torch.Tensor) -> int:
    """How many distinct columns the (samples x units) 0/1 matrix has.

    Each column (one unit's pattern over at most 63 samples) is packed into the bits of one
    int64, so counting distinct columns is a 1-D ``unique`` (a row-wise ``unique`` of the
    transposed matrix, as the reference does it, is exact too but minutes per network).
    """
    samples = patterns.shape[0]
    if samples > 63:
        return int(torch.unique(patterns.T, dim=0).shape[0])
    bits = torch.tensor([1 << i for i in range(samples)], dtype=torch.int64,
                        device=patterns.device)
    codes = (patterns.to(torch.int64) * bits[:, None]).sum(dim=0)
    return int(torch.unique(codes).numel())


def mean_swap(model: nn.Module, images: torch.Tensor, repeats: int = REPEATS) -> float:
    """The SWAP count of ``model`` on ``images`` averaged over ``repeats`` re-initialisations."""
    generator = draw_generator(model, images, "swap")
    counts = []
    for _ in range(repeats):
        reinitialise(model, generator, kaiming_fan_in=False)
        counts.append(distinct_unit_patterns(relu_patterns(model, images)))
    return sum(counts) / len(counts)


class SwapScorer(Scorer):
    """SWAP on the batch's first 16 images; re-initialises the network (a fresh copy)."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"samples": SAMPLES, "repeats": REPEATS, "init": "normal(0,1)"}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        with float32_precision(allow_tf32):
            return mean_swap(model, images[:SAMPLES])
