"""A network's forward pass as straight-line code: the torch calls of one pass, replayed.

Dispatching a call through ``nn.Module.__call__`` (and its hooks) costs about as much as a small
layer, and a scoring pass of an NB201 network makes hundreds of them.  For a network whose
forward pass is the same torch calls on every batch of one shape, the first planned pass (the
second scoring of a model) also writes those calls down (a :class:`TapeRecorder`, a torch
function mode: every overridable call at the outermost level, with the tensors it reads named
by the call that made them) and compiles them into one Python function; a model scored once
or twice never pays for it.  Replaying it makes exactly the same torch calls on the same
parameter tensors, so its results are bit-identical to the modules'; only the Python between
them is gone.  Where the planned pass's hooks took each counted input, the tape hands it to the
planned pass's code buffer.

Only networks that declare ``static_forward = True`` (every network of this package's spaces)
are taped, and a tape is void, falling back to the modules, when the pass read a tensor's
value into Python (``item``, ``bool`` ...: the recorded branch might not be taken on other
data), read an intermediate tensor it did not see being made, or when the next batch has
another shape, dtype or device (shapes are recorded as constants).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import torch
from torch.overrides import TorchFunctionMode

# Calls that turn a tensor's values into Python values: a branch on one would be recorded
# as taken for every batch.
_READS_VALUES = frozenset({"item", "tolist", "numpy", "__bool__", "__int__", "__float__",
                           "__index__", "__array__", "__complex__"})


def tapes(model: torch.nn.Module) -> bool:
    """Whether ``model``'s forward pass may be replayed from a tape."""
    return bool(getattr(type(model), "static_forward", False))


class ForwardTape:
    """A compiled forward pass for inputs of one shape, dtype and device."""

    def __init__(self, run: Callable, constants: list, key: tuple) -> None:
        self._run = run
        self._constants = constants
        self.key = key

    def fits(self, x: torch.Tensor) -> bool:
        return _input_key(x) == self.key

    def replay(self, x: torch.Tensor, capture: Callable[[int, torch.Tensor], None]) -> None:
        """Run the recorded calls on ``x``, handing slot ``s``'s input to ``capture(s, t)``."""
        self._run(x, self._constants, capture)


def _input_key(x: torch.Tensor) -> tuple:
    return tuple(x.shape), x.dtype, x.device


class TapeRecorder(TorchFunctionMode):
    """Writes down the torch calls of one forward pass of ``x`` as lines of Python.

    Tensors made during the pass are named by the line that made them (weakly: the recorder
    keeps no activation alive); other tensors (parameters, buffers, constants) are kept as
    constants, unless they carry an autograd history, which means they were made from the
    input by a call the recorder did not see.
    """

    def __init__(self, x: torch.Tensor) -> None:
        super().__init__()
        self.key = _input_key(x)
        self.lines: list[str] = []
        self.constants: list = []
        self._names: dict[int, tuple[weakref.ref, str]] = {id(x): (weakref.ref(x), "x")}
        self.void: str | None = None  # why the tape cannot stand for the modules
        self.captures: list[tuple[int, str, int]] = []  # (slot, name, lines before)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if self.void is not None:
            return out
        name = getattr(func, "__name__", "")
        if name in _READS_VALUES:
            self.void = f"the pass reads tensor values into Python ({name})"
            return out
        if not (out is None or isinstance(out, (torch.Tensor, tuple, list))):
            return out  # a shape or dtype query: its value is part of later calls' arguments
        call = ", ".join([*(self._source(a) for a in args),
                          *(f"{k}={self._source(v)}" for k, v in kwargs.items())])
        target = f"v{len(self.lines)}"
        self.lines.append(f"    {target} = {self._constant(func)}({call})")
        if isinstance(out, torch.Tensor):
            self._names[id(out)] = (weakref.ref(out), target)
        elif isinstance(out, (tuple, list)):
            for index, item in enumerate(out):
                if isinstance(item, torch.Tensor):
                    self._names[id(item)] = (weakref.ref(item), f"{target}[{index}]")
        return out

    def capture(self, slot: int, activations: torch.Tensor) -> None:
        """The input of slot ``slot`` is handed over here (a hook's torch calls, made with
        torch functions disabled, are not the network's and are not recorded)."""
        name = self._name(activations)
        if name is None and self.void is None:
            self.void = "a hooked call's input was made outside the recorded calls"
        self.captures.append((slot, name or "", len(self.lines)))

    def _name(self, tensor: torch.Tensor) -> str | None:
        known = self._names.get(id(tensor))
        return known[1] if known is not None and known[0]() is tensor else None

    def _constant(self, value: object) -> str:
        self.constants.append(value)
        return f"C[{len(self.constants) - 1}]"

    def _source(self, value: object) -> str:
        if isinstance(value, torch.Tensor):
            name = self._name(value)
            if name is not None:
                return name
            if value.grad_fn is not None and self.void is None:
                self.void = "the pass read an intermediate tensor the recorder did not see made"
            return self._constant(value)
        if value is None or isinstance(value, (bool, int, str)):
            return repr(value)
        if isinstance(value, list):
            return f"[{', '.join(self._source(v) for v in value)}]"
        if type(value) is tuple:
            return f"({''.join(self._source(v) + ', ' for v in value)})"
        return self._constant(value)  # floats (inf, nan), slices, dtypes, devices, ...

    def compile(self) -> ForwardTape | None:
        """The tape, handing each slot's input over where the pass did; None when void."""
        if self.void is not None:
            return None
        at: dict[int, list[str]] = {}  # lines before -> the captures made there
        for slot, name, position in self.captures:
            at.setdefault(position, []).append(f"    K({slot}, {name})")
        body = list(at.get(0, []))
        for position, line in enumerate(self.lines, start=1):
            body.append(line)
            body.extend(at.get(position, []))
        source = "def forward(x, C, K):\n" + "\n".join(body or ["    pass"]) + "\n"
        namespace: dict = {}
        exec(compile(source, "<naswot-db forward tape>", "exec"), namespace)  # noqa: S102 - our own lines
        return ForwardTape(namespace["forward"], self.constants, self.key)

