"""Build an arch's network once and draw each further init seed's weights into it.

A network's weights are the random draws its modules make while they are built, right after
``torch.manual_seed(init_seed)``, in the reference's parameter order.  :class:`SeededNetwork`
records those initialising calls (``kaiming_uniform_``, ``uniform_``, ``fill_``, ``zero_``,
...) while the first network is built, and replays them after the next seed: the same draws
in the same order into the same tensors, so the weights are bit-identical to a fresh build,
at a fraction of its cost.  Replaying also resets what a forward pass changed (BatchNorm's
running statistics).  Right after the first build the record is checked: every parameter must
be the target of a recorded call, and replaying the record with the first seed must give
exactly the built tensors and leave the generator exactly where the build left it (a draw the
record missed would not); a network that fails the check is rebuilt for every seed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import init
from torch.overrides import TorchFunctionMode

Call = tuple[Callable, tuple, dict]


def _kaiming_uniform_draw(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                          nonlinearity: str = "leaky_relu", generator=None) -> Call | None:
    """The one draw ``init.kaiming_uniform_`` makes, its bound computed as torch computes it."""
    if 0 in tensor.shape:
        return None
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(
        init._calculate_correct_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return torch.Tensor.uniform_, (tensor, -bound, bound), {"generator": generator}


def _uniform_draw(tensor: torch.Tensor, a: float = 0.0, b: float = 1.0,
                  generator=None) -> Call:
    return torch.Tensor.uniform_, (tensor, a, b), {"generator": generator}


# Initialisers replayed as the single tensor draw they make: the same draw without their Python
# around it.  Should torch ever compute a bound differently, the record's check (replaying the
# first seed must give the build exactly) fails and the network is rebuilt per seed instead.
_DRAWS: dict[Callable, Callable[..., Call | None]] = {
    init.kaiming_uniform_: _kaiming_uniform_draw, init.uniform_: _uniform_draw}


class _InitRecorder(TorchFunctionMode):
    """Records every in-place tensor call (``name_``) made while a network is built."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.targets: set[int] = set()  # storages the calls write

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        # torch.nn.init passes its tensor by keyword (``tensor=``) when it defers to a mode
        target = args[0] if args else kwargs.get("tensor")
        if name.endswith("_") and not name.startswith("_") and isinstance(target, torch.Tensor):
            draw = _DRAWS.get(func)
            call = (func, args, kwargs) if draw is None else draw(*args, **kwargs)
            if call is not None:
                self.calls.append(call)
            self.targets.add(target.untyped_storage().data_ptr())
        return func(*args, **kwargs)


def _tensors(model: nn.Module) -> tuple[list[nn.Parameter], list[torch.Tensor]]:
    """The parameters, and the parameters and buffers, in an order two builds of one arch
    share (one walk of the modules: each walk costs as much as a small layer)."""
    parameters, buffers = [], []
    for module in model.modules():
        parameters.extend(p for p in module._parameters.values() if p is not None)
        buffers.extend(b for b in module._buffers.values() if b is not None)
    return parameters, parameters + buffers


class SeededNetwork:
    """One arch's network on ``device``, re-drawn for each of its ``seeds`` init seeds."""

    def __init__(self, build: Callable[[], nn.Module], device: torch.device,
                 seeds: int = 2) -> None:
        self.build = build
        self.device = device
        self.record = seeds > 1  # recording costs more than it saves on a single seed
        self.master: nn.Module | None = None  # on the CPU, where the reference draws
        self.on_device: nn.Module | None = None
        self.calls: list[Call] = []
        self.pairs: list[tuple[torch.Tensor, torch.Tensor]] = []  # (on device, master)
        self.parameters: list[nn.Parameter] = []  # of the network on the device

    def for_seed(self, init_seed: int) -> nn.Module:
        """The network as ``torch.manual_seed(init_seed); build()`` makes it, on the device."""
        if self.master is None:
            return self._build(init_seed)
        torch.manual_seed(init_seed)
        self._replay()
        if self.pairs:
            with torch.no_grad():
                for target, source in self.pairs:
                    target.copy_(source)
        for parameter in self.parameters:
            parameter.grad = None
        return self.on_device

    def _build(self, init_seed: int) -> nn.Module:
        torch.manual_seed(init_seed)
        if not self.record:
            model = self.build()
            return model if self.device.type == "cpu" else model.to(self.device)
        recorder = _InitRecorder()
        with recorder:
            model = self.build()
        if self._replays_exactly(model, recorder, init_seed):
            self.master, self.calls = model, recorder.calls
            self.on_device = (model if self.device.type == "cpu"
                              else copy.deepcopy(model).to(self.device))
            self.parameters, on_device = _tensors(self.on_device)
            if self.on_device is not model:
                self.pairs = list(zip(on_device, _tensors(model)[1]))
            return self.on_device
        self.record = False  # this network is rebuilt for every further seed
        return model if self.device.type == "cpu" else model.to(self.device)

    def _replay(self) -> None:
        with torch.no_grad():
            for func, args, kwargs in self.calls:
                func(*args, **kwargs)

    def _replays_exactly(self, model: nn.Module, recorder: _InitRecorder,
                         init_seed: int) -> bool:
        """Every weight is written by a recorded call, and replaying gives the build exactly."""
        parameters, tensors = _tensors(model)
        if any(p.untyped_storage().data_ptr() not in recorder.targets for p in parameters):
            return False  # a weight copied from a temporary would keep its first values
        built = [tensor.detach().clone() for tensor in tensors]
        generator_after_build = torch.get_rng_state()
        torch.manual_seed(init_seed)
        self.calls = recorder.calls
        self._replay()
        return (torch.equal(torch.get_rng_state(), generator_after_build)
                and all(torch.equal(a, b) for a, b in zip(built, tensors)))
