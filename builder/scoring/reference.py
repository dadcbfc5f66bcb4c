"""What the reference does to one network, shared by the scores and their fast paths.

Which modules the reference hooks (``'ReLU' in str(type(m))``), how it puts a network in train
mode and reads its output, the precision it runs at, and the exact arithmetic that turns binary
ReLU codes into NASWOT's kernel.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import torch
from torch import nn

# float32 sums of 0/1 products are exact up to 2**24 terms; wider layers use float64.
FLOAT32_EXACT_UNITS = 2**24
# int8 codes multiplied into int32 sums are exact up to 2**31 terms.  On a CPU with int8 matrix
# units (AMX, VNNI) such a Gram product costs a few percent of a float32 one (NB201's 128 x
# 16,384 codes: 0.3 vs 12 ms on one core).  torch._int_mm mis-sums a single column (torch 2.13
# on the CPU), so narrower inputs stay in float.
INT8_EXACT_UNITS = 2**31
INT8_MIN_UNITS = 8


class ReferenceProcedureError(RuntimeError):
    """The network cannot be scored the way the reference scores it."""


def is_reference_hooked(module: nn.Module) -> bool:
    """True when the reference would hook ``module`` (its type string contains ``ReLU``)."""
    return _type_is_hooked(type(module))


@functools.cache
def _type_is_hooked(module_type: type) -> bool:
    declared = getattr(module_type, "counts_as_reference_relu", None)
    if declared is not None:
        return bool(declared)
    return "ReLU" in str(module_type)


def train_mode(modules: list[nn.Module]) -> None:
    """``model.train()`` for ``modules = list(model.modules())``, without its per-module
    attribute machinery where no module overrides ``train`` (then setting each module's flag
    is all that ``train()`` does)."""
    if any(type(module).train is not nn.Module.train for module in modules):
        modules[0].train()
        return
    for module in modules:
        module.__dict__["training"] = True


@contextlib.contextmanager
def float32_precision(allow_tf32: bool) -> Iterator[None]:
    """Pin TF32 on or off for convolutions and matmuls, restoring the caller's settings."""
    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        (
            torch.backends.cuda.matmul.allow_tf32,
            torch.backends.cudnn.allow_tf32,
            torch.backends.cudnn.deterministic,
            torch.backends.cudnn.benchmark,
        ) = saved


@functools.cache
def _exact_int8_products() -> bool:
    """Whether this torch multiplies int8 matrices on the CPU, exactly (checked once)."""
    generator = torch.Generator().manual_seed(0)
    codes = (torch.rand(24, 40, generator=generator) > 0.5).to(torch.int8)
    try:
        product = torch._int_mm(codes, codes.T)
    except (AttributeError, RuntimeError):  # an older torch, or no CPU kernel
        return False
    return torch.equal(product.to(torch.float64), codes.double() @ codes.double().T)


def code_dtype(units: int, device: torch.device) -> torch.dtype:
    """The dtype of binary codes whose Gram products over ``units`` columns are exact and fast."""
    if (device.type == "cpu" and INT8_MIN_UNITS <= units < INT8_EXACT_UNITS
            and _exact_int8_products()):
        return torch.int8
    return torch.float32 if units < FLOAT32_EXACT_UNITS else torch.float64


def gram(codes: torch.Tensor) -> torch.Tensor:
    """``codes @ codes.T``: exact integers, int32 for int8 codes, else in the codes' dtype."""
    return torch._int_mm(codes, codes.T) if codes.dtype == torch.int8 else codes @ codes.T


def code_gram(activations: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``c c^T`` for the binary codes ``c = activations > 0`` (exact), and the unit count N."""
    flat = activations.detach().reshape(activations.shape[0], -1)
    units = flat.shape[1]
    codes = torch.empty(flat.shape, dtype=code_dtype(units, flat.device), device=flat.device)
    torch.gt(flat, 0, out=codes)  # one pass, no bool intermediate
    return gram(codes), units


def kernel_from_agreement(agree_on: torch.Tensor, units: int) -> torch.Tensor:
    """K = sum of count * (c c^T + (1-c)(1-c)^T) from ``agree_on`` = sum of count * c c^T
    (float64) and ``units`` = sum of count * N.

    (1-c)(1-c)^T = N - r_i - r_j + c c^T with r_i = (c c^T)_ii, so K needs only the counted
    sum of the Gram matrices: every term is an integer below 2**53, so the sum is exact.
    """
    ones = agree_on.diagonal()
    return units - ones[:, None] - ones[None, :] + 2.0 * agree_on


def kernel_from_grams(grams: list[tuple[torch.Tensor, int, int]], batch_size: int,
                      device: torch.device) -> torch.Tensor:
    """K from (gram, units, count) triples: :func:`kernel_from_agreement` of their sum."""
    agree_on = torch.zeros(batch_size, batch_size, dtype=torch.float64, device=device)
    units = 0
    for gram, gram_units, count in grams:
        if count:
            agree_on.add_(gram, alpha=count)
            units += count * gram_units
    return kernel_from_agreement(agree_on, units)


def first_tensor(output: object) -> torch.Tensor | None:
    while isinstance(output, (tuple, list)) and output:
        output = output[0]
    return output if isinstance(output, torch.Tensor) else None


def network_output(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``y`` of the reference's ``y, _ = net(x)``; anything it cannot backward from fails."""
    output = model(x)
    y = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(y, torch.Tensor):
        raise ReferenceProcedureError(
            f"network output {type(y).__name__} is not a tensor; the reference calls "
            "y.backward() on it and fails (e.g. an auxiliary head in train mode)")
    return y
