"""The NASWOT score (Mellor et al., ICML 2021), exactly as the reference code computes it.

The reference hooks every module whose type string contains ``ReLU``, runs two forward passes
and one backward pass, and adds ``c c^T + (1-c)(1-c)^T`` (c = binary code of the module's
*input*) to K for each hooked module that the backward pass visited.  This module computes the
same K in a single forward pass:

* hooked modules: :func:`is_reference_hooked` (torch's own ``*ReLU*`` classes, plus our classes
  that declare ``counts_as_reference_relu = True`` because their reference twin's name contains
  ``ReLU``, e.g. ``ReLUConvBN``);
* liveness: a module counts when the autograd node of one of its outputs is reachable from the
  network output's node, which is exactly when the reference's old-style backward hook fires;
  the pass records the autograd graph but saves no tensors for a backward that never runs,
  so it costs what a ``no_grad`` pass costs, and kernels of dead modules are dropped at the end;
* identical inputs (a ``ReLUConvBN`` and its inner ``ReLU``, or every edge leaving one cell
  node) share one Gram matrix instead of recomputing it.

K is summed in float64; the log-determinant is NumPy's float64 ``slogdet``.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from .base import Scorer

# float32 sums of 0/1 products are exact up to 2**24 terms; wider layers use float64.
_FLOAT32_EXACT_UNITS = 2**24


class ReferenceProcedureError(RuntimeError):
    """The network cannot be scored the way the reference scores it."""


def is_reference_hooked(module: nn.Module) -> bool:
    """True when the reference would hook ``module`` (its type string contains ``ReLU``)."""
    declared = getattr(type(module), "counts_as_reference_relu", None)
    if declared is not None:
        return bool(declared)
    return "ReLU" in str(type(module))


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


def code_kernel(activations: torch.Tensor) -> torch.Tensor:
    """float64 ``c c^T + (1-c)(1-c)^T`` for the binary codes ``c = activations > 0``."""
    flat = activations.detach().reshape(activations.shape[0], -1)
    units = flat.shape[1]
    dtype = torch.float32 if units < _FLOAT32_EXACT_UNITS else torch.float64
    codes = torch.empty(flat.shape, dtype=dtype, device=flat.device)
    torch.gt(flat, 0, out=codes)  # one pass, no bool intermediate
    agree_on = (codes @ codes.T).to(torch.float64)
    ones = agree_on.diagonal()  # c_i . c_i = number of active units of example i
    # (1-c)(1-c)^T = N - r_i - r_j + c c^T, with r the number of active units per example.
    return units - ones[:, None] - ones[None, :] + 2.0 * agree_on


def _first_tensor(output: object) -> torch.Tensor | None:
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


def _reachable_nodes(root: object) -> set:
    """Autograd nodes that a backward pass from ``root`` would execute."""
    seen: set = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(child for child, _ in node.next_functions)
    return seen


def _drop_saved_tensor(tensor: torch.Tensor) -> None:
    """Keep nothing for a backward pass that never runs; activations are freed as in no_grad."""


def _no_backward(packed: None) -> torch.Tensor:
    raise ReferenceProcedureError("naswot-db builds the autograd graph for liveness only")


class _KernelAccumulator:
    """Forward hook: each hooked call's kernel (once per distinct input) and output node.

    Kernels are integer-valued float64 matrices, so summing them in any order is exact.
    """

    def __init__(self) -> None:
        self.kernels: list[torch.Tensor] = []
        self.calls: list[tuple[nn.Module, object, int]] = []  # (module, output node, kernel)
        # id(input) -> (weak reference, version, kernel index): a ReLUConvBN and its inner
        # ReLU, or every edge leaving one cell node, see the same tensor
        self._by_input: dict[int, tuple[weakref.ref, int, int]] = {}

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        activations = inputs[0] if isinstance(inputs, tuple) else inputs
        cached = self._by_input.get(id(activations))
        if cached is not None and cached[0]() is activations and cached[1] == activations._version:
            index = cached[2]
        else:
            index = len(self.kernels)
            self.kernels.append(code_kernel(activations))
            self._by_input[id(activations)] = (weakref.ref(activations), activations._version,
                                               index)
        tensor = _first_tensor(output)
        self.calls.append((module, None if tensor is None else tensor.grad_fn, index))

    def live_total(self, reachable: set, batch_size: int, device: torch.device) -> torch.Tensor:
        """K: every call of each module whose output node the backward pass would visit."""
        live = {module for module, node, _ in self.calls if node in reachable}  # None never is
        uses = [0] * len(self.kernels)
        for module, _, index in self.calls:
            uses[index] += module in live
        total = torch.zeros(batch_size, batch_size, dtype=torch.float64, device=device)
        for kernel, count in zip(self.kernels, uses):
            if count:
                total.add_(kernel, alpha=count)
        return total


def naswot_kernel(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The reference's K for ``model`` on batch ``x`` (float64, on x's device).

    One forward pass with autograd recording (as the reference's first pass, the input
    requires grad) but no saved tensors: the graph gives liveness, the hooks give the kernels.
    """
    accumulator = _KernelAccumulator()
    handles = [module.register_forward_hook(accumulator.hook) for module in model.modules()
               if is_reference_hooked(module)]
    try:
        with torch.enable_grad(), \
                torch.autograd.graph.saved_tensors_hooks(_drop_saved_tensor, _no_backward):
            y = network_output(model, x.detach().clone().requires_grad_(True))
    finally:
        for handle in handles:
            handle.remove()
    return accumulator.live_total(_reachable_nodes(y.grad_fn), x.shape[0], x.device)


def log_abs_det(kernel: torch.Tensor) -> float:
    """``log|det K|`` in float64 with NumPy, as the reference; ``-inf`` when K is singular."""
    _, logabsdet = np.linalg.slogdet(kernel.detach().cpu().numpy())
    return float(logabsdet)


def naswot_score(model: nn.Module, x: torch.Tensor, *, allow_tf32: bool = False) -> float:
    """The NASWOT score of ``model`` on batch ``x``; the model stays in train mode."""
    model.train()
    with float32_precision(allow_tf32):
        return log_abs_det(naswot_kernel(model, x))


class NaswotScorer(Scorer):
    """NASWOT (the paper's final score): log|det K| of the binary ReLU codes' kernel."""

    name = "naswot"
    citation = "Mellor et al., Neural Architecture Search without Training, ICML 2021"

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        return naswot_score(model, images, allow_tf32=allow_tf32)
