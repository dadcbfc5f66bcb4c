"""AZ-NAS trainability: one of the three components that az_nas_components computes in one pass."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.scores.az_trainability import INFO

from .az_nas_components import az_components
from .base import Scorer
from .reference import float32_precision


class AzTrainabilityScorer(Scorer):
    """AZ-NAS trainability on Gaussian inputs of the batch's shape; re-initialises the network."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"init": "kaiming_normal_fan_in", "inputs": "normal(0,1)"}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        with float32_precision(allow_tf32):
            return az_components(model, images).trainability
