"""flops (NAS-Bench-Suite-Zero): the network's FLOPs for one image, in millions.

The count is the space's complexity count (:mod:`naswot_db.builder.spaces.complexity`, the
convention of tensorwatch's ``ModelStats`` that Suite-Zero uses) of the network being scored,
for one image of the batch's shape; it needs no data.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.flops import INFO

from .passes import passes_for
from .proxy_common import SuiteZeroScorer

MILLION = 1e6


class FlopsScorer(SuiteZeroScorer):
    """MFLOPs of one forward of one image."""

    info = INFO

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        return passes_for(passes, model, images, labels, allow_tf32).complexity()[1] / MILLION
