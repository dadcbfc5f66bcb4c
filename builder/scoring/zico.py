"""ZiCo: the inverse coefficient of variation of every weight's gradient across batches.

The build supplies the two batches ZiCo needs the way the MeCo repo's NB201 port does: its one
batch split into halves, backpropagated one after the other without zeroing the gradients in
between, so the two gradient samples are g1 and g1 + g2.  Per Conv2d/Linear layer, with mu =
mean |g| and sigma = std g over the samples (entries with sigma = 0 dropped),
S = sum(mu / sigma); the score is the sum of log S over the layers with S != 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from naswot_db.core.scores.zico import INFO

from .base import Scorer
from .reference import ReferenceProcedureError, float32_precision, network_output

SPLITS = 2


def gradient_samples(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                     splits: int = SPLITS) -> list[np.ndarray]:
    """Per Conv2d/Linear layer, a (splits x weights) float64 array of the accumulated gradients."""
    if images.shape[0] < splits:
        raise ReferenceProcedureError(f"ZiCo splits its batch in {splits}; got "
                                      f"{images.shape[0]} image(s)")
    layers = [module for module in model.modules() if isinstance(module, (nn.Conv2d, nn.Linear))]
    samples: list[list[np.ndarray]] = [[] for _ in layers]
    model.train()
    model.zero_grad(set_to_none=True)
    count = images.shape[0]
    for split in range(splits):
        part = slice(split * count // splits, (split + 1) * count // splits)
        logits = network_output(model, images[part])
        if logits.shape[-1] < 2:
            raise ReferenceProcedureError("the network has one output: its cross-entropy is 0 "
                                          "and ZiCo has no gradient to measure")
        functional.cross_entropy(logits, labels[part]).backward()  # no zero_grad: accumulates
        for layer, sample in zip(layers, samples):
            if layer.weight.grad is None:
                raise ReferenceProcedureError(f"{type(layer).__name__} has no gradient")
            sample.append(layer.weight.grad.detach().reshape(-1).cpu().double().numpy())
    return [np.stack(sample) for sample in samples]


def zico_from_samples(samples: list[np.ndarray]) -> float:
    """Sum over layers of log(sum(mean|g| / std g)) over the entries with std g != 0."""
    total = 0.0
    for grads in samples:
        std = grads.std(axis=0)
        kept = std != 0
        ratio_sum = float(np.sum(np.abs(grads).mean(axis=0)[kept] / std[kept]))
        if ratio_sum != 0:
            total += float(np.log(ratio_sum))
    return total


class ZicoScorer(Scorer):
    """ZiCo on the batch's two halves, with the true labels."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"splits": SPLITS, "accumulate": True, "loss": "cross_entropy"}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        if labels is None:
            raise ReferenceProcedureError("ZiCo needs the batch's labels")
        with float32_precision(allow_tf32):
            return zico_from_samples(gradient_samples(model, images, labels))
