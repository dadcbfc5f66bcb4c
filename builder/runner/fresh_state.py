"""What each scoring of a seeded network starts from, whatever was scored on it before.

One network scores several (score, batch) pairs in a row.  A score's value must not depend on
which others ran first, or a suite build would store other values than one build per score,
and a resumed build other values than an uninterrupted one.  Besides the weights (a score that
changes them gets its own copy), a scoring can leave behind: the random generators advanced
(Zen's Gaussian inputs), buffers updated (BatchNorm's running statistics after a train-mode
forward), modules switched to eval mode, and gradients.  :class:`FreshState` records those right
after the network is seeded and puts them back before every further scoring, so each scoring
sees the network exactly as ``torch.manual_seed(init_seed); build()`` left it.  A network scored
once needs none of this, and the build records nothing for it.
"""

from __future__ import annotations

import torch
from torch import nn


class FreshState:
    """A seeded network's generators, buffers, modes and (absent) gradients, restorable."""

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        self.model = model
        self.cuda = device if device.type == "cuda" else None
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state(device) if self.cuda is not None else None
        self.modules = list(model.modules())
        self.modes = [module.training for module in self.modules]
        self.buffers = [buffer for module in self.modules for buffer in module._buffers.values()
                        if buffer is not None]
        self.values = [buffer.clone() for buffer in self.buffers]
        self.parameters = list(model.parameters())

    def restore(self) -> None:
        """Put the recorded state back.  Every buffer is copied back: BatchNorm updates its
        running statistics inside its kernel, without bumping their version counter, so no
        cheap test tells which buffers a scoring changed."""
        torch.set_rng_state(self.cpu_rng)
        if self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda_rng, self.cuda)
        for module, training in zip(self.modules, self.modes):
            module.training = training
        with torch.no_grad():
            for buffer, value in zip(self.buffers, self.values):
                buffer.copy_(value)
        for parameter in self.parameters:
            parameter.grad = None
