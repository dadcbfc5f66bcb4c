"""params (NAS-Bench-Suite-Zero): the network's parameter count, in millions.

The parameters of every leaf module a forward pass calls (tensorwatch's ``ModelStats``
convention, :mod:`naswot_db.builder.spaces.complexity`), BatchNorm's affine parameters included.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.params import INFO

from .flops import MILLION
from .passes import passes_for
from .proxy_common import SuiteZeroScorer


class ParamsScorer(SuiteZeroScorer):
    """Millions of parameters of the modules a forward pass uses."""

    info = INFO

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        return passes_for(passes, model, images, labels, allow_tf32).complexity()[0] / MILLION
