"""Random draws a score makes of its own (re-initialised weights, Gaussian inputs, random signs).

The authors' drivers draw them from one global generator seeded once per run, so an arch's
draws depend on every arch scored before it.  A stored value must depend only on its arch,
init seed and batch: the draws here come from a private generator seeded by a hash of the
network's initial weights (a function of arch and init seed) and of the batch it is given (a
function of the batch seed; the same batch of ones for every batch seed of a data-free score).
They are made on the CPU and moved to the device, so a GPU build draws the same numbers.
"""

from __future__ import annotations

import hashlib
import math

import torch
from torch import nn
from torch.nn import init


def _tensor_bytes(tensor: torch.Tensor) -> bytes:
    return tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()


def draw_seed(model: nn.Module, images: torch.Tensor, salt: str) -> int:
    """A 63-bit seed: sha256 of ``salt``, the model's parameters and ``images``."""
    digest = hashlib.sha256(salt.encode())
    for parameter in model.parameters():
        digest.update(_tensor_bytes(parameter))
    digest.update(_tensor_bytes(images))
    return int.from_bytes(digest.digest()[:8], "little") >> 1


def draw_generator(model: nn.Module, images: torch.Tensor, salt: str) -> torch.Generator:
    """A CPU generator seeded by :func:`draw_seed`."""
    return torch.Generator().manual_seed(draw_seed(model, images, salt))


def normal_like(tensor: torch.Tensor, generator: torch.Generator, std: float = 1.0) -> torch.Tensor:
    """N(0, std^2) draws of ``tensor``'s shape, made on the CPU, on ``tensor``'s device."""
    draw = torch.randn(tensor.shape, generator=generator, dtype=torch.float32)
    return (draw * std).to(tensor.device, tensor.dtype)


def reinitialise(model: nn.Module, generator: torch.Generator, kaiming_fan_in: bool) -> None:
    """Conv2d/Linear weights ~ N(0, 1) (SWAP) or kaiming-normal fan-in for ReLU (AZ-NAS), their
    biases 0, affine BatchNorm/GroupNorm gamma 1 and beta 0; in ``modules()`` order."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                std = (math.sqrt(2.0) / math.sqrt(init._calculate_correct_fan(module.weight,
                                                                               "fan_in"))
                       if kaiming_fan_in else 1.0)
                module.weight.copy_(normal_like(module.weight, generator, std))
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)) and module.affine:
                module.weight.fill_(1.0)
                module.bias.zero_()
