"""plain (NAS-Bench-Suite-Zero): the signed sum of ``dL/dW * W`` over Conv/Linear weights.

Reference (PROXIES.md 1, ``plain.py``): one cross-entropy forward/backward; per weight
``grad * weight`` with no absolute value; summed.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.plain import INFO

from .passes import LOSS, passes_for
from .proxy_common import SuiteZeroScorer, layer_total


class PlainScorer(SuiteZeroScorer):
    """First-order Taylor term of the cross-entropy loss, signed, summed over all weights."""

    info = INFO
    reads_passes = frozenset({LOSS})

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        shared = passes_for(passes, model, images, labels, allow_tf32).loss_pass()
        return layer_total(None if g is None else g * layer.weight.detach()
                           for layer, g in zip(shared.layers, shared.gradients))
