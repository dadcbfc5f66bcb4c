"""Parameter and FLOP counts of a network, by NAS-Bench-Suite-Zero's convention.

Suite-Zero's ``flops`` and ``params`` come from tensorwatch's ``ModelStats`` on a copy of the
network (PROXIES.md 0): forward hooks on every leaf module (a module without children) during
one eval-mode forward of a single image; each leaf called in that forward counts its own
parameters and the FLOPs of its (last) call, by these per-type rules:

* Conv2d: ``k_h * k_w * C_in * (C_out / groups) * N * H_out * W_out``, plus
  ``C_out * N * H_out * W_out`` with a bias (C_in is the whole input, as tensorwatch counts);
* Linear: ``N * in * out`` (the bias is not counted);
* BatchNorm2d: the input's element count, twice with affine parameters;
* ReLU, ReLU6, PReLU, ELU, LeakyReLU: the input's element count; Upsample: the output's;
* AvgPool2d / MaxPool2d: ``N * C * H_out * W_out * k_h * k_w``, the output size recomputed
  as ``floor((W + 2p - k) / s + 1)`` (the first stride for both sides);
* AdaptiveAvg/MaxPool2d: per output cell, ``N * C * (rows + 1) * (cols + 1)`` of its window;
* any other leaf: 0 FLOPs.  A leaf never called (an unused module) counts nothing.

The input's values do not change the counts; zeros are used so no random number is drawn.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU)


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _adaptive_pool_flops(inp: torch.Tensor, out: torch.Tensor) -> int:
    batch, planes, height, width = inp.shape
    out_h, out_w = out.shape[2], out.shape[3]
    total = 0
    for i in range(out_h):
        rows = math.ceil((i + 1) * height / out_h) - math.floor(i * height / out_h)
        for j in range(out_w):
            cols = math.ceil((j + 1) * width / out_w) - math.floor(j * width / out_w)
            total += batch * planes * (rows + 1) * (cols + 1)
    return total


def _pool_flops(module: nn.Module, inp: torch.Tensor) -> int:
    batch, planes, height, width = inp.shape
    kernel, padding = _pair(module.kernel_size), _pair(module.padding)
    stride = _pair(module.stride)[0]  # tensorwatch uses the first stride for both sides
    out_w = math.floor((width + 2 * padding[0] - kernel[0]) / float(stride) + 1)
    out_h = math.floor((height + 2 * padding[1] - kernel[1]) / float(stride) + 1)
    return batch * planes * out_w * out_h * kernel[0] * kernel[1]


def leaf_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one call of leaf ``module`` with first input ``inp`` and first output ``out``."""
    if isinstance(module, nn.Conv2d):
        batch, in_c = inp.shape[0], inp.shape[1]
        out_c, out_h, out_w = out.shape[1:]
        k_h, k_w = module.kernel_size
        positions = batch * out_h * out_w
        flops = k_h * k_w * in_c * (out_c // module.groups) * positions
        return flops + (out_c * positions if module.bias is not None else 0)
    if isinstance(module, nn.BatchNorm2d):
        return inp.numel() * (2 if module.affine else 1)
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        return _pool_flops(module, inp)
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return _adaptive_pool_flops(inp, out)
    if isinstance(module, _ACTIVATIONS):
        return inp.numel()
    if isinstance(module, nn.Upsample):
        return out.numel()
    if isinstance(module, nn.Linear):
        return inp.shape[0] * inp.shape[1] * out.shape[1]
    return 0


def _first_tensor(value: object) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def count_complexity(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """(parameters, FLOPs) of ``model`` for one input of ``input_shape`` (C, H, W), counted on
    a copy in eval mode as tensorwatch's ``ModelStats`` counts (see the module docstring)."""
    network = copy.deepcopy(model).eval()
    calls: dict[int, tuple[int, int]] = {}  # id(leaf) -> (parameters, FLOPs of its last call)

    def record(module: nn.Module, inputs: tuple, output: object) -> None:
        inp, out = _first_tensor(inputs), _first_tensor(output)
        params = sum(p.numel() for p in module.parameters())
        calls[id(module)] = (params, leaf_flops(module, inp, out))

    leaves = {id(m): m for m in network.modules() if next(m.children(), None) is None}
    handles = [leaf.register_forward_hook(record) for leaf in leaves.values()]
    try:
        with torch.no_grad():
            network(torch.zeros(1, *input_shape, device=next(network.parameters()).device))
    finally:
        for handle in handles:
            handle.remove()
    return sum(p for p, _ in calls.values()), sum(f for _, f in calls.values())
