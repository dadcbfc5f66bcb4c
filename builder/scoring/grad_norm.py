"""grad_norm (NAS-Bench-Suite-Zero): the sum over Conv/Linear layers of ``||dL/dW||_2``.

Reference (PROXIES.md 1, ``grad_norm.py``): one cross-entropy forward/backward on the batch's
labels; per layer ``weight.grad.norm()`` (Frobenius), layers without a gradient count zero; the
score is the sum of the per-layer norms, not the norm of all gradients together.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.grad_norm import INFO

from .passes import LOSS, passes_for
from .proxy_common import SuiteZeroScorer


class GradNormScorer(SuiteZeroScorer):
    """Sum of per-layer weight-gradient norms of the cross-entropy loss."""

    info = INFO
    reads_passes = frozenset({LOSS})

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        shared = passes_for(passes, model, images, labels, allow_tf32).loss_pass()
        return math.fsum(float(g.double().norm()) for g in shared.gradients if g is not None)
