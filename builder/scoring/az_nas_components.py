"""AZ-NAS's three network-side components from one pass (cvlab-yonsei/AZ-NAS
``NB201/ZeroShotProxy/compute_az_nas_score.py``), shared by the three scores.

The network is re-initialised (kaiming-normal fan-in, biases 0, BN gamma 1 beta 0), a batch of
N(0, 1) inputs of the build's batch shape goes through it in train mode, and the features are
the stem's output and every cell's (or block's) output:

- expressivity: per feature, the entropy of the normalised eigenvalues of the channel
  covariance over all batch positions, summed over features;
- progressivity: the smallest increase of that entropy from one feature to the next;
- trainability: for each consecutive pair, from the output end, a Rademacher vector g_out is
  pulled back to the earlier feature, g_in = J^T g_out (PixelUnshuffle'd where the resolution
  halves); M = g_in^T g_out / (B H W); the pair scores -s - 1/(s + 1e-6) + 2 with s the largest
  singular value of M, -inf where g_in == g_out; the mean over pairs.

The draws (weights, inputs, then one sign tensor per pair from the output end) come from the
generator of :mod:`.seeded_draws`.  The three scores are computed together and the last result
is kept, keyed by that generator's seed, so a build scoring all three pays for one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from .base import Scorer
from .reference import ReferenceProcedureError, float32_precision
from .seeded_draws import draw_seed, normal_like, reinitialise

ENTROPY_EPS = 1e-8
SIGMA_EPS = 1e-6


@dataclass(frozen=True)
class AzComponents:
    expressivity: float
    progressivity: float
    trainability: float


_LAST: dict[int, AzComponents] = {}


def feature_modules(model: nn.Module) -> list[nn.Module]:
    """The modules whose outputs AZ-NAS reads: the stem and every cell or block.

    NB201/NATS networks: ``stem`` and ``cells``.  NB101 networks: the entries of ``layers`` that
    hold weights (the stem and the cells; the max-pools between stacks are skipped).
    """
    if isinstance(getattr(model, "cells", None), nn.ModuleList) and hasattr(model, "stem"):
        return [model.stem, *model.cells]
    if isinstance(getattr(model, "layers", None), nn.ModuleList):
        return [layer for layer in model.layers if any(True for _ in layer.parameters())]
    raise ReferenceProcedureError(f"AZ-NAS reads the stem and cell outputs; {type(model).__name__}"
                                  " exposes neither stem/cells nor layers")


def cell_features(model: nn.Module, inputs: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of :func:`feature_modules` on ``inputs``, in forward order, with their graph."""
    features: list[torch.Tensor] = []

    def hook(_module: nn.Module, _args: tuple, output: torch.Tensor) -> None:
        features.append(output)

    handles = [module.register_forward_hook(hook) for module in feature_modules(model)]
    try:
        model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return features


def spectral_entropy(feature: torch.Tensor) -> float:
    """Entropy of the normalised eigenvalues of the channel covariance over B*H*W positions."""
    b, c, h, w = feature.shape
    flat = feature.detach().permute(0, 2, 3, 1).reshape(b * h * w, c)
    flat = flat - flat.mean(dim=0, keepdim=True)
    sigma = flat.T @ flat / flat.shape[0]
    eigenvalues = torch.linalg.eigvalsh(sigma)
    p = eigenvalues / eigenvalues.sum()
    return float((-p * torch.log(p + ENTROPY_EPS)).sum())


def pair_trainability(f_out: torch.Tensor, f_in: torch.Tensor, signs: torch.Tensor) -> float:
    """-s - 1/(s + 1e-6) + 2 for s = the largest singular value of g_in^T g_out / (B H W)."""
    g_in = torch.autograd.grad(f_out, f_in, grad_outputs=signs)[0]
    if g_in.shape == signs.shape and torch.equal(g_in, signs):
        return -math.inf
    if g_in.shape[2:] != signs.shape[2:]:
        g_in = nn.functional.pixel_unshuffle(g_in, g_in.shape[2] // signs.shape[2])
    b, c_out, h, w = signs.shape
    rows_out = signs.permute(0, 2, 3, 1).reshape(b * h * w, c_out)
    rows_in = g_in.permute(0, 2, 3, 1).reshape(b * h * w, g_in.shape[1])
    s = float(torch.linalg.svdvals(rows_in.T @ rows_out / (b * h * w)).max())
    return -s - 1.0 / (s + SIGMA_EPS) + 2.0


def az_components(model: nn.Module, images: torch.Tensor) -> AzComponents:
    """The three components for ``model`` (re-initialised here) on Gaussian inputs shaped as
    ``images``; NaN becomes -inf as in the reference."""
    seed = draw_seed(model, images, "az_nas")
    if seed in _LAST:
        return _LAST[seed]
    generator = torch.Generator().manual_seed(seed)
    reinitialise(model, generator, kaiming_fan_in=True)
    inputs = normal_like(images, generator)
    model.train()
    features = cell_features(model, inputs)
    if len(features) < 2:
        raise ReferenceProcedureError("AZ-NAS needs at least two cell outputs")
    entropies = np.array([spectral_entropy(feature) for feature in features])
    pairs = []
    for index in reversed(range(1, len(features))):
        probabilities = torch.full(features[index].shape, 0.5)
        signs = ((torch.bernoulli(probabilities, generator=generator) - 0.5) * 2).to(
            features[index].device)
        pairs.append(pair_trainability(features[index], features[index - 1], signs))
    values = (float(entropies.sum()), float(np.min(entropies[1:] - entropies[:-1])),
              float(np.mean(pairs)))
    result = AzComponents(*(-math.inf if math.isnan(v) else v for v in values))
    _LAST.clear()
    _LAST[seed] = result
    return result


def forget_last() -> None:
    """Drop the remembered pass, so that the next component computes it again (benchmarks)."""
    _LAST.clear()


class AzComponentScorer(Scorer):
    """One AZ-NAS component (``component``: a field of :class:`AzComponents`) on Gaussian inputs
    of the batch's shape; re-initialises the network."""

    component: ClassVar[str]

    def settings(self) -> dict[str, Any]:
        return {"init": "kaiming_normal_fan_in", "inputs": "normal(0,1)"}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        with float32_precision(allow_tf32):
            return getattr(az_components(model, images), self.component)
