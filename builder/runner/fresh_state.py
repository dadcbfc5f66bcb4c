"""What each scoring of a seeded network starts from, whatever was scored on it before.

One network scores several (score, batch) pairs in a row, and the same network object is
re-drawn for each further init seed (:mod:`.reinit`).  A score's value must not depend on which
others ran first, or a suite build would store other values than one build per score, and a
resumed build other values than an uninterrupted one.  Besides the weights (a score that changes
them gets its own copy), a scoring can leave behind: the random generators advanced (Zen's
Gaussian inputs), buffers updated (BatchNorm's running statistics after a train-mode forward),
modules switched to eval mode, and gradients.  Re-drawing a seed resets the weights, buffers and
gradients but not the modes.  :class:`FreshState` records the modes of the freshly built network
and, per seed, the generators and buffers right after seeding, and puts them back before every
further scoring, so each scoring sees the network exactly as ``torch.manual_seed(init_seed);
build()`` left it.
"""

from __future__ import annotations

import torch
from torch import nn


class FreshState:
    """A freshly built network's modes, and per seed its generators and buffers, restorable."""

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        self.model = model
        self.cuda = device if device.type == "cuda" else None
        self.modules = list(model.modules())
        self.modes = [module.training for module in self.modules]
        self.buffers = [buffer for module in self.modules for buffer in module._buffers.values()
                        if buffer is not None]
        self.parameters = list(model.parameters())
        self.cpu_rng: torch.Tensor | None = None
        self.cuda_rng: torch.Tensor | None = None
        self.values: list[torch.Tensor] = []

    def reset_modes(self) -> None:
        """Every module back in its mode of the fresh build; set only where it differs
        (``nn.Module.__setattr__`` costs more than the comparison)."""
        for module, training in zip(self.modules, self.modes):
            if module.training is not training:
                module.training = training

    def capture(self) -> None:
        """Record the generators and buffers as the network's seeding left them."""
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state(self.cuda) if self.cuda is not None else None
        self.values = [buffer.clone() for buffer in self.buffers]

    def restore(self) -> None:
        """Put the captured state back.  Every buffer is copied back, in one batched copy (25x
        faster than one copy per buffer for NB201's 153): BatchNorm updates its running
        statistics inside its kernel without bumping their version counter, so no cheap test
        tells which buffers a scoring changed."""
        torch.set_rng_state(self.cpu_rng)
        if self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda_rng, self.cuda)
        self.reset_modes()
        if self.buffers:
            with torch.no_grad():
                torch._foreach_copy_(self.buffers, self.values)
        for parameter in self.parameters:
            parameter.grad = None
