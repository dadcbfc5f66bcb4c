"""Reading the benchmarks' and datasets' pickles (CIFAR, ImageNet16, NATS-Bench, NB201 .pth).

Every pickle any format reader loads goes through :func:`load_pickle` (or :func:`load_pth`), so
how a pickle is unpickled is decided in this one place.  A pickle can name any importable
callable and have it called while loading; these formats only ever hold builtin containers,
NumPy arrays, scalars and dtypes and ``collections.OrderedDict``, so the unpickler resolves
exactly those names and refuses every other before anything from the file runs.
"""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from naswot_db.errors import NaswotDbError

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


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global that none of the benchmark formats holds."""


class _AllowlistUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(f"it references {module}.{name}, which these files never "
                                    "hold; refusing to load it (nothing in it was run)")
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
        with opener(path, "rb") as handle:
            return _AllowlistUnpickler(handle, encoding=encoding).load()
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
