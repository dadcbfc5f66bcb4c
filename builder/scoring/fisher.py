"""Fisher (NAS-Bench-Suite-Zero), with the reference's per-channel broadcast.

Reference (PROXIES.md 1, ``fisher.py``): in train mode, each Conv/Linear output ``act`` (before
any BatchNorm) and its gradient ``g`` of one cross-entropy forward/backward give, per output
channel, ``0.5 * mean_n (sum_hw act * g)^2`` (Linear: ``act * g``), accumulated over the
layer's calls.  Each channel's ``|value|`` is then broadcast to every weight of that channel
(shape ``weight.shape[1:]``) and everything is summed, so a channel counts ``fan_in`` times.

Deviation: the reference's backward hook reads the layer's *last* forward output for every call;
here each call's own output is used (the same for a layer called once, as in every space here).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.fisher import INFO

from .passes import LOSS, passes_for
from .proxy_common import SuiteZeroScorer, layer_total


class FisherScorer(SuiteZeroScorer):
    """Fisher information of the layer outputs, broadcast per channel to the weights."""

    info = INFO
    reads_passes = frozenset({LOSS})

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        shared = passes_for(passes, model, images, labels, allow_tf32).loss_pass()
        return layer_total(None if value is None else value.abs().double() * layer.weight[0].numel()
                           for layer, value in zip(shared.layers, shared.fisher))
