"""What the NAS-Bench-Suite-Zero proxies share (``../shared/spec/PROXIES.md`` sections 0 and 1).

The reference (NASLib's ``zerocost`` branch) collects a per-layer value from every ``nn.Conv2d``
and ``nn.Linear`` weight (never biases or BatchNorm), sums each layer's tensor and adds the
layers up; computes a cross-entropy loss on the batch's true labels; keeps the network in train
mode (BatchNorm on batch statistics) in float32; turns BatchNorm off, linearises the weights and
switches to float64 for synflow; and re-initialises the network for zen.  Those steps live here
once, so each proxy's module holds only its own formula.

Sums: the reference adds per-layer float32 sums into a float32 scalar; here each layer's sum and
the total are float64 (the same value to ~1e-7 relative, without the order-dependent rounding).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .base import Scorer

WEIGHT_LAYERS = (nn.Conv2d, nn.Linear)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
# Suite-Zero's ZeroCost.query stores every NaN or +-inf score as this value
SUITE_ZERO_SENTINEL = -1e8


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The layers the reference collects from, in ``model.modules()`` order (each once)."""
    return [module for module in model.modules() if isinstance(module, WEIGHT_LAYERS)]


def layer_total(values: Iterable[torch.Tensor | None]) -> float:
    """The reference's reduction: the sum over layers of each layer tensor's sum (a layer
    without a value, e.g. no gradient reached it, contributes zero)."""
    return math.fsum(float(value.detach().double().sum()) for value in values
                     if value is not None)


def class_loss(logits: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """The reference's loss: ``F.cross_entropy`` (mean over the batch) on the true labels."""
    if labels is None:
        raise ValueError("this score needs the batch's labels (a cross-entropy loss on them)")
    if logits.shape[1] < 2:
        raise ValueError(f"the network has {logits.shape[1]} output unit; a cross-entropy loss "
                         "on labels needs one output per class (build it with num_classes)")
    return F.cross_entropy(logits, labels)


def is_torch_relu(module: nn.Module) -> bool:
    """True for the modules NASLib's nwot hooks: ``'ReLU' in str(type(m))`` but not NASLib's
    own classes; our ``ReLUConvBN`` mirrors such a NASLib class, so only torch's count."""
    module_type = type(module)
    return module_type.__module__.startswith("torch.") and "ReLU" in module_type.__name__


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def disable_batchnorm(model: nn.Module) -> None:
    """Make every BatchNorm1d/2d pass its input through, as the reference's ``bn=False`` copy."""
    for module in model.modules():
        if isinstance(module, BATCH_NORMS):
            module.forward = _identity


@torch.no_grad()
def linearise(model: nn.Module) -> None:
    """Absolute values of every ``state_dict`` tensor, in place (synflow's ``linearize``).

    The reference restores the signs afterwards; a scorer that changes weights works on a copy
    that is discarded, so the signs are not kept.
    """
    for tensor in model.state_dict().values():
        if tensor.is_floating_point():
            tensor.abs_()


@torch.no_grad()
def gaussian_reinit(model: nn.Module, generator: torch.Generator) -> None:
    """Zen-NAS's re-initialisation: Conv/Linear weights ~ N(0, 1) and biases 0, BatchNorm and
    GroupNorm gamma 1 and beta 0, in ``modules()`` order; running statistics start afresh (the
    reference copies a network that never ran a forward pass)."""
    for module in model.modules():
        if isinstance(module, WEIGHT_LAYERS):
            module.weight.normal_(0.0, 1.0, generator=generator)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm)):
            if module.weight is not None:
                module.weight.fill_(1.0)
                module.bias.zero_()
            if isinstance(module, BATCH_NORMS) and module.track_running_stats:
                module.reset_running_stats()


class SuiteZeroScorer(Scorer):
    """A Suite-Zero proxy: shares passes, and optionally applies Suite-Zero's post-processing.

    By default the raw value is stored (NaN is an error row, -inf a singular row).
    ``nan_sentinel=-1e8`` reproduces ``ZeroCost.query``, which stores NaN and +-inf as -1e8
    (and, for proxies whose reference catches every exception, a failure too).
    """

    shares_passes = True
    # True where the reference turns any exception into NaN (jacov, epe_nas): with a sentinel
    # set, such a failure stores the sentinel as Suite-Zero does; without, an error row
    reference_catches: bool = False

    def __init__(self, *, nan_sentinel: float | None = None) -> None:
        self.nan_sentinel = nan_sentinel

    def settings(self) -> dict[str, Any]:
        return {"nan_sentinel": self.nan_sentinel}

    def finish(self, value: float) -> float:
        """The stored value of raw score ``value`` under this scorer's settings."""
        if self.nan_sentinel is not None and not math.isfinite(value):
            return float(self.nan_sentinel)
        return value

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool, passes: Any = None) -> float:
        try:
            value = self.raw(model, images, labels, allow_tf32=allow_tf32, passes=passes)
        except (MemoryError, torch.cuda.OutOfMemoryError):
            raise
        except Exception:
            if self.nan_sentinel is None or not self.reference_catches:
                raise  # an error row with the reason
            value = math.nan  # the reference's ``except: score = nan``
        return self.finish(value)

    @abstractmethod
    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        """The proxy's value as the reference computes it, before any post-processing."""
