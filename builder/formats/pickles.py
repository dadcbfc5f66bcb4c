"""Reading the benchmarks' and datasets' pickles (CIFAR, ImageNet16, NATS-Bench, NB201 .pth).

Every pickle any format reader loads goes through :func:`load_pickle` (or :func:`load_pth`), so
how a pickle is unpickled is decided in this one place.  A pickle can name any importable
callable and have it called while loading; these formats only ever hold builtin containers,
NumPy arrays, scalars and dtypes and ``collections.OrderedDict``, so the unpickler resolves
exactly those names and refuses every other before anything from the file runs.

The allowed callables that could be handed a size instead of contents (``bytearray(3e9)``,
``set(range(1e10))``) are replaced by versions that take only what a pickler writes for them
(bytes, a string and its encoding, a list), and the pickle stream itself is read through a
byte budget (the file's size, or for bz2 a bounded expansion of it), so a small bz2 file
that decompresses to gigabytes stops at the budget.
"""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from naswot_db.core.errors import NaswotDbError

_NUMPY_CORE = ("numpy.core", "numpy._core")  # NumPy 1 and NumPy 2 spellings
# What CIFAR (Python 2 cPickle), ImageNet16 and NATS-Bench pickles reference.
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {("collections", "OrderedDict"), ("numpy", "ndarray"), ("numpy", "dtype"),
     ("_codecs", "encode")}  # protocol-2 pickles spell bytes as _codecs.encode(str, 'latin1')
    | {(f"{core}.multiarray", name) for core in _NUMPY_CORE for name in ("_reconstruct", "scalar")}
    | {(f"{core}.numeric", "_frombuffer") for core in _NUMPY_CORE}
    | {(module, name) for module in ("builtins", "__builtin__")
       for name in ("set", "frozenset", "bytearray", "complex", "slice", "range")}
)
# A bz2 pickle may decompress to at most this many times its size, and at least to
# the floor: real NATS-Bench files expand 4x (a per-arch file to 0.3-1.4 MB), bombs 10^6x.
MAX_EXPANSION, EXPANSION_FLOOR_BYTES = 50, 64 << 20


def _contents_only(kind: type) -> Any:
    """``kind`` called only as a pickler writes it: with contents, never with a size."""
    def build(*args: Any) -> Any:
        if not args:
            return kind()
        if kind is bytearray and isinstance(args[0], (bytes, str)) and len(args) <= 2:
            return kind(*args)
        if kind is not bytearray and len(args) == 1 and isinstance(args[0], (list, tuple)):
            return kind(args[0])
        raise pickle.UnpicklingError(f"it calls {kind.__name__} with "
                                     f"{type(args[0]).__name__}, not with contents; refusing it")
    return build


_CONTENTS_ONLY = {name: _contents_only(kind) for name, kind in
                  (("set", set), ("frozenset", frozenset), ("bytearray", bytearray))}


class _BoundedStream:
    """A binary file read through a budget of bytes (what the unpickler calls on it)."""

    def __init__(self, handle: Any, budget: int) -> None:
        self._handle, self._left, self._budget = handle, budget, budget

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise pickle.UnpicklingError(f"it decompresses to more than {self._budget} bytes, "
                                         "far more than any file of this kind; refusing it")
        return data

    def read(self, size: int = -1) -> bytes:
        return self._take(self._handle.read(self._left + 1 if size < 0 else
                                            min(size, self._left + 1)))

    def readline(self) -> bytes:
        return self._take(self._handle.readline(self._left + 1))


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global that none of the benchmark formats holds."""


class _AllowlistUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(f"it references {module}.{name}, which these files never "
                                    "hold; refusing to load it (nothing in it was run)")
        if module in ("builtins", "__builtin__") and name in _CONTENTS_ONLY:
            return _CONTENTS_ONLY[name]
        if module.startswith("numpy.core.") and hasattr(np, "_core"):  # NumPy 2 renamed it
            module = "numpy._core." + module[len("numpy.core."):]
        return super().find_class(module, name)


def load_pickle(path: Path, what: str, error: type[NaswotDbError], encoding: str = "ASCII",
                compressed: bool = False) -> Any:
    """The object pickled in ``path`` (bz2-compressed when ``compressed``).

    Any failure, a forbidden global included, is ``error`` naming the file and ``what`` it
    should have been.
    """
    opener = bz2.open if compressed else open
    try:
        size = path.stat().st_size
        budget = max(EXPANSION_FLOOR_BYTES, MAX_EXPANSION * size) if compressed else size
        with opener(path, "rb") as handle:
            return _AllowlistUnpickler(_BoundedStream(handle, budget), encoding=encoding).load()
    except Exception as exc:  # unpickling garbage raises many types (MemoryError, KeyError, ...)
        raise error(f"cannot read {path}: corrupt or not {what} ({exc})") from exc


def _numpy_safe_globals() -> list[tuple[Any, str]]:
    """The NumPy callables of :data:`ALLOWED_GLOBALS` under each name a file may use, for
    torch's weights-only loader (resolved through the unpickler, so no deprecated import)."""
    resolve = _AllowlistUnpickler.__new__(_AllowlistUnpickler).find_class
    return [(resolve(module, name), f"{module}.{name}") for module, name in sorted(ALLOWED_GLOBALS)
            if module.startswith("numpy")]


def load_pth(path: Path, what: str, error: type[NaswotDbError]) -> Any:
    """The object saved with ``torch.save`` in ``path``, on the CPU.

    Loaded with ``weights_only=True``: torch's own restricted unpickler (tensors, containers)
    plus the NumPy types of :data:`ALLOWED_GLOBALS`, never arbitrary code.
    """
    import torch

    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise error(f"cannot read {path}: corrupt or not {what} ({message})") from exc
