"""Scoring a network again without its autograd graph: the call plan and the planned pass.

Which hooked calls count (are live) and which of them see the same input tensor are
properties of the network, not of its weights or data.  After one recording pass a
:class:`CallPlan` holds them, and a planned pass of the same modules (another batch, or new
weights drawn into them) is a plain no-grad forward whose hooks do almost nothing: the first
call to see each counted input writes its binary codes into columns of one code buffer, and
each full stretch of columns (a segment) is folded into ``sum count * c c^T`` with one matrix
product per distinct count.  Per segment every product entry is an integer below 2**24, so
float32 products are exact and their float64 sum is too: the kernel is the recording pass's,
bit for bit.  Any call the plan does not foresee (another module, an input of another size,
or a different input where the plan expects a shared one) voids the pass.  A network with a
static forward is written down as a :class:`~.forward_tape.ForwardTape` in its first planned
pass and replayed from it afterwards, without the modules and their hooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import weakref
from dataclasses import dataclass

import torch
from torch import nn

from .forward_tape import ForwardTape, TapeRecorder, tapes
from ..reference import (code_dtype, gram, kernel_from_agreement, network_output,
                        is_reference_hooked, train_mode)

# Columns of one segment: bounds the code buffer (batch x columns float32: 64 MiB at batch
# 128) and keeps every product entry of a segment exact in float32.
SEGMENT_COLUMNS = 1 << 17


@dataclass(frozen=True)
class Segment:
    """Consecutive slots whose codes share the code buffer: ``groups`` are (count, first
    column, end column) runs of slots that count equally often; ``columns`` their width (which
    decides the codes' dtype on a device: :func:`~.reference.code_dtype`)."""

    columns: int
    groups: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class CodeLayout:
    """Where a planned pass puts the codes of each counted distinct input (a slot)."""

    slot_of: tuple[int, ...]  # per hooked call: its input's slot, -1 when no counted call sees it
    captures: tuple[bool, ...]  # per hooked call: the first to see its slot's input
    units: tuple[int, ...]  # per slot: units per example
    column: tuple[int, ...]  # per slot: first column in the buffer
    segment: tuple[int, ...]  # per slot: its segment
    closes: tuple[bool, ...]  # per slot: whether it is its segment's last
    segments: tuple[Segment, ...]
    counted_units: int  # sum of count * units: the N of K's (1-c)(1-c)^T terms


def code_layout(inputs: list[int], counted: list[bool], units: list[int]) -> CodeLayout:
    """The layout for hooked calls seeing distinct inputs ``inputs[p]`` (indices in first-seen
    order) of ``units[i]`` units, of which the ``counted`` calls count."""
    counts = [0] * len(units)
    for index, counts_here in zip(inputs, counted):
        counts[index] += counts_here
    slot_by_input = {index: slot for slot, index in
                     enumerate(i for i in range(len(units)) if counts[i])}
    seen: set[int] = set()
    captures = []
    for index in inputs:
        captures.append(index in slot_by_input and index not in seen)
        seen.add(index)
    slot_units = [units[i] for i in slot_by_input]
    slot_counts = [counts[i] for i in slot_by_input]
    column = [0] * len(slot_units)
    segment = [0] * len(slot_units)
    closes = [False] * len(slot_units)
    segments: list[Segment] = []
    start = 0
    while start < len(slot_units):  # a segment: slots in capture order up to SEGMENT_COLUMNS
        stop, columns = start + 1, slot_units[start]
        while stop < len(slot_units) and columns + slot_units[stop] <= SEGMENT_COLUMNS:
            columns += slot_units[stop]
            stop += 1
        groups, offset = [], 0
        for count in sorted({slot_counts[s] for s in range(start, stop)}):
            first = offset
            for slot in range(start, stop):
                if slot_counts[slot] == count:
                    column[slot], offset = offset, offset + slot_units[slot]
            groups.append((count, first, offset))
        segment[start:stop] = [len(segments)] * (stop - start)
        closes[stop - 1] = True
        segments.append(Segment(columns, tuple(groups)))
        start = stop
    return CodeLayout(tuple(slot_by_input.get(i, -1) for i in inputs), tuple(captures),
                      tuple(slot_units), tuple(column), tuple(segment), tuple(closes),
                      tuple(segments),
                      sum(u * c for u, c in zip(slot_units, slot_counts)))


@dataclass(frozen=True)
class CallPlan:
    """One model's hooked calls in call order, which of them count (are live), where their
    codes go, and all its modules (``model.modules()``, walked once: the walk costs as much as
    a small layer)."""

    modules: tuple[nn.Module, ...]
    counted: tuple[bool, ...]
    layout: CodeLayout
    everything: tuple[nn.Module, ...] = ()
    tape: ForwardTape | None = None  # the forward's torch calls, for a static network


class _PlannedPass:
    """The hook of planned passes over one plan at one batch size: codes into the buffer's
    columns, each segment folded into ``agree_on`` as its last input arrives.  Kept between
    passes (with its buffer and the views into it), as a build scores one model many times."""

    def __init__(self, plan: CallPlan, batch_size: int, device: torch.device) -> None:
        layout = plan.layout
        self.plan = plan
        self.batch_size = batch_size
        self.device = device
        self.steps = tuple(zip(plan.modules, layout.slot_of, layout.captures))
        # per segment, the codes' dtype on this device (int8 on a CPU that multiplies it)
        dtypes = [code_dtype(segment.columns, device) for segment in layout.segments]
        widths: dict[torch.dtype, int] = {}
        for dtype, segment in zip(dtypes, layout.segments):
            widths[dtype] = max(widths.get(dtype, 0), segment.columns)
        buffers = {dtype: torch.empty(batch_size, columns, dtype=dtype, device=device)
                   for dtype, columns in widths.items()}
        self.outputs = []  # per slot: the buffer columns its codes go to
        self.folds = []  # per slot: the (count, codes) products its arrival completes
        for slot, units in enumerate(layout.units):
            segment = layout.segments[layout.segment[slot]]
            buffer = buffers[dtypes[layout.segment[slot]]]
            column = layout.column[slot]
            self.outputs.append(buffer[:, column:column + units])
            self.folds.append(tuple((count, buffer[:, first:end])
                                    for count, first, end in segment.groups)
                              if layout.closes[slot] else ())
        self.inputs = [0] * len(layout.units)  # id of each slot's input tensor in this pass
        self.recorder: TapeRecorder | None = None  # writing this pass down as a tape
        self.position = 0
        self.captured = 0
        self.fits = True
        self.agree_on = torch.empty(0)

    def start(self) -> None:
        self.position = 0
        self.captured = 0
        self.fits = True
        self.agree_on = torch.zeros(self.batch_size, self.batch_size, dtype=torch.float64,
                                    device=self.device)

    def hook(self, module: nn.Module, inputs: tuple, output: object) -> None:
        position = self.position
        self.position = position + 1
        if position >= len(self.steps):
            self.fits = False
            return
        expected, slot, captures = self.steps[position]
        if expected is not module:
            self.fits = False
        if slot < 0 or not self.fits:
            return
        activations = inputs[0]
        if not captures:
            self.fits = self.inputs[slot] == id(activations)  # the input the plan shares
            return
        self.inputs[slot] = id(activations)
        if self.recorder is None:
            self.capture(slot, activations)
            return
        self.recorder.capture(slot, activations)
        with torch._C.DisableTorchFunction():  # the codes are the scorer's calls, not the network's
            self.capture(slot, activations)

    def capture(self, slot: int, activations: torch.Tensor) -> None:
        """The codes of slot ``slot``'s input; folds the segment the slot completes."""
        codes = self.outputs[slot]
        if activations.numel() != codes.numel():
            self.fits = False
            return
        torch.gt(activations.reshape(codes.shape), 0, out=codes)
        for count, segment_codes in self.folds[slot]:
            self.agree_on.add_(gram(segment_codes), alpha=count)
        self.captured += 1

    def kernel(self, taped: bool = False) -> torch.Tensor | None:
        """K, or None when the pass did not follow the plan (``taped``: the tape ran, so no
        hooked call was counted, only captures)."""
        if not self.fits or self.captured != len(self.outputs) \
                or not taped and self.position != len(self.steps):
            return None
        return kernel_from_agreement(self.agree_on, self.plan.layout.counted_units)


def _state_ids(modules: list[nn.Module]) -> set[int]:
    """Ids of the modules' parameters and buffers: the tensors a tape may hold as constants."""
    return {id(tensor) for module in modules
            for tensor in (*module._parameters.values(), *module._buffers.values())
            if tensor is not None}


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

    def __init__(self, taping: bool = False) -> None:
        self.taping = taping  # whether a static network's second scoring writes a tape
        self._model: nn.Module | None = None
        self._plan: CallPlan | None = None
        self._pass: _PlannedPass | None = None  # of the held plan, at the last batch size
        self._taped = False  # whether the held model's tape was tried (recorded or void)
        self._in_pass = False
        self._handles: list = []
        weakref.finalize(self, _remove_hooks, self._handles)

    def get(self, model: nn.Module) -> CallPlan | None:
        return self._plan if self._model is model else None

    def put(self, model: nn.Module, plan: CallPlan) -> None:
        _remove_hooks(self._handles)
        self._model, self._plan, self._pass, self._taped = model, plan, None, False

    def planned_kernel(self, model: nn.Module, x: torch.Tensor, train: bool) -> torch.Tensor | None:
        """K of the held model on ``x`` from a no-grad planned pass, or None when the pass
        did not follow the plan (then the caller records the model afresh)."""
        planned = self._pass
        if planned is None or planned.batch_size != x.shape[0] or planned.device != x.device:
            planned = self._pass = _PlannedPass(self._plan, x.shape[0], x.device)
        planned.start()
        tape = self._plan.tape
        # a tape holds the modules' parameters: only the model it was recorded from may use it
        if (tape is not None and train and tape.fits(x)
                and self._plan.everything and self._plan.everything[0] is model):
            with torch.no_grad():
                tape.replay(x, planned.capture)
            return planned.kernel(taped=True)
        everything = list(self._plan.everything)
        if not self._handles:
            cache = weakref.ref(self)  # a hook must not keep its cache, and so itself, alive

            def hook(module: nn.Module, inputs: tuple, output: object) -> None:
                holder = cache()
                if holder is not None and holder._in_pass:
                    holder._pass.hook(module, inputs, output)

            self._handles.extend(module.register_forward_hook(hook) for module in everything
                                 if is_reference_hooked(module))
        if train:
            train_mode(everything)
        # with taping on, the first planned pass of a static network is also written down and
        # later passes replay it: a model scored once never pays for a tape
        recorder = (TapeRecorder(x, _state_ids(everything))
                    if self.taping and train and not self._taped and tapes(model) else None)
        planned.recorder = recorder
        self._in_pass = True
        try:
            with torch.no_grad(), (recorder or contextlib.nullcontext()):
                network_output(model, x)
        finally:
            self._in_pass = False
            planned.recorder = None
        kernel = planned.kernel()
        if recorder is not None:
            self._taped = True
            if kernel is not None:
                self._plan = dataclasses.replace(self._plan, tape=recorder.compile())
        return kernel
