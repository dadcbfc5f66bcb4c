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
  node) share one Gram matrix instead of recomputing it;
* liveness is a property of the network, not of its weights or data: a scorer keeps which
  hooked calls of the model it scored last counted (a :class:`CallPlan`), and scores the same
  model again (another batch, or new weights drawn into the same modules) with a plain
  ``no_grad`` pass that computes only the counted calls' kernels.  If the calls differ from
  the plan, the recording pass runs instead.

K is summed in float64; the log-determinant is NumPy's float64 ``slogdet``.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from naswot_db.citations import SCORES as SCORE_CITATIONS

from .base import Scorer

# float32 sums of 0/1 products are exact up to 2**24 terms; wider layers use float64.
_FLOAT32_EXACT_UNITS = 2**24


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


def code_gram(activations: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``c c^T`` for the binary codes ``c = activations > 0`` (exact), and the unit count N."""
    flat = activations.detach().reshape(activations.shape[0], -1)
    units = flat.shape[1]
    dtype = torch.float32 if units < _FLOAT32_EXACT_UNITS else torch.float64
    codes = torch.empty(flat.shape, dtype=dtype, device=flat.device)
    torch.gt(flat, 0, out=codes)  # one pass, no bool intermediate
    return codes @ codes.T, units


def kernel_from_grams(grams: list[tuple[torch.Tensor, int, int]], batch_size: int,
                      device: torch.device) -> torch.Tensor:
    """K = sum of count * (c c^T + (1-c)(1-c)^T) over (gram, units, count), in float64.

    (1-c)(1-c)^T = N - r_i - r_j + c c^T with r_i = (c c^T)_ii, so K needs only the counted
    sum of the Gram matrices: every term is an integer below 2**53, so the sum is exact.
    """
    agree_on = torch.zeros(batch_size, batch_size, dtype=torch.float64, device=device)
    units = 0
    for gram, gram_units, count in grams:
        if count:
            agree_on.add_(gram, alpha=count)
            units += count * gram_units
    ones = agree_on.diagonal()
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


@dataclass(frozen=True)
class CallPlan:
    """One model's hooked calls in call order, which of them count (are live), and all its
    modules (``model.modules()``, walked once: the walk costs as much as a small layer)."""

    modules: tuple[nn.Module, ...]
    counted: tuple[bool, ...]
    everything: tuple[nn.Module, ...] = ()


def _remove_hooks(handles: list) -> None:
    for handle in handles:
        handle.remove()
    handles.clear()


class PlanCache:
    """The :class:`CallPlan` of the model scored last, and that model's standing hooks.

    One model at a time: a build scores one arch's network on all its seeds and batches, then
    moves on; the plan holds the model's modules, so keeping more would keep every network.
    Registering a hook costs about as much as running a small layer, so the held model keeps
    its hooks between passes, doing nothing outside one; they are removed when another model
    takes its place or the cache is collected.
    """

    def __init__(self) -> None:
        self._model: nn.Module | None = None
        self._plan: CallPlan | None = None
        self._accumulator: _KernelAccumulator | None = None
        self._handles: list = []
        weakref.finalize(self, _remove_hooks, self._handles)

    def get(self, model: nn.Module) -> CallPlan | None:
        return self._plan if self._model is model else None

    def put(self, model: nn.Module, plan: CallPlan) -> None:
        _remove_hooks(self._handles)
        self._model, self._plan = model, plan

    def planned_pass(self, model: nn.Module, x: torch.Tensor,
                     accumulator: _KernelAccumulator, train: bool) -> None:
        """A ``no_grad`` pass of the held model with ``accumulator`` on its standing hooks."""
        everything = list(self._plan.everything)
        if not self._handles:
            cache = weakref.ref(self)  # a hook must not keep its cache, and so itself, alive

            def hook(module: nn.Module, inputs: tuple, output: object) -> None:
                holder = cache()
                if holder is not None and holder._accumulator is not None:
                    holder._accumulator.hook(module, inputs, output)

            self._handles.extend(module.register_forward_hook(hook) for module in everything
                                 if is_reference_hooked(module))
        if train:
            train_mode(everything)
        self._accumulator = accumulator
        try:
            with torch.no_grad():
                network_output(model, x)
        finally:
            self._accumulator = None


class _KernelAccumulator:
    """Forward hook: the Gram matrix of each counted call's input (once per distinct input).

    Without a plan every call is computed and its output node kept for liveness; with a plan
    only the plan's counted calls are, and any call the plan does not foresee voids the pass.
    """

    def __init__(self, plan: CallPlan | None = None) -> None:
        self.plan = plan
        self.matches_plan = True
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
        position = len(self.calls)
        plan = self.plan
        if plan is not None:
            if position >= len(plan.modules) or plan.modules[position] is not module:
                self.matches_plan = False
            if not (self.matches_plan and plan.counted[position]):
                self.calls.append((module, None, -1))
                return
        activations = inputs[0] if isinstance(inputs, tuple) else inputs
        index = self._gram_index(activations)
        tensor = _first_tensor(output)
        self.calls.append((module, None if tensor is None else tensor.grad_fn, index))

    def total(self, counted: list[bool], batch_size: int, device: torch.device) -> torch.Tensor:
        uses = [0] * len(self.grams)
        for (_, _, index), counts in zip(self.calls, counted):
            if counts:
                uses[index] += 1
        return kernel_from_grams([(gram, units, count) for (gram, units), count
                                  in zip(self.grams, uses)], batch_size, device)

    def live_plan(self, reachable: set, everything: list[nn.Module]) -> CallPlan:
        """Every call of each module whose output node the backward pass would visit."""
        live = {module for module, node, _ in self.calls if node in reachable}  # None never is
        return CallPlan(tuple(module for module, _, _ in self.calls),
                        tuple(module in live for module, _, _ in self.calls), tuple(everything))


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
        _remove_hooks(handles)


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
    plan = None if plans is None else plans.get(model)
    if plan is not None:
        accumulator = _KernelAccumulator(plan)
        plans.planned_pass(model, x, accumulator, train)
        if accumulator.matches_plan and len(accumulator.calls) == len(plan.modules):
            return accumulator.total(list(plan.counted), x.shape[0], x.device)
    modules = list(model.modules())  # also when a plan did not fit: it may name other modules
    accumulator = _KernelAccumulator()
    y = _recording_pass(model, modules, x, accumulator, train)
    plan = accumulator.live_plan(_reachable_nodes(y.grad_fn), modules)
    if plans is not None:
        plans.put(model, plan)
    return accumulator.total(list(plan.counted), x.shape[0], x.device)


def log_abs_det(kernel: torch.Tensor) -> float:
    """``log|det K|`` in float64 with NumPy, as the reference; ``-inf`` when K is singular."""
    _, logabsdet = np.linalg.slogdet(kernel.detach().cpu().numpy())
    return float(logabsdet)


def naswot_score(model: nn.Module, x: torch.Tensor, *, allow_tf32: bool = False,
                 plans: PlanCache | None = None) -> float:
    """The NASWOT score of ``model`` on batch ``x``; the model stays in train mode."""
    with float32_precision(allow_tf32):
        return log_abs_det(naswot_kernel(model, x, plans, train=True))


class NaswotScorer(Scorer):
    """NASWOT (the paper's final score): log|det K| of the binary ReLU codes' kernel.

    Remembers the :class:`CallPlan` of the model it scored last, so scoring it again (the
    next batch seed, or the next init seed drawn into the same modules) skips the graph; a
    model must keep its modules between two scorings by one scorer (weights may change).
    """

    name = "naswot"
    citation = SCORE_CITATIONS["naswot"]

    def __init__(self) -> None:
        self._plans = PlanCache()

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        return naswot_score(model, images, allow_tf32=allow_tf32, plans=self._plans)
