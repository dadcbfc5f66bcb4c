"""The reference's NASWOT kernel K of a network on a batch, in one forward pass.

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
  node) share one Gram matrix instead of recomputing it;
* liveness is a property of the network, not of its weights or data: a scorer keeps which
  hooked calls of the model it scored last counted (a :class:`CallPlan`), and scores the same
  model again (another batch, or new weights drawn into the same modules) with a plain
  ``no_grad`` pass that computes only the counted calls' kernels (:mod:`.call_plan`; from the
  third scoring on, a static network replays its forward from a tape, :mod:`.forward_tape`).
  If the calls differ from the plan, the recording pass runs instead.

K is summed in float64; the log-determinant is NumPy's float64 ``slogdet``.
"""

from __future__ import annotations

import weakref

import numpy as np
import torch
from torch import nn

from ..reference import (ReferenceProcedureError, code_gram, first_tensor, is_reference_hooked,
                         kernel_from_grams, network_output, train_mode)
from .call_plan import CallPlan, PlanCache, code_layout


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
    """Forward hook of a recording pass: the Gram matrix of each hooked call's input (once per
    distinct input) and the call's output node, kept for liveness."""

    def __init__(self) -> None:
        self.grams: list[tuple[torch.Tensor, int]] = []
        self.calls: list[tuple[nn.Module, object, int]] = []  # (module, output node, gram)
        # id(input) -> (weak reference, version, gram index): a ReLUConvBN and its inner
        # ReLU, or every edge leaving one cell node, see the same tensor
        self._by_input: dict[int, tuple[weakref.ref, int, int]] = {}

    def _gram_index(self, activations: torch.Tensor) -> int:
        cached = self._by_input.get(id(activations))
        if cached is not None and cached[0]() is activations and cached[1] == activations._version:
            return cached[2]
        index = len(self.grams)
        self.grams.append(code_gram(activations))
        self._by_input[id(activations)] = (weakref.ref(activations), activations._version, index)
        return index

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        activations = inputs[0] if isinstance(inputs, tuple) else inputs
        index = self._gram_index(activations)
        tensor = first_tensor(output)
        self.calls.append((module, None if tensor is None else tensor.grad_fn, index))

    def total(self, counted: tuple[bool, ...], batch_size: int,
              device: torch.device) -> torch.Tensor:
        uses = [0] * len(self.grams)
        for (_, _, index), counts in zip(self.calls, counted):
            uses[index] += counts
        return kernel_from_grams([(gram, units, count) for (gram, units), count
                                  in zip(self.grams, uses)], batch_size, device)

    def live_plan(self, reachable: set, everything: list[nn.Module]) -> CallPlan:
        """Every call of each module whose output node the backward pass would visit."""
        live = {module for module, node, _ in self.calls if node in reachable}  # None never is
        counted = [module in live for module, _, _ in self.calls]
        layout = code_layout([index for _, _, index in self.calls], counted,
                             [units for _, units in self.grams])
        return CallPlan(tuple(module for module, _, _ in self.calls), tuple(counted), layout,
                        tuple(everything))


def _recording_pass(model: nn.Module, modules: list[nn.Module], x: torch.Tensor,
                    accumulator: _KernelAccumulator, train: bool) -> torch.Tensor:
    if train:
        train_mode(modules)
    handles = [module.register_forward_hook(accumulator.hook) for module in modules
               if is_reference_hooked(module)]
    try:
        with torch.enable_grad(), \
                torch.autograd.graph.saved_tensors_hooks(_drop_saved_tensor, _no_backward):
            return network_output(model, x.detach().clone().requires_grad_(True))
    finally:
        for handle in handles:
            handle.remove()


def naswot_kernel(model: nn.Module, x: torch.Tensor,
                  plans: PlanCache | None = None, *,
                  train: bool = False) -> torch.Tensor:
    """The reference's K for ``model`` on batch ``x`` (float64, on x's device).

    One forward pass with autograd recording (as the reference's first pass, the input
    requires grad) but no saved tensors: the graph gives liveness, the hooks give the kernels.
    With ``plans``, the model it holds the plan of takes a ``no_grad`` pass that computes only
    its counted calls, and any other model's plan replaces it there.
    ``train`` puts the model in train mode first, as the reference scores it.
    """
    if plans is not None and plans.get(model) is not None:
        kernel = plans.planned_kernel(model, x, train)
        if kernel is not None:
            return kernel
    modules = list(model.modules())  # also when a plan did not fit: it may name other modules
    accumulator = _KernelAccumulator()
    y = _recording_pass(model, modules, x, accumulator, train)
    plan = accumulator.live_plan(_reachable_nodes(y.grad_fn), modules)
    if plans is not None:
        plans.put(model, plan)
    return accumulator.total(plan.counted, x.shape[0], x.device)


def log_abs_det(kernel: torch.Tensor) -> float:
    """``log|det K|`` in float64 with NumPy, as the reference; ``-inf`` when K is singular."""
    _, logabsdet = np.linalg.slogdet(kernel.detach().cpu().numpy())
    return float(logabsdet)
