"""A network's forward pass as straight-line code: the torch calls of one pass, replayed.

Dispatching a call through ``nn.Module.__call__`` (and its hooks) costs about as much as a small
layer, and a scoring pass of an NB201 network makes hundreds of them.  For a network whose
forward pass is the same torch calls on every batch of one shape, the first planned pass (the
second scoring of a model) also writes those calls down (a :class:`TapeRecorder`, a torch
function mode: every overridable call at the outermost level, with the tensors it reads named
by the call that made them) and compiles them into one Python function; a model scored once
or twice never pays for it.  Replaying it makes exactly the same torch calls on the same
parameter tensors, so its results are bit-identical to the modules'; only the Python between
them is gone, and with it the wrappers ``F.batch_norm`` and ``F.relu`` around their one torch
call, and in-place updates of buffers that no call reads (BatchNorm's count of batches, read
only by its Python: the momentum it picks is already in the tape), which change no output.
Where the planned pass's hooks took each counted input, the tape hands it to the planned
pass's code buffer.

Only networks that declare ``static_forward = True`` (every network of this package's spaces)
are taped, and a tape is void, falling back to the modules, when the pass read a tensor's
value into Python (``item``, ``bool`` ...: the recorded branch might not be taken on other
data), read a tensor that is neither made by a recorded call nor one of the network's
parameters and buffers (it may hold values of this batch), or when the next batch has
another shape, dtype or device (shapes are recorded as constants).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

# Calls that turn a tensor's values into Python values: a branch on one would be recorded
# as taken for every batch.
_READS_VALUES = frozenset({"item", "tolist", "numpy", "__bool__", "__int__", "__float__",
                           "__index__", "__array__", "__complex__"})


def _batch_norm_builtin(out: torch.Tensor, input: torch.Tensor, running_mean, running_var,
                        weight=None, bias=None, training: bool = False, momentum=0.1,
                        eps: float = 1e-5) -> tuple | None:
    """``F.batch_norm``'s one torch call without its Python checks (they held for the recorded
    shape), if that call gives what ``F.batch_norm`` gave (in train mode the output does not
    depend on the running statistics, so the check leaves them alone)."""
    if not training:
        return None
    enabled = torch.backends.cudnn.enabled
    check = torch.batch_norm(input, weight, bias, None, None, True, momentum, eps, enabled)
    if not torch.equal(check, out):
        return None
    return torch.batch_norm, (input, weight, bias, running_mean, running_var, training,
                              momentum, eps, enabled), {}


def _relu_builtin(out: torch.Tensor, input: torch.Tensor, inplace: bool = False) -> tuple:
    """``F.relu``'s one torch call."""
    return (torch.relu_ if inplace else torch.relu), (input,), {}


# Python wrappers recorded as the torch call they make: the wrapper's own Python would cost
# about as much as the call at every replay.
_BUILTIN_CALL = {F.batch_norm: _batch_norm_builtin, F.relu: _relu_builtin}


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
    keeps no activation alive); the network's parameters and buffers (``known``: their ids)
    are kept as constants.  Any other tensor voids the tape: it was made by a call the
    recorder did not see, from this batch for all the recorder knows.
    """

    def __init__(self, x: torch.Tensor, known: set[int]) -> None:
        super().__init__()
        self._known = known
        self.key = _input_key(x)
        self.lines: list[str] = []
        self.constants: list = []
        self._names: dict[int, tuple[weakref.ref, str]] = {id(x): (weakref.ref(x), "x")}
        self.void: str | None = None  # why the tape cannot stand for the modules
        self.captures: list[tuple[int, str, int]] = []  # (slot, name, lines before)
        self._constant_reads: dict[int, int] = {}  # id of a constant tensor -> calls passed it
        self._bookkeeping: list[tuple[int, int]] = []  # (line, constant): in-place on a buffer

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
        builtin = _BUILTIN_CALL.get(func)
        if builtin is not None:
            func, args, kwargs = builtin(out, *args, **kwargs) or (func, args, kwargs)
        call = ", ".join([*(self._source(a) for a in args),
                          *(f"{k}={self._source(v)}" for k, v in kwargs.items())])
        updates_constant = (name.endswith("_") and bool(args) and out is args[0]
                            and self._name(out) is None)
        if updates_constant:  # later reads of the buffer stay reads of the constant
            self._bookkeeping.append((len(self.lines), id(out)))
        target = f"v{len(self.lines)}"
        self.lines.append(f"    {target} = {self._constant(func)}({call})")
        if not updates_constant:
            self._name_outputs(out, target)
        return out

    def _name_outputs(self, out: object, target: str) -> None:
        if isinstance(out, torch.Tensor):
            self._names[id(out)] = (weakref.ref(out), target)
        elif isinstance(out, (tuple, list)):
            for index, item in enumerate(out):
                if isinstance(item, torch.Tensor):
                    self._names[id(item)] = (weakref.ref(item), f"{target}[{index}]")

    def capture(self, slot: int, activations: torch.Tensor) -> None:
        """The input of slot ``slot`` is handed over here (a hook's torch calls, made with
        torch functions disabled, are not the network's and are not recorded)."""
        name = self._name(activations)
        if name is None and self.void is None:
            self.void = "a hooked call's input was made outside the recorded calls"
        self.captures.append((slot, name or "", len(self.lines)))

    def _unread_bookkeeping(self) -> set[int]:
        """Lines that update a buffer in place which no other call reads (BatchNorm's count of
        batches, read only by its Python, whose momentum the tape already holds): they change
        no output, so the tape leaves them out."""
        updates: dict[int, int] = {}
        for _, constant in self._bookkeeping:
            updates[constant] = updates.get(constant, 0) + 1
        return {line for line, constant in self._bookkeeping
                if self._constant_reads[constant] == updates[constant]}

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
            if id(value) not in self._known and self.void is None:
                self.void = "the pass read a tensor that no recorded call made"
            self._constant_reads[id(value)] = self._constant_reads.get(id(value), 0) + 1
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
        dropped = self._unread_bookkeeping()
        for position, line in enumerate(self.lines, start=1):
            if position - 1 not in dropped:
                body.append(line)
            body.extend(at.get(position, []))
        source = "def forward(x, C, K):\n" + "\n".join(body or ["    pass"]) + "\n"
        namespace: dict = {}
        exec(compile(source, "<naswot-db forward tape>", "exec"), namespace)  # noqa: S102 - our own lines
        return ForwardTape(namespace["forward"], self.constants, self.key)

