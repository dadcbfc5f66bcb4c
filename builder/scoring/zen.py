"""Zen-score (NAS-Bench-Suite-Zero's port of ZenNAS ``compute_zen_score``, repeat 1).

Reference (PROXIES.md 1, ``zen.py``): under ``no_grad``, re-initialise (Conv/Linear weights
N(0, 1), biases 0, BatchNorm/GroupNorm gamma 1, beta 0); draw two Gaussian batches of the data
batch's shape, x1 and x2; take the features entering the global average pool for x1 and for
``x1 + 0.01 * x2`` (train mode: BatchNorm on batch statistics, running statistics updated with
momentum 0.1 from their initial values); the score is ``log(mean_n sum_chw |f1 - f2|)`` plus,
per BatchNorm2d, ``log(sqrt(mean(running_var)))``.  It changes the weights, so the build scores
a fresh copy; the images are used for their shape only.

Deviations: the reference draws the weights and inputs from torch's global generator (its
value then depends on whatever ran before); here they come from a generator seeded with the
``seed`` setting (default 0), so the value depends on the arch and the batch shape only, not on
the init seed.  BatchNorm running statistics are reset first, so the copy's history does not
matter (the reference's copy never ran a forward).  Networks without an ``nn.AdaptiveAvgPool2d``
(NB101 pools with ``torch.mean``) are an error row.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.zen import INFO

from .proxy_common import SuiteZeroScorer, gaussian_reinit
from .reference import float32_precision

MIXUP_GAMMA = 1e-2


def features_before_pool(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the network's global average pool (``forward_before_global_avg_pool``)."""
    pools = [m for m in model.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    if not pools:
        raise ValueError("zen reads the input of the global average pool (an "
                         "nn.AdaptiveAvgPool2d) and this network has none")
    seen: list[torch.Tensor] = []
    handle = pools[-1].register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0]))
    try:
        model(x)
    finally:
        handle.remove()
    if not seen:
        raise ValueError("the network's global average pool was not called")
    return seen[-1]


class ZenScorer(SuiteZeroScorer):
    """Expressivity of the re-initialised network under a small Gaussian perturbation."""

    info = INFO

    def __init__(self, *, nan_sentinel: float | None = None, seed: int = 0) -> None:
        super().__init__(nan_sentinel=nan_sentinel)
        self.seed = seed

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "seed": self.seed, "mixup_gamma": MIXUP_GAMMA}

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        generator = torch.Generator(device=images.device).manual_seed(self.seed)
        with torch.no_grad(), float32_precision(allow_tf32):
            gaussian_reinit(model, generator)
            x1 = torch.randn(images.shape, generator=generator, device=images.device)
            x2 = torch.randn(images.shape, generator=generator, device=images.device)
            model.train()
            plain = features_before_pool(model, x1)
            mixed = features_before_pool(model, x1 + MIXUP_GAMMA * x2)
            delta = torch.sum(torch.abs(plain - mixed), dim=[1, 2, 3]).mean()
            scaling = [torch.log(torch.sqrt(torch.mean(m.running_var)))
                       for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        return math.log(float(delta)) + math.fsum(float(s) for s in scaling)
