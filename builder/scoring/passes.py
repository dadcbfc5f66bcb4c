"""The passes several Suite-Zero proxies share, computed once per (network, batch).

The reference runs every proxy on its own deep copy with its own passes.  Most of those passes
are the same computation: grad_norm, snip, plain and grasp's first gradient all read the weight
gradients of one cross-entropy forward/backward, fisher reads the layer outputs and their
gradients of that same pass, nwot the ReLU inputs of a forward of the same batch, and jacov and
epe_nas both read the input gradient of the sum of the logits.  A :class:`SharedPasses` runs
each of those passes lazily, at most once, and hands the same tensors to every scorer that asks.

A scorer given no ``SharedPasses`` makes its own (:func:`passes_for`) and calls the same method,
so its value is bit-identical to the shared path.  No pass changes a weight; forwards run in
train mode (BatchNorm on batch statistics), as in the reference.

The ``plan`` (the passes the scorers of this network and batch will read, :func:`plan_for`)
lets one forward serve several backward passes: grasp's Hessian-gradient product and the input
Jacobian then backpropagate through the loss pass's retained graph instead of running their own
forward (and grasp its own first-order backward).  The reference's passes run the same kernels
on the same inputs and weights, so every value is bit-identical (``tests/test_shared_graph.py``).
The planned passes all run at the first request of any of them, so no graph outlives that call.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from naswot_db.builder.spaces.complexity import count_complexity

from .proxy_common import class_loss, is_torch_relu, weight_layers
from .reference import code_gram, float32_precision, kernel_from_grams, network_output


# the passes a scorer reads (``Scorer.reads_passes``); the plan of a SharedPasses is their union
LOSS = "loss"  # the cross-entropy forward/backward (with labels, also nwot's ReLU codes)
HESSIAN = "hessian"  # grasp's Hessian-gradient product of that loss
JACOBIAN = "jacobian"  # d sum(logits) / d x


@dataclass(frozen=True)
class LossPass:
    """One cross-entropy forward/backward on the batch's labels."""

    layers: list[nn.Module]  # Conv2d/Linear layers in modules() order
    gradients: list[torch.Tensor | None]  # dL/dW per layer; None where the loss does not reach
    fisher: list[torch.Tensor | None]  # per output channel: sum over calls of
    #   0.5 * mean_n (sum_hw act * dL/dact)^2 of the layer's output; None without a gradient
    relu_kernel: np.ndarray  # nwot's K from the same forward (float64)


@dataclass(frozen=True)
class InputJacobian:
    """``d sum(logits) / d x`` of a train-mode forward, one row per image."""

    rows: np.ndarray  # (N, C*H*W), float32 as the reference's ``x.grad``
    outputs: int  # the network's output units (epe_nas's n_classes)


class _ReluCodes:
    """Forward hook on torch's ReLUs: the Gram matrix of each call's binary input codes."""

    def __init__(self) -> None:
        self.grams: list[tuple[torch.Tensor, int, int]] = []

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        gram, units = code_gram(inputs[0])
        self.grams.append((gram, units, 1))

    def kernel(self, batch_size: int, device: torch.device) -> np.ndarray:
        """K = sum over calls of c c^T + (1-c)(1-c)^T (exact integers in float64)."""
        return kernel_from_grams(self.grams, batch_size, device).cpu().numpy()


class _FisherHooks:
    """Forward hooks on the weight layers that hook each output's gradient, until
    :meth:`remove` (a shared forward also serves other backward passes after the loss's)."""

    def __init__(self, layers: list[nn.Module]) -> None:
        self.index = {id(layer): i for i, layer in enumerate(layers)}
        self.values: list[torch.Tensor | None] = [None] * len(layers)
        self.handles: list[Any] = []

    def hook(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if not output.requires_grad:
            return
        position = self.index[id(module)]
        act = output.detach()

        def on_gradient(gradient: torch.Tensor) -> None:
            products = act * gradient.detach()
            g_nk = products.sum(tuple(range(2, products.dim()))) if products.dim() > 2 else products
            del_k = g_nk.pow(2).mean(0).mul(0.5)
            known = self.values[position]
            self.values[position] = del_k if known is None else known + del_k

        self.handles.append(output.register_hook(on_gradient))

    def remove(self) -> None:
        """Drop the gradient hooks, so the forward's other backward passes run without them."""
        for handle in self.handles:
            handle.remove()
        self.handles = []


@dataclass(frozen=True)
class _Forward:
    """The loss pass's train-mode forward, its graph kept for the backward passes planned on it."""

    inputs: torch.Tensor  # requires grad when the input Jacobian reads this forward
    logits: torch.Tensor
    layers: list[nn.Module]
    fisher: _FisherHooks
    relu_kernel: np.ndarray


class SharedPasses:
    """Lazy, cached passes of one network on one batch (see the module docstring)."""

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                 *, allow_tf32: bool = False, plan: Collection[str] = ()) -> None:
        self.model = model
        self.images = images
        self.labels = labels
        self.allow_tf32 = allow_tf32
        self._cache: dict[str, Any] = {}
        planned = frozenset(plan) & {HESSIAN, JACOBIAN}
        # the passes run together on the loss pass's forward (empty: each runs alone)
        self._fused = frozenset({LOSS}) | planned if labels is not None and planned else frozenset()
        self._loss_gradients: tuple[torch.Tensor | None, ...] | None = None  # with their graph

    def _store(self, key: str, compute: Callable[[], Any]) -> None:
        """Keep ``compute()``'s value, or its exception for every later caller."""
        try:
            self._cache[key] = (True, compute())
        except (MemoryError, torch.cuda.OutOfMemoryError):
            raise
        except Exception as exc:  # each scorer using this pass gets its own error row
            self._cache[key] = (False, exc)

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once; an exception is kept and raised again to every later caller."""
        if key not in self._cache:
            self._store(key, compute)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def loss_pass(self) -> LossPass:
        """Cross-entropy forward/backward: weight gradients, fisher's channel values and nwot's
        ReLU kernel of the same forward."""
        self._run_fused()
        return self._cached(LOSS, lambda: self._loss_pass(self._forward(False), False, False))

    def input_jacobian(self) -> InputJacobian:
        """d sum(logits) / d x, one row per image, for jacov and epe_nas."""
        self._run_fused()
        return self._cached(JACOBIAN, self._input_jacobian)

    def hessian_gradient(self) -> list[torch.Tensor | None]:
        """Grasp's ``Hg`` per weight layer: the weight gradient of ``sum(g * dL/dW)``, ``g``
        the loss pass's ``dL/dW`` held constant (None where it does not reach a layer)."""
        self._run_fused()
        return self._cached(HESSIAN, self._hessian_gradient)

    def relu_kernel(self) -> np.ndarray:
        """nwot's K: from the loss pass when the batch has labels, else a no-grad forward."""
        if self.labels is not None:
            return self.loss_pass().relu_kernel
        return self._cached("relu", self._relu_forward)

    def _run_fused(self) -> None:
        """The planned passes that share the loss pass's forward, all at the first request of
        any: the graph lives only within this call (a build resets the network's buffers
        between scorers, which the saved tensors of a kept graph would refuse)."""
        fused, self._fused = self._fused, frozenset()
        if not fused:
            return
        try:
            forward = self._forward(JACOBIAN in fused)
        except (MemoryError, torch.cuda.OutOfMemoryError):
            raise
        except Exception as exc:  # the forward fails: so does every pass that reads it
            self._cache.update((key, (False, exc)) for key in fused)
            return
        try:
            self._store(LOSS, lambda: self._loss_pass(forward, HESSIAN in fused, True))
            if JACOBIAN in fused:
                self._store(JACOBIAN, lambda: self._jacobian(forward.inputs, forward.logits,
                                                             keep_graph=HESSIAN in fused))
            if HESSIAN in fused:
                self._store(HESSIAN, self._hessian_gradient)
        finally:
            self._loss_gradients = None

    def _forward(self, input_gradient: bool) -> _Forward:
        """A train-mode forward with fisher's and nwot's hooks; ``input_gradient``: the batch
        requires grad (for the input Jacobian)."""
        model = self.model.train()
        layers = weight_layers(model)
        fisher = _FisherHooks(layers)
        codes = _ReluCodes()
        handles = [layer.register_forward_hook(fisher.hook) for layer in layers]
        handles += [module.register_forward_hook(codes.hook)
                    for module in model.modules() if is_torch_relu(module)]
        x = self.images.detach().clone().requires_grad_(True) if input_gradient else self.images
        try:
            with float32_precision(self.allow_tf32):
                logits = network_output(model, x)
        finally:
            for handle in handles:
                handle.remove()
        return _Forward(x, logits, layers, fisher,
                        codes.kernel(self.images.shape[0], self.images.device))

    def _loss_pass(self, forward: _Forward, second_order: bool, keep_graph: bool) -> LossPass:
        """The loss backward of ``forward``; ``second_order``: the gradients keep their graph
        for the Hessian product (the same values, bit for bit); ``keep_graph``: the forward's
        graph stays for the passes after it."""
        loss = class_loss(forward.logits, self.labels)
        try:
            with float32_precision(self.allow_tf32):
                gradients = torch.autograd.grad(
                    loss, [layer.weight for layer in forward.layers], allow_unused=True,
                    create_graph=second_order, retain_graph=keep_graph)
        finally:
            forward.fisher.remove()
        if second_order:
            self._loss_gradients = gradients
        return LossPass(forward.layers, [None if g is None else g.detach() for g in gradients],
                        forward.fisher.values, forward.relu_kernel)

    def _hessian_gradient(self) -> list[torch.Tensor | None]:
        first = self.loss_pass()
        weights = [layer.weight for layer in first.layers]
        with float32_precision(self.allow_tf32):
            grad_f = self._loss_gradients  # the loss pass's own, with their graph
            if grad_f is None:  # the reference's second pass: a new forward, dL/dW with graph
                loss = class_loss(network_output(self.model.train(), self.images), self.labels)
                grad_f = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
            terms = [(g * f).sum() for g, f in zip(first.gradients, grad_f)
                     if g is not None and f is not None]
            if not terms:
                raise ValueError("the loss reaches no Conv2d/Linear weight")
            return list(torch.autograd.grad(sum(terms), weights, allow_unused=True))

    def complexity(self) -> tuple[int, int]:
        """(parameters, FLOPs) of the network for one image of the batch's shape, as
        Suite-Zero's tensorwatch count (:func:`~naswot_db.builder.spaces.complexity.count_complexity`)."""
        return self._cached("complexity",
                            lambda: count_complexity(self.model, tuple(self.images.shape[1:])))

    def _input_jacobian(self) -> InputJacobian:
        x = self.images.detach().clone().requires_grad_(True)
        with float32_precision(self.allow_tf32):
            y = network_output(self.model.train(), x)
        return self._jacobian(x, y, keep_graph=False)

    def _jacobian(self, x: torch.Tensor, y: torch.Tensor, keep_graph: bool) -> InputJacobian:
        with float32_precision(self.allow_tf32):
            (gradient,) = torch.autograd.grad(y, x, torch.ones_like(y), allow_unused=True,
                                              retain_graph=keep_graph)
        if gradient is None:
            raise ValueError("the network output does not depend on its input")
        return InputJacobian(gradient.detach().reshape(x.shape[0], -1).cpu().numpy(), y.shape[1])

    def _relu_forward(self) -> np.ndarray:
        model = self.model.train()
        codes = _ReluCodes()
        handles = [module.register_forward_hook(codes.hook)
                   for module in model.modules() if is_torch_relu(module)]
        try:
            with torch.no_grad(), float32_precision(self.allow_tf32):
                network_output(model, self.images)
        finally:
            for handle in handles:
                handle.remove()
        return codes.kernel(self.images.shape[0], self.images.device)


def plan_for(scorers: Iterable[Any]) -> frozenset[str]:
    """The passes ``scorers`` read (their ``reads_passes``): the plan of their SharedPasses."""
    return frozenset().union(*(getattr(scorer, "reads_passes", ()) for scorer in scorers))


def passes_for(passes: SharedPasses | None, model: nn.Module, images: torch.Tensor,
               labels: torch.Tensor | None, allow_tf32: bool,
               plan: Collection[str] = ()) -> SharedPasses:
    """The shared passes a scorer was given, or its own (the same computation, alone) for the
    passes of ``plan``."""
    if passes is not None:
        return passes
    return SharedPasses(model, images, labels, allow_tf32=allow_tf32, plan=plan)
