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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from naswot_db.builder.spaces.complexity import count_complexity

from .proxy_common import class_loss, is_torch_relu, weight_layers
from .reference import code_gram, float32_precision, kernel_from_grams, network_output


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
    """Forward hooks on the weight layers that hook each output's gradient."""

    def __init__(self, layers: list[nn.Module]) -> None:
        self.index = {id(layer): i for i, layer in enumerate(layers)}
        self.values: list[torch.Tensor | None] = [None] * len(layers)

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

        output.register_hook(on_gradient)


class SharedPasses:
    """Lazy, cached passes of one network on one batch (see the module docstring)."""

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                 *, allow_tf32: bool = False) -> None:
        self.model = model
        self.images = images
        self.labels = labels
        self.allow_tf32 = allow_tf32
        self._cache: dict[str, Any] = {}

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once; an exception is kept and raised again to every later caller."""
        if key not in self._cache:
            try:
                self._cache[key] = (True, compute())
            except (MemoryError, torch.cuda.OutOfMemoryError):
                raise
            except Exception as exc:  # each scorer using this pass gets its own error row
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def loss_pass(self) -> LossPass:
        """Cross-entropy forward/backward: weight gradients, fisher's channel values and nwot's
        ReLU kernel of the same forward."""
        return self._cached("loss", self._loss_pass)

    def input_jacobian(self) -> InputJacobian:
        """d sum(logits) / d x, one row per image, for jacov and epe_nas."""
        return self._cached("jacobian", self._input_jacobian)

    def relu_kernel(self) -> np.ndarray:
        """nwot's K: from the loss pass when the batch has labels, else a no-grad forward."""
        if self.labels is not None:
            return self.loss_pass().relu_kernel
        return self._cached("relu", self._relu_forward)

    def _loss_pass(self) -> LossPass:
        model = self.model.train()
        layers = weight_layers(model)
        fisher = _FisherHooks(layers)
        codes = _ReluCodes()
        handles = [layer.register_forward_hook(fisher.hook) for layer in layers]
        handles += [module.register_forward_hook(codes.hook)
                    for module in model.modules() if is_torch_relu(module)]
        try:
            with float32_precision(self.allow_tf32):
                loss = class_loss(network_output(model, self.images), self.labels)
                gradients = torch.autograd.grad(loss, [layer.weight for layer in layers],
                                                allow_unused=True)
        finally:
            for handle in handles:
                handle.remove()
        return LossPass(layers, list(gradients), fisher.values,
                        codes.kernel(self.images.shape[0], self.images.device))

    def complexity(self) -> tuple[int, int]:
        """(parameters, FLOPs) of the network for one image of the batch's shape, as
        Suite-Zero's tensorwatch count (:func:`~naswot_db.builder.spaces.complexity.count_complexity`)."""
        return self._cached("complexity",
                            lambda: count_complexity(self.model, tuple(self.images.shape[1:])))

    def _input_jacobian(self) -> InputJacobian:
        model = self.model.train()
        x = self.images.detach().clone().requires_grad_(True)
        with float32_precision(self.allow_tf32):
            y = network_output(model, x)
            (gradient,) = torch.autograd.grad(y, x, torch.ones_like(y), allow_unused=True)
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


def passes_for(passes: SharedPasses | None, model: nn.Module, images: torch.Tensor,
               labels: torch.Tensor | None, allow_tf32: bool) -> SharedPasses:
    """The shared passes a scorer was given, or its own (the same computation, alone)."""
    if passes is not None:
        return passes
    return SharedPasses(model, images, labels, allow_tf32=allow_tf32)
