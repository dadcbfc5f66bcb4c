"""NASWOT's ``ReturnFeatureLayer``: every NDS ``nn.Linear`` returns ``(linear(x), x)``."""

from __future__ import annotations

import torch
from torch import nn


class ReturnFeatureLayer(nn.Module):
    """Wraps a Linear so the network yields ``(logits, features)`` as the scorer expects.

    The reference wraps every Linear it finds, auxiliary heads included, which is why a net with
    an auxiliary head returns nested tuples in train mode.
    """

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.mod = linear

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mod(x), x
