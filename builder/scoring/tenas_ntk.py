"""TE-NAS's NTK condition number: per-image gradients of the summed logits, their Gram matrix.

For image i of the batch (train mode: BatchNorm couples the images, so each image's gradient is
taken through the whole batch's forward), g_i = d sum_k logit[i, k] / d theta over every
parameter named ``*weight*``.  The NTK is Theta = G G^T and the score its condition number
lambda_max / lambda_min (NaN -> 1e5, as the reference).  Lower is better.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.tenas_ntk import INFO

from .base import Scorer
from .reference import float32_precision, network_output

NAN_CONDITION = 100000.0


def per_image_gradients(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """(images x weights) rows: each image's gradient of its summed logits, ``*weight*`` params."""
    weights = [p for name, p in model.named_parameters() if "weight" in name]
    model.train()
    model.zero_grad(set_to_none=True)
    logits = network_output(model, images)
    sums = logits.reshape(logits.shape[0], -1).sum(dim=1)
    rows = []
    for index in range(images.shape[0]):
        grads = torch.autograd.grad(sums[index], weights, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([g.reshape(-1) for g in grads if g is not None]))
    return torch.stack(rows)


def condition_number(grads: torch.Tensor) -> float:
    """lambda_max / lambda_min of G G^T (float64); NaN -> 1e5."""
    g = grads.double()
    eigenvalues = torch.linalg.eigvalsh(g @ g.T)
    value = float(eigenvalues[-1] / eigenvalues[0])
    return NAN_CONDITION if math.isnan(value) else value


class TenasNtkScorer(Scorer):
    """NTK condition number on the build's batch; the network's own weights."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"params": "weight", "eig_dtype": "float64", "nan": NAN_CONDITION}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        with float32_precision(allow_tf32):
            return condition_number(per_image_gradients(model, images))
