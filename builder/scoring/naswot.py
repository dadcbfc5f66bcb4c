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
  the graph comes from a two-image probe, then the whole batch runs once without autograd;
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


def _network_output(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
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


def live_hooked_modules(model: nn.Module, hooked: list[nn.Module],
                        probe: torch.Tensor) -> set[nn.Module]:
    """Hooked modules whose output reaches the network output (the reference's backward set).

    The autograd graph's shape does not depend on the batch, so a probe of two images finds
    the same modules as a backward pass over the whole batch, at a fraction of its cost.
    """
    nodes: dict[nn.Module, list[object]] = {}

    def record(module: nn.Module, inputs: tuple, output: object) -> None:
        tensor = _first_tensor(output)
        if tensor is not None and tensor.grad_fn is not None:
            nodes.setdefault(module, []).append(tensor.grad_fn)

    handles = [module.register_forward_hook(record) for module in hooked]
    try:
        with torch.enable_grad():
            y = _network_output(model, probe.detach().clone().requires_grad_(True))
            reachable = _reachable_nodes(y.grad_fn)
    finally:
        for handle in handles:
            handle.remove()
    return {module for module, grad_fns in nodes.items()
            if any(node in reachable for node in grad_fns)}


class _KernelAccumulator:
    """Forward hook that adds each live call's kernel to K, once per distinct input tensor."""

    def __init__(self, batch_size: int, device: torch.device) -> None:
        self.total = torch.zeros(batch_size, batch_size, dtype=torch.float64, device=device)
        # id(input) -> (weak reference, version, kernel): a ReLUConvBN and its inner ReLU, or
        # every edge leaving one cell node, see the same tensor
        self._by_input: dict[int, tuple[weakref.ref, int, torch.Tensor]] = {}

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        activations = inputs[0] if isinstance(inputs, tuple) else inputs
        cached = self._by_input.get(id(activations))
        if cached is not None and cached[0]() is activations and cached[1] == activations._version:
            kernel = cached[2]
        else:
            kernel = code_kernel(activations)
            self._by_input[id(activations)] = (weakref.ref(activations), activations._version,
                                               kernel)
        self.total += kernel


def naswot_kernel(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The reference's K for ``model`` on batch ``x`` (float64, on x's device)."""
    hooked = [module for module in model.modules() if is_reference_hooked(module)]
    live = live_hooked_modules(model, hooked, x[: min(2, x.shape[0])])
    accumulator = _KernelAccumulator(x.shape[0], x.device)
    handles = [module.register_forward_hook(accumulator.hook) for module in hooked
               if module in live]
    try:
        with torch.no_grad():
            _network_output(model, x)
    finally:
        for handle in handles:
            handle.remove()
    return accumulator.total


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
    except (MemoryError, torch.cuda.OutOfMemoryError):
        raise  # the machine's limit, not the network's: never stored as the arch's result
    except Exception as exc:  # recorded per row, never silently dropped
        if x.is_cuda:
            torch.cuda.synchronize(x.device)
        return ScoreResult(math.nan, STATUS_ERROR, f"{type(exc).__name__}: {exc}",
                           time.perf_counter() - start)
    status = STATUS_SINGULAR if value == -math.inf else STATUS_OK
    return ScoreResult(value, status, None, time.perf_counter() - start)
