"""Binary activation patterns of the ReLUs that TE-NAS's linear-region counter and SWAP hook.

Both hook the output of every ``nn.ReLU`` whose input is 4-D and run one forward pass without
gradients (train mode), then concatenate each sample's hooked outputs into one row and take
``sign``: 1 where a unit is active, 0 elsewhere (the outputs are post-ReLU).
"""

from __future__ import annotations

import torch
from torch import nn


def relu_patterns(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The (samples x units) 0/1 matrix of the hooked ReLUs on ``inputs``."""
    outputs: list[torch.Tensor] = []

    def hook(_module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        if args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
            outputs.append(output.detach().reshape(inputs.shape[0], -1).clone())

    handles = [module.register_forward_hook(hook) for module in model.modules()
               if isinstance(module, nn.ReLU)]
    try:
        model.train()
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    if not outputs:
        raise ValueError("the network has no ReLU with a 4-D input to hook")
    return torch.sign(torch.cat(outputs, dim=1))
