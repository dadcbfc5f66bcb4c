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
* identical inputs (a ``ReLUConvBN`` and its inner ``ReLU``, or every edge leaving one cell
  node) share one Gram matrix instead of recomputing it.

K is summed in float64; the log-determinant is NumPy's float64 ``slogdet``.
"""

from __future__ import annotations

import contextlib
import math
import time
import weakref
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch import nn

STATUS_OK = "ok"
STATUS_SINGULAR = "singular"
STATUS_ERROR = "error"

# float32 sums of 0/1 products are exact up to 2**24 terms; wider layers use float64.
_FLOAT32_EXACT_UNITS = 2**24


class ReferenceProcedureError(RuntimeError):
    """The network cannot be scored the way the reference scores it."""


@dataclass(frozen=True)
class ScoreResult:
    """One scoring of one network: the value and how it came about."""

    value: float
    status: str
    error: str | None
    time_s: float


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
    codes = (flat > 0).to(dtype)
    agree_on = (codes @ codes.T).to(torch.float64)
    ones = codes.sum(dim=1).to(torch.float64)
    # (1-c)(1-c)^T = N - r_i - r_j + c c^T, with r the number of active units per example.
    return units - ones[:, None] - ones[None, :] + 2.0 * agree_on


class _KernelRecorder:
    """Forward hooks that record each hooked call's kernel and output autograd node."""

    def __init__(self) -> None:
        self.kernels: list[torch.Tensor] = []
        # per hooked module: (kernel indices of its calls, autograd nodes of its outputs)
        self.calls: dict[nn.Module, tuple[list[int], list[object]]] = {}
        self._by_input: dict[int, tuple[weakref.ref, int, int]] = {}

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        activations = inputs[0] if isinstance(inputs, tuple) else inputs
        kernel_index = self._kernel_index(activations)
        first_output = output
        while isinstance(first_output, (tuple, list)) and first_output:
            first_output = first_output[0]
        node = first_output.grad_fn if isinstance(first_output, torch.Tensor) else None
        indices, nodes = self.calls.setdefault(module, ([], []))
        indices.append(kernel_index)
        if node is not None:
            nodes.append(node)

    def _kernel_index(self, activations: torch.Tensor) -> int:
        cached = self._by_input.get(id(activations))
        if cached is not None:
            ref, version, index = cached
            if ref() is activations and version == activations._version:
                return index
        self.kernels.append(code_kernel(activations))
        index = len(self.kernels) - 1
        self._by_input[id(activations)] = (weakref.ref(activations), activations._version, index)
        return index

    def live_kernel(self, root: object, batch_size: int, device: torch.device) -> torch.Tensor:
        """Sum of the kernels of every call of every module that reaches ``root``."""
        reachable = _reachable_nodes(root)
        total = torch.zeros(batch_size, batch_size, dtype=torch.float64, device=device)
        counts = [0] * len(self.kernels)
        for indices, nodes in self.calls.values():
            if any(node in reachable for node in nodes):
                for index in indices:
                    counts[index] += 1
        for kernel, count in zip(self.kernels, counts):
            if count:
                total += count * kernel
        return total


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


def naswot_kernel(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The reference's K for ``model`` on batch ``x`` (float64, on x's device)."""
    recorder = _KernelRecorder()
    handles = [
        module.register_forward_hook(recorder.hook)
        for module in model.modules()
        if is_reference_hooked(module)
    ]
    try:
        with torch.enable_grad():
            inputs = x.detach().clone().requires_grad_(True)
            output = model(inputs)
            y = output[0] if isinstance(output, (tuple, list)) else output
            if not isinstance(y, torch.Tensor):
                raise ReferenceProcedureError(
                    f"network output {type(y).__name__} is not a tensor; the reference calls "
                    "y.backward() on it and fails (e.g. an auxiliary head in train mode)"
                )
            return recorder.live_kernel(y.grad_fn, x.shape[0], x.device)
    finally:
        for handle in handles:
            handle.remove()


def log_abs_det(kernel: torch.Tensor) -> float:
    """``log|det K|`` in float64 with NumPy, as the reference; ``-inf`` when K is singular."""
    _, logabsdet = np.linalg.slogdet(kernel.detach().cpu().numpy())
    return float(logabsdet)


def naswot_score(model: nn.Module, x: torch.Tensor, *, allow_tf32: bool = False) -> float:
    """The NASWOT score of ``model`` on batch ``x``; the model stays in train mode."""
    model.train()
    with float32_precision(allow_tf32):
        return log_abs_det(naswot_kernel(model, x))


def score_network(model: nn.Module, x: torch.Tensor, *, allow_tf32: bool = False) -> ScoreResult:
    """Score ``model`` and classify the outcome: ok, singular (-inf) or error (NaN + message)."""
    start = time.perf_counter()
    try:
        value = naswot_score(model, x, allow_tf32=allow_tf32)
    except Exception as exc:  # recorded per row, never silently dropped
        if x.is_cuda:
            torch.cuda.synchronize(x.device)
        return ScoreResult(math.nan, STATUS_ERROR, f"{type(exc).__name__}: {exc}",
                           time.perf_counter() - start)
    status = STATUS_SINGULAR if value == -math.inf else STATUS_OK
    return ScoreResult(value, status, None, time.perf_counter() - start)
