"""SNIP (NAS-Bench-Suite-Zero): the sum of ``|dL/dW * W|`` over Conv/Linear weights.

Reference (PROXIES.md 1, ``snip.py``): a ``weight_mask`` of ones multiplies every Conv/Linear
weight; after one cross-entropy forward/backward the score is the sum of ``|dL/dmask|``, which
is ``|dL/dW * W|`` of the unmasked network's weight gradient.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.snip import INFO

from .passes import LOSS, passes_for
from .proxy_common import SuiteZeroScorer, layer_total


class SnipScorer(SuiteZeroScorer):
    """Connection sensitivity of the cross-entropy loss, summed over all weights."""

    info = INFO
    reads_passes = frozenset({LOSS})

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        shared = passes_for(passes, model, images, labels, allow_tf32).loss_pass()
        return layer_total(None if g is None else (g * layer.weight.detach()).abs()
                           for layer, g in zip(shared.layers, shared.gradients))
