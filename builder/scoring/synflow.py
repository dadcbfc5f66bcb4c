"""SynFlow (NAS-Bench-Suite-Zero): BatchNorm off, float64, absolute weights, an all-ones input.

Reference (PROXIES.md 1, ``synflow.py``, registered with ``bn=False``): on a copy whose
BatchNorm layers pass their input through, ``net.double()`` and every ``state_dict`` tensor
replaced by its absolute value; one all-ones input ``[1, C, H, W]`` in float64 (the data is
used for its shape only); ``sum(output).backward()``; the score is ``sum |W * dR/dW|`` over
Conv/Linear weights.  It changes the weights, so the build scores a fresh copy.

Settings: ``log_compress=True`` applies ``ZeroCost.query``'s sign-aware log (``log(s)`` for
s > 0, ``-log(-s)`` for s < 0, 0 stays 0) after the optional NaN sentinel, as Suite-Zero
stores synflow; the default stores the raw sum.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.synflow import INFO

from .proxy_common import (SuiteZeroScorer, disable_batchnorm, layer_total, linearise,
                           weight_layers)
from .reference import float32_precision, network_output


def sign_log(value: float) -> float:
    """Suite-Zero's log compression of a synflow score."""
    if value > 0:
        return math.log(value)
    if value < 0:
        return -math.log(-value)
    return value


class SynflowScorer(SuiteZeroScorer):
    """Synaptic flow of the linearised float64 network on an all-ones input."""

    info = INFO

    def __init__(self, *, nan_sentinel: float | None = None, log_compress: bool = False) -> None:
        super().__init__(nan_sentinel=nan_sentinel)
        self.log_compress = log_compress

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "dtype": "float64", "log_compress": self.log_compress}

    def finish(self, value: float) -> float:
        value = super().finish(value)
        return sign_log(value) if self.log_compress and math.isfinite(value) else value

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        disable_batchnorm(model)
        model.double()
        linearise(model)
        weights = [layer.weight for layer in weight_layers(model)]
        ones = torch.ones((1, *images.shape[1:]), dtype=torch.float64, device=images.device)
        with float32_precision(allow_tf32):
            output = network_output(model.train(), ones)
            gradients = torch.autograd.grad(output.sum(), weights, allow_unused=True)
        return layer_total(None if g is None else (w.detach() * g).abs()
                           for w, g in zip(weights, gradients))
